"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import db
from models.db import include_in_schema_comparison


def test_upgraded_schema_matches_the_models(app):
    # The `app` fixture's database was built by `flask db upgrade` (the migrations), not by create_all.
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "render_as_batch": True,
                                                                   "include_object": include_in_schema_comparison})
            differences = compare_metadata(context, db.metadata)
    assert differences == [], "\n".join(str(d) for d in differences)

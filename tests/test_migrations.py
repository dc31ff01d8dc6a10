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


def test_name_search_index_is_built_by_the_migrations(app):
    # The migration steps over a missing trigram index with a warning; here, where both databases have one, it
    # must exist (a silent fallback would leave a district's name search ten times slower).
    from sqlalchemy import text

    with app.app_context():
        dialect = db.engine.dialect.name
        with db.engine.connect() as connection:
            if dialect == "sqlite":
                found = connection.scalar(text("SELECT name FROM sqlite_master WHERE name = 'student_name_fts'"))
            else:
                found = connection.scalar(text("SELECT indexname FROM pg_indexes "
                                               "WHERE indexname = 'ix_student_search_name_trgm'"))
    assert found

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


# Every revision a released panel may already stand at, with the whole chain it had then. A school's database at one
# of these takes the newer steps by `flask init-db`/`upgrade` only if they come after it: a step slipped in below a
# released head would never be applied there (Alembic sees the database at the head already).
RELEASED = {
    "bd85ce1c8a0f": {"343758a959fc", "3e7f5baa1b83", "8e1861df918e", "9d02a64dfac0", "a7c3e9f1b2d4", "a7c4e2d91b35",
                     "b4e7d8252ced", "b5b6bbf4b69f", "b5d0f3a8c611", "bd85ce1c8a0f", "c270b07cdbde", "c2e95828b3f8",
                     "c8d2f4a6b913", "d029a09f174b", "d4a9e6b2c7f1", "dad69ed90926", "e3b1c0f7a9d2", "e7b3a1c5d9f2",
                     "f1c3a5e7b902", "f1c3a5e7b9d2", "f1d2a3b4c5e6"},
    # released on 01.12.2026 (session 6): the one before and its four steps
    "c4f8a2e6b1d3": {"343758a959fc", "3e7f5baa1b83", "8e1861df918e", "9d02a64dfac0", "a3f9c1d7e5b2", "a4c6e8f0b2d5",
                     "a7c3e9f1b2d4", "a7c4e2d91b35", "a7c4e2f19b35", "b4e7d8252ced", "b5b6bbf4b69f", "b5d0f3a8c611",
                     "bd85ce1c8a0f", "c270b07cdbde", "c2e95828b3f8", "c4f8a2e6b1d3", "c8d2f4a6b913", "d029a09f174b",
                     "d4a9e6b2c7f1", "dad69ed90926", "e3b1c0f7a9d2", "e7b3a1c5d9f2", "f1c3a5e7b902", "f1c3a5e7b9d2",
                     "f1d2a3b4c5e6"},
    # released with session 8 (01.12.2026): the index of pupils by status and name
    "d6e2b8f4a1c7": {"343758a959fc", "3e7f5baa1b83", "8e1861df918e", "9d02a64dfac0", "a3f9c1d7e5b2", "a4c6e8f0b2d5",
                     "a7c3e9f1b2d4", "a7c4e2d91b35", "a7c4e2f19b35", "b4e7d8252ced", "b5b6bbf4b69f", "b5d0f3a8c611",
                     "bd85ce1c8a0f", "c270b07cdbde", "c2e95828b3f8", "c4f8a2e6b1d3", "c8d2f4a6b913", "d029a09f174b",
                     "d4a9e6b2c7f1", "d6e2b8f4a1c7", "dad69ed90926", "e3b1c0f7a9d2", "e7b3a1c5d9f2", "f1c3a5e7b902",
                     "f1c3a5e7b9d2", "f1d2a3b4c5e6"},
}


def test_new_migrations_come_after_every_released_head():
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    chain = {revision.revision for revision in script.walk_revisions()}
    for released, had in RELEASED.items():
        below = {revision.revision for revision in script.iterate_revisions(released, "base")}
        assert below == had, f"под выпущенной ревизией {released} появились шаги: {sorted(below - had)}"
        assert released in {r.revision for r in script.iterate_revisions(head, "base")}
    latest = max(RELEASED, key=lambda r: len(RELEASED[r]))
    above = {revision.revision for revision in script.iterate_revisions(head, latest)}
    assert chain == RELEASED[latest] | above, "шаг миграций не продолжает цепочку после выпущенной ревизии"

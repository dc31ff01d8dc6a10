"""student name trigram search on SQLite: an FTS5 trigram index of the folded ФИО, kept by triggers

Revision ID: d4a9e6b2c7f1
Revises: c8d2f4a6b913
Create Date: 2026-11-29 20:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4a9e6b2c7f1'
down_revision = 'c8d2f4a6b913'
branch_labels = None
depends_on = None

STATEMENTS = (
    # External content: the index keeps only trigrams; the names stay in `student`.
    "CREATE VIRTUAL TABLE student_name_fts USING fts5(search_name, content='student', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER student_name_fts_insert AFTER INSERT ON student BEGIN "
    "INSERT INTO student_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END",
    "CREATE TRIGGER student_name_fts_delete AFTER DELETE ON student BEGIN "
    "INSERT INTO student_name_fts(student_name_fts, rowid, search_name) VALUES ('delete', old.id, old.search_name); "
    "END",
    "CREATE TRIGGER student_name_fts_update AFTER UPDATE OF search_name ON student BEGIN "
    "INSERT INTO student_name_fts(student_name_fts, rowid, search_name) VALUES ('delete', old.id, old.search_name); "
    "INSERT INTO student_name_fts(rowid, search_name) VALUES (new.id, new.search_name); END",
    "INSERT INTO student_name_fts(student_name_fts) VALUES ('rebuild')",
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # FTS5 with the trigram tokenizer is in SQLite 3.34+ as built by Python on Linux and Windows; where it is
    # missing the search stays correct, only slower, so the upgrade goes on without it.
    savepoint = bind.begin_nested()
    try:
        for statement in STATEMENTS:
            op.execute(statement)
    except Exception as exc:  # noqa: BLE001 - any refusal leaves the schema as it was
        savepoint.rollback()
        print(f"Предупреждение: индекс поиска по ФИО не создан ({exc.__class__.__name__}); поиск будет медленнее.")
    else:
        savepoint.commit()


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS student_name_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS student_name_fts")

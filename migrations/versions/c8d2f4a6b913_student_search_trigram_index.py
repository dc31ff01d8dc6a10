"""student search trigram index: on PostgreSQL a name search reads the matching students from an index

Revision ID: c8d2f4a6b913
Revises: b5d0f3a8c611
Create Date: 2026-11-29 19:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c8d2f4a6b913'
down_revision = 'b5d0f3a8c611'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # pg_trgm ships with PostgreSQL and is a trusted extension (13+): the database's owner may add it. Where
    # it is missing or not allowed the search stays correct, only slower, so the upgrade goes on without it.
    savepoint = bind.begin_nested()
    try:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_student_search_name_trgm ON student USING gin (search_name gin_trgm_ops)")
    except Exception as exc:  # noqa: BLE001 - any refusal leaves the schema as it was
        savepoint.rollback()
        print(f"Предупреждение: индекс поиска по ФИО не создан ({exc.__class__.__name__}); поиск будет медленнее.")
    else:
        savepoint.commit()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_student_search_name_trgm")

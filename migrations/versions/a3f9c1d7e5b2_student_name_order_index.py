"""student name order index on PostgreSQL: a page of a name search read from one index, in order, with the ids

Revision ID: a3f9c1d7e5b2
Revises: a7c4e2f19b35
Create Date: 2026-12-01 01:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a3f9c1d7e5b2'
down_revision = 'a7c4e2f19b35'
branch_labels = None
depends_on = None


def upgrade():
    # A search matching many students walks the names in order until a page is found; with the id beside the
    # name the walk never reads the table (a page deep into «иванов»: 2 ms instead of 14–22 ms). SQLite's
    # ix_student_search_name already carries the rowid.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_student_search_name_id ON student (search_name, id)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_student_search_name_id")

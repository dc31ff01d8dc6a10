"""student status and name index: the register filtered by status read in its alphabetical order from one index

Revision ID: d6e2b8f4a1c7
Revises: c4f8a2e6b1d3
Create Date: 2026-12-01 07:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd6e2b8f4a1c7'
down_revision = 'c4f8a2e6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    # Pupils studying are 1,100 of a district's 100,000: sorted by name, PostgreSQL walked the name index and threw
    # away the leavers before them (10 ms for a page); this index holds them together, in order.
    op.create_index("ix_student_status_search_name", "student", ["status", "search_name", "id"])


def downgrade():
    op.drop_index("ix_student_status_search_name", table_name="student")

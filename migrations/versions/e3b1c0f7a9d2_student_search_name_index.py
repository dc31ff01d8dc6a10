"""student search name index: a name search scans a narrow index instead of the table

Revision ID: e3b1c0f7a9d2
Revises: dad69ed90926
Create Date: 2026-11-23 18:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3b1c0f7a9d2'
down_revision = 'dad69ed90926'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.create_index('ix_student_search_name', ['search_name', 'last_name', 'first_name'], unique=False)


def downgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_index('ix_student_search_name')

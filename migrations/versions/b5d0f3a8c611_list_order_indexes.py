"""list order indexes: a status-filtered register and the alphabetical student list read in index order

Revision ID: b5d0f3a8c611
Revises: a7c4e2d91b35
Create Date: 2026-11-23 18:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b5d0f3a8c611'
down_revision = 'a7c4e2d91b35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('carrier', schema=None) as batch_op:
        batch_op.create_index('ix_carrier_kind_status_id', ['kind_id', 'status', 'id'], unique=False)
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_index('ix_student_last_first')
        batch_op.create_index('ix_student_last_first_id', ['last_name', 'first_name', 'id'], unique=False,
                              postgresql_include=['search_name'])


def downgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_index('ix_student_last_first_id')
        batch_op.create_index('ix_student_last_first', ['last_name', 'first_name'], unique=False)
    with op.batch_alter_table('carrier', schema=None) as batch_op:
        batch_op.drop_index('ix_carrier_kind_status_id')

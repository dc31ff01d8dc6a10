"""carrier (kind_id, id) index: a register's newest-first page read in index order on PostgreSQL

Revision ID: a7c4e2d91b35
Revises: e3b1c0f7a9d2
Create Date: 2026-11-23 19:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c4e2d91b35'
down_revision = 'e3b1c0f7a9d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('carrier', schema=None) as batch_op:
        batch_op.create_index('ix_carrier_kind_id_id', ['kind_id', 'id'], unique=False,
                              postgresql_include=['student_id'])


def downgrade():
    with op.batch_alter_table('carrier', schema=None) as batch_op:
        batch_op.drop_index('ix_carrier_kind_id_id')

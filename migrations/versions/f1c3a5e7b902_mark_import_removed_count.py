"""mark import: how many marks a re-import removed (a file is the truth for what it covers)

Revision ID: f1c3a5e7b902
Revises: b5b6bbf4b69f
Create Date: 2026-11-30 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1c3a5e7b902'
down_revision = 'b5b6bbf4b69f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mark_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_count', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('mark_import', schema=None) as batch_op:
        batch_op.drop_column('removed_count')

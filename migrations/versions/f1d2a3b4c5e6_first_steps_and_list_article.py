"""first steps: a password to change at first log-in, a class teacher's class; the retention list article of a kind

Revision ID: f1d2a3b4c5e6
Revises: f1c3a5e7b9d2
Create Date: 2026-11-30 22:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1d2a3b4c5e6'
down_revision = 'f1c3a5e7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('carrier_kind', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_article', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('carrier_kind', schema=None) as batch_op:
        batch_op.drop_column('list_article')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

"""user session token (log-out and a new password end every session of the user); the address of a failed
log-in (a per-address lockout)

Revision ID: f1c3a5e7b9d2
Revises: d4a9e6b2c7f1
Create Date: 2026-11-30 22:20:00.000000

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f1c3a5e7b9d2'
down_revision = 'd4a9e6b2c7f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    # Each existing user gets a random token of their own (the same SQL on SQLite and PostgreSQL): cookies
    # issued before the upgrade carry no token and are refused, so everyone logs in once more.
    bind = op.get_bind()
    users = sa.table('user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_hex(16)))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_failure_address'), ['address'], unique=False)


def downgrade():
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_address'))
        batch_op.drop_column('address')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_token')

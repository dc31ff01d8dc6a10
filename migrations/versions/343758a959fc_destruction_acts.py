"""destruction acts: acts, their lines, commission and the carriers each line covers

Revision ID: 343758a959fc
Revises: b4e7d8252ced
Create Date: 2026-11-23 15:39:58.331531

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '343758a959fc'
down_revision = 'b4e7d8252ced'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('destruction_act',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('act_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('basis', sa.Text(), nullable=True),
    sa.Column('expert_protocol', sa.String(length=200), nullable=True),
    sa.Column('chairman_id', sa.Integer(), nullable=True),
    sa.Column('drafted_by_id', sa.Integer(), nullable=True),
    sa.Column('drafted_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approved_on', sa.Date(), nullable=True),
    sa.Column('return_comment', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_destruction_act_approved_by_id_user')),
    sa.ForeignKeyConstraint(['chairman_id'], ['user.id'], name=op.f('fk_destruction_act_chairman_id_user')),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['user.id'], name=op.f('fk_destruction_act_drafted_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_act'))
    )
    with op.batch_alter_table('destruction_act', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_act_act_date'), ['act_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_destruction_act_status'), ['status'], unique=False)

    op.create_table('destruction_act_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('act_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=True),
    sa.Column('nomenclature_index', sa.String(length=30), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('first_date', sa.Date(), nullable=True),
    sa.Column('last_date', sa.Date(), nullable=True),
    sa.Column('inventory_years', sa.String(length=100), nullable=True),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('retention_text', sa.String(length=300), nullable=True),
    sa.Column('clause', sa.String(length=300), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['act_id'], ['destruction_act.id'], name=op.f('fk_destruction_act_line_act_id_destruction_act'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kind_id'], ['carrier_kind.id'], name=op.f('fk_destruction_act_line_kind_id_carrier_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_act_line'))
    )
    with op.batch_alter_table('destruction_act_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_act_line_act_id'), ['act_id'], unique=False)

    op.create_table('destruction_act_member',
    sa.Column('act_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['act_id'], ['destruction_act.id'], name=op.f('fk_destruction_act_member_act_id_destruction_act'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_destruction_act_member_user_id_user')),
    sa.PrimaryKeyConstraint('act_id', 'user_id', name=op.f('pk_destruction_act_member'))
    )
    op.create_table('destruction_line_carrier',
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['carrier_id'], ['carrier.id'], name=op.f('fk_destruction_line_carrier_carrier_id_carrier')),
    sa.ForeignKeyConstraint(['line_id'], ['destruction_act_line.id'], name=op.f('fk_destruction_line_carrier_line_id_destruction_act_line'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_id', 'carrier_id', name=op.f('pk_destruction_line_carrier'))
    )
    with op.batch_alter_table('destruction_line_carrier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_line_carrier_carrier_id'), ['carrier_id'], unique=False)


def downgrade():
    with op.batch_alter_table('destruction_line_carrier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destruction_line_carrier_carrier_id'))
    op.drop_table('destruction_line_carrier')
    op.drop_table('destruction_act_member')
    with op.batch_alter_table('destruction_act_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destruction_act_line_act_id'))
    op.drop_table('destruction_act_line')
    with op.batch_alter_table('destruction_act', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destruction_act_status'))
        batch_op.drop_index(batch_op.f('ix_destruction_act_act_date'))
    op.drop_table('destruction_act')

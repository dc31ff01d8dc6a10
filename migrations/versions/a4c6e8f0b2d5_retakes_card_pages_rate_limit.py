"""ГИА sittings told apart (a retake after an unsatisfactory result) and the award criteria's retake rule; the
personal file's sheets of printed personal cards; the verification page's rate limit counted in the database

Revision ID: a4c6e8f0b2d5
Revises: bd85ce1c8a0f
Create Date: 2026-12-01 01:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a4c6e8f0b2d5'
down_revision = 'bd85ce1c8a0f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exam_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempt', sa.String(length=12), server_default='main', nullable=False))
    with op.batch_alter_table('award_criterion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retake_rule', sa.String(length=20), nullable=True))
    # The medals' seeded rule (models/attestation.MEDAL_RETAKE_RULE): the stricter reading, editable.
    op.execute("UPDATE award_criterion SET retake_rule = 'unsatisfactory_bars' WHERE code IN ('medal_1', 'medal_2')")
    with op.batch_alter_table('personal_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_pages', sa.Integer(), nullable=True))
    op.create_table('personal_card_print',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('personal_file_id', sa.Integer(), nullable=False),
    sa.Column('academic_year_id', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('printed_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['academic_year_id'], ['academic_year.id'],
                            name=op.f('fk_personal_card_print_academic_year_id_academic_year')),
    sa.ForeignKeyConstraint(['personal_file_id'], ['personal_file.id'],
                            name=op.f('fk_personal_card_print_personal_file_id_personal_file'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_card_print')),
    sa.UniqueConstraint('personal_file_id', 'academic_year_id', name=op.f('uq_personal_card_print_personal_file_id'))
    )
    with op.batch_alter_table('personal_card_print', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_card_print_personal_file_id'), ['personal_file_id'],
                              unique=False)
    op.create_table('rate_limit_hit',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('window_start', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start', name=op.f('pk_rate_limit_hit'))
    )


def downgrade():
    op.drop_table('rate_limit_hit')
    with op.batch_alter_table('personal_card_print', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personal_card_print_personal_file_id'))
    op.drop_table('personal_card_print')
    with op.batch_alter_table('personal_file', schema=None) as batch_op:
        batch_op.drop_column('card_pages')
    with op.batch_alter_table('award_criterion', schema=None) as batch_op:
        batch_op.drop_column('retake_rule')
    with op.batch_alter_table('exam_result', schema=None) as batch_op:
        batch_op.drop_column('attempt')

"""archive leaves only by an act: carrier entry time (mistake window), corrections of certified annual marks,
academic debts with retakes and conditional promotion, the legal basis and channel of a personal-data release

Revision ID: a7c3e9f1b2d4
Revises: f1d2a3b4c5e6
Create Date: 2026-11-30 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b2d4'
down_revision = 'f1d2a3b4c5e6'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows keep NULL: their entry time is unknown, so they are never «entered by mistake just now».
    with op.batch_alter_table('carrier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_at', sa.DateTime(), nullable=True))
    op.create_table(
        'annual_mark_correction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('annual_mark_id', sa.Integer(), nullable=False),
        sa.Column('old_value', sa.String(length=12), nullable=False),
        sa.Column('new_value', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('corrected_by_id', sa.Integer(), nullable=True),
        sa.Column('corrected_at', sa.DateTime(), nullable=False),
        sa.Column('certified_by_id', sa.Integer(), nullable=True),
        sa.Column('certified_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['annual_mark_id'], ['annual_mark.id'], ),
        sa.ForeignKeyConstraint(['certified_by_id'], ['user.id'], ),
        sa.ForeignKeyConstraint(['corrected_by_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('annual_mark_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annual_mark_correction_annual_mark_id'), ['annual_mark_id'],
                              unique=False)
    for table in ('student', 'guardian'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('pd_basis', sa.String(length=10), nullable=True))
            batch_op.add_column(sa.Column('pd_consent_on', sa.Date(), nullable=True))
            batch_op.add_column(sa.Column('pd_basis_note', sa.String(length=300), nullable=True))
            batch_op.add_column(sa.Column('pd_consent_file', sa.String(length=80), nullable=True))
            batch_op.add_column(sa.Column('pd_consent_name', sa.String(length=255), nullable=True))
            batch_op.add_column(sa.Column('depersonalised_on', sa.Date(), nullable=True))
    with op.batch_alter_table('guardian', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authority_document', sa.String(length=300), nullable=True))
    with op.batch_alter_table('destruction_act', schema=None) as batch_op:
        batch_op.add_column(sa.Column('depersonalised', sa.Text(), nullable=True))
    with op.batch_alter_table('pd_disclosure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_basis', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=True))
    op.create_table(
        'academic_debt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('academic_year_id', sa.Integer(), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('origin', sa.String(length=16), nullable=False),
        sa.Column('arisen_on', sa.Date(), nullable=False),
        sa.Column('retake1_on', sa.Date(), nullable=True),
        sa.Column('retake1_result', sa.String(length=12), nullable=True),
        sa.Column('retake2_on', sa.Date(), nullable=True),
        sa.Column('retake2_result', sa.String(length=12), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('cleared_on', sa.Date(), nullable=True),
        sa.Column('conditional_order_id', sa.Integer(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['academic_year_id'], ['academic_year.id'], ),
        sa.ForeignKeyConstraint(['conditional_order_id'], ['school_order.id'], ),
        sa.ForeignKeyConstraint(['student_id'], ['student.id'], ),
        sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('student_id', 'academic_year_id', 'subject_id'),
    )
    with op.batch_alter_table('academic_debt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_academic_debt_academic_year_id'), ['academic_year_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_academic_debt_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_academic_debt_student_id'), ['student_id'], unique=False)


def downgrade():
    with op.batch_alter_table('academic_debt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_academic_debt_student_id'))
        batch_op.drop_index(batch_op.f('ix_academic_debt_status'))
        batch_op.drop_index(batch_op.f('ix_academic_debt_academic_year_id'))
    op.drop_table('academic_debt')
    with op.batch_alter_table('pd_disclosure', schema=None) as batch_op:
        batch_op.drop_column('channel')
        batch_op.drop_column('legal_basis')
    with op.batch_alter_table('destruction_act', schema=None) as batch_op:
        batch_op.drop_column('depersonalised')
    with op.batch_alter_table('guardian', schema=None) as batch_op:
        batch_op.drop_column('authority_document')
    for table in ('guardian', 'student'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ('depersonalised_on', 'pd_consent_name', 'pd_consent_file', 'pd_basis_note', 'pd_consent_on',
                           'pd_basis'):
                batch_op.drop_column(column)
    with op.batch_alter_table('annual_mark_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annual_mark_correction_annual_mark_id'))
    op.drop_table('annual_mark_correction')
    with op.batch_alter_table('carrier', schema=None) as batch_op:
        batch_op.drop_column('entered_at')

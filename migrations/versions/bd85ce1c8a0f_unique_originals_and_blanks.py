"""unique originals and blanks in the certificate book; withdrawals of a year's certification

Revision ID: bd85ce1c8a0f
Revises: e7b3a1c5d9f2
Create Date: 2026-11-30 22:12:48.687842

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'bd85ce1c8a0f'
down_revision = 'e7b3a1c5d9f2'
branch_labels = None
depends_on = None

# What a partial unique index below would refuse, if two officers already slipped past the checks.
DUPLICATES = (
    ("два действующих аттестата одного уровня у обучающегося",
     ("SELECT student_id, level, count(*) FROM certificate_book_entry "
      "WHERE entry_kind = 'certificate' AND NOT annulled GROUP BY student_id, level HAVING count(*) > 1")),
    ("один бланк аттестата в двух действующих записях",
     ("SELECT blank_series, blank_number, count(*) FROM certificate_book_entry "
      "WHERE blank_number IS NOT NULL AND NOT annulled GROUP BY blank_series, blank_number HAVING count(*) > 1")),
    ("один бланк приложения в двух действующих записях",
     ("SELECT appendix_series, appendix_number, count(*) FROM certificate_book_entry "
      "WHERE appendix_number IS NOT NULL AND NOT annulled GROUP BY appendix_series, appendix_number "
      "HAVING count(*) > 1")),
)


def upgrade():
    bind = op.get_bind()
    found = [f"{what}: {', '.join(str(tuple(row)) for row in rows)}"
             for what, query in DUPLICATES if (rows := bind.execute(sa.text(query)).fetchall())]
    if found:
        raise RuntimeError("Книга регистрации уже содержит повторы; аннулируйте лишние записи с указанием причины "
                           "и повторите обновление. " + "; ".join(found))

    op.create_table('certification_withdrawal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_class_id', sa.Integer(), nullable=False),
    sa.Column('academic_year_id', sa.Integer(), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('certified_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['academic_year_id'], ['academic_year.id'], name=op.f('fk_certification_withdrawal_academic_year_id_academic_year')),
    sa.ForeignKeyConstraint(['school_class_id'], ['school_class.id'], name=op.f('fk_certification_withdrawal_school_class_id_school_class')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user.id'], name=op.f('fk_certification_withdrawal_withdrawn_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_withdrawal'))
    )
    with op.batch_alter_table('certification_withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_withdrawal_school_class_id'), ['school_class_id'], unique=False)

    with op.batch_alter_table('certificate_book_entry', schema=None) as batch_op:
        batch_op.create_index('uq_certificate_entry_appendix', ['appendix_series', 'appendix_number'], unique=True, sqlite_where=sa.text('appendix_number IS NOT NULL AND annulled = 0'), postgresql_where=sa.text('appendix_number IS NOT NULL AND NOT annulled'))
        batch_op.create_index('uq_certificate_entry_blank', ['blank_series', 'blank_number'], unique=True, sqlite_where=sa.text('blank_number IS NOT NULL AND annulled = 0'), postgresql_where=sa.text('blank_number IS NOT NULL AND NOT annulled'))
        batch_op.create_index('uq_certificate_entry_original', ['student_id', 'level'], unique=True, sqlite_where=sa.text("entry_kind = 'certificate' AND annulled = 0"), postgresql_where=sa.text("entry_kind = 'certificate' AND NOT annulled"))


def downgrade():
    with op.batch_alter_table('certificate_book_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_certificate_entry_original')
        batch_op.drop_index('uq_certificate_entry_blank')
        batch_op.drop_index('uq_certificate_entry_appendix')

    with op.batch_alter_table('certification_withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_withdrawal_school_class_id'))

    op.drop_table('certification_withdrawal')

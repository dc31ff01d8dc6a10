"""student search name: the folded ФИО searched with a plain LIKE

Revision ID: dad69ed90926
Revises: c2e95828b3f8
Create Date: 2026-11-23 17:25:11.514431

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dad69ed90926'
down_revision = 'c2e95828b3f8'
branch_labels = None
depends_on = None


def _fold(*parts):
    # The same folding as models.people.search_name, frozen here so the migration never changes meaning.
    text = " ".join(p for p in parts if p)
    return " ".join(text.split()).lower().replace("ё", "е")


def upgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=320), nullable=False, server_default=''))
    bind = op.get_bind()
    student = sa.table('student', sa.column('id', sa.Integer), sa.column('last_name', sa.String),
                       sa.column('first_name', sa.String), sa.column('middle_name', sa.String),
                       sa.column('search_name', sa.String))
    rows = bind.execute(sa.select(student.c.id, student.c.last_name, student.c.first_name,
                                  student.c.middle_name)).all()
    if rows:
        bind.execute(student.update().where(student.c.id == sa.bindparam('row_id'))
                     .values(search_name=sa.bindparam('folded')),
                     [{'row_id': r.id, 'folded': _fold(r.last_name, r.first_name, r.middle_name)} for r in rows])


def downgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('search_name')

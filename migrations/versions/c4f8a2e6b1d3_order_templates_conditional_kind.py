"""order templates per kind as data; the conditional promotion's order is of kind «conditional_promotion»

Revision ID: c4f8a2e6b1d3
Revises: a3f9c1d7e5b2
Create Date: 2026-12-01 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f8a2e6b1d3'
down_revision = 'a3f9c1d7e5b2'
branch_labels = None
depends_on = None

# The texts the panel had in code (models/people.ORDER_TEMPLATES) on this day: the school edits them from now on.
TEMPLATES = (
    ('enrolment',
     'На основании заявлений родителей (законных представителей) и представленных документов\nПРИКАЗЫВАЮ:\n1. Зачислить в {school} следующих обучающихся:\n{pupils}\n2. Секретарю внести сведения в алфавитную книгу записи обучающихся и оформить личные дела.'),
    ('transfer',
     'На основании заявления родителей (законных представителей) и в связи с переводом в другую образовательную организацию\nПРИКАЗЫВАЮ:\n1. Отчислить в порядке перевода:\n{pupils}\n2. Выдать родителям (законным представителям) личное дело обучающегося и документы об успеваемости.'),
    ('expulsion',
     'ПРИКАЗЫВАЮ:\n1. Отчислить из {school} следующих обучающихся:\n{pupils}\n2. Внести сведения о выбытии в алфавитную книгу записи обучающихся.'),
    ('promotion',
     'На основании решения педагогического совета\nПРИКАЗЫВАЮ:\n1. Перевести в следующий класс обучающихся, освоивших образовательную программу учебного года:\n{pupils}'),
    ('conditional_promotion',
     'На основании решения педагогического совета (ч. 8 ст. 58 Федерального закона № 273-ФЗ)\nПРИКАЗЫВАЮ:\n1. Перевести условно в следующий класс обучающихся, имеющих академическую задолженность:\n{pupils}\n2. Установить сроки её ликвидации.'),
    ('repeat_year',
     'На основании заявлений родителей (законных представителей) и решения педагогического совета (ч. 9 ст. 58 Федерального закона № 273-ФЗ)\nПРИКАЗЫВАЮ:\n1. Оставить на повторное обучение:\n{pupils}'),
    ('graduation',
     'В связи с получением образования (завершением обучения)\nПРИКАЗЫВАЮ:\n1. Отчислить из {school} в связи с окончанием обучения:\n{pupils}'),
    ('issuance',
     'На основании решения педагогического совета\nПРИКАЗЫВАЮ:\n1. Выдать документы об образовании следующим обучающимся:\n{pupils}'),
)


def upgrade():
    template = op.create_table(
        'order_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_template')),
        sa.UniqueConstraint('kind', name=op.f('uq_order_template_kind')),
    )
    op.bulk_insert(template, [{"kind": kind, "text": text, "version": 1} for kind, text in TEMPLATES])
    # The promotion with an academic debt entered its order as «transfer» (a transfer to another school): the
    # orders its debts point to become orders on conditional promotion, unless a pupil also left by one of them.
    op.execute(
        "UPDATE school_order SET kind = 'conditional_promotion' WHERE kind = 'transfer' "
        "AND id IN (SELECT conditional_order_id FROM academic_debt WHERE conditional_order_id IS NOT NULL) "
        "AND id NOT IN (SELECT leaving_order_id FROM student WHERE leaving_order_id IS NOT NULL)")


def downgrade():
    op.execute(
        "UPDATE school_order SET kind = 'transfer' WHERE kind = 'conditional_promotion' "
        "AND id IN (SELECT conditional_order_id FROM academic_debt WHERE conditional_order_id IS NOT NULL)")
    op.drop_table('order_template')

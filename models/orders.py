"""The templates of orders on pupils, one per kind: data the school edits, seeded with the panel's texts."""
import string

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import Versioned, db

# What a template may name: the school's short name and the numbered list of the order's pupils.
PLACEHOLDERS = {"school": "краткое наименование школы", "pupils": "нумерованный список обучающихся"}


class OrderTemplate(Versioned, db.Model):
    __tablename__ = "order_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), unique=True)
    text: Mapped[str] = mapped_column(Text)

    def __str__(self):
        from .people import ORDER_KINDS

        return f"Шаблон приказа {ORDER_KINDS.get(self.kind, self.kind)}"


def template_errors(text):
    """{field: message} for a template the panel could not fill: unknown or broken {…} places, no pupils list."""
    text = text or ""
    if not text.strip():
        return {"text": "Введите текст шаблона."}
    try:
        names = {name for _, name, spec, conv in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"text": "Фигурные скобки в шаблоне не закрыты: вставки пишутся как {pupils} и {school}; "
                        "сами скобки — как {{ и }}."}
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        allowed = ", ".join(f"{{{k}}} — {v}" for k, v in PLACEHOLDERS.items())
        return {"text": f"В шаблоне неизвестная вставка {{{unknown[0]}}}. Допустимы: {allowed}."}
    if "pupils" not in names:
        return {"text": "В шаблоне нет вставки {pupils}: без неё в приказ не попадёт список обучающихся."}
    return {}


def template_text(session, kind):
    """The kind's template as the school last saved it (the panel's own text if the row is missing)."""
    from .people import ORDER_TEMPLATES

    text = session.scalar(select(OrderTemplate.text).where(OrderTemplate.kind == kind))
    return text if text is not None else ORDER_TEMPLATES.get(kind)


def seed_order_templates(session):
    """Idempotent: a template row for every kind of order on pupils that has none."""
    from .people import ORDER_TEMPLATES

    have = set(session.scalars(select(OrderTemplate.kind)))
    for kind, text in ORDER_TEMPLATES.items():
        if kind not in have:
            session.add(OrderTemplate(kind=kind, text=text))

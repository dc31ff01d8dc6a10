"""The nomenclature of files (номенклатура дел): the school's file plan for a year, one item per file, each
carrier kind pointing to its item; the destruction act reads its index and retention article from it."""
import re

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .db import Versioned, db


class NomenclatureItem(Versioned, db.Model):
    __tablename__ = "nomenclature_item"
    __table_args__ = (UniqueConstraint("academic_year_id", "index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    index: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    volumes: Mapped[int | None] = mapped_column(Integer)
    # As the list words it: «75 лет ЭПК», «50/75 лет», «3 г. после выбытия»; the computed rule stays on the kind.
    retention: Mapped[str] = mapped_column(String(100))
    list_article: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    academic_year = relationship("AcademicYear")
    kinds = relationship("CarrierKind", back_populates="nomenclature_item")

    @property
    def retention_text(self):
        return f"{self.retention}; {self.list_article}" if self.list_article else self.retention

    def __str__(self):
        return f"{self.index} {self.title}"


INDEX_FORMAT = re.compile(r"^\d{2}-\d{1,3}$")

# Default items for the default carrier kinds (section 01 — administration, 02 — teaching work, 03 — pupils).
# The list articles are left for the school to fill from the list its archive uses: the team could not read the
# primary text of the list (приказ Росархива № 236 от 20.12.2019), so none is asserted here.
# The retention words follow the kinds' seeded rules (DOMAIN.md and the schools' acts); where the acts say
# «по номенклатуре», the school writes its own figure.
SCHOOL_SETS = "устанавливает школа"
DEFAULT_ITEMS = (
    # index, title, retention as written, kind codes
    ("01-05", "Приказы директора по контингенту обучающихся (книга приказов)", "75 лет", ("pupil_orders",)),
    ("02-10", "Протоколы ГИА, ознакомление обучающихся с результатами", "1 год", ("gia_protocol",)),
    ("02-11", "Протоколы итогового сочинения (изложения) и итогового собеседования", SCHOOL_SETS,
     ("final_essay_protocol", "oral_interview_protocol")),
    ("02-12", "Журналы факультативов, внеурочной деятельности, кружков, обучения на дому", SCHOOL_SETS,
     ("paper_journal",)),
    ("02-13", "Сводные ведомости успеваемости", "25 лет", ("summary_sheet",)),
    ("02-14", "Распечатки электронного журнала: итоговые отметки и страницы класса за год", SCHOOL_SETS,
     ("final_mark_pages", "class_journal_print")),
    ("02-15", "Архивные копии электронного журнала", "5 лет", ("ejournal_copy",)),
    ("03-01", "Алфавитная книга записи обучающихся", "75 лет", ("admission_book",)),
    ("03-02", "Личные дела обучающихся", "3 года после выбытия", ("personal_file",)),
    ("03-03", "Книги регистрации выданных аттестатов", "50 лет", ("certificate_book",)),
    ("03-04", "Аттестаты об основном общем образовании, принятые на хранение", "до возврата",
     ("stored_certificate",)),
    ("03-05", "Книга регистрации выданных справок об обучении", SCHOOL_SETS, ("study_certificate_book",)),
    ("03-06", "Книга учёта выдачи медалей", SCHOOL_SETS, ("medal_book",)),
    ("03-07", "Портфолио обучающихся", "до выдачи", ("portfolio",)),
)


def seed_nomenclature(session, year):
    """Idempotent: the default items of `year`, and a kind without an item points to its default item."""
    from .carriers import CarrierKind

    if year is None:
        return
    kinds = {k.code: k for k in session.scalars(select(CarrierKind))}
    existing = {i.index: i for i in session.scalars(select(NomenclatureItem).where(
        NomenclatureItem.academic_year_id == year.id))}
    for index, title, retention, codes in DEFAULT_ITEMS:
        item = existing.get(index)
        if item is None:
            item = NomenclatureItem(academic_year_id=year.id, index=index, title=title, volumes=1,
                                    retention=retention)
            session.add(item)
        for code in codes:
            kind = kinds.get(code)
            if kind is None or kind.nomenclature_item_id is not None or kind.nomenclature_item is not None:
                continue
            own = (kind.nomenclature_index or "").strip()
            if own and own != index:
                # The school already filed this kind under its own index: that index becomes its item.
                if own not in existing:
                    existing[own] = NomenclatureItem(academic_year_id=year.id, index=own[:30], title=kind.name[:500],
                                                     volumes=1, retention=kind.rule_text()[:100])
                    session.add(existing[own])
                kind.nomenclature_item = existing[own]
            else:
                kind.nomenclature_item = item
                kind.nomenclature_index = index
    session.flush()


def item_errors(session, *, index, title, retention, academic_year_id, volumes, item_id=None):
    errors = {}
    index = (index or "").strip()
    if not INDEX_FORMAT.match(index):
        errors["index"] = "Индекс дела записывается как номер раздела и номер дела через дефис, например «03-01»."
    if not (title or "").strip():
        errors["title"] = "Укажите заголовок дела."
    if not (retention or "").strip():
        errors["retention"] = "Укажите срок хранения, например «50 лет» или «3 года после выбытия»."
    if not academic_year_id:
        errors["academic_year"] = "Укажите учебный год номенклатуры."
    if volumes is not None and not 0 <= volumes <= 1000:
        errors["volumes"] = "Количество томов — от 0 до 1000."
    if "index" not in errors and academic_year_id:
        other = session.scalar(select(NomenclatureItem.id).where(NomenclatureItem.academic_year_id == academic_year_id,
                                                                 NomenclatureItem.index == index))
        if other is not None and other != item_id:
            errors["index"] = f"Дело с индексом {index} в номенклатуре этого года уже есть."
    return errors


def nomenclature_rows(session, year_id):
    """The items of a year in index order, each with the kinds that point to it."""
    return session.scalars(select(NomenclatureItem).where(NomenclatureItem.academic_year_id == year_id)
                           .order_by(NomenclatureItem.index)).all()


def _sync_kind_indexes(session, flush_context, instances):
    """The kind's own index column (grouping of the retention review) follows the item it points to."""
    from .carriers import CarrierKind

    with session.no_autoflush:
        for obj in list(session.new) + list(session.dirty):
            if isinstance(obj, CarrierKind):
                # A relationship set in this session wins over the key, which is synced only by the flush.
                if "nomenclature_item" in obj.__dict__:
                    item = obj.nomenclature_item
                else:
                    item = session.get(NomenclatureItem, obj.nomenclature_item_id) if obj.nomenclature_item_id else None
                if item is not None and obj.nomenclature_index != item.index:
                    obj.nomenclature_index = item.index
            elif isinstance(obj, NomenclatureItem) and obj not in session.new \
                    and inspect(obj).attrs["index"].history.has_changes():
                for kind in obj.kinds:
                    kind.nomenclature_index = obj.index


event.listen(Session, "before_flush", _sync_kind_indexes)

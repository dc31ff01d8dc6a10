"""A record others still point at is not deleted: a class with its students, a student with a personal file.

Without this the ORM would quietly clear the students' class when a class is deleted, and the database
would refuse other deletes with an English constraint error. One flush hook checks every delete, from any
page or command, and refuses it with a Russian message naming what still refers to the record.
"""
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from .db import db
from .errors import DomainError

# What a row of each table is, for the message («на запись ссылаются: обучающиеся — 25»).
# Every table's Russian name, in the plural, for messages («запись используется: …») and the audit log's
# «Реестр» column; tests/test_layers.py fails when a table of the metadata has none.
TABLE_LABELS = {
    "academic_debt": "академические задолженности", "admission_book_entry": "строки алфавитной книги",
    "admission_book_counter": "счётчики номеров алфавитной книги", "academic_year": "учебные годы", "annual_certification": "заверения годовых отметок",
    "annual_mark": "годовые отметки", "annual_mark_correction": "исправления годовых отметок", "audit_log": "журнал аудита", "award_criterion": "критерии отличия и медалей", "blank_receipt": "поступления бланков",
    "carrier": "носители (записи реестров)", "carrier_kind": "виды носителей",
    "certification_withdrawal": "отзывы заверений годовых отметок",
    "certificate_book_entry": "записи книги выдачи аттестатов", "certificate_mark": "отметки аттестатов",
    "class_record": "сводные ведомости и распечатки", "copy_check": "проверки копий журнала", "copy_medium": "носители копий журнала", "curriculum_subject": "учебный план",
    "custody_movement": "записи журнала хранения", "destruction_act": "акты об уничтожении",
    "destruction_act_line": "строки актов об уничтожении", "destruction_act_member": "члены комиссии актов",
    "destruction_line_carrier": "носители в актах об уничтожении", "ejournal_copy": "копии электронного журнала",
    "exam_protocol": "протоколы", "exam_result": "результаты экзаменов", "gia_minimum": "минимальные результаты ГИА", "guardian": "законные представители",
    "handover_act": "акты передачи документов", "issued_document": "напечатанные документы",
    "personal_card_print": "напечатанные личные карты (листы по годам)",
    "rate_limit_hit": "счётчики проверок документов по адресам", "handover_act_item": "строки актов передачи", "level": "уровни образования",
    "login_failure": "неудачные попытки входа", "mark": "отметки", "nomenclature_item": "дела номенклатуры", "order_student": "обучающиеся в приказах", "order_template": "шаблоны приказов", "medal_entry": "записи книги выдачи медалей", "mark_import": "загрузки отметок",
    "mark_day_total": "итоги текущих отметок по предметам и дням",
    "paper_journal": "бумажные журналы", "pd_disclosure": "записи журнала выдачи персональных данных",
    "personal_file": "личные дела", "portfolio": "портфолио", "portfolio_item": "материалы портфолио",
    "register_book": "книги регистрации", "school": "карточка школы", "school_class": "классы",
    "school_order": "приказы", "spoiled_blank": "испорченные бланки", "stored_certificate": "аттестаты на хранении",
    "student": "обучающиеся", "student_guardian": "связи обучающихся и представителей", "subject": "предметы",
    "term": "учебные периоды", "user": "пользователи",
}


class RecordInUseError(DomainError):
    """A delete refused because other records still point at the row."""


def referring_rows(session, obj):
    """[(label, count)] of rows in other tables that point at `obj`, apart from its own parts deleted with it."""
    mapper = inspect(obj).mapper
    own_tables = set(mapper.tables)
    parts = set()
    for relation in mapper.relationships:
        if relation.secondary is not None:
            parts.add(relation.secondary.name)  # links (student ↔ guardian) go with either side
        elif relation.cascade.delete:
            parts.add(relation.mapper.local_table.name)  # its own parts (custody log, marks) go with it
    found = []
    for table in db.metadata.sorted_tables:
        # A register that keeps its line when the record goes (the alphabetical book) annuls it itself.
        if table in own_tables or table.name in parts or table.info.get("detached_on_delete"):
            continue
        for fk in table.foreign_keys:
            target = fk.column
            if target.table not in own_tables or not target.primary_key:
                continue
            value = getattr(obj, mapper.get_property_by_column(target).key)
            if value is None:
                continue
            count = session.execute(select(func.count()).select_from(table).where(fk.parent == value)).scalar()
            if count:
                found.append((TABLE_LABELS.get(table.name, table.name), count))
    return found


def deletion_refusal(session, obj):
    """A Russian message when `obj` must not be deleted (None when nothing points at it)."""
    found = referring_rows(session, obj)
    if not found:
        return None
    listed = ", ".join(f"{label} — {count:,}".replace(",", " ") for label, count in found)
    return (f"Запись «{obj}» не удалена: на неё ссылаются {listed}. "
            "Сначала измените или удалите эти записи (строгую отчётность — аннулируйте).")


@event.listens_for(Session, "before_flush")
def _refuse_deleting_referred_rows(session, flush_context, instances):
    if not session.deleted:
        return
    deleted = set(session.deleted)
    with session.no_autoflush:
        for obj in deleted:
            message = deletion_refusal(session, obj)
            if message:
                raise RecordInUseError(message)

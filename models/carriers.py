"""Carrier kinds with their retention rules, the carriers of every register, and their custody log."""
from calendar import isleap
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, event, func, inspect,
                        select)
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship

from .db import Versioned, db
from .words import years
from .users import utcnow
from .errors import DomainError

MEDIA = {"paper": "бумажный", "electronic": "электронный", "mixed": "бумажный и электронный"}
RETENTION_KINDS = {
    "years": "лет",
    "nomenclature": "по номенклатуре дел",
    "until_handover": "до передачи (выдачи)",
    "not_stored": "не хранится",
}
CLOCK_STARTS = {
    "created": "создание (открытие)",
    "closed": "закрытие (окончание)",
    "student_leaves": "выбытие обучающегося",
    "exam_date": "дата экзамена",
    "year_end": "окончание учебного года",
}
CARRIER_STATUSES = {"kept": "хранится", "handed_over": "передан (выдан)", "archived": "в архиве",
                    "destroyed": "уничтожен"}
# The statuses a user may choose; the others mean the carrier left the school, which only an act records
# (an approved destruction act, a handover act).
HELD_STATUSES = ("kept", "archived")
LEFT_STATUSES = ("handed_over", "destroyed")
# Fields only the act workflows write, whatever page, import or command asks (see _lock_left_statuses).
ACT_FIELDS = ("status", "destroyed_on", "destruction_act_id")
# A carrier entered by mistake may be deleted within this many days of its entry (config CARRIER_MISTAKE_DAYS).
DEFAULT_MISTAKE_DAYS = 30


class CarrierKind(Versioned, db.Model):
    """A row of the school's rules: the code holds no retention number outside the seed below."""

    __tablename__ = "carrier_kind"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    medium: Mapped[str] = mapped_column(String(12), default="paper")
    must_store: Mapped[bool] = mapped_column(Boolean, default=True)
    retention_kind: Mapped[str] = mapped_column(String(16), default="years")
    retention_years: Mapped[int | None] = mapped_column(Integer)
    clock_start: Mapped[str | None] = mapped_column(String(16))
    nomenclature_index: Mapped[str | None] = mapped_column(String(30))
    # The item of the nomenclature of files this kind is filed under; the act reads its index and article.
    nomenclature_item_id: Mapped[int | None] = mapped_column(ForeignKey("nomenclature_item.id"), index=True)
    needs_destruction_act: Mapped[bool] = mapped_column(Boolean, default=True)
    strict_accountability: Mapped[bool] = mapped_column(Boolean, default=False)
    keeper: Mapped[str | None] = mapped_column(String(300))
    source_clause: Mapped[str | None] = mapped_column(String(300))
    # The article of the retention list (e.g. «ст. 457 Перечня 2019»), printed in column 7 of a destruction act;
    # the school fills it from its own nomenclature, the seed leaves it empty rather than guess.
    list_article: Mapped[str | None] = mapped_column(String(300))
    nomenclature_item = relationship("NomenclatureItem", back_populates="kinds")

    def rule_text(self):
        if self.retention_kind == "years" and self.retention_years:
            start = CLOCK_STARTS.get(self.clock_start, "")
            return f"{years(self.retention_years)} с события «{start}»" if start else years(self.retention_years)
        if self.retention_kind == "nomenclature" and self.retention_years:
            return f"по номенклатуре ({self.nomenclature_index or 'без индекса'}): {years(self.retention_years)}"
        return RETENTION_KINDS.get(self.retention_kind, self.retention_kind)

    def __str__(self):
        return self.name


# The defaults of DOMAIN.md; a school edits them in the «Виды носителей» register.
# code, name, medium, must_store, retention_kind, years, clock_start, strict, needs_act, keeper, source
DEFAULT_KINDS = (
    ("personal_file", "Личное дело обучающегося", "paper", True, "years", 3, "student_leaves", False, True,
     "секретарь, приёмная директора, по классам в алфавитном порядке", "000 §2.2.3; 003 §2; 004 §1.7–1.9"),
    ("gia_protocol", "Протокол ГИА (ознакомление с результатами)", "paper", True, "years", 1, "exam_date", False,
     True, "заместитель директора", "000 §2.2.4"),
    ("certificate_book", "Книга регистрации выданных аттестатов", "paper", True, "years", 50, "closed", True,
     True, "ответственный, назначенный приказом; сейф", "000 §2.2.5; 001 §3.3"),
    ("stored_certificate", "Аттестат ООО, принятый на хранение", "paper", True, "until_handover", None, None,
     True, False, "ответственный, назначенный приказом; сейф", "001 §3.4"),
    ("study_certificate_book", "Книга регистрации справок об обучении", "paper", True, "nomenclature", None,
     "closed", True, True, "секретарь", "004 §1.13"),
    ("medal_book", "Книга учёта выдачи медалей", "paper", True, "nomenclature", None, "closed", True, True,
     "ответственный, назначенный приказом", "002 §4.3.1"),
    ("final_essay_protocol", "Протокол итогового сочинения (изложения)", "paper", True, "nomenclature", None,
     "exam_date", False, True, "заместитель директора", "002 §4.3.1"),
    ("oral_interview_protocol", "Протокол итогового собеседования", "paper", True, "nomenclature", None,
     "exam_date", False, True, "заместитель директора", "002 §4.3.1"),
    ("paper_journal", "Журнал (факультатив, внеурочная, кружок, на дому, ИГЗ, спецкурс)", "paper", True,
     "nomenclature", None, "year_end", False, True, "заместитель директора", "001 §2.3; 002 §4.3.1"),
    ("summary_sheet", "Сводная ведомость успеваемости", "paper", True, "years", 25, "year_end", False, True,
     "заместитель директора", "001 §3.1.9"),
    ("final_mark_pages", "Распечатка итоговых отметок электронного журнала", "paper", True, "nomenclature", None,
     "year_end", False, True, "архив", "003 §2; 004 §2"),
    ("class_journal_print", "Распечатка электронного журнала класса за учебный год (прошита, заверена)", "paper",
     True, "nomenclature", None, "year_end", False, True, "архив", "004 §2; 003 §2"),
    ("ejournal_copy", "Архивная копия электронного журнала", "electronic", True, "years", 5, "created", False,
     True, "системный администратор; два сейфа", "001 §3.1.9; 003 §2"),
    ("portfolio", "Портфолио обучающегося", "mixed", False, "until_handover", None, None, False, False,
     "классный руководитель", "001 §3.5; 000 §2.4"),
    # 50 or 75 years in the lists the team saw quoted; the stricter figure, editable (primary text not read).
    ("admission_book", "Алфавитная книга записи обучающихся", "paper", True, "years", 75, "closed", True, True,
     "секретарь, приёмная директора; сейф", "DOMAIN.md «Алфавитная книга»; срок — уточнить по перечню"),
    ("pupil_orders", "Книга приказов по контингенту обучающихся", "paper", True, "years", 75, "closed", True, True,
     "секретарь, приёмная директора", "срок — уточнить по перечню (приказы по личному составу)"),
)


def seed_carrier_kinds(session):
    """Idempotent: add the default kinds that are missing; never overwrite a school's edits."""
    existing = set(session.scalars(select(CarrierKind.code)))
    for (code, name, medium, store, rkind, term, clock, strict, act, keeper, source) in DEFAULT_KINDS:
        if code not in existing:
            session.add(CarrierKind(code=code, name=name, medium=medium, must_store=store, retention_kind=rkind,
                                    retention_years=term, clock_start=clock, strict_accountability=strict,
                                    needs_destruction_act=act, keeper=keeper, source_clause=source))
    session.flush()


def add_years(start, years):
    """Same day `years` later; 29 February moves to 1 March, the later (stricter) reading."""
    target = start.year + years
    if start.month == 2 and start.day == 29 and not isleap(target):
        return date(target, 3, 1)
    return start.replace(year=target)


def clock_start_date(kind, carrier, student_left_on=None, year_ends_on=None, has_student=None):
    """The date the kind's clock starts for this carrier, or None when it has not started."""
    start = kind.clock_start
    if start == "created":
        return carrier.created_on
    if start == "closed":
        return carrier.closed_on
    if start == "exam_date":
        return carrier.event_on or carrier.created_on
    if start == "student_leaves":
        # A carrier of no particular student (rare) counts from its own closing.
        if has_student is None:
            has_student = carrier.student_id is not None
        return student_left_on if has_student else carrier.closed_on
    if start == "year_end":
        return year_ends_on or carrier.closed_on
    return None


def retention_end(kind, carrier, student_left_on=None, year_ends_on=None, has_student=None):
    """The last day the carrier must be kept, or None (kept until handed over, not stored, clock not started)."""
    if kind is None or not kind.must_store or kind.retention_kind not in ("years", "nomenclature"):
        return None
    if not kind.retention_years:
        return None
    start = clock_start_date(kind, carrier, student_left_on, year_ends_on, has_student)
    return add_years(start, kind.retention_years) if start else None


class Carrier(Versioned, db.Model):
    """One item of any register. Joined-table subclasses add what each register needs."""

    __tablename__ = "carrier"
    __table_args__ = (
        # The retention review and the home notices count 300,000 carriers by these columns: answered from
        # the index alone (see bench/run.py; migration «carrier and student indexes for large registers»).
        Index("ix_carrier_status_retention_end", "status", "retention_end", "kind_id", "annulled", "on_hold",
              "student_id"),
        # The review's expired groups (count, first and last dates per kind) from the index alone.
        Index("ix_carrier_kind_status_end", "kind_id", "status", "retention_end", "annulled", "on_hold", "student_id",
              "created_on", "event_on", "closed_on", "id"),
        Index("ix_carrier_on_hold_id", "on_hold", "id"),  # the review's «запрет на уничтожение» list
        # A register's list, newest first: PostgreSQL reads its page in this order instead of skipping every
        # other register's rows on the primary key (SQLite's kind index already holds the ids in order).
        # PostgreSQL also keeps the student in it: a register's name search then tests each entry's student
        # without reading the table (0.08 s → 0.01 s for a surname on 100,000 files).
        Index("ix_carrier_kind_id_id", "kind_id", "id", postgresql_include=["student_id"]),
        Index("ix_carrier_kind_status_id", "kind_id", "status", "id"),  # the same, filtered by status
        Index("ix_carrier_type_status", "type", "status", "annulled", "student_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(30), index=True)
    kind_id: Mapped[int] = mapped_column(ForeignKey("carrier_kind.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(50), index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    school_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    academic_year_id: Mapped[int | None] = mapped_column(ForeignKey("academic_year.id"), index=True)
    created_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    event_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="kept", index=True)
    # active_history: the custody log needs the old place even when the row was not loaded before the change.
    location: Mapped[str | None] = mapped_column(String(200), index=True, active_history=True)
    custodian_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True, active_history=True)
    # Stored, not computed per request: lists of 300,000 carriers filter and sort by it through an index.
    retention_end: Mapped[date | None] = mapped_column(Date, index=True)
    on_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_reason: Mapped[str | None] = mapped_column(String(300))
    destroyed_on: Mapped[date | None] = mapped_column(Date)
    destruction_act_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # When the entry was made in the panel (not the carrier's own date): the window for deleting a mistake.
    entered_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    annulled: Mapped[bool] = mapped_column(Boolean, default=False)
    annul_reason: Mapped[str | None] = mapped_column(String(300))
    annulled_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)

    kind = relationship("CarrierKind")
    student = relationship("Student")
    school_class = relationship("SchoolClass")
    academic_year = relationship("AcademicYear")
    custodian = relationship("User")
    # A carrier entered by mistake goes with its custody log (the audit log keeps both); without the cascade the
    # ORM tried to clear the log's carrier and the database refused every such delete.
    movements = relationship("CustodyMovement", back_populates="carrier", order_by="CustodyMovement.id",
                             cascade="all, delete-orphan")

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version, "polymorphic_on": cls.type, "polymorphic_identity": "carrier"}

    def describe(self):
        parts = [self.kind.name if self.kind else "Носитель"]
        if self.number:
            parts.append(f"№ {self.number}")
        if self.title:
            parts.append(self.title)
        if self.student is not None:
            parts.append(self.student.full_name)
        return ", ".join(parts)

    def __str__(self):
        return self.describe()


class CustodyMovement(db.Model):
    """Where a carrier went, from whom to whom, by whom and why; written by one hook for every kind."""

    __tablename__ = "custody_movement"
    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), index=True)
    moved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    from_location: Mapped[str | None] = mapped_column(String(200))
    to_location: Mapped[str | None] = mapped_column(String(200))
    from_holder: Mapped[str | None] = mapped_column(String(200))
    to_holder: Mapped[str | None] = mapped_column(String(200))
    moved_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(300))
    carrier = relationship("Carrier", back_populates="movements")

    def __str__(self):
        return f"{self.from_location or '—'} → {self.to_location or '—'}"


# --- one mechanism for every register: retention end, custody log, strict accountability ---------

RULE_FIELDS = ("must_store", "retention_kind", "retention_years", "clock_start")


class StrictAccountabilityError(DomainError):
    """A register of strict accountability lost an entry: refused, whoever asked."""


class ArchiveRuleError(StrictAccountabilityError):
    """A carrier would leave the archive (or its certified content change) without the act that allows it."""


@contextmanager
def act_workflow(session):
    """Inside: the workflow that has an act (handover, its reversal) may write the statuses locked elsewhere."""
    session.info["act_workflow"] = session.info.get("act_workflow", 0) + 1
    try:
        yield
    finally:
        session.info["act_workflow"] -= 1


def mistake_window_days():
    try:
        from flask import current_app

        return int(current_app.config.get("CARRIER_MISTAKE_DAYS", DEFAULT_MISTAKE_DAYS))
    except RuntimeError:  # outside an application (a script): the default
        return DEFAULT_MISTAKE_DAYS


RETENTION_HINT = ("Носитель выбывает из архива только по акту: истёкший срок хранения — через «Экспертизу сроков "
                  "хранения» и утверждённый акт о выделении к уничтожению, передача — через акт приёма-передачи "
                  "при выбытии.")


class NeverDeleted:
    """Rows of a register of strict accountability (acts, book entries, blanks): annulled or reversed, never
    deleted. The one flush hook below refuses a delete, whichever page, command or cascade asked for it."""

    deletion_message = "«{obj}» — запись документа строгой отчётности: она не удаляется."
    deletion_error = StrictAccountabilityError


def refresh_retention(session, carrier):
    from .people import AcademicYear, Student

    # Objects may be linked by relationship (ids not synced before the flush) or by id (forms).
    with session.no_autoflush:
        kind = carrier.kind or (session.get(CarrierKind, carrier.kind_id) if carrier.kind_id else None)
        student = carrier.student or (session.get(Student, carrier.student_id) if carrier.student_id else None)
        year = carrier.academic_year or (
            session.get(AcademicYear, carrier.academic_year_id) if carrier.academic_year_id else None)
    value = retention_end(kind, carrier, student.left_on if student else None, year.ends_on if year else None,
                          has_student=student is not None)
    if carrier.retention_end != value:
        carrier.retention_end = value


def _changed(obj, *keys):
    state = inspect(obj)
    return any(state.attrs[key].history.has_changes() for key in keys)


def _holder_name(session, user_id):
    from .users import User

    if not user_id:
        return None
    with session.no_autoflush:
        user = session.get(User, user_id)
    return user.full_name if user else None


def _track_custody(session, carrier, is_new):
    from .audit import current_actor

    state = inspect(carrier)
    loc = state.attrs["location"].history
    # The holder may be set by id (forms) or by object (workflows); both count.
    holder_ids, holder_objs = state.attrs["custodian_id"].history, state.attrs["custodian"].history
    holder_changed = holder_ids.has_changes() or holder_objs.has_changes()
    if not is_new and not (loc.has_changes() or holder_changed):
        return
    with session.no_autoflush:
        new_holder = carrier.custodian.full_name if carrier.custodian is not None else _holder_name(
            session, carrier.custodian_id)
    if is_new:
        if not carrier.location and new_holder is None:
            return
        old_loc, old_holder = None, None
    else:
        old_loc = loc.deleted[0] if loc.deleted else carrier.location
        if holder_objs.deleted and holder_objs.deleted[0] is not None:
            old_holder = holder_objs.deleted[0].full_name
        elif holder_ids.deleted:
            old_holder = _holder_name(session, holder_ids.deleted[0])
        else:
            old_holder = new_holder
    session.add(CustodyMovement(
        carrier=carrier, from_location=old_loc, to_location=carrier.location, from_holder=old_holder,
        to_holder=new_holder, moved_by=current_actor()[1],
        reason=getattr(carrier, "movement_reason", None) or ("поступление на хранение" if is_new else None)))


@event.listens_for(Session, "before_flush")
def _carrier_bookkeeping(session, flush_context, instances):
    from .people import Student

    kinds, students = set(), set()
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Carrier):
            is_new = obj in session.new
            if not is_new and _changed(obj, "annulled") and not obj.annulled:
                raise StrictAccountabilityError("Аннулированная запись не восстанавливается: создайте новую.")
            if obj.annulled and obj.annulled_at is None:
                obj.annulled_at = utcnow()
            if not session.info.get("act_workflow"):
                _lock_left_statuses(session, obj, is_new)
            refresh_retention(session, obj)
            _track_custody(session, obj, is_new)
        elif isinstance(obj, CarrierKind) and obj not in session.new and _changed(obj, *RULE_FIELDS):
            kinds.add(obj.id)
        elif isinstance(obj, Student) and obj not in session.new and _changed(obj, "left_on"):
            students.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, NeverDeleted):
            raise obj.deletion_error(obj.deletion_message.format(obj=obj))
        if isinstance(obj, Carrier):
            kind = session.get(CarrierKind, obj.kind_id)
            if kind is not None and kind.strict_accountability:
                raise StrictAccountabilityError(
                    f"«{kind.name}» — документ строгой отчётности: запись не удаляется, её можно только аннулировать.")
            refusal = deletion_refusal(session, obj)
            if refusal:
                raise ArchiveRuleError(f"«{obj}» не удалена: {refusal} {RETENTION_HINT}")
    if kinds or students:
        # A rule or a leaving date changed: every carrier it governs gets its end recomputed.
        with session.no_autoflush:
            query = select(Carrier).where(
                (Carrier.kind_id.in_(kinds)) | (Carrier.student_id.in_(students)))
            for carrier in session.scalars(query):
                refresh_retention(session, carrier)


def _lock_left_statuses(session, carrier, is_new):
    """«Уничтожен», «передан», «возвращён» are written by the act workflows alone (001 §3.1.9: destruction by an
    approved act; 002 §4.9, 001 §3.4.4: handover and return by an act), never by a form, an import or a command."""
    state = inspect(carrier)
    with session.no_autoflush:
        kind = carrier.kind or (session.get(CarrierKind, carrier.kind_id) if carrier.kind_id else None)
    act_text = "утверждённым актом о выделении к уничтожению" if kind is None or kind.needs_destruction_act \
        else "актом"
    if is_new:
        if (carrier.status or "kept") not in HELD_STATUSES or carrier.destroyed_on or carrier.destruction_act_id:
            raise ArchiveRuleError(
                f"Новая запись не может быть сразу «{CARRIER_STATUSES.get(carrier.status, carrier.status)}»: "
                f"носитель поступает на хранение со статусом «хранится» или «в архиве». {RETENTION_HINT}")
        if getattr(carrier, "returned_on", None) or getattr(carrier, "returned_to", None):
            raise ArchiveRuleError("Возврат аттестата записывается только актом приёма-передачи при выбытии.")
        return
    history = state.attrs["status"].history
    if history.has_changes():
        old = history.deleted[0] if history.deleted else None
        new = carrier.status
        if old in LEFT_STATUSES or new in LEFT_STATUSES:
            if new == "destroyed":
                raise ArchiveRuleError(f"Статус «уничтожен» ставится только {act_text}. {RETENTION_HINT}")
            if new == "handed_over":
                raise ArchiveRuleError(f"Статус «передан (выдан)» ставится только актом приёма-передачи. "
                                       f"{RETENTION_HINT}")
            raise ArchiveRuleError(
                f"Носитель «{CARRIER_STATUSES.get(old, old)}» по акту: его статус в форме не меняется.")
    if _changed(carrier, "destroyed_on", "destruction_act_id"):
        raise ArchiveRuleError(f"Дата и акт уничтожения записываются только {act_text}.")
    if "returned_on" in state.attrs and _changed(carrier, "returned_on", "returned_to", "return_order_id"):
        raise ArchiveRuleError("Возврат аттестата, принятого на хранение, записывается только актом "
                               "приёма-передачи при выбытии обучающегося.")


def deletion_refusal(session, carrier):
    """Why this carrier may not be deleted, or None: only an entry made by mistake goes, and only soon after."""
    from .leaving import HandoverActItem
    from .registers import AnnualCertification, ExamResult
    from .retention import destruction_line_carrier

    with session.no_autoflush:
        if carrier.status not in HELD_STATUSES or carrier.destruction_act_id:
            return "носитель уже выбыл из архива по акту."
        if carrier.entered_at is None or carrier.entered_at < utcnow() - timedelta(days=mistake_window_days()):
            return (f"удалить можно только запись, внесённую по ошибке не более {mistake_window_days()} дн. назад; "
                    "эта запись старше.")
        if session.scalar(select(AnnualCertification.id).where(
                AnnualCertification.personal_file_id == carrier.id).limit(1)) is not None:
            return "в личном деле есть годовые отметки, заверенные классным руководителем."
        if carrier.type == "exam_protocol" and session.scalar(select(ExamResult.id).where(
                ExamResult.protocol_id == carrier.id, ExamResult.seen_on.is_not(None)).limit(1)) is not None:
            return "обучающиеся уже расписались в протоколе об ознакомлении с результатами."
        moves = session.scalar(select(func.count(CustodyMovement.id)).where(CustodyMovement.carrier_id == carrier.id))
        if moves > 1:
            return "носитель уже перемещался (журнал хранения), это не ошибочная запись."
        if session.scalar(select(HandoverActItem.id).where(HandoverActItem.carrier_id == carrier.id).limit(1)) \
                is not None:
            return "носитель вписан в акт приёма-передачи."
        if session.scalar(select(destruction_line_carrier.c.carrier_id).where(
                destruction_line_carrier.c.carrier_id == carrier.id).limit(1)) is not None:
            return "носитель вписан в акт о выделении к уничтожению."
    return None


def kind_errors(*, retention_kind, retention_years, clock_start, must_store, name):
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Укажите название вида носителя."
    if retention_kind == "years":
        if not retention_years or retention_years < 1 or retention_years > 100:
            errors["retention_years"] = "Укажите срок хранения в годах: от 1 до 100."
        if not clock_start:
            errors["clock_start"] = "Укажите событие, с которого считается срок."
    if retention_kind == "nomenclature" and retention_years is not None and retention_years < 1:
        errors["retention_years"] = "Срок по номенклатуре — не меньше 1 года или пусто, пока он не установлен."
    if retention_kind in ("until_handover", "not_stored") and retention_years:
        errors["retention_years"] = "Для этого вида срок в годах не задаётся."
    if retention_kind == "not_stored" and must_store:
        errors["must_store"] = "Вид «не хранится» не может быть обязательным к хранению."
    return errors

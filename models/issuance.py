"""Certificate issuance: the book entries, blanks received and spoiled, and the workflows that number them."""
import re
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func, select,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from .carriers import Carrier, CarrierKind, NeverDeleted
from .db import Versioned, db
from .people import AcademicYear, Order, SchoolClass, Student, Subject, order_conflict, students_named
from .registers import AnnualMark, PersonalFile, RegisterBook
from .users import utcnow
from .errors import DomainError
from .attestation import MEDAL_DEGREES, AwardCriterion, MedalEntry, apply_awards, class_results, curriculum_rows

ENTRY_KINDS = {"certificate": "аттестат", "duplicate": "дубликат аттестата",
               "duplicate_appendix": "дубликат приложения к аттестату", "study_certificate": "справка об обучении"}
BLANK_KINDS = {"certificate": "бланк аттестата", "appendix": "бланк приложения к аттестату"}
LEVELS = {"basic": "основное общее, ООО", "secondary": "среднее общее, СОО"}  # printed in brackets in the book title
LEVEL_GRADE = {"basic": 9, "secondary": 11}
CERTIFICATE_NAMES = {"basic": "Аттестат об основном общем образовании",
                     "secondary": "Аттестат о среднем общем образовании"}
RECIPIENT_KINDS = {"graduate": "лично выпускник", "guardian": "законный представитель",
                   "proxy": "иное лицо по доверенности", "post": "почтовым отправлением"}
DUPLICATE_REASONS = {"lost": "утрата", "damaged": "повреждение (порча)", "name_change": "смена фамилии (имени, отчества)",
                     "error": "ошибка в документе, обнаруженная после выдачи"}
# The certificate's scale: a graduate with «2» does not get a certificate, so «2» is outside it.
CERTIFICATE_MARKS = ("5", "4", "3", "зачтено")
STUDY_MARKS = ("5", "4", "3", "2", "зачтено", "незачтено", "осв")
BLANK_NUMBER = re.compile(r"^\d{14}$")
BLANK_SERIES = re.compile(r"^[0-9A-Za-zА-ЯЁа-яё-]{0,10}$")


class IssuanceError(DomainError):
    """Refused input: .errors maps a field (or a student's row) to a Russian message; nothing was saved."""


class BlankReceipt(NeverDeleted, Versioned, db.Model):
    """A batch of blanks received (series, number range, date, from whom): blanks outside it are refused."""

    __tablename__ = "blank_receipt"
    id: Mapped[int] = mapped_column(primary_key=True)
    blank_kind: Mapped[str] = mapped_column(String(12), default="certificate")
    level: Mapped[str] = mapped_column(String(10), default="basic")
    series: Mapped[str] = mapped_column(String(10), default="")
    number_from: Mapped[str] = mapped_column(String(14))
    number_to: Mapped[str] = mapped_column(String(14))
    received_on: Mapped[date] = mapped_column(Date)
    received_from: Mapped[str] = mapped_column(String(300))
    document: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(300))

    @property
    def quantity(self):
        try:
            return int(self.number_to) - int(self.number_from) + 1
        except (TypeError, ValueError):
            return 0

    def __str__(self):
        series = f"серия {self.series} " if self.series else ""
        return f"{BLANK_KINDS.get(self.blank_kind, self.blank_kind)}: {series}№ {self.number_from}–{self.number_to}"


class SpoiledBlank(NeverDeleted, db.Model):
    """A spoiled blank, recorded by kind, series and number; it can never be used again."""

    __tablename__ = "spoiled_blank"
    __table_args__ = (UniqueConstraint("blank_kind", "series", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    blank_kind: Mapped[str] = mapped_column(String(12))
    level: Mapped[str] = mapped_column(String(10))
    series: Mapped[str] = mapped_column(String(10), default="")
    number: Mapped[str] = mapped_column(String(14))
    spoiled_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The act writing the spoiled blank off (акт о списании); until then it waits in the safe.
    write_off_act: Mapped[str | None] = mapped_column(String(50))
    written_off_on: Mapped[date | None] = mapped_column(Date)

    def __str__(self):
        return f"{BLANK_KINDS.get(self.blank_kind, self.blank_kind)} № {self.number} (испорчен)"


class CertificateBookEntry(NeverDeleted, Versioned, db.Model):
    """One line of a certificate book or of the study-certificate book (the columns of order № 546, п. 24)."""

    __tablename__ = "certificate_book_entry"
    # The database itself is the last guard against two officers at the same instant: one number per book
    # line, one valid original per pupil and level, one use per blank (an annulled entry frees them).
    __table_args__ = (
        UniqueConstraint("book_id", "reg_number"),
        Index("uq_certificate_entry_original", "student_id", "level", unique=True,
              sqlite_where=text("entry_kind = 'certificate' AND annulled = 0"),
              postgresql_where=text("entry_kind = 'certificate' AND NOT annulled")),
        Index("uq_certificate_entry_blank", "blank_series", "blank_number", unique=True,
              sqlite_where=text("blank_number IS NOT NULL AND annulled = 0"),
              postgresql_where=text("blank_number IS NOT NULL AND NOT annulled")),
        Index("uq_certificate_entry_appendix", "appendix_series", "appendix_number", unique=True,
              sqlite_where=text("appendix_number IS NOT NULL AND annulled = 0"),
              postgresql_where=text("appendix_number IS NOT NULL AND NOT annulled")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("register_book.id"), index=True)
    reg_number: Mapped[int] = mapped_column(Integer)
    entry_kind: Mapped[str] = mapped_column(String(20), default="certificate", index=True)
    level: Mapped[str | None] = mapped_column(String(10))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    school_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"))
    academic_year_id: Mapped[int | None] = mapped_column(ForeignKey("academic_year.id"), index=True)
    # Copied at issue time: the book keeps what was written on the blank, whatever changes later.
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    blank_series: Mapped[str | None] = mapped_column(String(10))
    blank_number: Mapped[str | None] = mapped_column(String(14), index=True)
    appendix_series: Mapped[str | None] = mapped_column(String(10))
    appendix_number: Mapped[str | None] = mapped_column(String(14), index=True)
    honours: Mapped[bool] = mapped_column(Boolean, default=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id"))
    order_number: Mapped[str | None] = mapped_column(String(50))
    order_date: Mapped[date | None] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    recipient_kind: Mapped[str] = mapped_column(String(10), default="graduate")
    recipient_name: Mapped[str | None] = mapped_column(String(300))
    recipient_document: Mapped[str | None] = mapped_column(String(300))
    postal_number: Mapped[str | None] = mapped_column(String(50))
    postal_date: Mapped[date | None] = mapped_column(Date)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_book_entry.id"))
    duplicate_reason: Mapped[str | None] = mapped_column(String(20))
    duplicate_issued: Mapped[bool] = mapped_column(Boolean, default=False)
    studied_from: Mapped[date | None] = mapped_column(Date)
    studied_to: Mapped[date | None] = mapped_column(Date)
    # ФИС ФРДО: СНИЛС and citizenship (ОКСМ code, 643 = Россия) of the recipient, and when the entry was submitted.
    snils: Mapped[str | None] = mapped_column(String(14))
    citizenship: Mapped[str | None] = mapped_column(String(3))
    frdo_sent_on: Mapped[date | None] = mapped_column(Date)
    annulled: Mapped[bool] = mapped_column(Boolean, default=False)
    annul_reason: Mapped[str | None] = mapped_column(String(300))
    annulled_at: Mapped[datetime | None] = mapped_column(DateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    book = relationship("RegisterBook")
    student = relationship("Student")
    school_class = relationship("SchoolClass")
    academic_year = relationship("AcademicYear")
    order = relationship("Order")
    issued_by = relationship("User")
    duplicate_of = relationship("CertificateBookEntry", remote_side=[id])
    marks = relationship("CertificateMark", back_populates="entry", cascade="all, delete-orphan",
                         order_by="[CertificateMark.year_name, CertificateMark.position, CertificateMark.id]")

    @property
    def full_name(self):
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def blank_text(self):
        return " ".join(p for p in (self.blank_series, self.blank_number) if p)

    @property
    def appendix_text(self):
        return " ".join(p for p in (self.appendix_series, self.appendix_number) if p)

    @property
    def recipient_text(self):
        kind = RECIPIENT_KINDS.get(self.recipient_kind, self.recipient_kind)
        if self.recipient_kind == "post":
            when = f" от {self.postal_date:%d.%m.%Y}" if self.postal_date else ""
            return f"почтовое отправление № {self.postal_number or '—'}{when}"
        if self.recipient_kind == "graduate":
            return kind
        parts = [kind, self.recipient_name or ""]
        if self.recipient_document:
            parts.append(self.recipient_document)
        return ", ".join(p for p in parts if p)

    def __str__(self):
        return f"№ {self.reg_number}: {self.full_name}"


class CertificateMark(db.Model):
    """A final mark written into the entry (for a study certificate: per year)."""

    __tablename__ = "certificate_mark"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("certificate_book_entry.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    subject_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # «2025/2026», or for the current year of a pupil leaving mid-year «2026/2027, 1 четверть».
    year_name: Mapped[str | None] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(12))
    # How the panel computed the mark (приказ № 546), and why the officer wrote another one, if so.
    computed_value: Mapped[str | None] = mapped_column(String(12))
    basis: Mapped[str | None] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(String(300))
    entry = relationship("CertificateBookEntry", back_populates="marks")

    def __str__(self):
        return f"{self.subject_name}: {self.value}"


# --- plain rules ----------------------------------------------------------------------------------

def snils_error(value):
    """Why a СНИЛС is wrong (Russian), or None: 11 digits whose last two are the checksum of the first nine."""
    digits = re.sub(r"[\s-]", "", value or "")
    if not re.fullmatch(r"\d{11}", digits):
        return f"СНИЛС — 11 цифр, например 112-233-445 95 (указано «{value or ''}»)."
    body, check = digits[:9], int(digits[9:])
    if int(body) > 1001998:  # the checksum applies to numbers above 001-001-998
        total = sum(int(d) * (9 - i) for i, d in enumerate(body))
        expected = total if total < 100 else (0 if total in (100, 101) else total % 101 % 100)
        if check != expected:
            return f"СНИЛС {value} не проходит проверку контрольного числа: проверьте цифры."
    return None


def format_snils(value):
    digits = re.sub(r"[\s-]", "", value or "")
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"


CITIZENSHIP = re.compile(r"^\d{3}$")


def frdo_details(session, *, entry_id, snils, citizenship):
    """СНИЛС and citizenship (ОКСМ code) of an entry for ФИС ФРДО; the change is audited like any other."""
    entry = session.get(CertificateBookEntry, entry_id) if entry_id else None
    if entry is None or entry.entry_kind == "study_certificate":
        raise IssuanceError({"entry": "Запись книги не найдена."})
    errors = {}
    snils = (snils or "").strip()
    if snils and snils_error(snils):
        errors["snils"] = snils_error(snils)
    citizenship = (citizenship or "").strip()
    if citizenship and not CITIZENSHIP.match(citizenship):
        errors["citizenship"] = "Гражданство — трёхзначный код по ОКСМ (643 — Российская Федерация)."
    if errors:
        raise IssuanceError(errors)
    entry.snils = format_snils(snils) if snils else None
    entry.citizenship = citizenship or None
    session.flush()
    return entry


def mark_frdo_sent(session, *, entry_ids, sent_on):
    """Record that these entries were submitted to ФИС ФРДО on that date (those already sent keep their date)."""
    if sent_on is None or sent_on > date.today():
        raise IssuanceError({"sent_on": "Укажите дату передачи в ФИС ФРДО (не в будущем)."})
    entries = [e for e in session.scalars(select(CertificateBookEntry).where(CertificateBookEntry.id.in_(entry_ids)))
               if e.frdo_sent_on is None]
    for entry in entries:
        entry.frdo_sent_on = sent_on
    session.flush()
    return entries


def original_of(entry):
    """The first issued attestat a chain of duplicates goes back to."""
    seen = set()
    while entry.duplicate_of is not None and entry.id not in seen:
        seen.add(entry.id)
        entry = entry.duplicate_of
    return entry


def graduation_year(entry):
    """«Год окончания» for ФИС ФРДО: the year the original attestat was issued for, whatever the duplicate's date."""
    original = original_of(entry)
    if original.academic_year is not None:
        return original.academic_year.ends_on.year
    return original.issued_on.year


def blank_number_error(number, label="бланка"):
    if not BLANK_NUMBER.match(number or ""):
        return f"Номер {label} — 14 цифр подряд, например 03224000012345 (указано «{number or ''}»)."
    return None


def open_books(session, kind_code, level=None):
    query = (select(RegisterBook).join(CarrierKind, RegisterBook.kind_id == CarrierKind.id)
             .where(CarrierKind.code == kind_code, RegisterBook.closed_on.is_(None),
                    RegisterBook.annulled.is_(False), RegisterBook.status != "destroyed")
             .order_by(RegisterBook.id))
    if level:
        query = query.where(RegisterBook.level == level)
    return list(session.scalars(query))


def _book(session, book_id, kind_code):
    book = session.get(RegisterBook, book_id) if book_id else None
    if book is None or book.kind is None or book.kind.code != kind_code:
        name = "книгу регистрации выданных аттестатов" if kind_code == "certificate_book" else \
            "книгу регистрации справок об обучении"
        raise IssuanceError({"book": f"Выберите {name}."})
    if book.closed_on is not None or book.annulled or book.status == "destroyed":
        raise IssuanceError({"book": f"Книга № {book.number or book.id} закрыта: записи в неё не вносятся."})
    if kind_code == "certificate_book" and book.level not in LEVELS:
        raise IssuanceError({"book": "У книги не указан уровень образования (ООО или СОО)."})
    return book


def lock_book(session, book_id):
    """Serialise numbering in one book: PostgreSQL locks the book's row; SQLite writers already hold the
    database lock from their first statement (BEGIN IMMEDIATE, see app.py)."""
    session.execute(select(Carrier.id).where(Carrier.id == book_id).with_for_update())


def next_registration_number(session, book_id):
    """The next consecutive number in the book; call after lock_book in the same transaction."""
    highest = session.scalar(select(func.max(CertificateBookEntry.reg_number))
                             .where(CertificateBookEntry.book_id == book_id))
    return (highest or 0) + 1


# --- blanks ------------------------------------------------------------------------------------------

def _norm_series(series):
    return (series or "").strip().upper()


def blank_receipt_errors(session, *, blank_kind, level, series, number_from, number_to, received_on,
                         received_from, receipt_id=None):
    errors = {}
    if blank_kind not in BLANK_KINDS:
        errors["blank_kind"] = "Укажите вид бланка."
    if level not in LEVELS:
        errors["level"] = "Укажите уровень образования (ООО или СОО)."
    if not BLANK_SERIES.match(_norm_series(series)):
        errors["series"] = "Серия — до 10 букв или цифр (оставьте пустой, если на бланке её нет)."
    for field, value in (("number_from", number_from), ("number_to", number_to)):
        message = blank_number_error((value or "").strip())
        if message:
            errors[field] = message
    if not errors and int(number_to) < int(number_from):
        errors["number_to"] = "Последний номер диапазона меньше первого."
    if received_on and received_on > date.today():
        errors["received_on"] = "Дата поступления не может быть в будущем."
    if not (received_from or "").strip():
        errors["received_from"] = "Укажите, от кого получены бланки."
    if not errors:
        for other in session.scalars(select(BlankReceipt).where(BlankReceipt.blank_kind == blank_kind,
                                                                BlankReceipt.series == _norm_series(series))):
            if other.id != receipt_id and int(other.number_from) <= int(number_to) and \
                    int(number_from) <= int(other.number_to):
                errors["number_from"] = f"Диапазон пересекается с уже учтённым поступлением: {other}."
                break
    return errors


def _used_numbers(session, blank_kind, series):
    column = CertificateBookEntry.blank_number if blank_kind == "certificate" else CertificateBookEntry.appendix_number
    series_col = CertificateBookEntry.blank_series if blank_kind == "certificate" else \
        CertificateBookEntry.appendix_series
    return set(session.scalars(select(column).where(column.is_not(None), func.coalesce(series_col, "") == series,
                                                    CertificateBookEntry.annulled.is_(False))))


def _spoiled_numbers(session, blank_kind, series):
    return set(session.scalars(select(SpoiledBlank.number).where(SpoiledBlank.blank_kind == blank_kind,
                                                                 SpoiledBlank.series == series)))


def blank_error(session, *, blank_kind, level, series, number, taken=()):
    """Why this blank cannot be used (Russian), or None. `taken` holds numbers claimed earlier in the same form."""
    label = "бланка аттестата" if blank_kind == "certificate" else "бланка приложения"
    number = (number or "").strip()
    series = _norm_series(series)
    message = blank_number_error(number, label)
    if message:
        return message
    if not BLANK_SERIES.match(series):
        return f"Серия {label} — до 10 букв или цифр."
    received = session.scalars(select(BlankReceipt).where(BlankReceipt.blank_kind == blank_kind,
                                                          BlankReceipt.level == level,
                                                          BlankReceipt.series == series))
    if not any(int(r.number_from) <= int(number) <= int(r.number_to) for r in received):
        return f"Бланк {label[6:]} {series + ' ' if series else ''}№ {number} не поступал в школу: сначала внесите его в журнал поступления бланков."
    if number in _spoiled_numbers(session, blank_kind, series):
        return f"Бланк № {number} записан как испорченный."
    if number in _used_numbers(session, blank_kind, series) or (blank_kind, series, number) in taken:
        return f"Бланк № {number} уже использован."
    return None


def remaining_blanks(session):
    """Per receipt: how many received, used, spoiled and left, and the free numbers as ranges."""
    report = []
    receipts = session.scalars(select(BlankReceipt).order_by(BlankReceipt.blank_kind, BlankReceipt.level,
                                                             BlankReceipt.received_on, BlankReceipt.id))
    for receipt in receipts:
        low, high = int(receipt.number_from), int(receipt.number_to)
        width = len(receipt.number_from)
        used = {int(n) for n in _used_numbers(session, receipt.blank_kind, receipt.series) if low <= int(n) <= high}
        spoiled = {int(n) for n in _spoiled_numbers(session, receipt.blank_kind, receipt.series)
                   if low <= int(n) <= high}
        ranges, start = [], None
        for n in range(low, high + 2):
            free = n <= high and n not in used and n not in spoiled
            if free and start is None:
                start = n
            elif not free and start is not None:
                ranges.append((str(start).zfill(width), str(n - 1).zfill(width)))
                start = None
        report.append({"receipt": receipt, "received": high - low + 1, "used": len(used), "spoiled": len(spoiled),
                       "left": high - low + 1 - len(used) - len(spoiled), "free_ranges": ranges})
    return report


def free_blank_numbers(session, blank_kind, level, count, report=None):
    """The first `count` free blanks of the level, as (series, number), to prefill the issuance grid.
    `report`: remaining_blanks() already computed for the same page."""
    found = []
    for row in report if report is not None else remaining_blanks(session):
        receipt = row["receipt"]
        if receipt.blank_kind != blank_kind or receipt.level != level:
            continue
        for low, high in row["free_ranges"]:
            for n in range(int(low), int(high) + 1):
                if len(found) >= count:
                    return found
                found.append((receipt.series, str(n).zfill(len(low))))
    return found


def latest_issuance_order(session, academic_year):
    """The year's latest order on issuance, offered in the form so that the officer need not retype it."""
    if academic_year is None:
        return None
    return session.scalar(select(Order).where(Order.kind == "issuance", Order.issued_on >= academic_year.starts_on,
                                              Order.issued_on <= academic_year.ends_on)
                          .order_by(Order.issued_on.desc(), Order.id.desc()).limit(1))


def write_off_spoiled(session, *, act_number, act_date, user_id=None):
    """Write off by one act every spoiled blank not yet written off; returns them (the act prints them)."""
    errors = {}
    if not (act_number or "").strip():
        errors["act_number"] = "Укажите номер акта о списании."
    if act_date is None or act_date > date.today():
        errors["act_date"] = "Укажите дату акта (не в будущем)."
    elif session.scalar(select(SpoiledBlank.id).where(SpoiledBlank.write_off_act == (act_number or "").strip())):
        errors["act_number"] = f"Акт № {act_number.strip()} уже составлен: укажите другой номер."
    blanks = list(session.scalars(select(SpoiledBlank).where(SpoiledBlank.write_off_act.is_(None))
                                  .order_by(SpoiledBlank.blank_kind, SpoiledBlank.level, SpoiledBlank.number)))
    if not blanks:
        errors["blanks"] = "Нет испорченных бланков, не списанных актом."
    if errors:
        raise IssuanceError(errors)
    for blank in blanks:
        blank.write_off_act, blank.written_off_on = act_number.strip(), act_date
    session.flush()
    return blanks


def record_spoiled_blank(session, *, blank_kind, level, series, number, spoiled_on, reason, user_id=None):
    series = _norm_series(series)
    errors = {}
    if blank_kind not in BLANK_KINDS:
        errors["blank_kind"] = "Укажите вид бланка."
    elif level not in LEVELS:
        errors["level"] = "Укажите уровень образования (ООО или СОО)."
    else:
        message = blank_error(session, blank_kind=blank_kind, level=level, series=series, number=number)
        if message:
            errors["number"] = message
    if not (reason or "").strip():
        errors["reason"] = "Укажите, почему бланк испорчен."
    if spoiled_on is None:
        errors["spoiled_on"] = "Укажите дату."
    if errors:
        raise IssuanceError(errors)
    record = SpoiledBlank(blank_kind=blank_kind, level=level, series=series, number=number.strip(),
                          spoiled_on=spoiled_on, reason=reason.strip(), recorded_by_id=user_id)
    session.add(record)
    session.flush()
    return record


# --- marks from the personal files -------------------------------------------------------------------

def graduates(session, school_class):
    """The class's students who have not left, alphabetically."""
    return list(session.scalars(select(Student).where(Student.school_class_id == school_class.id,
                                                      Student.status != "left")
                                .order_by(Student.last_name, Student.first_name, Student.middle_name)))


def class_level(school_class):
    return {9: "basic", 11: "secondary"}.get(school_class.grade) if school_class is not None else None


def basic_attestat_marks(session, student_ids):
    """{student_id: [final marks]} of the pupils' ООО attestats registered in this school (for the medal rule)."""
    if not student_ids:
        return {}
    entries = session.scalars(select(CertificateBookEntry).options(selectinload(CertificateBookEntry.marks))
                              .where(CertificateBookEntry.student_id.in_(student_ids),
                                     CertificateBookEntry.level == "basic",
                                     CertificateBookEntry.entry_kind == "certificate",
                                     CertificateBookEntry.annulled.is_(False)))
    return {e.student_id: [m.value for m in e.marks] for e in entries}


def issuance_grid(session, school_class, level=None):
    """(curriculum rows, [GraduateResult]) of a graduating class: final marks computed by № 546, ГИА, awards."""
    level = level or class_level(school_class)
    students = graduates(session, school_class)
    basic = basic_attestat_marks(session, [s.id for s in students]) if level == "secondary" else None
    return class_results(session, school_class, level, students, basic)


def curriculum(session, school_class):
    """The subjects the class's attestat lists, in the appendix's order (the level's curriculum)."""
    return [i.subject for i in curriculum_rows(session, class_level(school_class))]


def prefill(session, school_class):
    """{student_id: {subject_id: value}} of the computed final marks, for the form."""
    _, results = issuance_grid(session, school_class)
    return {r.student.id: {sid: (m.value or "") for sid, m in r.marks.items()} for r in results}


# --- orders and recipients ---------------------------------------------------------------------------

def issuance_order(session, number, issued_on):
    """The order on issuance by number and date, created (kind «issuance») if the register lacks it."""
    number = (number or "").strip()
    order = session.scalar(select(Order).where(Order.number == number, Order.issued_on == issued_on))
    if order is None:
        # Another officer may create the same order at this instant: a savepoint lets us take theirs.
        try:
            with session.begin_nested():
                order = Order(number=number, issued_on=issued_on, kind="issuance",
                              title="О выдаче документов об образовании")
                session.add(order)
        except IntegrityError:
            order = session.scalar(select(Order).where(Order.number == number, Order.issued_on == issued_on))
    return order


def _order_errors(session, order_number, order_date, issued_on):
    errors = {}
    if not (order_number or "").strip():
        errors["order_number"] = "Укажите номер приказа о выдаче."
    if order_date is None:
        errors["order_date"] = "Укажите дату приказа о выдаче."
    elif order_date > date.today():
        errors["order_date"] = "Дата приказа не может быть в будущем."
    if issued_on is None:
        errors["issued_on"] = "Укажите дату выдачи."
    elif order_date and issued_on < order_date:
        errors["issued_on"] = (f"Дата выдачи {issued_on:%d.%m.%Y} раньше даты приказа о выдаче "
                               f"{order_date:%d.%m.%Y}.")
    if not errors:
        # «№ 112-о от 27.11.2026» is one record: typed again it is reused, of another kind or date it is refused.
        _, problem = order_conflict(session, number=order_number, issued_on=order_date, accept=("issuance",))
        if problem:
            errors["order_number"] = problem
    return errors


def recipient_errors(recipient, prefix=""):
    """recipient: {kind, name, document, postal_number, postal_date}."""
    kind = recipient.get("kind") or "graduate"
    errors = {}
    if kind not in RECIPIENT_KINDS:
        errors["recipient_kind"] = f"{prefix}укажите, кто получает документ."
    elif kind in ("guardian", "proxy") and not (recipient.get("name") or "").strip():
        errors["recipient_name"] = f"{prefix}укажите ФИО получателя."
    elif kind == "proxy" and not (recipient.get("document") or "").strip():
        errors["recipient_document"] = f"{prefix}укажите доверенность (номер и дата)."
    elif kind == "post" and (not (recipient.get("postal_number") or "").strip() or not recipient.get("postal_date")):
        errors["postal_number"] = f"{prefix}укажите номер и дату почтового отправления."
    return errors


def _apply_recipient(entry, recipient):
    kind = recipient.get("kind") or "graduate"
    entry.recipient_kind = kind
    entry.recipient_name = (recipient.get("name") or "").strip() or None
    entry.recipient_document = (recipient.get("document") or "").strip() or None
    if kind == "post":
        entry.postal_number = (recipient.get("postal_number") or "").strip()
        entry.postal_date = recipient.get("postal_date")


def _copy_person(entry, student):
    entry.student_id = student.id
    entry.last_name, entry.first_name, entry.middle_name = student.last_name, student.first_name, student.middle_name
    entry.birth_date = student.birth_date


# A unique index names itself on PostgreSQL and its columns on SQLite: either way one message.
_UNIQUE_REFUSALS = (
    (("uq_certificate_entry_original", "certificate_book_entry.student_id"),
     ("аттестат этого уровня этому обучающемуся только что зарегистрировал другой сотрудник; "
      "при утрате оформляется дубликат")),
    (("uq_certificate_entry_blank", "certificate_book_entry.blank_number"),
     "бланк аттестата только что использован в другой записи"),
    (("uq_certificate_entry_appendix", "certificate_book_entry.appendix_number"),
     "бланк приложения только что использован в другой записи"),
    (("uq_certificate_book_entry_book_id", "certificate_book_entry.reg_number"),
     "номер записи в книге только что занят другим сотрудником, повторите регистрацию"),
)


def flush_entries(session, field):
    """Flush new book entries; the database refusing a second original or a reused blank (another officer at
    the same instant, in another book or past the checks) becomes an IssuanceError under `field`."""
    try:
        session.flush()
    except IntegrityError as exc:
        reason = str(exc.orig)
        for names, message in _UNIQUE_REFUSALS:
            if any(name in reason for name in names):
                raise IssuanceError({field: message[0].upper() + message[1:] + "."}) from exc
        raise


def _used_now(session, blank_kind, series, numbers):
    """Which of these blank numbers a valid entry holds now (re-read under the book's lock)."""
    column = CertificateBookEntry.blank_number if blank_kind == "certificate" else CertificateBookEntry.appendix_number
    series_col = CertificateBookEntry.blank_series if blank_kind == "certificate" else \
        CertificateBookEntry.appendix_series
    numbers = [n for n in numbers if n]
    if not numbers:
        return set()
    return set(session.scalars(select(column).where(column.in_(numbers), func.coalesce(series_col, "") == series,
                                                    CertificateBookEntry.annulled.is_(False))))


def _taken_meanwhile(session, level, student, blanks):
    """What another officer registered between the checks and the book's lock: Russian problems, or []."""
    problems = []
    if student is not None:
        existing = _existing_certificate(session, student.id, level)
        if existing is not None:
            problems.append(f"аттестат этого уровня уже выдан (запись № {existing.reg_number}); "
                            "при утрате оформляется дубликат")
    for kind, series, number in blanks:
        series, number = _norm_series(series), (number or "").strip()
        if number in _used_now(session, kind, series, [number]):
            label = "бланк аттестата" if kind == "certificate" else "бланк приложения"
            problems.append(f"{label} № {number} уже использован")
    return problems


def _existing_certificate(session, student_id, level):
    return session.scalar(select(CertificateBookEntry).where(
        CertificateBookEntry.student_id == student_id, CertificateBookEntry.level == level,
        CertificateBookEntry.entry_kind == "certificate", CertificateBookEntry.annulled.is_(False)))


# --- workflows ---------------------------------------------------------------------------------------

def register_class(session, *, book_id, class_id, order_number, order_date, issued_on, graduates_data,
                   user_id=None):
    """Register the class's certificates in the book in one go, with consecutive numbers.

    graduates_data: list of {student_id, marks {subject_id: value}, reasons {subject_id: why the officer changed the
    computed mark}, honours, medal (1, 2 or None), blank_series, blank_number, appendix_series, appendix_number,
    recipient {...}}. A subject missing from marks takes the computed final mark. Raises IssuanceError (nothing
    added) on bad input: a mark other than the computed one without a reason, a failed ГИА, an award not earned.
    """
    book = _book(session, book_id, "certificate_book")
    school_class = session.get(SchoolClass, class_id) if class_id else None
    if school_class is None:
        raise IssuanceError({"school_class": "Выберите выпускной класс."})
    if school_class.grade != LEVEL_GRADE[book.level]:
        raise IssuanceError({"school_class": f"В книгу «{LEVELS[book.level]}» вносятся аттестаты "
                                             f"{LEVEL_GRADE[book.level]}-х классов, а выбран {school_class.name}."})
    errors = _order_errors(session, order_number, order_date, issued_on)
    if not graduates_data:
        errors["graduates"] = "Не выбран ни один выпускник."
    items, results = issuance_grid(session, school_class, book.level)
    if not items:
        errors["curriculum"] = (f"Учебный план уровня «{LEVELS[book.level]}» не заполнен: заместитель директора "
                                "заполняет его в разделе «Выдача → Учебный план (предметы аттестата)».")
    by_student = {r.student.id: r for r in results}
    criteria = {c.code: c for c in session.scalars(select(AwardCriterion))}
    names = {i.subject.name: i.subject_id for i in items}
    basic = basic_attestat_marks(session, list(by_student)) if book.level == "secondary" else {}
    medal_book = None
    taken = set()
    final = {}
    for row in graduates_data:
        result = by_student.get(row.get("student_id"))
        if result is None:
            errors[f"student_{row.get('student_id')}"] = "Обучающийся не относится к выбранному классу."
            continue
        student = result.student
        key, who = f"student_{student.id}", f"{student.full_name}: "
        problems = []
        existing = _existing_certificate(session, student.id, book.level)
        if existing is not None:
            problems.append(f"аттестат этого уровня уже выдан (запись № {existing.reg_number}); "
                            "при утрате оформляется дубликат")
        if not result.gia_ok:
            problems.append("ГИА не пройдена (" + "; ".join(result.gia_problems) + "): аттестат не выдаётся, "
                            "выдаётся справка об обучении (ч. 12 ст. 60 273-ФЗ)")
        marks, reasons = row.get("marks") or {}, row.get("reasons") or {}
        values = {}
        for item in items:
            computed = result.marks[item.subject_id]
            name = item.subject.name
            value = (marks.get(item.subject_id) if item.subject_id in marks else computed.value) or ""
            value = str(value).strip()
            reason = (reasons.get(item.subject_id) or "").strip()
            if not value:
                problems.append(f"нет итоговой отметки по предмету «{name}»"
                                + (f" ({computed.problem})" if computed.problem else ""))
            elif value not in CERTIFICATE_MARKS + ("изучено",):
                problems.append(f"отметка «{value}» по предмету «{name}» вне шкалы аттестата "
                                f"(допустимы 5, 4, 3, «зачтено», «изучено»)")
            elif value != (computed.value or "") and not reason:
                how = computed.basis if computed.value else (computed.problem or "не рассчитана")
                problems.append(f"по предмету «{name}» рассчитана отметка «{computed.value or '—'}» ({how}); "
                                f"чтобы поставить «{value}», укажите причину исправления")
            values[item.subject_id] = (value, reason if value != (computed.value or "") else None)
        check = GraduateResultView(result)
        apply_awards(check, book.level, [v for v, _ in values.values()], criteria, names.get("Русский язык"),
                     names.get("Математика"), basic.get(student.id))
        if row.get("honours") and not check.honours:
            problems.append(f"аттестат с отличием не положен: {check.honours_reason}")
        medal = row.get("medal") or None
        if medal is not None:
            if book.level != "secondary" or medal not in MEDAL_DEGREES:
                problems.append("медаль выдаётся только выпускникам 11 класса, I или II степени")
            elif check.medal is None or medal != check.medal:
                problems.append(f"медаль {MEDAL_DEGREES[medal]} не положена: "
                                f"{check.medal_reason or 'по критериям положена медаль ' + MEDAL_DEGREES[check.medal]}")
            elif medal_book is None:
                books = open_books(session, "medal_book")
                if not books:
                    errors["medal_book"] = ("Нет открытой книги учёта выдачи медалей: заведите её в разделе "
                                            "«Носители → Книги регистрации».")
                else:
                    medal_book = books[0]
        for kind, series_key, number_key in (("certificate", "blank_series", "blank_number"),
                                             ("appendix", "appendix_series", "appendix_number")):
            message = blank_error(session, blank_kind=kind, level=book.level, series=row.get(series_key),
                                  number=row.get(number_key), taken=taken)
            if message:
                problems.append(message[0].lower() + message[1:].rstrip("."))
            taken.add((kind, _norm_series(row.get(series_key)), (row.get(number_key) or "").strip()))
        for message in recipient_errors(row.get("recipient") or {}).values():
            problems.append(message.rstrip("."))
        if problems:
            errors[key] = who + "; ".join(problems) + "."
        final[student.id] = values
    if errors:
        raise IssuanceError(errors)

    lock_book(session, book.id)
    # The checks above ran before the lock: what another officer registered meanwhile is read again.
    for row in graduates_data:
        student = by_student[row["student_id"]].student
        problems = _taken_meanwhile(session, book.level, student,
                                    [("certificate", row.get("blank_series"), row.get("blank_number")),
                                     ("appendix", row.get("appendix_series"), row.get("appendix_number"))])
        if problems:
            errors[f"student_{student.id}"] = f"{student.full_name}: " + "; ".join(problems) + "."
    if errors:
        raise IssuanceError(errors)
    order = issuance_order(session, order_number, order_date)
    number = next_registration_number(session, book.id)
    entries, medals = [], []
    for offset, row in enumerate(sorted(graduates_data, key=lambda r: (by_student[r["student_id"]].student.last_name,
                                                                        by_student[r["student_id"]].student.first_name))):
        result = by_student[row["student_id"]]
        student = result.student
        entry = CertificateBookEntry(book_id=book.id, reg_number=number + offset, entry_kind="certificate",
                                     level=book.level, school_class_id=school_class.id,
                                     academic_year_id=school_class.academic_year_id,
                                     blank_series=_norm_series(row.get("blank_series")),
                                     blank_number=row["blank_number"].strip(),
                                     appendix_series=_norm_series(row.get("appendix_series")),
                                     appendix_number=row["appendix_number"].strip(), honours=bool(row.get("honours")),
                                     order_id=order.id, order_number=order.number, order_date=order.issued_on,
                                     issued_on=issued_on, issued_by_id=user_id)
        _copy_person(entry, student)
        _apply_recipient(entry, row.get("recipient") or {})
        for position, item in enumerate(items):
            value, reason = final[student.id][item.subject_id]
            computed = result.marks[item.subject_id]
            entry.marks.append(CertificateMark(subject_id=item.subject_id, subject_name=item.subject.name,
                                               position=position, value=value, computed_value=computed.value,
                                               basis=(computed.basis or computed.problem or "")[:200] or None,
                                               override_reason=reason[:300] if reason else None))
        session.add(entry)
        entries.append(entry)
        if row.get("medal"):
            medals.append((entry, student, row["medal"]))
    flush_entries(session, "graduates")
    if medals:
        lock_book(session, medal_book.id)
        medal_number = next_medal_number(session, medal_book.id)
        for offset, (entry, student, degree) in enumerate(medals):
            session.add(MedalEntry(book_id=medal_book.id, reg_number=medal_number + offset, degree=degree,
                                   student_id=student.id, certificate_entry_id=entry.id,
                                   last_name=entry.last_name, first_name=entry.first_name,
                                   middle_name=entry.middle_name, birth_date=entry.birth_date,
                                   order_number=order.number, order_date=order.issued_on, awarded_on=issued_on,
                                   basis=f"аттестат № {entry.blank_text}, рег. № {entry.reg_number}",
                                   issued_by_id=user_id))
        session.flush()
    return entries


class GraduateResultView:
    """A copy of a pupil's ГИА outcome to re-check awards against the marks actually written (after corrections)."""

    def __init__(self, result):
        self.gia_ok, self.exams = result.gia_ok, result.exams
        self.honours, self.honours_reason, self.medal, self.medal_reason = False, "", None, ""


def next_medal_number(session, book_id):
    highest = session.scalar(select(func.max(MedalEntry.reg_number)).where(MedalEntry.book_id == book_id))
    return (highest or 0) + 1


def issue_duplicate(session, *, original_id, reason, blank_series, blank_number, appendix_series, appendix_number,
                    order_number, order_date, issued_on, recipient, book_id=None, new_names=None, user_id=None,
                    appendix_only=False):
    """A duplicate: a new entry with the next number, pointing at the original, which is flagged.
    `appendix_only`: a duplicate of the appendix alone, on an appendix blank only."""
    original = session.get(CertificateBookEntry, original_id) if original_id else None
    if original is None or original.entry_kind == "study_certificate":
        raise IssuanceError({"original": "Выберите запись книги, по которой выдаётся дубликат."})
    errors = {}
    if original.annulled:
        errors["original"] = f"Запись № {original.reg_number} аннулирована: дубликат по ней не выдаётся."
    if reason not in DUPLICATE_REASONS:
        errors["reason"] = ("Укажите причину выдачи дубликата: утрата, повреждение, смена фамилии или ошибка "
                            "в документе.")
    if reason == "name_change" and not (new_names or {}).get("last_name"):
        errors["last_name"] = "При смене фамилии укажите новую фамилию."
    try:
        book = _book(session, book_id or original.book_id, "certificate_book")
    except IssuanceError as exc:
        errors.update(exc.errors)
        book = None
    if book is not None and book.level != original.level:
        errors["book"] = "Дубликат регистрируется в книге того же уровня образования, что и подлинник."
    errors.update(_order_errors(session, order_number, order_date, issued_on))
    taken = set()
    if appendix_only and reason == "name_change":
        errors["reason"] = "При смене фамилии выдаётся дубликат аттестата вместе с приложением."
    for kind, series, number, field in (("certificate", blank_series, blank_number, "blank_number"),
                                        ("appendix", appendix_series, appendix_number, "appendix_number")):
        if appendix_only and kind == "certificate":
            continue
        message = blank_error(session, blank_kind=kind, level=original.level, series=series, number=number,
                              taken=taken)
        if message:
            errors[field] = message
        taken.add((kind, _norm_series(series), (number or "").strip()))
    errors.update(recipient_errors(recipient or {}))
    if errors:
        raise IssuanceError(errors)

    lock_book(session, book.id)
    problems = _taken_meanwhile(session, original.level, None,
                                [("certificate", blank_series, blank_number),
                                 ("appendix", appendix_series, appendix_number)])
    if problems:
        message = "; ".join(problems)
        raise IssuanceError({"blank_number": message[0].upper() + message[1:] + "."})
    order = issuance_order(session, order_number, order_date)
    entry = CertificateBookEntry(
        book_id=book.id, reg_number=next_registration_number(session, book.id),
        entry_kind="duplicate_appendix" if appendix_only else "duplicate",
        level=original.level, student_id=original.student_id, school_class_id=original.school_class_id,
        academic_year_id=original.academic_year_id, last_name=original.last_name, first_name=original.first_name,
        middle_name=original.middle_name, birth_date=original.birth_date,
        blank_series=None if appendix_only else _norm_series(blank_series),
        blank_number=None if appendix_only else blank_number.strip(),
        appendix_series=_norm_series(appendix_series), appendix_number=appendix_number.strip(),
        honours=original.honours, order_id=order.id, order_number=order.number, order_date=order.issued_on,
        issued_on=issued_on, duplicate_of_id=original.id, duplicate_reason=reason, issued_by_id=user_id)
    if reason == "name_change":
        entry.last_name = new_names["last_name"].strip()
        entry.first_name = (new_names.get("first_name") or "").strip() or original.first_name
        entry.middle_name = (new_names.get("middle_name") or "").strip() or original.middle_name
    _apply_recipient(entry, recipient or {})
    for mark in original.marks:
        entry.marks.append(CertificateMark(subject_id=mark.subject_id, subject_name=mark.subject_name,
                                           position=mark.position, year_name=mark.year_name, value=mark.value))
    original.duplicate_issued = True
    session.add(entry)
    flush_entries(session, "blank_number")
    return entry


def annul_entry(session, *, entry_id, reason, blanks_spoiled=False, user_id=None, today=None):
    """Annul an erroneous entry: it keeps its number and stays in the book; optionally its blanks become spoiled."""
    entry = session.get(CertificateBookEntry, entry_id) if entry_id else None
    if entry is None:
        raise IssuanceError({"entry": "Запись книги не найдена."})
    if entry.annulled:
        raise IssuanceError({"entry": f"Запись № {entry.reg_number} уже аннулирована."})
    if not (reason or "").strip():
        raise IssuanceError({"reason": "Укажите причину аннулирования."})
    entry.annulled = True
    entry.annul_reason = reason.strip()[:300]
    entry.annulled_at = utcnow()
    # A medal was awarded with this attestat: its line in the medal book is annulled with it, never deleted.
    for medal in session.scalars(select(MedalEntry).where(MedalEntry.certificate_entry_id == entry.id,
                                                          MedalEntry.annulled.is_(False))):
        medal.annulled = True
        medal.annul_reason = f"аннулирована запись № {entry.reg_number} книги аттестатов: {reason.strip()}"[:300]
    if blanks_spoiled:
        for kind, series, number in (("certificate", entry.blank_series, entry.blank_number),
                                     ("appendix", entry.appendix_series, entry.appendix_number)):
            if number:
                session.add(SpoiledBlank(blank_kind=kind, level=entry.level, series=series or "", number=number,
                                         spoiled_on=today or date.today(),
                                         reason=f"запись № {entry.reg_number} аннулирована: {reason.strip()}"[:300],
                                         recorded_by_id=user_id))
    session.flush()
    return entry


def study_marks(session, student_id):
    """[(year name, subject, value)] of the annual marks so far, by year and subject order."""
    query = (select(AnnualMark).join(PersonalFile, AnnualMark.personal_file_id == PersonalFile.id)
             .where(PersonalFile.student_id == student_id))
    marks = list(session.scalars(query))
    marks.sort(key=lambda m: (m.academic_year.starts_on, m.subject.position, m.subject.name))
    return marks


def current_term_marks(session, student, annual):
    """[(«2026/2027, 1 четверть», subject, value)]: the current year's term marks of a pupil leaving before the
    year's annual marks exist, so that the справка covers the year up to the leaving."""
    from .marks import Mark
    from .people import TERM_KINDS, Term

    klass = student.school_class
    if klass is None or any(m.academic_year_id == klass.academic_year_id for m in annual):
        return []
    rows = session.execute(select(Term, Subject, Mark.value, Mark.code).join(Mark, Mark.term_id == Term.id)
                           .join(Subject, Mark.subject_id == Subject.id)
                           .where(Mark.student_id == student.id, Mark.kind == "term",
                                  Term.academic_year_id == klass.academic_year_id, Mark.slot == 0)
                           .order_by(Term.starts_on, Subject.position, Subject.name))
    year = klass.academic_year
    return [(f"{year.name}, {term.number} {TERM_KINDS.get(term.kind, term.kind)}", subject,
             str(value) if value is not None else (code or ""))
            for term, subject, value, code in rows]


def issue_study_certificate(session, *, book_id, student_id, issued_on, studied_from, studied_to, recipient,
                            user_id=None):
    """A study certificate: the marks so far per year and subject, numbered in the study-certificate book."""
    errors = {}
    try:
        book = _book(session, book_id, "study_certificate_book")
    except IssuanceError as exc:
        errors.update(exc.errors)
    student = session.get(Student, student_id) if student_id else None
    if student is None:
        errors["student"] = "Выберите обучающегося."
    if issued_on is None:
        errors["issued_on"] = "Укажите дату выдачи."
    elif issued_on > date.today():
        errors["issued_on"] = "Дата выдачи не может быть в будущем."
    if studied_from is None or studied_to is None:
        errors["studied_from"] = "Укажите период обучения (с какой и по какую дату)."
    elif studied_to < studied_from:
        errors["studied_to"] = "Период обучения не может заканчиваться раньше, чем начинается."
    errors.update(recipient_errors(recipient or {}))
    marks = study_marks(session, student.id) if student is not None else []
    current = current_term_marks(session, student, marks) if student is not None else []
    if student is not None and not marks and not current:
        errors["student"] = f"В личном деле {student.full_name} нет годовых отметок: справке нечего содержать."
    for mark in marks:
        if mark.value not in STUDY_MARKS:
            errors["marks"] = f"Отметка «{mark.value}» по предмету «{mark.subject.name}» вне шкалы."
    if errors:
        raise IssuanceError(errors)
    lock_book(session, book.id)
    entry = CertificateBookEntry(book_id=book.id, reg_number=next_registration_number(session, book.id),
                                 entry_kind="study_certificate", level=None, school_class_id=student.school_class_id,
                                 academic_year_id=student.school_class.academic_year_id if student.school_class else None,
                                 issued_on=issued_on, studied_from=studied_from, studied_to=studied_to,
                                 issued_by_id=user_id)
    _copy_person(entry, student)
    _apply_recipient(entry, recipient or {})
    for position, mark in enumerate(marks):
        entry.marks.append(CertificateMark(subject_id=mark.subject_id, subject_name=mark.subject.name,
                                           position=mark.subject.position or position, year_name=mark.academic_year.name,
                                           value=mark.value))
    for position, (year_name, subject, value) in enumerate(current):
        entry.marks.append(CertificateMark(subject_id=subject.id, subject_name=subject.name,
                                           position=subject.position or position, year_name=year_name, value=value))
    session.add(entry)
    session.flush()
    return entry


STUDY_CANDIDATES_SHOWN = 50


def study_candidates(session, text=None, limit=STUDY_CANDIDATES_SHOWN):
    """Students who may need a study certificate: those who left, or whose marks include a «2» or «незачтено».

    A district has tens of thousands who left: without a name, the studying ones with such marks come first and then
    the latest leavers; with a name, the candidates whose ФИО holds its words, by name. At most `limit` either way."""
    failing_files = (select(PersonalFile.student_id).join(AnnualMark, AnnualMark.personal_file_id == PersonalFile.id)
                     .where(AnnualMark.value.in_(("2", "незачтено"))))
    studying = select(Student).where(Student.status != "left", Student.id.in_(failing_files))
    left = select(Student).where(Student.status == "left")
    named = students_named(session, text) if (text or "").strip() else None
    if named is not None:
        by_name = (Student.last_name, Student.first_name, Student.id)
        found = [*session.scalars(studying.where(named).order_by(*by_name).limit(limit)),
                 *session.scalars(left.where(named).order_by(*by_name).limit(limit))]
        return sorted(found, key=lambda s: (s.last_name, s.first_name, s.id))[:limit]
    # Two queries: the leavers come newest first from the (status, left_on) index instead of a sort of all of them.
    first = list(session.scalars(studying.order_by(Student.last_name, Student.first_name).limit(limit)))
    latest = session.scalars(left.order_by(Student.left_on.desc(), Student.last_name).limit(limit - len(first)))
    return first + list(latest)


def book_entries(session, book_id, class_id=None, marks=True):
    # The page shows each entry's marks: read them in one query, not one per entry. The printed book reads
    # them as plain rows itself (views/certificate_book_pdf.book_print_runs): `marks=False`.
    query = select(CertificateBookEntry).where(CertificateBookEntry.book_id == book_id)
    if marks:
        query = query.options(selectinload(CertificateBookEntry.marks))
    if class_id:
        query = query.where(CertificateBookEntry.school_class_id == class_id)
    return list(session.scalars(query.order_by(CertificateBookEntry.reg_number)))


def year_certificates(session, academic_year_id):
    """The year's issued certificates and duplicates (not annulled), for the ФИС ФРДО export."""
    year = session.get(AcademicYear, academic_year_id) if academic_year_id else None
    query = select(CertificateBookEntry).where(CertificateBookEntry.entry_kind.in_(("certificate", "duplicate")),
                                               CertificateBookEntry.annulled.is_(False))
    if year is not None:
        query = query.where(CertificateBookEntry.issued_on >= year.starts_on,
                            CertificateBookEntry.issued_on <= year.ends_on)
    return list(session.scalars(query.order_by(CertificateBookEntry.level, CertificateBookEntry.reg_number)))


# --- ФИС ФРДО: one line of the federal register's upload per book entry ---------------------------------

FRDO_COLUMNS = ["Название документа", "Вид документа", "Статус документа", "Подтверждение утраты",
                "Подтверждение обмена", "Уровень образования", "Серия документа", "Номер документа", "Дата выдачи",
                "Регистрационный номер", "Наименование образовательной организации", "Год окончания",
                "Фамилия получателя", "Имя получателя", "Отчество получателя", "Дата рождения получателя",
                "Пол получателя", "СНИЛС", "Гражданство (код ОКСМ)", "С отличием", "Серия оригинала", "Номер оригинала", "Регистрационный N оригинала",
                "Дата выдачи оригинала", "Фамилия получателя в оригинале", "Передано в ФИС ФРДО"]


def frdo_row(entry, school, year):
    original = original_of(entry) if entry.entry_kind in ("duplicate", "duplicate_appendix") else None
    sex = {"male": "Муж", "female": "Жен"}.get(entry.student.sex if entry.student else "", "")
    return [CERTIFICATE_NAMES.get(entry.level, ""), "Дубликат" if entry.entry_kind == "duplicate" else "Оригинал",
            "Выдан", "Да" if entry.duplicate_reason == "lost" else "Нет",
            "Да" if entry.duplicate_reason in ("damaged", "name_change", "error") else "Нет",
            "Основное общее образование" if entry.level == "basic" else "Среднее общее образование",
            entry.blank_series or "", entry.blank_number or "", entry.issued_on.strftime("%d.%m.%Y"),
            str(entry.reg_number), school.full_name if school else "",
            str(graduation_year(entry)), entry.last_name, entry.first_name,
            entry.middle_name or "", entry.birth_date.strftime("%d.%m.%Y"), sex, entry.snils or "",
            entry.citizenship or "", "Да" if entry.honours else "Нет",
            original.blank_series or "" if original else "", original.blank_number or "" if original else "",
            str(original.reg_number) if original else "",
            original.issued_on.strftime("%d.%m.%Y") if original else "", original.last_name if original else "",
            f"передано {entry.frdo_sent_on:%d.%m.%Y}" if entry.frdo_sent_on else "не передано"]

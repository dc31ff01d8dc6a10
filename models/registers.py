"""The registers' own fields: each is a joined-table kind of Carrier, plus their line items."""
import re
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .carriers import Carrier
from .db import Versioned, db

EXAMS = {"oge": "ОГЭ", "ege": "ЕГЭ", "gve9": "ГВЭ-9", "gve11": "ГВЭ-11"}
ESSAY_KINDS = {"final_essay_protocol": "итоговое сочинение (изложение)",
               "oral_interview_protocol": "итоговое собеседование по русскому языку"}
ESSAY_RESULTS = {"pass": "зачёт", "fail": "незачёт", "absent": "не явился"}
BOOK_LEVELS = {"basic": "основное общее (ООО)", "secondary": "среднее общее (СОО)"}
JOURNAL_KINDS = {"elective": "факультатив", "extracurricular": "внеурочная деятельность", "club": "кружок",
                 "home": "обучение на дому", "group_lessons": "индивидуально-групповые занятия",
                 "special_course": "спецкурс"}
CLASS_RECORD_KINDS = {"summary_sheet": "сводная ведомость успеваемости",
                      "final_mark_pages": "распечатка итоговых отметок электронного журнала"}
COPY_FORMATS = {"xlsx": "Excel (XLSX)", "pdf": "PDF", "csv": "CSV", "other": "иной"}
MEDIUM_TYPES = {"optical": "оптический диск", "flash": "флеш-накопитель", "server": "сервер / сетевая папка",
                "hdd": "внешний диск"}
PORTFOLIO_ITEM_KINDS = {"diploma": "диплом", "certificate": "грамота / сертификат", "olympiad": "олимпиада",
                        "contest": "конкурс", "gto": "ГТО", "project": "проект"}
PORTFOLIO_LEVELS = {"school": "школьный", "municipal": "муниципальный", "regional": "региональный",
                    "federal": "всероссийский", "international": "международный"}
PORTFOLIO_RESULTS = {"winner": "победитель", "prize": "призёр", "participant": "участник"}
MARK_VALUES = {"5": "5", "4": "4", "3": "3", "2": "2", "зачтено": "зачтено", "незачтено": "не зачтено",
               "осв": "освобождён"}


class PersonalFile(Carrier):
    __tablename__ = "personal_file"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    has_application: Mapped[bool] = mapped_column(Boolean, default=False)
    has_birth_certificate_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    has_medical_policy_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_card_location: Mapped[str | None] = mapped_column(String(200))
    annual_marks = relationship("AnnualMark", back_populates="personal_file", cascade="all, delete-orphan")
    certifications = relationship("AnnualCertification", back_populates="personal_file",
                                  cascade="all, delete-orphan")
    __mapper_args__ = {"polymorphic_identity": "personal_file"}


class AnnualMark(db.Model):
    """A year's final mark in one subject, written into the personal file."""

    __tablename__ = "annual_mark"
    __table_args__ = (UniqueConstraint("personal_file_id", "academic_year_id", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    personal_file_id: Mapped[int] = mapped_column(ForeignKey("personal_file.id", ondelete="CASCADE"), index=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    grade: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(12))
    personal_file = relationship("PersonalFile", back_populates="annual_marks")
    academic_year = relationship("AcademicYear")
    subject = relationship("Subject")

    def __str__(self):
        return f"{self.subject}: {self.value}"


class AnnualCertification(db.Model):
    """The class teacher's certification (signature and seal) of one year's marks."""

    __tablename__ = "annual_certification"
    __table_args__ = (UniqueConstraint("personal_file_id", "academic_year_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    personal_file_id: Mapped[int] = mapped_column(ForeignKey("personal_file.id", ondelete="CASCADE"), index=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"))
    certified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    certified_on: Mapped[date | None] = mapped_column(Date)
    personal_file = relationship("PersonalFile", back_populates="certifications")
    academic_year = relationship("AcademicYear")
    certified_by = relationship("User")

    def __str__(self):
        return f"{self.academic_year}: {self.certified_by or '—'}"


class ExamProtocol(Carrier):
    """GIA protocols and the final essay / oral interview protocols (the kind tells which)."""

    __tablename__ = "exam_protocol"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    exam: Mapped[str | None] = mapped_column(String(10))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    subject = relationship("Subject")
    results = relationship("ExamResult", back_populates="protocol", cascade="all, delete-orphan")
    __mapper_args__ = {"polymorphic_identity": "exam_protocol"}


class ExamResult(db.Model):
    __tablename__ = "exam_result"
    __table_args__ = (UniqueConstraint("protocol_id", "student_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("exam_protocol.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    primary_score: Mapped[int | None] = mapped_column(Integer)
    mark: Mapped[str | None] = mapped_column(String(12))
    seen_on: Mapped[date | None] = mapped_column(Date)
    protocol = relationship("ExamProtocol", back_populates="results")
    student = relationship("Student")

    def __str__(self):
        return f"{self.student}: {self.mark or self.primary_score or '—'}"


class StoredCertificate(Carrier):
    __tablename__ = "stored_certificate"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    series_number: Mapped[str] = mapped_column(String(30), unique=True)
    is_original: Mapped[bool] = mapped_column(Boolean, default=True)
    returned_on: Mapped[date | None] = mapped_column(Date)
    returned_to: Mapped[str | None] = mapped_column(String(200))
    return_order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id"))
    return_order = relationship("Order")
    __mapper_args__ = {"polymorphic_identity": "stored_certificate"}


class RegisterBook(Carrier):
    """Certificate books (one per level), the study-certificate book and the medal book."""

    __tablename__ = "register_book"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    level: Mapped[str | None] = mapped_column(String(10))
    __mapper_args__ = {"polymorphic_identity": "register_book"}


class PaperJournal(Carrier):
    __tablename__ = "paper_journal"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    journal_kind: Mapped[str] = mapped_column(String(20))
    group_name: Mapped[str | None] = mapped_column(String(200))
    teacher: Mapped[str | None] = mapped_column(String(200))
    __mapper_args__ = {"polymorphic_identity": "paper_journal"}


class ClassRecord(Carrier):
    """Summary grade sheets and the printed final-mark pages of the e-journal, per class and year."""

    __tablename__ = "class_record"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    pages: Mapped[int | None] = mapped_column(Integer)
    __mapper_args__ = {"polymorphic_identity": "class_record"}


class EjournalCopy(Carrier):
    __tablename__ = "ejournal_copy"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    file_format: Mapped[str] = mapped_column(String(10), default="xlsx")
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    term = relationship("Term")
    made_by = relationship("User", foreign_keys=[made_by_id])
    media = relationship("CopyMedium", back_populates="copy", cascade="all, delete-orphan",
                         order_by="CopyMedium.id")
    __mapper_args__ = {"polymorphic_identity": "ejournal_copy"}


VERIFY_RESULTS = {"ok": "совпадает", "mismatch": "не совпадает", "unreachable": "файл недоступен"}


class CopyMedium(db.Model):
    __tablename__ = "copy_medium"
    id: Mapped[int] = mapped_column(primary_key=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("ejournal_copy.id", ondelete="CASCADE"), index=True)
    medium_type: Mapped[str] = mapped_column(String(10), default="optical")
    location: Mapped[str] = mapped_column(String(200))
    file_path: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    verify_result: Mapped[str | None] = mapped_column(String(12))
    copy = relationship("EjournalCopy", back_populates="media")

    def __str__(self):
        return f"{MEDIUM_TYPES.get(self.medium_type, self.medium_type)}: {self.location}"


class Portfolio(Carrier):
    __tablename__ = "portfolio"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    items = relationship("PortfolioItem", back_populates="portfolio", cascade="all, delete-orphan",
                         order_by="PortfolioItem.achieved_on")
    __mapper_args__ = {"polymorphic_identity": "portfolio"}


class PortfolioItem(Versioned, db.Model):
    __tablename__ = "portfolio_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    portfolio_id: Mapped[int] = mapped_column(ForeignKey("portfolio.id", ondelete="CASCADE"), index=True)
    item_kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str | None] = mapped_column(String(14))
    result: Mapped[str | None] = mapped_column(String(12))
    achieved_on: Mapped[date | None] = mapped_column(Date)
    file_name: Mapped[str | None] = mapped_column(String(80))
    original_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(80))
    portfolio = relationship("Portfolio", back_populates="items")

    def __str__(self):
        return self.title


# --- numbering and validation rules -------------------------------------------------------------

PERSONAL_FILE_NUMBER = re.compile(r"^([А-ЯЁ])-(\d{1,5})$")


def suggest_personal_file_number(session, last_name):
    """«Б-15»: the surname's first letter and the next number used with that letter."""
    letter = (last_name or "").strip()[:1].upper()
    if not letter:
        return None
    numbers = session.scalars(select(Carrier.number).where(Carrier.type == "personal_file",
                                                           Carrier.number.like(f"{letter}-%")))
    highest = 0
    for number in numbers:
        match = PERSONAL_FILE_NUMBER.match(number or "")
        if match:
            highest = max(highest, int(match.group(2)))
    return f"{letter}-{highest + 1}"


def personal_file_errors(session, *, number, student_id, file_id=None):
    errors = {}
    number = (number or "").strip()
    if not PERSONAL_FILE_NUMBER.match(number):
        errors["number"] = "Номер личного дела записывается как буква фамилии, дефис и число, например «Б-15»."
    else:
        other = session.scalar(select(Carrier.id).where(Carrier.type == "personal_file", Carrier.number == number))
        if other is not None and other != file_id:
            errors["number"] = f"Личное дело № {number} уже есть."
        else:
            # The number is a line of the alphabetical book: another pupil's line is not this pupil's file.
            from .admission_book import AdmissionBookEntry

            letter, line = PERSONAL_FILE_NUMBER.match(number).groups()
            owner = session.scalar(select(AdmissionBookEntry.student_id).where(
                AdmissionBookEntry.letter == letter, AdmissionBookEntry.line_number == int(line)))
            if owner is not None and owner != student_id:
                errors["number"] = (f"Номер {number} в алфавитной книге уже есть: он записан за другим "
                                    f"обучающимся.")
    if not student_id:
        errors["student"] = "Укажите обучающегося."
    else:
        other = session.scalar(select(Carrier.id).where(Carrier.type == "personal_file",
                                                        Carrier.student_id == student_id,
                                                        Carrier.status != "destroyed"))
        if other is not None and other != file_id:
            errors["student"] = "У этого обучающегося уже есть личное дело."
    return errors


def annual_mark_error(value):
    if value not in MARK_VALUES:
        return (f"Отметка «{value}» вне шкалы: допустимы 5, 4, 3, 2, «зачтено», «незачтено», «осв».")
    return None


SERIES_NUMBER = re.compile(r"^\d{14}$")


def stored_certificate_errors(session, *, series_number, student_id, returned_on, returned_to, created_on,
                              certificate_id=None):
    errors = {}
    value = re.sub(r"\s+", "", series_number or "")
    if not SERIES_NUMBER.match(value):
        errors["series_number"] = "Серия и номер аттестата — 14 цифр подряд, например 03224000012345."
    else:
        other = session.scalar(select(StoredCertificate.id).where(StoredCertificate.series_number == value))
        if other is not None and other != certificate_id:
            errors["series_number"] = f"Аттестат {value} уже принят на хранение."
    if not student_id:
        errors["student"] = "Укажите обучающегося."
    if returned_on and not (returned_to or "").strip():
        errors["returned_to"] = "Укажите, кому возвращён аттестат."
    if returned_on and created_on and returned_on < created_on:
        errors["returned_on"] = "Аттестат не может быть возвращён раньше, чем принят."
    return errors


def copy_completeness(copy):
    """An e-journal copy is complete only on two media in two places, each with a checksum."""
    media = [m for m in copy.media if m.location and m.sha256]
    return len(media) >= 2 and len({m.location.strip().lower() for m in media}) >= 2


# --- scanned files of portfolio items ------------------------------------------------------------

UPLOAD_TYPES = {  # extension -> (content type, leading bytes)
    "pdf": ("application/pdf", (b"%PDF",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


def upload_error(original_name, head, size, max_bytes):
    """Russian message for a scan that must not be stored, or None. `head` is the file's first bytes."""
    ext = (original_name or "").rsplit(".", 1)[-1].lower() if "." in (original_name or "") else ""
    if ext not in UPLOAD_TYPES:
        return "Можно прикрепить только PDF, JPG или PNG."
    if size > max_bytes:
        return f"Файл больше допустимого размера ({max_bytes // (1024 * 1024)} МБ)."
    if size == 0 or not any(head.startswith(sig) for sig in UPLOAD_TYPES[ext][1]):
        return "Содержимое файла не похоже на PDF или изображение: проверьте файл."
    return None


def stored_upload_name(original_name):
    """A generated name: the user's name may hold Cyrillic or path parts; it is kept in a column instead."""
    import uuid

    ext = original_name.rsplit(".", 1)[-1].lower()
    return f"{uuid.uuid4().hex}.{ext}"

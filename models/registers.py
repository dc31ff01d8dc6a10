"""The registers' own fields: each is a joined-table kind of Carrier, plus their line items."""
import re
from datetime import date, datetime

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, event, inspect,
                        select)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .carriers import ArchiveRuleError, Carrier, NeverDeleted
from .db import Versioned, db
from .users import utcnow

EXAMS = {"oge": "ОГЭ", "ege": "ЕГЭ", "ege_base": "ЕГЭ (математика, базовый уровень)", "gve9": "ГВЭ-9",
         "gve11": "ГВЭ-11"}
# Which sitting of the exam a result is: a retake after an unsatisfactory result is told apart from a first
# sitting on a reserve day and from the retake to improve a result (Порядок ГИА-11, с 2024 г.); awards read it.
ATTEMPTS = {"main": "основной срок", "reserve": "резервный срок (первая сдача, неявка по уважительной причине)",
            "retake": "повторная сдача после неудовлетворительного результата",
            "improvement": "пересдача для улучшения результата"}
ESSAY_KINDS = {"final_essay_protocol": "итоговое сочинение (изложение)",
               "oral_interview_protocol": "итоговое собеседование по русскому языку"}
ESSAY_RESULTS = {"pass": "зачёт", "fail": "незачёт", "absent": "не явился"}
BOOK_LEVELS = {"basic": "основное общее, ООО", "secondary": "среднее общее, СОО"}
JOURNAL_KINDS = {"elective": "факультатив", "extracurricular": "внеурочная деятельность", "club": "кружок",
                 "home": "обучение на дому", "group_lessons": "индивидуально-групповые занятия",
                 "special_course": "спецкурс"}
CLASS_RECORD_KINDS = {"summary_sheet": "сводная ведомость успеваемости",
                      "final_mark_pages": "распечатка итоговых отметок электронного журнала",
                      "class_journal_print": "распечатка электронного журнала класса за учебный год"}
COPY_FORMATS = {"xlsx": "Excel (XLSX)", "pdf": "PDF", "csv": "CSV", "other": "иной"}
MEDIUM_TYPES = {"optical": "оптический диск", "flash": "флеш-накопитель", "server": "сервер / сетевая папка",
                "hdd": "внешний диск"}
PORTFOLIO_ITEM_KINDS = {"diploma": "диплом", "certificate": "грамота / сертификат", "olympiad": "олимпиада",
                        "contest": "конкурс", "gto": "ГТО", "project": "проект"}
PORTFOLIO_LEVELS = {"school": "школьный", "municipal": "муниципальный", "regional": "региональный",
                    "federal": "всероссийский", "international": "международный"}
PORTFOLIO_RESULTS = {"winner": "победитель", "prize": "призёр", "participant": "участник"}
MARK_VALUES = {"5": "5", "4": "4", "3": "3", "2": "2", "зачтено": "зачтено", "незачтено": "не зачтено",
               "осв": "освобождён", "н/а": "не аттестован"}
# Results of the intermediate assessment that make an academic debt (273-ФЗ ст. 58 ч. 2).
DEBT_VALUES = {"2": "unsatisfactory", "незачтено": "unsatisfactory", "н/а": "not_attested"}


class PersonalFile(Carrier):
    __tablename__ = "personal_file"
    id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), primary_key=True)
    has_application: Mapped[bool] = mapped_column(Boolean, default=False)
    has_birth_certificate_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    has_medical_policy_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_card_location: Mapped[str | None] = mapped_column(String(200))
    # Sheets of the yearly pages (личные карты) printed from the panel and filed in it: the sum of each year's
    # latest print (models/class_prints.register_card_print).
    card_pages: Mapped[int | None] = mapped_column(Integer)
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
    corrections = relationship("AnnualMarkCorrection", back_populates="annual_mark",
                               order_by="AnnualMarkCorrection.id")

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


class CertificationWithdrawal(NeverDeleted, db.Model):
    """The deputy's withdrawal of a class's year certification (empty or mistaken), with its reason: the
    certifications go, this record of why stays."""

    __tablename__ = "certification_withdrawal"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"))
    files: Mapped[int] = mapped_column(Integer, default=0)  # certifications withdrawn
    certified_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawn_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    school_class = relationship("SchoolClass")
    academic_year = relationship("AcademicYear")
    withdrawn_by = relationship("User")

    def __str__(self):
        return f"Отзыв заверения: {self.school_class}, {self.academic_year}"
class AnnualMarkCorrection(NeverDeleted, db.Model):
    """A certified annual mark corrected: the old value stays (crossed out on the page), «исправленному верить»,
    the reason, who and when, and the class teacher's certification of the correction (002 §4.9)."""

    __tablename__ = "annual_mark_correction"
    deletion_message = "Исправление годовой отметки «{obj}» — часть заверенного личного дела: оно не удаляется."
    deletion_error = ArchiveRuleError
    id: Mapped[int] = mapped_column(primary_key=True)
    annual_mark_id: Mapped[int] = mapped_column(ForeignKey("annual_mark.id"), index=True)
    old_value: Mapped[str] = mapped_column(String(12))
    new_value: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(500))
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    corrected_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    certified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    certified_on: Mapped[date | None] = mapped_column(Date)
    annual_mark = relationship("AnnualMark", back_populates="corrections")
    corrected_by = relationship("User", foreign_keys=[corrected_by_id])
    certified_by = relationship("User", foreign_keys=[certified_by_id])

    def __str__(self):
        return f"{self.old_value} → {self.new_value}"


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
    attempt: Mapped[str] = mapped_column(String(12), default="main", server_default="main")
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
    checks = relationship("CopyCheck", back_populates="medium", cascade="all, delete-orphan",
                          order_by="CopyCheck.id")

    def __str__(self):
        return f"{MEDIUM_TYPES.get(self.medium_type, self.medium_type)}: {self.location}"


class CopyCheck(db.Model):
    """One verification of a medium's file against its SHA-256 (`flask verify-copies`), kept with its date."""

    __tablename__ = "copy_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    medium_id: Mapped[int] = mapped_column(ForeignKey("copy_medium.id", ondelete="CASCADE"), index=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    result: Mapped[str] = mapped_column(String(12))
    medium = relationship("CopyMedium", back_populates="checks")

    def __str__(self):
        return f"{self.checked_at:%d.%m.%Y %H:%M}: {VERIFY_RESULTS.get(self.result, self.result)}"


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


def certified_years(session, file_id):
    """Ids of the academic years whose marks in this personal file the class teacher has certified."""
    return set(session.scalars(select(AnnualCertification.academic_year_id).where(
        AnnualCertification.personal_file_id == file_id)))


def annual_mark_error(value):
    if value not in MARK_VALUES:
        return (f"Отметка «{value}» вне шкалы: допустимы 5, 4, 3, 2, «зачтено», «незачтено», «осв», "
                "«н/а» (не аттестован).")
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


# --- certified annual marks are locked ------------------------------------------------------------

MARK_FIELDS = ("value", "subject_id", "academic_year_id", "personal_file_id", "grade")


def _old(obj, key):
    history = inspect(obj).attrs[key].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, key)


@event.listens_for(Session, "before_flush")
def _lock_certified_marks(session, flush_context, instances):
    """A year certified by the class teacher is closed: its marks change only through a correction
    (year_end.correct_annual_mark), whichever form, inline row, import or command tries otherwise."""
    if session.info.get("mark_correction"):
        return
    touched = []
    for obj in session.new:
        if isinstance(obj, AnnualMark):
            touched.append((obj.personal_file_id or (obj.personal_file.id if obj.personal_file else None),
                            obj.academic_year_id or (obj.academic_year.id if obj.academic_year else None)))
    for obj in session.dirty:
        if isinstance(obj, AnnualMark) and any(inspect(obj).attrs[k].history.has_changes() for k in MARK_FIELDS):
            touched.append((_old(obj, "personal_file_id"), _old(obj, "academic_year_id")))
            touched.append((obj.personal_file_id, obj.academic_year_id))
        elif isinstance(obj, AnnualCertification) and session.is_modified(obj):
            raise ArchiveRuleError("Заверение годовых отметок не меняется: ошибочная отметка исправляется "
                                   "отдельной записью об исправлении.")
        elif isinstance(obj, AnnualMarkCorrection) and session.is_modified(obj) and any(
                inspect(obj).attrs[k].history.has_changes() for k in ("old_value", "new_value", "reason",
                                                                      "annual_mark_id")):
            raise ArchiveRuleError("Запись об исправлении годовой отметки не меняется.")
    for obj in session.deleted:
        if isinstance(obj, AnnualMark):
            touched.append((_old(obj, "personal_file_id"), _old(obj, "academic_year_id")))
        elif isinstance(obj, AnnualCertification) and not session.info.get("certification_withdrawal"):
            # Only the deputy's withdrawal of an empty or mistaken certification (year_end.withdraw_certification),
            # which keeps its reason in a record of its own, takes a certification away.
            raise ArchiveRuleError("Заверение годовых отметок классным руководителем не удаляется.")
    keys = {key for key in touched if None not in key}
    if not keys:
        return
    with session.no_autoflush:
        for file_id, year_id in keys:
            certified = session.scalar(select(AnnualCertification).where(
                AnnualCertification.personal_file_id == file_id, AnnualCertification.academic_year_id == year_id))
            if certified is not None and certified not in session.new:
                when = f" {certified.certified_on:%d.%m.%Y}" if certified.certified_on else ""
                raise ArchiveRuleError(
                    f"Годовые отметки за {certified.academic_year} учебный год заверены классным руководителем{when}: "
                    "изменить или удалить заверенную отметку нельзя. Ошибка исправляется на странице «Годовые "
                    "отметки в личные дела» → «Исправить заверенную отметку»: новое значение, причина, "
                    "«исправленному верить» и заверение исправления.")


# --- scans on disk follow their rows ----------------------------------------------------------------

def upload_dir(folder="portfolio"):
    """Where scans are kept: instance/uploads/<folder> of the running application (portfolio, consents)."""
    from pathlib import Path

    from flask import current_app

    path = Path(current_app.instance_path) / "uploads" / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def portfolio_upload_dir():
    return upload_dir("portfolio")


def _scan_columns():
    """(model, column, folder) of every stored scan."""
    from .people import Guardian, Student

    return ((PortfolioItem, "file_name", "portfolio"), (Student, "pd_consent_file", "consents"),
            (Guardian, "pd_consent_file", "consents"))


def _remove_scans(scans):
    for folder_name, name in scans or ():
        try:
            folder = upload_dir(folder_name)
        except RuntimeError:  # no application: nothing was stored by this process
            return
        path = (folder / name).resolve()
        if folder.resolve() in path.parents:
            path.unlink(missing_ok=True)


@event.listens_for(Session, "before_flush")
def _track_scans(session, flush_context, instances):
    """A replaced or deleted scan leaves no file: the old file goes when the change commits, and a file saved
    for a change that rolls back goes too."""
    gone, fresh = session.info.setdefault("scans_gone", set()), session.info.setdefault("scans_new", set())
    for model, column, folder in _scan_columns():
        for obj in session.new:
            if isinstance(obj, model) and getattr(obj, column):
                fresh.add((folder, getattr(obj, column)))
        for obj in session.dirty:
            if isinstance(obj, model):
                history = inspect(obj).attrs[column].history
                if history.has_changes():
                    gone.update((folder, n) for n in history.deleted if n)
                    fresh.update((folder, n) for n in history.added if n)
        for obj in session.deleted:
            if isinstance(obj, model):
                name = _old(obj, column)
                if name:
                    gone.add((folder, name))


@event.listens_for(Session, "after_commit")
def _scans_after_commit(session):
    gone = session.info.pop("scans_gone", set())
    session.info.pop("scans_new", None)
    _remove_scans(gone)


@event.listens_for(Session, "after_rollback")
def _scans_after_rollback(session):
    session.info.pop("scans_gone", None)
    _remove_scans(session.info.pop("scans_new", set()))

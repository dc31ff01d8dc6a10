"""What the class prints hold (summary sheet, the year's journal pages, a personal file's year page), read from the
imported marks, and the carrier a print registers."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from .carriers import CarrierKind, seed_carrier_kinds
from .db import db
from .marks import Mark
from .people import AcademicYear, SchoolClass, Student, Subject, Term
from .registers import AnnualCertification, AnnualMark, ClassRecord, PersonalFile

# Columns of dates on one journal page: as a paper journal's spread holds about a month of lessons.
DATES_PER_PAGE = 26
# The print -> the carrier kind it registers in «Сводные ведомости и распечатки».
PRINT_CARRIER_KINDS = {"summary_sheet": "summary_sheet", "class_journal": "class_journal_print"}


class PersonalCardPrint(db.Model):
    """The latest print of a personal file's page of one year, with its page count: a reprint replaces it, so the
    file's sheet count (PersonalFile.card_pages) stays the sum of the pages actually filed."""

    __tablename__ = "personal_card_print"
    __table_args__ = (UniqueConstraint("personal_file_id", "academic_year_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    personal_file_id: Mapped[int] = mapped_column(ForeignKey("personal_file.id", ondelete="CASCADE"), index=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"))
    pages: Mapped[int] = mapped_column(Integer)
    printed_on: Mapped[date] = mapped_column(Date)


def register_card_print(session, *, file, year, pages, today=None):
    """Record the page count of a year's personal card on its personal file; return the file's sheet count.
    The caller commits."""
    record = session.scalar(select(PersonalCardPrint).where(PersonalCardPrint.personal_file_id == file.id,
                                                            PersonalCardPrint.academic_year_id == year.id))
    if record is None:
        record = PersonalCardPrint(personal_file_id=file.id, academic_year_id=year.id, pages=pages,
                                   printed_on=today or date.today())
        session.add(record)
    record.pages, record.printed_on = pages, today or date.today()
    session.flush()
    file.card_pages = session.scalar(select(func.sum(PersonalCardPrint.pages))
                                     .where(PersonalCardPrint.personal_file_id == file.id))
    session.flush()
    return file.card_pages


class PrintError(Exception):
    """A print that cannot be made; the message is Russian and shown to the user."""


def mark_text(value, code):
    return str(value) if value is not None else (code or "")


def load_class(session, class_id):
    school_class = session.get(SchoolClass, class_id) if class_id else None
    if school_class is None:
        raise PrintError("Выберите класс.")
    return school_class


def _class_marks(session, school_class, subject_id=None, kinds=None):
    year = school_class.academic_year
    query = (select(Mark.student_id, Mark.subject_id, Mark.kind, Mark.marked_on, Mark.slot, Mark.value, Mark.code,
                    Mark.term_id)
             .where(Mark.school_class_id == school_class.id, Mark.marked_on >= year.starts_on,
                    Mark.marked_on <= year.ends_on))
    if subject_id:
        query = query.where(Mark.subject_id == subject_id)
    if kinds:  # the summary reads the year's 600 final marks, not the 15,000 of the whole journal
        query = query.where(Mark.kind.in_(kinds))
    return session.execute(query.order_by(Mark.marked_on, Mark.slot)).all()


def _students(session, school_class, marks):
    """Those in the class now and those who had marks in it (a past year's class has moved on or left)."""
    marked = {m.student_id for m in marks}
    return list(session.scalars(
        select(Student).where(or_(Student.school_class_id == school_class.id, Student.id.in_(marked)))
        .order_by(Student.last_name, Student.first_name, Student.middle_name, Student.id)))


def _subjects(session, ids):
    if not ids:
        return []
    return list(session.scalars(select(Subject).where(Subject.id.in_(ids)).order_by(Subject.position, Subject.name)))


def _terms(session, year, marks):
    used = {m.term_id for m in marks if m.kind == "term"}
    return [t for t in session.scalars(select(Term).where(Term.academic_year_id == year.id)
                                       .order_by(Term.kind.desc(), Term.number)) if t.id in used]


def _final(marks_of):
    """The year's final mark of one student in one subject: the year mark, else the final one."""
    for kind in ("year", "final"):
        found = [m for m in marks_of if m.kind == kind]
        if found:
            return mark_text(found[0].value, found[0].code)
    return ""


def summary_sheet(session, school_class):
    """Rows of the сводная ведомость итоговых отметок: each pupil's final mark in each subject of the year."""
    marks = _class_marks(session, school_class, kinds=("year", "final"))
    by_pair = {}
    for m in marks:
        if m.kind in ("year", "final"):
            by_pair.setdefault((m.student_id, m.subject_id), []).append(m)
    if not by_pair:
        raise PrintError(f"В классе {school_class.name} за {school_class.academic_year} учебный год нет годовых "
                         "отметок: сначала загрузите итоговые отметки из электронного журнала.")
    subjects = _subjects(session, {s for _, s in by_pair})
    students = _students(session, school_class, marks)
    rows = []
    for student in students:
        finals = [_final(by_pair.get((student.id, s.id), [])) for s in subjects]
        rows.append({"student": student, "marks": finals,
                     "twos": sum(1 for v in finals if v == "2"), "not_attested": sum(1 for v in finals if v == "н/а")})
    return {"subjects": subjects, "rows": rows}


@dataclass
class JournalSubject:
    subject: Subject
    pages: list = field(default_factory=list)  # [(dates, [(student, [cell per date])])]
    terms: list = field(default_factory=list)
    finals: list = field(default_factory=list)  # [(student, [term marks], year mark)]


def class_journal(session, school_class, subject_id=None):
    """Per subject: the lesson dates with the marks as the journal has them, then term and year marks."""
    marks = _class_marks(session, school_class, subject_id)
    if not marks:
        raise PrintError(f"В классе {school_class.name} за {school_class.academic_year} учебный год нет отметок "
                         "электронного журнала: сначала загрузите их.")
    students = _students(session, school_class, marks)
    terms = _terms(session, school_class.academic_year, marks)
    by_subject = {}
    for m in marks:
        by_subject.setdefault(m.subject_id, []).append(m)
    result = []
    for subject in _subjects(session, by_subject):
        mine = by_subject[subject.id]
        current = {}
        for m in mine:
            if m.kind == "current":
                cell = current.setdefault((m.student_id, m.marked_on), [])
                cell.append(mark_text(m.value, m.code))
        dates = sorted({d for _, d in current})
        item = JournalSubject(subject=subject, terms=terms)
        for start in range(0, len(dates), DATES_PER_PAGE):
            chunk = dates[start:start + DATES_PER_PAGE]
            item.pages.append((chunk, [(s, ["/".join(current.get((s.id, d), ())) for d in chunk]) for s in students]))
        period_marks = {}
        for m in mine:
            if m.kind != "current":
                period_marks.setdefault(m.student_id, []).append(m)
        for student in students:
            own = period_marks.get(student.id, [])
            item.finals.append((student, [next((mark_text(m.value, m.code) for m in own
                                                if m.kind == "term" and m.term_id == t.id), "") for t in terms],
                                _final(own)))
        result.append(item)
    return {"subjects": result, "students": students}


def personal_card(session, student_id, year_id):
    """The personal file's page of one year: the file's annual marks and the class teacher's certification."""
    student = session.get(Student, student_id) if student_id else None
    year = session.get(AcademicYear, year_id) if year_id else None
    if student is None or year is None:
        raise PrintError("Выберите обучающегося и учебный год.")
    file = session.scalar(select(PersonalFile).where(PersonalFile.student_id == student.id,
                                                     PersonalFile.status != "destroyed"))
    if file is None:
        raise PrintError(f"У обучающегося {student.full_name} нет личного дела: заведите его в реестре «Личные дела».")
    marks = list(session.scalars(select(AnnualMark).join(Subject, Subject.id == AnnualMark.subject_id)
                                 .where(AnnualMark.personal_file_id == file.id, AnnualMark.academic_year_id == year.id)
                                 .order_by(Subject.position, Subject.name)))
    if not marks:
        raise PrintError(f"В личном деле № {file.number} нет годовых отметок за {year} учебный год: перенесите их "
                         "на странице «Годовые отметки в личные дела».")
    certification = session.scalar(select(AnnualCertification).where(
        AnnualCertification.personal_file_id == file.id, AnnualCertification.academic_year_id == year.id))
    grade = next((m.grade for m in marks if m.grade), None)
    return {"student": student, "year": year, "file": file, "marks": marks, "grade": grade,
            "certification": certification, "corrections": corrections(session, file, year)}


def corrections(session, file, year):
    """Corrections of certified marks, shown on the page as «исправленному верить».

    Hook: this branch has no record of corrections yet (issue 17 adds one); until then a certified page shows the
    marks as they stand. Return [(subject name, old value, new value, date, who)] once the record exists."""
    return []


def register_print(session, *, print_kind, school_class, pages, today=None):
    """Register (or update) the class's carrier of this print with its page count; return it. The caller commits."""
    code = PRINT_CARRIER_KINDS[print_kind]
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == code))
    if kind is None:  # a database seeded before this kind existed
        seed_carrier_kinds(session)
        kind = session.scalar(select(CarrierKind).where(CarrierKind.code == code))
    record = session.scalar(select(ClassRecord).where(ClassRecord.kind_id == kind.id,
                                                      ClassRecord.school_class_id == school_class.id,
                                                      ClassRecord.academic_year_id == school_class.academic_year_id,
                                                      ClassRecord.status != "destroyed",
                                                      ClassRecord.annulled.is_(False)))
    if record is None:
        record = ClassRecord(kind=kind, school_class=school_class, academic_year=school_class.academic_year,
                             created_on=today or date.today(), status="kept",
                             title=f"{kind.name}: {school_class.name}, {school_class.academic_year}")
        session.add(record)
    record.pages = pages
    session.flush()
    return record

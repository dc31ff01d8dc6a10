"""Marks imported from the e-journal, their import batches, and the rules for a mark's value and code."""
from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, SmallInteger, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db
from .users import utcnow

MARK_KINDS = {
    "current": "текущая",
    "term": "за четверть (полугодие)",
    "year": "годовая",
    "exam": "экзаменационная",
    "final": "итоговая",
}

# Attendance and attestation codes as the e-journals print them; stored as text, never as numbers.
# Key: the spelling folded to lower case; value: the stored code.
MARK_CODES = {
    "н": "н",        # не был на уроке
    "п": "п",        # пропуск по уважительной причине
    "б": "Б",        # болел (003: «Б» for illness)
    "оп": "оп",      # опоздал
    "уп": "УП",      # уважительная причина
    "н/а": "н/а",    # не аттестован (итоговые отметки)
    "зач": "зач",    # зачёт
    "осв": "осв",    # освобождён
}
CODE_LABELS = {"н": "не был", "п": "пропуск по уважительной причине", "Б": "болел", "оп": "опоздал",
               "УП": "уважительная причина", "н/а": "не аттестован", "зач": "зачтено", "осв": "освобождён"}

IMPORT_LAYOUTS = {
    "flat": "Плоская таблица (шаблон панели)",
    "journal": "Журнал класса по предмету",
    "student_report": "Отчёт об успеваемости и посещаемости ученика",
    "final_marks": "Итоговые отметки",
}
# Marks a journal prints with a «+» or «−» («5-», «4+») count as the whole mark.
MARK_SIGNS = "+-−–"


class MarkImport(db.Model):
    """One confirmed upload of an e-journal export; the original file is kept under instance/imports/."""

    __tablename__ = "mark_import"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    layout: Mapped[str] = mapped_column(String(20))
    added_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    # Marks of the covered class × subject × period that the file no longer has (deleted in the journal).
    removed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    user = relationship("User")
    academic_year = relationship("AcademicYear")

    def __str__(self):
        return f"Импорт отметок № {self.id}: {self.original_name}"


class Mark(db.Model):
    """One mark or attendance code of one student in one subject.

    Sized for millions of rows: no version column, no audit row per mark (the batch is audited through
    MarkImport), and indexes for the two ways it is read — by class and term, by student.
    """

    __tablename__ = "mark"
    __table_args__ = (
        # One slot per student, subject, kind and day; «3/5» fills slots 0 and 1. Every column is NOT NULL,
        # since NULLs never collide in a unique key and re-importing would then duplicate term marks.
        UniqueConstraint("student_id", "subject_id", "kind", "marked_on", "slot", name="uq_mark_slot"),
        CheckConstraint("value IS NULL OR (value >= 1 AND value <= 5)", name="value_range"),
        CheckConstraint("(value IS NULL) <> (code IS NULL)", name="value_or_code"),
        # The analysis reads by class and term (term marks) or class and dates (current marks), and school-wide
        # by term and subject; the unique key above serves reads by student.
        # (student and value too: the class summary's term marks per pupil come from the index alone)
        Index("ix_mark_class_kind_term", "school_class_id", "kind", "term_id", "student_id", "value"),
        Index("ix_mark_class_kind_date", "school_class_id", "kind", "marked_on"),
        Index("ix_mark_term_kind_subject", "term_id", "kind", "subject_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    # The class the mark was given in (a student changes class from year to year).
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    kind: Mapped[str] = mapped_column(String(10), default="current")
    # For a term/year/exam/final mark: the last day of its period, so the slot is never NULL.
    marked_on: Mapped[date] = mapped_column(Date)
    slot: Mapped[int] = mapped_column(SmallInteger, default=0)
    term_id: Mapped[int | None] = mapped_column(ForeignKey("term.id"))
    value: Mapped[int | None] = mapped_column(SmallInteger)
    code: Mapped[str | None] = mapped_column(String(5))
    weight: Mapped[float] = mapped_column(Numeric(4, 2), default=1)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("mark_import.id"), index=True)
    student = relationship("Student")
    subject = relationship("Subject")
    term = relationship("Term")

    def __str__(self):
        return f"{self.value if self.value is not None else self.code} ({self.marked_on:%d.%m.%Y})"



class MarkDayTotal(db.Model):
    """The current marks of one subject on one day, school-wide: their number, the sum of their weights and of
    value × weight. Kept by the database's triggers on `mark` (migration a7c4e2f19b35), so every way marks are
    written (the import's COPY, the demo, the CLI, plain SQL) keeps it; the whole-school analysis reads a period's
    subject averages from a few hundred of these rows instead of a term's 130,000+ marks. Never written here."""

    __tablename__ = "mark_day_total"
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), primary_key=True)
    marked_on: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    marks: Mapped[int] = mapped_column(Integer)
    weight_sum: Mapped[float] = mapped_column(Numeric(14, 2))
    weighted_sum: Mapped[float] = mapped_column(Numeric(16, 2))

def parse_cell(raw):
    """A journal cell -> (list of (value, code), error or None). «3/5» gives two marks; blanks give none."""
    if raw is None:
        return [], None
    if isinstance(raw, bool):  # a logical cell, as Russian Excel shows it
        return [], f"«{'ИСТИНА' if raw else 'ЛОЖЬ'}» — не отметка"
    if isinstance(raw, (int, float)):
        if float(raw).is_integer() and 1 <= int(raw) <= 5:
            return [(int(raw), None)], None
        return [], f"отметка «{_show(raw)}» вне шкалы 1–5"
    text = " ".join(str(raw).split())
    if not text:
        return [], None
    folded = text.lower()
    if folded in MARK_CODES:
        return [(None, MARK_CODES[folded])], None
    result = []
    for part in folded.split("/"):
        part = part.strip()
        if part.endswith(".0"):
            part = part[:-2]  # numbers stored as text by a spreadsheet: «5.0»
        if len(part) > 1 and part[-1] in MARK_SIGNS and part[:-1].isdigit():
            part = part[:-1]
        if part.isdigit():
            if 1 <= int(part) <= 5:
                result.append((int(part), None))
                continue
            return [], f"отметка «{text}» вне шкалы 1–5"
        if part in MARK_CODES:
            result.append((None, MARK_CODES[part]))
            continue
        return [], (f"«{text}» — не отметка: ожидается число от 1 до 5, несколько через «/» (например «3/5») "
                    f"или код посещаемости ({', '.join(sorted(set(MARK_CODES.values())))})")
    return result, None


def _show(value):
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def progress_context(session, student, year):
    """Current and period marks of one student for the year, grouped by subject (read in one query): the
    progress report's table."""
    from sqlalchemy import select

    from .people import Subject, Term

    rows = session.execute(
        select(Mark.subject_id, Mark.kind, Mark.marked_on, Mark.slot, Mark.value, Mark.code, Mark.term_id)
        .where(Mark.student_id == student.id, Mark.marked_on >= year.starts_on, Mark.marked_on <= year.ends_on)
        .order_by(Mark.subject_id, Mark.marked_on, Mark.slot)).all()
    terms = list(session.scalars(select(Term).where(Term.academic_year_id == year.id)
                                    .order_by(Term.kind.desc(), Term.number)))
    used_terms = [t for t in terms if any(r.term_id == t.id and r.kind == "term" for r in rows)]
    subjects = {s.id: s for s in session.scalars(select(Subject).where(
        Subject.id.in_({r.subject_id for r in rows})))} if rows else {}
    table = []
    for subject in sorted(subjects.values(), key=lambda s: (s.position, s.name)):
        mine = [r for r in rows if r.subject_id == subject.id]
        current = [r for r in mine if r.kind == "current" and r.value is not None]
        table.append({
            "name": subject.name,
            "current": ", ".join(str(r.value) for r in current),
            "average": round(sum(r.value for r in current) / len(current), 2) if current else None,
            "terms": [next((r.value or r.code for r in mine if r.kind == "term" and r.term_id == t.id), "")
                      for t in used_terms],
            "year": next((r.value or r.code for r in mine if r.kind == "year"), ""),
        })
    return {"table": table, "terms": used_terms}

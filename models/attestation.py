"""Final marks of the attestat by приказ № 546, the ГИА check, honours and medals (приказ № 730), the medal book.

The rules whose figures the team could not verify against a primary text are rows here (curriculum, ГИА minimums,
award criteria), edited by the deputy director; the code only applies them."""
from dataclasses import dataclass, field
from typing import NamedTuple
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from .carriers import NeverDeleted
from .db import Versioned, db
from .marks import Mark
from .people import AcademicYear, Level, SchoolClass, Student, Subject, Term
from .registers import EXAMS, AnnualMark, ExamProtocol, ExamResult, PersonalFile
from .users import utcnow

ATTESTAT_LEVELS = {"basic": "основное общее (ООО)", "secondary": "среднее общее (СОО)"}
LEVEL_CODES = {"basic": "ООО", "secondary": "СОО"}
# The grades in which a subject of the level may end (primary school never appears in an attestat).
LEVEL_GRADES = {"basic": (5, 9), "secondary": (10, 11)}
RESULT_KINDS = {"mark": "отметка (5, 4, 3)", "pass": "«зачтено»", "studied": "«изучено»"}
GIA_SCALES = {"mark": "отметка (2–5)", "score": "тестовый балл (0–100)"}
# The ГИА exams of each level: an exam of the other level is not this attestat's ГИА.
LEVEL_EXAMS = {"basic": ("oge", "gve9"), "secondary": ("ege", "ege_base", "gve11")}
AWARD_CODES = {"honours_basic": "аттестат ООО с отличием", "honours_secondary": "аттестат СОО с отличием",
               "medal_1": "медаль «За особые успехи в учении» I степени",
               "medal_2": "медаль «За особые успехи в учении» II степени"}
MEDAL_DEGREES = {1: "I степени", 2: "II степени"}


class AttestationError(ValueError):
    """Refused input: .errors maps a field to a Russian message; nothing was saved."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class CurriculumSubject(Versioned, db.Model):
    """A subject of the level's curriculum (учебный план) as the attestat lists it: its place in the appendix and
    the grade in which its study ends."""

    __tablename__ = "curriculum_subject"
    __table_args__ = (UniqueConstraint("level", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    last_grade: Mapped[int] = mapped_column(Integer)
    result_kind: Mapped[str] = mapped_column(String(10), default="mark")
    # Russian and mathematics: the ГИА in them is compulsory for the attestat.
    gia_required: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    subject = relationship("Subject")

    def __str__(self):
        return f"{LEVEL_CODES.get(self.level, self.level)}: {self.subject}"


class GiaMinimum(Versioned, db.Model):
    """The satisfactory ГИА result of an exam (in one subject, or in any when no subject is given)."""

    __tablename__ = "gia_minimum"
    id: Mapped[int] = mapped_column(primary_key=True)
    exam: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    scale: Mapped[str] = mapped_column(String(5), default="mark")
    minimum: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(300))
    subject = relationship("Subject")

    def __str__(self):
        return f"{EXAMS.get(self.exam, self.exam)}, {self.subject or 'любой предмет'}: не ниже {self.minimum}"


class AwardCriterion(Versioned, db.Model):
    """The conditions of an attestat «с отличием» or a medal, kept as data with their source."""

    __tablename__ = "award_criterion"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[str] = mapped_column(String(10))
    # How many final marks «4» the attestat may hold (no «3» ever).
    max_good: Mapped[int] = mapped_column(Integer, default=0)
    # The same for the pupil's ООО attestat (medals); empty: not checked.
    basic_max_good: Mapped[int | None] = mapped_column(Integer)
    russian_min: Mapped[int | None] = mapped_column(Integer)
    other_min: Mapped[int | None] = mapped_column(Integer)
    # Instead of the second score: the mark of the base-level mathematics ЕГЭ, when only Russian and it were taken.
    base_math_mark: Mapped[int | None] = mapped_column(Integer)
    # How a retaken ГИА exam counts (RETAKE_RULES); empty: every sitting counts, the best result.
    retake_rule: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self):
        return AWARD_CODES.get(self.code, self.code)


class MedalEntry(NeverDeleted, Versioned, db.Model):
    """One line of the book of medals issued (книга учёта выдачи медалей), numbered consecutively in its book."""

    __tablename__ = "medal_entry"
    __table_args__ = (UniqueConstraint("book_id", "reg_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("register_book.id"), index=True)
    reg_number: Mapped[int] = mapped_column(Integer)
    degree: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    certificate_entry_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_book_entry.id"))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    order_number: Mapped[str | None] = mapped_column(String(50))
    order_date: Mapped[date | None] = mapped_column(Date)
    awarded_on: Mapped[date] = mapped_column(Date)
    basis: Mapped[str | None] = mapped_column(String(500))
    annulled: Mapped[bool] = mapped_column(Boolean, default=False)
    annul_reason: Mapped[str | None] = mapped_column(String(300))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    book = relationship("RegisterBook")
    student = relationship("Student", backref="medals")
    certificate_entry = relationship("CertificateBookEntry")

    @property
    def full_name(self):
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def __str__(self):
        return f"№ {self.reg_number}: {self.full_name}, медаль {MEDAL_DEGREES.get(self.degree, '')}"


# --- seeds ---------------------------------------------------------------------------------------------

# The usual subjects of the ФООП учебные планы (приказы № 370 и № 371 от 18.05.2023) in the appendix's order, with
# the grade in which each ends. A school with another plan edits the rows.
USUAL_CURRICULUM = {
    "basic": [("Русский язык", 9, "mark", True), ("Литература", 9, "mark", False),
              ("Родной язык", 9, "mark", False), ("Иностранный язык (английский)", 9, "mark", False),
              ("Математика", 9, "mark", True), ("Вероятность и статистика", 9, "mark", False),
              ("Информатика", 9, "mark", False), ("История", 9, "mark", False), ("Обществознание", 9, "mark", False),
              ("География", 9, "mark", False), ("Физика", 9, "mark", False), ("Химия", 9, "mark", False),
              ("Биология", 9, "mark", False), ("Изобразительное искусство", 7, "mark", False),
              ("Музыка", 8, "mark", False), ("Труд (технология)", 9, "mark", False),
              ("Основы безопасности и защиты Родины", 9, "mark", False), ("Физическая культура", 9, "mark", False)],
    "secondary": [("Русский язык", 11, "mark", True), ("Литература", 11, "mark", False),
                  ("Иностранный язык (английский)", 11, "mark", False), ("Математика", 11, "mark", True),
                  ("Информатика", 11, "mark", False), ("История", 11, "mark", False),
                  ("Обществознание", 11, "mark", False), ("География", 11, "mark", False),
                  ("Физика", 11, "mark", False), ("Химия", 11, "mark", False), ("Биология", 11, "mark", False),
                  ("Физическая культура", 11, "mark", False),
                  ("Основы безопасности и защиты Родины", 11, "mark", False),
                  ("Индивидуальный проект", 11, "studied", False)],
}
_RON = "распоряжение Рособрнадзора о минимальных баллах (ежегодное); проверьте на текущий год"
GIA_MINIMUMS = [("oge", None, "mark", 3, "Порядок ГИА-9: отметка не ниже «3» (удовлетворительно)"),
                ("gve9", None, "mark", 3, "Порядок ГИА-9: отметка не ниже «3»"),
                ("gve11", None, "mark", 3, "Порядок ГИА-11: отметка не ниже «3»"),
                ("ege_base", None, "mark", 3, "Порядок ГИА-11: математика базового уровня — не ниже «3»"),
                ("ege", "Русский язык", "score", 24, _RON), ("ege", "Математика", "score", 27, _RON)]
_SOURCE_730 = ("приказ Минпросвещения № 730 от 29.09.2023, пп. 2–3 (по официальным пересказам; первичный текст не "
               "найден — сверьте); пересдача: см. правило пересдачи")
# How a retaken ГИА exam counts for an award. The primary text of № 730 was not available: the secondary sources
# (regional education offices, 2024) say that a graduate may retake one exam to improve the result, that a right
# to the medal already earned is kept when the retake is worse, and that a retake may bring the score needed —
# the better sitting counts. Whether a retake after an unsatisfactory result may earn a medal they do not say:
# the stricter reading is the default (DOMAIN.md: where sources differ, the stricter value), editable per criterion.
RETAKE_RULES = {
    "best": "засчитывается лучший результат из всех сдач, включая повторную после неудовлетворительного",
    "unsatisfactory_bars": "неудовлетворительный результат ГИА лишает права на награду, даже если повторная "
                           "сдача успешна; при пересдаче для улучшения засчитывается лучший результат",
}
RETAKE_SOURCE = ("правило пересдачи: приказ № 730 и Порядок ГИА-11 (пересдача для улучшения результата с 2024 г.) — "
                 "по вторичным источникам; повторная сдача после «2» — строгое прочтение, проверьте")
AWARD_SEEDS = [
    ("honours_basic", "basic", 0, None, None, None, None, "приказ Минпросвещения № 546 от 05.10.2020, п. 3"),
    ("honours_secondary", "secondary", 0, None, None, None, None,
     "приказ Минпросвещения № 546 от 05.10.2020, п. 4 (пороги ЕГЭ текущей редакции не проверены)"),
    ("medal_1", "secondary", 0, 0, 70, 70, 5, _SOURCE_730),
    ("medal_2", "secondary", 2, None, 60, 60, 5, _SOURCE_730),
]
MEDAL_RETAKE_RULE = "unsatisfactory_bars"


def seed_award_criteria(session):
    """Idempotent: the award criteria (no subjects needed)."""
    for code, level, max_good, basic_max_good, russian, other, base_math, source in AWARD_SEEDS:
        if session.scalar(select(AwardCriterion.id).where(AwardCriterion.code == code)) is None:
            session.add(AwardCriterion(code=code, level=level, max_good=max_good, basic_max_good=basic_max_good,
                                       russian_min=russian, other_min=other, base_math_mark=base_math, source=source,
                                       retake_rule=MEDAL_RETAKE_RULE if code.startswith("medal_") else None))
    session.flush()


def seed_curriculum(session):
    """Idempotent: the usual subjects, the curriculum of both levels and the ГИА minimums."""
    seed_award_criteria(session)
    subjects = {s.name: s for s in session.scalars(select(Subject))}
    top = max((s.position or 0 for s in subjects.values()), default=0)
    for level, rows in USUAL_CURRICULUM.items():
        if session.scalar(select(func.count(CurriculumSubject.id)).where(CurriculumSubject.level == level)):
            continue
        for position, (name, last_grade, result_kind, required) in enumerate(rows, 1):
            if name not in subjects:
                top += 1
                subjects[name] = Subject(name=name, position=top)
                session.add(subjects[name])
                session.flush()
            session.add(CurriculumSubject(level=level, subject_id=subjects[name].id, position=position,
                                          last_grade=last_grade, result_kind=result_kind, gia_required=required))
    if not session.scalar(select(func.count(GiaMinimum.id))):
        for exam, name, scale, minimum, source in GIA_MINIMUMS:
            subject = subjects.get(name) if name else None
            session.add(GiaMinimum(exam=exam, subject_id=subject.id if subject else None, scale=scale,
                                   minimum=minimum, source=source))
    session.flush()


# --- validation at every door --------------------------------------------------------------------------

def curriculum_errors(session, *, level, subject_id, last_grade, result_kind, row_id=None):
    errors = {}
    if level not in ATTESTAT_LEVELS:
        errors["level"] = "Укажите уровень: ООО или СОО (предметы начальной школы в аттестат не входят)."
        return errors
    low, high = LEVEL_GRADES[level]
    if last_grade is None or not low <= last_grade <= high:
        errors["last_grade"] = (f"Класс окончания изучения для {LEVEL_CODES[level]} — от {low} до {high} "
                                f"(указано «{last_grade if last_grade is not None else ''}»).")
    if result_kind not in RESULT_KINDS:
        errors["result_kind"] = "Укажите вид результата: отметка, «зачтено» или «изучено»."
    if not subject_id:
        errors["subject"] = "Укажите предмет."
    else:
        other = session.scalar(select(CurriculumSubject.id).where(CurriculumSubject.level == level,
                                                                  CurriculumSubject.subject_id == subject_id))
        if other is not None and other != row_id:
            errors["subject"] = "Этот предмет уже есть в учебном плане уровня."
    return errors


def gia_minimum_errors(session, *, exam, subject_id, scale, minimum, row_id=None):
    errors = {}
    if exam not in EXAMS:
        errors["exam"] = "Укажите форму ГИА (ОГЭ, ЕГЭ, ГВЭ)."
    if scale not in GIA_SCALES:
        errors["scale"] = "Укажите шкалу: отметка или тестовый балл."
    elif minimum is None or (scale == "mark" and not 2 <= minimum <= 5) or (scale == "score" and not 0 <= minimum <= 100):
        errors["minimum"] = "Минимум — отметка от 2 до 5 или балл от 0 до 100."
    if not errors:
        query = select(GiaMinimum.id).where(GiaMinimum.exam == exam)
        query = query.where(GiaMinimum.subject_id == subject_id) if subject_id else \
            query.where(GiaMinimum.subject_id.is_(None))
        other = session.scalar(query)
        if other is not None and other != row_id:
            errors["subject"] = "Минимум для этой формы ГИА и предмета уже задан."
    return errors


def award_criterion_errors(*, code, max_good, basic_max_good, russian_min, other_min, base_math_mark):
    errors = {}
    if code not in AWARD_CODES:
        errors["code"] = "Неизвестный вид награды."
    for name, value, high in (("max_good", max_good, 30), ("basic_max_good", basic_max_good, 30),
                              ("russian_min", russian_min, 100), ("other_min", other_min, 100),
                              ("base_math_mark", base_math_mark, 5)):
        if value is not None and not 0 <= value <= high:
            errors[name] = f"Значение «{value}» вне допустимого диапазона 0–{high}."
    if max_good is None:
        errors["max_good"] = "Укажите, сколько отметок «4» допускается (0 — только «5»)."
    return errors


# --- the computation -------------------------------------------------------------------------------------

def round_half_up(numbers):
    """Arithmetic mean rounded by the rules of arithmetic: 3.5 → 4 (Python's round() would give 4, but 4.5 → 4)."""
    mean = Decimal(sum(numbers)) / Decimal(len(numbers))
    return int(mean.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _digit(value):
    value = (value or "").strip()
    return int(value) if value in ("1", "2", "3", "4", "5") else None


@dataclass
class FinalMark:
    value: str | None
    basis: str
    problem: str | None = None


class GiaResult(NamedTuple):
    """One ГИА result of a pupil: the exam, the subject, the mark or score as typed, and which sitting it was."""
    exam: str
    subject_id: int | None
    name: str
    value: str
    attempt: str = "main"


@dataclass
class GraduateResult:
    student: Student
    marks: dict = field(default_factory=dict)       # subject_id -> FinalMark
    gia_ok: bool = False
    gia_problems: list = field(default_factory=list)
    gia_text: str = ""
    exams: list = field(default_factory=list)       # [GiaResult]
    honours: bool = False
    honours_reason: str = ""
    medal: int | None = None
    medal_reason: str = ""


def curriculum_rows(session, level):
    return list(session.scalars(select(CurriculumSubject).options(joinedload(CurriculumSubject.subject))
                                .where(CurriculumSubject.level == level,
                                                                CurriculumSubject.active.is_(True))
                                .order_by(CurriculumSubject.position, CurriculumSubject.id)))


def _chosen_exams(session, level):
    code = LEVEL_CODES[level]
    return session.scalar(select(Level.gia_chosen_exams).where(Level.code == code)) or 0


class ClassData:
    """Everything one class's grid needs, read in a handful of queries (not one per pupil)."""

    def __init__(self, session, school_class, students):
        self.school_class = school_class
        year = school_class.academic_year or session.get(AcademicYear, school_class.academic_year_id)
        self.year = year
        ids = [s.id for s in students]
        self.annual = {}   # (student, subject, grade) -> value
        self.halves = {}   # (student, subject, grade) -> {half number: value}
        self.exams = {}    # student -> [GiaResult], in the order of the sittings
        if not ids:
            return
        rows = session.execute(
            select(PersonalFile.student_id, AnnualMark.subject_id, AnnualMark.grade, AnnualMark.value,
                   AcademicYear.starts_on)
            .join(PersonalFile, AnnualMark.personal_file_id == PersonalFile.id)
            .join(AcademicYear, AnnualMark.academic_year_id == AcademicYear.id)
            .where(PersonalFile.student_id.in_(ids), PersonalFile.status != "destroyed"))
        for student_id, subject_id, grade, value, starts_on in rows:
            grade = grade or school_class.grade - (year.starts_on.year - starts_on.year)
            self.annual[(student_id, subject_id, grade)] = value
        rows = session.execute(
            select(Mark.student_id, Mark.subject_id, SchoolClass.grade, Term.number, Mark.value, Mark.code)
            .join(Term, Mark.term_id == Term.id).join(SchoolClass, Mark.school_class_id == SchoolClass.id)
            .where(Mark.student_id.in_(ids), Mark.kind == "term", Term.kind == "half", Mark.slot == 0))
        for student_id, subject_id, grade, number, value, code in rows:
            self.halves.setdefault((student_id, subject_id, grade), {})[number] = str(value) if value else code
        rows = session.execute(
            select(ExamResult.student_id, ExamProtocol.exam, ExamProtocol.subject_id, Subject.name, ExamResult.mark,
                   ExamResult.attempt)
            .join(ExamProtocol, ExamResult.protocol_id == ExamProtocol.id)
            .outerjoin(Subject, ExamProtocol.subject_id == Subject.id)
            .where(ExamResult.student_id.in_(ids), ExamProtocol.status != "destroyed",
                   or_(ExamProtocol.academic_year_id == year.id,
                       (ExamProtocol.event_on >= year.starts_on) & (ExamProtocol.event_on <= year.ends_on)))
            .order_by(ExamProtocol.event_on, ExamProtocol.id))
        for student_id, exam, subject_id, name, value, attempt in rows:
            self.exams.setdefault(student_id, []).append(
                GiaResult(exam, subject_id, name or "—", (value or "").strip(), attempt or "main"))


def final_mark(level, item, data, student_id):
    """One cell of the attestat: the value and how it was obtained (приказ № 546, п. 5.3 for ООО, п. 5.4 for СОО)."""
    subject_id, last = item.subject_id, item.last_grade
    if item.result_kind == "studied":
        return FinalMark("изучено", "изучено по учебному плану")
    if level == "basic":
        annual = data.annual.get((student_id, subject_id, last))
        if annual is None:
            return FinalMark(None, "", f"нет годовой отметки за {last} класс в личном деле")
        if item.result_kind == "pass":
            if annual == "зачтено":
                return FinalMark("зачтено", f"год ({last} кл.) зачтено")
            return FinalMark(None, f"год ({last} кл.) {annual}", f"годовая отметка «{annual}», а не «зачтено»")
        year_mark = _digit(annual)
        if year_mark is None:
            return FinalMark(None, f"год ({last} кл.) {annual}", f"годовая отметка «{annual}» не числовая")
        exam_marks = [_digit(v) for exam, sid, _, v, _ in data.exams.get(student_id, ())
                      if sid == subject_id and exam in LEVEL_EXAMS["basic"] and _digit(v) is not None]
        if exam_marks and last == 9:
            exam_mark = exam_marks[-1]
            value = round_half_up([year_mark, exam_mark])
            return FinalMark(str(value), f"год {year_mark}, экзамен {exam_mark} → {value}")
        if item.gia_required:
            return FinalMark(str(year_mark), f"год {year_mark}", "нет экзаменационной отметки ГИА")
        where = "" if last == 9 else f" ({last} кл.)"
        return FinalMark(str(year_mark), f"год{where} {year_mark}")
    # СОО: the half-year and annual marks of every year of the level, averaged.
    values, parts = [], []
    for grade in range(LEVEL_GRADES["secondary"][0], last + 1):
        annual = data.annual.get((student_id, subject_id, grade))
        halves = data.halves.get((student_id, subject_id, grade), {})
        if item.result_kind == "pass":
            if annual != "зачтено":
                return FinalMark(None, "", f"за {grade} класс нет годового «зачтено»")
            continue
        if annual is None:
            return FinalMark(None, "; ".join(parts), f"нет годовой отметки за {grade} класс в личном деле")
        for number in (1, 2):
            if _digit(halves.get(number)) is None:
                return FinalMark(None, "; ".join(parts),
                                 f"нет отметки за {number} полугодие {grade} класса")
        if _digit(annual) is None:
            return FinalMark(None, "; ".join(parts), f"годовая отметка за {grade} класс «{annual}» не числовая")
        marks = [_digit(halves[1]), _digit(halves[2]), _digit(annual)]
        values.extend(marks)
        parts.append(f"{grade} кл.: {marks[0]}, {marks[1]}, год {marks[2]}")
    if item.result_kind == "pass":
        return FinalMark("зачтено", "зачтено за каждый год")
    value = round_half_up(values)
    return FinalMark(str(value), "; ".join(parts) + f" → {value}")


def _minimum_for(minimums, exam, subject_id):
    return minimums.get((exam, subject_id)) or minimums.get((exam, None))


# How a sitting other than the main one is named beside its result.
_SITTING = {"reserve": "резервный день", "retake": "повторно", "improvement": "пересдача"}


def _sittings(exams):
    """[(exam, subject_id, label, best value)]: one line per exam and subject, every sitting in its label; a
    satisfactory retake after a «2» is what decides the ГИА (Порядок ГИА: повторный допуск)."""
    groups = {}
    for result in exams:
        groups.setdefault((result.exam, result.subject_id), []).append(result)
    lines = []
    for (exam, subject_id), results in groups.items():
        name = results[0].name
        values = [(f"{_SITTING[r.attempt]} " if r.attempt in _SITTING else "") + (r.value or "нет результата")
                  for r in results]
        label = f"{EXAMS.get(exam, exam)} {name.lower()} — {', '.join(values)}"
        numbers = [int(r.value) for r in results if r.value.isdigit()]
        best = str(max(numbers)) if numbers else results[-1].value
        lines.append((exam, subject_id, label, best))
    return lines


def gia_check(level, exams, items, minimums, chosen_needed):
    """(passed, problems, text): the ГИА of the level is passed when every compulsory subject has a satisfactory
    result and, for ООО, the chosen exams too (273-ФЗ ст. 59, ст. 60 ч. 12: otherwise a справка об обучении)."""
    problems, shown = [], []
    passed_subjects, failed = set(), False
    exams = [e for e in exams if e.exam in LEVEL_EXAMS[level]]
    required_ids = {i.subject_id for i in items if i.gia_required}
    for exam, subject_id, label, value in _sittings(exams):
        rule = _minimum_for(minimums, exam, subject_id)
        shown.append(label)
        number = int(value) if value.isdigit() else None
        if subject_id not in required_ids and not chosen_needed:
            continue  # ЕГЭ by choice: it serves admission to universities, the attestat does not depend on it
        if rule is None:
            problems.append(f"{label}: не задан минимальный результат (раздел «Минимальные результаты ГИА»)")
            failed = True
        elif number is None or number < rule.minimum:
            problems.append(f"{label} (минимум {rule.minimum})")
            failed = True
        else:
            passed_subjects.add(subject_id)
    required = [i for i in items if i.gia_required]
    for item in required:
        if item.subject_id not in passed_subjects and not any(e.subject_id == item.subject_id for e in exams):
            problems.append(f"нет результата ГИА по предмету «{item.subject.name}»")
    required_ids = {i.subject_id for i in required}
    chosen = {e.subject_id for e in exams if e.subject_id not in required_ids}
    if len(chosen) < chosen_needed:
        problems.append(f"сдано предметов по выбору: {len(chosen)} из {chosen_needed}")
    ok = not problems and not failed
    return ok, problems, "; ".join(shown) or "результатов ГИА нет"


def _counts(values):
    numeric = [v for v in values if _digit(v) is not None]
    return numeric, sum(1 for v in numeric if v == "4"), sum(1 for v in numeric if _digit(v) <= 3)


def _ege_ok(criterion, exams, russian_id, math_id):
    """The ЕГЭ scores of № 730: Russian and one more subject, or base mathematics when only these two were taken."""
    scores = [(e.subject_id, int(e.value)) for e in exams if e.exam == "ege" and e.value.isdigit()]
    russian = max((s for sid, s in scores if sid == russian_id), default=None)
    if criterion.russian_min is not None and (russian is None or russian < criterion.russian_min):
        return False, f"ЕГЭ по русскому языку {russian if russian is not None else 'нет'} (нужно ≥ {criterion.russian_min})"
    others = [s for sid, s in scores if sid != russian_id]
    if criterion.other_min is None or any(s >= criterion.other_min for s in others):
        return True, ""
    base = [int(e.value) for e in exams if e.exam == "ege_base" and e.value.isdigit()]
    if criterion.base_math_mark is not None and not others and base and max(base) >= criterion.base_math_mark:
        return True, ""
    best = max(others, default=None)
    return False, (f"ЕГЭ по предмету по выбору {best if best is not None else 'нет'} (нужно ≥ {criterion.other_min})"
                   + (f" или базовая математика «{criterion.base_math_mark}»" if criterion.base_math_mark else ""))


def award_check(criterion, values, gia_ok, exams=(), russian_id=None, math_id=None, basic_values=None):
    """(granted, reason in Russian) for an attestat «с отличием» or a medal."""
    if criterion is None or not criterion.active:
        return False, "критерий награды не задан"
    numeric, fours, low = _counts(values)
    if not numeric:
        return False, "нет итоговых отметок"
    if low:
        return False, "есть итоговые отметки «3»"
    if fours > criterion.max_good:
        return False, (f"итоговых отметок «4»: {fours}" +
                       (" (допускаются только «5»)" if not criterion.max_good else f" (не более {criterion.max_good})"))
    if not gia_ok:
        return False, "ГИА не пройдена"
    if criterion.basic_max_good is not None:
        if basic_values is None:
            return False, "в книге школы нет аттестата ООО этого выпускника"
        basic, basic_fours, basic_low = _counts(basic_values)
        if basic_low or basic_fours > criterion.basic_max_good:
            return False, "итоговые отметки аттестата ООО не отвечают условию"
    retaken = [e for e in exams if e.attempt == "retake"]
    if retaken and criterion.retake_rule == "unsatisfactory_bars":
        what = ", ".join(f"{EXAMS.get(e.exam, e.exam)} {e.name.lower()}" for e in retaken)
        return False, f"повторная сдача ГИА после неудовлетворительного результата ({what}): {RETAKE_RULES[criterion.retake_rule]}"
    if criterion.russian_min is not None or criterion.other_min is not None:
        # Every sitting's result counts, the best one (a retake to improve a result keeps a right already earned).
        ok, reason = _ege_ok(criterion, list(exams), russian_id, math_id)
        if not ok:
            return False, reason
    return True, ""


def class_results(session, school_class, level, students, basic_marks=None):
    """The grid of one graduating class: per pupil the computed final marks, the ГИА, honours and medal."""
    items = curriculum_rows(session, level)
    data = ClassData(session, school_class, students)
    minimums = {(m.exam, m.subject_id): m for m in session.scalars(select(GiaMinimum))}
    criteria = {c.code: c for c in session.scalars(select(AwardCriterion))}
    chosen = _chosen_exams(session, level)
    by_name = {i.subject.name: i.subject_id for i in items}
    russian_id, math_id = by_name.get("Русский язык"), by_name.get("Математика")
    results = []
    for student in students:
        result = GraduateResult(student=student)
        result.marks = {i.subject_id: final_mark(level, i, data, student.id) for i in items}
        result.exams = data.exams.get(student.id, [])
        result.gia_ok, result.gia_problems, result.gia_text = gia_check(level, result.exams, items, minimums, chosen)
        values = [m.value for m in result.marks.values()]
        apply_awards(result, level, values, criteria, russian_id, math_id,
                     (basic_marks or {}).get(student.id))
        results.append(result)
    return items, results


def apply_awards(result, level, values, criteria, russian_id, math_id, basic_values):
    result.honours, result.honours_reason = award_check(criteria.get(f"honours_{level}"), values, result.gia_ok,
                                                        result.exams, russian_id, math_id)
    result.medal, result.medal_reason = None, ""
    if level == "secondary":
        reasons = []
        for degree in (1, 2):
            ok, reason = award_check(criteria.get(f"medal_{degree}"), values, result.gia_ok, result.exams,
                                     russian_id, math_id, basic_values)
            if ok:
                result.medal = degree
                break
            reasons.append(f"{MEDAL_DEGREES[degree]}: {reason}")
        # Kept even when the second degree is granted: the page says why not the first.
        result.medal_reason = "; ".join(reasons)

"""Year end: the imported year marks of a class written into its personal files, then certified; academic debts
(273-ФЗ ст. 58) with their retakes."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, event, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .carriers import ArchiveRuleError, add_years
from .db import Versioned, db
from .marks import Mark
from .people import AcademicYear, SchoolClass, Student, Subject
from .registers import (DEBT_VALUES, MARK_VALUES, AnnualCertification, AnnualMark, AnnualMarkCorrection,
                        CertificationWithdrawal, PersonalFile)
from .errors import DomainError

STATUSES = {
    "add": "будет добавлена",
    "change": "будет изменена",
    "same": "совпадает",
    "missing_file": "нет личного дела",
    "missing_mark": "нет годовой отметки",
    "bad_value": "не переносится",
    "file_only": "только в личном деле",
}
# A year mark as the e-journal stores it -> the value written into the personal file (MARK_VALUES).
CODE_VALUES = {"зач": "зачтено", "осв": "осв", "н/а": "н/а"}


class YearEndError(DomainError):
    """The action is refused; the message is Russian and shown to the user."""


@dataclass
class Row:
    subject_id: int
    subject: str
    imported: str | None  # the year mark as the journal has it («5», «н/а»), or None
    value: str | None  # what would be written into the file, or None when nothing can be
    current: str | None  # what the personal file has now
    status: str
    mark_id: int | None = None  # the personal file's mark, to correct once certified

    @property
    def status_label(self):
        return STATUSES[self.status]


@dataclass
class StudentPlan:
    student_id: int
    name: str
    file_id: int | None
    file_number: str | None
    rows: list = field(default_factory=list)

    @property
    def differs(self):
        return any(r.status in ("add", "change") for r in self.rows)


@dataclass
class Plan:
    school_class: SchoolClass
    year: AcademicYear
    students: list = field(default_factory=list)
    certified: list = field(default_factory=list)  # AnnualCertification rows of the class's files for the year

    def count(self, status):
        return sum(1 for s in self.students for r in s.rows if r.status == status)

    @property
    def changes(self):
        return self.count("add") + self.count("change")

    def problems(self):
        """Russian reasons why the year cannot be certified yet; empty when it can."""
        problems = []
        for s in self.students:
            if s.file_id is None:
                problems.append(f"{s.name}: нет личного дела.")
                continue
            for r in s.rows:
                if r.status == "missing_mark":
                    problems.append(f"{s.name}: по предмету «{r.subject}» нет годовой отметки.")
                elif r.status == "bad_value":
                    problems.append(f"{s.name}: годовая отметка «{r.imported}» по предмету «{r.subject}» "
                                    "не может быть записана в личное дело.")
            if s.differs:
                problems.append(f"{s.name}: отметки ещё не перенесены в личное дело.")
            elif not any(r.current is not None for r in s.rows):
                # Certifying an empty year would stamp blank pages and close the year to the transfer.
                problems.append(f"{s.name}: в личном деле нет ни одной годовой отметки за этот год.")
        if not self.students:
            problems.append("В классе нет обучающихся.")
        return problems


def _file_value(mark_value, code):
    if mark_value is not None:
        value = str(mark_value)
        return value if value in MARK_VALUES else None  # a «1» has no place in the personal file
    return CODE_VALUES.get(code)


def _load(session, class_id, year_id):
    school_class = session.get(SchoolClass, class_id) if class_id else None
    year = session.get(AcademicYear, year_id) if year_id else None
    if school_class is None or year is None:
        raise YearEndError("Выберите класс и учебный год.")
    if school_class.academic_year_id != year.id:
        raise YearEndError(f"Класс {school_class.name} относится к {school_class.academic_year} учебному году, "
                           f"а не к {year}.")
    return school_class, year


def preview_year_marks(session, class_id, year_id):
    """Per student and subject: the imported year mark, what the personal file has, and the planned change."""
    school_class, year = _load(session, class_id, year_id)
    in_year = (Mark.school_class_id == school_class.id, Mark.marked_on >= year.starts_on,
               Mark.marked_on <= year.ends_on)
    marked = select(Mark.student_id).where(*in_year)
    # Those in the class now, and those who had marks in it (a past year's class has moved on); not those who left.
    students = list(session.scalars(
        select(Student).where(or_(Student.school_class_id == school_class.id, Student.id.in_(marked)),
                              Student.status != "left")
        .order_by(Student.search_name, Student.id)))
    ids = [s.id for s in students]
    subjects_of = {sid: set() for sid in ids}
    year_marks = {}  # (student, subject) -> (kind, value, code); a year mark wins over a final one
    for row in session.execute(select(Mark.student_id, Mark.subject_id, Mark.kind, Mark.value, Mark.code)
                               .where(*in_year, Mark.student_id.in_(ids))):
        subjects_of[row.student_id].add(row.subject_id)
        if row.kind in ("year", "final"):
            key = (row.student_id, row.subject_id)
            if key not in year_marks or (row.kind == "year" and year_marks[key][0] != "year"):
                year_marks[key] = (row.kind, row.value, row.code)
    files = {}
    for file in session.scalars(select(PersonalFile).where(PersonalFile.student_id.in_(ids),
                                                           PersonalFile.status == "kept")
                                .order_by(PersonalFile.id)):
        files.setdefault(file.student_id, file)
    file_ids = [f.id for f in files.values()]
    student_of_file = {f.id: sid for sid, f in files.items()}
    current, mark_ids = {}, {}
    for mark in session.scalars(select(AnnualMark).where(AnnualMark.personal_file_id.in_(file_ids),
                                                         AnnualMark.academic_year_id == year.id)):
        current[(mark.personal_file_id, mark.subject_id)] = mark.value
        mark_ids[(mark.personal_file_id, mark.subject_id)] = mark.id
        subjects_of[student_of_file[mark.personal_file_id]].add(mark.subject_id)
    names = {s.id: s for s in session.scalars(select(Subject).where(
        Subject.id.in_({x for v in subjects_of.values() for x in v})))}
    plan = Plan(school_class=school_class, year=year)
    plan.certified = list(session.scalars(select(AnnualCertification).where(
        AnnualCertification.personal_file_id.in_(file_ids), AnnualCertification.academic_year_id == year.id)))
    for student in students:
        file = files.get(student.id)
        entry = StudentPlan(student.id, student.full_name, file.id if file else None, file.number if file else None)
        for subject in sorted((names[x] for x in subjects_of[student.id]), key=lambda s: (s.position, s.name)):
            found = year_marks.get((student.id, subject.id))
            imported = None if found is None else (str(found[1]) if found[1] is not None else found[2])
            value = None if found is None else _file_value(found[1], found[2])
            now = current.get((file.id, subject.id)) if file else None
            if found is None:
                status = "file_only" if now is not None else "missing_mark"
            elif value is None:
                status = "bad_value"
            elif file is None:
                status = "missing_file"
            elif now is None:
                status = "add"
            else:
                status = "same" if now == value else "change"
            entry.rows.append(Row(subject.id, subject.name, imported, value, now, status,
                                  mark_ids.get((file.id, subject.id)) if file else None))
        plan.students.append(entry)
    return plan


def _refuse_if_certified(plan):
    if plan.certified:
        first = min(plan.certified, key=lambda c: (c.certified_on is None, c.certified_on))
        when = f" {first.certified_on:%d.%m.%Y}" if first.certified_on else ""
        raise YearEndError(f"Годовые отметки класса {plan.school_class.name} за {plan.year} учебный год уже "
                           f"заверены{when}: изменить их на этой странице нельзя.")


def _write(session, file_id, year, grade, row, existing):
    """One mark into one file (a separate step so a test can break it midway)."""
    mark = existing.get((file_id, row.subject_id))
    if mark is None:
        session.add(AnnualMark(personal_file_id=file_id, academic_year_id=year.id, subject_id=row.subject_id,
                               grade=grade, value=row.value))
    else:
        mark.value = row.value
        mark.grade = grade


def apply_year_marks(session, class_id, year_id, user):
    """Write every planned addition and change into the personal files, all or none; return {status: count}."""
    plan = preview_year_marks(session, class_id, year_id)
    _refuse_if_certified(plan)
    file_ids = [s.file_id for s in plan.students if s.file_id]
    existing = {(m.personal_file_id, m.subject_id): m for m in session.scalars(
        select(AnnualMark).where(AnnualMark.personal_file_id.in_(file_ids),
                                 AnnualMark.academic_year_id == plan.year.id))}
    counts = {"add": 0, "change": 0}
    # A savepoint: if any write fails, none of this action's writes stays, whatever the caller does next.
    with session.begin_nested():
        for student in plan.students:
            for row in student.rows:
                if row.status in counts:
                    _write(session, student.file_id, plan.year, plan.school_class.grade, row, existing)
                    counts[row.status] += 1
        session.flush()
    return counts


def certify_year(session, class_id, year_id, user, today):
    """Record the class teacher's certification of the year in every personal file of the class."""
    plan = preview_year_marks(session, class_id, year_id)
    _refuse_if_certified(plan)
    problems = plan.problems()
    if problems:
        shown = " ".join(problems[:5]) + (f" … и ещё {len(problems) - 5}." if len(problems) > 5 else "")
        raise YearEndError(f"Заверить нельзя. {shown}")
    for student in plan.students:
        session.add(AnnualCertification(personal_file_id=student.file_id, academic_year_id=plan.year.id,
                                        certified_by_id=user.id if user is not None else None, certified_on=today))
        # «2» and «н/а» are results, and each is an academic debt with its retakes (ст. 58 ч. 2, 5).
        for row in student.rows:
            origin = DEBT_VALUES.get(row.value or row.current or "")
            if origin and session.scalar(select(AcademicDebt.id).where(
                    AcademicDebt.student_id == student.student_id, AcademicDebt.academic_year_id == plan.year.id,
                    AcademicDebt.subject_id == row.subject_id)) is None:
                session.add(AcademicDebt(student_id=student.student_id, academic_year_id=plan.year.id,
                                         subject_id=row.subject_id, origin=origin, arisen_on=today))
    session.flush()
    return len(plan.students)



def withdraw_certification(session, class_id, year_id, user, reason):
    """Withdraw a class's empty or mistaken certification of the year (the deputy, with a reason): the page then
    transfers and certifies again. The certifications go, the withdrawal with its reason stays, both audited."""
    plan = preview_year_marks(session, class_id, year_id)
    reason = (reason or "").strip()
    if not plan.certified:
        raise YearEndError(f"Годовые отметки класса {plan.school_class.name} за {plan.year} учебный год не заверены: "
                           "отзывать нечего.")
    if not reason:
        raise YearEndError("Укажите причину отзыва заверения.")
    if len(reason) > 300:
        raise YearEndError("Причина отзыва — не длиннее 300 знаков.")
    dates = [c.certified_on for c in plan.certified if c.certified_on]
    session.add(CertificationWithdrawal(school_class_id=plan.school_class.id, academic_year_id=plan.year.id,
                                        files=len(plan.certified), certified_on=min(dates) if dates else None,
                                        reason=reason, withdrawn_by_id=user.id if user is not None else None))
    for certification in plan.certified:
        session.delete(certification)
    session.info["certification_withdrawal"] = True
    try:
        session.flush()
    finally:
        session.info.pop("certification_withdrawal", None)
    return len(plan.certified)


def withdrawals(session, class_id, year_id):
    return list(session.scalars(select(CertificationWithdrawal).where(
        CertificationWithdrawal.school_class_id == class_id, CertificationWithdrawal.academic_year_id == year_id)
        .order_by(CertificationWithdrawal.withdrawn_at)))
# --- a certified mark corrected ---------------------------------------------------------------------

def correct_annual_mark(session, mark_id, *, new_value, reason, user):
    """Correct a certified annual mark: the old value is kept in the correction, crossed out on the page with
    «исправленному верить»; the class teacher certifies the correction afterwards (certify_correction)."""
    # The row is locked: two corrections of one mark at the same moment would both pass the checks below.
    mark = session.get(AnnualMark, mark_id, with_for_update=True) if mark_id else None
    if mark is None:
        raise YearEndError("Годовая отметка не найдена.")
    certified = session.scalar(select(AnnualCertification.id).where(
        AnnualCertification.personal_file_id == mark.personal_file_id,
        AnnualCertification.academic_year_id == mark.academic_year_id))
    if certified is None:
        raise YearEndError("Отметки этого года ещё не заверены: исправьте отметку в личном деле обычным порядком.")
    new_value = (new_value or "").strip()
    if new_value not in MARK_VALUES:
        raise YearEndError(f"Отметка «{new_value}» вне шкалы: допустимы {', '.join(MARK_VALUES.values())}.")
    if new_value == mark.value:
        raise YearEndError(f"Новая отметка совпадает с записанной («{mark.value}»): исправлять нечего.")
    reason = " ".join((reason or "").split())
    if not reason:
        raise YearEndError("Укажите причину исправления (например, «ошибка переноса из электронного журнала»).")
    if any(c.certified_on is None for c in mark.corrections):
        raise YearEndError("Предыдущее исправление этой отметки ещё не заверено классным руководителем.")
    correction = AnnualMarkCorrection(annual_mark=mark, old_value=mark.value, new_value=new_value,
                                      reason=reason[:500], corrected_by_id=user.id if user is not None else None)
    session.add(correction)
    session.info["mark_correction"] = True
    try:
        mark.value = new_value
        session.flush()
    finally:
        session.info.pop("mark_correction", None)
    return correction


def pending_corrections(session, plan):
    """Corrections of the plan's files and year still waiting for the class teacher's certification."""
    file_ids = [s.file_id for s in plan.students if s.file_id]
    return list(session.scalars(
        select(AnnualMarkCorrection).join(AnnualMark)
        .where(AnnualMark.personal_file_id.in_(file_ids), AnnualMark.academic_year_id == plan.year.id,
               AnnualMarkCorrection.certified_on.is_(None)).order_by(AnnualMarkCorrection.id)))


def certify_correction(session, correction_id, user, today):
    """The class teacher's certification (signature, seal) of a correction in the personal file."""
    correction = session.get(AnnualMarkCorrection, correction_id, with_for_update=True) if correction_id else None
    if correction is None:
        raise YearEndError("Исправление не найдено.")
    if correction.certified_on is not None:
        raise YearEndError(f"Исправление уже заверено {correction.certified_on:%d.%m.%Y}.")
    file = correction.annual_mark.personal_file
    teachers = {c.class_teacher_id for c in (file.school_class, file.student.school_class if file.student else None)
                if c is not None}
    if user is None or "class_teacher" not in (user.roles or []) or user.id not in teachers:
        raise YearEndError("Исправление заверяет классный руководитель класса этого обучающегося.")
    correction.certified_by_id = user.id
    correction.certified_on = today
    session.flush()
    return correction


# --- academic debt (273-ФЗ ст. 58 ч. 2, 5, 8, 9) ---------------------------------------------------------

DEBT_ORIGINS = {"unsatisfactory": "неудовлетворительный результат", "not_attested": "не аттестован («н/а»)"}
DEBT_STATUSES = {"open": "не ликвидирована", "cleared": "ликвидирована", "not_cleared": "не ликвидирована после двух пересдач"}
RETAKE_RESULTS = {"5": "5", "4": "4", "3": "3", "зачтено": "зачтено", "2": "2", "незачтено": "не зачтено",
                  "absent": "не явился"}
PASSED = ("5", "4", "3", "зачтено")
RETAKES_WITHIN_YEARS = 1  # ч. 5: no more than twice within one year of the debt's arising


class AcademicDebt(Versioned, db.Model):
    """One subject's academic debt of one pupil for a year: how it arose, two retakes at most, the outcome, and
    the order on conditional promotion when the pupil moved up with it (ст. 58 ч. 8)."""

    __tablename__ = "academic_debt"
    __table_args__ = (UniqueConstraint("student_id", "academic_year_id", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    origin: Mapped[str] = mapped_column(String(16))
    arisen_on: Mapped[date] = mapped_column(Date)
    retake1_on: Mapped[date | None] = mapped_column(Date)
    retake1_result: Mapped[str | None] = mapped_column(String(12))
    retake2_on: Mapped[date | None] = mapped_column(Date)
    retake2_result: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    cleared_on: Mapped[date | None] = mapped_column(Date)
    conditional_order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id"))
    student = relationship("Student")
    academic_year = relationship("AcademicYear")
    subject = relationship("Subject")
    conditional_order = relationship("Order")

    def __str__(self):
        return f"{self.student}: {self.subject} ({self.academic_year})"


def debt_errors(*, arisen_on, retake1_on, retake1_result, retake2_on, retake2_result):
    """{field: Russian message} for retakes the law does not allow (ст. 58 ч. 5: two at most, within a year)."""
    errors = {}
    limit = add_years(arisen_on, RETAKES_WITHIN_YEARS) if arisen_on else None
    for n, held, result in ((1, retake1_on, retake1_result), (2, retake2_on, retake2_result)):
        if bool(held) != bool(result):
            errors[f"retake{n}_result" if held else f"retake{n}_on"] = (
                f"Для {n}-й пересдачи укажите и дату, и результат.")
        if result and result not in RETAKE_RESULTS:
            errors[f"retake{n}_result"] = "Неизвестный результат пересдачи."
        if held and arisen_on and not (arisen_on <= held <= limit):
            errors[f"retake{n}_on"] = (f"Пересдача проводится в пределах одного года с возникновения задолженности: "
                                       f"с {arisen_on:%d.%m.%Y} по {limit:%d.%m.%Y} (273-ФЗ ст. 58 ч. 5).")
    if retake2_on or retake2_result:
        if not retake1_on:
            errors["retake2_on"] = "Вторая пересдача возможна только после первой."
        elif retake1_result in PASSED:
            errors["retake2_on"] = "Задолженность ликвидирована на первой пересдаче: второй не бывает."
        elif retake2_on and retake2_on <= retake1_on:
            errors["retake2_on"] = "Вторая пересдача — позже первой."
    return errors


def debt_outcome(debt):
    """(status, cleared_on) that the retakes give."""
    for held, result in ((debt.retake1_on, debt.retake1_result), (debt.retake2_on, debt.retake2_result)):
        if result in PASSED:
            return "cleared", held
    if debt.retake2_result:
        return "not_cleared", None
    return "open", None


@event.listens_for(Session, "before_flush")
def _check_debts(session, flush_context, instances):
    """Every door (register form, command, import) gets the same retake rules and the same outcome."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, AcademicDebt):
            errors = debt_errors(arisen_on=obj.arisen_on, retake1_on=obj.retake1_on,
                                 retake1_result=obj.retake1_result, retake2_on=obj.retake2_on,
                                 retake2_result=obj.retake2_result)
            if obj.origin not in DEBT_ORIGINS:
                errors["origin"] = "Неизвестное основание задолженности."
            if errors:
                raise ArchiveRuleError(" ".join(errors.values()))
            status, cleared_on = debt_outcome(obj)
            if (obj.status, obj.cleared_on) != (status, cleared_on):
                obj.status, obj.cleared_on = status, cleared_on


def open_debts(session, student_ids, year_id):
    """{student id: [open debts of that year]}."""
    found = {}
    for debt in session.scalars(select(AcademicDebt).where(AcademicDebt.student_id.in_(list(student_ids)),
                                                           AcademicDebt.academic_year_id == year_id,
                                                           AcademicDebt.status == "open")):
        found.setdefault(debt.student_id, []).append(debt)
    return found


def year_debts(session, plan):
    """The debts of the plan's pupils for its year, for the year-end page."""
    ids = [s.student_id for s in plan.students]
    return list(session.scalars(select(AcademicDebt).where(AcademicDebt.student_id.in_(ids),
                                                           AcademicDebt.academic_year_id == plan.year.id)
                                .order_by(AcademicDebt.id)))

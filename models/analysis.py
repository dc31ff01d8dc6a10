"""The deputy director's analysis of results (003 §3) in the school's words: отличники, хорошисты, с одной «4»,
с одной «3», неуспевающие; качество, успеваемость, СОУ; subject averages and their dynamics."""
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from .marks import Mark, MarkDayTotal
from .people import SchoolClass, Student, Subject, Term

# Default of the threshold; the panel's config may override it (ANALYSIS_UNDERACHIEVER_MARK).
UNDERACHIEVER_MAX_MARK = 2
# The groups a school report counts, in its order; a pupil belongs to one (or none: «на 3 и выше»).
CATEGORIES = {"excellent": "отличник", "one_four": "с одной «4»", "good": "хорошист", "one_three": "с одной «3»",
              "underachiever": "неуспевающий"}
CATEGORY_HEADINGS = {"excellent": "Отличники", "one_four": "С одной «4»", "good": "Хорошисты",
                     "one_three": "С одной «3»", "underachiever": "Неуспевающие"}
# Степень обученности учащихся (В. П. Симонов): the weight of each mark.
SOU_WEIGHTS = {5: 1.0, 4: 0.64, 3: 0.36, 2: 0.16, 1: 0.08}


@dataclass
class StudentResult:
    student_id: int
    name: str
    average: float | None = None
    marks: int = 0
    lowest: int | None = None
    highest: int | None = None
    current_average: float | None = None
    current_marks: int = 0
    absences: int = 0
    category: str = ""  # a key of CATEGORIES, or ""
    counts: dict = field(default_factory=dict)  # term marks by value: {5: 3, 4: 1}

    @property
    def category_text(self):
        return CATEGORIES.get(self.category, "")


@dataclass
class ClassResult:
    class_id: int
    name: str
    students: list = field(default_factory=list)

    @property
    def rated(self):
        return [s for s in self.students if s.marks]

    def in_category(self, code):
        return [s for s in self.students if s.category == code]

    @property
    def underachievers(self):
        return self.in_category("underachiever")

    @property
    def sou(self):
        """СОУ, per cent: the term marks weighted 1 / 0,64 / 0,36 / 0,16 / 0,08 for «5» … «1»."""
        counts = {}
        for s in self.rated:
            for value, n in s.counts.items():
                counts[value] = counts.get(value, 0) + n
        total = sum(counts.values())
        if not total:
            return None
        return round(100 * sum(SOU_WEIGHTS.get(v, 0) * n for v, n in counts.items()) / total, 1)

    @property
    def quality(self):
        """Share of students whose term marks are all 4 and 5, in per cent."""
        rated = self.rated
        return round(100 * sum(1 for s in rated if s.lowest >= 4) / len(rated), 1) if rated else None

    @property
    def success(self):
        """Share of students without a failing term mark, in per cent."""
        rated = self.rated
        return round(100 * sum(1 for s in rated if s.lowest >= 3) / len(rated), 1) if rated else None

    @property
    def average(self):
        rated = self.rated
        return round(sum(s.average * s.marks for s in rated) / sum(s.marks for s in rated), 2) if rated else None


@dataclass
class SubjectResult:
    subject_id: int
    name: str
    average: float | None
    marks: int
    previous: float | None = None
    current_average: float | None = None

    @property
    def change(self):
        if self.average is None or self.previous is None:
            return None
        return round(self.average - self.previous, 2)


def previous_term(session, term):
    """The period of the same kind that ended last before this one began (it may be in the previous year)."""
    return session.scalar(select(Term).where(Term.kind == term.kind, Term.ends_on < term.starts_on)
                          .order_by(Term.ends_on.desc()).limit(1))


def classify(result, underachiever_mark=UNDERACHIEVER_MAX_MARK):
    if not result.marks:
        return ""
    if result.lowest <= underachiever_mark:
        return "underachiever"
    if result.lowest == 5:
        return "excellent"
    if result.lowest == 4:
        return "one_four" if result.counts.get(4) == 1 else "good"
    if result.lowest == 3 and result.counts.get(3) == 1:
        return "one_three"
    return ""


def school_summary(results):
    """The whole school (or the classes shown) as one row: every pupil of every class."""
    total = ClassResult(0, "Всего")
    for r in results:
        total.students.extend(r.students)
    return total


def class_results(session, term, class_ids, subject_id=None, *, underachiever_mark=UNDERACHIEVER_MAX_MARK,
                  pupils=True):
    """Per class: every student's term average (term marks) and current average (weighted, the term's days).

    `pupils=False` gives only what the class summary counts (term marks; no names, no current marks): a whole
    school's current marks are a third of a million rows, its pupils' names a thousand, and the summary needs
    neither; the pupils of a class are read when the class is opened.
    """
    subject_filter = [Mark.subject_id == subject_id] if subject_id else []
    term_rows = session.execute(
        select(Mark.school_class_id, Mark.student_id, func.avg(Mark.value), func.count(Mark.value),
               func.min(Mark.value), func.max(Mark.value),
               *(func.sum(case((Mark.value == v, 1), else_=0)) for v in (5, 4, 3, 2)),
               func.sum(case((Mark.value <= 1, 1), else_=0)))
        .where(Mark.kind == "term", Mark.term_id == term.id, Mark.value.is_not(None),
               Mark.school_class_id.in_(class_ids), *subject_filter)
        .group_by(Mark.school_class_id, Mark.student_id))
    current_rows = [] if not pupils else session.execute(
        select(Mark.school_class_id, Mark.student_id,
               func.sum(Mark.value * Mark.weight), func.sum(case((Mark.value.is_not(None), Mark.weight))),
               func.count(Mark.value), func.sum(case((Mark.code.in_(("н", "Б", "п", "УП")), 1), else_=0)))
        .where(Mark.kind == "current", Mark.school_class_id.in_(class_ids),
               Mark.marked_on >= term.starts_on, Mark.marked_on <= term.ends_on, *subject_filter)
        .group_by(Mark.school_class_id, Mark.student_id))

    classes = {c.id: ClassResult(c.id, c.name) for c in session.scalars(
        select(SchoolClass).where(SchoolClass.id.in_(class_ids)).order_by(SchoolClass.grade, SchoolClass.letter))}
    results = {}

    def result(class_id, student_id):
        key = (class_id, student_id)
        if key not in results:
            results[key] = StudentResult(student_id, "")
        return results[key]

    for class_id, student_id, average, count, lowest, highest, *by_value in term_rows:
        r = result(class_id, student_id)
        r.average, r.marks, r.lowest, r.highest = round(float(average), 2), count, lowest, highest
        r.counts = {v: int(n) for v, n in zip((5, 4, 3, 2, 1), by_value) if n}
    for class_id, student_id, weighted, weights, count, absences in current_rows:
        r = result(class_id, student_id)
        r.current_marks, r.absences = count, int(absences or 0)
        if weights:
            r.current_average = round(float(weighted) / float(weights), 2)
    # Students now enrolled in the class show even without marks: a missing term mark is worth seeing.
    for student_id, class_id in session.execute(select(Student.id, Student.school_class_id)
                                                .where(Student.school_class_id.in_(class_ids))):
        result(class_id, student_id)
    names = {}
    ids = sorted({sid for _, sid in results}) if pupils else []
    for start in range(0, len(ids), 500):
        for student in session.scalars(select(Student).where(Student.id.in_(ids[start:start + 500]))):
            names[student.id] = (student.last_name, student.first_name, student.full_name)
    for (class_id, student_id), r in results.items():
        r.name = names.get(student_id, ("", "", "?"))[2]
        r.category = classify(r, underachiever_mark)
        if class_id in classes:
            classes[class_id].students.append(r)
    for c in classes.values():
        c.students.sort(key=lambda s: names.get(s.student_id, ("", "", ""))[:2])
    return list(classes.values())


def _subject_averages(session, term, class_ids, subject_id):
    filters = [Mark.kind == "term", Mark.term_id == term.id, Mark.value.is_not(None)]
    if class_ids is not None:
        filters.append(Mark.school_class_id.in_(class_ids))
    if subject_id:
        filters.append(Mark.subject_id == subject_id)
    return {sid: (round(float(avg), 2), count) for sid, avg, count in session.execute(
        select(Mark.subject_id, func.avg(Mark.value), func.count(Mark.value)).where(*filters)
        .group_by(Mark.subject_id))}


def subject_results(session, term, class_ids=None, subject_id=None):
    """Per subject: the term-mark average, the previous period's, and the current marks' weighted average."""
    now = _subject_averages(session, term, class_ids, subject_id)
    before_term = previous_term(session, term)
    before = _subject_averages(session, before_term, class_ids, subject_id) if before_term else {}
    if class_ids is None:
        # The whole school: the per-day totals the triggers keep (a few hundred rows, not a term's marks).
        source = MarkDayTotal
        filters = [MarkDayTotal.marked_on >= term.starts_on, MarkDayTotal.marked_on <= term.ends_on]
        sums = (func.sum(MarkDayTotal.weighted_sum), func.sum(MarkDayTotal.weight_sum))
    else:
        source = Mark
        filters = [Mark.kind == "current", Mark.marked_on >= term.starts_on, Mark.marked_on <= term.ends_on,
                   Mark.value.is_not(None), Mark.school_class_id.in_(class_ids)]
        sums = (func.sum(Mark.value * Mark.weight), func.sum(Mark.weight))
    if subject_id:
        filters.append(source.subject_id == subject_id)
    current = {sid: round(float(w) / float(n), 2) for sid, w, n in session.execute(
        select(source.subject_id, *sums).where(*filters).group_by(source.subject_id)) if n}
    ids = set(now) | set(current)
    subjects = session.scalars(select(Subject).where(Subject.id.in_(ids)).order_by(Subject.position, Subject.name)) \
        if ids else []
    rows = []
    for subject in subjects:
        average, count = now.get(subject.id, (None, 0))
        rows.append(SubjectResult(subject.id, subject.name, average, count,
                                  previous=before.get(subject.id, (None, 0))[0],
                                  current_average=current.get(subject.id)))
    return rows, before_term


def chart_bars(rows, width=640, bar=14):
    """Coordinates of a horizontal bar chart (previous and this period per subject), drawn as inline SVG."""
    label_width, scale = 200, (width - 260) / 5
    items = []
    y = 10
    for row in rows:
        items.append({"name": row.name, "y": y, "label_y": y + bar + 4, "prev_w": (row.previous or 0) * scale,
                      "now_w": (row.average or 0) * scale, "prev": row.previous, "now": row.average,
                      "x": label_width})
        y += 2 * bar + 14
    return {"items": items, "height": y + 20, "width": width, "bar": bar, "x": label_width,
            "ticks": [{"x": label_width + i * scale, "label": i} for i in range(6)]}

"""The per-subject, per-day totals of current marks (mark_day_total) kept by the database's triggers equal a
recomputation from the marks after every way marks are written: import, re-import, a hand correction, deletion,
plain SQL; and the whole-school analysis reads the same averages from them as from the marks."""
from datetime import date

from sqlalchemy import delete, func, insert, select, text, update

import marks_fixtures as fx
from models import Mark, MarkDayTotal, db
from models.analysis import subject_results
from models.marks_import import apply_import
from models.people import AcademicYear, Term
from test_analysis import seed_marks


def recomputed():
    rows = db.session.execute(
        select(Mark.subject_id, Mark.marked_on, func.count(), func.sum(Mark.weight), func.sum(Mark.value * Mark.weight))
        .where(Mark.kind == "current", Mark.value.is_not(None)).group_by(Mark.subject_id, Mark.marked_on))
    return {(s, d): (n, round(float(w), 2), round(float(vw), 2)) for s, d, n, w, vw in rows}


def kept():
    return {(t.subject_id, t.marked_on): (t.marks, round(float(t.weight_sum), 2), round(float(t.weighted_sum), 2))
            for t in db.session.scalars(select(MarkDayTotal))}


def assert_totals_hold():
    db.session.expire_all()
    assert kept() == recomputed()


def test_totals_follow_every_write_of_marks(session):
    ids = seed_marks()
    y0 = ids["y0"]
    assert_totals_hold()
    assert kept()[(ids["algebra"], date(y0, 9, 3))] == (3, 4.0, 18.0)  # «3/5» (weight 1 each), Петрова's 5 × 2

    # A re-import of 9А's algebra: a mark corrected, one added, the «3/5» day cut to «3», the «н» kept.
    rows = [("Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид", "Период", "Вес"),
            ("Иванов Иван", "9А", "Алгебра", f"02.09.{y0}", "5", "", "", ""),
            ("Иванов Иван", "9А", "Алгебра", f"03.09.{y0}", "3", "", "", ""),
            ("Иванов Иван", "9А", "Алгебра", f"04.09.{y0}", "н", "", "", ""),
            ("Петрова Алёна", "9А", "Алгебра", f"02.09.{y0}", "Б", "", "", ""),
            ("Петрова Алёна", "9А", "Алгебра", f"03.09.{y0}", "4", "", "", "2"),
            ("Сидоров Пётр", "9А", "Алгебра", f"04.09.{y0}", "2", "", "", "0.5")]
    batch = apply_import(db.session, fx.xlsx({"Отметки": rows}), original_name="правка.xlsx", stored_name="again.xlsx",
                         year=db.session.get(AcademicYear, ids["year"]))
    db.session.commit()
    assert batch.added_count and batch.updated_count and batch.removed_count
    assert_totals_hold()
    assert kept()[(ids["algebra"], date(y0, 9, 3))] == (2, 3.0, 11.0)

    # A hand correction: a value, a mark turned into an absence code, a mark moved to another day and subject.
    marks = list(db.session.scalars(select(Mark).where(Mark.kind == "current", Mark.value.is_not(None))
                                    .order_by(Mark.id)))
    marks[0].value = 3
    marks[1].value, marks[1].code = None, "н"
    marks[2].marked_on, marks[2].subject_id = date(y0, 9, 10), ids["russian"]
    db.session.commit()
    assert_totals_hold()

    # Plain SQL, as a script or the CLI might write: many rows at once, then the same rows' weights changed.
    db.session.execute(insert(Mark), [
        {"student_id": ids["kuznetsova"], "subject_id": ids["russian"], "school_class_id": ids["b"],
         "kind": "current", "marked_on": date(y0, 9, day), "slot": 0, "value": 4, "weight": 1}
        for day in range(11, 16)])
    db.session.execute(update(Mark).where(Mark.student_id == ids["kuznetsova"], Mark.kind == "current")
                       .values(weight=2))
    db.session.commit()
    assert_totals_hold()

    # Deletion: one mark by the ORM, then every mark of a day in one statement; a day without marks has no row.
    db.session.delete(db.session.get(Mark, marks[0].id))
    db.session.execute(delete(Mark).where(Mark.marked_on == date(y0, 9, 11)))
    db.session.commit()
    assert_totals_hold()
    assert (ids["russian"], date(y0, 9, 11)) not in kept()
    db.session.execute(text("DELETE FROM mark"))
    db.session.commit()
    assert_totals_hold()
    assert kept() == {}


def test_whole_school_averages_from_the_totals_equal_those_from_the_marks(session):
    ids = seed_marks()
    q1 = db.session.get(Term, ids["q1"])
    school, _ = subject_results(db.session, q1)  # from the totals
    by_classes, _ = subject_results(db.session, q1, [ids["a"], ids["b"]])  # from the marks
    assert [(r.name, r.current_average) for r in school] == [(r.name, r.current_average) for r in by_classes]
    # Алгебра's current marks in Q1: Иванов 4, 3, 5 and Петрова's 5 of weight 2: (4 + 3 + 5 + 10) / 5 = 4.4.
    assert {r.name: r.current_average for r in school}["Алгебра"] == 4.4


def test_totals_hold_after_the_demo_school_is_seeded(session):
    from models.demo import seed_demo_carriers, seed_demo_school

    seed_demo_school(db.session, students_total=60)
    seed_demo_carriers(db.session)
    db.session.commit()
    assert kept() and db.session.scalar(select(func.count(Mark.id)).where(Mark.kind == "current"))
    assert_totals_hold()

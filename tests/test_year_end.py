"""Year end: imported year marks written into personal files (preview, all or nothing, idempotent) and certified."""
from datetime import date

import pytest
from sqlalchemy import func, select

from conftest import make_user
from models import (AnnualCertification, AnnualMark, CarrierKind, Mark, PersonalFile, SchoolClass, Student, Subject,
                    User, db)
from models.people import current_year
from models.year_end import YearEndError, apply_year_marks, certify_year, preview_year_marks


def _school(teacher=None):
    """9А of the current year: Иванов (file, marks agree partly), Петрова (file empty), Сидоров (no file).

    Subjects: Алгебра, Русский язык, Физкультура (Физкультура: «зач»). Сидоров has no year mark in Русский.
    A second class 9Б with its own student, for the scope checks.
    """
    year = current_year(db.session)
    a = SchoolClass(academic_year=year, grade=9, letter="А", class_teacher=teacher)
    b = SchoolClass(academic_year=year, grade=9, letter="Б")
    algebra, russian, sport = (Subject(name="Алгебра", position=1), Subject(name="Русский язык", position=2),
                               Subject(name="Физическая культура", position=3))
    ivanov = Student(last_name="Иванов", first_name="Иван", birth_date=date(2010, 1, 1), sex="male", school_class=a)
    petrova = Student(last_name="Петрова", first_name="Анна", birth_date=date(2010, 2, 2), sex="female",
                      school_class=a)
    sidorov = Student(last_name="Сидоров", first_name="Пётр", birth_date=date(2010, 3, 3), sex="male", school_class=a)
    other = Student(last_name="Кузнецова", first_name="Мария", birth_date=date(2010, 4, 4), sex="female",
                    school_class=b)
    db.session.add_all([a, b, algebra, russian, sport, ivanov, petrova, sidorov, other])
    db.session.flush()
    kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    files = {}
    for student, number in ((ivanov, "И-1"), (petrova, "П-1"), (other, "К-1")):
        files[student.last_name] = PersonalFile(kind=kind, number=number, student=student,
                                                school_class=student.school_class, created_on=year.starts_on)
    db.session.add_all(files.values())
    db.session.flush()

    def mark(student, subject, kind, value=None, code=None, on=None):
        db.session.add(Mark(student_id=student.id, subject_id=subject.id, school_class_id=student.school_class_id,
                            kind=kind, marked_on=on or year.ends_on, value=value, code=code))

    for student, marks in ((ivanov, {algebra: 5, russian: 4, sport: "зач"}),
                           (petrova, {algebra: 3, russian: 5, sport: "зач"}),
                           (sidorov, {algebra: 4, sport: "осв"}),
                           (other, {algebra: 5})):
        for subject, value in marks.items():
            mark(student, subject, "year", value=value if isinstance(value, int) else None,
                 code=value if isinstance(value, str) else None)
    mark(sidorov, russian, "current", value=3, on=year.starts_on.replace(day=15))  # studied, but no year mark
    # Иванов's file already holds Алгебра 5 (same) and Русский 3 (differs).
    db.session.add_all([
        AnnualMark(personal_file=files["Иванов"], academic_year=year, subject=algebra, grade=9, value="5"),
        AnnualMark(personal_file=files["Иванов"], academic_year=year, subject=russian, grade=9, value="3"),
    ])
    db.session.commit()
    return {"year": year.id, "a": a.id, "b": b.id, "files": {k: v.id for k, v in files.items()},
            "sidorov": sidorov.id}


def _statuses(plan):
    return {(s.name.split()[0], r.subject): (r.imported, r.current, r.status) for s in plan.students for r in s.rows}


def _marks(file_id):
    return dict(db.session.execute(select(Subject.name, AnnualMark.value).join(Subject)
                                   .where(AnnualMark.personal_file_id == file_id)).all())


def test_preview_shows_what_differs(session):
    ids = _school()
    plan = preview_year_marks(session, ids["a"], ids["year"])
    assert [s.name for s in plan.students] == ["Иванов Иван", "Петрова Анна", "Сидоров Пётр"]
    assert _statuses(plan) == {
        ("Иванов", "Алгебра"): ("5", "5", "same"),
        ("Иванов", "Русский язык"): ("4", "3", "change"),
        ("Иванов", "Физическая культура"): ("зач", None, "add"),
        ("Петрова", "Алгебра"): ("3", None, "add"),
        ("Петрова", "Русский язык"): ("5", None, "add"),
        ("Петрова", "Физическая культура"): ("зач", None, "add"),
        ("Сидоров", "Алгебра"): ("4", None, "missing_file"),
        ("Сидоров", "Русский язык"): (None, None, "missing_mark"),
        ("Сидоров", "Физическая культура"): ("осв", None, "missing_file"),
    }
    assert plan.count("add") == 4 and plan.count("change") == 1
    assert session.scalar(select(func.count(AnnualMark.id))) == 2  # a preview writes nothing


def test_apply_writes_all_then_nothing_more(session):
    ids = _school()
    counts = apply_year_marks(session, ids["a"], ids["year"], None)
    session.commit()
    assert counts == {"add": 4, "change": 1}
    assert _marks(ids["files"]["Иванов"]) == {"Алгебра": "5", "Русский язык": "4", "Физическая культура": "зачтено"}
    assert _marks(ids["files"]["Петрова"]) == {"Алгебра": "3", "Русский язык": "5", "Физическая культура": "зачтено"}
    assert _marks(ids["files"]["Кузнецова"]) == {}  # another class is untouched
    grades = set(session.scalars(select(AnnualMark.grade)))
    assert grades == {9}
    before = session.execute(select(AnnualMark.id, AnnualMark.value).order_by(AnnualMark.id)).all()
    # Idempotent: a second transfer changes nothing.
    assert apply_year_marks(session, ids["a"], ids["year"], None) == {"add": 0, "change": 0}
    session.commit()
    assert session.execute(select(AnnualMark.id, AnnualMark.value).order_by(AnnualMark.id)).all() == before
    assert {r.status for s in preview_year_marks(session, ids["a"], ids["year"]).students for r in s.rows} \
        == {"same", "missing_file", "missing_mark"}


def test_apply_is_all_or_nothing(session, monkeypatch):
    ids = _school()
    import models.year_end as module

    real, calls = module._write, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("диск переполнен")
        return real(*args)

    monkeypatch.setattr(module, "_write", failing)
    with pytest.raises(RuntimeError):
        apply_year_marks(session, ids["a"], ids["year"], None)
    session.commit()  # even a caller that commits after the failure keeps nothing of it
    assert len(calls) == 3
    assert _marks(ids["files"]["Иванов"]) == {"Алгебра": "5", "Русский язык": "3"}
    assert _marks(ids["files"]["Петрова"]) == {}


def test_certify_rules(session):
    teacher = make_user("klassnaya", ["class_teacher"])
    ids = _school(teacher)
    today = date.today()
    # Сидоров has no personal file and no year mark in Русский язык.
    with pytest.raises(YearEndError, match="Сидоров Пётр: нет личного дела"):
        certify_year(session, ids["a"], ids["year"], teacher, today)
    session.rollback()
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    sidorov = session.get(Student, ids["sidorov"])
    session.add(PersonalFile(kind=kind, number="С-1", student=sidorov, school_class_id=ids["a"],
                             created_on=today))
    session.commit()
    with pytest.raises(YearEndError, match="по предмету «Русский язык» нет годовой отметки"):
        certify_year(session, ids["a"], ids["year"], teacher, today)
    session.rollback()
    year = current_year(session)
    session.add(Mark(student_id=sidorov.id, subject_id=session.scalar(select(Subject.id).where(
        Subject.name == "Русский язык")), school_class_id=ids["a"], kind="year", marked_on=year.ends_on, value=4))
    session.commit()
    # Marks not yet transferred are not certified either.
    with pytest.raises(YearEndError, match="ещё не перенесены"):
        certify_year(session, ids["a"], ids["year"], teacher, today)
    session.rollback()
    apply_year_marks(session, ids["a"], ids["year"], teacher)
    assert certify_year(session, ids["a"], ids["year"], teacher, today) == 3
    session.commit()
    rows = session.scalars(select(AnnualCertification)).all()
    assert len(rows) == 3 and {r.certified_by_id for r in rows} == {teacher.id} and {r.certified_on for r in rows} \
        == {today}
    with pytest.raises(YearEndError, match="уже заверены"):
        certify_year(session, ids["a"], ids["year"], teacher, today)
    session.rollback()
    # A certified year is closed to this page: a later correction in the journal is not written.
    mark = session.scalar(select(Mark).where(Mark.student_id == sidorov.id, Mark.kind == "year",
                                             Mark.value == 4))
    mark.value = 5
    session.commit()
    with pytest.raises(YearEndError, match="уже заверены"):
        apply_year_marks(session, ids["a"], ids["year"], teacher)
    session.rollback()
    assert session.scalar(select(func.count(AnnualCertification.id))) == 3


def test_page_for_the_class_teacher_and_the_roles(app, login_as):
    teacher_panel = login_as("class_teacher", login="teacher_9a")
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.login == "teacher_9a"))
        ids = _school(teacher)
    url = f"/admin/year_end_marks/?year={ids['year']}&class_id={ids['a']}"
    page = teacher_panel.get(url).get_data(as_text=True)
    assert "Годовые отметки в личные дела" in page and "Иванов Иван" in page
    assert 'data-status="change"' in page and "3 → 4" in page and "нет личного дела" in page
    assert "Кузнецова" not in page  # 9Б is not in the teacher's list
    assert teacher_panel.get(f"/admin/year_end_marks/?class_id={ids['b']}").status_code == 403
    assert teacher_panel.post("/admin/year_end_marks/apply", data={"class_id": ids["b"]}).status_code == 403
    with app.app_context():
        assert _marks(ids["files"]["Кузнецова"]) == {}

    response = teacher_panel.post("/admin/year_end_marks/apply", data={"class_id": ids["a"]})
    assert response.status_code == 302
    page = teacher_panel.get(url).get_data(as_text=True)
    assert "добавлено — 4, изменено — 1" in page
    response = teacher_panel.post("/admin/year_end_marks/certify", data={"class_id": ids["a"]})
    page = teacher_panel.get(url).get_data(as_text=True)
    assert "Заверить нельзя. Сидоров Пётр: нет личного дела." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(AnnualCertification.id))) == 0

    # The secretary works with any class; the deputy and the director only look.
    secretary = login_as("secretary")
    assert secretary.post("/admin/year_end_marks/apply", data={"class_id": ids["b"]}).status_code == 302
    with app.app_context():
        assert _marks(ids["files"]["Кузнецова"]) == {"Алгебра": "5"}
    for role in ("deputy", "director"):
        panel = login_as(role)
        page = panel.get(url)
        assert page.status_code == 200 and "Перенести" not in page.get_data(as_text=True)
        assert panel.post("/admin/year_end_marks/certify", data={"class_id": ids["b"]}).status_code == 403
    for role in ("officer", "admin"):
        assert login_as(role).get(url).status_code == 403

    # 9Б certified by the secretary: the page says so and refuses another transfer.
    assert secretary.post("/admin/year_end_marks/certify", data={"class_id": ids["b"]}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(AnnualCertification.id))) == 1
    page = secretary.get(f"/admin/year_end_marks/?class_id={ids['b']}").get_data(as_text=True)
    assert 'data-testid="certified"' in page and "Перенести" not in page
    secretary.post("/admin/year_end_marks/apply", data={"class_id": ids["b"]})
    page = secretary.get(f"/admin/year_end_marks/?class_id={ids['b']}").get_data(as_text=True)
    assert "уже заверены" in page and "изменить их на этой странице нельзя" in page


def _empty_class():
    """9В of the current year: five pupils with personal files and not a single mark of the year."""
    year = current_year(db.session)
    klass = SchoolClass(academic_year=year, grade=9, letter="В")
    db.session.add(klass)
    db.session.flush()
    kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    for n in range(5):
        pupil = Student(last_name=f"Пустов{n}", first_name="Ян", birth_date=date(2010, 5, n + 1), sex="male",
                        school_class=klass)
        db.session.add(pupil)
        db.session.flush()
        db.session.add(PersonalFile(kind=kind, number=f"П-9{n}", student=pupil, school_class=klass,
                                    created_on=year.starts_on))
    db.session.commit()
    return klass.id, year.id


def test_a_year_without_marks_is_not_certified_and_a_certification_is_withdrawn_by_the_deputy(app, login_as):
    secretary = login_as("secretary")
    with app.app_context():
        klass_id, year_id = _empty_class()
    url = f"/admin/year_end_marks/?year={year_id}&class_id={klass_id}"
    secretary.post("/admin/year_end_marks/certify", data={"class_id": klass_id})
    page = secretary.get(url).get_data(as_text=True)
    assert "Заверить нельзя" in page and "нет ни одной годовой отметки" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(AnnualCertification.id))) == 0

    # A certification made empty anyway (before this rule) blocks the transfer until the deputy withdraws it.
    with app.app_context():
        files = db.session.scalars(select(PersonalFile).join(Student).where(Student.school_class_id == klass_id))
        for file in files:
            db.session.add(AnnualCertification(personal_file_id=file.id, academic_year_id=year_id,
                                               certified_on=date.today()))
        db.session.commit()
        subject = Subject(name="Геометрия", position=9)
        db.session.add(subject)
        db.session.flush()
        for pupil in db.session.scalars(select(Student).where(Student.school_class_id == klass_id)):
            db.session.add(Mark(student_id=pupil.id, subject_id=subject.id, school_class_id=klass_id, kind="year",
                                marked_on=current_year(db.session).ends_on, value=4))
        db.session.commit()
    secretary.post("/admin/year_end_marks/apply", data={"class_id": klass_id})
    assert "уже заверены" in secretary.get(url).get_data(as_text=True)

    # Only the deputy withdraws, and only with a reason.
    assert secretary.post("/admin/year_end_marks/withdraw", data={"class_id": klass_id,
                                                                  "reason": "пусто"}).status_code == 403
    deputy = login_as("deputy")
    page = deputy.get(url).get_data(as_text=True)
    assert 'data-testid="withdraw"' in page and "Отозвать заверение" in page
    deputy.post("/admin/year_end_marks/withdraw", data={"class_id": klass_id, "reason": "  "})
    assert "Укажите причину отзыва" in deputy.get(url).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AnnualCertification.id))) == 5
    deputy.post("/admin/year_end_marks/withdraw",
                data={"class_id": klass_id, "reason": "заверено до загрузки отметок"})
    page = deputy.get(url).get_data(as_text=True)
    assert "отозвано (5 личных дел)" in page and "причина: заверено до загрузки отметок" in page
    with app.app_context():
        from models import AuditLog

        assert db.session.scalar(select(func.count(AnnualCertification.id))) == 0
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.table_name == "annual_certification", AuditLog.action == "delete")) == 5

    # Now the transfer and the certification go through.
    secretary.post("/admin/year_end_marks/apply", data={"class_id": klass_id})
    assert "добавлено — 5" in secretary.get(url).get_data(as_text=True)
    secretary.post("/admin/year_end_marks/certify", data={"class_id": klass_id})
    assert "заверены в личных делах: 5" in secretary.get(url).get_data(as_text=True)

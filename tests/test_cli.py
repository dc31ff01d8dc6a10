"""Command-line commands: users, the first admin, the demo school, the instance config, SQLite settings."""
import re
import shutil
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select, text

from models.roles import ROLES
from app import create_app
from conftest import PanelClient, _base_config
from models import (AnnualCertification, AnnualMark, Carrier, EjournalCopy, ExamProtocol, Guardian, Mark,
                    PaperJournal, PersonalFile, Portfolio, RegisterBook, SchoolClass, StoredCertificate, Student, User,
                    db)
from models.people import current_year


def _output(result):
    return result.output + (getattr(result, "stderr", "") or "")


def _users(app, login):
    with app.app_context():
        return db.session.scalars(select(User).where(func.lower(User.login) == login.lower())).all()


def test_create_user_then_update_without_duplicate(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "sidorova", "--role", "secretary", "--password", "pass-word-1",
                                 "--full-name", "Сидорова Анна Петровна"])
    assert result.exit_code == 0, _output(result)
    assert "Создан пользователь sidorova" in result.output
    result = runner.invoke(args=["create-user", "sidorova", "--role", "secretary", "--role", "officer",
                                 "--password", "pass-word-2"])
    assert result.exit_code == 0, _output(result)
    assert "Обновлён пользователь sidorova" in result.output
    users = _users(app, "sidorova")
    assert len(users) == 1
    assert sorted(users[0].roles) == ["officer", "secretary"]
    assert users[0].full_name == "Сидорова Анна Петровна"
    assert users[0].check_password("pass-word-2") and not users[0].check_password("pass-word-1")


@pytest.mark.parametrize("args, message", [
    (["--role", "janitor", "--password", "pass-word-1"], "Неизвестная роль: janitor"),
    (["--password", "pass-word-1"], "укажите роль"),
    (["--role", "secretary", "--password", "short"], "Пароль должен быть не короче 10 символов."),
])
def test_create_user_refuses_bad_arguments(app, args, message):
    result = app.test_cli_runner().invoke(args=["create-user", "newbie"] + args)
    assert result.exit_code == 2
    assert message in _output(result)
    assert "Ошибка" in _output(result)
    assert _users(app, "newbie") == []


def test_init_db_prints_the_admin_password_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, _output(result)
    match = re.search(r"логин:\s+(\S+)\s+пароль:\s+(\S+)", result.output)
    assert match, result.output
    login, password = match.groups()
    assert login == "admin" and len(password) >= 12
    panel = PanelClient(app)
    assert panel.login(login, password).status_code == 302
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0, _output(again)
    assert "пароль" not in again.output and password not in again.output
    assert "База данных готова." in again.output
    assert len(_users(app, "admin")) == 1


def test_init_db_gives_sqlite_planner_statistics(app, backend):
    if backend != "sqlite":
        pytest.skip("только для SQLite: PostgreSQL собирает статистику сам")
    with app.app_context():
        db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, _output(result)
    with app.app_context():
        # Without them SQLite may walk the name index on a large register instead of the search index.
        tables = set(db.session.scalars(text("SELECT tbl FROM sqlite_stat1")))
        assert "carrier_kind" in tables and "user" in tables


def test_seed_demo_refuses_a_database_not_named_demo(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 2
    assert "демо-данные загружаются только в отдельную демо-базу" in _output(result)
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 0


def test_seed_demo_school_on_sqlite(sqlite_template, tmp_path):
    path = tmp_path / "demo.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app(_base_config(tmp_path, f"sqlite:///{path}"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, _output(result)
    assert "Демо-школа создана." in result.output
    with app.app_context():
        year = current_year(db.session)
        students = db.session.scalars(select(Student)).all()
        assert 550 <= len(students) <= 650
        # «№ 112-о от 27.11.2026» is one record: no number is given twice within a numbering half-year.
        from models import Order

        seen = Counter((o.number, o.issued_on.year, o.issued_on.month >= 9) for o in db.session.scalars(select(Order)))
        assert [key for key, n in seen.items() if n > 1] == []
        classes = db.session.scalars(select(SchoolClass)).all()
        # Past years' 10th classes hold the half-year marks the 11th grade's attestat averages (№ 546 п. 5.4).
        per_grade = Counter(c.grade for c in classes if c.academic_year_id == year.id)
        assert sorted(per_grade) == list(range(1, 12))
        assert all(2 <= n <= 3 for n in per_grade.values()), per_grade
        studying = [s for s in students if s.status == "studying"]
        assert 550 <= len(studying) <= 620
        for student in studying:
            age = (year.starts_on - student.birth_date).days / 365.25
            # A first-grader is 6.5 to 7.5 on 1 September; every grade adds a year.
            assert 6.45 + student.school_class.grade - 1 <= age <= 7.55 + student.school_class.grade - 1, (
                student.full_name, student.birth_date, student.school_class.name)
            assert student.guardians, student.full_name
        for klass in classes:
            assert klass.class_teacher is not None and "class_teacher" in klass.class_teacher.roles
        # Patronymics as Russians have them, agreeing with the sex; boys and girls both.
        assert Counter(s.sex for s in students).keys() == {"male", "female"}
        people = [(s.middle_name, s.sex) for s in students] + [
            (g.middle_name, "female" if g.kind == "mother" else "male") for g in db.session.scalars(select(Guardian))]
        for middle, sex in people:
            assert not re.search(r"Михаилов|Игорьов|Ильяов|Ильевич|Пётрович|Павелович|Левович", middle), middle
            assert middle.endswith(("вна", "чна")) if sex == "female" else middle.endswith("ич"), (middle, sex)
        assert {"Михайлович", "Игоревна", "Ильинична"} & {m for m, _ in people}
        roles = {role for user in db.session.scalars(select(User)) for role in user.roles}
        assert set(ROLES) <= roles
        # The registers are filled too: a personal file per student, books with custodians, stored certificates,
        # protocols, journals, sheets (some past their term), copies (one on a single medium), portfolios, marks.
        files = db.session.scalars(select(PersonalFile)).all()
        assert {f.student_id for f in files} == {s.id for s in students}
        assert all(re.fullmatch(r"[А-ЯЁ]-\d+", f.number) and f.location for f in files)
        assert len({f.number for f in files}) == len(files)
        # The archive's backbone, consistent with the school's history: a line of the alphabetical book for every
        # admission (a pupil who came back has two), the personal file numbered by the pupil's current line, the
        # leavers' lines carrying their leaving orders, every order listing its pupils.
        from models.admission_book import AdmissionBookEntry

        book = db.session.scalars(select(AdmissionBookEntry)).all()
        by_student = Counter(line.student_id for line in book)
        assert set(by_student) == {s.id for s in students} and sorted(by_student.values())[-1] == 2
        latest = {line.student_id: line for line in sorted(book, key=lambda line: line.id)}
        assert all(latest[f.student_id].number == f.number == latest[f.student_id].personal_file_number
                   for f in files)
        leavers = [s for s in students if s.status != "studying"]
        assert len([s for s in leavers if s.status == "graduated"]) >= 20
        for pupil in leavers:
            line = latest[pupil.id]
            assert line.left_on == pupil.left_on and line.leaving_order_id == pupil.leaving_order_id
            assert pupil in pupil.leaving_order.students
        assert all(latest[s.id].admission_order_id == s.enrolment_order_id for s in studying)
        assert {b.kind.code for b in db.session.scalars(select(RegisterBook))} >= {"admission_book", "pupil_orders"}
        assert all(line.book is not None and line.book.kind.code == "admission_book" for line in book)
        assert db.session.scalar(select(func.count(AnnualMark.id))) > 100
        assert db.session.scalar(select(func.count(AnnualCertification.id))) > 10
        books = {(b.kind.code, b.level): b for b in db.session.scalars(select(RegisterBook))}
        assert {("certificate_book", "basic"), ("certificate_book", "secondary"),
                ("study_certificate_book", None)} <= set(books)
        assert all(b.custodian is not None for b in books.values())
        stored = db.session.scalars(select(StoredCertificate)).all()
        assert stored and all(s.student.school_class.grade in (10, 11) and "Сейф" in s.location for s in stored)
        protocols = db.session.scalars(select(ExamProtocol)).all()
        assert any(p.results and p.academic_year.ends_on.year == year.starts_on.year for p in protocols)
        assert db.session.scalar(select(func.count(PaperJournal.id))) >= 2
        assert db.session.scalar(select(func.count(Portfolio.id))) > 10
        copies = db.session.scalars(select(EjournalCopy)).all()
        assert sorted(len(c.media) for c in copies)[0] == 1 and max(len(c.media) for c in copies) == 2
        assert db.session.scalar(select(func.count(Carrier.id)).where(Carrier.kind.has(code="summary_sheet"),
                                                                     Carrier.retention_end < date.today())) > 0
        marks = db.session.scalar(select(func.count(Mark.id)))
        assert 2000 <= marks <= 20000, marks
        counts = (len(students), db.session.scalar(select(func.count(Guardian.id))),
                  db.session.scalar(select(func.count(User.id))), len(classes),
                  db.session.scalar(select(func.count(Carrier.id))), db.session.scalar(select(func.count(Mark.id))),
                  db.session.scalar(select(func.count(AnnualMark.id))))
        db.session.remove()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0, _output(again)
    assert "уже была загружена" in again.output
    with app.app_context():
        assert counts == (db.session.scalar(select(func.count(Student.id))),
                          db.session.scalar(select(func.count(Guardian.id))),
                          db.session.scalar(select(func.count(User.id))),
                          db.session.scalar(select(func.count(SchoolClass.id))),
                          db.session.scalar(select(func.count(Carrier.id))),
                          db.session.scalar(select(func.count(Mark.id))),
                          db.session.scalar(select(func.count(AnnualMark.id))))
    # The printed demo accounts work.
    assert PanelClient(app).login("secretary", "demo-secretary").status_code == 302
    with app.app_context():
        db.engine.dispose()


def test_first_start_writes_instance_config_with_a_random_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("INSTANCE_PATH", raising=False)
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app({**config, "INSTANCE_PATH": str(tmp_path / "one")})
    written = (tmp_path / "one" / "config.py").read_text(encoding="utf-8")
    key = re.search(r"SECRET_KEY = '([0-9a-f]+)'", written).group(1)
    assert len(key) == 64 and first.config["SECRET_KEY"] == key
    again = create_app({**config, "INSTANCE_PATH": str(tmp_path / "one")})
    assert again.config["SECRET_KEY"] == key  # kept across restarts, so sessions survive them
    other = create_app({**config, "INSTANCE_PATH": str(tmp_path / "two")})
    assert other.config["SECRET_KEY"] != key
    # Tests never write it.
    create_app({**config, "TESTING": True, "INSTANCE_PATH": str(tmp_path / "three")})
    assert not (tmp_path / "three" / "config.py").exists()


def test_sqlite_connection_pragmas(app, backend):
    if backend != "sqlite":
        pytest.skip("только для SQLite")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() > 0
        assert db.session.execute(text("SELECT lower('ИВАНОВ')")).scalar() == "иванов"


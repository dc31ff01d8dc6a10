"""Timing of the class prints: a class-year journal (30 pupils, 20 subjects) ≤ 2 s, the summary sheet ≤ 300 ms.

Run `python bench/prints.py` (SQLite in a temporary folder; `--database-url` for PostgreSQL, whose database is
emptied first). Marks are generated as an e-journal holds them: a lesson a week per subject, about half the class
marked at each, four quarter marks and a year mark per pupil and subject."""
import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from models import db  # noqa: E402

LIMITS = {"journal": 2.0, "summary": 0.3}


def seed(pupils=30, subjects=20):
    from models import SchoolClass, Student, Subject, Term, User
    from models.marks import Mark
    from models.people import current_year
    from models.seed import ensure_reference_data

    ensure_reference_data(db.session)
    year = current_year(db.session)
    y0 = year.starts_on.year
    bounds = [(date(y0, 9, 1), date(y0, 10, 26)), (date(y0, 11, 5), date(y0, 12, 28)),
              (date(y0 + 1, 1, 9), date(y0 + 1, 3, 22)), (date(y0 + 1, 4, 1), date(y0 + 1, 5, 26))]
    terms = [Term(academic_year=year, kind="quarter", number=n + 1, starts_on=s, ends_on=e)
             for n, (s, e) in enumerate(bounds)]
    klass = SchoolClass(academic_year=year, grade=7, letter="А")
    names = [Subject(name=f"Предмет {n + 1:02d}", position=n) for n in range(subjects)]
    people = [Student(last_name=f"Фамилия{n:02d}", first_name="Имя", birth_date=date(y0 - 13, 1, 1), sex="male",
                      school_class=klass) for n in range(pupils)]
    admin = User(login="bench_admin", full_name="Администратор", active=True)
    admin.roles = ["admin"]
    admin.set_password("bench-password")
    db.session.add_all([*terms, klass, *names, *people, admin])
    db.session.flush()
    rng = random.Random(7)
    rows = []
    for subject in names:
        for term in terms:
            day = term.starts_on
            while day <= term.ends_on:
                for pupil in people:
                    if rng.random() < 0.5:
                        rows.append(dict(student_id=pupil.id, subject_id=subject.id, school_class_id=klass.id,
                                         kind="current", marked_on=day, slot=0, value=rng.randint(2, 5)))
                day += timedelta(days=7)
            for pupil in people:
                rows.append(dict(student_id=pupil.id, subject_id=subject.id, school_class_id=klass.id, kind="term",
                                 marked_on=term.ends_on, slot=0, term_id=term.id, value=rng.randint(3, 5)))
        for pupil in people:
            rows.append(dict(student_id=pupil.id, subject_id=subject.id, school_class_id=klass.id, kind="year",
                             marked_on=year.ends_on, slot=0, value=rng.randint(3, 5)))
    db.session.execute(Mark.__table__.insert(), rows)
    db.session.commit()
    return klass.id, len(rows)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from flask_migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        uri = args.database_url or f"sqlite:///{Path(tmp) / 'prints.sqlite'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(Path(tmp) / "instance"),
                          "SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            if args.database_url:
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            upgrade()
            class_id, marks = seed()
        client = app.test_client()
        client.post("/login", data={"login": "bench_admin", "password": "bench-password"})
        print(f"Класс: 30 обучающихся, 20 предметов, отметок: {marks}")
        failed = False
        for name, url in (("journal", "/admin/ejournal_archive/journal"), ("summary", "/admin/ejournal_archive/summary")):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.post(url, data={"class_id": class_id})
                times.append(time.perf_counter() - started)
                assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
            median = statistics.median(times)
            ok = median <= LIMITS[name]
            failed |= not ok
            print(f"{name}: медиана {median:.2f} с (предел {LIMITS[name]} с), листов — "
                  f"{response.headers.get('Content-Disposition', '').split('%28')[-1].split('%20')[0]} "
                  f"{'OK' if ok else 'МЕДЛЕННО'}")
        with app.app_context():
            db.engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

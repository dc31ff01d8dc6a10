"""Benchmark: a 200,000-line flat XLSX checked and written end to end through the import page on SQLite (target ≤ 10 s).

Run: .venv/bin/python bench/marks_import.py [lines] [--database-url URL] [--profile FILE]. Prints the time of
«Проверить файл», of the confirmation and of both, as a school's deputy would wait for them (the test client goes
through login, CSRF, the views and templates), with the load average of the machine at the time and the CPU time,
which a shared machine's load disturbs far less. `--database-url` runs it on PostgreSQL (that database is emptied
first); `--profile` writes cProfile statistics of both requests (FILE.check, FILE.confirm; read with pstats).
"""
import argparse
import cProfile
import io
import os
import re
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from models import SchoolClass, Student, Subject, User, db  # noqa: E402
from models.people import current_year  # noqa: E402
from models.seed import ensure_reference_data  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TARGET_SECONDS = 10


def build_school_and_file(total):
    from openpyxl import Workbook

    year = current_year(db.session)
    classes = [SchoolClass(academic_year=year, grade=g, letter=letter) for g in range(5, 12) for letter in "АБВ"]
    subjects = [Subject(name=f"Предмет {i}", position=i) for i in range(10)]
    db.session.add_all(classes + subjects)
    db.session.flush()
    students = [Student(last_name=f"Фамилия{c.id}_{i}", first_name="Имя", birth_date=date(2010, 1, 1),
                        sex="male", school_class=c) for c in classes for i in range(25)]
    db.session.add_all(students)
    deputy = User(login="bench_deputy", full_name="Замер Импорта", active=True)
    deputy.roles = ["deputy"]
    deputy.set_password("bench-password-1")
    db.session.add(deputy)
    db.session.commit()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Отметки")
    sheet.append(["Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид"])
    day, n = year.starts_on, 0
    while n < total:
        for student in students:
            for subject in subjects[:4]:
                if n < total:
                    sheet.append([f"{student.last_name} Имя", student.school_class.name, subject.name,
                                  day.strftime("%d.%m.%Y"), str(n % 4 + 2), "текущая"])
                n += 1
        day += timedelta(days=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), year.id


def _timed(profile, path, call):
    """(result, wall seconds, CPU seconds) of call(); under cProfile when asked."""
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = call()
    if profiler:
        profiler.disable()
        profiler.dump_stats(path)
    return result, time.perf_counter() - started, time.process_time() - cpu_started


def main(argv=None):
    from flask_migrate import upgrade

    parser = argparse.ArgumentParser()
    parser.add_argument("lines", nargs="?", type=int, default=200_000)
    parser.add_argument("--database-url")
    parser.add_argument("--profile")
    parser.add_argument("--again", action="store_true", help="then check the same file again (every line compared "
                        "with a mark already there: «изменений нет»)")
    args = parser.parse_args(argv)
    total = args.lines
    root = Path(tempfile.mkdtemp())
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(root),
                      "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{root / 'bench.sqlite'}"})
    with app.app_context():
        if args.database_url:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
        upgrade()
        ensure_reference_data(db.session)
        data, year_id = build_school_and_file(total)
        db.session.remove()
    http = app.test_client()
    token = CSRF_RE.search(http.get("/login").get_data(as_text=True)).group(1)
    assert http.post("/login", data={"login": "bench_deputy", "password": "bench-password-1",
                                     "csrf_token": token}).status_code == 302
    token = CSRF_RE.search(http.get("/marks/import").get_data(as_text=True)).group(1)
    load = os.getloadavg()[0]
    page, check_time, check_cpu = _timed(args.profile, f"{args.profile}.check", lambda: http.post(
        "/marks/import", data={"file": (io.BytesIO(data), "отметки.xlsx"), "year": year_id, "csrf_token": token},
        content_type="multipart/form-data"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200, re.findall(r"<li>(.*?)</li>", text)[:5]
    pending = re.search(r'name="token" value="([^"]+)"', text).group(1)
    done, write_time, write_cpu = _timed(args.profile, f"{args.profile}.confirm", lambda: http.post(
        "/marks/import/confirm", data={"token": pending, "csrf_token": token}))
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    result = http.get(done.headers["Location"]).get_data(as_text=True)
    assert f"добавлено отметок — {total}" in result, re.findall(r'data-testid="result">(.*?)<', result)
    load = max(load, os.getloadavg()[0])
    total_time = check_time + write_time
    lines = f"{total:,}".replace(",", " ")
    base = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{base}, {lines} строк: проверка {check_time:.1f} с, подтверждение и запись {write_time:.1f} с, "
          f"всего {total_time:.1f} с (цель ≤ {TARGET_SECONDS} с); время процессора: {check_cpu:.1f} + "
          f"{write_cpu:.1f} = {check_cpu + write_cpu:.1f} с (на общей машине под нагрузкой оно ближе к тому, что "
          f"было бы на свободной); load average {load:.1f}")
    if args.again:
        page, again_time, again_cpu = _timed(args.profile, f"{args.profile}.again", lambda: http.post(
            "/marks/import", data={"file": (io.BytesIO(data), "отметки.xlsx"), "year": year_id, "csrf_token": token},
            content_type="multipart/form-data"))
        assert 'data-testid="to-add">0<' in page.get_data(as_text=True)
        print(f"повторная проверка того же файла (все строки уже в базе): {again_time:.1f} с, время процессора "
              f"{again_cpu:.1f} с; load average {os.getloadavg()[0]:.1f}")
    return 0 if total_time <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())

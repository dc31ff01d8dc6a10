"""District-scale benchmark: seeds (or reuses) a big database and times the panel's heavy pages against bare twins.

Run `make bench` (SQLite) or `DATABASE_URL=postgresql+psycopg://... make bench` (SQLite, then that database).
Options: --students N (default 100000), --repeat N (default 15), --only TEXT, --no-sqlite (PostgreSQL only).
"""
import argparse
import io
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event, inspect as sa_inspect, select  # noqa: E402

from app import create_app, settle_heap  # noqa: E402
from models import db  # noqa: E402

import seed as seeder  # noqa: E402

OUT = ROOT / "bench" / "out"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- the app with bare Flask-Admin twins --------------------------------------------------------------

def build_app(uri, instance):
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(instance),
                      "SQLALCHEMY_DATABASE_URI": uri})
    _add_bare_views(app)
    counter = {"n": 0}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__("n", counter["n"] + 1))
    app.extensions["bench_queries"] = counter
    settle_heap()  # as create_app does for a served panel (TESTING skips it there)
    return app


def _add_bare_views(app):
    """Plain ModelViews of the same tables, configured only with the same columns: the yardstick."""
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView
    from flask_admin.theme import Bootstrap4Theme

    from models import PersonalFile, Student

    class BarePersonalFiles(ModelView):
        page_size = 50
        column_list = ("number", "student", "school_class.name", "created_on", "closed_on", "status", "location",
                       "retention_end")
        column_searchable_list = ("number", "student.last_name", "student.first_name", "student.middle_name")
        column_filters = ("status",)
        column_default_sort = ("id", True)
        form_columns = ("number", "student", "school_class", "created_on", "closed_on", "status",
                        "has_application", "location", "custodian", "note")

    class BareStudents(ModelView):
        page_size = 50
        column_list = ("last_name", "first_name", "middle_name", "birth_date", "school_class.name", "status")
        column_searchable_list = ("last_name", "first_name", "middle_name")
        column_filters = ("status",)
        column_default_sort = [("last_name", False), ("first_name", False)]
        form_columns = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class",
                        "enrolled_on")

    class BareAdmissionBook(ModelView):
        page_size = 50
        column_list = ("letter", "line_number", "last_name", "first_name", "middle_name", "birth_date", "admitted_on",
                       "admission_order", "admitted_class", "came_from", "left_on", "leaving_order", "left_to",
                       "personal_file_number")
        column_default_sort = [("letter", False), ("line_number", False)]

    bare = Admin(app, name="Bare", url="/bare", endpoint="bare", theme=Bootstrap4Theme())
    from models.admission_book import AdmissionBookEntry

    bare.add_view(BareAdmissionBook(AdmissionBookEntry, db, endpoint="bare_admission_book",
                                    url="/bare/admission_book"))
    bare.add_view(BarePersonalFiles(PersonalFile, db, endpoint="bare_personal_file", url="/bare/personal_file"))
    bare.add_view(BareStudents(Student, db, endpoint="bare_student", url="/bare/student"))
    app.extensions["bench_bare"] = bare


def _view(app, endpoint):
    for admin_key in ("panel_admin", "bench_bare"):
        for view in app.extensions[admin_key]._views:
            if view.endpoint == endpoint:
                return view
    raise KeyError(endpoint)


def _status_filter_arg(view):
    from flask_admin.contrib.sqla.filters import FilterEqual

    for key, (_index, flt) in view._filter_args.items():
        if type(flt) is FilterEqual and getattr(flt.column, "key", None) == "status":
            return f"flt0_{key}"
    raise KeyError("status filter")


class Client:
    """Logged in through /login with the CSRF token, like tests/conftest.py's PanelClient."""

    def __init__(self, app):
        self.app, self.http = app, app.test_client()
        page = self.http.get("/login").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        response = self.http.post("/login", data={"login": seeder.BENCH_LOGIN, "password": seeder.BENCH_PASSWORD,
                                                  "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def get(self, url):
        counter = self.app.extensions["bench_queries"]
        counter["n"] = 0
        started = time.perf_counter()
        response = self.http.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise AssertionError(f"{url}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return elapsed, counter["n"], response


# --- timing --------------------------------------------------------------------------------------------

def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def time_url(client, url, repeat, budget=30.0):
    client.get(url)  # warm: templates compiled, caches filled
    times, queries = [], 0
    for _ in range(repeat):
        elapsed, queries, _ = client.get(url)
        times.append(elapsed)
        if sum(times) > budget and len(times) >= 3:
            break  # a bare form listing 100,000 students takes half a minute: three samples tell enough
    return times, queries


def cases(app, ids):
    """(name, product url, bare url or None, target seconds, is a list page)."""
    pf, bpf = _view(app, "personal_file"), _view(app, "bare_personal_file")
    st, bst = _view(app, "student"), _view(app, "bare_student")
    year, klass = ids["year_id"], ids["class_id"]
    return [
        ("Личные дела: 1-я страница", "/admin/personal_file/", "/bare/personal_file/", 0.06, True),
        ("Личные дела: страница 1000", "/admin/personal_file/?page=999", "/bare/personal_file/?page=999", 0.06, True),
        ("Личные дела: фильтр статуса", f"/admin/personal_file/?{_status_filter_arg(pf)}=handed_over",
         f"/bare/personal_file/?{_status_filter_arg(bpf)}=handed_over", 0.06, True),
        ("Личные дела: поиск по фамилии", "/admin/personal_file/?search=Соколова",
         "/bare/personal_file/?search=Соколова", 0.06, True),
        ("Личное дело: форма правки", f"/admin/personal_file/edit/?id={ids['personal_file_id']}",
         f"/bare/personal_file/edit/?id={ids['personal_file_id']}", 0.06, False),
        ("Обучающиеся: 1-я страница", "/admin/student/", "/bare/student/", 0.06, True),
        ("Обучающиеся: страница 1000", "/admin/student/?page=999", "/bare/student/?page=999", 0.06, True),
        ("Обучающиеся: фильтр статуса", f"/admin/student/?{_status_filter_arg(st)}=studying",
         f"/bare/student/?{_status_filter_arg(bst)}=studying", 0.06, True),
        ("Обучающиеся: поиск по фамилии", "/admin/student/?search=Соколова", "/bare/student/?search=Соколова",
         0.06, True),
        ("Обучающийся: форма правки", f"/admin/student/edit/?id={ids['student_id']}",
         f"/bare/student/edit/?id={ids['student_id']}", 0.06, False),
        # Forms that pick a student or a portfolio among a district's 100,000 / 50,000 (look-ups as you type);
        # no bare twin: Flask-Admin's own select takes 3.6 s and 15 s to render there.
        ("Протокол ГИА: форма правки", f"/admin/gia_protocol/edit/?id={ids['gia_protocol_id']}", None, 0.06, False),
        ("Достижение портфолио: новая запись", "/admin/portfolio_item/new/", None, 0.06, False),
        ("Книга выдачи: PDF класса", f"/admin/issuance/book.pdf?book_id={ids['book_id']}&class_id={klass}", None,
         0.3, False),
        ("Выдача: таблица класса (30 выпускников)",
         f"/admin/issuance/?book_id={ids['book_id']}&class_id={ids['grid_class_id']}", None, 0.15, False),
        ("Анализ: класс", f"/marks/analysis?year={year}&class_id={klass}", None, 0.1, False),
        ("Анализ: вся школа", f"/marks/analysis?year={year}", None, 1.0, False),
        ("Экспертиза сроков хранения", "/admin/retention_review/", None, 1.0, False),
        ("Алфавитная книга: 1-я страница", "/admin/admission_book/", "/bare/admission_book/", 0.06, True),
        ("Алфавитная книга: страница 1000", "/admin/admission_book/?page=999", "/bare/admission_book/?page=999",
         0.06, True),
        ("Алфавитная книга: PDF буквы за год (около 300 строк)",
         f"/admin/admission_book/pdf/?letter={ids['book_letter']}&year={ids['book_year'] or ''}", None, 0.3, False),
        ("Главная заместителя (уведомления)", "/admin/", None, 1.0, False),
    ]


def import_file(session, rows):
    """A flat XLSX of `rows` new current marks for the current year's students (dates not seeded)."""
    from openpyxl import Workbook

    from models import SchoolClass, Student, Subject
    from models.people import current_year

    year = current_year(session)
    students = session.execute(
        select(Student.last_name, Student.first_name, SchoolClass.name).join(SchoolClass)
        .where(Student.status == "studying").order_by(Student.id)).all()
    subjects = list(session.scalars(select(Subject.name).order_by(Subject.position)))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Отметки")
    sheet.append(["Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид"])
    day, n = year.starts_on + timedelta(days=1), 0
    while n < rows:
        for last, first, klass in students:
            for subject in subjects[:2]:
                if n < rows:
                    sheet.append([f"{last} {first}", klass, subject, day.strftime("%d.%m.%Y"), str(n % 4 + 2),
                                  "текущая"])
                n += 1
        day += timedelta(days=3)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), year


def time_import(app, rows, repeat):
    from models.marks_import import apply_import

    times = []
    with app.app_context():
        data, year = import_file(db.session, rows)
        year_id = year.id
        db.session.rollback()
        for _ in range(repeat):
            started = time.perf_counter()
            batch = apply_import(db.session, data, original_name="bench.xlsx", stored_name="bench.xlsx",
                                 year=db.session.get(type(year), year_id))
            db.session.flush()
            times.append(time.perf_counter() - started)
            assert batch is not None and batch.added_count == rows, batch
            db.session.rollback()  # the cached database stays as seeded
    return times


def run_suite(app, repeat=15, import_rows=10_000, import_repeat=3, only=None):
    """Every figure of one database: a list of result dicts (`only`: names containing this text)."""
    with app.app_context():
        ids = seeder.fixtures()
        db.session.remove()
    client = Client(app)
    results = []
    for name, url, bare_url, target, _is_list in cases(app, ids):
        if only and only not in name:
            continue
        times, queries = time_url(client, url, repeat)
        row = dict(name=name, median=statistics.median(times), p95=percentile(times, 0.95), queries=queries,
                   target=target, ratio=None)
        if bare_url:
            bare_times, bare_queries = time_url(client, bare_url, repeat)
            row.update(bare_median=statistics.median(bare_times), bare_queries=bare_queries,
                       ratio=statistics.median(times) / statistics.median(bare_times))
        results.append(row)
    if only and only not in "Импорт":
        return results
    times = time_import(app, import_rows, import_repeat)
    results.append(dict(name=f"Импорт {import_rows} отметок", median=statistics.median(times),
                        p95=percentile(times, 0.95), queries=None, ratio=None, target=import_rows / 5000,
                        rate=import_rows / statistics.median(times)))
    return results


def verdict(row):
    if row.get("rate") is not None:
        return row["rate"] > 5000
    ok = row["p95"] < row["target"]
    if row["ratio"] is not None:
        ok = ok and row["ratio"] <= 1.1
    return ok


def report(title, results):
    print(f"\n{title}")
    print(f"{'что измерено':40} {'медиана':>9} {'p95':>9} {'голый':>9} {'отн.':>6} {'запросов':>9}  итог")
    for r in results:
        bare = f"{r['bare_median'] * 1000:7.1f}мс" if r.get("bare_median") is not None else " " * 9
        ratio = f"{r['ratio']:6.2f}" if r["ratio"] is not None else " " * 6
        queries = f"{r['queries']}/{r.get('bare_queries', '-')}" if r["queries"] is not None else ""
        extra = f"  {r['rate']:.0f} отметок/с" if r.get("rate") else ""
        print(f"{r['name']:40} {r['median'] * 1000:7.1f}мс {r['p95'] * 1000:7.1f}мс {bare} {ratio} {queries:>9}  "
              f"{'да' if verdict(r) else 'НЕТ'}{extra}")


# --- databases -------------------------------------------------------------------------------------------

def sqlite_database(students, workdir):
    """The cached seeded file for this seed version and size, seeded on first use."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench-v{seeder.SEED_VERSION}-{students}.sqlite"
    if not path.exists():
        tmp = path.with_suffix(".seeding")
        tmp.unlink(missing_ok=True)
        started = time.perf_counter()
        _seed(f"sqlite:///{tmp}", students, workdir)
        import sqlite3

        conn = sqlite3.connect(tmp)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("ANALYZE")
        conn.close()
        tmp.rename(path)
        print(f"SQLite заполнена за {time.perf_counter() - started:.0f} с: {path}")
    else:
        _upgrade(f"sqlite:///{path}", workdir)  # a cache seeded before a new migration gets its indexes
    # Each run works on a copy: PDFs write the disclosure register, the cache stays as seeded.
    copy = workdir / "bench.sqlite"
    shutil.copy(path, copy)
    return f"sqlite:///{copy}"


def _upgrade(uri, workdir):
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir / "seed"),
                      "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
        if current != head:
            upgrade()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()


def _seed(uri, students, workdir):
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir / "seed"),
                      "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        seeder.seed(students)
        db.engine.dispose()


def postgres_database(uri, students, workdir):
    """Seed DATABASE_URL's database unless it already holds this seed; refuse a database holding other data."""
    from sqlalchemy import create_engine

    engine = create_engine(uri)
    tables = sa_inspect(engine).get_table_names()
    engine.dispose()
    if tables:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir / "check"),
                          "SQLALCHEMY_DATABASE_URI": uri})
        with app.app_context():
            try:
                seeded = seeder.is_seeded(students)
                marked = db.session.scalar(select(seeder.School.short_name).limit(1)) or ""
            except Exception:
                seeded, marked = False, ""
            db.session.remove()
            db.engine.dispose()
        if seeded:
            _upgrade(uri, workdir)  # a database seeded before a new migration gets its indexes
            return uri
        if not marked.startswith("Школа бенчмарка") and os.environ.get("BENCH_PG_RESET") != "1":
            raise SystemExit("В базе DATABASE_URL уже есть чужие данные: бенчмарк её не трогает. "
                             "Укажите пустую базу или задайте BENCH_PG_RESET=1, чтобы очистить её.")
        engine = create_engine(uri)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    started = time.perf_counter()
    _seed(uri, students, workdir)
    engine = create_engine(uri)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    print(f"PostgreSQL заполнена за {time.perf_counter() - started:.0f} с")
    return uri


def main(argv=None):
    parser = argparse.ArgumentParser(description="Бенчмарк панели на данных масштаба района")
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--only", help="только замеры, в названии которых есть этот текст")
    parser.add_argument("--no-sqlite", action="store_true", help="только PostgreSQL из DATABASE_URL")
    args = parser.parse_args(argv)
    size = seeder.sizes(args.students)
    print(f"Данные: {size.students} обучающихся, {size.marks} отметок, {size.carriers} носителей; "
          f"повторов на замер: {args.repeat}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    failed = False
    try:
        databases = [] if args.no_sqlite else [("SQLite", sqlite_database(args.students, workdir))]
        pg = os.environ.get("DATABASE_URL", "")
        if pg.startswith("postgresql"):
            databases.append(("PostgreSQL", postgres_database(pg, args.students, workdir)))
        for title, uri in databases:
            app = build_app(uri, workdir / title)
            results = run_suite(app, repeat=args.repeat, import_rows=args.import_rows, only=args.only)
            report(title, results)
            failed = failed or not all(verdict(r) for r in results)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

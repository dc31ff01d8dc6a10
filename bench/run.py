"""District-scale benchmark: seeds (or reuses) a big database and times the panel's pages beside two yardsticks
measured in the same process and run (bench/yardsticks.py: the raw-SQL floor and a plain Flask-Admin view), then
the panel served by `flask serve` in its own process (bench/served.py: first page, memory).

Run `make bench` (SQLite) or `DATABASE_URL=postgresql+psycopg://... make bench` (SQLite, then that database, then
the load of bench/load.py). Options: --students N (default 100000), --repeat N (default 7), --only TEXT,
--no-sqlite (PostgreSQL only), --no-served, --served-only.
"""
import argparse
import io
import os
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
import served  # noqa: E402
import yardsticks  # noqa: E402
from http_client import HttpSession, serve_in_thread  # noqa: E402

OUT = ROOT / "bench" / "out"


# --- the app with its yardsticks ------------------------------------------------------------------------

def build_app(uri, instance):
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(instance),
                      "SQLALCHEMY_DATABASE_URI": uri})
    yardsticks.add_plain_views(app)
    yardsticks.add_floor(app)
    counter = {"n": 0}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__("n", counter["n"] + 1))
    app.extensions["bench_queries"] = counter
    settle_heap()  # as create_app does for a served panel (TESTING skips it there)
    return app


def _view(app, endpoint):
    for admin_key in ("panel_admin", "bench_plain"):
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
    """The bench user logged in through /login over real HTTP: the app is served by waitress in this process
    (as `make run` serves it), so each figure holds what a browser waits for and the SQL is still counted."""

    def __init__(self, app):
        self.app = app
        self.port, self.stop = serve_in_thread(app)
        self.http = HttpSession("127.0.0.1", self.port).login(seeder.BENCH_LOGIN, seeder.BENCH_PASSWORD)

    def get(self, url):
        counter = self.app.extensions["bench_queries"]
        counter["n"] = 0
        elapsed, status, body = self.http.get(url)
        if status != 200:
            raise AssertionError(f"{url}: {status} {body[:300]!r}")
        return elapsed, counter["n"], body

    def close(self):
        self.http.close()
        self.stop()


# --- timing --------------------------------------------------------------------------------------------

def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


MS = 0.001


def case(name, url, *, floor=None, plain=None, target=None, kind="page", max_kb=None):
    """One measured page: the panel's url, its yardsticks' urls (lists and forms), an absolute median target
    (seconds; pages without a yardstick, and the issue's targets for forms and search) and a size limit."""
    return dict(name=name, url=url, floor=floor, plain=plain, target=target, kind=kind, max_kb=max_kb)


def cases(app, ids):
    pf, ppf = _view(app, "personal_file"), _view(app, "plain_personal_file")
    st, pst = _view(app, "student"), _view(app, "plain_student")
    year, klass = ids["year_id"], ids["class_id"]
    far = 999  # page 1000: 49,950 rows skipped
    who = yardsticks.SEARCH
    pf_flt, ppf_flt = _status_filter_arg(pf), _status_filter_arg(ppf)
    st_flt, pst_flt = _status_filter_arg(st), _status_filter_arg(pst)
    pfile, pupil = ids["personal_file_id"], ids["student_id"]
    return [
        case("Личные дела: 1-я страница", "/admin/personal_file/", floor="/floor/personal_file/",
             plain="/plain/personal_file/", kind="list"),
        case("Личные дела: страница 1000", f"/admin/personal_file/?page={far}",
             floor=f"/floor/personal_file/?page={far}", plain=f"/plain/personal_file/?page={far}", kind="list"),
        case("Личные дела: фильтр статуса", f"/admin/personal_file/?{pf_flt}=handed_over",
             floor="/floor/personal_file/?status=handed_over", plain=f"/plain/personal_file/?{ppf_flt}=handed_over",
             kind="list"),
        case(f"Личные дела: поиск «{who}»", f"/admin/personal_file/?search={who}",
             floor=f"/floor/personal_file/?search={who}", plain=f"/plain/personal_file/?search={who}",
             kind="list", target=30 * MS),
        case("Личное дело: форма правки", f"/admin/personal_file/edit/?id={pfile}",
             floor=f"/floor/personal_file_form/?id={pfile}", plain=f"/plain/personal_file/edit/?id={pfile}",
             kind="form", target=12 * MS),
        case("Обучающиеся: 1-я страница", "/admin/student/", floor="/floor/student/", plain="/plain/student/",
             kind="list"),
        case("Обучающиеся: страница 1000", f"/admin/student/?page={far}", floor=f"/floor/student/?page={far}",
             plain=f"/plain/student/?page={far}", kind="list"),
        case("Обучающиеся: фильтр статуса", f"/admin/student/?{st_flt}=studying",
             floor="/floor/student/?status=studying", plain=f"/plain/student/?{pst_flt}=studying", kind="list"),
        case(f"Обучающиеся: поиск «{who}»", f"/admin/student/?search={who}", floor=f"/floor/student/?search={who}",
             plain=f"/plain/student/?search={who}", kind="list", target=30 * MS),
        case("Обучающийся: форма правки", f"/admin/student/edit/?id={pupil}", floor=f"/floor/student_form/?id={pupil}",
             plain=f"/plain/student/edit/?id={pupil}", kind="form", target=12 * MS),
        case("Алфавитная книга: 1-я страница", "/admin/admission_book/", floor="/floor/admission_book/",
             plain="/plain/admission_book/", kind="list"),
        case("Алфавитная книга: страница 1000", f"/admin/admission_book/?page={far}",
             floor=f"/floor/admission_book/?page={far}", plain=f"/plain/admission_book/?page={far}", kind="list"),
        # Forms picking a student or a portfolio among a district's 100,000 / 50,000: no yardstick written yet.
        case("Протокол ГИА: форма правки", f"/admin/gia_protocol/edit/?id={ids['gia_protocol_id']}",
             target=60 * MS),
        case("Достижение портфолио: новая запись", "/admin/portfolio_item/new/", target=60 * MS),
        case("Книга выдачи: PDF, 50 записей", f"/admin/issuance/book.pdf?book_id={ids['book_50']}", target=100 * MS,
             kind="pdf"),
        case("Книга выдачи: PDF, 200 записей", f"/admin/issuance/book.pdf?book_id={ids['book_200']}",
             target=300 * MS, kind="pdf"),
        case("Выдача: таблица класса (30 выпускников)",
             f"/admin/issuance/?book_id={ids['book_id']}&class_id={ids['grid_class_id']}", target=150 * MS),
        case("Анализ: класс", f"/marks/analysis?year={year}&class_id={klass}", target=40 * MS),
        case("Анализ: вся школа", f"/marks/analysis?year={year}", target=150 * MS, max_kb=60),
        case("Экспертиза сроков хранения", "/admin/retention_review/", target=150 * MS),
        case("Алфавитная книга: PDF буквы за год (около 300 строк)",
             f"/admin/admission_book/pdf/?letter={ids['book_letter']}&year={ids['book_year'] or ''}", target=300 * MS,
             kind="pdf"),
        case("Главная заместителя (уведомления)", "/admin/", target=1000 * MS),
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


def time_together(client, urls, repeat, budget=4.0):
    """Each url's times, asked in turn (page, floor, Flask-Admin, page, …): this shared machine's speed changes from
    one second to the next by up to twice, and asked one after another in blocks, a page and its yardstick could
    fall in different seconds. Every url is warmed first; at least three rounds, then until `budget` seconds."""
    for url in urls:
        client.get(url)
    times = {url: [] for url in urls}
    queries = dict.fromkeys(urls, 0)
    for done in range(repeat):
        for url in urls:
            elapsed, queries[url], _ = client.get(url)
            times[url].append(elapsed)
        if done >= 2 and sum(sum(t) for t in times.values()) > budget * len(urls):
            break
    return {url: dict(median=statistics.median(t), p95=percentile(t, 0.95), queries=queries[url])
            for url, t in times.items()}


def run_suite(app, repeat=7, import_rows=10_000, import_repeat=3, only=None):
    """Every figure of one database: a list of result dicts (`only`: names containing this text).

    Each page is timed with its yardsticks in turn (time_together), so a busy second of the machine weighs on all."""
    with app.app_context():
        ids = seeder.fixtures()
        db.session.remove()
    client = Client(app)
    results = []
    for c in cases(app, ids):
        if only and only not in c["name"]:
            continue
        keys = [key for key in ("floor", "plain") if c[key]]
        measured = time_together(client, [c["url"]] + [c[key] for key in keys], repeat)
        row = dict(c, **measured[c["url"]])
        row["kb"] = len(client.get(c["url"])[2]) / 1024
        for key in keys:
            row[f"{key}_median"], row[f"{key}_queries"] = measured[c[key]]["median"], measured[c[key]]["queries"]
            row[f"{key}_ratio"] = row["median"] / measured[c[key]]["median"]
        results.append(row)
    client.close()
    if only and only not in "Импорт":
        return results
    times = time_import(app, import_rows, import_repeat)
    results.append(dict(name=f"Импорт {import_rows} отметок", median=statistics.median(times),
                        p95=percentile(times, 0.95), queries=None, kind="import", target=None, max_kb=None,
                        rate=import_rows / statistics.median(times)))
    return results


def failures(row):
    """What this row misses, in words (empty: it meets every target)."""
    missed = []
    if row.get("rate") is not None:
        if row["rate"] <= 5000:
            missed.append("импорт ≤ 5000 отметок/с")
        return missed
    if row.get("floor_ratio") is not None and row["floor_ratio"] > yardsticks.FLOOR_RATIO:
        missed.append(f"> {yardsticks.FLOOR_RATIO:g}× пола")
    if row.get("plain_ratio") is not None and row["plain_ratio"] > yardsticks.PLAIN_RATIO:
        missed.append(f"> {yardsticks.PLAIN_RATIO:g}× Flask-Admin")
    if row.get("target") is not None and row["median"] > row["target"]:
        missed.append(f"медиана > {row['target'] * 1000:.0f} мс")
    if row.get("max_kb") is not None and row.get("kb", 0) > row["max_kb"]:
        missed.append(f"HTML > {row['max_kb']} КБ")
    return missed


def verdict(row):
    return not failures(row)


def load_average():
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "—"


def _ms(value):
    return f"{value * 1000:7.1f}" if value is not None else " " * 7


def _ratio(value):
    if value is None:
        return " " * 5
    return f"{value:5.2f}" if value < 100 else f"{value:5.0f}"  # 136× stays in its column


def report(title, results):
    print(f"\n{title} (load average {load_average()}); мс; «пол» — сырой SQL + минимальный шаблон, «FA» — простой "
          f"Flask-Admin; цели: ≤ {yardsticks.FLOOR_RATIO:g}× пола и ≤ {yardsticks.PLAIN_RATIO:g}× FA, медианы по "
          "целям issue 22; p95 — для сведения")
    print(f"{'что измерено':46} {'медиана':>7} {'p95':>7} {'пол':>7} {'×пол':>5} {'FA':>7} {'×FA':>5} "
          f"{'запросов':>9} {'КБ':>5}  итог")
    for r in results:
        queries = "/".join(str(q) for q in (r["queries"], r.get("floor_queries"), r.get("plain_queries"))
                           if q is not None) if r["queries"] is not None else ""
        kb = f"{r['kb']:5.0f}" if r.get("kb") is not None else " " * 5
        missed = failures(r)
        extra = f"  {r['rate']:.0f} отметок/с" if r.get("rate") else ""
        print(f"{r['name'][:46]:46} {_ms(r['median'])} {_ms(r['p95'])} {_ms(r.get('floor_median'))} "
              f"{_ratio(r.get('floor_ratio'))} {_ms(r.get('plain_median'))} {_ratio(r.get('plain_ratio'))} "
              f"{queries:>9} {kb}  {'да' if not missed else 'НЕТ: ' + ', '.join(missed)}{extra}")


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
    _ensure(f"sqlite:///{path}", workdir)
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


def _ensure(uri, workdir):
    """The rows added to a seeded database after its seeding (class «9Я», the books of 50 and 200 entries, the
    load's users): written once into the cache, so that each run's copy has them."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": str(workdir / "seed"),
                      "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        seeder.fixtures()
        seeder.load_users(db.session)
        db.session.remove()
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
            _ensure(uri, workdir)
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
    _ensure(uri, workdir)
    engine = create_engine(uri)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    print(f"PostgreSQL заполнена за {time.perf_counter() - started:.0f} с")
    return uri


def main(argv=None):
    parser = argparse.ArgumentParser(description="Бенчмарк панели на данных масштаба района")
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--only", help="только замеры, в названии которых есть этот текст")
    parser.add_argument("--no-sqlite", action="store_true", help="только PostgreSQL из DATABASE_URL")
    parser.add_argument("--no-served", action="store_true", help="без замера процесса `flask serve`")
    parser.add_argument("--served-only", action="store_true", help="только замер процесса `flask serve`")
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
            if args.served_only:
                with app.app_context():
                    results = cases(app, seeder.fixtures())
            else:
                results = run_suite(app, repeat=args.repeat, import_rows=args.import_rows, only=args.only)
                report(title, results)
                failed = failed or not all(verdict(r) for r in results)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if not args.no_served:
                # The bench's pages asked again of the panel served as `make run` serves it, in its own process.
                found = served.measure(uri, [r["url"] for r in results if r.get("url")], seeder.BENCH_LOGIN,
                                       seeder.BENCH_PASSWORD)
                served.report(title, found)
                failed = failed or bool(served.failures(found))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Many users at once (issue 22, item 7): the panel under `gunicorn -w 4` on loopback, PostgreSQL, 50 simulated
users logged in as the school's roles working the common pages for 60 s; 0 errors and p95 ≤ 150 ms wanted.

Each user logs in through /login, then asks its role's pages in turn with a pause between pages (a person reads
a page before the next click: 1–3 s by default, --think); the figures are printed beside the same pages asked by
one user alone of the same server just before.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/load.py

The database must hold the bench's seed (`bench/run.py` seeds it); the users of each role are added once.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_client import HttpSession  # noqa: E402
from served import _free_port, wait_listening  # noqa: E402

P95_S = 0.150


def role_pages(ids):
    """The common pages of each role (all allowed to it)."""
    year, klass = ids["year_id"], ids["class_id"]
    registers = ["/admin/student/", "/admin/student/?search=иван", "/admin/student/?search=Соколова",
                 f"/admin/student/edit/?id={ids['student_id']}", "/admin/personal_file/",
                 "/admin/personal_file/?search=Петров", f"/admin/personal_file/edit/?id={ids['personal_file_id']}",
                 "/admin/admission_book/"]
    return {
        "secretary": ["/admin/"] + registers,
        "deputy": ["/admin/", f"/marks/analysis?year={year}&class_id={klass}", "/admin/student/",
                   f"/marks/analysis?year={year}", "/admin/student/?search=иван"],
        "director": ["/admin/", "/admin/retention_review/", "/admin/personal_file/", f"/marks/analysis?year={year}"],
        "officer": ["/admin/", f"/admin/issuance/?book_id={ids['book_id']}&class_id={ids['grid_class_id']}",
                    "/admin/student/", "/admin/student/?search=Соколова"],
        "class_teacher": ["/admin/", "/admin/student/", f"/marks/analysis?year={year}&class_id={klass}"],
    }


def prepare(database_url):
    """Ids of the seeded pages and the users of each role (added once)."""
    import seed as seeder
    from app import create_app
    from models import db

    with tempfile.TemporaryDirectory(prefix="bench-load-") as instance:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": instance,
                          "SQLALCHEMY_DATABASE_URI": database_url})
        with app.app_context():
            ids = seeder.fixtures()
            logins = seeder.load_users(db.session)
            db.session.remove()
            db.engine.dispose()
    return ids, logins, seeder.BENCH_PASSWORD


def start_gunicorn(database_url, instance, port, workers):
    env = dict(os.environ, DATABASE_URL=database_url, INSTANCE_PATH=str(instance))
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--timeout", "120", "app:create_app()"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))] if ordered else 0.0


def single_user(port, pages, logins, password, repeat):
    """Every role's pages asked by one user of that role alone: {url: [seconds]}."""
    times = {}
    for role, urls in pages.items():
        user = HttpSession("127.0.0.1", port).login(logins[role], password)
        for url in urls:
            user.get(url)  # each worker warms its templates; this warms one of them
            for _ in range(repeat):
                elapsed, status, _ = user.get(url)
                if status == 200:
                    times.setdefault(url, []).append(elapsed)
        user.close()
    return times


def many_users(port, pages, logins, password, users, seconds, think, seed=22):
    """`users` threads, each a user of a role in turn, working for `seconds` once all are logged in."""
    roles = list(pages)
    records, errors, lock = [], [], threading.Lock()
    ready = threading.Barrier(users + 1)
    stop_at = [0.0]

    def work(n):
        role = roles[n % len(roles)]
        rng = random.Random(seed + n)
        try:
            user = HttpSession("127.0.0.1", port, timeout=30).login(logins[role], password)
        except Exception as exc:  # a refused log-in is an error of the run, the user does not work
            with lock:
                errors.append(("/login", repr(exc)[:200]))
            ready.wait()
            return
        ready.wait()
        urls = pages[role]
        i = rng.randrange(len(urls))
        time.sleep(rng.uniform(0, think[1]))  # users do not click in step
        while time.perf_counter() < stop_at[0]:
            url = urls[i % len(urls)]
            i += 1
            try:
                elapsed, status, _ = user.get(url)
            except Exception as exc:
                with lock:
                    errors.append((url, repr(exc)[:200]))
                continue
            with lock:
                if status == 200:
                    records.append((role, url, elapsed))
                else:
                    errors.append((url, status))
            time.sleep(rng.uniform(*think))
        user.close()

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(users)]
    for t in threads:
        t.start()
    ready.wait()
    started = time.perf_counter()
    stop_at[0] = started + seconds
    for t in threads:
        t.join(seconds + 60)
    return records, errors, time.perf_counter() - started


def run(database_url, users=50, seconds=60, workers=4, think=(1.0, 3.0), repeat=2):
    ids, logins, password = prepare(database_url)
    pages = role_pages(ids)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as instance:
        (Path(instance) / "config.py").write_text("SECRET_KEY = 'bench-load'\n")  # one key for all workers
        process = start_gunicorn(database_url, instance, port, workers)
        try:
            wait_listening(process, port)
            alone = single_user(port, pages, logins, password, repeat)
            records, errors, elapsed = many_users(port, pages, logins, password, users, seconds, think)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return dict(alone=alone, records=records, errors=errors, elapsed=elapsed, users=users, workers=workers,
                think=think, seconds=seconds)


def failures(result):
    missed = []
    if result["errors"]:
        missed.append(f"{len(result['errors'])} ошибок")
    times = [r[2] for r in result["records"]]
    if not times:
        missed.append("ни одного ответа")
    elif percentile(times, 0.95) > P95_S:
        missed.append(f"p95 > {P95_S * 1000:.0f} мс")
    return missed


def report(result):
    times = [r[2] for r in result["records"]]
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "—"
    missed = failures(result)
    print(f"\nНагрузка (PostgreSQL, gunicorn -w {result['workers']}, load average {load}): {result['users']} "
          f"пользователей, пауза между страницами {result['think'][0]:g}–{result['think'][1]:g} с, "
          f"{result['elapsed']:.0f} с: {len(times)} страниц ({len(times) / result['elapsed']:.1f}/с), ошибок "
          f"{len(result['errors'])}; медиана {statistics.median(times) * 1000 if times else 0:.0f} мс, p95 "
          f"{percentile(times, 0.95) * 1000:.0f} мс, p99 {percentile(times, 0.99) * 1000:.0f} мс — "
          f"{'да' if not missed else 'НЕТ: ' + ', '.join(missed)}")
    print(f"{'страница':62} {'один: медиана':>13} {'p95':>6} {'50: медиана':>11} {'p95':>6} {'запросов':>8}")
    by_url = {}
    for _role, url, elapsed in result["records"]:
        by_url.setdefault(url, []).append(elapsed)
    for url, alone in result["alone"].items():
        loaded = by_url.get(url, [])
        print(f"{url[:62]:62} {statistics.median(alone) * 1000:11.0f}мс {percentile(alone, 0.95) * 1000:4.0f}мс "
              f"{(statistics.median(loaded) * 1000 if loaded else 0):9.0f}мс "
              f"{percentile(loaded, 0.95) * 1000:4.0f}мс {len(loaded):8d}")
    for url, error in result["errors"][:10]:
        print(f"  ошибка: {url}: {error}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Нагрузка: много пользователей панели одновременно")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", default="1-3", help="пауза между страницами, с: «1-3»")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        print("Нагрузка меряется на PostgreSQL: задайте DATABASE_URL с базой бенчмарка (bench/run.py её заполняет).")
        return 0
    low, _, high = args.think.partition("-")
    result = run(url, users=args.users, seconds=args.seconds, workers=args.workers,
                 think=(float(low), float(high or low)))
    report(result)
    return 1 if failures(result) else 0


if __name__ == "__main__":
    raise SystemExit(main())

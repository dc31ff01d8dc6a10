"""Pages of the benchmark's app asked in turn, many rounds: each one's median time and server CPU time, and both
as a ratio to the first page given. For checking one change at a time on this noisy machine (the machine's speed
changes between seconds; pages asked in turn share them).

    .venv/bin/python bench/compare.py "/floor/student/,/admin/student/,/plain/student/" [--rounds 40]

URLs may name the seeded fixtures: {student_id}, {personal_file_id}, {class_id}, {year_id}. The database is the
cached SQLite seed (run `make bench` once), or DATABASE_URL's seeded PostgreSQL database."""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402
import seed as seeder  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description="Страницы бенчмарка по очереди: медианы и отношения")
    parser.add_argument("urls", help="адреса через запятую; первый — мерило отношений")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--students", type=int, default=100_000)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    pg = os.environ.get("DATABASE_URL", "")
    uri = run.postgres_database(pg, args.students, workdir) if pg.startswith("postgresql") \
        else run.sqlite_database(args.students, workdir)
    app = run.build_app(uri, workdir / "app")
    with app.app_context():
        ids = seeder.fixtures()
    cpu = {}
    inner = app.wsgi_app

    def timed(environ, start_response):
        started = time.thread_time()
        body = list(inner(environ, start_response))
        query = environ.get("QUERY_STRING")
        cpu.setdefault(environ["PATH_INFO"] + (f"?{query}" if query else ""), []).append(time.thread_time() - started)
        return body

    app.wsgi_app = timed
    client = run.Client(app)
    urls = [u.format(**ids) for u in args.urls.split(",")]
    times = {u: [] for u in urls}
    try:
        for url in urls:
            for _ in range(3):
                client.get(url)
        for _ in range(args.rounds):
            for url in urls:
                started = time.perf_counter()
                client.get(url)
                times[url].append(time.perf_counter() - started)
    finally:
        client.close()
        shutil.rmtree(workdir, ignore_errors=True)  # the run's copy of the SQLite seed
    base, base_cpu = statistics.median(times[urls[0]]), statistics.median(cpu[urls[0]][-args.rounds:])
    for url in urls:
        wall, spent = statistics.median(times[url]), statistics.median(cpu[url][-args.rounds:])
        print(f"{url[:60]:60} {wall * 1000:7.2f} мс ×{wall / base:5.2f}   процессор {spent * 1000:6.2f} мс "
              f"×{spent / base_cpu:5.2f}")


if __name__ == "__main__":
    main()

"""How soon a page is on screen after the server has answered, in a real browser (Chromium via Playwright).

For each page: the time from the end of the HTML response to the load event (scripts and styles fetched, run,
the page laid out) and to the first contentful paint. The first visit fills the browser's cache; the figures are
for the visits after it, as a person moving through the panel sees them. Target: ≤ 150 ms.

Run: `.venv/bin/python bench/paint.py [--repeat N]` (needs /usr/bin/chromium).
"""
import argparse
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = ("/admin/", "/admin/student/", "/admin/student/new/", "/admin/personal_file/", "/admin/leaving/")
TARGET_MS = 150
PASSWORD = "bench-password-1"

TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {load: nav.loadEventEnd - nav.responseEnd, paint: fcp ? fcp.startTime - nav.responseEnd : null};
}"""


def serve(instance):
    """A panel on a fresh SQLite base with a secretary and a few pupils, served from a thread."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app
    from models import Student, User, db
    from models.people import current_year
    from models.seed import ensure_reference_data

    app = create_app({"SECRET_KEY": "bench", "INSTANCE_PATH": str(instance),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'paint.sqlite'}"})
    with app.app_context():
        upgrade()
        ensure_reference_data(db.session)
        user = User(login="bench", full_name="Секретарёва Ирина Павловна", active=True)
        user.roles = ["secretary"]
        user.set_password(PASSWORD)
        db.session.add(user)
        year = current_year(db.session)
        from datetime import date

        from models import SchoolClass

        klass = SchoolClass(academic_year=year, grade=5, letter="А")
        db.session.add(klass)
        for n in range(60):
            db.session.add(Student(last_name=f"Ученик{n:02d}", first_name="Иван", birth_date=date(2015, 1, 1),
                                   sex="male", school_class=klass))
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def measure(base, login, password, pages=PAGES, repeat=5, browser=None, summary=statistics.median):
    """{page: (median ms to load, median ms to first paint)} over the visits after the first (cache filled);
    `summary` other than the median (the test takes the fastest visit).

    `browser`: a launched Playwright Chromium (the tests' own); without it one is launched here."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                return measure(base, login, password, pages, repeat, chromium, summary)
            finally:
                chromium.close()
    results = {}
    page = browser.new_page(locale="ru-RU")
    try:
        page.goto(base + "/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/admin/**")
        for url in pages:
            page.goto(base + url, wait_until="load")  # fills the cache
            loads, paints = [], []
            for _ in range(repeat):
                page.goto(base + url, wait_until="load")
                timing = page.evaluate(TIMING_JS)
                loads.append(timing["load"])
                if timing["paint"] is not None:
                    paints.append(timing["paint"])
            results[url] = (summary(loads), summary(paints) if paints else None)
    finally:
        page.close()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description="Время от ответа сервера до готовой страницы в браузере")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server, base = serve(Path(tmp))
        try:
            results = measure(base, "bench", PASSWORD, repeat=args.repeat)
        finally:
            server.shutdown()
    worst = 0
    print(f"{'страница':<28}{'до загрузки, мс':>18}{'до первой отрисовки, мс':>26}")
    for url, (load, paint) in results.items():
        worst = max(worst, load)
        print(f"{url:<28}{load:>18.0f}{(paint if paint is not None else float('nan')):>26.0f}")
    print(f"Цель: не больше {TARGET_MS} мс; худшая страница — {worst:.0f} мс.")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())

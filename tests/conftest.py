"""Fixtures: an app per test on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set)."""
from contextlib import contextmanager
import os
import re
import shutil
from pathlib import Path
import sqlite3

import pytest
from flask import globals as flask_globals
from flask import has_app_context
from sqlalchemy import create_engine, event, make_url

from app import create_app
from models import User, db, users
from models.seed import ensure_reference_data

PG_URL = os.environ.get("TEST_DATABASE_URL")
# Tests log in hundreds of times: a cheap hash there, the strong default everywhere else.
users.PASSWORD_METHOD = "pbkdf2:sha256:1000"
PASSWORD = "test-password-1"
# How long a thread holding a workflow's lock waits at a barrier for the others to catch up, in the race tests.
# With the lock working they never arrive, so the wait is always sat out in full; without it they arrive within
# milliseconds of each other (they start together from another barrier). It was 1.5–2 s, three times what a
# loaded machine needs, in five tests.
RACE_WINDOW = 0.6


def _base_config(tmp_path, uri):
    return {"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": uri,
            "INSTANCE_PATH": str(tmp_path / "instance")}


def _migrate(tmp_path, uri, reference_data=False):
    from flask_migrate import upgrade

    app = create_app(_base_config(tmp_path, uri))
    with app.app_context():
        upgrade()
        if reference_data:
            ensure_reference_data(db.session)
            db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One migrated SQLite file with the reference data (levels, kinds, the year, the nomenclature); each test gets a
    copy, which is faster than migrating and seeding again (a fresh seed cost a few tenths of a second a test)."""
    root = tmp_path_factory.mktemp("template")
    path = root / "template.sqlite"
    _migrate(root, f"sqlite:///{path}", reference_data=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _worker_database(url):
    """Under pytest-xdist each worker gets a database of its own beside TEST_DATABASE_URL's (test → test_gw1),
    created on first use: two workers must never drop each other's schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).scalar() is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory):
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL не задан: проверки на PostgreSQL пропущены")
    url = _worker_database(PG_URL)
    engine = create_engine(url)
    with engine.begin() as conn:  # fails loudly when the server the variable names is unreachable
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    _migrate(tmp_path_factory.mktemp("pg"), url)
    return url


def _truncate_pg(url):
    engine = create_engine(url)
    with engine.begin() as conn:
        # DELETE is much cheaper than TRUNCATE on a few dozen tiny tables; children go first.
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


def pytest_collection_modifyitems(config, items):
    """PostgreSQL variants are deselected when no server is given, and browser tests run on SQLite only:
    skipping them one by one cost a fixture set-up each."""
    keep, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params or {}
        on_pg = params.get("backend") == "postgresql"
        if on_pg and (not PG_URL or "live_server" in item.fixturenames):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = _slow_first(keep, getattr(config, "workerinput", {}).get("workercount", 1))


# The longest tests that are not `slow` (10–30 s each on an idle 2-core machine, `pytest --durations=20`): started
# early beside the slow ones, so they overlap the rest instead of being the last thing a worker does.
LONG = {"test_every_route_answers_each_role_as_the_matrix_says", "test_seed_demo_school_on_sqlite",
        "test_nul_in_search_and_every_text_filter_of_every_register",
        "test_year_one_in_every_date_filter_is_not_a_server_error", "test_every_sortable_column_of_every_register_sorts",
        "test_injection_strings_in_search_and_filters_give_plain_escaped_pages",
        "test_every_register_refuses_the_second_stale_save"}


def _slow_first(items, workers):
    """The long runs of a real server (load, crash, bench) start first, one on each worker, then the LONG tests.

    pytest-xdist's load scheduler hands each worker a first chunk of consecutive tests (a quarter of its share):
    with the slow ones all at the front, one worker ran them one after another. The j-th early test goes to
    worker j % workers's chunk instead (every worker computes the same order, as xdist requires)."""
    def rank(item):
        return 0 if item.get_closest_marker("slow") is not None else 1 if item.originalname in LONG else 2

    early = sorted((item for item in items if rank(item) < 2), key=rank)
    rest = [item for item in items if rank(item) == 2]
    if workers < 2:
        return early + rest
    chunk = max(len(items) // workers // 4, len(early) // workers + 1, 2)
    placed = sorted(((j % workers) * chunk + j // workers, j) for j in range(len(early)))
    for position, j in placed:  # ascending, so each lands exactly where it is meant to
        rest.insert(min(position, len(rest)), early[j])
    return rest


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker more than the machine has cores. The load test's twenty people spend most of its
    30 s pausing as people do, and the browser tests wait on Chromium: with a worker per core a core stood idle
    meanwhile."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session")
def sqlite_live(tmp_path_factory):
    return tmp_path_factory.mktemp("live") / "test.sqlite"


# One app per backend for the whole run: building the panel (Flask-Admin scaffolds every register's forms and
# filters) costs about a second, more than most tests. Each test still gets a fresh database, a fresh instance
# folder and its own copy of the configuration.
_APPS = {}


def _release(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def database_url(backend, request):
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = request.getfixturevalue("sqlite_live")
        if "sqlite" in _APPS:
            _release(_APPS["sqlite"])
        for leftover in path.parent.iterdir():  # the database, its WAL, and what a restore kept aside
            leftover.unlink()
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture
def app(backend, database_url, tmp_path):
    app = _APPS.get(backend)
    if app is None:
        app = _APPS[backend] = create_app(_base_config(tmp_path, database_url))
    saved_config, saved_loader = dict(app.config), app.jinja_env.loader
    app.instance_path = str(tmp_path / "instance")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if backend != "sqlite":  # the SQLite copy has them already
        with app.app_context():
            ensure_reference_data(db.session)
            db.session.commit()
    yield app
    _release(app)
    app.config.clear()
    app.config.update(saved_config)
    app.jinja_env.loader = saved_loader


@pytest.fixture
def session(app):
    from flask import g

    with app.app_context():
        g.sqlite_deferred = True  # the test's reads must not hold SQLite's write lock against its requests
        yield db.session


def make_user(login, roles, full_name=None, password=PASSWORD):
    user = User(login=login, full_name=full_name or f"Тестовый {login}", active=True)
    user.roles = roles if isinstance(roles, (list, tuple)) else [roles]
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class PanelClient:
    """A test client that logs in like a person and carries the CSRF token into its POSTs."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.token = None

    def csrf(self):
        if self.token is None:
            page = self.get("/login").get_data(as_text=True)
            self.token = CSRF_RE.search(page).group(1)
        return self.token

    def login(self, login, password=PASSWORD):
        self.token = None
        response = self.post("/login", data={"login": login, "password": password})
        self.token = None
        return response

    def _request(self, method, *args, **kwargs):
        """Each request gets its own app context and database session, as in production.

        A test holding an app context (the `session` fixture) would otherwise share `g` with the
        request (a stale CSRF token, a cached current_user) and could hold SQLite's write lock: the
        test's open transaction is committed first.
        """
        if has_app_context():
            db.session.commit()
        token = flask_globals._cv_app.set(None)
        kwargs.setdefault("buffered", True)  # streamed bodies (exports, files) finish inside this context
        try:
            return getattr(self.http, method)(*args, **kwargs)
        finally:
            flask_globals._cv_app.reset(token)

    def get(self, url, **kwargs):
        return self._request("get", url, **kwargs)

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        return self._request("post", url, data=data, **kwargs)


@pytest.fixture
def client(app):
    return PanelClient(app)


@pytest.fixture
def login_as(app):
    """login_as("secretary") -> a logged-in PanelClient for a fresh user holding that role."""

    def do_login(roles, login=None):
        roles = roles if isinstance(roles, (list, tuple)) else [roles]
        login = login or "_".join(roles)
        with app.app_context():
            if User.query.filter_by(login=login).first() is None:
                make_user(login, roles)
        panel = PanelClient(app)
        response = panel.login(login)
        assert response.status_code == 302, response.get_data(as_text=True)
        return panel

    return do_login


# --- a real browser against the served panel -------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; skipped where it is not installed, except in CI, where that is a failure."""
    if not os.path.exists(CHROMIUM):
        reason = f"нет {CHROMIUM} (пакет Debian chromium): проверка в браузере пропущена"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app, backend):
    """The test's app served by werkzeug from a thread on a free port; the base URL. SQLite only."""
    import threading

    from werkzeug.serving import make_server

    if backend != "sqlite":
        pytest.skip("браузерная проверка идёт только на SQLite")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@contextmanager
def sql_statements():
    """The SQL statements sent to the database while the block runs (whitespace folded), in order."""
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


@contextmanager
def browser_page(browser, name, width=1400, height=1000):
    """A Russian-locale tab; if the test fails in it, its full page is kept as tests/artifacts/<name>_failure.png."""
    page = browser.new_page(viewport={"width": width, "height": height}, locale="ru-RU")
    page.set_default_timeout(15000)
    try:
        yield page
    except Exception:
        page.screenshot(path=str(ARTIFACTS / f"{name}_failure.png"), full_page=True)
        raise
    finally:
        page.close()


def browser_log_in(page, base, login, next_url=None):
    """Log in through the form like a person; land on next_url (or wherever the panel sends)."""
    page.goto(base + (next_url or "/login"))
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + (next_url or "/admin/**"))

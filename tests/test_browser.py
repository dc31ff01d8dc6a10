"""A real browser: the secretary logs in, creates a student typing ДД.ММ.ГГГГ, finds them by class and by name."""
import os
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

import factories
from app import create_app
from conftest import PASSWORD, _base_config
from models import Student, db

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"нет {CHROMIUM} (Debian package chromium): browser test skipped"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(sqlite_template, tmp_path):
    """The panel on SQLite, served by werkzeug from a thread on a free port."""
    path = tmp_path / "browser.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app(_base_config(tmp_path, f"sqlite:///{path}"))
    app.config["WTF_CSRF_SSL_STRICT"] = False
    with app.app_context():
        from models.seed import ensure_reference_data

        ensure_reference_data(db.session)
        factories.user("volkova", ["secretary"], full_name="Волкова Светлана Петровна")
        own = factories.school_class(grade=5, letter="А")
        other = factories.school_class(grade=6, letter="Б")
        factories.student("Иванова", "Мария", klass=other, sex="female")  # same name, other class
        factories.student("Петров", "Глеб", klass=own)
        db.session.commit()
        classes = {"5А": own.id, "6Б": other.id}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", classes
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def test_secretary_creates_and_finds_a_student(browser, live_app):
    app, base, classes = live_app
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page.set_default_timeout(15000)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        _walk(page, app, base, classes)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "students_failure.png"), full_page=True)
        raise
    page.screenshot(path=str(ARTIFACTS / "students_list.png"), full_page=True)
    page.close()


def _walk(page, app, base, classes):

    page.goto(base + "/admin/student/")
    assert "/login" in page.url
    page.fill("#login", "volkova")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/student/")
    assert "Волкова Светлана Петровна" in page.inner_text("[data-testid=current-user]")

    page.goto(base + "/admin/student/new/")
    page.fill("#last_name", "Иванов")
    page.fill("#first_name", "Сергей")
    page.fill("#middle_name", "Петрович")
    page.click("#birth_date")
    page.fill("#birth_date", "")
    page.type("#birth_date", "03.05.2014")
    page.keyboard.press("Escape")
    page.select_option("#sex", "male", force=True)
    page.select_option("#school_class", str(classes["5А"]), force=True)
    page.click("input[type=submit][value='Сохранить']")
    page.wait_for_url(base + "/admin/student/")
    assert "Запись была создана." in page.inner_text(".alert")

    with app.app_context():
        student = db.session.scalar(select(Student).where(Student.first_name == "Сергей"))
        assert student is not None
        assert student.birth_date == date(2014, 5, 3)
        assert student.school_class_id == classes["5А"]

    # The list filtered by class, then a lower-case Cyrillic search typed into the search box.
    page.goto(base + "/admin/student/?" + factories.filter_arg(app, "student", "Класс", "равно") + "=5А")
    assert _rows(page) == [["Иванов", "Сергей", "5А"], ["Петров", "Глеб", "5А"]]  # not Иванова of 6Б
    page.fill("input[name=search]", "иванов")
    page.press("input[name=search]", "Enter")
    page.wait_for_url("**search=*")
    assert _rows(page) == [["Иванов", "Сергей", "5А"]]
    assert "03.05.2014" in page.inner_text("table.model-list")


def _rows(page):
    """[last name, first name, class] of every row of the list."""
    rows = []
    for row in page.query_selector_all("table.model-list tbody tr"):
        cells = [c.inner_text().strip() for c in row.query_selector_all("td")]
        rows.append([cells[2], cells[3], cells[6]])
    return rows

"""A real browser: the deputy uploads a journal grid, confirms the preview, watches the progress and sees the result."""
import re
import shutil
import threading
import time

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

import factories
import marks_fixtures as fx
from app import create_app
from conftest import PASSWORD, _base_config
from models import Mark, db
from test_browser import ARTIFACTS, browser  # noqa: F401  (the browser fixture)
from test_marks_import import journal_sheets


@pytest.fixture
def served(sqlite_template, tmp_path):
    path = tmp_path / "marks.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app(_base_config(tmp_path, f"sqlite:///{path}"))
    with app.app_context():
        from models.seed import ensure_reference_data

        ensure_reference_data(db.session)
        factories.user("morozova", ["deputy"], full_name="Морозова Ирина Сергеевна")
        ids = fx.school()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", ids
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def test_journal_upload_confirm_shows_progress_then_result(browser, served, tmp_path, monkeypatch):  # noqa: F811
    app, base, ids = served
    grid = tmp_path / "Журнал 9А.xlsx"
    grid.write_bytes(fx.xlsx(journal_sheets(ids["y0"])))  # built with openpyxl, two subjects on two sheets

    # 18 marks import in milliseconds: each progress report waits a little, so the bar can be seen at all.
    import views.marks as marks_views

    real = marks_views.apply_import

    def slow_import(*args, progress, **kwargs):
        def report(stage, done, total):
            progress(stage, done, total)
            if stage in ("check", "write"):
                time.sleep(0.6)

        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr(marks_views, "apply_import", slow_import)

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page.set_default_timeout(15000)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(base + "/marks/import")
        page.fill("#login", "morozova")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/marks/import")
        page.set_input_files("#file", str(grid))
        page.click("button:has-text('Проверить файл')")
        page.wait_for_selector("[data-testid=preview]")
        assert page.inner_text("[data-testid=layout]") == "Журнал класса по предмету"
        assert page.inner_text("[data-testid=to-add]") == "18"
        assert not page.is_visible("[data-testid=import-progress]")  # hidden until the confirmation

        page.click("button:has-text('Подтвердить и загрузить')")
        page.wait_for_selector("[data-testid=import-progress]", state="visible")
        assert page.is_disabled("button:has-text('Подтвердить и загрузить')")  # sent once
        # The text reports real counts read back from the running import.
        page.wait_for_function("""() => /Импорт идёт: (проверено|записано) отметок \\d+ из 18/.test(
            document.querySelector('[data-testid=progress-text]').textContent)""")
        page.screenshot(path=str(ARTIFACTS / "marks_import_progress.png"))
        page.wait_for_selector("text=добавлено отметок — 18", timeout=20000)
        assert not page.is_visible("[data-testid=import-progress]")
        assert "Журнал 9А.xlsx" in page.inner_text("[data-testid=imports]")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "marks_import_failure.png"), full_page=True)
        raise
    finally:
        page.close()
    with app.app_context():
        assert db.session.scalar(select(func.count(Mark.id))) == 18
    assert not list((tmp_path / "instance" / "imports").glob("*.progress.json"))


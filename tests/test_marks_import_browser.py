"""A real browser: the deputy uploads a journal grid, confirms the preview, watches the progress and sees the result."""
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import func, select

import factories
import marks_fixtures as fx
from conftest import ARTIFACTS, PASSWORD
from models import Mark, db
from test_marks_import import journal_sheets


@pytest.fixture
def served(app, live_server):
    with app.app_context():
        factories.user("morozova", ["deputy"], full_name="Морозова Ирина Сергеевна")
        ids = fx.school()
    return app, live_server, ids


def test_journal_upload_confirm_shows_progress_then_result(browser, served, tmp_path, monkeypatch):
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
                time.sleep(0.8)  # longer than the page's poll (0.5 s): the running import is seen

        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr(marks_views, "apply_import", slow_import)
    real_check = marks_views.prepare_import

    def slow_check(*args, progress, **kwargs):
        def report(stage, done, total):
            progress(stage, done, total)
            if stage == "check":
                time.sleep(0.6)

        return real_check(*args, progress=report, **kwargs)

    monkeypatch.setattr(marks_views, "prepare_import", slow_check)

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    # A script the CSP blocks (a preview written into the page with another nonce) fails the test.
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_default_timeout(15000)
    try:
        page.goto(base + "/marks/import")
        page.fill("#login", "morozova")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/marks/import")
        page.set_input_files("#file", str(grid))
        page.click("button:has-text('Проверить файл')")
        # The check of a file shows its own progress, with the real count of cells read back from the server.
        page.wait_for_selector("[data-testid=check-progress]", state="visible")
        page.wait_for_function("""() => /Проверка файла: проверено отметок \\d+ из 17/.test(
            document.querySelector('[data-testid=check-progress-text]').textContent)""")
        page.wait_for_selector("[data-testid=preview]")
        assert page.inner_text("[data-testid=layout]") == "Журнал класса по предмету"
        assert page.inner_text("[data-testid=to-add]") == "18"
        assert not page.is_visible("[data-testid=import-progress]")  # hidden until the confirmation

        page.click("button:has-text('Подтвердить и загрузить')")
        page.wait_for_selector("[data-testid=import-progress]", state="visible")
        assert page.is_disabled("button:has-text('Подтвердить и загрузить')")  # sent once
        # The text reports real counts read back from the running import: 17 cells («3/5» is one), 18 marks.
        page.wait_for_function("""() => /Импорт идёт: (проверено отметок \\d+ из 17|записано изменений \\d+ из 18)/.test(
            document.querySelector('[data-testid=progress-text]').textContent)""")
        try:
            # A picture for the reviewer only (the text above is the check); taken while the page polls and then
            # shows the result, it timed out now and then on a busy machine.
            page.screenshot(path=str(ARTIFACTS / "marks_import_progress.png"), timeout=5000)
        except PlaywrightTimeoutError:
            pass
        page.wait_for_selector("text=добавлено отметок — 18", timeout=20000)
        assert not page.is_visible("[data-testid=import-progress]")
        assert "Журнал 9А.xlsx" in page.inner_text("[data-testid=imports]")
        assert not blocked, blocked
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "marks_import_failure.png"), full_page=True)
        raise
    finally:
        page.close()
    with app.app_context():
        assert db.session.scalar(select(func.count(Mark.id))) == 18
    assert not list((tmp_path / "instance" / "imports").glob("*.progress.json"))



def test_legacy_xls_without_a_class_line_imports_with_the_class_chosen_on_the_page(browser, served, tmp_path):
    from test_marks_import_layouts import legacy_journal

    app, base, ids = served
    journal = tmp_path / "Алгебра.xls"
    journal.write_bytes(legacy_journal())  # «Журнал: Алгебра» and the pupils, as an old journal keeps it (xlwt)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    page.set_default_timeout(15000)
    try:
        page.goto(base + "/marks/import")
        page.fill("#login", "morozova")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/marks/import")
        page.set_input_files("#file", str(journal))
        page.click("button:has-text('Проверить файл')")
        page.wait_for_selector("[data-testid=preview]")
        assert "класс не указан" in page.inner_text("[data-testid=errors]")
        assert "выберите класс на странице импорта" in page.inner_text("[data-testid=errors]")
        assert not page.is_visible("button:has-text('Подтвердить и загрузить')")

        page.set_input_files("#file", str(journal))
        page.select_option("#school_class", label="9А")
        page.click("button:has-text('Проверить файл')")
        page.wait_for_selector("[data-testid=to-add]")
        assert page.inner_text("[data-testid=layout]") == "Журнал класса по предмету"
        assert page.inner_text("[data-testid=to-add]") == "6"
        page.click("button:has-text('Подтвердить и загрузить')")
        page.wait_for_selector("[data-testid=result]")
        assert "добавлено отметок — 6, изменено — 0, удалено — 0" in page.inner_text("[data-testid=result]")
        page.screenshot(path=str(ARTIFACTS / "marks_import_legacy_xls.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "marks_import_legacy_failure.png"), full_page=True)
        raise
    finally:
        page.close()
    with app.app_context():
        assert db.session.scalar(select(func.count(Mark.id)).where(Mark.school_class_id == ids["a"])) == 6

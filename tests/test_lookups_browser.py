"""A real browser: the secretary types part of a name into a protocol's result row and picks the pupil found."""
from datetime import date

import pytest
from sqlalchemy import select

import factories
from conftest import ARTIFACTS, browser_log_in, browser_page
from models import ExamProtocol, db


@pytest.fixture
def served(app, live_server):
    with app.app_context():
        factories.user("sekretar", ["secretary"], full_name="Секретарёва Ирина Павловна")
        klass = factories.school_class(grade=9, letter="А")
        pupil = factories.student("Иванов", "Пётр", klass=klass, birth_date=date(2010, 4, 2))
        factories.student("Иванова", "Мария", klass=klass, birth_date=date(2010, 8, 9), sex="female")
        factories.student("Петров", "Иван", klass=klass, birth_date=date(2010, 1, 30))
        db.session.commit()
        pupil_id = pupil.id
    return app, live_server, pupil_id


def test_secretary_finds_a_pupil_by_two_words_in_a_result_row(browser, served):
    app, base, pupil_id = served
    with browser_page(browser, "lookup") as page:
        _walk(page, app, base, pupil_id)


def _walk(page, app, base, pupil_id):
    browser_log_in(page, base, "sekretar", "/admin/gia_protocol/new/")

    page.select_option("#exam", "oge", force=True)
    page.fill("#event_on", "03.06.2026")
    page.keyboard.press("Escape")
    page.click("text=Добавить результат обучающегося")
    page.click("#results .select2-container a")
    page.keyboard.type("петр иванов")  # lower case, «е» for «ё», first name first
    found = page.locator(".select2-result-label")
    found.first.wait_for()
    assert found.all_inner_texts() == ["Иванов Пётр Сергеевич (02.04.2010, 9А)"]
    found.first.click()
    page.fill("input[name='results-0-primary_score']", "27")
    page.fill("input[name='results-0-mark']", "5")
    page.screenshot(path=str(ARTIFACTS / "lookup_result_row.png"), full_page=True)
    page.click("input[type=submit][value='Сохранить']")
    page.wait_for_url(f"{base}/admin/gia_protocol/")
    assert "Запись была создана." in page.inner_text(".alert")

    with app.app_context():
        protocol = db.session.scalar(select(ExamProtocol))
        assert [(r.student_id, r.primary_score, r.mark) for r in protocol.results] == [(pupil_id, 27, "5")]

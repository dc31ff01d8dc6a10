"""A real browser: the secretary logs in, creates a student typing ДД.ММ.ГГГГ, finds them by class and by name."""
from datetime import date

import pytest
from sqlalchemy import select

import factories
from conftest import ARTIFACTS, PASSWORD, browser_page
from models import Student, db

@pytest.fixture
def live_app(app, live_server):
    with app.app_context():
        factories.user("volkova", ["secretary"], full_name="Волкова Светлана Петровна")
        own = factories.school_class(grade=5, letter="А")
        other = factories.school_class(grade=6, letter="Б")
        factories.student("Иванова", "Мария", klass=other, sex="female")  # same name, other class
        factories.student("Петров", "Глеб", klass=own)
        db.session.commit()
        classes = {"5А": own.id, "6Б": other.id}
    return app, live_server, classes


def test_secretary_creates_and_finds_a_student(browser, live_app):
    app, base, classes = live_app
    with browser_page(browser, "students", 1280, 900) as page:
        _walk(page, app, base, classes)
        page.screenshot(path=str(ARTIFACTS / "students_list.png"), full_page=True)


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
    # The class is looked up as you type: «5а» offers 5А of this year, not 6Б.
    page.click("#s2id_school_class a")
    page.keyboard.type("5а")
    found = page.locator(".select2-drop-active .select2-result-label")
    found.first.wait_for()
    assert [label.split(" (")[0] for label in found.all_inner_texts()] == ["5А"]
    found.first.click()
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

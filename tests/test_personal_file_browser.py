"""A real browser: the secretary adds a year's marks to a personal file through the inline rows and saves them."""
from datetime import date

import pytest
from sqlalchemy import select

import factories
from conftest import ARTIFACTS, browser_log_in, browser_page
from models import AnnualMark, CarrierKind, PersonalFile, Subject, db
from models.people import current_year


@pytest.fixture
def served(app, live_server):
    with app.app_context():
        factories.user("sekretar", ["secretary"], full_name="Секретарёва Ирина Павловна")
        kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
        pupil = factories.student("Лебедева", "Ольга", klass=factories.school_class(grade=6, letter="Б"),
                                  sex="female")
        record = PersonalFile(kind=kind, number="Л-3", student=pupil, created_on=date(2020, 9, 1),
                              location="Приёмная, шкаф 1")
        subjects = [Subject(name="Русский язык", position=1), Subject(name="Математика", position=2)]
        db.session.add_all([record, *subjects])
        db.session.commit()
        subjects = [subject.id for subject in subjects]
        ids = {"file": record.id, "year": current_year(db.session).id, "subjects": subjects}
    return app, live_server, ids


def test_secretary_adds_annual_marks_in_inline_rows(browser, served):
    app, base, ids = served
    with browser_page(browser, "personal_file") as page:
        _walk(page, app, base, ids)


def _walk(page, app, base, ids):
    browser_log_in(page, base, "sekretar", f"/admin/personal_file/edit/?id={ids['file']}")

    # The custodian is not set: its select shows an empty choice, not Flask-Admin's internal «__None».
    assert "__None" not in page.inner_text("form")
    page.click("text=Добавить годовую отметку")
    page.click("text=Добавить годовую отметку")
    rows = page.locator("#annual_marks > .inline-field-list > .inline-field")
    assert rows.count() == 2 and rows.nth(1).locator("legend").inner_text().strip() == "Новая годовая отметка"
    for row, (subject, value) in enumerate(zip(ids["subjects"], ("5", "4"))):
        page.select_option(f"select[name='annual_marks-{row}-academic_year']", str(ids["year"]), force=True)
        page.fill(f"input[name='annual_marks-{row}-grade']", "6")
        page.select_option(f"select[name='annual_marks-{row}-subject']", str(subject), force=True)
        page.select_option(f"select[name='annual_marks-{row}-value']", value, force=True)
    page.screenshot(path=str(ARTIFACTS / "personal_file_marks.png"), full_page=True)
    page.click("input[type=submit][value='Сохранить и продолжить редактирование']")
    page.wait_for_load_state()
    assert "Запись была сохранена." in page.inner_text(".alert")
    # Saved rows are numbered and carry a «delete on save» box instead of the remove cross.
    rows = page.locator("#annual_marks > .inline-field-list > .inline-field legend")
    assert [t.split("\n")[0].strip() for t in rows.all_inner_texts()] == ["Годовая отметка № 1", "Годовая отметка № 2"]
    assert page.locator("#annual_marks label:has-text('удалить при сохранении')").count() == 2

    with app.app_context():
        marks = db.session.scalars(select(AnnualMark).where(AnnualMark.personal_file_id == ids["file"])
                                   .order_by(AnnualMark.id)).all()
        assert [(m.academic_year_id, m.subject_id, m.grade, m.value) for m in marks] == [
            (ids["year"], ids["subjects"][0], 6, "5"), (ids["year"], ids["subjects"][1], 6, "4")]

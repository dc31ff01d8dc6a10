"""A real browser: the officer chooses the book and class, types the blanks and the order, registers the class."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

import factories
import issuance_seed as seed
from conftest import ARTIFACTS, PASSWORD, browser_log_in, browser_page
from models import db
from models.issuance import CertificateBookEntry


@pytest.fixture
def served(app, live_server):
    with app.app_context():
        factories.user("orlova", ["officer"], full_name="Орлова Нина Викторовна")
        ids = seed.everything()
    return app, live_server, ids


def test_officer_registers_a_class(browser, served):
    app, base, ids = served
    with browser_page(browser, "issuance", 1600, 1000) as page:
        _walk(page, app, base, ids)
        page.screenshot(path=str(ARTIFACTS / "issuance.png"), full_page=True)


def _walk(page, app, base, ids):
    page.goto(base + "/admin/issuance/")
    page.fill("#login", "orlova")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/issuance/")
    page.select_option("#book_id", str(ids["book"]))
    page.select_option("#class_id", str(ids["class"]))
    page.click("[data-testid=choose] button[type=submit]")
    page.wait_for_selector("[data-testid=grid]")
    grid = page.inner_text("[data-testid=grid]")
    assert "Ёлкина Анастасия Сергеевна" in grid and "12.04.2010" in grid
    # Marks come prefilled from the personal files; honours ticked only where every mark is 5.
    first, second, third = ids["students"]
    assert page.is_checked(f"input[name=honours_{first}]") and not page.is_checked(f"input[name=honours_{second}]")

    order_date = date.today() - timedelta(days=1)
    page.fill("input[name=order_number]", "12-в")
    page.fill("input[name=order_date]", order_date.isoformat())
    page.fill("input[name=issued_on]", date.today().isoformat())
    for n, sid in enumerate(ids["students"], 1):
        page.fill(f"input[name=bn_{sid}]", seed.blank(n))
        page.fill(f"input[name=an_{sid}]", seed.blank(n, "03225"))
    # First a blank that was never received: refused in Russian, nothing saved, the typed values kept.
    page.fill(f"input[name=bn_{third}]", "03224000000999")
    page.click("[data-testid=register]")
    page.wait_for_selector("[data-testid=errors]")
    assert "не поступал" in page.inner_text("[data-testid=errors]")
    assert page.input_value("input[name=order_number]") == "12-в"
    with app.app_context():
        assert db.session.scalar(select(CertificateBookEntry.id)) is None

    page.fill(f"input[name=bn_{third}]", seed.blank(3))
    page.select_option(f"select[name=rk_{third}]", "post")
    page.fill(f"input[name=pn_{third}]", "80089912345678")
    page.fill(f"input[name=pd_{third}]", date.today().isoformat())
    page.click("[data-testid=register]")
    page.wait_for_selector("[data-testid=entries]")
    assert "регистрационные номера 1–3" in page.content()
    entries = page.inner_text("[data-testid=entries]")
    assert "Ёлкина Анастасия Сергеевна" in entries and "с отличием" in entries
    assert "почтовое отправление № 80089912345678" in entries

    with app.app_context():
        rows = {e.student_id: e for e in db.session.scalars(select(CertificateBookEntry))}
        assert sorted(e.reg_number for e in rows.values()) == [1, 2, 3]
        assert rows[first].honours and not rows[second].honours
        assert rows[third].recipient_kind == "post" and rows[third].order_date == order_date

    # The book's PDF opens from the page.
    response = page.request.get(base + page.get_attribute("[data-testid=book-pdf]", "href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"


def test_officer_issues_the_demo_schools_9th_and_11th_classes_without_typing(browser, app, live_server):
    """Item 8 of the issue: blanks, marks of every year, ГИА and the order are in the demo; nothing is typed."""
    from models import RegisterBook, SchoolClass
    from models.attestation import MedalEntry
    from models.demo import seed_demo_school
    from models.people import current_year

    with app.app_context():
        seed_demo_school(db.session, students_total=160)
        factories.user("orlova", ["officer"], full_name="Орлова Нина Викторовна")
        db.session.commit()
        year = current_year(db.session)
        classes = {c.name: c.id for c in db.session.scalars(select(SchoolClass).where(
            SchoolClass.academic_year_id == year.id, SchoolClass.grade.in_((9, 11))))}
        books = {b.number: b.id for b in db.session.scalars(select(RegisterBook))}
    base = live_server
    with browser_page(browser, "issuance_demo", 1800, 1000) as page:
        browser_log_in(page, base, "orlova", "/admin/issuance/")
        for book, klass in (("ООО-3", "9А"), ("СОО-2", "11А")):
            page.goto(base + "/admin/issuance/")
            page.select_option("#book_id", str(books[book]))
            page.select_option("#class_id", str(classes[klass]))
            page.click("[data-testid=choose] button[type=submit]")
            page.wait_for_selector("[data-testid=grid]")
            grid = page.inner_text("[data-testid=grid]")
            assert "→" in grid and "ГИА" in grid
            page.click("[data-testid=register]")
            page.wait_for_selector("[data-testid=entries]")
            assert "Зарегистрировано аттестатов" in page.content(), page.inner_text("body")[:2000]
        page.screenshot(path=str(ARTIFACTS / "issuance_demo.png"), full_page=True)
    with app.app_context():
        entries = db.session.scalars(select(CertificateBookEntry).where(
            CertificateBookEntry.school_class_id.in_([classes["9А"], classes["11А"]]))).all()
        assert len(entries) >= 2 and all(e.marks for e in entries)
        assert db.session.scalar(select(MedalEntry.degree).where(MedalEntry.reg_number == 1)) == 1

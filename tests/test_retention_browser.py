"""In a real browser: the deputy reviews, drafts and sends a destruction act; the director approves it."""
from datetime import date

import pytest
from sqlalchemy import select

from conftest import PASSWORD, make_user
from models import Carrier, CarrierKind, Student, db
from models.registers import PersonalFile
from models.retention import DestructionAct


@pytest.fixture
def served(live_server):
    return live_server


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    tab.set_default_timeout(10000)
    return tab


def log_in(page, base, login):
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Войти')")
    page.wait_for_url(f"{base}/admin/**")


def test_review_to_approval(app, served, page):
    base = served
    with app.app_context():
        make_user("zam", ["deputy"], "Завучева Ольга Петровна")
        make_user("dir", ["director"], "Директоров Павел Ильич")
        make_user("sec", ["secretary"], "Секретарёва Нина Львовна")
        personal = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
        ids = []
        for n in range(3):
            pupil = Student(last_name=f"Выбывший{n}", first_name="Иван", birth_date=date(2004, 1, 1), sex="male",
                            status="left", left_on=date(2018, 6, 1))
            db.session.add(pupil)
            db.session.flush()
            record = PersonalFile(kind_id=personal.id, number=f"В-{n + 1}", student_id=pupil.id,
                                  created_on=date(2010, 9, 1))
            db.session.add(record)
            db.session.flush()
            ids.append(record.id)
        db.session.commit()

    log_in(page, base, "zam")
    assert "Носители с истёкшим сроком хранения ждут экспертизы" in page.inner_text("[data-testid=home-notices]")
    page.click("[data-testid=home-notices] a:has-text('истёкшим сроком')")
    page.wait_for_url("**/retention_review/**")
    groups = page.inner_text("[data-testid=expired-groups]")
    assert "Личное дело обучающегося" in groups and "3" in groups
    page.check("input[aria-label='Личное дело обучающегося']")
    page.click("button:has-text('Составить акт по отмеченным группам')")
    page.wait_for_url("**/act/**")
    assert "черновик сохранён (3 дел)" in page.content()
    page.select_option("#chairman_id", label="Завучева Ольга Петровна")
    page.check("[data-testid=members] label:has-text('Секретарёва Нина Львовна') input")
    page.click("button:has-text('Сохранить и отправить на утверждение')")
    page.wait_for_selector("text=Акт отправлен директору на утверждение.")
    assert "на утверждении" in page.inner_text("[data-testid=act-status]")
    assert page.locator("[data-testid=approve-form]").count() == 0  # the deputy cannot approve
    act_url = page.url
    page.click("button:has-text('Выйти')")

    log_in(page, base, "dir")
    page.goto(act_url)
    page.click("[data-testid=approve-form] button")
    page.wait_for_selector("text=отмечены уничтоженными")
    assert "утверждён" in page.inner_text("[data-testid=act-status]")

    with app.app_context():
        act = db.session.scalar(select(DestructionAct))
        assert act.status == "approved" and act.approved_on == date.today()
        for ident in ids:
            carrier = db.session.get(Carrier, ident)
            assert (carrier.status, carrier.destroyed_on, carrier.destruction_act_id) == \
                ("destroyed", date.today(), act.id)

"""A real browser, a school's first day and every day: the forced password change and the checklist, Russian
widgets (date picker, select2, custom pages' dates), «Ё» with «Е», the director's waiting act, the pupil's card."""
from datetime import date

import factories
import pytest
from conftest import ARTIFACTS, PASSWORD, browser_log_in, browser_page
from leaving_seed import pupil_with_carriers
from sqlalchemy import select

from models import CarrierKind, EjournalCopy, User, db
from models.retention import draft_act, send_act, update_act


@pytest.fixture
def served(app, live_server):
    with app.app_context():
        admin = factories.user("nachalo", ["admin"], full_name="Админов Пётр Ильич")
        admin.must_change_password = True
        factories.user("sekretar", ["secretary"], full_name="Секретарёва Ирина Павловна")
        klass = factories.school_class(grade=9, letter="А")
        pupil, mother, carriers = pupil_with_carriers(klass=klass)
        for name in ("Ежов", "Ёжиков", "Абрамов", "Жуков"):
            factories.student(name, "Иван", klass=klass)
        # A destruction act sent to the director: an e-journal copy past its five years.
        deputy = factories.user("zavuch", ["deputy"], full_name="Завучева Ольга Петровна")
        factories.user("direktor", ["director"], full_name="Директоров Павел Ильич")
        copy = EjournalCopy(kind_id=db.session.scalar(select(CarrierKind.id).where(CarrierKind.code == "ejournal_copy")),
                            title="Копия 9А за 2014/2015", created_on=date(2015, 6, 10))
        db.session.add(copy)
        db.session.flush()
        act = draft_act(db.session, carrier_ids=[copy.id], user=deputy, act_date=date.today())
        update_act(db.session, act, number=act.number, act_date=act.act_date, basis=act.basis, expert_protocol=None,
                   chairman_id=deputy.id, member_ids=[db.session.scalar(select(User.id).where(User.login == "sekretar"))])
        send_act(db.session, act, deputy)
        db.session.commit()
        ids = {"pupil": pupil.id, "mother": mother.id, "act": act.id, "act_number": act.number,
               **{k: c.id for k, c in carriers.items()}}
    return app, live_server, ids


def test_first_day_and_every_day_in_a_browser(browser, served):
    app, base, ids = served
    with browser_page(browser, "first_day", 1400, 1000) as page:
        _first_steps(page, app, base)
    with browser_page(browser, "widgets", 1400, 1000) as page:
        _widgets_and_card(page, base, ids)
    with browser_page(browser, "waiting_act", 1400, 1000) as page:
        browser_log_in(page, base, "direktor", "/admin/")
        notice = page.locator("[data-testid=home-notices] a", has_text="ждёт вашего утверждения")
        assert notice.inner_text() == (f"Акт об уничтожении № {ids['act_number']} от {date.today():%d.%m.%Y} "
                                       "ждёт вашего утверждения")
        notice.click()
        page.wait_for_url(f"{base}/admin/retention_review/act/{ids['act']}")


def _first_steps(page, app, base):
    page.goto(base + "/login")
    page.fill("#login", "nachalo")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/password")
    assert "Придумайте свой пароль" in page.inner_text("[data-testid=password-forced]")
    page.goto(base + "/admin/user/")
    page.wait_for_url(base + "/password")  # nothing else opens first
    page.fill("#current", PASSWORD)
    page.fill("#new", "новый-пароль-администратора")
    page.fill("#repeat", "новый-пароль-администратора")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    assert "Пароль изменён." in page.inner_text("body")
    steps = page.locator("[data-testid=first-steps] li")
    texts = steps.all_inner_texts()
    assert any("Ввести учебные предметы" in t for t in texts)
    undone = page.locator("[data-testid=first-steps] li[data-done=no]").all_inner_texts()
    assert any("Задать четверти или полугодия" in t for t in undone)
    page.locator("[data-testid=first-steps] a", has_text="Ввести учебные предметы").click()
    page.wait_for_url(base + "/admin/subject/")
    with app.app_context():
        assert not db.session.scalar(select(User).where(User.login == "nachalo")).must_change_password


def _widgets_and_card(page, base, ids):
    browser_log_in(page, base, "sekretar", "/admin/student/new/")
    # The date picker: Russian months, the week from Monday, ДД.ММ.ГГГГ.
    page.click("#birth_date")
    picker = page.locator(".daterangepicker").first
    picker.wait_for(state="visible")
    heads = picker.locator("thead tr").last.locator("th").all_inner_texts()
    assert [h.strip().lower() for h in heads if h.strip()][:7] == ["пн", "вт", "ср", "чт", "пт", "сб", "вс"], heads
    months = picker.locator("select.monthselect option").all_inner_texts()
    assert months[:3] == ["янв", "фев", "мар"], months
    picker.locator("td.available", has_text="15").first.click()
    value = page.input_value("#birth_date")
    assert len(value) == 10 and value[2] == "." and value[5] == "." and value.startswith("15."), value
    page.keyboard.press("Escape")
    # select2 speaks Russian: a search with no match, and a lookup that wants more letters.
    page.click("#s2id_school_class a")
    page.keyboard.type("нетакого")
    assert page.locator(".select2-drop-active .select2-no-results").inner_text() == "Совпадений не найдено"
    page.keyboard.press("Escape")
    page.click("#s2id_guardians")
    too_short = page.locator(".select2-drop-active .select2-searching, .select2-drop-active .select2-no-results")
    too_short.first.wait_for()
    assert too_short.first.inner_text().startswith("Введите ещё"), too_short.first.inner_text()
    page.keyboard.press("Escape")
    page.screenshot(path=str(ARTIFACTS / "widgets_form.png"))

    # «Ё» sorts with «Е» in the pupils list.
    page.goto(base + "/admin/student/")
    surnames = [s.strip() for s in page.locator("td.col-last_name").all_inner_texts()]
    assert surnames.index("Абрамов") < surnames.index("Ёжиков") < surnames.index("Ежов") < surnames.index("Ёлкина")
    assert surnames.index("Ёлкина") < surnames.index("Жуков"), surnames

    # A custom page's date field: ДД.ММ.ГГГГ and the same Russian picker.
    page.goto(f"{base}/admin/leaving/student/{ids['pupil']}")
    left_on = page.locator("#left_on")
    assert left_on.get_attribute("type") == "text"
    assert left_on.input_value() == date.today().strftime("%d.%m.%Y")
    left_on.click()
    visible = page.locator(".daterangepicker:visible")
    visible.first.wait_for()
    assert visible.first.locator("select.monthselect option").first.inner_text() == "янв"
    page.keyboard.press("Escape")

    # The pupil's card: everything the school holds, one click away.
    page.goto(f"{base}/admin/student/details/?id={ids['pupil']}")
    records = page.locator("[data-testid=student-records]")
    records.get_by_role("link", name="Личное дело обучающегося № Ё-1", exact=True).click()
    page.wait_for_url(f"{base}/admin/personal_file/details/?id={ids['file']}")

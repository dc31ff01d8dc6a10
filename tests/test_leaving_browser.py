"""A real browser: the secretary finds a pupil, makes the leaving, prints the act; the director reverses it."""
import pytest
from sqlalchemy import select

import factories
from conftest import ARTIFACTS, PASSWORD, browser_page
from leaving_seed import pupil_with_carriers
from models import Student, db
from models.carriers import Carrier
from models.leaving import HandoverAct


@pytest.fixture
def served(app, live_server):
    with app.app_context():
        factories.user("sekretar", ["secretary"], full_name="Секретарёва Ирина Павловна")
        factories.user("direktor", ["director"], full_name="Директорова Елена Ивановна")
        pupil, mother, carriers = pupil_with_carriers()
        factories.student(last_name="Другов", klass=factories.school_class(grade=7, letter="В"))
        db.session.commit()
        ids = {"pupil": pupil.id, "mother": mother.id, **{k: c.id for k, c in carriers.items()}}
    return app, live_server, ids


def test_leaving_page_end_to_end(browser, served):
    app, base, ids = served
    with browser_page(browser, "leaving", 1500, 1000) as page:
        _walk(page, app, base, ids)


def _login(page, base, login, url):
    page.goto(base + url)
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + url)


def _walk(page, app, base, ids):
    _login(page, base, "sekretar", "/admin/leaving/")
    # The menu shows the page under «Обучающиеся».
    assert page.locator("a", has_text="Выбытие обучающегося").count() >= 1
    page.fill("input[name=q]", "ёлкина")  # lower case Cyrillic finds «Ёлкина»
    page.select_option("select[name=class_id]", label="9А")
    page.click("text=Найти")
    rows = page.locator("[data-testid=students] tbody tr")
    assert rows.count() == 1 and "Ёлкина Анастасия Сергеевна" in rows.first.inner_text()
    rows.first.locator("text=Оформить выбытие").click()
    page.wait_for_url(f"{base}/admin/leaving/student/{ids['pupil']}")

    # The proposals: the file follows the reason (handed on transfer only), the GIA protocol stays.
    file_action = page.locator(f"select[name=action_{ids['file']}]")
    assert file_action.input_value() == "hand"
    page.select_option("#reason", "graduation")
    assert file_action.input_value() == "keep"
    page.select_option("#reason", "transfer")
    assert file_action.input_value() == "hand"
    assert page.locator(f"select[name=action_{ids['gia']}]").input_value() == "keep"
    document = page.locator(f"input[name='document_guardian:{ids['mother']}']")
    assert document.input_value() == "паспорт 4510 123456"

    page.fill("#destination", "МБОУ «Школа № 5», г. Казань")
    page.fill("#left_on", "2025-06-10")
    page.fill("#order_number", "45-у")
    page.fill("#order_date", "2025-06-10")
    # First without the application: refused, nothing saved, the form keeps what was typed.
    page.click("text=Оформить выбытие")
    assert "по письменному заявлению" in page.locator("[data-testid=errors]").inner_text()
    assert page.locator("#order_number").input_value() == "45-у"
    with app.app_context():
        assert db.session.get(Student, ids["pupil"]).status == "studying"
    page.fill("#application_on", "2025-06-09")
    page.fill("#applicant", "Ёлкина Мария Петровна")
    page.screenshot(path=str(ARTIFACTS / "leaving_form.png"), full_page=True)
    page.click("text=Оформить выбытие")
    page.wait_for_selector("text=Выбытие оформлено")
    assert "выбыл" in page.locator("[data-testid=student-status]").inner_text()
    acts = page.locator("[data-testid=acts]").inner_text()
    assert "№ 1/2025 от 10.06.2025" in acts and "Портфолио обучающегося" in acts
    page.screenshot(path=str(ARTIFACTS / "leaving.png"), full_page=True)

    with app.app_context():
        act_id = db.session.scalar(select(HandoverAct.id))
        assert db.session.get(Carrier, ids["file"]).status == "handed_over"
    href = page.locator(f"[data-testid=act-pdf-{act_id}]").get_attribute("href")
    pdf = page.request.get(base + href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    # The register «Акты приёма-передачи» links the same PDF.
    page.goto(base + "/admin/handover_act/")
    assert page.locator(f"a[href='/admin/leaving/act/{act_id}/pdf']").count() == 1
    # The secretary sees no reversal form.
    page.goto(f"{base}/admin/leaving/student/{ids['pupil']}")
    assert page.locator("[data-testid=reverse-form]").count() == 0
    page.click("text=Выйти")

    _login(page, base, "direktor", f"/admin/leaving/student/{ids['pupil']}")
    page.fill("#reversal_reason", "приказ издан по ошибке")
    page.click("text=Отменить выбытие")
    page.wait_for_selector("text=снова числится в школе")
    waiting = page.locator("[data-testid^=awaiting-]")
    assert waiting.count() == 3
    waiting.filter(has_text="Портфолио").locator("text=Возвращён в школу").click()
    page.wait_for_selector("text=снова хранится в школе")
    assert page.locator("[data-testid^=awaiting-]").count() == 2
    page.screenshot(path=str(ARTIFACTS / "leaving_reversed.png"), full_page=True)
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Student, ids["pupil"]).status == "studying"
        assert db.session.get(Carrier, ids["portfolio"]).status == "kept"
        assert db.session.get(Carrier, ids["certificate"]).status == "handed_over"
        assert db.session.get(HandoverAct, act_id).reversed_at is not None

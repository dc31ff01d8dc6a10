"""A real browser: the officer chooses the book and class, types the blanks and the order, registers the class."""
import os
import shutil
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

import factories
import issuance_seed as seed
from app import create_app
from conftest import PASSWORD, _base_config
from models import db
from models.issuance import CertificateBookEntry

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def chromium():
    if not os.path.exists(CHROMIUM):
        reason = f"нет {CHROMIUM} (пакет Debian chromium): проверка в браузере пропущена"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served(sqlite_template, tmp_path):
    path = tmp_path / "issuance.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app(_base_config(tmp_path, f"sqlite:///{path}"))
    with app.app_context():
        from models.seed import ensure_reference_data

        ensure_reference_data(db.session)
        factories.user("orlova", ["officer"], full_name="Орлова Нина Викторовна")
        ids = seed.everything()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", ids
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def test_officer_registers_a_class(chromium, served):
    app, base, ids = served
    page = chromium.new_page(viewport={"width": 1600, "height": 1000}, locale="ru-RU")
    page.set_default_timeout(15000)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        _walk(page, app, base, ids)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "issuance_failure.png"), full_page=True)
        raise
    page.screenshot(path=str(ARTIFACTS / "issuance.png"), full_page=True)
    page.close()


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

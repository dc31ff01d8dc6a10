"""Usable by everyone (WCAG 2.1 AA, which ГОСТ Р 52872-2019 mirrors): axe-core, run inside a real browser, finds
no critical and no serious violation on the pages of every role of the demo school, in their states (a form
with errors, a flashed message, a narrow window as at 200 % zoom), and a form is filled and saved with the
keyboard alone. axe-core comes inside the pip package axe-playwright-python: nothing is fetched from the
internet. A failing page's screenshot is kept in tests/artifacts/."""
import re
from datetime import date
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from conftest import ARTIFACTS, browser_page
from sqlalchemy import func, select

from models import CarrierKind, EjournalCopy, Student, User, db
from models.demo import DEMO_PASSWORDS, seed_demo_school
from models.retention import draft_act
from models.verification import IssuedDocument

pytestmark = pytest.mark.slow

BLOCKING = ("critical", "serious")
# WCAG 2.1 A and AA only, as the issue asks: axe's best-practice rules (landmarks, heading order…) are not
# WCAG criteria and took about a third of its time on every page.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
# Query keys that only sort, page or filter a list: such links show a page state already walked.
LIST_KEYS = {"url", "sort", "desc", "page", "page_size", "search"}
# Links that download a file, change data on GET-less forms or leave the panel.
LIST = re.compile(r"^/admin/[a-z_]+/$")
SKIP = re.compile(r"(\.pdf|\.xlsx|\.csv|/export|/ajax/|/pdf|/print|/download|/template|logout|/delete)", re.I)


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def with_axe(page, axe):
    """axe-core is loaded by the tab into every page it opens: sent over the wire once, not once a page
    (half a megabyte of script, a tenth of a second a page)."""
    page.add_init_script(script=axe.axe_script)
    return page


# A list's rows whose markup is the same but for the text and the values of its attributes are one case to axe:
# all but the first of each are taken out before the check (a page of fifty rows cost three times the time of one
# row; colour contrast alone, measured in every text's cell, is nine tenths of axe's time). A row that differs in
# any tag, class, style or empty text stays. Where ids repeat on the page nothing is taken out, so duplicate ids
# are still seen.
SAME_ROWS = r"""() => {
    const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
    if (new Set(ids).size !== ids.length) return 0;
    const shape = tr => tr.outerHTML
        .replace(/>[^<]*\S[^<]*</g, '>x<')
        .replace(/ (href|value|title|aria-label|data-[a-z-]+)="[^"]+"/g, ' $1="x"');
    const seen = new Set();
    let taken = 0;
    for (const tr of document.querySelectorAll('main table tbody tr')) {
        const key = shape(tr);
        if (seen.has(key)) { tr.remove(); taken++; } else { seen.add(key); }
    }
    return taken;
}"""


# The frame of a role's pages (the skip link and the menu) is one markup on all of them: once it has been checked
# on the role's first pages (with and without a menu item marked as the current one), later pages are checked
# without it. The page's own title is then asked here, as axe asks it only of a whole document.
FRAME = {"exclude": [[".skip-link"], ["nav.navbar"]]}


def violations(axe, page, label, same_rows=False, frame=True):
    """«label: rule (impact) × n — target: snippet» for every critical or serious finding on the page as shown
    (with `same_rows`, a list's repeated rows once; without `frame`, the role's menu is left out)."""
    found = []
    if same_rows:
        page.evaluate(SAME_ROWS)
    if not frame and not page.title().strip():
        found.append(f"{label}: у страницы нет заголовка <title>")
    whole = "([frame, options]) => axe.run(frame || document, options)"
    for v in page.evaluate(whole, [None if frame else FRAME, AXE_OPTIONS])["violations"]:
        if v["impact"] in BLOCKING:
            node = v["nodes"][0]
            found.append(f"{label}: {v['id']} ({v['impact']}) × {len(v['nodes'])} — {v['help']}; "
                         f"{', '.join(map(str, node['target']))}: {node['html'][:160]}")
    if found:
        name = re.sub(r"[^A-Za-z0-9_-]+", "_", label)[:90]
        page.screenshot(path=str(ARTIFACTS / f"a11y_{name}.png"), full_page=True)
    return found


def _key(url):
    parts = urlsplit(url)
    keys = sorted(k for k, _ in parse_qsl(parts.query, keep_blank_values=True)
                  if k not in LIST_KEYS and not k.startswith("flt"))
    return re.sub(r"\d+", "N", parts.path) + "?" + ",".join(keys)


@pytest.fixture
def demo_school(app, live_server):
    with app.app_context():
        seed_demo_school(db.session, students_total=120)
        # A destruction act in the deputy's hands: an e-journal copy past its five years.
        deputy = db.session.scalar(select(User).where(User.login == "deputy"))
        copy = EjournalCopy(kind_id=db.session.scalar(select(CarrierKind.id).where(CarrierKind.code == "ejournal_copy")),
                            title="Копия 5А за 2014/2015", created_on=date(2015, 6, 10))
        db.session.add(copy)
        db.session.flush()
        draft_act(db.session, carrier_ids=[copy.id], user=deputy, act_date=date.today())
        db.session.commit()
        code = db.session.scalar(select(IssuedDocument.code).order_by(IssuedDocument.id))
        pupil = db.session.scalar(select(Student.id).where(Student.status == "studying").order_by(Student.id))
        assert db.session.scalar(select(func.count(Student.id))) >= 100
    return live_server, {"code": code, "pupil": pupil}


def _log_in(page, base, login):
    password = DEMO_PASSWORDS[login][1]
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/**")


def _walk(page, axe, base, role, seen, found, walked, details, limit=400):
    """The role's home page, every menu page, and the pages they link to (a register's create, edit and
    details forms, a custom page's inner pages), each kind of page once over all the roles."""
    queue = ["/admin/"]
    queue += page.eval_on_selector_all("nav a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
    seen.discard(_key("/admin/"))  # each role's own home page
    visited, fetched = 0, set()
    while queue and visited < limit:
        url = queue.pop(0)
        key = _key(url)
        if SKIP.search(url) or url in fetched:
            continue
        fetched.add(url)
        if key in seen:
            # Checked under another role; this role's list may still lead to forms that one could not open:
            # its links are read from the HTML alone (no rendering, no axe).
            if LIST.match(url):
                answer = page.request.get(base + url)
                if answer.status == 200:
                    links = [unescape(h) for h in re.findall(r'href="(/[^"]*)"', answer.text())]
                    queue += [link for link in links if _key(link) not in seen]
            continue
        seen.add(key)
        # A record's details page is one template for every register: a few of them stand for the rest.
        if "/details/" in url:
            if details[0] >= 4:
                continue
            details[0] += 1
        try:
            response = page.goto(base + url)
        except PlaywrightError:  # a file download, not a page
            continue
        if response.status != 200 or not response.headers.get("content-type", "").startswith("text/html") \
                or not page.url.startswith(base + urlsplit(url).path):
            continue
        visited += 1
        links = page.eval_on_selector_all("main a[href^='/']", "els => els.map(e => e.getAttribute('href'))")
        queue += [link for link in links if _key(link) not in seen]
        found += violations(axe, page, f"{role} {url}", same_rows=True, frame=visited <= 2)
        walked.append(f"{role} {url}")
    return visited


def test_every_page_of_every_role_passes_axe(browser, demo_school):
    base, ids = demo_school
    axe = _axe()
    found, seen = [], set()
    walked, details = [], [0]
    with browser_page(browser, "a11y_public") as page:
        with_axe(page, axe)
        page.goto(base + "/login")
        found += violations(axe, page, "log-in")
        page.fill("#login", "nobody")
        page.fill("#password", "wrong-password")
        page.click("button[type=submit]")
        assert page.locator("[role=alert]").count() >= 1  # the failed log-in is announced
        found += violations(axe, page, "log-in error")
        for url in ("/check/", f"/check/{ids['code']}", "/check/XXX", "/no-such-page"):
            page.goto(base + url)
            found += violations(axe, page, f"public {url}")
        walked += ["log-in", "log-in error", "/check/…", "404"]
    for role in DEMO_PASSWORDS:
        with browser_page(browser, f"a11y_{role}") as page:
            with_axe(page, axe)
            _log_in(page, base, role)
            assert page.get_attribute("html", "lang") == "ru"
            _walk(page, axe, base, role, seen, found, walked, details)
            if role == "secretary":
                # A form sent empty: the errors are tied to their fields and announced.
                page.goto(base + "/admin/student/new/")
                # A select2 field is announced by its label, then its value (it was the value alone).
                focusser = page.locator("#s2id_school_class input.select2-focusser")
                names = focusser.evaluate("e => (e.getAttribute('aria-labelledby') || '').split(' ')"
                                          ".map(i => (document.getElementById(i) || {}).textContent || '')")
                assert names[0].strip().startswith("Класс"), names
                # The browser's own check of required fields is skipped, as an older browser would.
                page.evaluate("document.querySelector('form.admin-form').noValidate = true")
                page.click("form.admin-form [type=submit]")
                page.wait_for_load_state()
                invalid = page.locator("[aria-invalid=true]")
                assert invalid.count() >= 1
                described = invalid.first.get_attribute("aria-describedby")
                assert described and page.locator(f"#{described.split()[0]}").inner_text().strip()
                found += violations(axe, page, "secretary student form with errors")
                # A narrow window, as a 1280 px screen at 200 % zoom: wide tables scroll in their own region.
                page.set_viewport_size({"width": 640, "height": 800})
                for url in ("/admin/student/", "/admin/retention_review/", f"/admin/leaving/student/{ids['pupil']}"):
                    page.goto(base + url)
                    width = page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 660, f"{url}: страница шире окна ({width} px)"
                    found += violations(axe, page, f"secretary 200% {url}")
            if role == "officer":
                # The issuance grid of a class: every mark, blank and recipient field named with the pupil's name.
                page.goto(base + "/admin/issuance/")
                classes = page.locator("#class_id option[value]:not([value=''])")
                page.select_option("#class_id", classes.last.get_attribute("value"))
                page.click("[data-testid=choose] button[type=submit]")
                page.wait_for_load_state()
                found += violations(axe, page, "officer issuance grid")
                walked.append("officer issuance grid")
                page.set_viewport_size({"width": 640, "height": 800})
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 660, f"таблица выдачи: страница шире окна ({width} px)"
                found += violations(axe, page, "officer 200% issuance grid")
            page.goto(base + "/password")
            found += violations(axe, page, f"{role} password")
    (ARTIFACTS / "a11y_pages.txt").write_text("\n".join(walked) + "\n", encoding="utf-8")
    assert len(walked) > 60, walked
    assert not found, f"{len(found)} нарушений доступности:\n" + "\n".join(found)


@pytest.fixture
def small_demo_school(app, live_server):
    """The demo school with a class's worth of pupils: the keyboard test needs its accounts, not its crowd."""
    with app.app_context():
        seed_demo_school(db.session, students_total=24)
        db.session.commit()
    return live_server


def test_a_form_filled_and_saved_with_the_keyboard_alone(browser, small_demo_school):
    base = small_demo_school
    with browser_page(browser, "a11y_keyboard") as page:
        _log_in(page, base, "admin")
        page.goto(base + "/admin/subject/new/")
        # The first Tab reaches the skip link, which is then visible; Enter goes to the page's content.
        page.keyboard.press("Tab")
        skip = page.locator(".skip-link")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert skip.bounding_box()["x"] >= 0 and skip.is_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "content"
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "name":
                break
        assert page.evaluate("document.activeElement.id") == "name"
        # The focus ring is thick enough to see.
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
        assert float(ring.rstrip("px")) >= 2, ring
        page.keyboard.type("Астрономия (с клавиатуры)")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/admin/subject/([?#].*)?$"))
        assert "Запись была создана." in page.inner_text("[role=status]")
        assert "Астрономия (с клавиатуры)" in page.inner_text("main table")

"""A real browser: the deputy opens the whole-school analysis folded and opens a class; its pupils load under the CSP."""
import pytest

import factories
from conftest import PASSWORD, browser_page
from models import db
from test_analysis import seed_marks


@pytest.fixture
def live_analysis(app, live_server):
    with app.app_context():
        factories.user("zavuch", ["deputy"], full_name="Завучева Ольга Петровна")
        ids = seed_marks()
        db.session.commit()
    return live_server, ids


def test_deputy_opens_a_class_of_the_whole_school(browser, live_analysis):
    base, ids = live_analysis
    with browser_page(browser, "analysis_folded") as page:
        refused = []
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.goto(base + "/login")
        page.fill("#login", "zavuch")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(base + f"/marks/analysis?year={ids['year']}&term={ids['q1']}")
        nine_a = page.locator("[data-testid='class-9А']")
        assert not nine_a.get_attribute("open") and not page.locator("text=Иванов Иван Иванович").is_visible()
        nine_a.locator("summary").click()
        page.locator("[data-testid='excellent-9А']").wait_for()
        assert page.inner_text("[data-testid='excellent-9А']") == "Иванов Иван Иванович"
        assert "Орлов Олег" in page.inner_text("[data-testid='students-9А']")
        assert not page.locator("[data-testid='students-9Б']").count()  # 9Б stays folded and unread
        assert refused == []

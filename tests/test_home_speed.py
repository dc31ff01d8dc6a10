"""The home page reads its notices in a fixed number of queries, whatever the number of years and classes."""
import re
from datetime import date

from sqlalchemy import event

import marks_fixtures as fx
from models import AcademicYear, SchoolClass, Term, db
from models.people import current_year

GAPS = "Классы и периоды без полной проверенной копии электронного журнала"
PRINTOUTS = "Классы без зарегистрированной распечатки электронного журнала за год"


def past_years(backs, classes):
    """Ended years (`backs` years before the current one), each with `classes` classes and two quarters."""
    start = current_year(db.session).starts_on.year
    for back in backs:
        y0 = start - back
        year = AcademicYear(name=f"{y0}/{y0 + 1}", starts_on=date(y0, 9, 1), ends_on=date(y0 + 1, 5, 31))
        db.session.add_all([
            Term(academic_year=year, kind="quarter", number=1, starts_on=date(y0, 9, 1), ends_on=date(y0, 10, 26)),
            Term(academic_year=year, kind="quarter", number=2, starts_on=date(y0, 11, 5), ends_on=date(y0, 12, 28)),
            *(SchoolClass(academic_year=year, grade=5 + n % 6, letter="АБВГДЕЖ"[n // 6]) for n in range(classes))])
    db.session.commit()


def home(app, client):
    """(the page's text, the number of SQL statements it took)."""
    seen = []

    def count(*args, **kwargs):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/admin/")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(seen)


def badge(page, text):
    found = re.search(re.escape(text) + r"</a>:\s*<span[^>]*>(\d+)</span>", page)
    return int(found.group(1)) if found else 0


def test_home_page_queries_do_not_grow_with_years_and_classes(app, login_as):
    with app.app_context():
        fx.school()
        past_years([1], 2)
    user = login_as(["director", "deputy", "officer"])
    page, queries = home(app, user)
    gaps, printouts = badge(page, GAPS), badge(page, PRINTOUTS)
    # an ended year of two classes: each misses the year's and two quarters' copies and the year's printout
    assert gaps >= 6 and printouts == 2

    with app.app_context():
        past_years([2, 3], 8)
    page, more_queries = home(app, user)
    assert badge(page, GAPS) == gaps + 2 * 8 * 3
    assert badge(page, PRINTOUTS) == printouts + 2 * 8
    assert more_queries == queries

"""Register lists read a page in a fixed number of queries, however many rows and related records it shows."""
from datetime import date

from sqlalchemy import event, select

import factories
from models import CarrierKind, CopyMedium, EjournalCopy, db
from models.people import current_year


def _copies(session, count, letter):
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "ejournal_copy"))
    klass = factories.school_class(grade=9, letter=letter)
    for n in range(count):
        session.add(EjournalCopy(kind=kind, school_class=klass, academic_year=current_year(session),
                                 created_on=date(2025, 6, n + 1),
                                 media=[CopyMedium(location=f"Сейф {n}"), CopyMedium(location=f"Шкаф {n}")]))
    session.commit()


def _queries(panel, url):
    statements = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = panel.get(url).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    return page, len(statements)


def test_copy_list_reads_every_rows_media_in_one_query(app, login_as, session):
    _copies(session, 2, "А")
    panel = login_as("deputy")
    page, few = _queries(panel, "/admin/ejournal_copy/")
    assert "Сейф 1" in page and "Шкаф 1" in page
    _copies(session, 20, "Б")
    page, many = _queries(panel, "/admin/ejournal_copy/")
    assert "Сейф 19" in page
    assert many == few  # the media column used to cost one query per row

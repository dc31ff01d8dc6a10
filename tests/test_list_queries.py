"""Register lists read a page in a fixed number of queries, however many rows and related records it shows."""
from datetime import date

from sqlalchemy import select

import factories
from conftest import sql_statements
from models import CarrierKind, CopyMedium, EjournalCopy
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
    with sql_statements() as statements:
        page = panel.get(url).get_data(as_text=True)
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


def test_promotion_preview_reads_every_classes_pupils_at_once(app, session):
    from models.leaving import promotion_preview

    year = current_year(session)
    for letter in "АБ":
        factories.student(f"Ученик{letter}", klass=factories.school_class(grade=5, letter=letter))
    session.commit()

    rows, few = _preview_queries(session, year, promotion_preview)
    for letter in "ВГДЕ":
        factories.student(f"Ученик{letter}", klass=factories.school_class(grade=6, letter=letter))
    session.commit()
    rows, many = _preview_queries(session, year, promotion_preview)
    assert [(k.name, [p.last_name for p in pupils]) for k, pupils in rows] == [
        ("5А", ["УченикА"]), ("5Б", ["УченикБ"]), ("6В", ["УченикВ"]), ("6Г", ["УченикГ"]), ("6Д", ["УченикД"]),
        ("6Е", ["УченикЕ"])]
    assert many == few  # one query per class before



def _preview_queries(session, year, preview):
    with sql_statements() as statements:
        rows = preview(session, year)
    return rows, len(statements)

"""Exports never hand a spreadsheet a formula: text starting with = + - @ (or a tab, a CR) stays text."""
import csv
import io

import factories
from openpyxl import load_workbook
from sqlalchemy import select

from models import Student, db
from models.issuance import CertificateBookEntry

EVIL = '=HYPERLINK("http://evil.example/","Нажмите")'
OTHERS = ["+79001234567", "-2+3", "@SUM(A1:A2)", "\tТабулова"]


def _pupil_through_the_form(app, login_as, session):
    klass = factories.school_class(grade=9, letter="А")
    session.commit()
    secretary = login_as("secretary")
    response = secretary.post("/admin/student/new/", data={
        "last_name": EVIL, "first_name": "Пётр", "middle_name": OTHERS[1], "birth_date": "05.03.2010",
        "sex": "male", "school_class": str(klass.id), "enrolled_on": "01.09.2016"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return secretary


def test_register_exports_keep_formulas_as_text(app, login_as, session):
    secretary = _pupil_through_the_form(app, login_as, session)
    rows = list(csv.reader(io.StringIO(secretary.get("/admin/student/export/csv/").get_data(as_text=True))))
    pupil = next(row for row in rows if "Пётр" in row)
    assert "'" + EVIL in pupil and "'-2+3" in pupil and EVIL not in pupil
    response = secretary.get("/admin/student/export/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value in (EVIL, "-2+3")]
    assert len(cells) == 2
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in cells)  # text as typed, not a formula
    assert [c.value for c in sheet[1]][:2] == ["Фамилия", "Имя"]


def test_frdo_file_keeps_formulas_as_text(app, login_as, session):
    _pupil_through_the_form(app, login_as, session)
    factories.seed_everything()
    pupil = session.scalar(select(Student).where(Student.last_name == EVIL))
    entry = session.scalar(select(CertificateBookEntry))
    entry.student_id, entry.last_name, entry.first_name = pupil.id, pupil.last_name, OTHERS[2]
    session.commit()
    response = login_as("officer").get("/admin/issuance/frdo.xlsx?year_id=")
    assert response.status_code == 200
    cells = [cell for row in load_workbook(io.BytesIO(response.data)).active.iter_rows() for cell in row
             if cell.value in (EVIL, OTHERS[2])]
    assert len(cells) == 2 and all(cell.data_type == "s" and cell.quotePrefix for cell in cells)


def test_analysis_file_keeps_formulas_as_text(app, login_as):
    from test_analysis import seed_marks

    panel = login_as("deputy")
    with app.app_context():
        ids = seed_marks()
        db.session.get(Student, ids["orlov"]).last_name = "=1+2"
        db.session.commit()
    export = panel.get(f"/marks/analysis.xlsx?year={ids['year']}&term={ids['q1']}")
    assert export.status_code == 200
    cells = [cell for row in load_workbook(io.BytesIO(export.data))["Обучающиеся"].iter_rows() for cell in row
             if isinstance(cell.value, str) and cell.value.startswith("=1+2")]
    assert len(cells) == 1 and cells[0].data_type == "s" and cells[0].quotePrefix

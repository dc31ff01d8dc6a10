"""Lists carry no per-row delete button; a record is deleted from its own page by a role allowed to delete."""
import re
from datetime import date

from models import Student, db


def _student(session):
    student = Student(last_name="Удаляемов", first_name="Пётр", birth_date=date(2012, 3, 4), sex="male")
    session.add(student)
    session.commit()
    return student.id


def test_delete_from_record_page_not_from_list(app, session, login_as):
    sid = _student(session)
    secretary = login_as("secretary")  # students: vcedx
    listing = secretary.get("/admin/student/").get_data(as_text=True)
    assert "Удаляемов" in listing and "/admin/student/delete/" not in listing.split("</thead>", 1)[1].split(
        "</table>", 1)[0]
    for page in (f"/admin/student/details/?id={sid}", f"/admin/student/edit/?id={sid}"):
        html = secretary.get(page).get_data(as_text=True)
        form = re.search(r'<form[^>]*action="(/admin/student/delete/)"[^>]*>(.*?)</form>', html, re.S)
        assert form and "Удалить запись" in form.group(2) and f'value="{sid}"' in form.group(2)
    response = secretary.post("/admin/student/delete/", {"id": str(sid), "url": "/admin/student/"})
    assert response.status_code == 302
    assert db.session.get(Student, sid) is None


def test_no_delete_button_for_a_role_without_the_right(app, session, login_as):
    sid = _student(session)
    deputy = login_as("deputy")  # students: vx
    html = deputy.get(f"/admin/student/details/?id={sid}").get_data(as_text=True)
    assert "Удаляемов" in html and "Удалить запись" not in html
    assert deputy.post("/admin/student/delete/", {"id": str(sid)}).status_code == 403
    assert db.session.get(Student, sid) is not None

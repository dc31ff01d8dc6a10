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


def test_a_class_with_students_is_not_deleted_and_keeps_them(app, session, login_as):
    import factories
    from models import PersonalFile, SchoolClass

    klass = factories.school_class(grade=7, letter="В")
    pupil = factories.student("Классов", "Иван", klass=klass)
    empty = factories.school_class(grade=8, letter="Г")
    session.commit()
    klass_id, pupil_id, empty_id = klass.id, pupil.id, empty.id
    secretary = login_as("secretary")

    page = secretary.post("/admin/school_class/delete/", {"id": str(klass_id), "url": "/admin/school_class/"},
                          follow_redirects=True).get_data(as_text=True)
    assert "не удалена: на неё ссылаются обучающиеся — 1" in page and "Failed" not in page
    session.expire_all()
    assert session.get(SchoolClass, klass_id) is not None
    assert session.get(Student, pupil_id).school_class_id == klass_id  # not quietly cleared

    # A student with a personal file: refused in Russian, not with the database's constraint error.
    from sqlalchemy import select

    from models import CarrierKind
    personal_file = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    session.add(PersonalFile(kind=personal_file, number="К-1", student_id=pupil_id,
                             created_on=date(2020, 9, 1)))
    session.commit()
    page = secretary.post("/admin/student/delete/", {"id": str(pupil_id), "url": "/admin/student/"},
                          follow_redirects=True).get_data(as_text=True)
    assert "носители (записи реестров) — 1" in page and "IntegrityError" not in page
    assert session.get(Student, pupil_id) is not None

    # Nothing points at an empty class: it goes.
    assert secretary.post("/admin/school_class/delete/", {"id": str(empty_id)}).status_code == 302
    session.expire_all()
    assert session.get(SchoolClass, empty_id) is None


def test_a_carrier_entered_by_mistake_is_deleted_with_its_custody_log_and_audited(app, session, login_as):
    from sqlalchemy import func, select

    from models import AuditLog, CarrierKind, CustodyMovement, PersonalFile

    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    record = PersonalFile(kind=kind, number="У-1", created_on=date(2020, 9, 1), location="Приёмная, шкаф 1")
    session.add(record)
    session.commit()
    rid = record.id
    assert session.scalar(select(func.count()).select_from(CustodyMovement)
                          .where(CustodyMovement.carrier_id == rid)) == 1
    page = login_as("secretary").post("/admin/personal_file/delete/", {"id": str(rid), "url": "/admin/personal_file/"},
                                      follow_redirects=True).get_data(as_text=True)
    assert "IntegrityError" not in page and "Ошибка" not in page
    session.expire_all()
    assert session.get(PersonalFile, rid) is None
    assert session.scalar(select(func.count()).select_from(CustodyMovement)
                          .where(CustodyMovement.carrier_id == rid)) == 0
    deleted = set(session.scalars(select(AuditLog.table_name).where(AuditLog.action == "delete")))
    assert {"carrier", "custody_movement"} <= deleted or {"personal_file", "custody_movement"} <= deleted

"""A record number typed or altered in a URL or a form: the panel's «no such record», never a server error."""
from sqlalchemy import func, select

from models import CarrierKind, PersonalFile

BAD_IDS = ("abc", "", "1.5", "99999999999999999999", "-99999999999", "1;DROP TABLE student")


def test_bad_record_number_in_a_url_is_no_such_record(app, login_as):
    panel = login_as("secretary")
    for bad in BAD_IDS:
        for url in (f"/admin/student/edit/?id={bad}", f"/admin/student/details/?id={bad}",
                    f"/admin/personal_file/edit/?id={bad}"):
            response = panel.get(url)
            assert response.status_code == 302, (url, response.status_code)
            page = panel.get(response.headers["Location"]).get_data(as_text=True)
            assert bad == "" or "Запись не существует" in page, url  # an empty number just leads to the list
        assert panel.get(f"/admin/portfolio_item/file/?id={bad}").status_code == 404
    assert panel.get("/admin/portfolio_item/file/").status_code == 404


def test_bad_record_number_sent_by_a_look_up_field_saves_nothing(app, login_as, session):
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    session.commit()
    panel = login_as("secretary")
    for bad in ("abc", "99999999999999999999"):
        response = panel.post("/admin/personal_file/new/", {
            "kind": str(kind.id), "status": "kept", "number": "А-1", "student": bad, "school_class": bad,
            "created_on": "01.09.2025"})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "Запись не создана" in page and "Укажите обучающегося." in page
    session.expire_all()
    assert session.scalar(select(func.count(PersonalFile.id)).where(PersonalFile.student_id.is_not(None))) == 0

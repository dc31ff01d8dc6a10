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
        # The posted number names no pupil: the field says so (it said «Укажите обучающегося.» before).
        assert response.status_code == 200 and "Запись не создана" in page and "Выбранная запись не найдена" in page
    session.expire_all()
    assert session.scalar(select(func.count(PersonalFile.id)).where(PersonalFile.student_id.is_not(None))) == 0


HUGE = "99999999999999999999"


def test_numbers_out_of_range_in_page_filter_and_page_arguments_are_ignored(app, login_as):
    import factories

    panel = login_as(["secretary", "deputy", "officer"], login="everyone")
    grade = factories.filter_arg(app, "school_class", "Параллель", "равно")
    urls = [f"/admin/student/?page={HUGE}", "/admin/student/?page=-1", f"/admin/personal_file/?page={HUGE}",
            f"/admin/school_class/?{grade}={HUGE}", f"/admin/school_class/?{grade}=-{HUGE}",
            f"/marks/analysis?year={HUGE}&class_id={HUGE}", f"/admin/issuance/?book_id={HUGE}&class_id={HUGE}",
            f"/admin/leaving/?class_id={HUGE}", f"/admin/year_end_marks/?year={HUGE}&class_id={HUGE}"]
    for url in urls:
        assert panel.get(url).status_code == 200, url
    for url in (f"/admin/issuance/book.pdf?book_id={HUGE}", f"/admin/issuance/study.pdf?entry_id={HUGE}"):
        assert panel.get(url).status_code in (302, 404), url


def test_number_too_large_for_the_database_is_refused_at_the_field(app, login_as, session):
    import factories
    from models import AnnualMark, Subject
    from models.people import current_year

    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    pupil = factories.student()
    subject = Subject(name="Математика", position=1)
    session.add(subject)
    session.commit()
    panel = login_as("secretary")
    response = panel.post("/admin/personal_file/new/", {
        "kind": str(kind.id), "status": "kept", "number": "А-1", "student": str(pupil.id),
        "created_on": "01.09.2025", "annual_marks-0-academic_year": str(current_year(session).id),
        "annual_marks-0-subject": str(subject.id), "annual_marks-0-value": "5", "annual_marks-0-grade": HUGE})
    assert response.status_code == 200 and "Слишком большое число." in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(PersonalFile.id))) == 0
    assert session.scalar(select(func.count(AnnualMark.id))) == 0

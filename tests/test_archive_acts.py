"""Nothing leaves the archive except by an act (001 §3.1.9; 002 §4.9), certified marks stay certified (000 §2.2.3),
and scans leave no file behind: at the generated forms, at the ORM (imports, commands) and in the workflows."""
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

import factories
from conftest import make_user
from models import (AnnualCertification, AnnualMark, AnnualMarkCorrection, Carrier, CarrierKind, ExamProtocol, Mark,
                    PersonalFile, Portfolio, PortfolioItem, SchoolClass, StoredCertificate, Student, Subject, db)
from models.carriers import ArchiveRuleError
from models.people import current_year
from models.users import utcnow
from models.year_end import YearEndError, apply_year_marks, certify_year, correct_annual_mark


def kind(code):
    return db.session.scalar(select(CarrierKind).where(CarrierKind.code == code))


def _file(session, last_name="Студентов", number="С-1", **extra):
    pupil = factories.student(last_name=last_name)
    session.flush()
    record = PersonalFile(kind=kind("personal_file"), number=number, student_id=pupil.id, created_on=date(2020, 9, 1),
                          location="Приёмная, шкаф 1", **extra)
    session.add(record)
    session.commit()
    return record


def _edit(record, **fields):
    data = {"kind": str(record.kind_id), "number": record.number or "", "student": str(record.student_id or ""),
            "status": record.status, "location": record.location or "", "loaded_version": str(record.version)}
    data.update(fields)
    return data


# --- 1. statuses that mean the carrier left the school -----------------------------------------------

@pytest.mark.parametrize("status", ["destroyed", "handed_over"])
def test_act_statuses_not_offered_nor_accepted_by_the_personal_file_form_001_p3_1_9(app, login_as, session, status):
    record = _file(session)
    panel = login_as("secretary")
    page = panel.get(f"/admin/personal_file/edit/?id={record.id}").get_data(as_text=True)
    options = re.search(r'<select[^>]*name="status"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert "хранится" in options and "в архиве" in options
    assert "уничтожен" not in options and "передан" not in options
    response = panel.post(f"/admin/personal_file/edit/?id={record.id}", _edit(record, status=status))
    assert response.status_code == 200  # the form comes back with the error, nothing saved
    session.expire_all()
    assert session.get(PersonalFile, record.id).status == "kept"
    assert session.get(PersonalFile, record.id).destroyed_on is None


@pytest.mark.parametrize("endpoint,code,extra", [
    ("gia_protocol", "gia_protocol", {"event_on": "20.05.2025", "exam": "oge"}),
    ("paper_journal", "paper_journal", {"journal_kind": "club"}),
    ("portfolio", "portfolio", {}),
])
def test_no_register_form_marks_a_carrier_destroyed(app, login_as, session, endpoint, code, extra):
    year = current_year(session)
    pupil = factories.student()
    session.commit()
    panel = login_as(["secretary", "deputy"])
    data = {"kind": str(kind(code).id), "status": "destroyed", "academic_year": str(year.id),
            "student": str(pupil.id), "title": "Кружок «Юный физик»", "created_on": "01.09.2025", **extra}
    response = panel.post(f"/admin/{endpoint}/new/", data)
    assert response.status_code == 200
    session.expire_all()
    assert session.scalar(select(func.count(Carrier.id)).where(Carrier.status == "destroyed")) == 0


def test_the_orm_refuses_act_statuses_outside_the_workflows_so_imports_and_commands_cannot(session):
    record = _file(session)
    record.status = "destroyed"
    with pytest.raises(ArchiveRuleError, match="только утверждённым актом о выделении к уничтожению"):
        session.flush()
    session.rollback()
    record = session.get(PersonalFile, record.id)
    record.destroyed_on = date(2026, 1, 1)
    with pytest.raises(ArchiveRuleError, match="Дата и акт уничтожения"):
        session.flush()
    session.rollback()
    session.add(PersonalFile(kind=kind("personal_file"), number="С-2", status="handed_over",
                             created_on=date(2020, 9, 1)))
    with pytest.raises(ArchiveRuleError, match="поступает на хранение"):
        session.flush()
    session.rollback()
    assert session.get(PersonalFile, record.id).status == "kept"


def test_stored_certificate_return_is_not_a_form_field_and_not_writable_001_p3_4_4(app, login_as, session):
    pupil = factories.student()
    session.flush()
    cert = StoredCertificate(kind=kind("stored_certificate"), series_number="03224000012345", student_id=pupil.id,
                             created_on=date(2024, 9, 1), location="сейф")
    session.add(cert)
    session.commit()
    panel = login_as("officer")
    page = panel.get(f"/admin/stored_certificate/edit/?id={cert.id}").get_data(as_text=True)
    assert 'name="returned_on"' not in page and 'name="returned_to"' not in page
    response = panel.post(f"/admin/stored_certificate/edit/?id={cert.id}", {
        "kind": str(cert.kind_id), "series_number": "03224000012345", "student": str(pupil.id),
        "created_on": "01.09.2024", "status": "kept", "location": "сейф", "returned_on": "01.06.2026",
        "returned_to": "Соседка", "loaded_version": str(cert.version)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(StoredCertificate, cert.id).returned_on is None
    cert = session.get(StoredCertificate, cert.id)
    cert.returned_on, cert.returned_to = date(2026, 6, 1), "Соседка"
    with pytest.raises(ArchiveRuleError, match="актом приёма-передачи"):
        session.flush()


def test_a_destroyed_carrier_form_has_no_status_to_choose(app, login_as, session):
    from models.carriers import act_workflow

    record = _file(session)
    with act_workflow(session):  # stands in for the approved act (test_retention approves real ones)
        record.status, record.destroyed_on = "destroyed", date(2026, 1, 10)
        session.commit()
    panel = login_as("secretary")
    page = panel.get(f"/admin/personal_file/edit/?id={record.id}").get_data(as_text=True)
    assert 'name="status"' not in page
    data = _edit(record, note="передано в муниципальный архив — нет")
    data.pop("status")
    assert panel.post(f"/admin/personal_file/edit/?id={record.id}", data).status_code == 302
    session.expire_all()
    assert session.get(PersonalFile, record.id).status == "destroyed"


# --- 2. deleting is for an entry made by mistake only ---------------------------------------------------

def test_a_fresh_mistaken_entry_is_deleted_but_an_old_one_is_refused_naming_the_review(app, login_as, session):
    fresh = _file(session, number="С-1")
    old = _file(session, last_name="Старов", number="С-2")
    old.entered_at = utcnow() - timedelta(days=31)
    session.commit()
    fresh_id = fresh.id
    panel = login_as("secretary")
    page = panel.post("/admin/personal_file/delete/", {"id": str(old.id), "url": "/admin/personal_file/"},
                      follow_redirects=True).get_data(as_text=True)
    assert "не более 30 дн. назад" in page and "Экспертизу сроков хранения" in page
    assert panel.post("/admin/personal_file/delete/", {"id": str(fresh.id)}).status_code == 302
    session.expire_all()
    assert session.get(PersonalFile, old.id) is not None and session.get(PersonalFile, fresh_id) is None


def test_the_mistake_window_is_a_setting(app, login_as, session):
    record = _file(session)
    record.entered_at = utcnow() - timedelta(days=5)
    session.commit()
    app.config["CARRIER_MISTAKE_DAYS"] = 3
    page = login_as("secretary").post("/admin/personal_file/delete/", {"id": str(record.id)},
                                      follow_redirects=True).get_data(as_text=True)
    assert "не более 3 дн. назад" in page
    session.expire_all()
    assert session.get(PersonalFile, record.id) is not None


def test_a_moved_carrier_is_not_a_mistake(app, login_as, session):
    record = _file(session)
    record.location, record.movement_reason = "Архив, стеллаж 4", "передано в архив"
    session.commit()
    page = login_as("secretary").post("/admin/personal_file/delete/", {"id": str(record.id)},
                                      follow_redirects=True).get_data(as_text=True)
    assert "уже перемещался" in page
    session.expire_all()
    assert session.get(PersonalFile, record.id) is not None


def test_deputy_cannot_delete_a_gia_protocol_once_signed_or_old_000_p2_2_4(app, login_as, session):
    pupil = factories.student()
    session.flush()
    signed = ExamProtocol(kind=kind("gia_protocol"), number="ОГЭ-1", exam="oge", event_on=date(2026, 5, 20),
                          created_on=date(2026, 5, 20))
    essay = ExamProtocol(kind=kind("final_essay_protocol"), number="ИС-1", event_on=date(2025, 12, 3),
                         created_on=date(2025, 12, 3), entered_at=utcnow() - timedelta(days=90))
    mistake = ExamProtocol(kind=kind("oral_interview_protocol"), number="ИУС-1", event_on=date(2026, 2, 11),
                           created_on=date(2026, 2, 11))
    session.add_all([signed, essay, mistake])
    session.flush()
    from models import ExamResult

    session.add(ExamResult(protocol_id=signed.id, student_id=pupil.id, mark="4", seen_on=date(2026, 6, 1)))
    session.commit()
    mistake_id = mistake.id
    deputy = login_as("deputy")
    page = deputy.post("/admin/gia_protocol/delete/", {"id": str(signed.id)}, follow_redirects=True)
    assert "расписались в протоколе" in page.get_data(as_text=True)
    page = deputy.post("/admin/essay_protocol/delete/", {"id": str(essay.id)}, follow_redirects=True)
    assert "эта запись старше" in page.get_data(as_text=True)
    assert deputy.post("/admin/essay_protocol/delete/", {"id": str(mistake.id)}).status_code == 302
    session.expire_all()
    assert session.get(ExamProtocol, signed.id) is not None and session.get(ExamProtocol, essay.id) is not None
    assert session.get(ExamProtocol, mistake_id) is None


# --- 3. certified annual marks ------------------------------------------------------------------------------

def _certified(session):
    """9А: Иванов with a personal file; his year marks imported, written into the file and certified."""
    teacher = make_user("klass", "class_teacher", "Учителева Ольга Ивановна")
    other_teacher = make_user("klass2", "class_teacher", "Другова Нина Петровна")
    year = current_year(session)
    klass = SchoolClass(academic_year=year, grade=9, letter="А", class_teacher_id=teacher.id)
    algebra = Subject(name="Алгебра", position=1)
    pupil = Student(last_name="Иванов", first_name="Иван", birth_date=date(2010, 1, 1), sex="male", school_class=klass)
    session.add_all([klass, algebra, pupil])
    session.flush()
    record = PersonalFile(kind=kind("personal_file"), number="И-1", student=pupil, school_class=klass,
                          created_on=year.starts_on)
    session.add(record)
    session.add(Mark(student_id=pupil.id, subject_id=algebra.id, school_class_id=klass.id, kind="year",
                     marked_on=year.ends_on, value=4))
    session.commit()
    apply_year_marks(session, klass.id, year.id, teacher)
    certify_year(session, klass.id, year.id, teacher, date.today())
    session.commit()
    mark = session.scalar(select(AnnualMark).where(AnnualMark.personal_file_id == record.id))
    return {"file": record.id, "mark": mark.id, "year": year.id, "subject": algebra.id, "klass": klass.id,
            "teacher": teacher.id, "other": other_teacher.id}


def _inline(ids, record, value, **extra):
    data = _edit(record, **{"annual_marks-0-id": str(ids["mark"]), "annual_marks-0-academic_year": str(ids["year"]),
                            "annual_marks-0-subject": str(ids["subject"]), "annual_marks-0-grade": "9",
                            "annual_marks-0-value": value,
                            "certifications-0-id": str(session_cert(ids)), "certifications-0-academic_year":
                            str(ids["year"]), "certifications-0-certified_by": str(ids["teacher"]),
                            "certifications-0-certified_on": date.today().strftime("%d.%m.%Y")})
    data.update(extra)
    return data


def session_cert(ids):
    return db.session.scalar(select(AnnualCertification.id).where(AnnualCertification.personal_file_id == ids["file"]))


@pytest.mark.parametrize("role", ["secretary", "class_teacher"])
def test_certified_mark_not_changed_through_the_generated_form_000_p2_2_3(app, login_as, session, role):
    ids = _certified(session)
    record = session.get(PersonalFile, ids["file"])
    panel = login_as("secretary") if role == "secretary" else _teacher_panel(app, "klass")
    response = panel.post(f"/admin/personal_file/edit/?id={record.id}", _inline(ids, record, "2"))
    assert response.status_code == 200
    assert "заверенная отметка в форме не меняется" in response.get_data(as_text=True)
    # deleting the row from the form is refused as well
    response = panel.post(f"/admin/personal_file/edit/?id={record.id}",
                          _inline(ids, record, "4", **{"del-annual_marks-0": "y"}), follow_redirects=True)
    session.expire_all()
    assert session.get(AnnualMark, ids["mark"]).value == "4"
    assert session.get(AnnualCertification, session_cert(ids)) is not None


def _teacher_panel(app, login):
    from conftest import PanelClient

    panel = PanelClient(app)
    assert panel.login(login).status_code == 302
    return panel


def test_certified_mark_refused_below_the_forms(session):
    ids = _certified(session)
    session.get(AnnualMark, ids["mark"]).value = "2"
    with pytest.raises(ArchiveRuleError, match="заверены классным руководителем"):
        session.flush()
    session.rollback()
    session.delete(session.get(AnnualMark, ids["mark"]))
    with pytest.raises(ArchiveRuleError):
        session.flush()
    session.rollback()
    physics = Subject(name="Физика", position=2)
    session.add(physics)
    session.flush()
    session.add(AnnualMark(personal_file_id=ids["file"], academic_year_id=ids["year"], subject_id=physics.id, grade=9,
                           value="5"))
    with pytest.raises(ArchiveRuleError, match="заверены классным руководителем"):
        session.flush()
    session.rollback()
    session.delete(session.get(AnnualCertification, session_cert(ids)))
    with pytest.raises(ArchiveRuleError, match="не удаляется"):
        session.flush()
    session.rollback()
    page_file = session.get(PersonalFile, ids["file"])
    session.delete(page_file)
    with pytest.raises(ArchiveRuleError):
        session.flush()
    session.rollback()
    assert session.get(AnnualMark, ids["mark"]).value == "4"


def test_a_personal_file_with_certified_marks_is_not_deleted(app, login_as, session):
    ids = _certified(session)
    page = login_as("secretary").post("/admin/personal_file/delete/", {"id": str(ids["file"])},
                                      follow_redirects=True).get_data(as_text=True)
    assert "заверенные классным руководителем" in page
    session.expire_all()
    assert session.get(PersonalFile, ids["file"]) is not None
    assert session.get(AnnualMark, ids["mark"]).value == "4"


def test_correction_form_keeps_the_old_value_crossed_out_and_the_class_teacher_certifies_it(app, login_as, session):
    ids = _certified(session)
    secretary = login_as("secretary")
    plan = secretary.get(f"/admin/year_end_marks/?year={ids['year']}&class_id={ids['klass']}").get_data(as_text=True)
    assert f"/admin/year_end_marks/correct?mark_id={ids['mark']}" in plan
    form = secretary.get(f"/admin/year_end_marks/correct?mark_id={ids['mark']}").get_data(as_text=True)
    assert "Записано" in form and 'name="reason"' in form
    refused = secretary.post("/admin/year_end_marks/correct", {"mark_id": ids["mark"], "new_value": "5", "reason": " "})
    assert refused.status_code == 400 and "Укажите причину исправления" in refused.get_data(as_text=True)
    refused = secretary.post("/admin/year_end_marks/correct", {"mark_id": ids["mark"], "new_value": "7",
                                                               "reason": "ошибка"})
    assert refused.status_code == 400 and "вне шкалы" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(AnnualMark, ids["mark"]).value == "4"

    done = secretary.post("/admin/year_end_marks/correct", {"mark_id": ids["mark"], "new_value": "5",
                                                            "reason": "ошибка переноса из журнала"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(AnnualMark, ids["mark"]).value == "5"
    correction = session.scalar(select(AnnualMarkCorrection))
    assert (correction.old_value, correction.new_value, correction.certified_on) == ("4", "5", None)
    details = secretary.get(f"/admin/personal_file/details/?id={ids['file']}").get_data(as_text=True)
    assert "<s>4</s> 5 (исправленному верить" in details and "ошибка переноса из журнала" in details
    assert "не заверено" in details

    # Certified by the class teacher of the class only.
    cert_url = "/admin/year_end_marks/correct/certify"
    page = secretary.post(cert_url, {"correction_id": correction.id}, follow_redirects=True).get_data(as_text=True)
    assert "заверяет классный руководитель" in page
    assert _teacher_panel(app, "klass2").post(cert_url, {"correction_id": correction.id}).status_code == 403
    assert _teacher_panel(app, "klass").post(cert_url, {"correction_id": correction.id}).status_code == 302
    session.expire_all()
    correction = session.get(AnnualMarkCorrection, correction.id)
    assert correction.certified_on == date.today() and correction.certified_by_id == ids["teacher"]
    details = secretary.get(f"/admin/personal_file/details/?id={ids['file']}").get_data(as_text=True)
    assert "заверил(а) Учителева Ольга Ивановна" in details
    # The correction itself is never deleted nor rewritten.
    session.delete(correction)
    with pytest.raises(ArchiveRuleError):
        session.flush()
    session.rollback()


def test_correction_of_a_year_not_yet_certified_is_refused(session):
    ids = _certified(session)
    other = AnnualMark(personal_file_id=ids["file"], academic_year_id=factories.other_year().id,
                       subject_id=ids["subject"], grade=8, value="3")
    session.add(other)
    session.commit()
    with pytest.raises(YearEndError, match="ещё не заверены"):
        correct_annual_mark(session, other.id, new_value="4", reason="ошибка", user=None)


# --- 7. scans leave no file on disk -----------------------------------------------------------------------

def test_replaced_and_deleted_scans_leave_no_file(app, login_as, session, tmp_path):
    pupil = factories.student()
    session.flush()
    portfolio = Portfolio(kind=kind("portfolio"), student_id=pupil.id, created_on=date(2025, 9, 1))
    session.add(portfolio)
    session.commit()
    panel = login_as("secretary")
    folder = tmp_path / "instance" / "uploads" / "portfolio"
    base = {"portfolio": str(portfolio.id), "item_kind": "olympiad", "title": "Олимпиада по физике",
            "level": "regional", "result": "winner", "achieved_on": "12.02.2026"}
    assert panel.post("/admin/portfolio_item/new/", {**base, "upload": (io.BytesIO(b"%PDF-1.4 one"), "Первая.pdf")},
                      content_type="multipart/form-data").status_code == 302
    item = session.scalar(select(PortfolioItem))
    first = item.file_name
    assert (folder / first).exists()
    response = panel.post(f"/admin/portfolio_item/edit/?id={item.id}",
                          {**base, "loaded_version": str(item.version),
                           "upload": (io.BytesIO(b"%PDF-1.4 two"), "Вторая.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()
    item = session.get(PortfolioItem, item.id)
    assert item.file_name != first and not (folder / first).exists()
    assert (folder / item.file_name).read_bytes() == b"%PDF-1.4 two"
    assert sorted(p.name for p in folder.iterdir()) == [item.file_name]
    assert panel.post("/admin/portfolio_item/delete/", {"id": str(item.id)}).status_code == 302
    assert list(folder.iterdir()) == []


def test_a_scan_saved_for_a_change_that_rolls_back_is_removed(app, session, tmp_path):
    from models.registers import portfolio_upload_dir

    pupil = factories.student()
    session.flush()
    portfolio = Portfolio(kind=kind("portfolio"), student_id=pupil.id, created_on=date(2025, 9, 1))
    session.add(portfolio)
    session.commit()
    (portfolio_upload_dir() / "abc.pdf").write_bytes(b"%PDF")
    session.add(PortfolioItem(portfolio_id=portfolio.id, item_kind="gto", title="ГТО", file_name="abc.pdf"))
    session.flush()
    session.rollback()
    assert not (portfolio_upload_dir() / "abc.pdf").exists()


# --- 4. «н/а» and academic debt (273-ФЗ ст. 58 ч. 2, 5, 8) -------------------------------------------------

def _class_with_na(session):
    teacher = make_user("klass", "class_teacher", "Учителева Ольга Ивановна")
    year = current_year(session)
    klass = SchoolClass(academic_year=year, grade=7, letter="Б", class_teacher_id=teacher.id)
    algebra = Subject(name="Алгебра", position=1)
    pupils = [Student(last_name=name, first_name="Иван", birth_date=date(2012, 1, 1), sex="male", school_class=klass)
              for name in ("Аттестованов", "Неаттестованов")]
    session.add_all([klass, algebra, *pupils])
    session.flush()
    for n, (pupil, value, code) in enumerate(zip(pupils, (5, None), (None, "н/а")), start=1):
        session.add(PersonalFile(kind=kind("personal_file"), number=f"А-{n}", student=pupil, school_class=klass,
                                 created_on=year.starts_on))
        session.add(Mark(student_id=pupil.id, subject_id=algebra.id, school_class_id=klass.id, kind="year",
                         marked_on=year.ends_on, value=value, code=code))
    session.commit()
    return teacher, year, klass, pupils, algebra


def test_not_attested_is_recorded_and_the_class_is_certified_for_everyone_58_ch2(session):
    teacher, year, klass, pupils, algebra = _class_with_na(session)
    apply_year_marks(session, klass.id, year.id, teacher)
    assert certify_year(session, klass.id, year.id, teacher, date.today()) == 2
    session.commit()
    values = dict(session.execute(select(Student.last_name, AnnualMark.value).join(
        PersonalFile, PersonalFile.id == AnnualMark.personal_file_id).join(Student, Student.id == PersonalFile.student_id)
    ).all())
    assert values == {"Аттестованов": "5", "Неаттестованов": "н/а"}
    from models.year_end import AcademicDebt

    debt = session.scalar(select(AcademicDebt))
    assert (debt.student_id, debt.origin, debt.status) == (pupils[1].id, "not_attested", "open")


def test_retakes_two_at_most_within_a_year_and_the_outcome_follows_58_ch5(app, login_as, session):
    teacher, year, klass, pupils, algebra = _class_with_na(session)
    apply_year_marks(session, klass.id, year.id, teacher)
    certify_year(session, klass.id, year.id, teacher, date.today())
    session.commit()
    from models.year_end import AcademicDebt

    debt = session.scalar(select(AcademicDebt))
    deputy = login_as("deputy")
    base = {"student": str(debt.student_id), "academic_year": str(year.id), "subject": str(algebra.id),
            "origin": "not_attested", "arisen_on": debt.arisen_on.strftime("%d.%m.%Y"),
            "loaded_version": str(debt.version)}
    late = (debt.arisen_on + timedelta(days=400)).strftime("%d.%m.%Y")
    page = deputy.post(f"/admin/academic_debt/edit/?id={debt.id}", {**base, "retake1_on": late,
                                                                     "retake1_result": "2"}).get_data(as_text=True)
    assert "в пределах одного года" in page
    first = (debt.arisen_on + timedelta(days=20)).strftime("%d.%m.%Y")
    second = (debt.arisen_on + timedelta(days=40)).strftime("%d.%m.%Y")
    page = deputy.post(f"/admin/academic_debt/edit/?id={debt.id}", {
        **base, "retake2_on": second, "retake2_result": "4"}).get_data(as_text=True)
    assert "только после первой" in page
    session.expire_all()
    assert session.get(AcademicDebt, debt.id).retake1_on is None
    assert deputy.post(f"/admin/academic_debt/edit/?id={debt.id}", {
        **base, "retake1_on": first, "retake1_result": "absent", "retake2_on": second,
        "retake2_result": "4"}).status_code == 302
    session.expire_all()
    debt = session.get(AcademicDebt, debt.id)
    assert (debt.status, debt.cleared_on) == ("cleared", debt.arisen_on + timedelta(days=40))
    # The same rule below the form.
    debt.retake2_on = debt.arisen_on + timedelta(days=500)
    with pytest.raises(ArchiveRuleError, match="ст. 58 ч. 5"):
        session.flush()
    session.rollback()


def test_promotion_offers_conditional_with_its_order_58_ch8(app, login_as, session):
    from models import AcademicYear, Order
    from models.year_end import AcademicDebt

    teacher, year, klass, pupils, algebra = _class_with_na(session)
    apply_year_marks(session, klass.id, year.id, teacher)
    certify_year(session, klass.id, year.id, teacher, date.today())
    nxt = AcademicYear(name=f"{year.ends_on.year}/{year.ends_on.year + 1}", starts_on=date(year.ends_on.year, 9, 1),
                       ends_on=date(year.ends_on.year + 1, 8, 31), is_current=False)
    session.add(nxt)
    session.commit()
    nxt_id = nxt.id
    director = login_as("secretary")  # the secretary moves the classes (leaving + classes rights)
    page = director.get("/admin/leaving/promote").get_data(as_text=True)
    assert "переведён условно" in page and "Приказ об условном переводе" in page
    refused = director.post("/admin/leaving/promote", {"to_year": str(nxt_id)})
    assert refused.status_code == 400 and "ст. 58 ч. 8" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Student, pupils[1].id).school_class_id == klass.id  # nothing moved
    done = director.post("/admin/leaving/promote", {"to_year": str(nxt_id), "conditional_order_number": "45-у",
                                                    "conditional_order_date": date.today().isoformat()})
    assert done.status_code == 302, done.get_data(as_text=True)
    session.expire_all()
    debt = session.scalar(select(AcademicDebt))
    order = session.get(Order, debt.conditional_order_id)
    # One kind for the conditional promotion: the debt's order is the orders register's «условный перевод»,
    # and it lists the pupil who moved up with the debt.
    assert (order.number, order.kind) == ("45-у", "conditional_promotion")
    assert [s.id for s in order.students] == [pupils[1].id]
    assert session.get(Student, pupils[1].id).school_class.grade == 8


# --- 6. the register of releases (003 §7.5.4; 152-ФЗ ст. 6, ст. 9) ----------------------------------------

def test_audit_export_and_backup_download_are_recorded_as_releases(app, login_as, session):
    from models.disclosure import PdDisclosure

    director = login_as("director")
    assert director.get("/admin/audit_log/export/csv/").status_code == 200
    admin = login_as("admin")
    assert admin.post("/backups/").status_code == 302
    page = admin.get("/backups/").get_data(as_text=True)
    name = re.search(r'href="/backups/([^"]+)"', page).group(1)
    assert admin.get(f"/backups/{name}").status_code == 200
    session.expire_all()
    kinds = [e.document_kind for e in session.scalars(select(PdDisclosure).order_by(PdDisclosure.id))]
    assert kinds == ["audit_export", "backup"]


def test_a_release_outside_the_panel_is_entered_by_hand_with_basis_and_channel(app, login_as, session):
    from models.disclosure import PdDisclosure

    pupil = factories.student(last_name="Запросов")
    session.commit()
    deputy = login_as("deputy")
    data = {"document_kind": "request_answer", "description": "Сведения об успеваемости и посещаемости",
            "student": str(pupil.id), "recipient": "ОМВД России по району, инспектор ПДН",
            "channel": "post", "purpose": "ответ на запрос", "legal_basis": " "}
    refused = deputy.post("/admin/pd_disclosure/new/", data)
    assert refused.status_code == 200 and "Укажите правовое основание" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count(PdDisclosure.id))) == 0
    ok = deputy.post("/admin/pd_disclosure/new/", {**data, "legal_basis": "запрос № 12/345 от 01.12.2026"})
    assert ok.status_code == 302
    entry = session.scalar(select(PdDisclosure))
    assert (entry.channel, entry.legal_basis, entry.student_id) == ("post", "запрос № 12/345 от 01.12.2026", pupil.id)
    # Shown in the school's time zone (Europe/Moscow, UTC+3), not in UTC.
    listing = deputy.get("/admin/pd_disclosure/").get_data(as_text=True)
    from datetime import timezone
    from zoneinfo import ZoneInfo

    local = entry.at.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Moscow"))
    assert local.strftime("%d.%m.%Y %H:%M") in listing and "Когда (UTC)" not in listing
    # Never deleted, whoever asks.
    session.delete(entry)
    with pytest.raises(Exception, match="не удаляется"):
        session.flush()
    session.rollback()


# --- 5. personal data after the file's destruction (152-ФЗ ст. 5 ч. 7, ст. 21 ч. 4) ------------------------

def test_approved_destruction_of_a_personal_file_depersonalises_the_pupil_in_the_same_transaction(
        app, login_as, session):
    from pypdf import PdfReader

    from models import AuditLog, Guardian
    from models.issuance import CertificateBookEntry  # noqa: F401  (its frozen ФИО is what the law keeps)
    from models.retention import DestructionAct, draft_act, send_act, update_act

    deputy_user = make_user("zam", "deputy", "Завучева Ольга Петровна")
    make_user("dir", "director", "Директоров Павел Ильич")
    secretary_user = make_user("sec", "secretary", "Секретарёва Нина Львовна")
    # The pupil left in 2019, entered through the forms as a secretary would: the audit log has the values.
    secretary = login_as("secretary", login="sec2")
    assert secretary.post("/admin/guardian/new/", {"last_name": "Ушедшева", "first_name": "Мария", "kind": "mother",
                                                   "phone": "+7 900 123-45-67",
                                                   "identity_document": "паспорт 4510 123456",
                                                   "address": "г. Energo, ул. Ленина, д. 1"}).status_code == 302
    mother = session.scalar(select(Guardian))
    pupil = Student(last_name="Ушедшев", first_name="Иван", middle_name="Петрович", birth_date=date(2005, 4, 17),
                    sex="male", status="left", left_on=date(2019, 5, 31), guardians=[mother])
    session.add(pupil)
    session.flush()
    record = PersonalFile(kind_id=kind("personal_file").id, number="У-1", student_id=pupil.id,
                          created_on=date(2010, 9, 1))
    portfolio = Portfolio(kind_id=kind("portfolio").id, student_id=pupil.id, created_on=date(2010, 9, 1))
    session.add_all([record, portfolio])
    session.commit()
    from models.registers import portfolio_upload_dir

    (portfolio_upload_dir() / "scan1.pdf").write_bytes(b"%PDF")
    from models.registers import upload_dir

    (upload_dir("consents") / "consent1.pdf").write_bytes(b"%PDF")
    session.get(Student, pupil.id).pd_consent_file = "consent1.pdf"
    session.add(PortfolioItem(portfolio_id=portfolio.id, item_kind="gto", title="ГТО", file_name="scan1.pdf",
                              original_name="Ушедшев ГТО.pdf"))
    # The portfolio was handed over at leaving (the act-only status needs its workflow).
    from models.carriers import act_workflow

    with act_workflow(session):
        portfolio.status = "handed_over"
        session.commit()
    pid, gid, fid = pupil.id, mother.id, record.id
    act = draft_act(session, carrier_ids=[fid], user=deputy_user, act_date=date(2026, 2, 1))
    update_act(session, act, number=act.number, act_date=act.act_date, basis=act.basis, expert_protocol=None,
               chairman_id=deputy_user.id, member_ids=[secretary_user.id])
    send_act(session, act, deputy_user)
    session.commit()
    act_id = act.id

    director = login_as("director", login="dir")
    assert director.post(f"/admin/retention_review/act/{act_id}/approve").status_code == 302
    session.expire_all()
    pupil, mother = session.get(Student, pid), session.get(Guardian, gid)
    assert pupil.full_name == f"Обучающийся № {pid}" and pupil.birth_date == date(2005, 1, 1)
    assert pupil.depersonalised_on is not None
    assert (mother.phone, mother.identity_document, mother.address) == (None, None, None)
    assert mother.full_name == f"Представитель № {gid}"
    assert not (portfolio_upload_dir() / "scan1.pdf").exists()
    assert not (upload_dir("consents") / "consent1.pdf").exists() and pupil.pd_consent_file is None
    log = " ".join(f"{e.record_repr} {e.changes}" for e in session.scalars(select(AuditLog)))
    for secret in ("Ушедшев", "4510 123456", "+7 900 123-45-67", "Ленина", "2005-04-17"):
        assert secret not in log, [(e.table_name, f"{e.record_repr} {e.changes}"[f"{e.record_repr} {e.changes}".find(secret) - 120:][:200]) for e in session.scalars(select(AuditLog)) if secret in f"{e.record_repr} {e.changes}"]
    # The act's PDF says what was depersonalised, without the name.
    pdf = director.get(f"/admin/retention_review/act/{act_id}/pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Обезличены персональные данные" in " ".join(text.split())
    assert f"Обучающийся № {pid}" in text and "Ушедшев" not in text
    assert session.get(DestructionAct, act_id).depersonalised.startswith(f"Обучающийся № {pid}: обезличены")


def test_a_pupil_with_a_kept_carrier_is_not_depersonalised(session):
    from models.pd_lifecycle import depersonalise_after_destruction

    pupil = Student(last_name="Хранимов", first_name="Иван", birth_date=date(2005, 4, 17), sex="male", status="left",
                    left_on=date(2019, 5, 31))
    session.add(pupil)
    session.flush()
    session.add(StoredCertificate(kind_id=kind("stored_certificate").id, series_number="03224000012345",
                                  student_id=pupil.id, created_on=date(2020, 9, 1)))
    session.flush()
    lines = depersonalise_after_destruction(session, {pupil.id}, date(2026, 2, 1))
    assert lines == [f"Обучающийся № {pupil.id}: не обезличен — хранятся носители: Аттестат ООО, принятый на хранение."]
    assert pupil.last_name == "Хранимов" and pupil.birth_date == date(2005, 4, 17)


def _pupil_for_report(session, birth_date):
    from models import Guardian

    klass = factories.school_class(grade=9, letter="В")
    pupil = factories.student(last_name="Справкин", klass=klass, birth_date=birth_date)
    mother = Guardian(last_name="Справкина", first_name="Анна", kind="mother", students=[pupil])
    granny = Guardian(last_name="Бабушкина", first_name="Вера", kind="other", students=[pupil])
    session.add_all([mother, granny])
    session.commit()
    return pupil, mother, granny


def test_results_released_only_to_a_representative_the_pupil_or_a_proxy_002_p5_1(app, login_as, session):
    from models.disclosure import PdDisclosure

    year = current_year(session)
    pupil, mother, granny = _pupil_for_report(session, date.today().replace(year=date.today().year - 15))
    panel = login_as("deputy")
    url = f"/marks/progress/{pupil.id}"
    page = panel.get(url).get_data(as_text=True)
    assert "Справкина Анна (законный представитель)" in page and "Бабушкина" not in page
    base = {"year": str(year.id), "purpose": "по месту требования"}
    for data in ({"recipient": "Соседка Иванова"}, {"recipient": f"guardian:{granny.id}"},
                 {"recipient": "proxy", "proxy_name": "Доверенцев Пётр", "proxy_document": " "}):
        refused = panel.post(url, {**base, **data})
        assert refused.status_code == 400, data
        assert "только законному представителю" in refused.get_data(as_text=True) or \
            "записанной доверенности" in refused.get_data(as_text=True), data
    assert session.scalar(select(func.count(PdDisclosure.id))) == 0
    for data in ({"recipient": f"guardian:{mother.id}"}, {"recipient": "student"},
                 {"recipient": "proxy", "proxy_name": "Доверенцев Пётр",
                  "proxy_document": "доверенность 77 АА 1234567 от 01.09.2026"}):
        assert panel.post(url, {**base, **data}).mimetype == "application/pdf", data
    recipients = list(session.scalars(select(PdDisclosure.recipient).order_by(PdDisclosure.id)))
    assert recipients == ["Справкина Анна (законный представитель)", "Справкин Пётр Сергеевич (обучающийся, лично)",
                          "Доверенцев Пётр (по доверенности: доверенность 77 АА 1234567 от 01.09.2026)"]
    # «Иной представитель» becomes one with the document that makes them one.
    granny = session.get(type(granny), granny.id)
    granny.authority_document = "постановление об опеке № 15 от 10.01.2020"
    session.commit()
    assert panel.post(url, {**base, "recipient": f"guardian:{granny.id}"}).mimetype == "application/pdf"


def test_a_pupil_under_14_does_not_receive_results_personally(app, login_as, session):
    year = current_year(session)
    pupil, mother, granny = _pupil_for_report(session, date.today().replace(year=date.today().year - 12))
    response = login_as("deputy").post(f"/marks/progress/{pupil.id}", {"year": str(year.id), "recipient": "student",
                                                                       "purpose": "по месту требования"})
    assert response.status_code == 400 and "с 14 лет" in response.get_data(as_text=True)


def test_the_basis_of_processing_is_recorded_for_pupil_and_guardian_152_st9(app, login_as, session):
    from models import Guardian

    pupil = factories.student(last_name="Согласов")
    session.commit()
    secretary = login_as("secretary")
    data = {"last_name": "Согласова", "first_name": "Ольга", "kind": "mother", "students": str(pupil.id),
            "pd_basis": "consent"}
    refused = secretary.post("/admin/guardian/new/", data)
    assert "Укажите дату согласия" in refused.get_data(as_text=True)
    assert secretary.post("/admin/guardian/new/", {**data, "pd_consent_on": "01.09.2025"}).status_code == 302
    assert session.scalar(select(Guardian.pd_consent_on)) == date(2025, 9, 1)
    edit = secretary.post(f"/admin/student/edit/?id={pupil.id}", {
        "last_name": "Согласов", "first_name": pupil.first_name, "birth_date": pupil.birth_date.strftime("%d.%m.%Y"),
        "sex": pupil.sex, "pd_basis": "law", "pd_basis_note": " ", "loaded_version": str(pupil.version)})
    assert "Укажите статью закона" in edit.get_data(as_text=True)


def test_a_kind_without_needs_destruction_act_is_never_put_into_an_act(app, session):
    from models.retention import RetentionError, count_expired, draft_act

    deputy = make_user("zam", "deputy")
    pupil = Student(last_name="Давний", first_name="Иван", birth_date=date(2000, 1, 1), sex="male", status="left",
                    left_on=date(2015, 5, 31))
    session.add(pupil)
    session.flush()
    record = PersonalFile(kind_id=kind("personal_file").id, number="Д-1", student_id=pupil.id,
                          created_on=date(2008, 9, 1))
    session.add(record)
    session.commit()
    assert count_expired(session, date(2026, 1, 1)) == 1
    kind("personal_file").needs_destruction_act = False  # the school's own rule in «Виды носителей»
    session.commit()
    assert count_expired(session, date(2026, 1, 1)) == 0
    with pytest.raises(RetentionError, match="не отмечено «Уничтожение по акту»"):
        draft_act(session, carrier_ids=[record.id], user=deputy, act_date=date(2026, 2, 1))


def test_a_consent_scan_is_kept_with_its_date_and_a_replaced_one_leaves_the_disk_152_st9(app, login_as, session,
                                                                                       tmp_path):
    from models import Guardian

    pupil = factories.student(last_name="Согласов")
    session.commit()
    secretary = login_as("secretary")
    folder = tmp_path / "instance" / "uploads" / "consents"
    data = {"last_name": "Согласова", "first_name": "Ольга", "kind": "mother", "students": str(pupil.id),
            "pd_basis": "consent", "pd_consent_on": "01.09.2025"}
    fake = secretary.post("/admin/guardian/new/", {**data, "consent_upload": (io.BytesIO(b"MZ"), "Согласие.pdf")},
                          content_type="multipart/form-data")
    assert "не похоже на PDF" in fake.get_data(as_text=True)
    assert secretary.post("/admin/guardian/new/", {**data, "consent_upload": (io.BytesIO(b"%PDF one"), "Согласие.pdf")},
                          content_type="multipart/form-data").status_code == 302
    guardian = session.scalar(select(Guardian))
    first = guardian.pd_consent_file
    assert (folder / first).read_bytes() == b"%PDF one" and guardian.pd_consent_name == "Согласие.pdf"
    details = secretary.get(f"/admin/guardian/details/?id={guardian.id}").get_data(as_text=True)
    assert f"/admin/guardian/consent/?id={guardian.id}" in details
    assert secretary.get(f"/admin/guardian/consent/?id={guardian.id}").data == b"%PDF one"
    assert secretary.post(f"/admin/guardian/edit/?id={guardian.id}", {
        **data, "loaded_version": str(guardian.version),
        "consent_upload": (io.BytesIO(b"%PDF two"), "Согласие новое.pdf")},
        content_type="multipart/form-data").status_code == 302
    session.expire_all()
    guardian = session.get(Guardian, guardian.id)
    assert sorted(p.name for p in folder.iterdir()) == [guardian.pd_consent_file] != [first]


def test_custody_times_are_shown_in_the_schools_zone(app, login_as, session):
    from datetime import timezone
    from zoneinfo import ZoneInfo

    from models import CustodyMovement

    _file(session)
    moved = session.scalar(select(CustodyMovement.moved_at))
    page = login_as("director").get("/admin/custody/").get_data(as_text=True)
    local = moved.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(app.config["TIMEZONE"]))
    assert local.strftime("%d.%m.%Y %H:%M") in page and "(UTC)" not in page


def test_the_generated_form_shows_certified_marks_read_only_and_a_browser_save_keeps_them(app, login_as, session):
    ids = _certified(session)
    record = session.get(PersonalFile, ids["file"])
    secretary = login_as("secretary")
    page = secretary.get(f"/admin/personal_file/edit/?id={record.id}").get_data(as_text=True)
    value_select = re.search(r'<select[^>]*name="annual_marks-0-value"[^>]*>', page).group(0)
    assert "disabled" in value_select
    # What a browser sends: the disabled row's fields are absent, its id is there; the location changes.
    data = _edit(record, location="Архив, стеллаж 2", movement_reason="передано в архив",
                 **{"annual_marks-0-id": str(ids["mark"])})
    assert secretary.post(f"/admin/personal_file/edit/?id={record.id}", data).status_code == 302
    session.expire_all()
    assert session.get(PersonalFile, ids["file"]).location == "Архив, стеллаж 2"
    assert session.get(AnnualMark, ids["mark"]).value == "4"

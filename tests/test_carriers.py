"""Carrier registers: retention rules as data, custody log, strict accountability, register forms."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

import factories
from models import (AuditLog, Carrier, CarrierKind, CustodyMovement, PersonalFile, RegisterBook, StoredCertificate,
                    Subject, db)
from models.people import current_year
from models.carriers import StrictAccountabilityError, add_years, retention_end
from models.registers import ExamProtocol, suggest_personal_file_number


def kind(code):
    return db.session.scalar(select(CarrierKind).where(CarrierKind.code == code))


def test_default_kinds_seeded_from_domain(session):
    assert kind("personal_file").retention_years == 3
    assert kind("personal_file").clock_start == "student_leaves"
    assert kind("certificate_book").retention_years == 50 and kind("certificate_book").strict_accountability
    assert kind("gia_protocol").retention_years == 1 and kind("gia_protocol").clock_start == "exam_date"
    assert kind("summary_sheet").retention_years == 25
    assert kind("ejournal_copy").retention_years == 5
    assert kind("stored_certificate").retention_kind == "until_handover"
    assert not kind("portfolio").must_store


def test_leap_day_moves_to_first_of_march():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 3, 1)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2023, 6, 30), 25) == date(2048, 6, 30)


@pytest.mark.parametrize("clock, expected", [
    ("created", date(2020, 9, 1) .replace(year=2025)),
    ("closed", date(2026, 5, 31)),
    ("exam_date", date(2024, 6, 3)),
    ("year_end", date(2027, 8, 31)),
    ("student_leaves", date(2030, 1, 15)),
])
def test_retention_end_for_every_clock_start(clock, expected):
    rule = CarrierKind(must_store=True, retention_kind="years", retention_years=5, clock_start=clock)
    carrier = Carrier(created_on=date(2020, 9, 1), closed_on=date(2021, 5, 31), event_on=date(2019, 6, 3),
                      student_id=1)
    assert retention_end(rule, carrier, student_left_on=date(2025, 1, 15), year_ends_on=date(2022, 8, 31)) \
        == expected


def test_no_end_while_studying_or_until_handover():
    rule = CarrierKind(must_store=True, retention_kind="years", retention_years=3, clock_start="student_leaves")
    assert retention_end(rule, Carrier(student_id=1), student_left_on=None) is None
    handover = CarrierKind(must_store=True, retention_kind="until_handover", retention_years=None)
    assert retention_end(handover, Carrier(created_on=date(2020, 1, 1))) is None
    unset = CarrierKind(must_store=True, retention_kind="nomenclature", retention_years=None, clock_start="closed")
    assert retention_end(unset, Carrier(closed_on=date(2020, 1, 1))) is None


def _personal_file(student, number="И-1"):
    record = PersonalFile(kind=kind("personal_file"), number=number, student=student, created_on=date(2019, 9, 1),
                          location="Приёмная, шкаф 1")
    db.session.add(record)
    db.session.flush()
    return record


def test_leaving_starts_the_clock_and_a_rule_change_recomputes(session):
    pupil = factories.student()
    record = _personal_file(pupil)
    session.commit()
    assert record.retention_end is None  # still studying
    pupil.left_on = date(2026, 6, 30)
    session.commit()
    assert session.get(PersonalFile, record.id).retention_end == date(2029, 6, 30)
    rule = kind("personal_file")
    rule.retention_years = 5
    session.commit()
    assert session.get(PersonalFile, record.id).retention_end == date(2031, 6, 30)


def test_custody_movements_are_logged_for_every_kind(session):
    officer = factories.user("officer1", "officer", full_name="Лебедева Ольга Николаевна")
    book = RegisterBook(kind=kind("certificate_book"), level="basic", created_on=date(2020, 9, 1),
                        location="Кабинет 12", custodian=officer)
    session.add(book)
    session.commit()
    book.location = "Сейф директора"
    book.movement_reason = "приказ № 12 от 01.09.2026"
    session.commit()
    moves = session.scalars(select(CustodyMovement).where(CustodyMovement.carrier_id == book.id)
                            .order_by(CustodyMovement.id)).all()
    assert [(m.from_location, m.to_location) for m in moves] == [(None, "Кабинет 12"), ("Кабинет 12", "Сейф директора")]
    assert moves[1].reason == "приказ № 12 от 01.09.2026"
    assert moves[0].to_holder == "Лебедева Ольга Николаевна"


def test_strict_accountability_entry_cannot_be_deleted_or_unannulled(session):
    book = RegisterBook(kind=kind("certificate_book"), level="secondary", created_on=date(2020, 9, 1))
    session.add(book)
    session.commit()
    session.delete(book)
    with pytest.raises(StrictAccountabilityError):
        session.flush()
    session.rollback()
    book = session.get(RegisterBook, book.id)
    book.annulled, book.annul_reason = True, "заведена ошибочно"
    session.commit()
    assert book.annulled_at is not None
    book.annulled = False
    with pytest.raises(StrictAccountabilityError):
        session.flush()
    session.rollback()
    assert session.get(RegisterBook, book.id).annulled


def test_personal_file_number_suggestion(session):
    pupil = factories.student(last_name="Белов")
    _personal_file(pupil, "Б-14")
    other = factories.student(last_name="Борисов", first_name="Иван")
    _personal_file(other, "Б-3")
    assert suggest_personal_file_number(session, "Белкин") == "Б-15"
    assert suggest_personal_file_number(session, "ёлкин") == "Ё-1"


def _form(extra):
    data = {"kind": str(kind("personal_file").id), "status": "kept", "student": "", "number": ""}
    data.update(extra)
    return data


def test_secretary_creates_personal_file_with_suggested_number(app, login_as, session):
    pupil = factories.student(last_name="Белов")
    session.commit()
    panel = login_as("secretary")
    response = panel.post("/admin/personal_file/new/", _form({
        "student": str(pupil.id), "created_on": "01.09.2025", "location": "Приёмная, шкаф 2",
        "has_application": "y"}))
    assert response.status_code == 302, response.get_data(as_text=True)
    record = session.scalar(select(PersonalFile).where(PersonalFile.student_id == pupil.id))
    assert record.number == "Б-1" and record.created_on == date(2025, 9, 1) and record.has_application
    listing = panel.get("/admin/personal_file/?search=белов").get_data(as_text=True)
    assert "Б-1" in listing and "01.09.2025" in listing


def test_register_search_by_name_and_by_number(app, login_as, session):
    _personal_file(factories.student(last_name="Ёлкина", first_name="Анна"), "Ё-7")
    _personal_file(factories.student(last_name="Белова", first_name="Мария"), "Б-15")
    _personal_file(factories.student(last_name="Белов", first_name="Пётр"), "Б-16")
    session.commit()
    panel = login_as("secretary")

    def found(text):
        listing = panel.get(f"/admin/personal_file/?search={text}").get_data(as_text=True)
        return {n for n in ("Ё-7", "Б-15", "Б-16") if re.search(rf">\s*{n}\s*<", listing)}

    assert found("елкина") == {"Ё-7"}  # ё and е are one letter in a search
    assert found("белова мария") == {"Б-15"}  # every word of the name must occur
    assert found("петр") == {"Б-16"}
    assert found("б-15") == {"Б-15"}  # a number, typed in lower case
    assert found("Б-1") == {"Б-15", "Б-16"}
    assert found("100%_") == set()  # wildcards typed by a user are plain characters

    # Each row's icons open that row's record and come back to the same search.
    record = session.scalar(select(PersonalFile).where(PersonalFile.number == "Б-15"))
    listing = panel.get("/admin/personal_file/?search=б-15").get_data(as_text=True)
    for page in ("details", "edit"):
        link = re.search(rf'href="(/admin/personal_file/{page}/\?id={record.id}&amp;url=[^"]+)"', listing)
        assert link, listing
        opened = panel.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
        assert "Б-15" in opened and "search%3D" in link.group(1)


@pytest.mark.parametrize("few", [2000, 1])
def test_register_name_search_finds_the_same_with_few_or_many_matching_students(app, login_as, session,
                                                                                 monkeypatch, few):
    # On PostgreSQL up to FEW_STUDENTS matching students go to the register's query as an id list, more as a
    # subquery: either way a page shows the same files, newest first.
    import models.people

    monkeypatch.setattr(models.people, "FEW_STUDENTS", few)
    for n, name in enumerate(("Белова", "Белов", "Беляев", "Чернов")):
        _personal_file(factories.student(last_name=name, first_name="Анна"), f"Б-2{n}")
    session.commit()
    listing = login_as("secretary").get("/admin/personal_file/?search=бел").get_data(as_text=True)
    assert re.findall(r">\s*(Б-2\d)\s*<", listing) == ["Б-22", "Б-21", "Б-20"]


@pytest.mark.parametrize("number, message", [
    ("15", "Номер личного дела записывается"),
    ("Б-1", "уже есть"),
])
def test_bad_personal_file_number_refused(app, login_as, session, number, message):
    first = factories.student(last_name="Белов")
    _personal_file(first, "Б-1")
    second = factories.student(last_name="Быков", first_name="Олег")
    session.commit()
    panel = login_as("secretary")
    before = session.scalar(select(func.count(Carrier.id)))
    response = panel.post("/admin/personal_file/new/", _form({"student": str(second.id), "number": number}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(Carrier.id))) == before


def test_annual_mark_outside_scale_refused(app, login_as, session):
    pupil = factories.student(last_name="Белов")
    subject = Subject(name="Математика")
    session.add(subject)
    session.commit()
    panel = login_as("secretary")
    data = _form({"student": str(pupil.id), "number": "Б-7",
                  "annual_marks-0-academic_year": str(current_year(session).id),
                  "annual_marks-0-subject": str(subject.id), "annual_marks-0-value": "6",
                  "annual_marks-0-grade": "5"})
    response = panel.post("/admin/personal_file/new/", data)
    assert response.status_code == 200
    assert "Неверный вариант" in response.get_data(as_text=True)  # the mark select offers only the scale
    session.expire_all()
    assert session.scalar(select(func.count(PersonalFile.id))) == 0


def test_strict_register_has_no_delete_even_for_its_keeper(app, login_as, session):
    book = RegisterBook(kind=kind("certificate_book"), level="basic", created_on=date(2020, 9, 1))
    session.add(book)
    session.commit()
    panel = login_as("officer")
    response = panel.post("/admin/register_book/delete/", {"id": str(book.id), "url": "/admin/register_book/"})
    assert response.status_code == 403
    # annulment with a reason instead, visible in the list
    edit = panel.get(f"/admin/register_book/edit/?id={book.id}").get_data(as_text=True)
    assert "Аннулирована" in edit
    response = panel.post(f"/admin/register_book/edit/?id={book.id}", {
        "kind": str(book.kind_id), "level": "basic", "created_on": "01.09.2020", "status": "kept",
        "annulled": "y", "annul_reason": "", "loaded_version": str(book.version)})
    assert "Укажите причину аннулирования" in response.get_data(as_text=True)
    response = panel.post(f"/admin/register_book/edit/?id={book.id}", {
        "kind": str(book.kind_id), "level": "basic", "created_on": "01.09.2020", "status": "kept",
        "annulled": "y", "annul_reason": "заведена ошибочно", "loaded_version": str(book.version)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(RegisterBook, book.id).annulled
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.table_name == "register_book",
                                                                AuditLog.action == "update")) >= 1


def test_stored_certificate_number_form_and_duplicates(app, login_as, session):
    pupil = factories.student()
    session.commit()
    panel = login_as("officer")
    base = {"kind": str(kind("stored_certificate").id), "student": str(pupil.id), "created_on": "28.08.2025",
            "status": "kept", "is_original": "y", "location": "Сейф № 1"}
    bad = panel.post("/admin/stored_certificate/new/", {**base, "series_number": "12АБ"})
    assert "14 цифр" in bad.get_data(as_text=True)
    ok = panel.post("/admin/stored_certificate/new/", {**base, "series_number": "032 24 000012345"})
    assert ok.status_code == 302
    again = panel.post("/admin/stored_certificate/new/", {**base, "series_number": "03224000012345"})
    page = again.get_data(as_text=True)
    assert "Уже существует" in page or "уже принят на хранение" in page
    session.expire_all()
    assert session.scalar(select(func.count(StoredCertificate.id))) == 1


def test_rule_edit_by_admin_changes_carriers(app, login_as, session):
    pupil = factories.student()
    pupil.left_on = date(2025, 6, 1)
    record = _personal_file(pupil)
    session.commit()
    assert record.retention_end == date(2028, 6, 1)
    rule = kind("personal_file")
    panel = login_as("admin")
    response = panel.post(f"/admin/carrier_kind/edit/?id={rule.id}", {
        "name": rule.name, "medium": "paper", "must_store": "y", "retention_kind": "years",
        "retention_years": "10", "clock_start": "student_leaves", "needs_destruction_act": "y",
        "nomenclature_item": str(rule.nomenclature_item_id), "loaded_version": str(rule.version)})
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert session.get(PersonalFile, record.id).retention_end == date(2035, 6, 1)
    bad = panel.post(f"/admin/carrier_kind/edit/?id={rule.id}", {
        "name": rule.name, "medium": "paper", "must_store": "y", "retention_kind": "years",
        "retention_years": "", "clock_start": "", "loaded_version": str(session.get(CarrierKind, rule.id).version)})
    assert "Укажите срок хранения в годах" in bad.get_data(as_text=True)


def test_secretary_cannot_edit_rules_and_class_teacher_sees_own_files(app, login_as, session):
    assert login_as("secretary").get(f"/admin/carrier_kind/edit/?id={kind('personal_file').id}").status_code == 403
    teacher = factories.user("teacher", "class_teacher")
    own = factories.school_class(grade=5, letter="А", teacher=teacher)
    other = factories.school_class(grade=6, letter="Б")
    mine = _personal_file(factories.student(last_name="Своев", klass=own), "С-1")
    theirs = _personal_file(factories.student(last_name="Чужов", klass=other), "Ч-1")
    session.commit()
    panel = login_as("class_teacher", login="teacher")
    listing = panel.get("/admin/personal_file/").get_data(as_text=True)
    assert "Своев" in listing and "Чужов" not in listing
    assert panel.get(f"/admin/personal_file/details/?id={theirs.id}").status_code == 403
    assert panel.get(f"/admin/personal_file/details/?id={mine.id}").status_code == 200


def test_exam_protocol_needs_exam_date(app, login_as, session):
    panel = login_as("deputy")
    response = panel.post("/admin/gia_protocol/new/", {"kind": str(kind("gia_protocol").id), "exam": "oge",
                                                       "status": "kept"})
    assert "Укажите дату экзамена" in response.get_data(as_text=True)
    ok = panel.post("/admin/gia_protocol/new/", {"kind": str(kind("gia_protocol").id), "exam": "oge",
                                                 "status": "kept", "event_on": "03.06.2025"})
    assert ok.status_code == 302
    session.expire_all()
    protocol = session.scalar(select(ExamProtocol))
    assert protocol.retention_end == date(2026, 6, 3)


def _portfolio(session, student):
    from models import Portfolio

    record = Portfolio(kind=kind("portfolio"), student=student, created_on=date(2025, 9, 1))
    session.add(record)
    session.commit()
    return record


def test_portfolio_scan_upload_checked_and_kept_under_instance(app, login_as, session, tmp_path):
    import io

    from models import PortfolioItem

    pupil = factories.student()
    portfolio = _portfolio(session, pupil)
    panel = login_as("secretary")
    base = {"portfolio": str(portfolio.id), "item_kind": "olympiad", "title": "Региональная олимпиада по физике",
            "level": "regional", "result": "winner", "achieved_on": "12.02.2026"}
    fake = panel.post("/admin/portfolio_item/new/", {**base, "upload": (io.BytesIO(b"MZ\x90 not a pdf"), "Грамота.pdf")},
                      content_type="multipart/form-data")
    assert "не похоже на PDF" in fake.get_data(as_text=True)
    exe = panel.post("/admin/portfolio_item/new/", {**base, "upload": (io.BytesIO(b"%PDF-1.4"), "virus.exe")},
                     content_type="multipart/form-data")
    assert "только PDF, JPG или PNG" in exe.get_data(as_text=True)
    app.config["UPLOAD_MAX_BYTES"] = 1000
    big = panel.post("/admin/portfolio_item/new/", {**base, "upload": (io.BytesIO(b"%PDF" + b"0" * 2000), "Грамота.pdf")},
                     content_type="multipart/form-data")
    assert "больше допустимого размера" in big.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(PortfolioItem.id))) == 0
    app.config["UPLOAD_MAX_BYTES"] = 10 * 1024 * 1024
    ok = panel.post("/admin/portfolio_item/new/", {**base, "upload": (io.BytesIO(b"%PDF-1.4 scan"), "../../Грамота.pdf")},
                    content_type="multipart/form-data")
    assert ok.status_code == 302, ok.get_data(as_text=True)
    item = session.scalar(select(PortfolioItem))
    stored = tmp_path / "instance" / "uploads" / "portfolio" / item.file_name
    assert stored.read_bytes() == b"%PDF-1.4 scan"
    assert "/" not in item.file_name and item.original_name.endswith("Грамота.pdf")
    download = panel.get(f"/admin/portfolio_item/file/?id={item.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 scan"
    assert "%D0%93%D1%80%D0%B0%D0%BC%D0%BE%D1%82%D0%B0.pdf" in download.headers["Content-Disposition"]
    assert login_as("officer").get(f"/admin/portfolio_item/file/?id={item.id}").status_code == 403


def test_export_of_personal_data_is_recorded_as_disclosure(app, login_as, session):
    from models.disclosure import PdDisclosure

    factories.student(last_name="Выгрузкин")
    session.commit()
    panel = login_as("secretary")
    response = panel.get("/admin/student/export/xlsx/")
    assert response.status_code == 200
    entry = session.scalar(select(PdDisclosure))
    assert entry is not None and "Обучающиеся" in entry.description and entry.document_kind == "register_export"
    # a register without personal data is exported without an entry
    login_as("admin").get("/admin/carrier_kind/export/csv/")
    assert session.scalar(select(func.count(PdDisclosure.id))) == 1


def test_verify_copies_records_checksums_and_filter_finds_problems(app, login_as, session, tmp_path):
    import hashlib

    from models import CopyMedium, EjournalCopy

    good = tmp_path / "9А_2025.xlsx"
    good.write_bytes(b"journal 9A")
    digest = hashlib.sha256(b"journal 9A").hexdigest()
    copy = EjournalCopy(kind=kind("ejournal_copy"), created_on=date(2026, 6, 1), academic_year=current_year(session),
                        file_format="xlsx")
    copy.media = [CopyMedium(medium_type="optical", location="Сейф 1", file_path=str(good), sha256=digest),
                  CopyMedium(medium_type="flash", location="Сейф 2", file_path=str(tmp_path / "нет.xlsx"),
                             sha256=digest)]
    lonely = EjournalCopy(kind=kind("ejournal_copy"), created_on=date(2026, 6, 1), academic_year=copy.academic_year,
                          file_format="xlsx", title="одна копия",
                          media=[CopyMedium(medium_type="optical", location="Сейф 1", sha256=digest)])
    session.add_all([copy, lonely])
    session.commit()
    result = app.test_cli_runner().invoke(args=["verify-copies"])
    assert result.exit_code == 0, result.output
    assert "Совпадает: 1" in result.output and "файл недоступен: 2" in result.output
    session.expire_all()
    media = {m.location + m.medium_type: m.verify_result for m in session.get(EjournalCopy, copy.id).media}
    assert media == {"Сейф 1optical": "ok", "Сейф 2flash": "unreachable"}
    assert session.get(EjournalCopy, copy.id).last_verified_at is not None
    good.write_bytes(b"tampered")
    assert app.test_cli_runner().invoke(args=["verify-copies"]).exit_code == 1
    panel = login_as("admin")
    view = next(v for v in app.extensions["panel_admin"]._views if getattr(v, "endpoint", "") == "ejournal_copy")
    index = next(i for i, f in enumerate(view._filters) if f.name == "Проблема копии")
    few = panel.get(f"/admin/ejournal_copy/?flt1_{index}=few_media").get_data(as_text=True)
    assert "Сейф 2" not in few and "optical" not in few
    from models.copies import problem_condition

    assert {c.id for c in session.scalars(select(EjournalCopy).where(problem_condition("few_media")))} == {lonely.id}
    assert {c.id for c in session.scalars(select(EjournalCopy).where(problem_condition("mismatch")))} == {copy.id}


def test_csv_export_with_related_columns(app, login_as, session):
    pupil = factories.student(last_name="Экспортов", klass=factories.school_class(grade=7, letter="В"))
    _personal_file(pupil, "Э-1").school_class = pupil.school_class
    session.commit()
    response = login_as("secretary").get("/admin/personal_file/export/csv/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Э-1" in text and "7В" in text


def test_register_opens_only_its_own_kinds(app, login_as, session):
    gia = ExamProtocol(kind=kind("gia_protocol"), exam="ege", event_on=date(2025, 6, 3))
    session.add(gia)
    session.commit()
    panel = login_as("deputy")
    assert panel.get(f"/admin/gia_protocol/edit/?id={gia.id}").status_code == 200
    wrong = panel.get(f"/admin/essay_protocol/edit/?id={gia.id}")
    assert wrong.status_code == 302 and "/admin/essay_protocol/" in wrong.headers["Location"]


def test_student_card_links_to_leaving_and_its_acts(app, login_as, session):
    pupil = factories.student(last_name="Карточкин")
    session.commit()
    card = login_as("secretary").get(f"/admin/student/details/?id={pupil.id}").get_data(as_text=True)
    assert f"/admin/leaving/student/{pupil.id}" in card
    teacher_card = login_as("deputy").get(f"/admin/student/details/?id={pupil.id}").get_data(as_text=True)
    assert "Выбытие" in teacher_card


def test_register_pages_hold_every_record_once_newest_first(app, login_as, session):
    # A register's page ids come from the base table alone; both pages together list every file once, in order.
    pupil = factories.student(last_name="Листов", first_name="Пётр")
    numbers = [_personal_file(pupil, f"Л-{n}").number for n in range(1, 56)]
    session.commit()
    panel = login_as("secretary")
    seen = []
    for page in (0, 1):
        html = panel.get("/admin/personal_file/", query_string={"page": page}).get_data(as_text=True)
        seen += re.findall(r">\s*(Л-\d+)\s*<", html)
    assert seen == list(reversed(numbers))

"""Leaving the school: one handover act, all or nothing; reversal, returns, the printed act and the year end."""
import io
import re
import os
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

import factories
from leaving_seed import carrier, pupil_with_carriers
from pdf_pages import page_image, rightmost_ink
from models import AcademicYear, Order, PdDisclosure, SchoolClass, Student, db
from models.carriers import act_workflow
from models.leaving import HandoverAct, LeavingError, leave_school, propose_handover
from models.people import current_year

LEFT = date(2025, 6, 10)
ISO = LEFT.isoformat()


def snapshot():
    """Every row of every table, so a refused or failed leaving can be shown to have changed nothing."""
    db.session.expire_all()
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        tables[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return tables


def form_for(pupil, mother, carriers, **extra):
    """What the page posts: transfer, every proposal accepted, all handed items to the mother."""
    data = {"reason": "transfer", "destination": "МБОУ «Школа № 5», г. Казань", "left_on": ISO,
            "order_number": "45-у", "order_date": ISO, "application_on": ISO,
            "applicant": "Ёлкина Мария Сергеевна", f"document_guardian:{mother.id}": "паспорт 4510 123456"}
    for key, item in carriers.items():
        data[f"action_{item.id}"] = "keep" if key == "gia" else "hand"
        data[f"recipient_{item.id}"] = f"guardian:{mother.id}"
    data.update(extra)
    return data


@pytest.fixture
def world(app):
    with app.app_context():
        pupil, mother, carriers = pupil_with_carriers()
        db.session.commit()
        return {"pupil": pupil.id, "mother": mother.id, "ids": {k: c.id for k, c in carriers.items()},
                "form": form_for(pupil, mother, carriers)}


def test_proposal_lists_what_the_school_holds(app, world):
    with app.app_context():
        pupil = db.session.get(Student, world["pupil"])
        proposals = {p["carrier"].id: p for p in propose_handover(pupil, db.session, LEFT)}
        ids = world["ids"]
        # Destroyed and annulled carriers are not held any more.
        assert set(proposals) == set(ids.values())
        assert proposals[ids["file"]]["action"] == "hand"
        assert proposals[ids["portfolio"]]["action"] == "hand"
        assert proposals[ids["certificate"]]["action"] == "hand"
        assert proposals[ids["gia"]]["action"] == "keep"
        assert proposals[ids["file"]]["recipient"] == f"guardian:{world['mother']}"


def test_leaving_through_the_page_does_everything(app, world, login_as):
    panel = login_as("secretary")
    page = panel.get(f"/admin/leaving/student/{world['pupil']}").get_data(as_text=True)
    assert "Ёлкина Анастасия Сергеевна" in page and "П-1" in page and "Ё-91" not in page
    response = panel.post(f"/admin/leaving/student/{world['pupil']}", world["form"])
    assert response.status_code == 302, response.get_data(as_text=True)
    after = panel.get(response.headers["Location"]).get_data(as_text=True)
    assert "Выбытие оформлено: акт приёма-передачи № 1/2025 от 10.06.2025" in after
    ids = world["ids"]
    with app.app_context():
        pupil = db.session.get(Student, world["pupil"])
        assert (pupil.status, pupil.left_on, pupil.leaving_reason) == ("left", LEFT, "transfer")
        assert pupil.leaving_note == "МБОУ «Школа № 5», г. Казань"
        assert (pupil.leaving_order.number, pupil.leaving_order.kind) == ("45-у", "transfer")
        act = db.session.scalar(select(HandoverAct))
        assert (act.number, act.year, act.act_date) == (1, 2025, LEFT)
        assert {i.carrier_id: i.result for i in act.items} == {
            ids["file"]: "handed", ids["portfolio"]: "handed", ids["certificate"]: "handed", ids["gia"]: "kept"}
        for key in ("file", "portfolio", "certificate"):
            item = carrier(ids[key])
            assert item.status == "handed_over"
            assert item.location == "передан: Ёлкина Мария Петровна"
            assert "акт приёма-передачи № 1/2025" in item.movements[-1].reason
        line = next(i for i in act.items if i.carrier_id == ids["file"])
        assert line.recipient_document == "паспорт 4510 123456" and line.guardian_id == world["mother"]
        certificate = carrier(ids["certificate"])
        assert (certificate.returned_on, certificate.returned_to) == (LEFT, "Ёлкина Мария Петровна")
        assert certificate.return_order_id == pupil.leaving_order_id
        gia = carrier(ids["gia"])
        assert gia.status == "kept" and gia.location == "кабинет заместителя"
        disclosures = db.session.scalars(select(PdDisclosure)).all()
        assert len(disclosures) == 3
        assert all("Ёлкина Мария Петровна" in d.recipient and d.student_id == pupil.id for d in disclosures)


def test_retention_clock_starts_at_the_leaving_date(app, world):
    with app.app_context():
        ids = world["ids"]
        assert carrier(ids["file"]).retention_end is None  # still studying: the clock has not started
        leave_school(db.session, world["pupil"], reason="graduation", left_on=LEFT, order_number="50-у",
                     order_date=LEFT, items={ids["file"]: ("keep", None), ids["portfolio"]: ("keep", None),
                                             ids["certificate"]: ("keep", None)})
        db.session.commit()
        pfile = carrier(ids["file"])
        assert pfile.status == "kept" and pfile.retention_end == date(2028, 6, 10)
        assert db.session.get(Student, world["pupil"]).status == "graduated"
        assert db.session.scalar(select(HandoverAct)).handed_items == []


def test_acts_are_numbered_consecutively_within_a_year(app):
    with app.app_context():
        numbers = []
        for index, (name, left) in enumerate((("Ёлкина", LEFT), ("Щукина", date(2025, 6, 11)),
                                              ("Абрамова", date(2026, 1, 12))), start=1):
            pupil, mother, carriers = pupil_with_carriers(last_name=name, letter="АБВ"[index - 1], number=index)
            act = leave_school(db.session, pupil.id, reason="expulsion", left_on=left, order_number=f"{index}-у",
                               order_date=left, items={c.id: ("keep", None) for c in carriers.values()})
            numbers.append((act.year, act.number))
        db.session.commit()
        assert numbers == [(2025, 1), (2025, 2), (2026, 1)]


BAD_INPUT = {
    "не представитель": (lambda w, other: {f"recipient_{w['ids']['file']}": f"guardian:{other}"},
                         "только зарегистрированный законный представитель"),
    "несовершеннолетний сам себе": (lambda w, other: {f"recipient_{w['ids']['file']}": "student"},
                                    "достигший 18 лет"),
    "раньше зачисления": (lambda w, other: {"left_on": "2019-05-01"}, "раньше даты зачисления (01.09.2020)"),
    "нет приказа": (lambda w, other: {"order_number": ""}, "Укажите номер приказа"),
    "нет документа": (lambda w, other: {f"document_guardian:{w['mother']}": " "},
                      "Укажите документ, удостоверяющий личность получателя"),
    "нет заявления": (lambda w, other: {"applicant": ""}, "по письменному заявлению"),
    "перевод без школы": (lambda w, other: {"destination": ""}, "Укажите образовательную организацию"),
}


def test_bad_input_is_refused_and_changes_nothing(app, world, login_as):
    with app.app_context():
        other_pupil = factories.student(last_name="Другой", klass=None)
        stranger = factories.guardian(last_name="Чужая", students=[other_pupil])
        db.session.commit()
        stranger_id = stranger.id
    panel = login_as("secretary")
    with app.app_context():
        before = snapshot()
    for case, (changes, message) in BAD_INPUT.items():
        response = panel.post(f"/admin/leaving/student/{world['pupil']}", {**world["form"],
                                                                           **changes(world, stranger_id)})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, case
        assert message in page and "ничего не изменено" in page, case
        with app.app_context():
            assert snapshot() == before, case


def test_already_handed_item_and_already_left_student_are_refused(app, world):
    ids = world["ids"]
    with app.app_context():
        portfolio = carrier(ids["portfolio"])
        with act_workflow(db.session):  # handed by an earlier act, as far as this test is concerned
            portfolio.status = "handed_over"
            db.session.flush()
        db.session.commit()
        before = snapshot()
        with pytest.raises(LeavingError) as refused:
            leave_school(db.session, world["pupil"], reason="expulsion", left_on=LEFT, order_number="1-у",
                         order_date=LEFT, items={ids["portfolio"]: ("hand", f"guardian:{world['mother']}")},
                         documents={f"guardian:{world['mother']}": "паспорт"})
        assert "уже передан (выдан): повторно не передаётся" in str(refused.value)
        db.session.rollback()
        assert snapshot() == before
        leave_school(db.session, world["pupil"], reason="expulsion", left_on=LEFT, order_number="1-у",
                     order_date=LEFT)
        db.session.commit()
        before = snapshot()
        with pytest.raises(LeavingError) as refused:
            leave_school(db.session, world["pupil"], reason="expulsion", left_on=LEFT, order_number="1-у",
                         order_date=LEFT)
        assert "Ёлкина Анастасия Сергеевна уже выбыла из школы (10.06.2025)" in str(refused.value)
        db.session.rollback()
        assert snapshot() == before


def test_an_order_of_another_kind_is_not_taken_for_the_leaving_order(app, world):
    with app.app_context():
        db.session.add(Order(number="45-у", issued_on=LEFT, kind="enrolment", title="О зачислении"))
        db.session.commit()
        with pytest.raises(LeavingError) as refused:
            leave_school(db.session, world["pupil"], reason="expulsion", left_on=LEFT, order_number="45-у",
                         order_date=LEFT)
        assert "уже есть, но это приказ о зачислении" in str(refused.value)


def test_an_adult_student_may_receive_the_items_themselves(app):
    with app.app_context():
        pupil, mother, carriers = pupil_with_carriers(birth_date=date(2007, 6, 10), grade=11)
        act = leave_school(db.session, pupil.id, reason="graduation", left_on=LEFT, order_number="7-у",
                           order_date=LEFT, items={carriers["certificate"].id: ("hand", "student")},
                           documents={"student": "паспорт 9207 000111"})
        db.session.commit()
        assert act.handed_items[0].recipient_name == "Ёлкина Анастасия Сергеевна (обучающийся)"
        assert act.handed_items[0].guardian_id is None


def test_failure_midway_leaves_every_table_as_before(app, world, monkeypatch):
    """A failure after the student, the act and a carrier already changed: the transaction rolls back whole."""
    import models.leaving as leaving

    calls = []
    real = leaving.record_disclosure

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("диск переполнен")
        return real(*args, **kwargs)

    monkeypatch.setattr(leaving, "record_disclosure", failing)
    ids, mother = world["ids"], f"guardian:{world['mother']}"
    with app.app_context():
        before = snapshot()
        with pytest.raises(RuntimeError):
            leave_school(db.session, world["pupil"], reason="transfer", destination="Школа № 5", left_on=LEFT,
                         order_number="45-у", order_date=LEFT, application_on=LEFT, applicant="Ёлкина М. П.",
                         items={ids["file"]: ("hand", mother), ids["portfolio"]: ("hand", mother)},
                         documents={mother: "паспорт"})
        # Rows had changed inside the transaction before the failure.
        assert db.session.get(Student, world["pupil"]).status == "left"
        db.session.rollback()
        assert snapshot() == before


def test_failure_midway_through_the_page_commits_nothing(app, world, login_as, monkeypatch):
    import models.leaving as leaving

    def failing(*args, **kwargs):
        raise RuntimeError("сбой")

    monkeypatch.setattr(leaving, "record_disclosure", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    panel = login_as("secretary")
    with app.app_context():
        before = snapshot()
    response = panel.post(f"/admin/leaving/student/{world['pupil']}", world["form"])
    assert response.status_code == 500
    with app.app_context():
        assert snapshot() == before


def _pdf_text(data):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_act_prints_as_a_pdf_with_cyrillic_text(app, world, login_as, tmp_path):
    panel = login_as("officer")
    assert panel.post(f"/admin/leaving/student/{world['pupil']}", world["form"]).status_code == 302
    with app.app_context():
        act_id = db.session.scalar(select(HandoverAct.id))
    response = panel.get(f"/admin/leaving/act/{act_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = " ".join(_pdf_text(response.data).split())
    for expected in ("АКТ № 1", "приёма-передачи", "10.06.2025", "Ёлкина Анастасия Сергеевна",
                     "Личное дело обучающегося", "Ё-1", "Портфолио обучающегося", "П-1",
                     "Аттестат ООО, принятый на хранение", "03224000012341", "Ёлкина Мария Петровна",
                     "паспорт 4510 123456", "приказ № 45-у от 10.06.2025", "Передал:", "Получил(а):",
                     "Тестовый officer", "МБОУ «Школа № 5», г. Казань", "Остаются на хранении"):
        assert expected in text, expected
    image = page_image(response.data, dpi=60)
    assert rightmost_ink(image) > 0  # the page renders with ink on it
    if os.environ.get("KEEP_ACT_PNG"):  # for a person to look at the page
        image.save(os.environ["KEEP_ACT_PNG"])


def test_two_pupils_under_one_order_each_act_names_its_own_pupil(app, world, login_as):
    """The second pupil's act used to cite the order's title, which named the first pupil."""
    panel = login_as("secretary")
    assert panel.post(f"/admin/leaving/student/{world['pupil']}", world["form"]).status_code == 302
    with app.app_context():
        klass = factories.school_class(grade=9, letter="Б")
        boy = factories.student(last_name="Антонов", first_name="Николай", middle_name="Антонович", klass=klass,
                                sex="male", birth_date=date(2011, 2, 3))
        db.session.commit()
        boy_id = boy.id
    form = {"reason": "transfer", "destination": "Школа № 7", "left_on": ISO, "order_number": "45-у",
            "order_date": ISO}
    assert panel.post(f"/admin/leaving/student/{boy_id}", form).status_code == 302
    with app.app_context():
        acts = {a.student_id: a.id for a in db.session.scalars(select(HandoverAct))}
        assert db.session.scalar(select(func.count(Order.id)).where(Order.number == "45-у")) == 1
    girl_text = " ".join(_pdf_text(panel.get(f"/admin/leaving/act/{acts[world['pupil']]}/pdf").data).split())
    boy_text = " ".join(_pdf_text(panel.get(f"/admin/leaving/act/{acts[boy_id]}/pdf").data).split())
    assert "приказ № 45-у от 10.06.2025 о переводе Антонова Николая Антоновича" in boy_text
    assert "Ёлкин" not in boy_text and "Обучающийся: Антонов Николай Антонович" in boy_text
    assert "приказ № 45-у от 10.06.2025 о переводе Ёлкиной Анастасии Сергеевны" in girl_text
    assert "Обучающаяся: Ёлкина Анастасия Сергеевна" in girl_text and "Антонов" not in girl_text


def test_the_act_register_links_the_pdf_and_is_read_only(app, world, login_as):
    panel = login_as("secretary")
    panel.post(f"/admin/leaving/student/{world['pupil']}", world["form"])
    with app.app_context():
        act_id = db.session.scalar(select(HandoverAct.id))
    listing = panel.get("/admin/handover_act/").get_data(as_text=True)
    assert "Ёлкина Анастасия Сергеевна" in listing and f"/admin/leaving/act/{act_id}/pdf" in listing
    assert panel.get("/admin/handover_act/new/").status_code == 403
    assert panel.get(f"/admin/handover_act/edit/?id={act_id}").status_code == 403
    panel.post("/admin/handover_act/delete/", {"id": str(act_id)})
    with app.app_context():
        assert db.session.scalar(select(func.count(HandoverAct.id))) == 1


def test_an_act_is_never_deleted(app, world):
    from models.carriers import StrictAccountabilityError

    with app.app_context():
        act = leave_school(db.session, world["pupil"], reason="expulsion", left_on=LEFT, order_number="1-у",
                           order_date=LEFT)
        db.session.commit()
        db.session.delete(act)
        with pytest.raises(StrictAccountabilityError, match="не удаляется"):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count(HandoverAct.id))) == 1


def test_rights_follow_the_matrix(app, world, login_as):
    deputy = login_as("deputy")
    assert deputy.get(f"/admin/leaving/student/{world['pupil']}").status_code == 200
    assert deputy.post(f"/admin/leaving/student/{world['pupil']}", world["form"]).status_code == 403
    assert login_as("class_teacher").get("/admin/leaving/").status_code == 403
    assert deputy.get("/admin/leaving/promote").status_code == 403
    with app.app_context():
        assert db.session.get(Student, world["pupil"]).status == "studying"


def test_director_reverses_a_mistaken_leaving_and_returns_are_recorded(app, world, login_as):
    ids = world["ids"]
    secretary = login_as("secretary")
    form = {**world["form"], f"action_{ids['file']}": "keep"}  # the file stays: only two items go out
    assert secretary.post(f"/admin/leaving/student/{world['pupil']}", form).status_code == 302
    with app.app_context():
        act = db.session.scalar(select(HandoverAct))
        act_id, class_id = act.id, act.previous_class_id
        assert carrier(ids["file"]).retention_end == date(2028, 6, 10)
    # The secretary may leave, not reverse.
    assert secretary.post(f"/admin/leaving/act/{act_id}/reverse", {"reversal_reason": "ошибка"}).status_code == 403
    director = login_as("director")
    refused = director.post(f"/admin/leaving/act/{act_id}/reverse", {"reversal_reason": ""}, follow_redirects=True)
    assert "Укажите причину отмены выбытия" in refused.get_data(as_text=True)
    done = director.post(f"/admin/leaving/act/{act_id}/reverse",
                         {"reversal_reason": "приказ издан по ошибке, ученица остаётся"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "снова числится в школе" in page and "Нужно вернуть в школу: 2" in page
    assert "Вернуть в школу: Портфолио обучающегося" in page
    with app.app_context():
        pupil = db.session.get(Student, world["pupil"])
        assert (pupil.status, pupil.school_class_id, pupil.left_on, pupil.leaving_order_id) == (
            "studying", class_id, None, None)
        act = db.session.get(HandoverAct, act_id)
        assert act.reversed_at is not None and act.reversal_reason.startswith("приказ издан")
        assert carrier(ids["file"]).retention_end is None  # studying again: the clock stopped
        # Physically handed items are not silently un-handed.
        assert carrier(ids["portfolio"]).status == "handed_over"
        waiting = [i.id for i in act.items if i.awaiting_return]
        assert len(waiting) == 2
        portfolio_line = next(i.id for i in act.items if i.carrier_id == ids["portfolio"])
    back = secretary.post(f"/admin/leaving/item/{portfolio_line}/return", {}, follow_redirects=True)
    assert "снова хранится в школе" in back.get_data(as_text=True)
    with app.app_context():
        portfolio = carrier(ids["portfolio"])
        assert (portfolio.status, portfolio.location) == ("kept", "кабинет классного руководителя")
        assert "возвращён в школу после отмены выбытия" in portfolio.movements[-1].reason
        assert carrier(ids["certificate"]).status == "handed_over"
        assert db.session.get(HandoverAct, act_id) is not None
    again = secretary.post(f"/admin/leaving/item/{portfolio_line}/return", {}, follow_redirects=True)
    assert "не ожидает возврата" in again.get_data(as_text=True)
    # The reversed act stays printable, marked as reversed.
    text = _pdf_text(director.get(f"/admin/leaving/act/{act_id}/pdf").data)
    assert "Выбытие отменено" in text


def _next_year(app):
    with app.app_context():
        current = current_year(db.session)
        start = current.starts_on.year + 1
        year = AcademicYear(name=f"{start}/{start + 1}", starts_on=date(start, 9, 1),
                            ends_on=date(start + 1, 8, 31), is_current=False)
        db.session.add(year)
        db.session.commit()
        return year.id


def test_year_end_promotion(app, login_as):
    with app.app_context():
        teacher = factories.user("teacher5", ["class_teacher"], full_name="Учителева Ольга")
        five = factories.school_class(grade=5, letter="Б", teacher=teacher)
        stays = factories.student(last_name="Повторов", klass=five)
        moves = factories.student(last_name="Переводов", klass=five)
        nine = factories.school_class(grade=9, letter="А")
        ninth_goes, _, _ = pupil_with_carriers(last_name="Уходова", klass=nine, number=2, certificate=False)
        ninth_stays = factories.student(last_name="Остаётся", klass=nine)
        eleven = factories.school_class(grade=11, letter="А")
        graduate, _, grad_carriers = pupil_with_carriers(last_name="Выпускникова", klass=eleven, number=3)
        old_year = current_year(db.session).id
        db.session.commit()
        ids = dict(stays=stays.id, moves=moves.id, ninth_goes=ninth_goes.id, ninth_stays=ninth_stays.id,
                   graduate=graduate.id, cert=grad_carriers["certificate"].id, file=grad_carriers["file"].id,
                   teacher=teacher.id)
    panel = login_as("secretary")
    page = panel.get("/admin/leaving/promote").get_data(as_text=True)
    assert "Следующий учебный год ещё не создан" in page
    new_year = _next_year(app)
    page = panel.get("/admin/leaving/promote").get_data(as_text=True)
    assert "Повторов Пётр Сергеевич" in page and "выпускник" in page and "6Б" in page
    with app.app_context():
        before = snapshot()
    form = {"to_year": str(new_year), f"stay_{ids['stays']}": "on", f"leave9_{ids['ninth_goes']}": "on"}
    refused = panel.post("/admin/leaving/promote", form)
    assert refused.status_code == 400 and "укажите номер и дату приказа" in refused.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before
    form.update(order_number="90-у", order_date=ISO, left_on=ISO)
    done = panel.post("/admin/leaving/promote", form, follow_redirects=True)
    assert "Классы переведены" in done.get_data(as_text=True), done.get_data(as_text=True)
    with app.app_context():
        def class_of(student_id):
            klass = db.session.get(Student, student_id).school_class
            return klass.name, klass.academic_year_id

        assert class_of(ids["moves"]) == ("6Б", new_year)
        assert class_of(ids["stays"]) == ("5Б", new_year)
        assert class_of(ids["ninth_stays"]) == ("10А", new_year)
        six = db.session.scalar(select(SchoolClass).where(SchoolClass.academic_year_id == new_year,
                                                          SchoolClass.name == "6Б"))
        assert six.class_teacher_id == ids["teacher"]
        for graduate in (ids["ninth_goes"], ids["graduate"]):
            pupil = db.session.get(Student, graduate)
            assert (pupil.status, pupil.left_on, pupil.leaving_order.number) == ("graduated", LEFT, "90-у")
        acts = db.session.scalars(select(HandoverAct).order_by(HandoverAct.number)).all()
        assert [a.number for a in acts] == [1, 2] and {a.student_id for a in acts} == {ids["ninth_goes"],
                                                                                        ids["graduate"]}
        assert carrier(ids["cert"]).status == "handed_over" and carrier(ids["cert"]).returned_on == LEFT
        assert carrier(ids["file"]).status == "kept" and carrier(ids["file"]).retention_end == date(2028, 6, 10)
        assert current_year(db.session).id == new_year
        assert db.session.get(AcademicYear, old_year).is_current is False
    # Done once: the old year is no longer current.
    again = panel.post("/admin/leaving/promote", form)
    assert again.status_code in (400, 200)


def test_graduation_in_bulk_refused_when_nobody_can_receive(app, login_as):
    with app.app_context():
        eleven = factories.school_class(grade=11, letter="В")
        pupil_with_carriers(last_name="Безпредставителева", klass=eleven, guardian_document=None)
        db.session.commit()
    new_year = _next_year(app)
    panel = login_as("secretary")
    with app.app_context():
        before = snapshot()
    refused = panel.post("/admin/leaving/promote", {"to_year": str(new_year), "order_number": "9-у",
                                                    "order_date": ISO, "left_on": ISO})
    assert refused.status_code == 400
    assert "нет законного представителя с записанным документом" in refused.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_the_leaving_list_pages_past_100_pupils(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=8, letter="В")
        for n in range(130):
            factories.student(f"Листов{n:03d}", "Иван", klass=klass)
        db.session.commit()
    panel = login_as("secretary")
    first = panel.get("/admin/leaving/").get_data(as_text=True)
    assert re.findall(r"Листов\d{3}", first) == [f"Листов{n:03d}" for n in range(100)]
    assert "Показаны 1–100" in first and "следующие 100" in first
    link = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    second = panel.get(link).get_data(as_text=True)
    assert re.findall(r"Листов\d{3}", second) == [f"Листов{n:03d}" for n in range(100, 130)]
    assert "Показаны 101–130" in second and "предыдущие 100" in second and "следующие 100" not in second
    for bad in ("abc", "-5", "99999999999999"):
        response = panel.get(f"/admin/leaving/?page={bad}")
        assert response.status_code == 200


def test_the_pupils_card_links_to_everything_the_school_holds(app, world, login_as):
    from models.retention import draft_act
    from models.users import User

    secretary = login_as("secretary")
    assert secretary.post(f"/admin/leaving/student/{world['pupil']}", world["form"]).status_code == 302
    login_as("deputy")
    with app.app_context():
        deputy = db.session.scalar(select(User).where(User.login == "deputy"))
        # The ГИА protocol (20.05.2025 + 1 year) may enter an act of 2027.
        act = draft_act(db.session, carrier_ids=[world["ids"]["gia"]], user=deputy, act_date=date(2027, 2, 1))
        db.session.commit()
        act_id, handover_id = act.id, db.session.scalar(select(HandoverAct.id))
    ids = world["ids"]
    card = " ".join(login_as("director").get(f"/admin/student/details/?id={world['pupil']}")
                    .get_data(as_text=True).split())
    block = card[card.index('data-testid="student-records"'):]
    for link in (f"/admin/personal_file/details/?id={ids['file']}", f"/admin/portfolio/details/?id={ids['portfolio']}",
                 f"/admin/stored_certificate/details/?id={ids['certificate']}",
                 f"/admin/gia_protocol/details/?id={ids['gia']}", f"/admin/leaving/act/{handover_id}/pdf",
                 f"/admin/retention_review/act/{act_id}", f"/marks/progress/{world['pupil']}"):
        assert f'href="{link}"' in block, link
    assert "Личное дело обучающегося № Ё-1" in block and "Акт об уничтожении № " in block
    assert "запись аннулирована" in block  # the annulled portfolio is listed, marked as such
    # The secretary sees the same list, linked only where the matrix lets her open the register.
    mine = " ".join(secretary.get(f"/admin/student/details/?id={world['pupil']}").get_data(as_text=True).split())
    mine = mine[mine.index('data-testid="student-records"'):]
    assert f'href="/admin/personal_file/details/?id={ids["file"]}"' in mine
    assert "/admin/retention_review/act/" not in mine and "Акт об уничтожении № " in mine

"""Orders on pupils as one record everywhere: the templates per kind are data the school edits, and every door that
needs an order (the pupil's form, leaving, promotion with its conditional order, issuance) finds it by number and
date or makes it, and refuses a number that names an order of another kind or date."""
import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

import factories
from models import Order, Student, db
from models.orders import OrderTemplate
from models.people import current_year

TODAY = date.today()
DAY = TODAY - timedelta(days=3)
RU = DAY.strftime("%d.%m.%Y")


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def orders(session, number):
    session.expire_all()
    return list(session.scalars(select(Order).where(Order.number == number)))


# --- templates per kind --------------------------------------------------------------------------------------

def test_templates_are_seeded_with_the_panels_texts_and_the_secretary_edits_one(app, login_as, session):
    kinds = set(session.scalars(select(OrderTemplate.kind)))
    assert {"enrolment", "conditional_promotion", "issuance"} <= kinds
    template = session.scalar(select(OrderTemplate).where(OrderTemplate.kind == "enrolment"))
    template_id, version = template.id, template.version
    klass = factories.school_class(grade=1, letter="В")
    pupil = factories.student(last_name="Шаблонов", klass=klass)
    old = Order(number="3-о", issued_on=DAY, kind="enrolment", title="О зачислении",
                text="Текст, написанный раньше")
    session.add(old)
    session.commit()
    pupil_id, old_id = pupil.id, old.id

    listing = login_as("deputy").get("/admin/order_template/").get_data(as_text=True)
    assert "о зачислении" in listing and "ПРИКАЗЫВАЮ" in listing
    assert login_as("deputy").get(f"/admin/order_template/edit/?id={template_id}").status_code == 403

    panel = login_as("secretary")
    url = f"/admin/order_template/edit/?id={template_id}"
    form = panel.get(url).get_data(as_text=True)
    assert "{pupils}" in form and "нумерованный список обучающихся" in form
    bad = panel.post(url, {"text": "Зачислить {ученики}", "loaded_version": str(version)}).get_data(as_text=True)
    assert "неизвестная вставка {ученики}" in bad
    no_list = panel.post(url, {"text": "Зачислить всех", "loaded_version": str(version)}).get_data(as_text=True)
    assert "нет вставки {pupils}" in no_list
    broken = panel.post(url, {"text": "Зачислить {pupils", "loaded_version": str(version)}).get_data(as_text=True)
    assert "Фигурные скобки" in broken
    session.expire_all()
    assert "ПРИКАЗЫВАЮ" in session.get(OrderTemplate, template_id).text  # nothing saved

    saved = panel.post(url, {"text": "ПРИКАЗЫВАЮ:\nпринять в {school} с 1 сентября:\n{pupils}",
                             "loaded_version": str(version)})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    # A new order without a text starts from the edited template; an order written before keeps its own text.
    made = panel.post("/admin/order/new/", {"number": "4-о", "issued_on": RU, "kind": "enrolment",
                                            "title": "О зачислении", "students": str(pupil_id), "text": ""})
    assert made.status_code == 302, made.get_data(as_text=True)
    [new] = orders(session, "4-о")
    assert new.text.startswith("ПРИКАЗЫВАЮ:\nпринять в") and "1. Шаблонов Пётр" in new.text
    assert session.get(Order, old_id).text == "Текст, написанный раньше"
    printed = pdf_text(panel.get(f"/admin/order/pdf/?id={new.id}").data)
    assert "принять в" in printed and "Шаблонов Пётр" in printed
    # The order's own text stays editable on the order.
    new_id, new_version = new.id, new.version
    edited = panel.post(f"/admin/order/edit/?id={new_id}", {
        "number": "4-о", "issued_on": RU, "kind": "enrolment", "title": "О зачислении", "students": str(pupil_id),
        "text": "Свой текст приказа", "loaded_version": str(new_version)})
    assert edited.status_code == 302, edited.get_data(as_text=True)
    session.expire_all()
    assert session.get(Order, new_id).text == "Свой текст приказа"
    # Nobody adds or deletes a kind's template.
    assert panel.get("/admin/order_template/new/").status_code in (302, 403)
    assert session.scalar(select(func.count(OrderTemplate.id))) == len(kinds)


# --- the pupil's form ---------------------------------------------------------------------------------------

def _pupil_form(klass_id, last_name, **extra):
    form = {"last_name": last_name, "first_name": "Анна", "middle_name": "Олеговна", "birth_date": "03.05.2014",
            "sex": "female", "school_class": str(klass_id), "enrolled_on": RU}
    form.update(extra)
    return form


def test_the_pupils_form_creates_the_enrolment_order_in_place_and_reuses_it(app, login_as, session):
    klass = factories.school_class(grade=5, letter="В")
    session.add(Order(number="112-о", issued_on=DAY - timedelta(days=1), kind="issuance", title="О выдаче"))
    session.add(Order(number="9-о", issued_on=DAY, kind="expulsion", title="Об отчислении"))
    session.commit()
    klass_id = klass.id
    panel = login_as("secretary")
    form = panel.get("/admin/student/new/").get_data(as_text=True)
    assert "или номер приказа о зачислении" in form and "Дата этого приказа" in form

    first = panel.post("/admin/student/new/", _pupil_form(klass_id, "Первова", order_number="113-о",
                                                          order_date=RU))
    assert first.status_code == 302, first.get_data(as_text=True)
    [order] = orders(session, "113-о")
    assert (order.kind, order.issued_on) == ("enrolment", DAY)
    # The same number and date typed for another pupil is the same record, now listing both.
    second = panel.post("/admin/student/new/", _pupil_form(klass_id, "Вторая", order_number=" 113-о ",
                                                           order_date=RU))
    assert second.status_code == 302, second.get_data(as_text=True)
    [order] = orders(session, "113-о")
    assert [s.last_name for s in order.students] == ["Вторая", "Первова"]
    assert {s.enrolment_order_id for s in session.scalars(select(Student).where(
        Student.last_name.in_(("Первова", "Вторая"))))} == {order.id}
    page = panel.get(f"/admin/order/details/?id={order.id}").get_data(as_text=True)
    assert "Первова Анна Олеговна" in page and "Вторая Анна Олеговна" in page

    # Another kind's number and date, a number taken on another day, half a reference, a future date: refused.
    cases = [
        ({"order_number": "9-о", "order_date": RU}, "это приказ об отчислении (выбытии)"),
        ({"order_number": "112-о", "order_date": RU}, f"Номер 112-о уже занят приказом от "
                                                      f"{DAY - timedelta(days=1):%d.%m.%Y}"),
        ({"order_number": "114-о"}, "Укажите дату приказа о зачислении"),
        ({"order_date": RU}, "Укажите номер приказа о зачислении"),
        ({"order_number": "114-о", "order_date": (TODAY + timedelta(days=2)).strftime("%d.%m.%Y")},
         "не может быть в будущем"),
        ({"order_number": "114-о", "order_date": RU, "enrolment_order": str(order.id)}, "оставьте один из них"),
        ({"enrolment_order": str(orders(session, "9-о")[0].id)}, "а не о зачислении"),
    ]
    for extra, message in cases:
        page = panel.post("/admin/student/new/", _pupil_form(klass_id, "Отказова", **extra)).get_data(as_text=True)
        assert message in page, (extra, page[:200])
    session.expire_all()
    assert session.scalar(select(func.count(Student.id)).where(Student.last_name == "Отказова")) == 0
    assert session.scalar(select(func.count(Order.id)).where(Order.number == "114-о")) == 0

    # Picking it from the list is the same record too; the book's line points to it.
    third = panel.post("/admin/student/new/", _pupil_form(klass_id, "Третьякова", enrolment_order=str(order.id)))
    assert third.status_code == 302, third.get_data(as_text=True)
    from models.admission_book import AdmissionBookEntry

    session.expire_all()
    lines = session.scalars(select(AdmissionBookEntry).where(AdmissionBookEntry.last_name.in_(
        ("Первова", "Вторая", "Третьякова")))).all()
    assert len(lines) == 3 and {line.admission_order_id for line in lines} == {order.id}


def test_the_orders_form_refuses_a_number_taken_on_another_day(app, login_as, session):
    session.add(Order(number="20-о", issued_on=DAY, kind="enrolment", title="О зачислении"))
    session.commit()
    panel = login_as("director")
    other_day = (DAY - timedelta(days=1)).strftime("%d.%m.%Y")
    page = panel.post("/admin/order/new/", {"number": "20-о", "issued_on": other_day, "kind": "expulsion",
                                            "title": "Об отчислении", "text": ""}).get_data(as_text=True)
    assert f"Номер 20-о уже занят приказом от {DAY:%d.%m.%Y}" in page
    assert len(orders(session, "20-о")) == 1
    # The numbering starts again in a new year: the same number a year earlier is another order.
    year_ago = date(DAY.year - 1, DAY.month, min(DAY.day, 28)).strftime("%d.%m.%Y")
    done = panel.post("/admin/order/new/", {"number": "20-о", "issued_on": year_ago, "kind": "expulsion",
                                            "title": "Об отчислении", "text": ""})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert len(orders(session, "20-о")) == 2


# --- leaving, promotion, issuance ---------------------------------------------------------------------------

def test_leaving_reuses_the_order_of_its_number_and_refuses_another_kind(app, login_as, session):
    from leaving_seed import pupil_with_carriers
    from test_leaving import form_for

    first, mother, carriers = pupil_with_carriers()
    second = factories.student(last_name="Уходов", klass=first.school_class)
    session.add(Order(number="50-у", issued_on=date(2025, 6, 10), kind="enrolment", title="О зачислении"))
    session.commit()
    form = form_for(first, mother, carriers)
    first_id, second_id = first.id, second.id
    panel = login_as("secretary")
    refused = panel.post(f"/admin/leaving/student/{first_id}", {**form, "order_number": "50-у"})
    assert refused.status_code == 400 and "это приказ о зачислении" in refused.get_data(as_text=True)
    assert session.get(Student, first_id).status == "studying"
    done = panel.post(f"/admin/leaving/student/{first_id}", form)
    assert done.status_code == 302, done.get_data(as_text=True)
    # A second pupil leaving by the same order: one record, listing both.
    done = panel.post(f"/admin/leaving/student/{second_id}", {
        "reason": "transfer", "destination": "Школа № 9", "left_on": form["left_on"],
        "order_number": form["order_number"], "order_date": form["order_date"]})
    assert done.status_code == 302, done.get_data(as_text=True)
    [order] = orders(session, form["order_number"])
    assert order.kind == "transfer" and {s.id for s in order.students} == {first_id, second_id}


def test_conditional_promotion_is_one_kind_and_refuses_another_kinds_number(app, login_as, session):
    from test_archive_acts import _class_with_na

    from models import AcademicYear
    from models.year_end import AcademicDebt, apply_year_marks, certify_year

    teacher, year, klass, pupils, _ = _class_with_na(session)
    apply_year_marks(session, klass.id, year.id, teacher)
    certify_year(session, klass.id, year.id, teacher, TODAY)
    nxt = AcademicYear(name=f"{year.ends_on.year}/{year.ends_on.year + 1}", starts_on=date(year.ends_on.year, 9, 1),
                       ends_on=date(year.ends_on.year + 1, 8, 31), is_current=False)
    session.add(nxt)
    # A transfer to another school under the same number and date: not the order on conditional promotion.
    session.add(Order(number="61-о", issued_on=TODAY, kind="transfer", title="О переводе"))
    session.commit()
    nxt_id, debtor = nxt.id, pupils[1].id
    panel = login_as("secretary")
    refused = panel.post("/admin/leaving/promote", {"to_year": str(nxt_id), "conditional_order_number": "61-о",
                                                    "conditional_order_date": TODAY.isoformat()})
    assert refused.status_code == 400
    assert "это приказ о переводе в другую образовательную организацию" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Student, debtor).school_class_id == klass.id
    done = panel.post("/admin/leaving/promote", {"to_year": str(nxt_id), "conditional_order_number": "62-о",
                                                 "conditional_order_date": TODAY.isoformat()})
    assert done.status_code == 302, done.get_data(as_text=True)
    [order] = orders(session, "62-о")
    assert order.kind == "conditional_promotion" and [s.id for s in order.students] == [debtor]
    assert session.scalar(select(AcademicDebt.conditional_order_id)) == order.id
    # The book of orders on pupils lists it under its kind; printed, it reads as the template of that kind.
    listing = panel.get("/admin/pupil_order/?flt0_0=conditional_promotion").get_data(as_text=True)
    assert "62-о" in listing and "61-о" not in listing
    printed = pdf_text(panel.get(f"/admin/order/pdf/?id={order.id}").data)
    assert "Перевести условно в следующий класс" in printed and "Неаттестованов Иван" in printed


def test_issuance_refuses_an_order_number_of_another_kind(app, session):
    import issuance_seed as seed
    from test_issuance import register, students

    from models.issuance import IssuanceError

    ids = seed.everything()
    klass = session.get(factories.SchoolClass, ids["class"])
    day = TODAY - timedelta(days=2)
    session.add(Order(number="45-в", issued_on=day, kind="graduation", title="О выпуске"))
    session.commit()
    with pytest.raises(IssuanceError) as refused:
        register(ids, seed.rows(klass, students(ids)))
    assert "это приказ о выпуске" in refused.value.errors["order_number"]
    session.rollback()
    register(ids, seed.rows(klass, students(ids)), order_number="46-в")
    session.commit()
    [order] = orders(session, "46-в")
    assert order.kind == "issuance" and {s.id for s in order.students} == set(ids["students"])


def test_the_issuance_page_reuses_the_order_typed_again_and_refuses_another_days_number(app, login_as, session):
    import issuance_seed as seed
    from test_issuance import ORDER, _form, students

    from models import CertificateBookEntry

    ids = seed.everything()
    day = ORDER["order_date"]
    session.add(Order(number="45-в", issued_on=day - timedelta(days=1), kind="issuance", title="О выдаче"))
    session.commit()
    officer = login_as("officer")
    data = _form(ids, students(ids))
    refused = officer.post("/admin/issuance/register", data=data)
    assert f"Номер 45-в уже занят приказом от {day - timedelta(days=1):%d.%m.%Y}" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(CertificateBookEntry.id))) == 0
    # Typed as the register holds it, it is the same record: the graduates go on it.
    done = officer.post("/admin/issuance/register", data=_form(ids, students(ids), order_date=day - timedelta(days=1)))
    assert done.status_code == 302, done.get_data(as_text=True)
    [order] = orders(session, "45-в")
    assert order.issued_on == day - timedelta(days=1) and {s.id for s in order.students} == set(ids["students"])


# --- the migration of the conditional orders ------------------------------------------------------------------

def _revision_before(revision):
    import re
    from pathlib import Path

    path = next((Path(__file__).resolve().parent.parent / "migrations" / "versions").glob(f"{revision}_*.py"))
    return re.search(r"^down_revision = '(\w+)'", path.read_text(encoding="utf-8"), re.M).group(1)


def test_the_migration_makes_the_debts_transfer_orders_conditional_promotions(app, session):
    from flask_migrate import downgrade, upgrade

    from models import Subject
    from models.year_end import AcademicDebt

    year = current_year(session)
    klass = factories.school_class(grade=7, letter="Г")
    debtor = factories.student(last_name="Должников", klass=klass)
    leaver = factories.student(last_name="Ушедший", klass=klass)
    subject = Subject(name="Физика")
    old_way = Order(number="45-у", issued_on=DAY, kind="transfer", title="Об условном переводе")
    real_transfer = Order(number="46-у", issued_on=DAY, kind="transfer", title="О переводе")
    session.add_all([subject, old_way, real_transfer])
    session.flush()
    leaver.leaving_order_id = real_transfer.id
    session.add(AcademicDebt(student=debtor, academic_year_id=year.id, subject=subject, origin="unsatisfactory",
                             arisen_on=DAY, conditional_order_id=old_way.id))
    session.add(AcademicDebt(student=leaver, academic_year_id=year.id, subject=subject, origin="unsatisfactory",
                             arisen_on=DAY, conditional_order_id=real_transfer.id))
    session.commit()
    ids = (old_way.id, real_transfer.id)
    session.remove()

    def kinds():
        db.session.remove()
        found = dict(db.session.execute(text("SELECT id, kind FROM school_order WHERE id IN (:a, :b)"),
                                        {"a": ids[0], "b": ids[1]}).all())
        db.session.remove()
        return found[ids[0]], found[ids[1]]

    before_templates = _revision_before("c4f8a2e6b1d3")
    try:
        downgrade(revision=before_templates)
        assert kinds() == ("transfer", "transfer")
        upgrade()
        # The order a pupil left by stays a transfer; the one only the debts point to is the conditional one.
        assert kinds() == ("conditional_promotion", "transfer")
        downgrade(revision=before_templates)
        assert kinds() == ("transfer", "transfer")
    finally:
        db.session.remove()
        upgrade()
    assert kinds() == ("conditional_promotion", "transfer")
    assert db.session.scalar(select(func.count(OrderTemplate.id))) >= 8


def test_the_pupils_import_refuses_an_order_number_of_another_kind_or_day(app, login_as, session):
    from test_people_import import _row, _upload, _xlsx

    factories.school_class(grade=6, letter="А")
    session.add(Order(number="12-о", issued_on=date(2021, 8, 28), kind="graduation", title="О выпуске"))
    session.add(Order(number="14-о", issued_on=date(2021, 8, 20), kind="enrolment", title="О зачислении"))
    session.commit()
    panel = login_as("secretary")
    other_kind = _upload(panel, _xlsx([_row(number="") + ["", "12-о", "28.08.2021"]]), "у.xlsx", "check")
    assert "это приказ о выпуске" in other_kind.get_data(as_text=True)
    other_day = _upload(panel, _xlsx([_row(number="") + ["", "14-о", "28.08.2021"]]), "у.xlsx", "check")
    assert "номер 14-о уже занят приказом от 20.08.2021" in other_day.get_data(as_text=True)
    done = _upload(panel, _xlsx([_row(number="") + ["", "14-о", "20.08.2021"]]), "у.xlsx", "import")
    assert "Импорт выполнен" in done.get_data(as_text=True)
    [order] = orders(session, "14-о")
    assert [s.last_name for s in order.students] == ["Белова"]


# --- the alphabetical book's search -------------------------------------------------------------------------

@pytest.mark.parametrize("text, found", [
    ("Сидорова", {"Белова"}),            # the pupil's name now: the line keeps the name written at admission
    ("белова", {"Белова"}),              # the surname as the book writes it, typed in lower case
    ("ёлкин", {"Ёлкин"}),                # «ё» typed or not
    ("елкин", {"Ёлкин"}),
    ("Петр", {"Ёлкин", "Бобров"}),       # any word of the ФИО, «ё» in the name
    ("Б-2", {"Бобров"}),                 # the line's number
    ("бр", {"Бобров"}),                  # a fragment shorter than a trigram
    ("обро", {"Бобров"}),                # a fragment
    ("Незнакомов", set()),
])
def test_the_books_search_finds_a_line_by_the_pupils_name_the_books_surname_or_its_number(
        app, login_as, session, text, found):
    klass = factories.school_class(grade=3, letter="А")
    renamed = factories.student(last_name="Белова", first_name="Анна", klass=klass, sex="female")
    factories.student(last_name="Бобров", first_name="Пётр", klass=klass)
    factories.student(last_name="Ёлкин", first_name="Пётр", klass=klass)
    session.commit()
    renamed.last_name = "Сидорова"
    session.commit()
    page = login_as("secretary").get("/admin/admission_book/", query_string={"search": text})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert {name for name in ("Белова", "Бобров", "Ёлкин") if f">{name}<" in html} == found, html[-3000:]

"""The nomenclature of files (items, kinds pointing to them, XLSX and PDF, the act's columns 5 and 7) and the orders
on pupils (kinds, text from a template, pupils, print, the workflows' orders)."""
import io
from datetime import date, timedelta

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

import factories
from models import CarrierKind, EjournalCopy, Order, Student
from models.carriers import DEFAULT_KINDS
from models.nomenclature import NomenclatureItem
from models.people import current_year
from models.retention import draft_act


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def kind(session, code):
    return session.scalar(select(CarrierKind).where(CarrierKind.code == code))


def test_every_default_kind_points_to_an_item_of_the_current_year(app, session):
    year = current_year(session)
    for code, *_ in DEFAULT_KINDS:
        item = kind(session, code).nomenclature_item
        assert item is not None and item.academic_year_id == year.id, code
        assert kind(session, code).nomenclature_index == item.index
    assert kind(session, "admission_book").nomenclature_item.title == "Алфавитная книга записи обучающихся"


def test_items_are_checked_at_the_form_and_a_kind_takes_the_items_index(app, login_as, session):
    year_id = current_year(session).id
    before = session.scalar(select(func.count(NomenclatureItem.id)))
    panel = login_as("deputy")
    form = {"academic_year": str(year_id), "index": "3/1", "title": "Журналы учёта пропусков", "volumes": "2",
            "retention": "5 лет", "list_article": "ст. 000", "note": ""}
    bad = panel.post("/admin/nomenclature/new/", form).get_data(as_text=True)
    assert "например «03-01»" in bad
    form["index"] = "03-01"
    taken = panel.post("/admin/nomenclature/new/", form).get_data(as_text=True)
    assert "Дело с индексом 03-01 в номенклатуре этого года уже есть" in taken
    assert session.scalar(select(func.count(NomenclatureItem.id))) == before
    form["index"] = "02-20"
    assert panel.post("/admin/nomenclature/new/", form).status_code == 302
    item = session.scalar(select(NomenclatureItem).where(NomenclatureItem.index == "02-20"))
    journal = kind(session, "paper_journal")
    journal.nomenclature_item = item
    session.commit()
    session.expire_all()
    assert kind(session, "paper_journal").nomenclature_index == "02-20"
    # Renumbering the item renumbers the kinds filed under it.
    item = session.get(NomenclatureItem, item.id)
    item.index = "02-21"
    session.commit()
    session.expire_all()
    assert kind(session, "paper_journal").nomenclature_index == "02-21"


def test_nomenclature_exports_to_xlsx_and_prints_for_approval(app, login_as, session):
    year = current_year(session)
    panel = login_as("secretary")
    response = panel.get("/admin/nomenclature/export/xlsx/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["Индекс дела", "Заголовок дела (тома, части)", "Кол-во дел (томов, частей)",
                           "Срок хранения"]
    assert ["03-01", "Алфавитная книга записи обучающихся"] in [r[:2] for r in rows]
    text = pdf_text(panel.get(f"/admin/nomenclature/pdf/?year={year.id}").data)
    assert "УТВЕРЖДАЮ" in text and f"НОМЕНКЛАТУРА ДЕЛ на {year.name} учебный год" in text
    assert "Срок хранения дела (тома, части) и № статей по перечню" in text
    assert "03-02 Личные дела обучающихся 1 3 года после выбытия" in text


def test_destruction_act_reads_columns_5_and_7_from_the_nomenclature(app, login_as, session):
    item = kind(session, "ejournal_copy").nomenclature_item
    item.list_article = "ст. 77 перечня школы"
    copy = EjournalCopy(kind_id=kind(session, "ejournal_copy").id, title="Копия 9А за 2000/2001",
                        created_on=date(2001, 6, 1))
    session.add(copy)
    session.flush()
    deputy = factories.user("act_deputy", ["deputy"], full_name="Заместителева Вера Павловна")
    act = draft_act(session, carrier_ids=[copy.id], user=deputy, act_date=date(2010, 3, 1))
    session.commit()
    [line] = act.lines
    assert (line.nomenclature_index, line.retention_text, line.clause) == ("02-15", "5 лет", "ст. 77 перечня школы")
    text = pdf_text(login_as("deputy").get(f"/admin/retention_review/act/{act.id}/pdf").data)
    assert "02-15" in text and "5 лет; ст. 77 перечня школы" in text


def test_order_form_lists_pupils_writes_the_text_from_the_template_and_prints(app, login_as, session):
    klass = factories.school_class(grade=4, letter="Б")
    one = factories.student(last_name="Андреев", klass=klass)
    two = factories.student(last_name="Борисова", first_name="Анна", klass=klass, sex="female")
    session.commit()
    panel = login_as("secretary")
    response = panel.post("/admin/order/new/", {
        "number": "112-о", "issued_on": (date.today() - timedelta(days=3)).strftime("%d.%m.%Y"),
        "kind": "repeat_year", "title": "Об оставлении на повторное обучение", "students": f"{one.id},{two.id}",
        "text": "", "signed_by": "Директорова Е. В."})
    assert response.status_code == 302, response.get_data(as_text=True)
    order = session.scalar(select(Order).where(Order.number == "112-о"))
    assert {s.id for s in order.students} == {one.id, two.id}
    assert "Оставить на повторное обучение" in order.text and "2. Борисова Анна Сергеевич" in order.text
    text = pdf_text(panel.get(f"/admin/order/pdf/?id={order.id}").data)
    assert "ПРИКАЗ" in text and "№ 112-о" in text and "Об оставлении на повторное обучение" in text
    assert "1. Андреев Пётр Сергеевич" in text and "Директорова Е. В." in text
    # The book of orders on pupils lists it; an order on staff is not an order on pupils.
    session.add(Order(number="5-к", issued_on=date.today(), kind="appointment", title="О назначении ответственных"))
    session.commit()
    listing = panel.get("/admin/pupil_order/").get_data(as_text=True)
    assert "112-о" in listing and "5-к" not in listing
    assert panel.get("/admin/order/pdf/?id=999999").status_code == 404


def test_issuance_puts_its_graduates_on_the_issuance_order(app, session):
    import issuance_seed as seed
    from test_issuance import register, students

    ids = seed.everything()
    klass = session.get(factories.SchoolClass, ids["class"])
    register(ids, seed.rows(klass, students(ids)))
    session.commit()
    order = session.scalar(select(Order).where(Order.number == "45-в"))
    assert order.kind == "issuance" and {s.id for s in order.students} == set(ids["students"])
    assert session.scalar(select(func.count(Student.id))) >= 3


def test_promotion_page_picks_the_promotion_and_repeat_orders_and_lists_their_pupils(app, login_as, session):
    from models import AcademicYear

    five = factories.school_class(grade=5, letter="Б")
    stays = factories.student(last_name="Повторов", klass=five)
    moves = factories.student(last_name="Переводов", klass=five)
    now = current_year(session)
    start = now.starts_on.year + 1
    session.add(AcademicYear(name=f"{start}/{start + 1}", starts_on=date(start, 9, 1), ends_on=date(start + 1, 8, 31)))
    session.add(Order(number="77-о", issued_on=date.today(), kind="appointment", title="О назначении"))
    session.commit()
    new_year = session.scalar(select(AcademicYear.id).where(AcademicYear.starts_on == date(start, 9, 1)))
    ids = (stays.id, moves.id)
    panel = login_as("secretary")
    today = date.today().isoformat()
    form = {"to_year": str(new_year), f"stay_{ids[0]}": "on", "promotion_order_number": "77-о",
            "promotion_order_date": today, "repeat_order_number": "78-о", "repeat_order_date": today}
    refused = panel.post("/admin/leaving/promote", form)
    assert refused.status_code == 400 and "это приказ о назначении ответственных" in refused.get_data(as_text=True)
    assert session.get(Student, ids[1]).school_class.academic_year_id == now.id
    form["promotion_order_number"] = "79-о"
    done = panel.post("/admin/leaving/promote", form, follow_redirects=True)
    assert "Классы переведены" in done.get_data(as_text=True)
    session.expire_all()
    promotion = session.scalar(select(Order).where(Order.number == "79-о"))
    repeat = session.scalar(select(Order).where(Order.number == "78-о"))
    assert promotion.kind == "promotion" and [s.id for s in promotion.students] == [ids[1]]
    assert repeat.kind == "repeat_year" and [s.id for s in repeat.students] == [ids[0]]
    text = pdf_text(panel.get(f"/admin/order/pdf/?id={repeat.id}").data)
    assert "Оставить на повторное обучение" in text and "Повторов Пётр Сергеевич" in text


def test_a_schools_own_index_on_a_kind_becomes_its_item(app, session):
    from models.nomenclature import seed_nomenclature

    journal = kind(session, "paper_journal")
    journal.nomenclature_item = None
    journal.nomenclature_index = "05-12"
    session.commit()
    seed_nomenclature(session, current_year(session))
    session.commit()
    session.expire_all()
    journal = kind(session, "paper_journal")
    assert journal.nomenclature_index == "05-12" and journal.nomenclature_item.index == "05-12"
    assert journal.nomenclature_item.title == journal.name


def test_an_item_a_kind_is_filed_under_is_not_deleted(app, login_as, session):
    item = kind(session, "personal_file").nomenclature_item
    item_id = item.id
    session.commit()
    page = login_as("secretary").post("/admin/nomenclature/delete/", {"id": str(item_id)}, follow_redirects=True)
    assert "виды носителей — 1" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(NomenclatureItem, item_id) is not None


def test_a_kind_is_not_saved_without_its_item(app, login_as, session):
    rule = kind(session, "summary_sheet")
    item_id = rule.nomenclature_item_id
    panel = login_as("admin")
    form = {"name": rule.name, "medium": "paper", "must_store": "y", "retention_kind": "years",
            "retention_years": "25", "clock_start": "year_end", "needs_destruction_act": "y",
            "nomenclature_item": "__None", "loaded_version": str(rule.version)}
    refused = panel.post(f"/admin/carrier_kind/edit/?id={rule.id}", form)
    assert "Укажите дело номенклатуры" in refused.get_data(as_text=True)
    session.expire_all()
    assert kind(session, "summary_sheet").nomenclature_item_id == item_id

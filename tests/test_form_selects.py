"""Selects of generated forms: the same markup as WTForms writes, reference rows read once per request, never stale."""
from datetime import date

from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.form import Select2Field, Select2Widget
from sqlalchemy import select
from wtforms import Form

import factories
from conftest import sql_statements
from admin.base import PanelSelectWidget
from models import CarrierKind, PersonalFile
from models.people import current_year

CHOICES = [("", ""), ("a<b", 'Тег <b> & "кавычки"'), ("2", "Второй"), ("3", "")]


class PlainForm(Form):
    field = Select2Field(choices=CHOICES, allow_blank=True, widget=Select2Widget())


class PanelForm(Form):
    field = Select2Field(choices=CHOICES, allow_blank=True, widget=PanelSelectWidget())


def test_panel_select_writes_the_markup_wtforms_writes():
    for value in ("a<b", "2", "", None):
        panel = str(PanelForm(data={"field": value}).field())
        assert panel == str(PlainForm(data={"field": value}).field())
    chosen = str(PanelForm(data={"field": "a<b"}).field())
    assert '<option selected value="a&lt;b">Тег &lt;b&gt; &amp; &#34;кавычки&#34;</option>' in chosen
    assert '<option value="3">3</option>' in chosen  # an empty label shows the value, as in WTForms


def test_empty_choice_of_an_optional_record_select_is_shown_empty():
    rows = [(1, "Хранитель Анна"), (2, "Хранитель Борис")]

    class Custodian(Form):
        field = QuerySelectField(query_factory=lambda: rows, get_pk=lambda row: row[0],
                                 get_label=lambda row: row[1], allow_blank=True, widget=PanelSelectWidget())

    empty = str(Custodian().field())
    assert '<option selected value="__None"></option>' in empty  # WTForms would label it «__None»
    assert "__None</option>" not in empty
    assert '<option selected value="2">Хранитель Борис</option>' in str(Custodian(data={"field": rows[1]}).field())


def _year_lists(statements):
    return [s for s in statements if "FROM academic_year" in s and "WHERE" not in s]


def test_edit_form_reads_the_years_once_and_afresh_on_the_next_request(app, login_as, session):
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    record = PersonalFile(kind=kind, number="И-1", student=factories.student(), created_on=date(2019, 9, 1))
    session.add(record)
    session.commit()
    year = current_year(session).name
    panel = login_as("secretary")
    with sql_statements() as statements:
        page = panel.get(f"/admin/personal_file/edit/?id={record.id}").get_data(as_text=True)
    # The annual marks and the certifications both offer every academic year: one query serves both.
    assert page.count(year) >= 2
    assert len(_year_lists(statements)) == 1

    added = factories.other_year()
    session.commit()
    with sql_statements() as statements:
        page = panel.get(f"/admin/personal_file/edit/?id={record.id}").get_data(as_text=True)
    # Both new rows offer it: their markup, kept between requests, follows the option lists.
    assert page.count(added.name) >= 2
    assert len(_year_lists(statements)) == 1


def test_edit_form_shows_its_kind_and_custodian_from_the_option_lists(app, login_as, session):
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    keeper = factories.user("keeper", "officer", full_name="Хранитель Анна")
    record = PersonalFile(kind=kind, number="И-2", student=factories.student(), created_on=date(2019, 9, 1),
                          custodian=keeper)
    session.add(record)
    session.commit()
    panel = login_as("secretary")
    with sql_statements() as statements:
        page = panel.get(f"/admin/personal_file/edit/?id={record.id}").get_data(as_text=True)
    assert f'<option selected value="{kind.id}">{kind.name}</option>' in page
    assert f'<option selected value="{keeper.id}">Хранитель Анна</option>' in page
    # Each is read with its select's options, not once more by itself.
    assert [s for s in statements if "FROM carrier_kind" in s and "carrier_kind.id =" in s] == []
    user_rows = [s for s in statements if 'FROM "user" WHERE "user".id =' in s or "FROM user WHERE user.id =" in s]
    assert len(user_rows) == 1  # the logged-in user, loaded by Flask-Login

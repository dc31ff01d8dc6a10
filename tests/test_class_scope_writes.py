"""A class teacher writes only into the own class: every relation field of every form the role may submit,
posted directly with another class's ids, is refused with a Russian message and nothing is saved."""
from datetime import date

import factories
import pytest
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from wtforms import BooleanField, FileField, HiddenField

from models.roles import role_can
from models import (
    CarrierKind,
    PersonalFile,
    Portfolio,
    SchoolClass,
    Student,
    db,
)
from models.people import current_year
from models.scope import own_class_condition

REFUSED = "своего класса"


def _scoped_views(app):
    views = [v for v in app.extensions["panel_admin"]._views if isinstance(v, ModelView)]
    return [v for v in views if role_can("class_teacher", v.target, "create")
            or role_can("class_teacher", v.target, "edit")]


def _other_class(session):
    """Another teacher's class with its pupil, portfolio and personal file, made as the secretary would."""
    year = current_year(session)
    klass = factories.school_class(grade=9, letter="Б", teacher=factories.user("teacher_b", ["class_teacher"]),
                                   year=year)
    pupil = factories.student("Чужой", "Антон", klass=klass)

    def kind(code):
        return session.scalar(select(CarrierKind).where(CarrierKind.code == code))

    portfolio = Portfolio(kind=kind("portfolio"), student=pupil, school_class=klass, created_on=year.starts_on)
    file = PersonalFile(kind=kind("personal_file"), number="Ч-1", student=pupil, school_class=klass,
                        created_on=year.starts_on, location="Приёмная")
    session.add_all([portfolio, file])
    session.commit()
    return {Student: pupil, SchoolClass: klass, Portfolio: portfolio, PersonalFile: file}


def _value(field, value):
    if value is None:
        return None
    if isinstance(value, db.Model):
        return str(value.id)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(field, BooleanField):
        return "y" if value else None
    return str(value)


def _payload(app, view, record, creating):
    """The form a person would send for `record` (its own values), built from the register's own form."""
    with app.test_request_context():
        form = view.create_form() if creating else view.edit_form(record)
    data, relations = {}, {}
    mapper = sa_inspect(view.model)
    for field in form:
        if field.name == "csrf_token" or isinstance(field, FileField) or getattr(field, "entries", None) is not None:
            continue
        if isinstance(field, HiddenField) and field.name == "loaded_version":
            data[field.name] = str(record.version)
            continue
        value = _value(field, getattr(record, field.name, None))
        if value is not None:
            data[field.name] = value
        if field.name in mapper.relationships:
            target = mapper.relationships[field.name].mapper.class_
            if own_class_condition(target, 0) is not None:
                relations[field.name] = target
    return data, relations


def _state(session, view, record_id):
    session.expire_all()
    record = session.get(view.model, record_id)
    columns = {c.key: getattr(record, c.key) for c in sa_inspect(view.model).column_attrs if c.key != "version"}
    return session.scalar(select(func.count()).select_from(view.model)), columns


@pytest.mark.parametrize("action", ["create", "edit"])
def test_class_teacher_cannot_write_another_class_into_any_relation_field(app, login_as, session, action):
    me = factories.user("teacher_a", ["class_teacher"])
    mine = factories.seed_everything(teacher=me)
    theirs = _other_class(session)
    panel = login_as("class_teacher", login="teacher_a")
    checked = []
    for view in _scoped_views(app):
        if not role_can("class_teacher", view.target, action):
            continue
        record = session.get(view.model, mine[view.model].id)
        data, relations = _payload(app, view, record, creating=action == "create")
        url = f"/admin/{view.endpoint}/" + ("new/" if action == "create" else f"edit/?id={record.id}")
        assert relations, f"{view.endpoint}: no relation field with a class scope found"
        for name, target in relations.items():
            before = _state(session, view, record.id)
            other = theirs[next(m for m in theirs if issubclass(m, target) or issubclass(target, m))]
            response = panel.post(url, data={**data, name: str(other.id)})
            assert response.status_code == 200, f"{view.endpoint}.{name}: {response.status_code}"
            assert REFUSED in response.get_data(as_text=True) or "свой класс" in response.get_data(as_text=True), \
                f"{view.endpoint}.{name}: no message"
            assert _state(session, view, record.id) == before, f"{view.endpoint}.{name}: saved"
            checked.append(f"{view.endpoint}.{name}")
        # The same form with the own class's values goes through: the refusals above are the scope's alone.
        count, _ = _state(session, view, record.id)
        if action == "edit":
            data["loaded_version"] = str(session.get(view.model, record.id).version)
        response = panel.post(url, data=data)
        assert response.status_code == 302, f"{view.endpoint}: {response.get_data(as_text=True)[:2000]}"
        if action == "create":
            assert _state(session, view, record.id)[0] == count + 1
    expected = {"create": {"portfolio.student", "portfolio.school_class", "portfolio_item.portfolio"},
                "edit": {"portfolio.student", "portfolio.school_class", "portfolio_item.portfolio",
                         "personal_file.student", "personal_file.school_class"}}[action]
    assert expected <= set(checked)

"""Two users save the same record from the same loaded version: the second is refused, for every register's form."""
from html.parser import HTMLParser

from flask_admin.contrib.sqla import ModelView

import factories
from admin.base import STALE_MESSAGE
from models.roles import ROLES, role_can
from models import db

# Text fields safe to change on any register (no format rules): the first one a form has is edited.
FREE_TEXT = ("correction_reason", "note", "location", "title", "phone", "position", "address", "document_footer", "identity_document",
             "medical_card_location", "group_name", "teacher", "returned_to", "keeper", "source_clause")


class FormReader(HTMLParser):
    """What a browser would submit from the page's main form (inputs, checked boxes, selected options)."""

    def __init__(self):
        super().__init__()
        self.data, self.in_form, self.select, self.textarea = [], False, None, None
        self.text_fields = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "admin-form" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "y")))
            elif kind not in ("submit", "button", "file"):
                self.data.append((name, a.get("value", "")))
                if kind == "text":
                    self.text_fields.append(name)
        elif tag == "select" and name:
            self.select = [name, None, "multiple" in a]
        elif tag == "option" and self.select is not None and "selected" in a:
            self.data.append((self.select[0], a.get("value", "")))
            self.select[1] = True
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None:
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.data.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form = False


def read_form(html):
    reader = FormReader()
    reader.feed(html)
    return reader


def editable_views(app):
    for view in app.extensions["panel_admin"]._views:
        if isinstance(view, ModelView) and hasattr(view.model, "version"):
            roles = [r for r in ROLES if r != "class_teacher" and role_can(r, view.target, "view")
                     and role_can(r, view.target, "edit")]
            if roles:
                yield view, roles[0]


def _post(panel, url, pairs):
    from werkzeug.datastructures import MultiDict

    return panel.post(url, MultiDict(pairs))


def test_every_register_refuses_the_second_stale_save(app, login_as):
    with app.app_context():
        records = factories.seed_everything()
        ids = {model: record.id for model, record in records.items()}
        views = list(editable_views(app))
        by_view = {}
        for view, _ in views:
            seeded = db.session.get(view.model, ids[view.model]) if view.model in ids else None
            codes = getattr(view, "kind_codes", None)  # two registers share ExamProtocol, told apart by kind
            if seeded is not None and (not codes or seeded.kind.code in codes):
                by_view[view.endpoint] = seeded.id
                continue
            query = db.select(view.model)
            if codes:
                from models import CarrierKind

                query = query.join(CarrierKind, view.model.kind_id == CarrierKind.id).where(
                    CarrierKind.code.in_(codes))
            by_view[view.endpoint] = db.session.scalars(query).first().id
    assert len(views) >= 15, [v.endpoint for v, _ in views]
    problems = []
    for view, role in views:
        first, second = login_as(role, login=f"{role}_a"), login_as(role, login=f"{role}_b")
        url = f"/admin/{view.endpoint}/edit/?id={by_view[view.endpoint]}"
        form_a, form_b = read_form(first.get(url).get_data(as_text=True)), read_form(second.get(url).get_data(as_text=True))
        if not any(name == "loaded_version" for name, _ in form_a.data):
            problems.append(f"{view.endpoint}: в форме нет скрытой версии записи")
            continue
        field = next((f for f in FREE_TEXT if f in form_a.text_fields), None)
        pairs_a = [(n, v + " (правка А)" if n == field else v) for n, v in form_a.data if n != "csrf_token"]
        saved = _post(first, url, pairs_a)
        if field is None:
            # Nothing free to retype on this form: another user's save is simulated by bumping the version.
            with app.app_context():
                table = view.model.__mapper__.version_id_col.table
                db.session.execute(table.update().where(table.c.id == by_view[view.endpoint])
                                   .values(version=table.c.version + 1))
                db.session.commit()
        if saved.status_code != 302:
            import re

            problems.append(f"{view.endpoint}: первое сохранение не прошло ({saved.status_code}) "
                            f"{re.findall(r'<li>([^<]+)</li>', saved.get_data(as_text=True))}")
            continue
        pairs_b = [(n, v + " (правка Б)" if n == field else v) for n, v in form_b.data if n != "csrf_token"]
        stale = _post(second, url, pairs_b)
        page = stale.get_data(as_text=True)
        if stale.status_code != 200 or STALE_MESSAGE.split(".")[0] not in page:
            problems.append(f"{view.endpoint}: второе сохранение из устаревшей формы не отклонено "
                            f"({stale.status_code})")
            continue
        with app.app_context():
            record = db.session.get(view.model, by_view[view.endpoint])
            if field and not str(getattr(record, field)).endswith("(правка А)"):
                problems.append(f"{view.endpoint}: правка первого пользователя перезаписана")
        if field and "(правка А)" not in page:
            problems.append(f"{view.endpoint}: форма не показывает текущие значения")
    assert not problems, "\n".join(problems)

"""The one base view: role checks from the matrix, Russian dates, optimistic locking, domain validation."""
import warnings
from datetime import date, datetime
from io import BytesIO
from urllib.parse import quote

from flask import Response, abort, current_app, flash, g, has_request_context, request, session
from flask_admin import expose
from flask_admin._compat import csv_encode
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.contrib.sqla.fields import QuerySelectField, QuerySelectMultipleField
from flask_admin.model.fields import AjaxSelectField, AjaxSelectMultipleField
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import DatePickerWidget, Select2Field, Select2Widget
from flask_admin.model.form import converts
from flask_admin.model import typefmt
from flask_admin.model.template import BaseListRowAction, DeleteRowAction, EditRowAction, ViewRowAction
from flask_babel import format_datetime, to_utc
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from flask_wtf.i18n import translations as flask_wtf_translations
from markupsafe import Markup, escape
from sqlalchemy import BigInteger, Integer, inspect as sa_inspect, text
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.utils import secure_filename
from sqlalchemy.sql.visitors import iterate
from wtforms import fields
from wtforms.fields import HiddenField
from wtforms.fields.choices import Choice
from wtforms.validators import NumberRange
from wtforms.widgets import Input
from wtforms.fields.core import UnboundField
from wtforms.form import BaseForm

from models import db
from models.db import INT_RANGE
from models.carriers import StrictAccountabilityError
from models.references import RecordInUseError
from models.export_cells import csv_text, inert_workbook
from models.scope import model_target, outside_own_class, own_class_condition
from models.text import strip_control_characters
from models.dates import DATE_MESSAGE, parse_moment, year_in_range

from models.roles import own_class_only

from .access import MatrixAccess, allowed
from .fields import AjaxSelectWidget, fast_input, html_params as fast_html_params

DATE_FORMAT = "%d.%m.%Y"
# Flask-Admin 2.2.1's Russian catalogue lacks these two, so a refused form would greet people in English.
UNTRANSLATED_FLASHES = {
    "Failed to create record.": "Запись не создана: исправьте то, что отмечено у полей.",
    "Failed to save record.": "Изменения не сохранены.",
}
MAX_PAGE = 10_000_000  # past any register's last page, and its OFFSET still fits PostgreSQL's bigint
STALE_MESSAGE = ("Запись изменил другой пользователь, пока вы её редактировали. Ваши изменения не сохранены; "
                 "на форме показаны текущие значения — внесите правку ещё раз.")

# Flask-Admin view method name -> matrix action.
VIEW_ACTIONS = {
    "index_view": "view",
    "details_view": "view",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "export": "export",
    "ajax_update": "edit",
}


class RuDatePickerWidget(DatePickerWidget):
    html_params = staticmethod(fast_html_params)

    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-date-format", "DD.MM.YYYY")
        kwargs.setdefault("placeholder", "ДД.ММ.ГГГГ")
        return super().__call__(field, **kwargs)


class RuDateField(fields.DateField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", DATE_FORMAT)
        kwargs.setdefault("widget", RuDatePickerWidget())
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(DATE_MESSAGE)
        if self.data is not None:
            year_in_range(self.data)  # its ValueError is the field's Russian message


BLANK_CHOICE = "__None"  # the value Flask-Admin gives the empty choice of an optional select


class PanelSelectWidget(Select2Widget):
    """Flask-Admin's select with plain options written in one step.

    WTForms builds every <option> through html_params and Markup.format; an edit form with inline lists writes a
    few hundred of them (years, subjects, users, marks), a tenth of the page's time. The markup is the same, except
    that the empty choice is shown empty."""

    def __call__(self, field, **kwargs):
        if field.has_groups():
            return super().__call__(field, **kwargs)
        # Select2Widget's and WTForms' Select's markup, its attributes written by admin/fields.py's html_params.
        kwargs.setdefault("data-role", "select2")
        if getattr(field, "allow_blank", False) and not self.multiple:
            kwargs["data-allow-blank"] = "1"
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        html = [f"<select {fast_html_params(name=field.name, **kwargs)}>"]
        html.extend(self.render_option(choice) for choice in _choices(field))
        html.append("</select>")
        return Markup("".join(html))

    @classmethod
    def render_option(cls, choice, **kwargs):
        value = choice.value
        if kwargs or choice.render_kw or value is None or isinstance(value, bool):
            return super().render_option(choice, **kwargs)
        selected = " selected" if choice.selected else ""
        # WTForms shows an option without a label by its value: the empty choice of an optional select read «__None».
        label = choice.label or ("" if value == BLANK_CHOICE else value)
        return Markup(f'<option{selected} value="{escape(value)}">{escape(label)}</option>')


def _choices(field):
    """A select's options as WTForms' Choice. Flask-Admin's selects still yield (value, label, selected, render_kw)
    tuples, which WTForms converts with a deprecation warning for every option."""
    for choice in field.iter_choices():
        if isinstance(choice, tuple):
            value, label, selected, *render_kw = choice
            choice = Choice(value=value, label=label, selected=selected, render_kw=render_kw[0] if render_kw else {})
        yield choice


def request_rows(key, factory):
    """The rows of a select's query, read once per request: a form with inline lists asks for the same academic
    years or users in every row and in the template of a new row."""

    def rows():
        if not has_request_context():
            return factory()
        cache = request.__dict__.setdefault("_panel_select_rows", {})
        if key not in cache:
            cache[key] = list(factory())
        return cache[key]

    rows.request_rows = True
    return rows


def _select_row_lists(form_class):
    """The request_rows lists of a form class's selects, its inline forms' included."""
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        if not isinstance(unbound, UnboundField):
            continue
        factory = unbound.kwargs.get("query_factory")
        if getattr(factory, "request_rows", False):
            yield factory
        for arg in unbound.args:  # an inline list carries its row's form class
            if isinstance(arg, type) and issubclass(arg, BaseForm):
                yield from _select_row_lists(arg)


class PanelModelConverter(AdminModelConverter):
    # Same name as Flask-Admin's method: both claim "Date", and the converter table is built by name order.
    @converts("Date")
    def convert_date(self, field_args, **extra):
        field_args.pop("widget", None)
        return RuDateField(**field_args)

    # Same name as Flask-Admin's handler of Integer columns, for the same reason as convert_date.
    @converts("Integer")
    def handle_integer_types(self, column, field_args, **extra):
        if not isinstance(column.type, BigInteger):
            # A number the column cannot hold is refused at the field instead of failing in the database.
            field_args["validators"].append(NumberRange(min=INT_RANGE.start, max=INT_RANGE.stop - 1,
                                                        message="Слишком большое число."))
        return super().handle_integer_types(column, field_args, **extra)

    def _model_select_field(self, prop, multiple, remote_model, **kwargs):
        loader = getattr(self.view, "_form_ajax_refs", {}).get(prop.key)
        if loader is not None:
            # Flask-Admin's own prompt reads «Пожалуйста, выберите модель».
            loader.options.setdefault("placeholder", "Начните вводить, чтобы найти")
            kwargs.setdefault("widget", AjaxSelectWidget(multiple=bool(multiple)))
        else:
            factory = kwargs.get("query_factory")
            if factory is None:
                session = self.session
                factory = lambda: session.query(remote_model)  # noqa: E731
            kwargs["query_factory"] = request_rows((remote_model, kwargs.get("query_factory")), factory)
        return super()._model_select_field(prop, multiple, remote_model, **kwargs)

    def convert(self, *args, **kwargs):
        field = super().convert(*args, **kwargs)
        field_class = getattr(field, "field_class", None)
        if field_class is not None and issubclass(field_class, (QuerySelectField, Select2Field)) \
                and "widget" not in field.kwargs:
            field.kwargs["widget"] = PanelSelectWidget(multiple=issubclass(field_class, QuerySelectMultipleField))
        elif field_class is not None and "widget" not in field.kwargs and field_class.__module__.startswith("wtforms.") \
                and isinstance(getattr(field_class, "widget", None), Input):
            # WTForms' own fields take their widget from the class; others (RuDateField) may choose it themselves.
            field.kwargs["widget"] = fast_input(field_class.widget)
        return field


def _date_format(view, value, name=None):
    return value.strftime(DATE_FORMAT)


def _datetime_format(view, value, name=None):
    # Stored in UTC (one clock for every server); shown in the school's time zone (setting TIMEZONE).
    return format_datetime(value, "dd.MM.yyyy HH:mm")


def _bool_format(view, value, name=None):
    return "да" if value else "нет"


class _RuDateValue:
    def clean(self, value):
        return parse_moment(value).date()


class _RuDateRange:
    with_time = False

    def clean(self, value):
        parts = value.split(" to ")
        if len(parts) != 2:
            raise ValueError(value)
        start = parse_moment(parts[0], with_time=self.with_time)
        end = parse_moment(parts[1], with_time=self.with_time, end_of_day=self.with_time)
        return [start, end] if self.with_time else [start.date(), end.date()]

    def validate(self, value):
        try:
            start, end = self.clean(value)
        except ValueError:
            return False
        return start <= end


class _RuDateTimeRange(_RuDateRange):
    # Date-times are stored in UTC and shown in the school's zone: a typed time is the school's time too.
    with_time = True

    def clean(self, value):
        return [to_utc(moment) for moment in super().clean(value)]


class _RuDateTimeValue:
    def clean(self, value):
        return to_utc(parse_moment(value, with_time=True))


class _IntInRange:
    """A number filter takes only what the column can hold: 99999999999 is an SQL error on PostgreSQL."""

    def clean(self, value):
        cleaned = super().clean(value)
        if any(number not in INT_RANGE for number in (cleaned if isinstance(cleaned, list) else [cleaned])):
            raise ValueError(value)
        return cleaned


def _ru_filter(base, mixin):
    return type("Ru" + base.__name__, (mixin, base), {})


IntEqualFilter = _ru_filter(sqla_filters.IntEqualFilter, _IntInRange)  # for filters declared by hand


class RuFilterConverter(sqla_filters.FilterConverter):
    """Flask-Admin's date filters parse only ISO; ours take ДД.ММ.ГГГГ as typed by people, and ISO too."""

    date_filters = tuple(
        _ru_filter(f, _RuDateRange if issubclass(f, sqla_filters.DateBetweenFilter) else _RuDateValue)
        if f is not sqla_filters.FilterEmpty else f for f in sqla_filters.FilterConverter.date_filters)
    int_filters = tuple(_ru_filter(f, _IntInRange) if f is not sqla_filters.FilterEmpty else f
                        for f in sqla_filters.FilterConverter.int_filters)
    datetime_filters = tuple(
        _ru_filter(f, _RuDateTimeRange if issubclass(f, sqla_filters.DateTimeBetweenFilter) else _RuDateTimeValue)
        if f is not sqla_filters.FilterEmpty else f for f in sqla_filters.FilterConverter.datetime_filters)


MISSING_RECORD = "Выбранная запись не найдена (возможно, её удалили): выберите её заново."


def _chosen_but_missing(field):
    """A select posted with a value that names no record: Flask-Admin turns it into «nothing chosen», and a pupil
    posted with a class id that does not exist was saved without a class."""
    raw = [v for v in (field.raw_data or []) if str(v).strip() not in ("", BLANK_CHOICE)]
    if not raw:
        return False
    if isinstance(field, (QuerySelectMultipleField, AjaxSelectMultipleField)):
        return len(field.data or []) < len(raw)
    return field.data is None


def _select_fields(form):
    """The select fields of a form and of its inline rows."""
    for field in form:
        if isinstance(field, (QuerySelectField, QuerySelectMultipleField, AjaxSelectField, AjaxSelectMultipleField)):
            yield field
        for entry in getattr(field, "entries", None) or ():
            inner = getattr(entry, "form", None)
            if inner is not None:
                yield from _select_fields(inner)


_WTFORMS_CATALOGUES = {}


class _WtformsMessages:
    """WTForms' own messages («Обязательное поле.») in the request's language, the catalogue read once per process
    and language: Flask-WTF's translations read the .mo file again for every request that builds a form."""

    @staticmethod
    def _catalogue():
        from babel import support
        from flask_babel import get_locale
        from wtforms.i18n import messages_path

        locale = get_locale()
        key = str(locale)
        found = _WTFORMS_CATALOGUES.get(key)
        if found is None:
            found = _WTFORMS_CATALOGUES[key] = support.Translations.load(messages_path(), [locale], domain="wtforms")
        return found

    def gettext(self, string):
        return self._catalogue().ugettext(string)

    def ngettext(self, singular, plural, n):
        return self._catalogue().ungettext(singular, plural, n)


WTFORMS_MESSAGES = _WtformsMessages()


class PanelForm(FlaskForm):
    """Flask-WTF form: every generated form carries the CSRF token that CSRFProtect checks."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            found = super().get_translations(form)
            return WTFORMS_MESSAGES if found is flask_wtf_translations and has_request_context() else found

    def __init__(self, formdata=_Auto, obj=None, prefix="", **kwargs):
        # Flask-Admin's Unique validator compares with form._obj: without it, saving any record with a
        # unique column (a login, a year, a certificate number) would be refused as «already exists».
        self._obj = obj
        super().__init__(formdata=formdata, obj=obj, prefix=prefix, **kwargs)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators=extra_validators)
        for field in _select_fields(self):
            if _chosen_but_missing(field) and MISSING_RECORD not in field.errors:
                field.errors = list(field.errors) + [MISSING_RECORD]
                valid = False
        return valid


def record_key(model, value):
    """The primary key typed into a URL or sent by a form, as the column's type; None when it cannot be one.

    PostgreSQL refuses «abc» or 99999999999 for an integer key with an error (a 500 page); SQLite just finds
    nothing. Either way the user should get the panel's «no such record»."""
    column = sa_inspect(model).primary_key[0]
    if not isinstance(column.type, Integer):
        return value
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if isinstance(column.type, BigInteger):
        return number if -2 ** 63 <= number < 2 ** 63 else None
    return number if number in INT_RANGE else None


class RecordLink(BaseListRowAction):
    """A row's «view» or «edit» icon, the same markup as Flask-Admin's, with its URL built once per page.

    Building it per row (a URL rule lookup and encoding for each of 50 rows, twice) was a fifth of a list's time."""

    MARK = "__record_id__"

    def __init__(self, endpoint, icon_class, title):
        super().__init__(title=title)
        self.endpoint, self.icon_class = endpoint, icon_class

    def parts(self, context):
        """The whole link written once per page, cut where the row's id goes (a quoted id has nothing to escape)."""
        view, return_url = context.resolve("admin_view"), context.resolve("return_url")
        links = g.setdefault("record_links", {})
        key = (view.endpoint, self.endpoint, return_url)
        parts = links.get(key)
        if parts is None:
            url = view.get_url(self.endpoint, id=self.MARK, url=return_url)
            parts = links[key] = str(Markup(f'<a class="icon" href="{escape(url)}" title="{escape(self.title or "")}">'
                                            f'<span class="{self.icon_class}"></span></a>')).split(self.MARK, 1)
        return parts

    def render(self, context, row_id, row):
        return Markup(quote(str(row_id), safe="").join(self.parts(context)))


class SecureModelView(MatrixAccess, ModelView):
    target = None  # the matrix row of this register (see MatrixAccess)
    category_name = None
    # Strict accountability registers never delete; entries are annulled instead.
    strict = False
    # Lists of personal data: every export is entered in the personal-data disclosure register (003 §7.5.4).
    personal_data = False

    list_template = "admin/register_list.html"
    # Loaders (functions returning a loader option) of the relations a record's form and page show with it, read in
    # the record's query: a look-up field shows its chosen row's label, which would otherwise be a query each.
    record_loads = ()
    form_base_class = PanelForm
    model_form_converter = PanelModelConverter
    filter_converter = RuFilterConverter()
    page_size = 50
    can_view_details = True
    can_set_page_size = False
    export_types = ["csv", "xlsx"]
    column_display_pk = False
    # Flask-Admin takes the first type a value is an instance of, and a datetime is a date too: datetime first,
    # or a time of day is cut off.
    column_type_formatters = {datetime: _datetime_format, **typefmt.BASE_FORMATTERS, date: _date_format,
                              bool: _bool_format}
    column_type_formatters_detail = column_type_formatters
    column_type_formatters_export = {datetime: _datetime_format, **typefmt.EXPORT_FORMATTERS, date: _date_format,
                                     bool: _bool_format}
    form_excluded_columns = ("version",)
    # A record is deleted from its own page (details or edit), where these templates add the button.
    details_template = "admin/record_details.html"
    edit_template = "admin/record_edit.html"
    create_template = "admin/record_create.html"  # the form written by admin/fields.py
    column_exclude_list = ("version",)
    column_details_exclude_list = ("version",)
    column_export_exclude_list = ("version",)

    def __init__(self, model, **kwargs):
        # Given the `db` object, Flask-Admin keeps `self.session` as that object, on which `.get`/`.query`
        # are not the session's; registers call `self.session.get(...)` in their rules, so hand it the
        # scoped session itself (supported throughout 2.x; only its deprecation notice is silenced).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Passing a session object directly", DeprecationWarning)
            super().__init__(model, db.session, **kwargs)

    # --- access, all from the matrix ---------------------------------------------------------
    def _allowed(self, action):
        if action == "delete" and self.strict:
            return False
        return allowed(self.target, action)

    @property
    def can_create(self):
        return self._allowed("create")

    @property
    def can_edit(self):
        return self._allowed("edit")

    @property
    def can_delete(self):
        return self._allowed("delete")

    @property
    def can_export(self):
        return self._allowed("export")

    @can_create.setter
    def can_create(self, value):
        pass

    @can_edit.setter
    def can_edit(self, value):
        pass

    @can_delete.setter
    def can_delete(self, value):
        pass

    @can_export.setter
    def can_export(self, value):
        pass

    def _get_filter_groups(self):
        # The filters and their options are read once, at start: their texts are the same for every request in
        # one language, and turning them to text (with their translated operations) was done for every list page.
        from flask_babel import get_locale

        cache = self.__dict__.setdefault("_panel_filter_groups", {})
        key = (str(get_locale()), id(self._filter_groups))
        if key not in cache:
            cache[key] = super()._get_filter_groups()
        return cache[key]

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        action = VIEW_ACTIONS.get(name)
        if action and not self._allowed(action):
            abort(403)
        if name == "export" and self.personal_data:
            g.writes = True  # this GET writes the disclosure entry: take SQLite's write lock up front
        return None

    def get_export_value(self, model, name):
        value = super().get_export_value(model, name)
        if not isinstance(value, str):
            return value
        # A name stored before control characters were refused (SQLite took a NUL) made every XLSX export of its
        # list fail for everyone: the file gets the text without them. CSV cells get the apostrophe here; XLSX
        # ones are stored as text in _export_tablib below.
        value = strip_control_characters(value)
        return csv_text(value) if request.view_args.get("export_type") == "csv" else value

    def _export_tablib(self, export_type, return_url):
        if export_type != "xlsx":
            return super()._export_tablib(export_type, return_url)
        # tablib writes «=…» as a live formula (its escape option drops the «=» instead): the sheet is written
        # here with openpyxl, text kept as typed and marked as text.
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append([csv_encode(title) for _name, title in self._export_columns])
        _count, data = self._export_data()
        for row in data:
            sheet.append([csv_encode(self.get_export_value(row, name)) for name, _title in self._export_columns])
        out = BytesIO()
        inert_workbook(book).save(out)
        filename = self.get_export_name(export_type)
        return Response(out.getvalue(), headers={"Content-Disposition": f"attachment;filename={secure_filename(filename)}"},
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/export/<export_type>/")
    def export(self, export_type):
        response = super().export(export_type)
        if getattr(response, "is_streamed", False):
            # Flask-Admin streams CSV after the request's database session is closed; rows with related
            # columns (a student's class) would then fail to load. Build the file while the session is open.
            response.set_data(b"".join(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
                                        for chunk in response.response))
        if self.personal_data and getattr(response, "status_code", 0) == 200:
            from models.disclosure import record_disclosure

            record_disclosure(
                self.session, user_id=current_user.id,
                document_kind="audit_export" if self.target == "audit_log" else "register_export",
                description=f"Выгрузка списка «{self.name}» в {export_type.upper()}",
                recipient=f"{current_user.full_name} (пользователь панели)",
                purpose="выгрузка списка из панели для служебной работы")
            self.session.commit()
        return response

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        # A look-up serves this register's form: only someone who may fill the form in may page it, and only
        # for rows the role may list (admin/lookups.py narrows them further to the own class).
        loader = self._form_ajax_refs.get(request.args.get("name"))
        if loader is None:
            abort(404)
        target = model_target(getattr(loader, "model", None))
        if not (self._allowed("create") or self._allowed("edit")) or (
                target is not None and not allowed(target, "view")):
            abort(403)
        return super().ajax_lookup()

    def delete_form(self):
        # Only a POST deletes; no page of the panel shows Flask-Admin's delete form (a record's own page has its
        # button, templates/admin/record_delete.html), so a GET builds none (a WTForms form on every list page).
        return super().delete_form() if request.method == "POST" else None

    def action_form(self, obj=None):
        # The list's hidden bulk-action form is written by templates/admin/actions.html; only its POST is read.
        return super().action_form(obj) if request.method == "POST" else None

    def get_list_row_actions(self):
        # The per-row delete button is a small form with its CSRF token: half of a list page's time.
        actions = []
        for action in super().get_list_row_actions():
            if isinstance(action, DeleteRowAction):
                continue
            if type(action) is ViewRowAction:
                action = RecordLink(".details_view", "fa fa-eye glyphicon glyphicon-eye-open", action.title)
            elif type(action) is EditRowAction:
                action = RecordLink(".edit_view", "fa fa-pencil glyphicon glyphicon-pencil", action.title)
            actions.append(action)
        return actions

    def is_action_allowed(self, name):
        if name == "delete":
            return self._allowed("delete")
        return self._allowed("edit") and super().is_action_allowed(name)

    def scaffold_auto_joins(self):
        # Flask-Admin loads with the page only relations listed by themselves; a column such as
        # "school_class.name" would otherwise read its related row once per list row (N+1).
        joined = super().scaffold_auto_joins()
        if self.column_auto_select_related:
            for name in self.column_list or ():
                if isinstance(name, str) and "." in name:
                    attr = getattr(self.model, name.split(".", 1)[0], None)
                    prop = getattr(attr, "property", None)
                    if getattr(prop, "direction", None) is not None and prop.direction.name == "MANYTOONE" \
                            and all(attr is not j for j in joined):
                        joined.append(attr)
        # Loaded by get_list below with one query per relation instead of Flask-Admin's joins.
        self._page_relations = joined
        # Lists shown in a column (a copy's media): one IN query for the page instead of one per row.
        self._page_collections = []
        for name in self.column_list or ():
            attr = getattr(self.model, name, None) if isinstance(name, str) else None
            if getattr(getattr(attr, "property", None), "uselist", False) and all(attr is not j for j in joined):
                self._page_collections.append(attr)
        return []

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # ?page= comes from the URL: a negative or huge one is an SQL error on PostgreSQL (OFFSET out of range).
        page = min(max(page or 0, 0), MAX_PAGE)
        count, query = super().get_list(page, sort_column, sort_desc, search, filters, execute=False,
                                        page_size=page_size)
        # The related rows of the page's 50 rows in one IN query each: joined into the main query, the
        # database would join them for every row it skips too (page 1000 of 100,000 skips 50,000).
        related = [selectinload(rel) for rel in getattr(self, "_page_relations", ())]
        if not execute:
            return count, query.options(*related)
        if self.session.get_bind().dialect.name == "postgresql":
            # Plan this page's queries for their own values: registers are skewed (100,000 personal files, a few
            # hundred books), and a prepared generic plan for «kind = $1» walked the whole carrier table.
            self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        # The page's ids first, then its rows: the ids come from indexes alone, so the rows a page skips are
        # never read (PostgreSQL otherwise walks the whole table's primary key to find one register's page).
        key = getattr(self.model, self._primary_key)
        ids = [row[0] for row in self._page_ids(query, key)]
        if not ids:
            return count, []
        # The 50 rows with their related rows joined: one query instead of one per relation.
        joined = [joinedload(rel) for rel in getattr(self, "_page_relations", ())]
        joined += [selectinload(rel) for rel in getattr(self, "_page_collections", ())]
        rows = {getattr(row, self._primary_key): row
                for row in self.session.query(self.model).options(*joined).filter(key.in_(ids))}
        return count, [rows[i] for i in ids if i in rows]

    def _page_ids(self, query, key):
        """The page's ids; for a register stored as a base table plus its own (joined inheritance), from the
        base table alone when nothing on the page needs the other one (page 1000: one index instead of a
        join of two; a status filter or a sort on a base column never needs it)."""
        mapper = sa_inspect(self.model)
        if mapper.inherits is None or mapper.local_table is mapper.base_mapper.local_table:
            return query.with_entities(key)
        narrow = query.with_entities(mapper.base_mapper.primary_key[0])
        statement = narrow.statement
        # A filter or a sort on the register's own columns would bring its table in unjoined (a sort by a
        # book's «Уровень» named a column of no table in FROM: 500): then keep the full join.
        if mapper.local_table in statement.get_final_froms() or any(
                getattr(element, "table", None) is mapper.local_table
                for clause in statement._order_by_clauses for element in iterate(clause)):
            return query.with_entities(key)
        return narrow

    # --- class teacher's scope ----------------------------------------------------------------
    def _class_condition(self):
        """The own class's rows (models/scope.py) when this user sees the register only for the own class."""
        if not own_class_only(current_user, self.target):
            return None
        return own_class_condition(self.model, current_user.id)

    def _scoped(self, query):
        condition = self._class_condition()
        return query if condition is None else query.filter(condition)

    def get_query(self):
        return self._scoped(super().get_query())

    def no_class_notice(self):
        """True when this list is empty only because the class teacher has no class of this year yet."""
        from models.first_steps import teacher_without_class

        return self._class_condition() is not None and teacher_without_class(db.session, current_user)

    def get_count_query(self):
        return self._scoped(super().get_count_query())

    def get_one(self, id):
        key = record_key(self.model, id)
        if key is None:
            return None
        if request.method == "GET" and (request.endpoint or "").endswith(".edit_view"):
            # The form's option lists first: the record's own kind, custodian or year is then among the rows already
            # read, and showing it on the form costs no query of its own.
            for rows in _select_row_lists(self._edit_form_class):
                rows()
        if self.record_loads:
            record = self.session.get(self.model, key, options=[load() for load in self.record_loads])
        else:
            record = super().get_one(str(key))
        if record is not None and self._class_condition() is not None:
            visible = self.get_query().filter(
                self.model.id == record.id).first()
            if visible is None:
                abort(403)
        return record

    def scope_errors(self, form):
        """[(field, message)] for every chosen record outside the own class, when this user sees the register
        only for the own class: a class teacher may post any id into any relation field, its inline rows'
        included, whatever the form's look-up offered."""
        if not (has_request_context() and current_user.is_authenticated
                and own_class_only(current_user, self.target)):
            return []
        found = []
        for field in _relation_fields(form):
            values = field.data if isinstance(field.data, (list, tuple)) else [field.data]
            for value in values:
                if isinstance(value, db.Model) and outside_own_class(self.session, current_user.id, value):
                    found.append((field, OUTSIDE_SCOPE.get(model_target(type(value)), OUTSIDE_SCOPE[None])))
                    break
        return found

    # --- domain validation next to the field ------------------------------------------------------
    def domain_errors(self, form, model):
        """Return {field name: Russian message}; registers override it with their rule function."""
        return {}

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not valid:
            return False
        # Flask-Admin validates the delete and bulk-action forms here too; those carry no register fields.
        endpoint = request.endpoint or ""
        if not endpoint.endswith(("create_view", "edit_view")):
            return True
        model = None
        if endpoint.endswith("edit_view"):
            model = self.session.get(self.model, request.args.get("id"))
        scope_errors = self.scope_errors(form)
        if scope_errors:
            # Nothing else is checked: the rules below would read another class's rows.
            for field, message in scope_errors:
                field.errors = list(field.errors) + [message]
            return False
        errors = self.domain_errors(form, model)
        for name, message in errors.items():
            field = form._fields.get(name)
            if field is None:
                flash(message, "error")
            else:
                field.errors = list(field.errors) + [message]
        return not errors

    # --- optimistic locking -------------------------------------------------------------------
    def get_edit_form(self):
        form_class = super().get_edit_form()
        if hasattr(self.model, "version"):
            form_class.loaded_version = HiddenField()
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if hasattr(form, "loaded_version") and obj is not None and request.method != "POST":
            form.loaded_version.data = obj.version
        return form

    def update_model(self, form, model):
        if hasattr(form, "loaded_version"):
            loaded = form.loaded_version.data
            if str(loaded) != str(model.version):
                flash(STALE_MESSAGE, "error")
                form.process(formdata=None, obj=model)
                form.loaded_version.data = model.version
                return False
            # The UPDATE itself is guarded too (version_id_col), for two saves in the same instant.
            del form["loaded_version"]
        return super().update_model(form, model)

    def render(self, template, **kwargs):
        flashes = session.get("_flashes")
        if flashes:
            session["_flashes"] = [(category, UNTRANSLATED_FLASHES.get(message, message))
                                   for category, message in flashes]
        return super().render(template, **kwargs)

    def handle_view_exception(self, exc):
        if isinstance(exc, StaleDataError):
            flash(STALE_MESSAGE, "error")
            return True
        if isinstance(exc, (RecordInUseError, StrictAccountabilityError)):
            flash(str(exc), "error")  # already a Russian sentence: no «Failed to delete record.» in front
            return True
        if isinstance(exc, SQLAlchemyError):
            # Flask-Admin would flash the error's text: the raw SQL and its values, in English.
            current_app.logger.exception("База данных отклонила изменение в разделе %s", self.endpoint)
            flash("Изменения не сохранены: база данных отклонила значения. Проверьте введённые данные.", "error")
            return True
        return super().handle_view_exception(exc)


OUTSIDE_SCOPE = {
    "students": "Можно выбрать только обучающегося своего класса.",
    "classes": "Можно выбрать только свой класс.",
    "guardians": "Можно выбрать только законного представителя обучающегося своего класса.",
    "portfolios": "Можно выбрать только портфолио обучающегося своего класса.",
    None: "Можно выбрать только запись своего класса.",
}


def _relation_fields(form):
    """Every field of the form and of its inline rows (their forms are nested in FieldList entries)."""
    for field in form:
        entries = getattr(field, "entries", None)
        if entries is not None:
            for entry in entries:
                inner = getattr(entry, "form", None)
                if inner is not None:
                    yield from _relation_fields(inner)
                else:
                    yield entry
        else:
            yield field


def choices_formatter(choices):
    def format_value(view, context, model, name):
        value = getattr(model, name)
        return choices.get(value, value or "")

    return format_value

"""Administration registers: users and the read-only audit log."""
import json

from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_babel import format_datetime
from markupsafe import Markup, escape
from wtforms import PasswordField, SelectMultipleField

from models import AuditLog, User
from models.audit import ACTIONS
from models.references import TABLE_LABELS
from models.people import alphabetical
from models.users import password_errors, user_errors

from .base import SecureModelView, choices_formatter
from models.roles import ROLES

# Filled by init_admin from the registered views: table name -> the register's Russian name.


def _roles_formatter(view, context, model, name):
    return ", ".join(ROLES.get(r, r) for r in model.roles)


class UserView(SecureModelView):
    target = "users"
    personal_data = True
    column_list = ("login", "full_name", "position", "roles_text", "active", "appointment_order")
    column_searchable_list = ("login", "full_name")
    column_sortable_list = ("login", ("full_name", alphabetical(User.full_name)), "position", "active")
    column_default_sort = (alphabetical(User.full_name), False)  # «Ё» with «Е»
    column_filters = (FilterLike(User.roles_text, "Роль (код)"), "active")
    column_labels = {"login": "Логин", "full_name": "ФИО", "position": "Должность", "roles_text": "Роли",
                     "roles": "Роли", "active": "Активен", "appointment_order": "Приказ о назначении",
                     "password": "Новый пароль", "created_at": "Создан"}
    column_formatters = {"roles_text": _roles_formatter}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_details_exclude_list = ("version", "password_hash", "session_token")
    column_export_exclude_list = ("version", "password_hash", "session_token")
    column_details_list = ("login", "full_name", "position", "roles_text", "active", "appointment_order",
                           "created_at")
    column_export_list = column_details_list
    form_columns = ("login", "full_name", "position", "roles", "appointment_order", "active", "password")
    form_extra_fields = {
        "roles": SelectMultipleField("Роли", choices=list(ROLES.items())),
        "password": PasswordField("Новый пароль",
                                  description="Не короче 10 символов, не из списка частых паролей. Оставьте пустым, чтобы не менять."),
    }

    def domain_errors(self, form, model):
        errors = user_errors(self.session, login=form.login.data, full_name=form.full_name.data,
                             roles=form.roles.data, user_id=model.id if model else None)
        problem = password_errors(form.password.data, required=model is None)
        if problem:
            errors["password"] = problem
        return errors

    def on_model_change(self, form, model, is_created):
        model.login = model.login.strip()


def _changes_formatter(view, context, model, name):
    rows = []
    for field, (old, new) in json.loads(model.changes or "{}").items():
        rows.append(f"<tr><td>{escape(field)}</td><td>{escape(_show(old))}</td><td>{escape(_show(new))}</td></tr>")
    if not rows:
        return ""
    return Markup('<table class="table table-sm mb-0"><tr><th>Поле</th><th>Было</th><th>Стало</th></tr>'
                  + "".join(rows) + "</table>")


def _show(value):
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def _table_label(table_name):
    label = TABLE_LABELS.get(table_name, table_name)
    return label[:1].upper() + label[1:]


def _table_formatter(view, context, model, name):
    return _table_label(model.table_name)


def _local_time_formatter(view, context, model, name):
    # Stored in UTC (one clock for every server); shown in the school's time zone (setting TIMEZONE).
    return format_datetime(model.at, "dd.MM.yyyy HH:mm:ss") if model.at else ""


class AuditLogView(SecureModelView):
    target = "audit_log"
    personal_data = True  # old and new values hold names, documents, addresses: an export is a release
    simple_list_pager = True  # the log grows without bound; counting it on every page would slow the list
    column_list = ("at", "user_login", "action", "table_name", "record_id", "record_repr")
    column_details_list = ("at", "user_login", "action", "table_name", "record_id", "record_repr", "changes")
    column_export_list = column_details_list
    column_default_sort = ("id", True)
    column_searchable_list = ("record_repr",)
    column_labels = {"at": "Когда (время школы)", "user_login": "Пользователь", "action": "Действие",
                     "table_name": "Реестр", "record_id": "Запись №", "record_repr": "Запись",
                     "changes": "Изменения"}
    column_formatters = {"action": choices_formatter(ACTIONS), "table_name": _table_formatter,
                         "at": _local_time_formatter}
    column_formatters_detail = {**column_formatters, "changes": _changes_formatter}
    column_formatters_export = column_formatters

    column_filters = (
        FilterEqual(AuditLog.user_login, "Пользователь"),
        FilterEqual(AuditLog.table_name, "Реестр",
                    options=lambda: sorted(((t, _table_label(t)) for t in TABLE_LABELS), key=lambda item: item[1])),
        FilterEqual(AuditLog.record_id, "Запись №"),
        FilterEqual(AuditLog.action, "Действие", options=list(ACTIONS.items())),
        "at",
    )

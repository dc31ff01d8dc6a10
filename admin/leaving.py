"""The read-only register of handover acts (акты приёма-передачи), each with a link to its PDF."""
from flask import url_for
from flask_admin.contrib.sqla.filters import FilterLike
from markupsafe import Markup, escape

from models.leaving import HandoverAct
from models.people import LEAVING_REASONS

from .base import SecureModelView, choices_formatter


def _pdf_link(view, context, model, name):
    url = url_for("leaving.act_pdf", act_id=model.id)
    return Markup(f'<a href="{escape(url)}" target="_blank">PDF</a>')


def _student_link(view, context, model, name):
    url = url_for("leaving.student", student_id=model.student_id)
    return Markup(f'<a href="{escape(url)}">{escape(model.student.full_name)}</a>')


def _reversed(view, context, model, name):
    if model.reversed_at is None:
        return ""
    return f"отменён {model.reversed_at:%d.%m.%Y}: {model.reversal_reason or ''}"


class HandoverActView(SecureModelView):
    target = "handover_acts"
    personal_data = True
    strict = True  # acts are never deleted; a reversal is written on the act itself
    can_create = False
    can_edit = False
    column_list = ("year", "number", "act_date", "student", "reason", "order", "reversed_at", "pdf")
    column_details_list = ("year", "number", "act_date", "student", "reason", "destination", "order",
                           "application_on", "applicant", "handed_by", "items", "reversed_at", "reversed_by",
                           "pdf")
    column_export_list = ("year", "number", "act_date", "student", "reason", "destination", "order",
                          "application_on", "applicant", "reversed_at")
    column_default_sort = [("act_date", True), ("number", True)]
    column_sortable_list = ("year", "number", "act_date")
    column_filters = ("act_date", "year", FilterLike(HandoverAct.destination, "Куда выбыл"))
    column_labels = {"year": "Год", "number": "Номер", "act_date": "Дата акта", "student": "Обучающийся",
                     "reason": "Причина выбытия", "destination": "Куда выбыл / примечание", "order": "Приказ",
                     "application_on": "Дата заявления", "applicant": "Заявитель", "handed_by": "Передал",
                     "items": "Носители", "reversed_at": "Отмена", "reversed_by": "Отменил", "pdf": "Печать"}
    column_formatters = {"reason": choices_formatter(LEAVING_REASONS), "pdf": _pdf_link,
                         "student": _student_link, "reversed_at": _reversed}
    column_formatters_detail = column_formatters
    column_formatters_export = {"reason": choices_formatter(LEAVING_REASONS),
                                "reversed_at": _reversed}

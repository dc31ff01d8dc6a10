"""The read-only register of destruction acts (акты о выделении к уничтожению): strict accountability."""
from flask import url_for
from markupsafe import Markup, escape

from models.retention import ACT_STATUSES

from .base import SecureModelView, choices_formatter


def _act_link(view, context, model, name):
    url = url_for("retention_review.act", act_id=model.id)
    return Markup(f'<a href="{escape(url)}">{escape(model.number)}</a>')


def _pdf_link(view, context, model, name):
    if not model.lines:
        return ""
    url = url_for("retention_review.act_pdf", act_id=model.id)
    return Markup(f'<a href="{escape(url)}" target="_blank">PDF</a>')


def _total(view, context, model, name):
    return model.total_items


class DestructionActView(SecureModelView):
    target = "destruction_acts"
    strict = True  # an act is never deleted; a returned one stays with the director's comment
    can_create = False
    can_edit = False
    simple_list_pager = True
    column_list = ("number", "act_date", "status", "total", "drafted_by", "approved_by", "approved_on", "pdf")
    column_details_list = ("number", "act_date", "status", "basis", "chairman", "commission", "lines", "total",
                           "drafted_by", "drafted_at", "sent_at", "approved_by", "approved_at", "approved_on",
                           "return_comment", "expert_protocol", "pdf")
    column_export_list = ("number", "act_date", "status", "total", "drafted_by", "approved_by", "approved_on",
                          "return_comment")
    column_default_sort = [("act_date", True), ("id", True)]
    column_sortable_list = ("number", "act_date", "status", "approved_on")
    column_filters = ("act_date", "status", "approved_on")
    column_labels = {"number": "Номер", "act_date": "Дата акта", "status": "Состояние", "total": "Дел",
                     "drafted_by": "Составил", "drafted_at": "Составлен", "sent_at": "Отправлен на утверждение",
                     "approved_by": "Утвердил", "approved_at": "Утверждён (время)", "approved_on": "Дата утверждения",
                     "return_comment": "Комментарий при возврате", "basis": "Основание", "chairman": "Председатель",
                     "commission": "Комиссия", "lines": "Строки акта", "expert_protocol": "Согласование ЭК",
                     "pdf": "Печать"}
    column_formatters = {"number": _act_link, "status": choices_formatter(ACT_STATUSES), "pdf": _pdf_link,
                         "total": _total}
    column_formatters_detail = column_formatters
    column_formatters_export = {"status": choices_formatter(ACT_STATUSES), "total": _total}

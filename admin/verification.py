"""The register of printed documents: each print's code, kind, date and SHA-256; a wrong print is annulled here."""
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike

from models.users import utcnow
from models.verification import PRINT_KINDS, IssuedDocument, annul_errors, format_code

from .base import SecureModelView, choices_formatter


def _code_formatter(view, context, model, name):
    return format_code(model.code)


class IssuedDocumentView(SecureModelView):
    target = "issued_documents"
    strict = True  # what was printed stays on record; a wrong print is annulled
    simple_list_pager = True
    column_list = ("code", "document_kind", "title", "number", "issued_on", "pages", "annulled", "user")
    column_details_list = ("code", "document_kind", "title", "number", "issued_on", "created_at", "pages", "sha256",
                           "signed", "user", "annulled", "annul_reason", "annulled_at")
    column_export_list = column_details_list
    column_default_sort = ("id", True)
    column_searchable_list = ("code", "number", "title")
    column_filters = (FilterEqual(IssuedDocument.document_kind, "Вид документа", options=list(PRINT_KINDS.items())),
                      FilterLike(IssuedDocument.number, "Номер"), "issued_on", "annulled")
    column_labels = {"code": "Код проверки", "document_kind": "Вид документа", "title": "Документ", "number": "Номер",
                     "issued_on": "Дата", "created_at": "Напечатан (UTC)", "pages": "Листов",
                     "sha256": "SHA-256 файла PDF", "signed": "Подписан электронной подписью", "user": "Кто напечатал",
                     "annulled": "Аннулирован", "annul_reason": "Причина аннулирования",
                     "annulled_at": "Аннулирован (когда, UTC)"}
    column_formatters = {"document_kind": choices_formatter(PRINT_KINDS), "code": _code_formatter}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_columns = ("annulled", "annul_reason")

    def domain_errors(self, form, model):
        return annul_errors(model, form.annulled.data, form.annul_reason.data)

    def on_model_change(self, form, model, is_created):
        if model.annulled and model.annulled_at is None:
            model.annulled_at = utcnow()
        model.annul_reason = (model.annul_reason or "").strip() or None

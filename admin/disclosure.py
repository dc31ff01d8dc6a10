"""The read-only register of personal-data disclosures; entries come only from record_disclosure."""
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike

from models.disclosure import DOCUMENT_KINDS, PdDisclosure

from .base import SecureModelView, choices_formatter


class PdDisclosureView(SecureModelView):
    target = "pd_disclosure"
    strict = True  # a register of what was released is never edited or deleted
    simple_list_pager = True
    column_list = ("at", "user", "document_kind", "description", "student", "recipient", "purpose")
    column_details_list = column_list + ("document", "document.sha256")
    column_export_list = column_list
    column_default_sort = ("id", True)
    column_searchable_list = ("recipient", "description")
    column_filters = (FilterEqual(PdDisclosure.document_kind, "Вид документа", options=list(DOCUMENT_KINDS.items())),
                      FilterLike(PdDisclosure.recipient, "Кому"), "at")
    column_labels = {"at": "Когда (UTC)", "user": "Кто выдал", "document_kind": "Вид документа",
                     "description": "Что передано", "student": "О ком", "recipient": "Кому",
                     "purpose": "Цель", "document": "Напечатанный документ (код проверки)",
                     "document.sha256": "SHA-256 файла PDF"}
    column_formatters = {"document_kind": choices_formatter(DOCUMENT_KINDS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters

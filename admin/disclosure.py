"""The register of personal-data disclosures: the panel's own releases are written by record_disclosure; releases
outside the panel (the police, social services, the receiving school) are entered by hand with their basis."""
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_login import current_user

from models.disclosure import CHANNELS, DOCUMENT_KINDS, PdDisclosure, disclosure_errors

from .base import SecureModelView, choices_formatter
from .lookups import StudentLookup
from .system import _local_time_formatter


class PdDisclosureView(SecureModelView):
    target = "pd_disclosure"
    strict = True  # a register of what was released is never edited or deleted
    personal_data = True
    simple_list_pager = True
    column_list = ("at", "user", "document_kind", "description", "student", "recipient", "purpose", "legal_basis",
                   "channel")
    column_details_list = column_list + ("document", "document.sha256")
    column_export_list = column_list
    column_default_sort = ("id", True)
    column_searchable_list = ("recipient", "description")
    column_filters = (FilterEqual(PdDisclosure.document_kind, "Вид документа", options=list(DOCUMENT_KINDS.items())),
                      FilterLike(PdDisclosure.recipient, "Кому"), "at")
    column_labels = {"at": "Когда (время школы)", "user": "Кто выдал", "document_kind": "Вид документа",
                     "description": "Что передано", "student": "О ком", "recipient": "Кому",
                     "purpose": "Цель", "legal_basis": "Правовое основание", "channel": "Способ передачи",
                     "document": "Напечатанный документ (код проверки)", "document.sha256": "SHA-256 файла PDF"}
    # Stored in UTC, shown in the school's zone (setting TIMEZONE), as the audit log is.
    column_formatters = {"document_kind": choices_formatter(DOCUMENT_KINDS), "channel": choices_formatter(CHANNELS),
                         "at": _local_time_formatter}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_columns = ("document_kind", "description", "student", "recipient", "legal_basis", "channel", "purpose")
    form_choices = {"document_kind": [(k, v) for k, v in DOCUMENT_KINDS.items()
                                      if k in ("request_answer", "personal_file", "progress_report",
                                               "study_certificate", "other")],
                    "channel": [(k, v) for k, v in CHANNELS.items() if k != "panel"]}
    form_args = {"description": {"label": "Что передано"}}
    form_ajax_refs = {"student": StudentLookup("student")}

    def domain_errors(self, form, model):
        errors = disclosure_errors(document_kind=form.document_kind.data, recipient=form.recipient.data,
                                   purpose=form.purpose.data, legal_basis=form.legal_basis.data,
                                   channel=form.channel.data, manual=True)
        if not (form.description.data or "").strip():
            errors["description"] = "Укажите, какие сведения переданы."
        return errors

    def on_model_change(self, form, model, is_created):
        model.user_id = current_user.id

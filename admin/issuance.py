"""Registers of issuance: blanks received (strict) and the certificate book's entries (read-only)."""
from flask_admin.contrib.sqla.filters import FilterEqual
from wtforms.validators import Optional

from models.issuance import (BLANK_KINDS, DUPLICATE_REASONS, ENTRY_KINDS, LEVELS, RECIPIENT_KINDS,
                             BlankReceipt, CertificateBookEntry, blank_receipt_errors)

from .base import SecureModelView, choices_formatter


class BlankReceiptView(SecureModelView):
    target = "blanks"
    strict = True
    column_list = ("blank_kind", "level", "series", "number_from", "number_to", "quantity", "received_on",
                   "received_from", "document")
    column_default_sort = [("received_on", True)]
    column_searchable_list = ("number_from", "number_to", "received_from", "document")
    column_filters = (FilterEqual(BlankReceipt.blank_kind, "Вид бланка", options=list(BLANK_KINDS.items())),
                      FilterEqual(BlankReceipt.level, "Уровень", options=list(LEVELS.items())), "received_on")
    column_labels = {"blank_kind": "Вид бланка", "level": "Уровень", "series": "Серия",
                     "number_from": "С номера", "number_to": "По номер", "quantity": "Количество",
                     "received_on": "Дата поступления", "received_from": "От кого получены",
                     "document": "Документ (накладная)", "note": "Примечание"}
    column_formatters = {"blank_kind": choices_formatter(BLANK_KINDS), "level": choices_formatter(LEVELS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_columns = ("blank_kind", "level", "series", "number_from", "number_to", "received_on", "received_from",
                    "document", "note")
    form_choices = {"blank_kind": list(BLANK_KINDS.items()), "level": list(LEVELS.items())}
    form_args = {"series": {"validators": [Optional()]}}
    form_widget_args = {"number_from": {"placeholder": "14 цифр"}, "number_to": {"placeholder": "14 цифр"}}

    def domain_errors(self, form, model):
        return blank_receipt_errors(
            self.session, blank_kind=form.blank_kind.data, level=form.level.data, series=form.series.data,
            number_from=(form.number_from.data or "").strip(), number_to=(form.number_to.data or "").strip(),
            received_on=form.received_on.data, received_from=form.received_from.data,
            receipt_id=model.id if model is not None else None)

    def on_model_change(self, form, model, is_created):
        # Stored trimmed and upper-case so the blank checks compare like with like.
        model.series = (model.series or "").strip().upper()
        model.number_from, model.number_to = model.number_from.strip(), model.number_to.strip()


def _name(view, context, model, name):
    return model.full_name


class CertificateEntryView(SecureModelView):
    target = "certificate_entries"
    strict = True
    # Every export of the book's lines goes into the personal-data disclosure register (base view's hook).
    personal_data = True
    column_list = ("book", "reg_number", "entry_kind", "last_name", "first_name", "middle_name", "birth_date",
                   "blank_number", "appendix_number", "honours", "order_number", "order_date", "issued_on",
                   "annulled")
    column_details_list = ("book", "reg_number", "entry_kind", "last_name", "first_name", "middle_name",
                           "birth_date", "blank_series", "blank_number", "appendix_series", "appendix_number",
                           "marks", "honours", "order_number", "order_date", "issued_on", "recipient_kind",
                           "recipient_name", "recipient_document", "postal_number", "postal_date", "duplicate_of",
                           "duplicate_reason", "duplicate_issued", "annulled", "annul_reason", "annulled_at",
                           "issued_by", "created_at")
    column_export_list = column_details_list
    column_default_sort = [("book_id", False), ("reg_number", False)]
    column_searchable_list = ("last_name", "first_name", "middle_name", "reg_number", "blank_number",
                              "appendix_number")
    column_sortable_list = ("reg_number", "last_name", "issued_on", "order_date")
    column_filters = (FilterEqual(CertificateBookEntry.entry_kind, "Вид записи", options=list(ENTRY_KINDS.items())),
                      FilterEqual(CertificateBookEntry.level, "Уровень", options=list(LEVELS.items())),
                      "issued_on", "annulled", "honours")
    column_labels = {"book": "Книга", "reg_number": "Рег. №", "entry_kind": "Вид записи", "last_name": "Фамилия",
                     "first_name": "Имя", "middle_name": "Отчество", "birth_date": "Дата рождения",
                     "blank_series": "Серия бланка", "blank_number": "Номер бланка аттестата",
                     "appendix_series": "Серия приложения", "appendix_number": "Номер бланка приложения",
                     "marks": "Итоговые отметки", "honours": "С отличием", "order_number": "№ приказа",
                     "order_date": "Дата приказа", "issued_on": "Дата выдачи", "recipient_kind": "Получатель",
                     "recipient_name": "ФИО получателя", "recipient_document": "Документ / доверенность",
                     "postal_number": "№ почтового отправления", "postal_date": "Дата отправления",
                     "duplicate_of": "Дубликат записи", "duplicate_reason": "Причина дубликата",
                     "duplicate_issued": "Выдан дубликат", "annulled": "Аннулирована",
                     "annul_reason": "Причина аннулирования", "annulled_at": "Аннулирована (когда)",
                     "issued_by": "Внёс запись", "created_at": "Внесена"}
    column_formatters = {"entry_kind": choices_formatter(ENTRY_KINDS),
                         "recipient_kind": choices_formatter(RECIPIENT_KINDS),
                         "duplicate_reason": choices_formatter(DUPLICATE_REASONS),
                         "marks": lambda v, c, m, n: "; ".join(f"{x.subject_name} — {x.value}" for x in m.marks)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters

    def get_query(self):
        return super().get_query().filter(CertificateBookEntry.entry_kind != "study_certificate")

    def get_count_query(self):
        return super().get_count_query().filter(CertificateBookEntry.entry_kind != "study_certificate")

"""«Академические задолженности»: each debt with its two retakes at most and its outcome (273-ФЗ ст. 58)."""
from flask_admin.contrib.sqla.filters import FilterEqual

from models.year_end import (DEBT_ORIGINS, DEBT_STATUSES, RETAKE_RESULTS, AcademicDebt, debt_errors)

from .base import SecureModelView, choices_formatter
from .lookups import StudentLookup



class AcademicDebtView(SecureModelView):
    target = "academic_debts"
    personal_data = True
    column_list = ("student", "academic_year", "subject", "origin", "arisen_on", "retake1_on", "retake1_result",
                   "retake2_on", "retake2_result", "status", "cleared_on", "conditional_order")
    column_labels = {"student": "Обучающийся", "academic_year": "Учебный год", "subject": "Предмет",
                     "origin": "Основание", "arisen_on": "Возникла", "retake1_on": "1-я пересдача",
                     "retake1_result": "Результат 1-й", "retake2_on": "2-я пересдача (комиссия)",
                     "retake2_result": "Результат 2-й", "status": "Итог", "cleared_on": "Ликвидирована",
                     "conditional_order": "Приказ об условном переводе"}
    column_formatters = {"origin": choices_formatter(DEBT_ORIGINS), "status": choices_formatter(DEBT_STATUSES),
                         "retake1_result": choices_formatter(RETAKE_RESULTS),
                         "retake2_result": choices_formatter(RETAKE_RESULTS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_filters = (FilterEqual(AcademicDebt.status, "Итог", options=list(DEBT_STATUSES.items())),
                      "academic_year.name", "subject.name")
    # The outcome and the order follow from the retakes and the promotion: shown, never typed.
    form_columns = ("student", "academic_year", "subject", "origin", "arisen_on", "retake1_on", "retake1_result",
                    "retake2_on", "retake2_result")
    form_choices = {"origin": list(DEBT_ORIGINS.items()),
                    "retake1_result": [("", "—")] + list(RETAKE_RESULTS.items()),
                    "retake2_result": [("", "—")] + list(RETAKE_RESULTS.items())}
    form_ajax_refs = {"student": StudentLookup("student")}

    def domain_errors(self, form, model):
        errors = {}
        for name in ("student", "academic_year", "subject", "arisen_on"):
            if not form[name].data:
                errors[name] = "Заполните поле."
        if form.arisen_on.data:
            errors.update(debt_errors(arisen_on=form.arisen_on.data, retake1_on=form.retake1_on.data,
                                      retake1_result=form.retake1_result.data or None,
                                      retake2_on=form.retake2_on.data,
                                      retake2_result=form.retake2_result.data or None))
        return errors

    def on_model_change(self, form, model, is_created):
        model.retake1_result = model.retake1_result or None
        model.retake2_result = model.retake2_result or None

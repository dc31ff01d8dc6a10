"""Registers of the attestat rules kept as data (curriculum, ГИА minimums, award criteria) and the medal book."""
from flask_admin.contrib.sqla.filters import FilterEqual

from models.attestation import (ATTESTAT_LEVELS, AWARD_CODES, GIA_SCALES, MEDAL_DEGREES, RESULT_KINDS, RETAKE_RULES,
                                CurriculumSubject, award_criterion_errors, curriculum_errors, gia_minimum_errors)
from models.registers import EXAMS

from .base import SecureModelView, choices_formatter


def _id(field):
    return field.data.id if field.data is not None else None


class CurriculumSubjectView(SecureModelView):
    target = "curriculum"
    column_list = ("level", "position", "subject", "last_grade", "result_kind", "gia_required", "active")
    column_default_sort = [("level", False), ("position", False)]
    column_filters = (FilterEqual(CurriculumSubject.level, "Уровень", options=list(ATTESTAT_LEVELS.items())),)
    column_labels = {"level": "Уровень (аттестат)", "position": "Порядок в приложении", "subject": "Предмет",
                     "last_grade": "Класс окончания изучения", "result_kind": "Результат в аттестате",
                     "gia_required": "Обязательный предмет ГИА", "active": "Входит в аттестат"}
    column_descriptions = {"last_grade": "Итоговая отметка ООО — годовая отметка этого класса (приказ № 546, п. 5.3)"}
    column_formatters = {"level": choices_formatter(ATTESTAT_LEVELS), "result_kind": choices_formatter(RESULT_KINDS)}
    column_formatters_detail = column_formatters
    form_columns = ("level", "position", "subject", "last_grade", "result_kind", "gia_required", "active")
    form_choices = {"level": list(ATTESTAT_LEVELS.items()), "result_kind": list(RESULT_KINDS.items())}

    def domain_errors(self, form, model):
        return curriculum_errors(self.session, level=form.level.data, subject_id=_id(form.subject),
                                 last_grade=form.last_grade.data, result_kind=form.result_kind.data,
                                 row_id=model.id if model is not None else None)


class GiaMinimumView(SecureModelView):
    target = "gia_minimums"
    column_list = ("exam", "subject", "scale", "minimum", "source")
    column_labels = {"exam": "Форма ГИА", "subject": "Предмет (пусто — любой)", "scale": "Шкала",
                     "minimum": "Минимальный удовлетворительный результат", "source": "Источник"}
    column_formatters = {"exam": choices_formatter(EXAMS), "scale": choices_formatter(GIA_SCALES)}
    column_formatters_detail = column_formatters
    form_columns = ("exam", "subject", "scale", "minimum", "source")
    form_choices = {"exam": list(EXAMS.items()), "scale": list(GIA_SCALES.items())}

    def domain_errors(self, form, model):
        return gia_minimum_errors(self.session, exam=form.exam.data, subject_id=_id(form.subject),
                                  scale=form.scale.data, minimum=form.minimum.data,
                                  row_id=model.id if model is not None else None)


class AwardCriterionView(SecureModelView):
    target = "award_criteria"
    column_list = ("code", "max_good", "basic_max_good", "russian_min", "other_min", "base_math_mark", "retake_rule",
                   "active", "source")
    column_labels = {"code": "Награда", "level": "Уровень", "max_good": "Допустимо итоговых «4»",
                     "basic_max_good": "Допустимо «4» в аттестате ООО (пусто — не проверяется)",
                     "russian_min": "ЕГЭ по русскому языку, не менее", "other_min": "ЕГЭ по предмету по выбору, не менее",
                     "base_math_mark": "или математика базового уровня, отметка", "active": "Действует",
                     "retake_rule": "Повторная сдача ГИА",
                     "source": "Источник (пункт акта)"}
    column_formatters = {"code": choices_formatter(AWARD_CODES), "retake_rule": choices_formatter(RETAKE_RULES)}
    column_formatters_detail = column_formatters
    # The kind of award is fixed by its code: a school edits the figures, it does not invent awards.
    form_columns = ("max_good", "basic_max_good", "russian_min", "other_min", "base_math_mark", "retake_rule",
                    "active", "source")
    form_choices = {"retake_rule": list(RETAKE_RULES.items())}

    def domain_errors(self, form, model):
        return award_criterion_errors(code=model.code if model is not None else None, max_good=form.max_good.data,
                                      basic_max_good=form.basic_max_good.data, russian_min=form.russian_min.data,
                                      other_min=form.other_min.data, base_math_mark=form.base_math_mark.data)


class MedalEntryView(SecureModelView):
    target = "medal_entries"
    strict = True
    personal_data = True
    column_list = ("book", "reg_number", "degree", "last_name", "first_name", "middle_name", "birth_date",
                   "order_number", "order_date", "awarded_on", "annulled")
    column_details_list = column_list + ("basis", "certificate_entry", "annul_reason", "issued_by", "created_at")
    column_export_list = column_details_list
    column_default_sort = [("book_id", False), ("reg_number", False)]
    column_searchable_list = ("last_name", "first_name", "middle_name")
    column_labels = {"book": "Книга", "reg_number": "Рег. №", "degree": "Медаль", "last_name": "Фамилия",
                     "first_name": "Имя", "middle_name": "Отчество", "birth_date": "Дата рождения",
                     "order_number": "№ приказа", "order_date": "Дата приказа", "awarded_on": "Дата выдачи",
                     "annulled": "Аннулирована", "basis": "Основание", "certificate_entry": "Запись книги аттестатов",
                     "annul_reason": "Причина аннулирования", "issued_by": "Внёс запись", "created_at": "Внесена"}
    column_formatters = {"degree": lambda v, c, m, n: f"«За особые успехи в учении» {MEDAL_DEGREES.get(m.degree, '')}"}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters

"""Registers describing the school itself: its card, calendar, levels and subjects."""
from flask_admin.contrib.sqla.filters import FilterEqual

from models import Term
from models.archive import COPY_PERIODS
from models.people import TERM_KINDS, academic_year_errors, make_current_year, term_errors

from .base import SecureModelView, choices_formatter


class SchoolView(SecureModelView):
    target = "school"
    column_list = ("short_name", "full_name", "director_name", "address")
    column_labels = {"full_name": "Полное наименование", "short_name": "Краткое наименование",
                     "address": "Адрес", "director_name": "Директор (ФИО)", "phone": "Телефон",
                     "email": "Электронная почта", "document_footer": "Текст под документами",
                     "ejournal_copy_period": "Архивировать ЭЖ"}
    form_columns = ("full_name", "short_name", "address", "director_name", "phone", "email", "document_footer",
                    "ejournal_copy_period")
    form_choices = {"ejournal_copy_period": list(COPY_PERIODS.items())}

    def domain_errors(self, form, model):
        errors = {}
        for name, message in (("full_name", "Укажите полное наименование школы."),
                              ("short_name", "Укажите краткое наименование школы.")):
            if not (form[name].data or "").strip():
                errors[name] = message
        if form.ejournal_copy_period.data not in COPY_PERIODS:
            errors["ejournal_copy_period"] = "Выберите, как часто архивируется электронный журнал."
        return errors


class AcademicYearView(SecureModelView):
    target = "academic_years"
    column_list = ("name", "starts_on", "ends_on", "is_current")
    column_default_sort = ("starts_on", True)
    column_labels = {"name": "Учебный год", "starts_on": "Начало", "ends_on": "Окончание",
                     "is_current": "Текущий", "terms": "Учебные периоды"}
    form_columns = ("name", "starts_on", "ends_on", "is_current")

    def domain_errors(self, form, model):
        return academic_year_errors(self.session, name=form.name.data, starts_on=form.starts_on.data,
                                    ends_on=form.ends_on.data, year_id=model.id if model else None)

    def on_model_change(self, form, model, is_created):
        if model.is_current:
            make_current_year(self.session, model)


class TermView(SecureModelView):
    target = "terms"
    column_list = ("academic_year", "kind", "number", "starts_on", "ends_on")
    column_filters = ("academic_year.name", FilterEqual(Term.kind, "Вид", options=list(TERM_KINDS.items())))
    column_default_sort = [("starts_on", True)]
    column_labels = {"academic_year": "Учебный год", "academic_year.name": "Учебный год", "kind": "Вид",
                     "number": "Номер", "starts_on": "Начало", "ends_on": "Окончание"}
    column_formatters = {"kind": choices_formatter(TERM_KINDS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_choices = {"kind": list(TERM_KINDS.items())}
    form_columns = ("academic_year", "kind", "number", "starts_on", "ends_on")

    def domain_errors(self, form, model):
        return term_errors(self.session, academic_year_id=form.academic_year.data.id if form.academic_year.data
                           else None, number=form.number.data, kind=form.kind.data,
                           starts_on=form.starts_on.data, ends_on=form.ends_on.data)


class LevelView(SecureModelView):
    target = "levels"
    column_list = ("code", "name", "first_grade", "last_grade")
    column_labels = {"code": "Код", "name": "Наименование", "first_grade": "С класса", "last_grade": "По класс"}
    form_columns = ("name",)


class SubjectView(SecureModelView):
    target = "subjects"
    column_list = ("name", "short_name", "position")
    column_searchable_list = ("name",)
    column_default_sort = [("position", False), ("name", False)]
    column_labels = {"name": "Предмет", "short_name": "Краткое название", "position": "Порядок в документах"}
    form_columns = ("name", "short_name", "position")

    def domain_errors(self, form, model):
        from models import Subject

        name = (form.name.data or "").strip()
        if not name:
            return {"name": "Укажите название предмета."}
        other = self.session.query(Subject).filter(Subject.name == name).first()
        if other is not None and (model is None or other.id != model.id):
            return {"name": f"Предмет «{name}» уже есть."}
        return {}

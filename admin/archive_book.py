"""The archive's backbone registers: the alphabetical book of pupils and the nomenclature of files."""
from flask import current_app, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import AcademicYear, School
from models.admission_book import AdmissionBookEntry, book_lines, correction_errors, lines_found
from models.nomenclature import item_errors, nomenclature_rows
from models.people import LEAVING_REASONS, current_year

from .base import SecureModelView, choices_formatter

LETTERS = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯ"


def _order(view, context, model, name):
    order = getattr(model, name)
    return str(order) if order is not None else ""


def _number(view, context, model, name):
    return model.number


class AdmissionBookView(SecureModelView):
    """Lines come from admissions and leavings only; a line is corrected with a reason, never deleted."""

    target = "admission_book"
    strict = True
    personal_data = True
    simple_list_pager = True
    list_template = "admin/admission_book_list.html"
    column_list = ("number", "last_name", "first_name", "middle_name", "birth_date", "admitted_on",
                   "admission_order", "admitted_class", "came_from", "left_on", "leaving_order", "left_to",
                   "personal_file_number")
    column_details_list = column_list + ("leaving_reason", "correction_reason", "annulled", "annul_reason", "student",
                                         "book")
    column_export_list = column_list + ("leaving_reason", "correction_reason", "annulled", "annul_reason")
    column_sortable_list = (("number", ("letter", "line_number")), "last_name", "birth_date", "admitted_on",
                            "left_on")
    column_default_sort = [("letter", False), ("line_number", False)]
    column_searchable_list = ("last_name", "personal_file_number")
    column_filters = (FilterEqual(AdmissionBookEntry.letter, "Буква", options=[(c, c) for c in LETTERS]),
                      FilterLike(AdmissionBookEntry.last_name, "Фамилия"), "admitted_on", "left_on")
    column_labels = {"number": "№", "last_name": "Фамилия", "first_name": "Имя", "middle_name": "Отчество",
                     "birth_date": "Дата рождения", "admitted_on": "Дата зачисления",
                     "admission_order": "Приказ о зачислении", "admitted_class": "Принят в класс",
                     "came_from": "Откуда прибыл", "left_on": "Дата выбытия", "leaving_order": "Приказ о выбытии",
                     "left_to": "Куда выбыл", "leaving_reason": "Причина выбытия",
                     "personal_file_number": "№ личного дела", "correction_reason": "Причина исправления",
                     "student": "Обучающийся", "book": "Книга (том)", "annulled": "Аннулирована",
                     "annul_reason": "Причина аннулирования"}
    column_formatters = {"number": _number, "admission_order": _order, "leaving_order": _order,
                         "leaving_reason": choices_formatter(LEAVING_REASONS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_columns = ("last_name", "first_name", "middle_name", "birth_date", "came_from", "left_to",
                    "personal_file_number", "correction_reason")
    form_args = {"correction_reason": {"label": "Причина исправления (обязательно)"}}

    def get_query(self):
        return super().get_query().options(joinedload(AdmissionBookEntry.admission_order),
                                           joinedload(AdmissionBookEntry.leaving_order))

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # The pupil's ФИО through the students' name index, the surname as the line writes it, the line's number.
        condition = lines_found(self.session, search)
        if condition is not None:
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def on_form_prefill(self, form, id):
        form.correction_reason.data = ""  # each correction states its own reason

    def domain_errors(self, form, model):
        return correction_errors(reason=form.correction_reason.data, last_name=form.last_name.data,
                                 first_name=form.first_name.data,
                                 personal_file_number=form.personal_file_number.data)

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["book_letters"] = LETTERS
            kwargs["book_years"] = self.session.scalars(select(AcademicYear).order_by(
                AcademicYear.starts_on.desc())).all()
        return super().render(template, **kwargs)

    @expose("/pdf/")
    def pdf(self):
        # The print itself lives with the other prints in views/; admin/ reaches it through the app (no import).
        prints = current_app.extensions["panel_prints"]
        render_admission_book, print_document = prints["admission_book"], prints["print"]

        letter = (request.args.get("letter") or "").strip().upper()
        year_id = request.args.get("year", type=int)
        year = self.session.get(AcademicYear, year_id) if year_id else None
        if letter and (len(letter) != 1 or letter not in LETTERS):
            flash("Выберите букву русского алфавита.", "error")
            return redirect(url_for(".index_view"))
        if not letter and year is None:
            flash("Выберите букву или учебный год для печати книги.", "error")
            return redirect(url_for(".index_view"))
        entries = book_lines(self.session, letter=letter or None, year=year)
        subtitle = f"буква «{letter}»" if letter else f"зачисленные в {year} учебном году"
        if letter and year is not None:
            subtitle += f", {year} учебный год"
        g.writes = True
        school = self.session.scalar(select(School))
        return print_document(
            lambda: render_admission_book(school=school, entries=entries, subtitle=subtitle),
            f"Алфавитная книга ({subtitle}).pdf",
            disclosures=[dict(document_kind="other",
                              description=f"Алфавитная книга записи обучающихся ({subtitle}), строк: {len(entries)}",
                              recipient=f"{current_user.full_name} (пользователь панели)",
                              purpose="печать алфавитной книги для архива школы")])


def _kinds(view, context, model, name):
    return ", ".join(k.name for k in model.kinds)


class NomenclatureItemView(SecureModelView):
    target = "nomenclature"
    list_template = "admin/nomenclature_list.html"
    column_list = ("academic_year", "index", "title", "volumes", "retention", "list_article", "note", "kinds")
    column_export_list = ("index", "title", "volumes", "retention", "list_article", "note")
    column_default_sort = [("academic_year_id", True), ("index", False)]
    column_sortable_list = ("index", "title")
    column_searchable_list = ("index", "title")
    column_filters = ("academic_year.name",)
    column_labels = {"academic_year": "Учебный год", "academic_year.name": "Учебный год", "index": "Индекс дела",
                     "title": "Заголовок дела (тома, части)", "volumes": "Кол-во дел (томов, частей)",
                     "retention": "Срок хранения", "list_article": "№ статьи по перечню", "note": "Примечание",
                     "kinds": "Виды носителей"}
    column_formatters = {"kinds": _kinds}
    column_formatters_detail = column_formatters
    form_columns = ("academic_year", "index", "title", "volumes", "retention", "list_article", "note")
    export_types = ["xlsx", "csv"]

    def domain_errors(self, form, model):
        return item_errors(self.session, index=form.index.data, title=form.title.data, retention=form.retention.data,
                           academic_year_id=form.academic_year.data.id if form.academic_year.data else None,
                           volumes=form.volumes.data, item_id=model.id if model else None)

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["nomenclature_years"] = self.session.scalars(select(AcademicYear).order_by(
                AcademicYear.starts_on.desc())).all()
        return super().render(template, **kwargs)

    @expose("/pdf/")
    def pdf(self):
        prints = current_app.extensions["panel_prints"]
        render_nomenclature, print_document = prints["nomenclature"], prints["print"]

        year_id = request.args.get("year", type=int)
        year = self.session.get(AcademicYear, year_id) if year_id else current_year(self.session)
        if year is None:
            flash("Учебный год не найден.", "error")
            return redirect(url_for(".index_view"))
        school, items = self.session.scalar(select(School)), nomenclature_rows(self.session, year.id)
        return print_document(lambda: render_nomenclature(school=school, year=year, items=items),
                              f"Номенклатура дел на {year}.pdf".replace("/", "-"))


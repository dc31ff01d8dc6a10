"""Registers of people: students, guardians, classes and orders."""
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import AcademicYear, Guardian, Order, SchoolClass, Student, User
from models.people import (GUARDIAN_KINDS, LEAVING_REASONS, ORDER_KINDS, PUPIL_ORDER_KINDS, SEXES, STUDENT_STATUSES,
                           order_text, students_named, student_errors)
from models.people import order_errors, school_class_errors

from .base import IntEqualFilter, SecureModelView, choices_formatter
from .lookups import GuardianLookup, StudentLookup

PERSON_LABELS = {"last_name": "Фамилия", "first_name": "Имя", "middle_name": "Отчество", "search_name": "ФИО"}


def _own_class_ids(user):
    return select(SchoolClass.id).where(SchoolClass.class_teacher_id == user.id)


def _own_class_students(query, user):
    return query.filter(Student.school_class_id.in_(_own_class_ids(user)))


def _own_class_guardians(query, user):
    own = select(Student.id).where(Student.school_class_id.in_(_own_class_ids(user)))
    return query.filter(Guardian.students.any(Student.id.in_(own)))


def _own_classes(query, user):
    return query.filter(SchoolClass.class_teacher_id == user.id)


def _classes_with_years():
    # Each option reads «9А (2026/2027)»: load the years with the classes, not one query per option.
    # Only the two latest years are offered (decades of classes would make every form slow); a class of an
    # older year is still refused by the rule with its own message.
    latest = select(AcademicYear.id).order_by(AcademicYear.starts_on.desc()).limit(2).scalar_subquery()
    recent = select(AcademicYear.id).where(AcademicYear.id.in_(latest))
    return SchoolClass.query.options(joinedload(SchoolClass.academic_year)).filter(
        SchoolClass.academic_year_id.in_(recent)).order_by(
        SchoolClass.academic_year_id.desc(), SchoolClass.grade, SchoolClass.letter)


def _choices(mapping):
    return list(mapping.items())


def _leaving_link(view, context, model, name):
    from flask import url_for
    from flask_login import current_user
    from markupsafe import Markup

    from .roles import can

    if not can(current_user, "leaving", "view"):
        return ""
    label = "Выбытие и акты приёма-передачи" if model.status == "studying" else "Акты приёма-передачи"
    return Markup(f'<a href="{url_for("leaving.student", student_id=model.id)}">{label}</a>')


class StudentView(SecureModelView):
    personal_data = True
    target = "students"
    class_scope = staticmethod(_own_class_students)
    column_list = ("last_name", "first_name", "middle_name", "birth_date", "school_class.name", "status")
    column_searchable_list = ("search_name",)
    column_sortable_list = ("last_name", "first_name", "birth_date", ("school_class.name", "school_class.name"),
                            "status")
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_filters = (
        "school_class.name",
        FilterEqual(Student.status, "Статус", options=_choices(STUDENT_STATUSES)),
        FilterEqual(Student.sex, "Пол", options=_choices(SEXES)),
        FilterLike(Student.last_name, "Фамилия"),
        "birth_date",
        "enrolled_on",
        "left_on",
    )
    column_labels = {**PERSON_LABELS, "birth_date": "Дата рождения", "sex": "Пол", "school_class": "Класс",
                     "school_class.name": "Класс", "status": "Статус", "enrolled_on": "Дата зачисления",
                     "enrolment_order": "Приказ о зачислении", "left_on": "Дата выбытия",
                     "leaving_order": "Приказ о выбытии", "leaving_reason": "Причина выбытия",
                     "leaving_note": "Куда выбыл / примечание", "guardians": "Законные представители",
                     "leaving": "Выбытие", "came_from": "Откуда прибыл"}
    column_formatters = {"status": choices_formatter(STUDENT_STATUSES), "sex": choices_formatter(SEXES),
                         "leaving_reason": choices_formatter(LEAVING_REASONS)}
    column_formatters_detail = {**column_formatters, "leaving": _leaving_link}
    column_details_list = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class", "status",
                           "guardians", "enrolled_on", "enrolment_order", "left_on", "leaving_order",
                           "leaving_reason", "leaving_note", "leaving")
    column_formatters_export = {k: v for k, v in column_formatters.items()}
    column_export_list = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class.name",
                          "status", "enrolled_on", "left_on")
    form_columns = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class", "guardians",
                    "enrolled_on", "enrolment_order", "came_from")
    form_choices = {"sex": _choices(SEXES)}
    # Guardians are looked up as you type: a large school has thousands of them.
    form_ajax_refs = {"guardians": GuardianLookup("guardians")}
    form_args = {"last_name": {"label": "Фамилия"}, "school_class": {"label": "Класс",
                                                                   "query_factory": _classes_with_years}}
    simple_list_pager = True  # a district's 100,000 students: no COUNT(*) per list page

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # Every word in the folded ФИО column, through the trigram index when it has few matches (students_named).
        condition = students_named(self.session, search)
        if condition is not None:
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def domain_errors(self, form, model):
        return student_errors(
            self.session, last_name=form.last_name.data, first_name=form.first_name.data,
            birth_date=form.birth_date.data,
            school_class_id=form.school_class.data.id if form.school_class.data else None)


class GuardianView(SecureModelView):
    personal_data = True
    target = "guardians"
    class_scope = staticmethod(_own_class_guardians)
    column_list = ("last_name", "first_name", "middle_name", "kind", "phone", "students")
    column_searchable_list = ("last_name", "first_name", "middle_name", "phone")
    column_filters = (FilterEqual(Guardian.kind, "Кем приходится", options=_choices(GUARDIAN_KINDS)),
                      FilterLike(Guardian.last_name, "Фамилия"))
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_labels = {**PERSON_LABELS, "kind": "Кем приходится", "phone": "Телефон",
                     "identity_document": "Документ, удостоверяющий личность", "address": "Адрес",
                     "students": "Обучающиеся"}
    column_formatters = {"kind": choices_formatter(GUARDIAN_KINDS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    form_columns = ("last_name", "first_name", "middle_name", "kind", "students", "phone", "identity_document",
                    "address")
    form_ajax_refs = {"students": StudentLookup("students")}
    form_choices = {"kind": _choices(GUARDIAN_KINDS)}

    def domain_errors(self, form, model):
        errors = {}
        if not (form.last_name.data or "").strip():
            errors["last_name"] = "Укажите фамилию законного представителя."
        if not (form.first_name.data or "").strip():
            errors["first_name"] = "Укажите имя законного представителя."
        return errors


def _teachers():
    return User.query.filter(User.active.is_(True)).order_by(User.full_name)


class SchoolClassView(SecureModelView):
    target = "classes"
    class_scope = staticmethod(_own_classes)
    column_list = ("name", "academic_year", "level", "class_teacher")
    column_searchable_list = ("name",)
    column_filters = (IntEqualFilter(SchoolClass.grade, "Параллель"), "academic_year.name")
    column_default_sort = [("grade", False), ("letter", False)]
    column_labels = {"name": "Класс", "academic_year": "Учебный год", "academic_year.name": "Учебный год",
                     "level": "Уровень", "class_teacher": "Классный руководитель", "grade": "Параллель",
                     "letter": "Литера", "students": "Обучающиеся"}
    column_details_list = ("name", "academic_year", "level", "class_teacher", "students")
    form_columns = ("academic_year", "grade", "letter", "class_teacher")
    form_args = {"class_teacher": {"query_factory": _teachers}}

    def domain_errors(self, form, model):
        return school_class_errors(
            self.session, grade=form.grade.data, letter=form.letter.data,
            academic_year_id=form.academic_year.data.id if form.academic_year.data else None,
            class_id=model.id if model else None)


def _order_pdf_link(view, context, model, name):
    from flask import url_for
    from markupsafe import Markup, escape

    return Markup(f'<a href="{escape(url_for(".pdf", id=model.id))}" target="_blank">PDF</a>')


def _pupil_count(view, context, model, name):
    return len(model.students)


def _text_formatter(view, context, model, name):
    from markupsafe import Markup, escape

    return Markup("<br>".join(escape(line) for line in (model.text or "").splitlines()))


class OrderView(SecureModelView):
    target = "orders"
    column_list = ("number", "issued_on", "kind", "title", "pupils", "signed_by", "pdf")
    column_details_list = ("number", "issued_on", "kind", "title", "students", "text", "signed_by", "pdf")
    column_export_list = ("number", "issued_on", "kind", "title", "pupils", "signed_by")
    column_searchable_list = ("number", "title")
    column_filters = (FilterEqual(Order.kind, "Вид", options=_choices(ORDER_KINDS)), "issued_on")
    column_default_sort = ("issued_on", True)
    column_labels = {"number": "Номер", "issued_on": "Дата", "kind": "Вид приказа", "title": "Заголовок",
                     "students": "Обучающиеся", "pupils": "Обучающихся", "text": "Текст приказа",
                     "signed_by": "Подписал", "pdf": "Печать"}
    column_formatters = {"kind": choices_formatter(ORDER_KINDS), "pdf": _order_pdf_link, "pupils": _pupil_count}
    column_formatters_detail = {**column_formatters, "text": _text_formatter}
    column_formatters_export = {"kind": choices_formatter(ORDER_KINDS), "pupils": _pupil_count}
    form_choices = {"kind": _choices(ORDER_KINDS)}
    form_columns = ("number", "issued_on", "kind", "title", "students", "text", "signed_by")
    form_ajax_refs = {"students": StudentLookup("students")}
    form_widget_args = {"text": {"rows": 10, "placeholder": "оставьте пустым — текст составится по шаблону вида "
                                                            "приказа со списком обучающихся"}}

    def domain_errors(self, form, model):
        return order_errors(self.session, number=form.number.data, issued_on=form.issued_on.data,
                            order_id=model.id if model else None)

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        if not (model.text or "").strip():
            from models import School

            school = self.session.scalar(select(School))
            model.text = order_text(model, school.short_name if school else "школы") or None

    @expose("/pdf/")
    def pdf(self):
        from flask import abort, request

        from models import School
        from views.pdf import pdf_response, render_pdf

        order = self.session.get(Order, request.args.get("id", type=int) or 0)
        if order is None:
            abort(404)
        school = self.session.scalar(select(School))
        data = render_pdf("pdf/order.html", order=order, school=school,
                          text=order.text or order_text(order, school.short_name if school else "школы"),
                          kinds=ORDER_KINDS)
        return pdf_response(data, f"Приказ № {order.number} от {order.issued_on:%d.%m.%Y}.pdf")


class PupilOrderView(OrderView):
    """«Книга приказов по контингенту»: the orders on pupils only, by date."""

    column_filters = (FilterEqual(Order.kind, "Вид", options=[(k, ORDER_KINDS[k]) for k in PUPIL_ORDER_KINDS]),
                      "issued_on")
    column_default_sort = [("issued_on", False), ("number", False)]

    def get_query(self):
        return super().get_query().filter(Order.kind.in_(PUPIL_ORDER_KINDS))

    def get_count_query(self):
        return super().get_count_query().filter(Order.kind.in_(PUPIL_ORDER_KINDS))

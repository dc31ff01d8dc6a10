"""Registers of people: students, guardians, classes and orders."""
from flask import request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, FileField, StringField
from wtforms.validators import Optional

from models import Guardian, Order, SchoolClass, Student, User
from models.people import (GUARDIAN_KINDS, LEAVING_REASONS, ORDER_KINDS, PUPIL_ORDER_KINDS, SEXES, STUDENT_STATUSES,
                           alphabetical, name_match, order_text, student_errors)
from models.people import PD_BASES, namesakes, order_errors, pd_basis_errors, school_class_errors

from .access import allowed
from .base import IntEqualFilter, RuDateField, SecureModelView, choices_formatter
from .lookups import ClassLookup, GuardianLookup, OrderLookup, StudentLookup

PERSON_LABELS = {"last_name": "Фамилия", "first_name": "Имя", "middle_name": "Отчество", "search_name": "ФИО",
                 "pd_basis": "Основание обработки персональных данных", "pd_consent_on": "Дата согласия",
                 "pd_basis_note": "Статья закона / реквизиты согласия",
                 "authority_document": "Документ о полномочиях (для иного представителя)",
                 "depersonalised_on": "Обезличен", "pd_consent_name": "Скан согласия"}


class ConsentScan:
    """The signed consent's scan on a person's form (152-ФЗ ст. 9): checked like a portfolio scan, stored under a
    generated name; a replaced one leaves the disk when the change is saved (models/registers._track_scans)."""

    def _consent_errors(self, form):
        from flask import current_app

        from models.registers import upload_error

        upload = form.consent_upload.data
        if upload is None or not getattr(upload, "filename", ""):
            return {}
        head = upload.stream.read(16)
        upload.stream.seek(0, 2)
        size = upload.stream.tell()
        upload.stream.seek(0)
        problem = upload_error(upload.filename, head, size, current_app.config["UPLOAD_MAX_BYTES"])
        return {"consent_upload": problem} if problem else {}

    def _save_consent(self, form, model):
        from models.registers import stored_upload_name, upload_dir

        model.pd_basis = model.pd_basis or None
        upload = form.consent_upload.data
        if upload is not None and getattr(upload, "filename", ""):
            name = stored_upload_name(upload.filename)
            upload.save(upload_dir("consents") / name)
            model.pd_consent_file, model.pd_consent_name = name, upload.filename[:255]

    @expose("/consent/")
    def consent_scan(self):
        from urllib.parse import quote

        from flask import abort, request, send_file

        from models.registers import upload_dir

        person = self.get_one(request.args.get("id", ""))
        if person is None or not person.pd_consent_file:
            abort(404)
        folder = upload_dir("consents").resolve()
        path = (folder / person.pd_consent_file).resolve()
        if folder not in path.parents or not path.exists():
            abort(404)
        response = send_file(path)
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"consent.{person.pd_consent_file.rsplit('.', 1)[1]}\"; "
            f"filename*=UTF-8''{quote(person.pd_consent_name or person.pd_consent_file)}")
        return response


def _consent_formatter(view, context, model, name):
    from flask import url_for
    from markupsafe import Markup, escape

    if not model.pd_consent_file:
        return ""
    return Markup(f'<a href="{url_for(".consent_scan", id=model.id)}">{escape(model.pd_consent_name or "скан")}</a>')


CONSENT_UPLOAD = {"consent_upload": FileField("Скан согласия на обработку персональных данных (PDF, JPG, PNG)")}






def _choices(mapping):
    return list(mapping.items())


def _leaving_link(view, context, model, name):
    from flask import url_for
    from markupsafe import Markup

    if not allowed("leaving", "view"):
        return ""
    label = "Выбытие и акты приёма-передачи" if model.status == "studying" else "Акты приёма-передачи"
    return Markup(f'<a href="{url_for("leaving.student", student_id=model.id)}">{label}</a>')


# Registers a pupil's carriers open in: the carrier's type (and, for protocols, its kind) -> (endpoint, target).
CARRIER_PAGES = {"personal_file": ("personal_file", "personal_files"), "portfolio": ("portfolio", "portfolios"),
                 "stored_certificate": ("stored_certificate", "stored_certificates"),
                 "exam_protocol": ("gia_protocol", "exam_protocols")}
ESSAY_KINDS = ("final_essay_protocol", "oral_interview_protocol")


def _records(view, context, model, name):
    """One place per pupil: links to everything the school holds on them that this user may open."""
    from flask import render_template, url_for

    from models.student_records import student_records

    def carrier_link(carrier):
        endpoint, target = CARRIER_PAGES.get(carrier.type, (None, None))
        if endpoint == "gia_protocol" and carrier.kind and carrier.kind.code in ESSAY_KINDS:
            endpoint = "essay_protocol"
        return url_for(f"{endpoint}.details_view", id=carrier.id) if endpoint and allowed(target) else None

    from models.carriers import CARRIER_STATUSES

    return Markup(render_template("admin/student_records.html", student=model, allowed=allowed,
                                  carrier_link=carrier_link, carrier_statuses=CARRIER_STATUSES,
                                  **student_records(view.session, model.id)))


class StudentView(ConsentScan, SecureModelView):
    personal_data = True
    target = "students"
    column_list = ("last_name", "first_name", "middle_name", "birth_date", "school_class.name", "status")
    column_searchable_list = ("search_name",)
    # The folded ФИО sorts «Ё» with «Е» (and has its own index); namesakes by id, so that pages neither repeat nor
    # skip one of them.
    column_sortable_list = (("last_name", ("search_name", "id")), "first_name", "birth_date",
                            ("school_class.name", "school_class.name"), "status")
    column_default_sort = [("search_name", False), ("id", False)]
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
                     "leaving": "Выбытие", "records": "Всё об обучающемся", "came_from": "Откуда прибыл"}
    column_formatters = {"status": lambda v, c, model, n: model.status_label, "sex": choices_formatter(SEXES),
                         "leaving_reason": choices_formatter(LEAVING_REASONS)}
    column_formatters_detail = {**column_formatters, "leaving": _leaving_link, "records": _records,
                                "pd_consent_name": _consent_formatter, "pd_basis": choices_formatter(PD_BASES)}
    column_details_list = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class", "status",
                           "guardians", "enrolled_on", "enrolment_order", "left_on", "leaving_order",
                           "leaving_reason", "leaving_note", "leaving", "pd_basis", "pd_consent_on", "pd_basis_note",
                           "pd_consent_name", "depersonalised_on", "records")
    column_formatters_export = {k: v for k, v in column_formatters.items()}
    column_export_list = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class.name",
                          "status", "enrolled_on", "left_on")
    form_columns = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class", "guardians",
                    "enrolled_on", "enrolment_order", "order_number", "order_date", "came_from", "pd_basis",
                    "pd_consent_on", "pd_basis_note", "consent_upload", "confirm_namesake")
    form_extra_fields = {**CONSENT_UPLOAD, "confirm_namesake": BooleanField(
        "Это другой обучающийся с теми же ФИО и датой рождения",
        description="Отметьте, только если панель предупредила о совпадении и вы проверили документы."),
        # The order is typed as it is written on paper: found among the orders entered, or entered here.
        "order_number": StringField("или номер приказа о зачислении", validators=[Optional()], description=(
            "Впишите номер и дату приказа, если его нет в списке: приказ о зачислении с этими номером и датой "
            "будет найден или заведён, и обучающийся будет внесён в него.")),
        "order_date": RuDateField("Дата этого приказа", validators=[Optional()])}
    # No default: a wrong sex would put wrong verbs («обучался») into every print.
    form_choices = {"sex": [("", "— выберите —"), *_choices(SEXES)], "pd_basis": [("", "—")] + _choices(PD_BASES)}
    # Guardians, classes and orders are looked up as you type: a large school has thousands of guardians, a
    # hundred classes a year and hundreds of orders; as selects they were most of the form's time. Only the
    # two latest years' classes are offered; a class of an older year is still refused by the rule with its
    # own message.
    form_ajax_refs = {"guardians": GuardianLookup("guardians"),
                      "school_class": ClassLookup("school_class", recent_years=2),
                      "enrolment_order": OrderLookup("enrolment_order")}
    form_args = {"last_name": {"label": "Фамилия"}, "school_class": {"label": "Класс"}}
    simple_list_pager = True  # a district's 100,000 students: no COUNT(*) per list page
    # The class look-up's label «5А (2026/2027)» read with the pupil.
    record_loads = (lambda: joinedload(Student.school_class).joinedload(SchoolClass.academic_year),)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        # Every word in the folded ФИО column, through the trigram index when it has few matches (name_match).
        match = name_match(self.session, search)
        if match is not None:
            request.__dict__["_panel_name_match"] = match  # its order is applied to the page's ids (_page_ids)
            query = query.filter(match.condition)
            if count_query is not None:
                count_query = count_query.filter(match.condition)
        return query, count_query, joins, count_joins

    def _page_ids(self, query, key):
        ids = super()._page_ids(query, key)
        match = request.__dict__.get("_panel_name_match")
        if match is None or not match.few:
            return ids
        # The query already holds the page's LIMIT: only its ORDER BY changes.
        return ids.enable_assertions(False).order_by(None).order_by(*match.order(*ids._order_by_clauses))

    def create_form(self, obj=None):
        return self._namesake_box(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._namesake_box(super().edit_form(obj))

    def _namesake_box(self, form):
        # The confirmation is asked for only after a warning: an empty form does not show it.
        from flask import request

        if request.method != "POST" and hasattr(form, "confirm_namesake"):
            del form["confirm_namesake"]
        return form

    def domain_errors(self, form, model):
        errors = student_errors(
            self.session, last_name=form.last_name.data, first_name=form.first_name.data,
            birth_date=form.birth_date.data, sex=form.sex.data or None,
            school_class_id=form.school_class.data.id if form.school_class.data else None)
        same = namesakes(self.session, last_name=form.last_name.data, first_name=form.first_name.data,
                         middle_name=form.middle_name.data, birth_date=form.birth_date.data,
                         student_id=model.id if model else None)
        if same and not errors and not (hasattr(form, "confirm_namesake") and form.confirm_namesake.data):
            found = same[0]
            where = f", класс {found.school_class.name}" if found.school_class else ""
            errors["confirm_namesake"] = (
                f"Обучающийся {found.full_name}, {found.birth_date.strftime('%d.%m.%Y')}{where}, уже есть в списке. "
                "Если это тот же человек, не создавайте вторую запись; если другой — отметьте это поле и "
                "сохраните ещё раз.")
        errors.update(pd_basis_errors(basis=form.pd_basis.data or None, consent_on=form.pd_consent_on.data,
                                      note=form.pd_basis_note.data))
        errors.update(self._consent_errors(form))
        errors.update(self._order_errors(form, model))
        return errors

    def _order_errors(self, form, model):
        """The enrolment order, picked from the list or typed by number and date: of kind «о зачислении», and
        «№ 112-о от 27.11.2026» one record (see models.people.order_conflict)."""
        from datetime import date

        from models.people import order_conflict

        picked = form.enrolment_order.data
        kept = model is not None and picked is not None and picked.id == model.enrolment_order_id
        if picked is not None and not kept and picked.kind != "enrolment":
            return {"enrolment_order": f"Приказ {picked} — приказ {ORDER_KINDS.get(picked.kind, picked.kind)}, "
                                       "а не о зачислении: выберите приказ о зачислении."}
        number, day = (form.order_number.data or "").strip(), form.order_date.data
        if not number and day is None:
            return {}
        if not number:
            return {"order_number": "Укажите номер приказа о зачислении (или очистите дату)."}
        if day is None:
            return {"order_date": "Укажите дату приказа о зачислении."}
        if day > date.today():
            return {"order_date": "Дата приказа не может быть в будущем."}
        order, problem = order_conflict(self.session, number=number, issued_on=day, accept=("enrolment",))
        if problem:
            return {"order_number": problem}
        if picked is not None and not kept and picked is not order:
            return {"order_number": f"В списке выбран приказ {picked}, а вписан № {number} от {day:%d.%m.%Y}: "
                                    "оставьте один из них."}
        return {}

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        for name in ("confirm_namesake", "order_number", "order_date"):
            if name in model.__dict__:
                delattr(model, name)  # a form-only field populate_obj set on the model
        number, day = (form.order_number.data or "").strip(), form.order_date.data
        if number and day is not None:
            from models.people import pick_order

            _, order = pick_order(self.session, kind="enrolment", number=number, issued_on=day,
                                  title="О зачислении обучающихся")
            model.enrolment_order = order
        self._save_consent(form, model)


class GuardianView(ConsentScan, SecureModelView):
    personal_data = True
    target = "guardians"
    column_list = ("last_name", "first_name", "middle_name", "kind", "phone", "students")
    column_searchable_list = ("last_name", "first_name", "middle_name", "phone")
    column_filters = (FilterEqual(Guardian.kind, "Кем приходится", options=_choices(GUARDIAN_KINDS)),
                      FilterLike(Guardian.last_name, "Фамилия"))
    column_default_sort = [(alphabetical(Guardian.last_name), False), (alphabetical(Guardian.first_name), False)]
    column_labels = {**PERSON_LABELS, "kind": "Кем приходится", "phone": "Телефон",
                     "identity_document": "Документ, удостоверяющий личность", "address": "Адрес",
                     "students": "Обучающиеся"}
    column_formatters = {"kind": choices_formatter(GUARDIAN_KINDS)}
    column_formatters_detail = {**column_formatters, "pd_consent_name": _consent_formatter,
                                "pd_basis": choices_formatter(PD_BASES)}
    column_details_exclude_list = ("version", "pd_consent_file")
    column_formatters_export = column_formatters
    form_columns = ("last_name", "first_name", "middle_name", "kind", "authority_document", "students", "phone",
                    "identity_document", "address", "pd_basis", "pd_consent_on", "pd_basis_note", "consent_upload")
    form_extra_fields = CONSENT_UPLOAD
    form_ajax_refs = {"students": StudentLookup("students")}
    form_choices = {"kind": _choices(GUARDIAN_KINDS), "pd_basis": [("", "—")] + _choices(PD_BASES)}

    def on_model_change(self, form, model, is_created):
        self._save_consent(form, model)

    def domain_errors(self, form, model):
        errors = pd_basis_errors(basis=form.pd_basis.data or None, consent_on=form.pd_consent_on.data,
                                 note=form.pd_basis_note.data)
        errors.update(self._consent_errors(form))
        if not (form.last_name.data or "").strip():
            errors["last_name"] = "Укажите фамилию законного представителя."
        if not (form.first_name.data or "").strip():
            errors["first_name"] = "Укажите имя законного представителя."
        return errors


def _teachers():
    return User.query.filter(User.active.is_(True)).order_by(alphabetical(User.full_name))


class SchoolClassView(SecureModelView):
    target = "classes"
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
            model.text = order_text(model, school.short_name if school else "школы", self.session) or None

    @expose("/pdf/")
    def pdf(self):
        from flask import abort, request

        from flask import current_app

        from models import School

        prints = current_app.extensions["panel_prints"]
        render_pdf, print_document = prints["render"], prints["print"]

        order = self.session.get(Order, request.args.get("id", type=int) or 0)
        if order is None:
            abort(404)
        school = self.session.scalar(select(School))
        return print_document(
            lambda: render_pdf("pdf/order.html", order=order, school=school,
                               text=order.text or order_text(order, school.short_name if school else "школы",
                                                             self.session),
                               kinds=ORDER_KINDS),
            f"Приказ № {order.number} от {order.issued_on:%d.%m.%Y}.pdf")


class PupilOrderView(OrderView):
    """«Книга приказов по контингенту»: the orders on pupils only, by date."""

    column_filters = (FilterEqual(Order.kind, "Вид", options=[(k, ORDER_KINDS[k]) for k in PUPIL_ORDER_KINDS]),
                      "issued_on")
    column_default_sort = [("issued_on", False), ("number", False)]

    def get_query(self):
        return super().get_query().filter(Order.kind.in_(PUPIL_ORDER_KINDS))

    def get_count_query(self):
        return super().get_count_query().filter(Order.kind.in_(PUPIL_ORDER_KINDS))


class OrderTemplateView(SecureModelView):
    """The text a new order of each kind starts from; an order's own text is then edited on the order."""

    target = "order_templates"
    can_create = False
    can_delete = False
    column_list = ("kind", "text")
    column_default_sort = ("kind", False)
    column_labels = {"kind": "Вид приказа", "text": "Текст шаблона"}
    column_formatters = {"kind": choices_formatter(ORDER_KINDS), "text": _text_formatter}
    form_columns = ("text",)
    form_widget_args = {"text": {"rows": 14}}
    form_args = {"text": {"label": "Текст шаблона", "description": (
        "{pupils} — нумерованный список обучающихся приказа, {school} — краткое наименование школы. "
        "Новый приказ этого вида получит этот текст; текст уже созданных приказов не меняется.")}}

    def domain_errors(self, form, model):
        from models.orders import template_errors

        return template_errors(form.text.data)

"""Carrier registers: one base for every kind (filters, custody, retention, annulment), one view per register."""
import re

from flask_admin import expose
from flask_admin.contrib.sqla.filters import BaseSQLAFilter, BooleanEqualFilter, FilterEqual, FilterLike
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from wtforms import FileField, SelectField, StringField

from models import (Carrier, CarrierKind, EjournalCopy, PaperJournal, SchoolClass, Student,
                    User)
from models.copies import PROBLEMS, problem_condition
from models.people import alphabetical, carriers_of_students_named, like_literal
from models.carriers import CARRIER_STATUSES, CLOCK_STARTS, HELD_STATUSES, LEFT_STATUSES, MEDIA, RETENTION_KINDS
from models.registers import (ATTEMPTS, BOOK_LEVELS, COPY_FORMATS, EXAMS, JOURNAL_KINDS, MARK_VALUES, MEDIUM_TYPES,
                              PORTFOLIO_ITEM_KINDS, PORTFOLIO_LEVELS, PORTFOLIO_RESULTS, UPLOAD_TYPES, PortfolioItem,
                              portfolio_upload_dir,
                              annual_mark_error, certified_years, copy_completeness, personal_file_errors, stored_certificate_errors,
                              stored_upload_name, suggest_personal_file_number, upload_error)

from .base import SecureModelView, choices_formatter, request_rows
from .lookups import ClassLookup, PortfolioLookup, StudentLookup

CARRIER_LABELS = {
    "kind": "Вид носителя", "number": "Номер", "title": "Наименование", "student": "Обучающийся",
    "student.last_name": "Фамилия обучающегося", "student.first_name": "Имя", "student.middle_name": "Отчество", "school_class": "Класс", "school_class.name": "Класс",
    "academic_year": "Учебный год", "academic_year.name": "Учебный год", "created_on": "Дата заведения",
    "closed_on": "Дата закрытия", "event_on": "Дата события", "status": "Статус", "location": "Место хранения",
    "custodian": "Ответственный хранитель", "custodian.full_name": "Хранитель",
    "retention_end": "Хранить до", "on_hold": "Приостановлено уничтожение", "hold_reason": "Основание приостановки",
    "destroyed_on": "Уничтожен", "annulled": "Аннулирована", "annul_reason": "Причина аннулирования",
    "annulled_at": "Аннулирована (когда)", "note": "Примечание", "movements": "Движение (журнал хранения)",
    "movement_reason": "Основание перемещения", "destruction_act_id": "Акт об уничтожении",
}


def _destruction_act(view, context, model, name):
    """«Акт об уничтожении № 3 от 01.12.2026», linked where the user may open the act; never a bare id."""
    from flask import url_for
    from markupsafe import Markup, escape

    from models.retention import DestructionAct

    from .access import allowed

    if not model.destruction_act_id:
        return ""
    act = view.session.get(DestructionAct, model.destruction_act_id)
    if act is None:
        return f"акт (запись {model.destruction_act_id}) не найден"
    text = escape(f"Акт об уничтожении № {act.number} от {act.act_date:%d.%m.%Y}")
    if allowed("retention_review", "view"):
        return Markup(f'<a href="{url_for("retention_review.act", act_id=act.id)}">{text}</a>')
    return text


CARRIER_FORMATTERS = {"status": choices_formatter(CARRIER_STATUSES), "destruction_act_id": _destruction_act}


def _choices(mapping):
    return list(mapping.items())


# A form offers only the statuses of a carrier the school holds: «передан», «уничтожен» come from the acts.
HELD_STATUS_CHOICES = [(key, CARRIER_STATUSES[key]) for key in HELD_STATUSES]



def _active_users():
    return User.query.filter(User.active.is_(True)).order_by(alphabetical(User.full_name))


class CarrierView(SecureModelView):
    """Every register of carriers: the same filters, search, retention column, custody log and annulment."""

    kind_codes = ()
    simple_list_pager = True  # registers reach hundreds of thousands of rows: no COUNT(*) per page
    column_labels = CARRIER_LABELS
    column_formatters = CARRIER_FORMATTERS
    column_formatters_detail = CARRIER_FORMATTERS
    column_formatters_export = CARRIER_FORMATTERS
    # The base table's id (the same value as a register's own id), which the kind index holds in order.
    column_default_sort = (Carrier.id, True)
    column_searchable_list = ("number", "student.last_name", "student.first_name", "student.middle_name")
    base_filters = (
        "kind.name", "school_class.name", "academic_year.name",
        FilterEqual(Carrier.status, "Статус", options=_choices(CARRIER_STATUSES)),
        FilterLike(Carrier.location, "Место хранения"),
        "custodian.full_name",
        "retention_end",
        BooleanEqualFilter(Carrier.annulled, "Аннулирована"),
    )
    common_form = ("location", "custodian", "movement_reason", "note", "annulled", "annul_reason")
    form_extra_fields = {"movement_reason": StringField(
        "Основание перемещения", description="Заполните, если меняете место хранения или хранителя.")}
    column_details_exclude_list = ("version", "type")
    column_export_exclude_list = ("version", "type")
    form_args = {"custodian": {"query_factory": _active_users}}
    # A district holds 100,000 students and thousands of classes: the form looks them up as you type
    # instead of rendering every one of them into a <select>.
    form_ajax_refs = {
        "student": StudentLookup("student"),
        "school_class": ClassLookup("school_class"),
    }

    # The look-ups' labels: the student with the class («Иванов Пётр (05.03.2014, 5А)»), the class with its year.
    record_loads = (lambda: joinedload(Carrier.student).joinedload(Student.school_class),
                    lambda: joinedload(Carrier.school_class).joinedload(SchoolClass.academic_year))

    def __init__(self, model, **kwargs):
        if self.column_filters is None:
            self.column_filters = tuple(self.extra_filters) + tuple(self.base_filters)
        super().__init__(model, **kwargs)

    extra_filters = ()
    column_filters = None

    def _kind_query(self):
        return CarrierKind.query.filter(CarrierKind.code.in_(self.kind_codes)).order_by(CarrierKind.name)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        if hasattr(form_class, "kind"):
            form_class.kind.kwargs["query_factory"] = request_rows((CarrierKind, self.kind_codes), self._kind_query)
        return form_class

    def _apply_search(self, query, count_query, joins, count_joins, search):
        student_fields = [c for c in self.column_searchable_list or () if c.startswith("student.")]
        if not student_fields or not search.strip():
            return super()._apply_search(query, count_query, joins, count_joins, search)
        # A text with a digit is a register number («Б-15», «2024/7»): matched as typed or in capitals («б-15»
        # finds «Б-15»). Anything else is a name, looked up in the folded ФИО (see Student.search_name) so that
        # the register is reached through its student index instead of a scan of every row.
        text = " ".join(search.split())
        if any(ch.isdigit() for ch in text):
            pattern = like_literal(text)
            own = [getattr(self.model, c) for c in self.column_searchable_list if "." not in c]
            conditions = [column.like(f"%{variant}%", escape="\\") for column in own
                          for variant in dict.fromkeys((pattern, pattern.upper()))]
        else:
            conditions = [carriers_of_students_named(self.session, Carrier.student_id, text)]
        condition = or_(*conditions)
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def get_query(self):
        return self._by_kind(super().get_query())

    def get_count_query(self):
        return self._by_kind(super().get_count_query())

    def _by_kind(self, query):
        # Literal kind ids, not a subquery: with `kind_id = 7` SQLite walks the kind index in id order and
        # page 1000 of 100,000 files skips index entries (0.02 s); with IN (subquery) it sorted every row (0.3 s).
        ids = list(self.session.scalars(select(CarrierKind.id).where(CarrierKind.code.in_(self.kind_codes))))
        return query.filter(Carrier.kind_id == ids[0] if len(ids) == 1 else Carrier.kind_id.in_(ids))

    def get_one(self, id):
        record = super().get_one(id)
        # Two registers may share a model (GIA and essay protocols): each opens only its own kinds.
        if record is not None and record.kind is not None and record.kind.code not in self.kind_codes:
            return None
        return record

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if hasattr(form, "kind") and form.kind.data is None and len(self.kind_codes) == 1:
            form.kind.data = self.session.scalar(select(CarrierKind).where(CarrierKind.code == self.kind_codes[0]))
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        # A carrier that left by an act shows its status on its page; the form has nothing to choose.
        if obj is not None and obj.status in LEFT_STATUSES and "status" in form:
            del form["status"]
        return form

    def domain_errors(self, form, model):
        errors = {}
        if hasattr(form, "kind") and form.kind.data is None:
            errors["kind"] = "Укажите вид носителя."
        if hasattr(form, "annulled"):
            if model is not None and model.annulled and not form.annulled.data:
                errors["annulled"] = "Аннулированная запись не восстанавливается."
            if form.annulled.data and not (form.annul_reason.data or "").strip():
                errors["annul_reason"] = "Укажите причину аннулирования."
        if hasattr(form, "created_on") and hasattr(form, "closed_on"):
            if form.created_on.data and form.closed_on.data and form.closed_on.data < form.created_on.data:
                errors["closed_on"] = "Дата закрытия не может быть раньше даты заведения."
        errors.update(self.register_errors(form, model))
        return errors

    def register_errors(self, form, model):
        return {}

    def on_model_change(self, form, model, is_created):
        # The hook in models/carriers.py writes the custody movement; it reads the reason from here.
        model.movement_reason = (form.movement_reason.data or "").strip() or None if hasattr(
            form, "movement_reason") else None


def _mark_rows_formatter(view, context, model, name):
    from markupsafe import Markup, escape

    rows = sorted(model.annual_marks, key=lambda m: (m.academic_year.name if m.academic_year else "",
                                                     m.subject.position if m.subject else 0))
    parts = []
    for m in rows:
        text = escape(f"{m.academic_year} {m.subject}: ")
        if m.corrections:
            # As on paper: the first value crossed out, the right one beside it, «исправленному верить».
            last = m.corrections[-1]
            notes = "; ".join(
                f"{c.old_value} → {c.new_value}: {c.reason}, исправил(а) {c.corrected_by.full_name if c.corrected_by else '—'} "
                f"{c.corrected_at:%d.%m.%Y}, " + (f"заверил(а) {c.certified_by.full_name if c.certified_by else '—'} "
                                                 f"{c.certified_on:%d.%m.%Y}" if c.certified_on else "не заверено")
                for c in m.corrections)
            text += Markup(f"<s>{escape(m.corrections[0].old_value)}</s> {escape(last.new_value)} "
                           f"(исправленному верить; {escape(notes)})")
        else:
            text += escape(m.value)
        parts.append(text)
    return Markup("; ").join(parts)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PersonalFileView(CarrierView):
    personal_data = True
    target = "personal_files"
    kind_codes = ("personal_file",)
    column_list = ("number", "student", "school_class.name", "created_on", "closed_on", "status", "location",
                   "retention_end")
    column_labels = {**CARRIER_LABELS, "has_application": "Заявление", "created_on": "Открыто",
                     "closed_on": "Закрыто",
                     "has_birth_certificate_copy": "Копия свидетельства о рождении",
                     "has_medical_policy_copy": "Копия медицинского полиса",
                     "medical_card_location": "Где медицинская карта", "annual_marks": "Годовые отметки",
                     "certifications": "Заверение классным руководителем",
                     "card_pages": "Листов личных карт (напечатано из панели)"}
    column_formatters_detail = {**CARRIER_FORMATTERS, "annual_marks": _mark_rows_formatter}
    # The file's page shows its marks (with their corrections) and certifications, as the paper file does.
    column_details_list = ("kind", "number", "student", "school_class", "created_on", "closed_on", "status",
                           "location", "custodian", "retention_end", "destroyed_on", "destruction_act_id",
                           "has_application", "has_birth_certificate_copy", "has_medical_policy_copy",
                           "medical_card_location", "card_pages", "annual_marks", "certifications", "movements",
                           "annulled",
                           "annul_reason", "note")
    form_columns = ("kind", "number", "student", "school_class", "created_on", "closed_on", "status",
                    "has_application", "has_birth_certificate_copy", "has_medical_policy_copy",
                    "medical_card_location") + CarrierView.common_form
    form_choices = {"status": HELD_STATUS_CHOICES}
    form_widget_args = {"number": {"placeholder": "оставьте пустым — номер будет предложен, например «Б-15»"}}
    inline_models = (
        (__import__("models").AnnualMark, {
            "form_columns": ("id", "academic_year", "grade", "subject", "value"),
            "row_label": "Годовая отметка", "new_label": "Новая годовая отметка",
            "add_label": "Добавить годовую отметку",
            "form_choices": {"value": _choices(MARK_VALUES)},
            "column_labels": {"academic_year": "Учебный год", "grade": "Класс (параллель)", "subject": "Предмет",
                              "value": "Годовая отметка"}}),
        (__import__("models").AnnualCertification, {
            "form_columns": ("id", "academic_year", "certified_by", "certified_on"),
            "row_label": "Заверение", "new_label": "Новое заверение", "add_label": "Добавить заверение",
            "column_labels": {"academic_year": "Учебный год", "certified_by": "Заверил (классный руководитель)",
                              "certified_on": "Дата заверения"}}),
    )

    MARK_ROW_FIELDS = ("academic_year", "grade", "subject", "value")

    def edit_form(self, obj=None):
        from flask import request

        form = super().edit_form(obj)
        if obj is None or not hasattr(form, "annual_marks"):
            return form
        if request.method == "POST":
            certified = certified_years(self.session, obj.id)
        else:
            # The form has just read the file's certifications for its inline list: no query of their own.
            certified = {c.academic_year_id for c in obj.certifications}
        marks = {m.id: m for m in obj.annual_marks if m.academic_year_id in certified}
        if not marks:
            return form
        if request.method == "POST":
            # A certified row is shown disabled, so the browser does not send it: left as it was, it keeps its
            # values. A value that is sent (a direct POST) is checked by register_errors and refused.
            data, filled = request.form.copy(), False
            for key in list(data.keys()):
                found = re.fullmatch(r"annual_marks-(\d+)-id", key)
                mark = marks.get(_int_or_none(data.get(key))) if found else None
                if mark is None:
                    continue
                prefix = f"annual_marks-{found.group(1)}-"
                values = {"academic_year": mark.academic_year_id, "grade": mark.grade, "subject": mark.subject_id,
                          "value": mark.value}
                for name, value in values.items():
                    if prefix + name not in data:
                        data[prefix + name] = "" if value is None else str(value)
                        filled = True
            if filled:
                data.update(request.files)
                form.process(formdata=data, obj=obj)
            return form
        for entry in form.annual_marks.entries:
            if _int_or_none(entry.form.id.data) in marks:
                for name in self.MARK_ROW_FIELDS:
                    field = entry.form[name]
                    field.render_kw = {**(field.render_kw or {}), "disabled": True,
                                       "title": "Отметка заверена: исправление — на странице «Годовые отметки»"}
        return form

    def register_errors(self, form, model):
        number = (form.number.data or "").strip()
        student = form.student.data
        if not number and student is not None:
            # The letter and line of the student's line in the alphabetical book; a student the book lacks
            # (none should) falls back to the next number of the letter.
            from models.admission_book import number_for_new_file

            number = number_for_new_file(self.session, student) or suggest_personal_file_number(
                self.session, student.last_name)
            form.number.data = number
        errors = personal_file_errors(self.session, number=number, student_id=student.id if student else None,
                                      file_id=model.id if model else None)
        if form.school_class.data is None and student is not None:
            form.school_class.data = student.school_class  # filed with the student's class unless said otherwise
        certified = certified_years(self.session, model.id) if model is not None else set()
        existing = {m.id: m for m in model.annual_marks} if model is not None else {}
        for entry in getattr(form, "annual_marks", []):
            value = entry.form.value.data
            if value and annual_mark_error(value):
                errors["annual_marks"] = annual_mark_error(value)
            old = existing.get(_int_or_none(entry.form.id.data))
            year = entry.form.academic_year.data
            subject = entry.form.subject.data
            changed = old is None or (old.value, old.academic_year_id, old.subject_id) != (
                value, year.id if year else None, subject.id if subject else None)
            if changed and ((old is not None and old.academic_year_id in certified)
                            or (year is not None and year.id in certified)):
                errors["annual_marks"] = (
                    "Годовые отметки этого года заверены классным руководителем: заверенная отметка в форме не "
                    "меняется. Исправление — на странице «Годовые отметки в личные дела» → «Исправить заверенную "
                    "отметку».")
        return errors


class ExamProtocolView(CarrierView):
    personal_data = True  # the protocols hold the pupils' results
    target = "exam_protocols"
    kind_codes = ("gia_protocol",)
    column_list = ("kind", "exam", "subject", "event_on", "number", "status", "location", "retention_end")
    column_labels = {**CARRIER_LABELS, "exam": "Экзамен", "subject": "Предмет", "event_on": "Дата экзамена",
                     "results": "Результаты обучающихся"}
    column_formatters = {**CARRIER_FORMATTERS, "exam": choices_formatter(EXAMS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_searchable_list = ("number", "title")
    form_columns = ("kind", "exam", "subject", "event_on", "number", "title", "academic_year", "status") + \
        CarrierView.common_form
    form_choices = {"exam": _choices(EXAMS), "status": HELD_STATUS_CHOICES}
    inline_models = ((__import__("models").ExamResult, {
        "form_columns": ("id", "student", "primary_score", "mark", "attempt", "seen_on"),
        "row_label": "Результат", "new_label": "Новый результат", "add_label": "Добавить результат обучающегося",
        "form_ajax_refs": {"student": StudentLookup("student")},
        # A retake after an unsatisfactory result is told apart: the medal check reads it (приказ № 730).
        "form_overrides": {"attempt": SelectField},
        "form_args": {"attempt": {"choices": list(ATTEMPTS.items()), "default": "main"}},
        "column_labels": {"student": "Обучающийся", "primary_score": "Первичный балл", "mark": "Отметка / балл",
                          "attempt": "Сдача",
                          "seen_on": "Ознакомлен (дата подписи)"}}),)

    def register_errors(self, form, model):
        errors = {}
        if not form.event_on.data:
            errors["event_on"] = "Укажите дату экзамена: от неё считается срок хранения протокола."
        return errors


class EssayProtocolView(ExamProtocolView):
    kind_codes = ("final_essay_protocol", "oral_interview_protocol")
    column_list = ("kind", "event_on", "number", "title", "status", "location", "retention_end")
    form_columns = ("kind", "event_on", "number", "title", "academic_year", "status") + CarrierView.common_form


class StoredCertificateView(CarrierView):
    personal_data = True
    target = "stored_certificates"
    strict = True
    kind_codes = ("stored_certificate",)
    column_list = ("series_number", "student", "is_original", "created_on", "location", "custodian",
                   "returned_on", "returned_to", "status")
    column_searchable_list = ("series_number", "student.last_name", "student.first_name")
    column_labels = {**CARRIER_LABELS, "series_number": "Серия и номер", "is_original": "Подлинник",
                     "created_on": "Принят на хранение", "returned_on": "Возвращён", "returned_to": "Кому возвращён",
                     "return_order": "Приказ (основание возврата)"}
    # The return is written by the handover act at leaving (001 §3.4.4), shown in the list and on the page only.
    form_columns = ("kind", "series_number", "is_original", "student", "created_on", "status") + \
        CarrierView.common_form
    form_choices = {"status": HELD_STATUS_CHOICES}

    def register_errors(self, form, model):
        errors = stored_certificate_errors(
            self.session, series_number=form.series_number.data,
            student_id=form.student.data.id if form.student.data else None,
            returned_on=model.returned_on if model else None, returned_to=model.returned_to if model else None,
            created_on=form.created_on.data,
            certificate_id=model.id if model else None)
        if not form.created_on.data:
            errors["created_on"] = "Укажите дату приёма аттестата на хранение."
        if not errors:
            form.series_number.data = "".join(form.series_number.data.split())
        return errors


class RegisterBookView(CarrierView):
    target = "register_books"
    strict = True
    # The alphabetical book and the book of orders on pupils are books of the archive too (custody, retention).
    kind_codes = ("certificate_book", "study_certificate_book", "medal_book", "admission_book", "pupil_orders")
    column_list = ("kind", "level", "number", "created_on", "closed_on", "location", "custodian", "status",
                   "retention_end")
    column_labels = {**CARRIER_LABELS, "level": "Уровень", "created_on": "Открыта", "closed_on": "Закрыта"}
    column_formatters = {**CARRIER_FORMATTERS, "level": choices_formatter(BOOK_LEVELS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_searchable_list = ("number", "title")
    form_columns = ("kind", "level", "number", "title", "created_on", "closed_on", "status") + \
        CarrierView.common_form
    form_choices = {"level": [("", "—")] + _choices(BOOK_LEVELS), "status": HELD_STATUS_CHOICES}

    def register_errors(self, form, model):
        errors = {}
        kind = form.kind.data
        if kind is not None and kind.code == "certificate_book" and not form.level.data:
            errors["level"] = "Для книги выдачи аттестатов укажите уровень: ООО или СОО."
        if not form.created_on.data:
            errors["created_on"] = "Укажите дату открытия книги."
        return errors

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        model.level = model.level or None


class PaperJournalView(CarrierView):
    target = "paper_journals"
    kind_codes = ("paper_journal",)
    column_list = ("journal_kind", "title", "group_name", "teacher", "academic_year", "location", "status",
                   "retention_end")
    column_labels = {**CARRIER_LABELS, "journal_kind": "Вид журнала", "group_name": "Группа", "teacher": "Педагог"}
    column_formatters = {**CARRIER_FORMATTERS, "journal_kind": choices_formatter(JOURNAL_KINDS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_searchable_list = ("title", "group_name", "teacher")
    extra_filters = (FilterEqual(PaperJournal.journal_kind, "Вид журнала", options=_choices(JOURNAL_KINDS)),)
    form_columns = ("kind", "journal_kind", "title", "academic_year", "group_name", "teacher", "created_on",
                    "closed_on", "status") + CarrierView.common_form
    form_choices = {"journal_kind": _choices(JOURNAL_KINDS), "status": HELD_STATUS_CHOICES}

    def register_errors(self, form, model):
        return {} if form.academic_year.data else {"academic_year": "Укажите учебный год журнала."}


class ClassRecordView(CarrierView):
    target = "class_records"
    kind_codes = ("summary_sheet", "final_mark_pages", "class_journal_print")
    column_list = ("kind", "school_class.name", "academic_year", "pages", "location", "status", "retention_end")
    column_labels = {**CARRIER_LABELS, "pages": "Листов"}
    column_searchable_list = ("number", "title")
    form_columns = ("kind", "school_class", "academic_year", "pages", "number", "title", "status") + \
        CarrierView.common_form
    form_choices = {"status": HELD_STATUS_CHOICES}

    def register_errors(self, form, model):
        return {} if form.academic_year.data else {"academic_year": "Укажите учебный год."}


def _media_formatter(view, context, model, name):
    return "; ".join(f"{m} ({'SHA-256 ' + m.sha256[:12] + '…' if m.sha256 else 'без контрольной суммы'})"
                     for m in model.media)


def _checks_formatter(view, context, model, name):
    """Each medium's verifications (flask verify-copies), newest first, with their dates."""
    lines = []
    for medium in model.media:
        checks = list(reversed(medium.checks))[:10]
        if checks:
            lines.append(f"{medium}: " + "; ".join(str(check) for check in checks))
    return " | ".join(lines) or "проверок ещё не было"


def _complete_formatter(view, context, model, name):
    return "да" if copy_completeness(model) else "нет — нужно не меньше двух носителей в двух местах"


class CopyProblemFilter(BaseSQLAFilter):
    """Copies needing attention: few media, unreachable or mismatching files, no recent verification."""

    def validate(self, value):
        # Any other value typed into the address is ignored with Flask-Admin's message, not a 500.
        return value in PROBLEMS

    def apply(self, query, value, alias=None):
        return query.filter(problem_condition(value))

    def operation(self):
        return "есть"


class EjournalCopyView(CarrierView):
    target = "ejournal_copies"
    kind_codes = ("ejournal_copy",)
    column_list = ("school_class.name", "academic_year", "term", "file_format", "created_on", "media",
                   "last_verified_at", "retention_end")
    column_labels = {**CARRIER_LABELS, "term": "Период", "file_format": "Формат", "created_on": "Копия сделана",
                     "made_by": "Кто сделал", "last_verified_at": "Последняя проверка", "media": "Носители",
                     "complete": "Полная (два носителя)", "checks": "Проверки контрольных сумм (UTC)"}
    column_formatters = {**CARRIER_FORMATTERS, "file_format": choices_formatter(COPY_FORMATS),
                         "media": _media_formatter}
    column_formatters_detail = {**column_formatters, "complete": _complete_formatter, "checks": _checks_formatter}
    column_formatters_export = column_formatters
    column_details_list = ("kind", "school_class", "academic_year", "term", "file_format", "created_on", "made_by",
                           "last_verified_at", "media", "checks", "complete", "status", "location", "retention_end",
                           "movements")
    column_searchable_list = ("number", "title")
    extra_filters = (CopyProblemFilter(EjournalCopy.id, "Проблема копии", options=list(PROBLEMS.items())),)
    form_columns = ("kind", "school_class", "academic_year", "term", "file_format", "created_on", "made_by",
                    "status") + CarrierView.common_form
    form_choices = {"file_format": _choices(COPY_FORMATS), "status": HELD_STATUS_CHOICES}
    inline_models = ((__import__("models").CopyMedium, {
        "form_columns": ("id", "medium_type", "location", "file_path", "sha256"),
        "row_label": "Носитель копии", "new_label": "Новый носитель копии", "add_label": "Добавить носитель копии",
        "form_choices": {"medium_type": _choices(MEDIUM_TYPES)},
        "column_labels": {"medium_type": "Вид носителя", "location": "Где хранится (сейф, кабинет)",
                          "file_path": "Путь к файлу (если доступен с сервера)",
                          "sha256": "SHA-256 файла"}}),)

    def register_errors(self, form, model):
        errors = {}
        if not form.academic_year.data:
            errors["academic_year"] = "Укажите учебный год."
        if not form.created_on.data:
            errors["created_on"] = "Укажите дату копирования: от неё считается срок хранения."
        for entry in form.media:
            digest = (entry.form.sha256.data or "").strip().lower()
            if digest and (len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)):
                errors["media"] = "SHA-256 — 64 шестнадцатеричных символа."
            if not (entry.form.location.data or "").strip():
                errors["media"] = "Укажите, где хранится каждый носитель копии."
        return errors


class PortfolioView(CarrierView):
    personal_data = True
    target = "portfolios"
    kind_codes = ("portfolio",)
    column_list = ("student", "school_class.name", "created_on", "status", "location", "custodian")
    column_labels = {**CARRIER_LABELS, "items": "Достижения"}
    column_details_list = ("student", "school_class", "created_on", "status", "location", "custodian", "items",
                           "movements")
    form_columns = ("kind", "student", "school_class", "created_on", "status") + CarrierView.common_form
    form_choices = {"status": HELD_STATUS_CHOICES}

    def register_errors(self, form, model):
        return {} if form.student.data else {"student": "Укажите обучающегося."}


class CarrierKindView(SecureModelView):
    target = "carrier_kinds"
    column_list = ("name", "medium", "must_store", "retention_kind", "retention_years", "clock_start",
                   "nomenclature_item", "list_article", "strict_accountability", "needs_destruction_act",
                   "source_clause")
    column_labels = {"code": "Код", "name": "Вид носителя", "medium": "Носитель", "must_store": "Хранится",
                     "retention_kind": "Срок хранения", "retention_years": "Лет",
                     "clock_start": "Срок считается с", "nomenclature_index": "Индекс по номенклатуре",
                     "nomenclature_item": "Дело по номенклатуре",
                     "needs_destruction_act": "Уничтожение по акту",
                     "strict_accountability": "Строгой отчётности", "keeper": "Кто хранит",
                     "source_clause": "Основание (пункт положения)",
                     "list_article": "Статья перечня (для акта об уничтожении)"}
    column_formatters = {"medium": choices_formatter(MEDIA), "retention_kind": choices_formatter(RETENTION_KINDS),
                         "clock_start": choices_formatter(CLOCK_STARTS)}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_searchable_list = ("name", "nomenclature_index")
    form_columns = ("name", "medium", "must_store", "retention_kind", "retention_years", "clock_start",
                    "nomenclature_item", "list_article", "needs_destruction_act", "strict_accountability",
                    "keeper", "source_clause")
    form_choices = {"medium": _choices(MEDIA), "retention_kind": _choices(RETENTION_KINDS),
                    "clock_start": [("", "—")] + _choices(CLOCK_STARTS)}

    def domain_errors(self, form, model):
        from models.carriers import kind_errors

        errors = kind_errors(retention_kind=form.retention_kind.data, retention_years=form.retention_years.data,
                             clock_start=form.clock_start.data, must_store=form.must_store.data,
                             name=form.name.data)
        if form.nomenclature_item.data is None:
            # Every kind is filed under an item: the destruction act reads its index and article from it.
            errors["nomenclature_item"] = "Укажите дело номенклатуры, к которому относится этот вид носителя."
        return errors

    def on_model_change(self, form, model, is_created):
        model.clock_start = model.clock_start or None


class CustodyMovementView(SecureModelView):
    target = "custody"
    personal_data = True  # each movement names the pupil's carrier and its holders
    simple_list_pager = True
    column_list = ("moved_at", "carrier", "from_location", "to_location", "from_holder", "to_holder", "moved_by",
                   "reason")
    column_default_sort = ("id", True)
    column_labels = {"moved_at": "Когда (время школы)", "carrier": "Носитель", "from_location": "Откуда",
                     "to_location": "Куда", "from_holder": "От кого", "to_holder": "Кому", "moved_by": "Кто внёс",
                     "reason": "Основание"}
    column_searchable_list = ("to_location", "from_location", "to_holder", "reason")
    column_filters = ("moved_at", "to_location", "to_holder", "moved_by", "carrier_id")


def _local_moment(value):
    from flask_babel import format_datetime

    return format_datetime(value, "dd.MM.yyyy HH:mm:ss") if value else ""


def _file_formatter(view, context, model, name):
    from flask import url_for
    from markupsafe import Markup, escape

    if not model.file_name:
        return ""
    url = url_for(".download", id=model.id)
    return Markup(f'<a href="{url}">{escape(model.original_name)}</a> ({(model.file_size or 0) // 1024} КБ)')



class PortfolioItemView(SecureModelView):
    target = "portfolio_items"
    personal_data = True
    column_list = ("portfolio", "item_kind", "title", "level", "result", "achieved_on", "file_name")
    column_labels = {"portfolio": "Портфолио", "item_kind": "Вид", "title": "Наименование", "level": "Уровень",
                     "result": "Результат", "achieved_on": "Дата", "file_name": "Скан",
                     "original_name": "Имя файла", "file_size": "Размер, байт", "content_type": "Тип файла",
                     "upload": "Скан (PDF, JPG, PNG)"}
    column_formatters = {"item_kind": choices_formatter(PORTFOLIO_ITEM_KINDS),
                         "level": choices_formatter(PORTFOLIO_LEVELS),
                         "result": choices_formatter(PORTFOLIO_RESULTS), "file_name": _file_formatter}
    column_formatters_detail = column_formatters
    column_formatters_export = {k: v for k, v in column_formatters.items() if k != "file_name"}
    column_searchable_list = ("title",)
    column_filters = (FilterEqual(PortfolioItem.item_kind, "Вид", options=_choices(PORTFOLIO_ITEM_KINDS)),
                      FilterEqual(PortfolioItem.level, "Уровень", options=_choices(PORTFOLIO_LEVELS)),
                      FilterEqual(PortfolioItem.result, "Результат", options=_choices(PORTFOLIO_RESULTS)),
                      "achieved_on")
    form_columns = ("portfolio", "item_kind", "title", "level", "result", "achieved_on", "upload")
    form_choices = {"item_kind": _choices(PORTFOLIO_ITEM_KINDS), "level": _choices(PORTFOLIO_LEVELS),
                    "result": _choices(PORTFOLIO_RESULTS)}
    form_extra_fields = {"upload": FileField("Скан (PDF, JPG, PNG)")}
    form_ajax_refs = {"portfolio": PortfolioLookup("portfolio")}

    def _upload_dir(self):
        return portfolio_upload_dir()

    def domain_errors(self, form, model):
        from flask import current_app

        errors = {}
        if form.portfolio.data is None:
            errors["portfolio"] = "Укажите портфолио обучающегося."
        if not (form.title.data or "").strip():
            errors["title"] = "Укажите наименование достижения."
        upload = form.upload.data
        if upload is not None and getattr(upload, "filename", ""):
            head = upload.stream.read(16)
            upload.stream.seek(0, 2)
            size = upload.stream.tell()
            upload.stream.seek(0)
            problem = upload_error(upload.filename, head, size, current_app.config["UPLOAD_MAX_BYTES"])
            if problem:
                errors["upload"] = problem
        return errors

    def on_model_change(self, form, model, is_created):
        upload = form.upload.data
        if upload is not None and getattr(upload, "filename", ""):
            name = stored_upload_name(upload.filename)
            upload.save(self._upload_dir() / name)
            model.file_name, model.original_name = name, upload.filename[:255]
            model.file_size = (self._upload_dir() / name).stat().st_size
            model.content_type = UPLOAD_TYPES[name.rsplit(".", 1)[1]][0]

    @expose("/file/")
    def download(self):
        from flask import abort, request, send_file
        from urllib.parse import quote

        item = self.get_one(request.args.get("id", ""))
        if item is None or not item.file_name:
            abort(404)
        path = (self._upload_dir() / item.file_name).resolve()
        if self._upload_dir().resolve() not in path.parents or not path.exists():
            abort(404)
        response = send_file(path, mimetype=item.content_type)
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"scan.{item.file_name.rsplit('.', 1)[1]}\"; "
            f"filename*=UTF-8''{quote(item.original_name or item.file_name)}")
        return response

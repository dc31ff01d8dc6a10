"""The «Выдача аттестатов» page: parses the forms, calls models.issuance, renders the page, PDFs and the export."""
import io
from datetime import date

from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from models import AcademicYear, School, SchoolClass, db
from models.disclosure import DisclosureError, record_disclosure
from models.issuance import (BLANK_KINDS, CERTIFICATE_NAMES, DUPLICATE_REASONS, ENTRY_KINDS, LEVEL_GRADE, LEVELS,
                             RECIPIENT_KINDS, CertificateBookEntry, IssuanceError, annul_entry, book_entries,
                             curriculum, graduates, honours_allowed, issue_duplicate, issue_study_certificate,
                             open_books, prefill, record_spoiled_blank, register_class, remaining_blanks,
                             study_candidates, year_certificates, STUDY_CANDIDATES_SHOWN)
from models.people import current_year
from models.registers import RegisterBook

from .form_values import parse_date, to_int as _int
from admin.page import PanelPage
from .certificate_book_pdf import render_certificate_book
from .pdf import pdf_response, print_drawn, render_pdf


def _recipient(form, suffix=""):
    return {"kind": form.get(f"rk{suffix}", "graduate"), "name": form.get(f"rn{suffix}", ""),
            "document": form.get(f"rd{suffix}", ""), "postal_number": form.get(f"pn{suffix}", ""),
            "postal_date": parse_date(form.get(f"pd{suffix}"))}


def _date_error(form, *names):
    """A filled date field that did not parse: refused rather than read as «no date»."""
    for name in names:
        if (form.get(name) or "").strip() and parse_date(form.get(name)) is None:
            return {name: f"Дата «{form.get(name)}» не распознана: введите ДД.ММ.ГГГГ."}
    return {}


class IssuancePage(PanelPage):
    target = "issuance"

    # --- the page ----------------------------------------------------------------------------------
    def _context(self, book_id=None, class_id=None, form=None, errors=None):
        session = db.session
        study_query = " ".join((request.values.get("study_query") or "").split())[:100]
        books = open_books(session, "certificate_book")
        study_books = open_books(session, "study_certificate_book")
        book = session.get(RegisterBook, book_id) if book_id else None
        classes = list(session.scalars(select(SchoolClass).where(SchoolClass.grade.in_(LEVEL_GRADE.values()))
                                       .order_by(SchoolClass.academic_year_id.desc(), SchoolClass.name)))
        if book is not None and book.level in LEVEL_GRADE:
            classes = [c for c in classes if c.grade == LEVEL_GRADE[book.level]]
        school_class = session.get(SchoolClass, class_id) if class_id else None
        grid = None
        if book is not None and school_class is not None:
            subjects = curriculum(session, school_class)
            marks = prefill(session, school_class)
            issued = {e.student_id: e for e in book_entries(session, book.id, school_class.id)
                      if e.entry_kind == "certificate" and not e.annulled}
            rows = []
            for student in graduates(session, school_class):
                values = {s.id: marks.get(student.id, {}).get(s.id, "") for s in subjects}
                rows.append({"student": student, "marks": values, "issued": issued.get(student.id),
                             "honours": honours_allowed(values.values())})
            grid = {"subjects": subjects, "rows": rows,
                    "entries": book_entries(session, book.id, school_class.id)}
        return dict(books=books, study_books=study_books, book=book, classes=classes, school_class=school_class,
                    grid=grid, form=form or {}, errors=errors or {}, levels=LEVELS, recipient_kinds=RECIPIENT_KINDS,
                    duplicate_reasons=DUPLICATE_REASONS, blank_kinds=BLANK_KINDS, entry_kinds=ENTRY_KINDS,
                    blanks=remaining_blanks(session), study_query=study_query,
                    candidates=study_candidates(session, study_query), candidates_shown=STUDY_CANDIDATES_SHOWN,
                    study_entries=[e for b in study_books for e in book_entries(session, b.id)],
                    years=list(session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc()))),
                    current_year=current_year(session), today=date.today(),
                    can_create=self.allowed("create"))

    @expose("/")
    def index(self):
        return self.render("pages/issuance.html", **self._context(_int(request.args.get("book_id")),
                                                                    _int(request.args.get("class_id"))))

    def _refused(self, exc_errors, book_id=None, class_id=None):
        for message in exc_errors.values():
            flash(message, "error")
        return self.render("pages/issuance.html", **self._context(book_id, class_id, form=request.form,
                                                                    errors=exc_errors))

    # --- registering a class -----------------------------------------------------------------------
    @expose("/register", methods=["POST"])
    def register(self):
        self.require("create")
        form = request.form
        book_id, class_id = _int(form.get("book_id")), _int(form.get("class_id"))
        errors = _date_error(form, "order_date", "issued_on")
        school_class = db.session.get(SchoolClass, class_id) if class_id else None
        rows = []
        if school_class is not None:
            subjects = curriculum(db.session, school_class)
            for student in graduates(db.session, school_class):
                sid = student.id
                if not form.get(f"pick_{sid}"):
                    continue
                errors.update(_date_error(form, f"pd_{sid}"))
                rows.append({"student_id": sid,
                             "marks": {s.id: form.get(f"mark_{sid}_{s.id}", "") for s in subjects},
                             "honours": bool(form.get(f"honours_{sid}")),
                             "blank_series": form.get(f"bs_{sid}", ""), "blank_number": form.get(f"bn_{sid}", ""),
                             "appendix_series": form.get(f"as_{sid}", ""),
                             "appendix_number": form.get(f"an_{sid}", ""),
                             "recipient": _recipient(form, f"_{sid}")})
        if errors:
            return self._refused(errors, book_id, class_id)
        try:
            entries = register_class(db.session, book_id=book_id, class_id=class_id,
                                     order_number=form.get("order_number"), order_date=parse_date(form.get("order_date")),
                                     issued_on=parse_date(form.get("issued_on")), graduates_data=rows,
                                     user_id=current_user.id)
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors, book_id, class_id)
        db.session.commit()
        numbers = [e.reg_number for e in entries]
        flash(f"Зарегистрировано аттестатов: {len(entries)}, регистрационные номера {numbers[0]}–{numbers[-1]}.",
              "success")
        return redirect(url_for(".index", book_id=book_id, class_id=class_id))

    # --- duplicates, annulment, spoiled blanks, study certificates ------------------------------------
    @expose("/duplicate", methods=["POST"])
    def duplicate(self):
        self.require("create")
        form = request.form
        back = dict(book_id=_int(form.get("book_id")), class_id=_int(form.get("class_id")))
        errors = _date_error(form, "order_date", "issued_on", "pd")
        if errors:
            return self._refused(errors, **back)
        try:
            entry = issue_duplicate(
                db.session, original_id=_int(form.get("original_id")), reason=form.get("reason"),
                blank_series=form.get("bs", ""), blank_number=form.get("bn", ""),
                appendix_series=form.get("as", ""), appendix_number=form.get("an", ""),
                order_number=form.get("order_number"), order_date=parse_date(form.get("order_date")),
                issued_on=parse_date(form.get("issued_on")), recipient=_recipient(form),
                book_id=_int(form.get("target_book_id")),
                new_names={"last_name": form.get("new_last_name"), "first_name": form.get("new_first_name"),
                           "middle_name": form.get("new_middle_name")}, user_id=current_user.id)
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors, **back)
        db.session.commit()
        flash(f"Дубликат зарегистрирован под № {entry.reg_number}.", "success")
        return redirect(url_for(".index", **back))

    @expose("/annul", methods=["POST"])
    def annul(self):
        self.require("edit")
        form = request.form
        back = dict(book_id=_int(form.get("book_id")), class_id=_int(form.get("class_id")))
        try:
            entry = annul_entry(db.session, entry_id=_int(form.get("entry_id")), reason=form.get("reason"),
                                blanks_spoiled=bool(form.get("blanks_spoiled")), user_id=current_user.id)
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors, **back)
        db.session.commit()
        flash(f"Запись № {entry.reg_number} аннулирована; номер в книге сохранён.", "success")
        return redirect(url_for(".index", **back))

    @expose("/spoiled", methods=["POST"])
    def spoiled(self):
        self.require("create")
        form = request.form
        errors = _date_error(form, "spoiled_on")
        if errors:
            return self._refused(errors)
        try:
            record = record_spoiled_blank(db.session, blank_kind=form.get("blank_kind"), level=form.get("level"),
                                          series=form.get("series"), number=form.get("number"),
                                          spoiled_on=parse_date(form.get("spoiled_on")), reason=form.get("reason"),
                                          user_id=current_user.id)
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors)
        db.session.commit()
        flash(f"Бланк № {record.number} записан как испорченный.", "success")
        return redirect(url_for(".index"))

    @expose("/study", methods=["POST"])
    def study(self):
        self.require("create")
        form = request.form
        errors = _date_error(form, "issued_on", "studied_from", "studied_to", "pd")
        if errors:
            return self._refused(errors)
        try:
            entry = issue_study_certificate(
                db.session, book_id=_int(form.get("study_book_id")), student_id=_int(form.get("student_id")),
                issued_on=parse_date(form.get("issued_on")), studied_from=parse_date(form.get("studied_from")),
                studied_to=parse_date(form.get("studied_to")), recipient=_recipient(form), user_id=current_user.id)
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors)
        db.session.commit()
        flash(f"Справка об обучении зарегистрирована под № {entry.reg_number}.", "success")
        return redirect(url_for(".index"))

    # --- printed documents -----------------------------------------------------------------------------
    def _disclose(self, entries, document_kind, what, recipient=None, purpose=None):
        """Each printed document with personal data goes into the disclosure register, in its transaction."""
        for entry in entries:
            record_disclosure(db.session, user_id=current_user.id, document_kind=document_kind,
                              description=f"{what}: {entry.full_name}, рег. № {entry.reg_number}",
                              recipient=recipient or _recipient_name(entry),
                              purpose=purpose or "выдача документа об образовании", student_id=entry.student_id,
                              flush=False)
        db.session.flush()

    def _pdf(self, template, filename, entries, document_kind, what, recipient=None, purpose=None, **context):
        school = db.session.scalar(select(School))
        if callable(template):  # a document drawn in code rather than from an HTML template
            book = context.get("book")
            data = print_drawn(template, document={"kind": document_kind, "number": book.number if book else None},
                               school=school, entries=entries, levels=LEVELS, **context)
        else:
            # one entry's document shows its registration number on the verification page
            number = entries[0].reg_number if len(entries) == 1 else None
            data = render_pdf(template, document={"kind": document_kind, "number": number}, school=school,
                              entries=entries, today=date.today(), certificate_names=CERTIFICATE_NAMES,
                              levels=LEVELS, **context)
        try:
            self._disclose(entries, document_kind, what, recipient, purpose)
        except DisclosureError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        db.session.commit()
        return pdf_response(data, filename)

    def _entry(self):
        entry_id = _int(request.args.get("entry_id"))
        entry = db.session.get(CertificateBookEntry, entry_id) if entry_id is not None else None
        if entry is None:
            flash("Запись книги не найдена.", "error")
        return entry

    @expose("/book.pdf")
    def book_pdf(self):
        book_id = _int(request.args.get("book_id"))
        book = db.session.get(RegisterBook, book_id) if book_id is not None else None
        if book is None:
            flash("Выберите книгу.", "error")
            return redirect(url_for(".index"))
        entries = book_entries(db.session, book.id, _int(request.args.get("class_id")))
        if not entries:
            flash("В книге нет записей для печати.", "error")
            return redirect(url_for(".index", book_id=book.id))
        return self._pdf(render_certificate_book, f"Книга выдачи аттестатов № {book.number}.pdf", entries,
                         "certificate_book", "страницы книги регистрации выданных аттестатов",
                         recipient="книга регистрации (хранится в школе)", purpose="ведение книги регистрации",
                         book=book)

    @expose("/appendix.pdf")
    def appendix_pdf(self):
        entry = self._entry()
        if entry is None:
            return redirect(url_for(".index"))
        return self._pdf("pdf/certificate_appendix.html", f"Приложение — {entry.full_name}.pdf", [entry], "certificate_appendix",
                         "приложение к аттестату (проверочный лист)", recipient="ответственный за аттестаты",
                         purpose="сверка отметок перед заполнением бланка")

    @expose("/receipt.pdf")
    def receipt_pdf(self):
        entry = self._entry()
        if entry is None:
            return redirect(url_for(".index"))
        return self._pdf("pdf/certificate_receipt.html", f"Расписка — {entry.full_name}.pdf", [entry], "certificate_receipt",
                         "расписка в получении документа об образовании", recipient_kinds=RECIPIENT_KINDS,
                         entry_kinds=ENTRY_KINDS)

    @expose("/study.pdf")
    def study_pdf(self):
        entry = self._entry()
        if entry is None or entry.entry_kind != "study_certificate":
            return redirect(url_for(".index"))
        years = {}
        for mark in entry.marks:
            years.setdefault(mark.year_name or "", []).append(mark)
        return self._pdf("pdf/study_certificate.html", f"Справка об обучении — {entry.full_name}.pdf", [entry],
                         "study_certificate", "справка об обучении", years=years)

    # --- ФИС ФРДО -------------------------------------------------------------------------------------
    @expose("/frdo.xlsx")
    def frdo(self):
        from openpyxl import Workbook

        session = db.session
        year_id = _int(request.args.get("year_id"))
        year = (session.get(AcademicYear, year_id) if year_id else None) or current_year(session)
        school = session.scalar(select(School))
        book = Workbook()
        sheet = book.active
        sheet.title = "Аттестаты"
        sheet.append(FRDO_COLUMNS)
        for entry in year_certificates(session, year.id if year else None):
            sheet.append(frdo_row(entry, school, year))
        out = io.BytesIO()
        book.save(out)
        from urllib.parse import quote

        response = Response(out.getvalue(),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        name = f"ФИС ФРДО — аттестаты {year.name if year else ''}.xlsx".replace("/", "-")
        response.headers["Content-Disposition"] = f"attachment; filename=\"frdo.xlsx\"; filename*=UTF-8''{quote(name)}"
        return response


def _recipient_name(entry):
    if entry.recipient_kind in ("guardian", "proxy") and entry.recipient_name:
        return entry.recipient_name
    if entry.recipient_kind == "post":
        return f"{entry.full_name} (почтой, отправление № {entry.postal_number})"
    return entry.full_name


# The columns of the registry's import template for school documents (see README «Выгрузка для ФИС ФРДО»).
FRDO_COLUMNS = ["Название документа", "Вид документа", "Статус документа", "Подтверждение утраты",
                "Подтверждение обмена", "Уровень образования", "Серия документа", "Номер документа", "Дата выдачи",
                "Регистрационный номер", "Наименование образовательной организации", "Год окончания",
                "Фамилия получателя", "Имя получателя", "Отчество получателя", "Дата рождения получателя",
                "Пол получателя", "С отличием", "Серия оригинала", "Номер оригинала", "Регистрационный N оригинала",
                "Дата выдачи оригинала", "Фамилия получателя в оригинале"]


def frdo_row(entry, school, year):
    original = entry.duplicate_of
    sex = {"male": "Муж", "female": "Жен"}.get(entry.student.sex if entry.student else "", "")
    return [CERTIFICATE_NAMES.get(entry.level, ""), "Дубликат" if entry.entry_kind == "duplicate" else "Оригинал",
            "Выдан", "Да" if entry.duplicate_reason == "lost" else "Нет",
            "Да" if entry.duplicate_reason in ("damaged", "name_change") else "Нет",
            "Основное общее образование" if entry.level == "basic" else "Среднее общее образование",
            entry.blank_series or "", entry.blank_number or "", entry.issued_on.strftime("%d.%m.%Y"),
            str(entry.reg_number), school.full_name if school else "",
            str(year.ends_on.year) if year else str(entry.issued_on.year), entry.last_name, entry.first_name,
            entry.middle_name or "", entry.birth_date.strftime("%d.%m.%Y"), sex, "Да" if entry.honours else "Нет",
            original.blank_series or "" if original else "", original.blank_number or "" if original else "",
            str(original.reg_number) if original else "",
            original.issued_on.strftime("%d.%m.%Y") if original else "", original.last_name if original else ""]

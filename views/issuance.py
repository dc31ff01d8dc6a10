"""The «Выдача аттестатов» page: parses the forms, calls models.issuance, renders the page, PDFs and the export."""
import io
from datetime import date

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from models import AcademicYear, School, SchoolClass, db
from models.disclosure import DisclosureError, list_disclosure, record_disclosure
from models.issuance import (BLANK_KINDS, CERTIFICATE_NAMES, DUPLICATE_REASONS, ENTRY_KINDS, LEVEL_GRADE, LEVELS,
                             RECIPIENT_KINDS, CertificateBookEntry, IssuanceError, annul_entry, book_entries,
                             free_blank_numbers, issuance_grid, issue_duplicate, issue_study_certificate,
                             latest_issuance_order, open_books, record_spoiled_blank, register_class,
                             remaining_blanks, study_candidates, year_certificates, STUDY_CANDIDATES_SHOWN)
from admin.access import allowed, requires
from models.attestation import MEDAL_DEGREES
from models.issuance import (FRDO_COLUMNS, SpoiledBlank, frdo_details, frdo_row, mark_frdo_sent, write_off_spoiled)
from models.people import current_year
from models.registers import RegisterBook

from models.dates import date_or_none as parse_date

from .form_values import to_int as _int
from admin.page import PanelPage
from .pdf import print_document, print_drawn, render_pdf


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
        medal_books = open_books(session, "medal_book")
        spoiled = list(session.scalars(select(SpoiledBlank).order_by(SpoiledBlank.spoiled_on.desc(),
                                                                      SpoiledBlank.id.desc()).limit(50)))
        book = session.get(RegisterBook, book_id) if book_id else None
        classes = list(session.scalars(select(SchoolClass).where(SchoolClass.grade.in_(LEVEL_GRADE.values()))
                                       .order_by(SchoolClass.academic_year_id.desc(), SchoolClass.name)))
        if book is not None and book.level in LEVEL_GRADE:
            classes = [c for c in classes if c.grade == LEVEL_GRADE[book.level]]
        school_class = session.get(SchoolClass, class_id) if class_id else None
        grid, blank_report = None, None
        if book is not None and school_class is not None and book.level in LEVEL_GRADE \
                and school_class.grade == LEVEL_GRADE[book.level]:
            items, results = issuance_grid(session, school_class, book.level)
            entries = book_entries(session, book.id, school_class.id)
            issued = {e.student_id: e for e in entries if e.entry_kind == "certificate" and not e.annulled}
            waiting = [r for r in results if r.gia_ok and r.student.id not in issued]
            # The next free blanks go to the pupils in the book's order, so that nothing needs typing.
            blank_report = remaining_blanks(session)
            blanks = free_blank_numbers(session, "certificate", book.level, len(waiting), blank_report)
            appendices = free_blank_numbers(session, "appendix", book.level, len(waiting), blank_report)
            offered = {r.student.id: (blanks[i] if i < len(blanks) else ("", ""),
                                      appendices[i] if i < len(appendices) else ("", ""))
                       for i, r in enumerate(waiting)}
            posted = form or {}
            rows = []
            for r in results:
                sid = r.student.id
                # Names and values of each cell prepared here: a 30 × 18 grid is 540 cells, and a template
                # macro call per field would cost more than computing the marks.
                cells = [(item.subject_id, r.marks[item.subject_id], f"mark_{sid}_{item.subject_id}",
                          posted.get(f"mark_{sid}_{item.subject_id}", r.marks[item.subject_id].value or "")
                          if form else (r.marks[item.subject_id].value or ""),
                          f"why_{sid}_{item.subject_id}", posted.get(f"why_{sid}_{item.subject_id}", ""))
                         for item in items]
                rows.append({"result": r, "student": r.student, "issued": issued.get(sid), "cells": cells,
                             "blank": offered.get(sid, (("", ""), ("", "")))[0],
                             "appendix": offered.get(sid, (("", ""), ("", "")))[1]})
            grid = {"plan": items, "rows": rows, "entries": entries, "level": book.level,
                    "order": latest_issuance_order(session, school_class.academic_year),
                    "waiting": bool(waiting)}
        # With a class chosen, the справка is offered first to its pupils who did not pass the ГИА (273-ФЗ
        # ст. 60 ч. 12); the district-wide list of leavers is read only when no class is shown or a name is typed.
        gia_failed = [row["student"] for row in grid["rows"] if not row["result"].gia_ok
                      and not row["issued"]] if grid else []
        if grid and not study_query:
            candidates = gia_failed
        else:
            candidates = gia_failed + [s for s in study_candidates(session, study_query)
                                       if s.id not in {f.id for f in gia_failed}]
        return dict(books=books, study_books=study_books, medal_books=medal_books, spoiled=spoiled, book=book, classes=classes, school_class=school_class,
                    grid=grid, form=form or {}, errors=errors or {}, levels=LEVELS, recipient_kinds=RECIPIENT_KINDS,
                    duplicate_reasons=DUPLICATE_REASONS, blank_kinds=BLANK_KINDS, entry_kinds=ENTRY_KINDS,
                    blanks=blank_report if blank_report is not None else remaining_blanks(session),
                    study_query=study_query,
                    candidates=candidates, candidates_shown=STUDY_CANDIDATES_SHOWN, gia_failed=bool(gia_failed),
                    study_entries=[e for b in study_books for e in book_entries(session, b.id)],
                    years=list(session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc()))),
                    current_year=current_year(session), today=date.today(), medal_degrees=MEDAL_DEGREES,
                    can_create=self.allowed("create"), can_export=self.allowed("export"),
                    can_study=allowed("study_certificates", "create"))

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
            for result in issuance_grid(db.session, school_class)[1]:
                sid = result.student.id
                if not form.get(f"pick_{sid}"):
                    continue
                errors.update(_date_error(form, f"pd_{sid}"))
                medal = _int(form.get(f"medal_{sid}"))
                rows.append({"student_id": sid,
                             "marks": {s: form.get(f"mark_{sid}_{s}", "") for s in result.marks},
                             "reasons": {s: form.get(f"why_{sid}_{s}", "") for s in result.marks},
                             "honours": bool(form.get(f"honours_{sid}")), "medal": medal or None,
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
                           "middle_name": form.get("new_middle_name")}, user_id=current_user.id,
                appendix_only=bool(form.get("appendix_only")))
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

    @expose("/spoiled/write_off", methods=["POST"])
    def write_off(self):
        self.require("create")
        form = request.form
        errors = _date_error(form, "act_date")
        if errors:
            return self._refused(errors)
        try:
            blanks = write_off_spoiled(db.session, act_number=form.get("act_number"),
                                       act_date=parse_date(form.get("act_date")), user_id=current_user.id)
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors)
        db.session.commit()
        flash(f"Акт № {blanks[0].write_off_act}: списано испорченных бланков — {len(blanks)}.", "success")
        return redirect(url_for(".index"))

    @expose("/spoiled/act.pdf")
    def write_off_pdf(self):
        act = (request.args.get("act") or "").strip()
        blanks = list(db.session.scalars(select(SpoiledBlank).where(SpoiledBlank.write_off_act == act)
                                         .order_by(SpoiledBlank.blank_kind, SpoiledBlank.number))) if act else []
        if not blanks:
            flash("Акт о списании испорченных бланков не найден.", "error")
            return redirect(url_for(".index"))
        return print_document(
            lambda: render_pdf("pdf/spoiled_write_off.html", school=db.session.scalar(select(School)), blanks=blanks,
                               act=act, act_date=blanks[0].written_off_on, blank_kinds=BLANK_KINDS, levels=LEVELS,
                               today=date.today()),
            f"Акт о списании испорченных бланков № {act}.pdf")

    @expose("/study", methods=["POST"])
    def study(self):
        if not allowed("study_certificates", "create"):
            abort(403)
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
    def _disclosures(self, entries, document_kind, what, recipient=None, purpose=None):
        """Each printed document with personal data goes into the disclosure register, in its transaction."""
        if document_kind == "certificate_book":  # the book's pages: one line naming its entries
            return [list_disclosure(document_kind=document_kind, what=what,
                                    people=[(e.student_id, e.full_name, e.reg_number) for e in entries],
                                    recipient=recipient, purpose=purpose)]
        return [dict(document_kind=document_kind, description=f"{what}: {entry.full_name}, рег. № {entry.reg_number}",
                     recipient=recipient or _recipient_name(entry),
                     purpose=purpose or "выдача документа об образовании", student_id=entry.student_id)
                for entry in entries]

    def _pdf(self, template, filename, entries, document_kind, what, recipient=None, purpose=None, **context):
        school = db.session.scalar(select(School))

        def render():
            if callable(template):  # a document drawn in code rather than from an HTML template
                book = context.get("book")
                return print_drawn(template, document={"kind": document_kind,
                                                       "number": book.number if book else None},
                                   school=school, entries=entries, levels=LEVELS, **context)
            # one entry's document shows its registration number on the verification page
            number = entries[0].reg_number if len(entries) == 1 else None
            return render_pdf(template, document={"kind": document_kind, "number": number}, school=school,
                              entries=entries, today=date.today(), certificate_names=CERTIFICATE_NAMES,
                              levels=LEVELS, **context)

        try:
            return print_document(render, filename, disclosures=self._disclosures(entries, document_kind, what,
                                                                                  recipient, purpose))
        except DisclosureError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index"))

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
        entries = book_entries(db.session, book.id, _int(request.args.get("class_id")), marks=False)
        if not entries:
            flash("В книге нет записей для печати.", "error")
            return redirect(url_for(".index", book_id=book.id))
        # Each run of a class's entries with its pages' numbers in the whole book.
        from .certificate_book_pdf import book_print_runs, render_certificate_book  # reportlab: on first print

        runs = book_print_runs(db.session, school=db.session.scalar(select(School)), book=book, entries=entries,
                               levels=LEVELS)
        return self._pdf(render_certificate_book, f"Книга выдачи аттестатов № {book.number}.pdf", entries,
                         "certificate_book", "страницы книги регистрации выданных аттестатов",
                         recipient="книга регистрации (хранится в школе)", purpose="ведение книги регистрации",
                         book=book, runs=runs)

    @expose("/medal_book.pdf")
    def medal_book_pdf(self):
        from models.attestation import MedalEntry

        book_id = _int(request.args.get("book_id"))
        book = db.session.get(RegisterBook, book_id) if book_id is not None else None
        if book is None or book.kind is None or book.kind.code != "medal_book":
            flash("Выберите книгу учёта выдачи медалей.", "error")
            return redirect(url_for(".index"))
        medals = list(db.session.scalars(select(MedalEntry).where(MedalEntry.book_id == book.id)
                                         .order_by(MedalEntry.reg_number)))
        if not medals:
            flash("В книге учёта выдачи медалей нет записей.", "error")
            return redirect(url_for(".index"))
        school = db.session.scalar(select(School))
        try:
            return print_document(
                lambda: render_pdf("pdf/medal_book.html", school=school, book=book, medals=medals,
                                   degrees={1: "I степени", 2: "II степени"}, today=date.today()),
                f"Книга учёта выдачи медалей № {book.number}.pdf",
                disclosures=[dict(document_kind="medal_book", student_id=medal.student_id,
                                  description=f"книга учёта выдачи медалей: {medal.full_name}, рег. № {medal.reg_number}",
                                  recipient="книга учёта выдачи медалей (хранится в школе)",
                                  purpose="ведение книги учёта выдачи медалей") for medal in medals])
        except DisclosureError as exc:
            flash(str(exc), "error")
            return redirect(url_for(".index"))

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
    @expose("/frdo/details", methods=["POST"])
    def frdo_details(self):
        self.require("edit")
        form = request.form
        back = dict(book_id=_int(form.get("book_id")), class_id=_int(form.get("class_id")))
        try:
            entry = frdo_details(db.session, entry_id=_int(form.get("entry_id")), snils=form.get("snils"),
                                 citizenship=form.get("citizenship"))
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors, **back)
        db.session.commit()
        flash(f"Сведения для ФИС ФРДО записи № {entry.reg_number} сохранены.", "success")
        return redirect(url_for(".index", **back))

    @expose("/frdo/sent", methods=["POST"])
    def frdo_sent(self):
        self.require("edit")
        form = request.form
        errors = _date_error(form, "sent_on")
        if errors:
            return self._refused(errors)
        year_id = _int(form.get("year_id"))
        year = (db.session.get(AcademicYear, year_id) if year_id else None) or current_year(db.session)
        entries = year_certificates(db.session, year.id if year else None)
        try:
            sent = mark_frdo_sent(db.session, entry_ids=[e.id for e in entries],
                                  sent_on=parse_date(form.get("sent_on")))
        except IssuanceError as exc:
            db.session.rollback()
            return self._refused(exc.errors)
        db.session.commit()
        flash(f"Отмечено переданными в ФИС ФРДО: {len(sent)} записей.", "success")
        return redirect(url_for(".index"))

    @expose("/frdo.xlsx")
    @requires("issuance", "export")
    def frdo(self):
        from openpyxl import Workbook

        from models.export_cells import inert_workbook

        session = db.session
        year_id = _int(request.args.get("year_id"))
        year = (session.get(AcademicYear, year_id) if year_id else None) or current_year(session)
        school = session.scalar(select(School))
        book = Workbook()
        sheet = book.active
        sheet.title = "Аттестаты"
        sheet.append(FRDO_COLUMNS)
        entries = year_certificates(session, year.id if year else None)
        for entry in entries:
            sheet.append(frdo_row(entry, school, year))
        out = io.BytesIO()
        inert_workbook(book).save(out)
        # The largest release of personal data there is: every line goes into the disclosure register.
        try:
            for entry in entries:
                record_disclosure(session, user_id=current_user.id, document_kind="frdo_export",
                                  description=f"выгрузка для ФИС ФРДО: {entry.full_name}, рег. № {entry.reg_number}",
                                  recipient="ФИС ФРДО (Рособрнадзор)", purpose="ст. 98 Федерального закона № 273-ФЗ",
                                  student_id=entry.student_id, flush=False)
            session.flush()
        except DisclosureError as exc:
            session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        session.commit()
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

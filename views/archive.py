"""«Контроль архива электронного журнала»: copies and printouts per year (term) × class, and the class prints."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from admin.access import allowed, requires
from admin.page import PanelPage
from models import db
from models.archive import COPY_PERIODS, COPY_STATES, archive_slots, copy_period, years_to_check
from models.class_prints import (PrintError, class_journal, load_class, personal_card, register_card_print,
                                 register_print, summary_sheet)
from models.people import AcademicYear, School, SchoolClass, Student, current_year
from models.registers import CopyCheck, CopyMedium, PersonalFile
from models.roles import own_class_only

from .form_values import to_int
from .pdf import page_count, print_document, print_drawn, render_pdf


def _year(value):
    year_id = to_int(value, minimum=1)
    year = db.session.get(AcademicYear, year_id) if year_id else None
    return year or current_year(db.session) or db.session.scalar(
        select(AcademicYear).order_by(AcademicYear.starts_on.desc()))


def _school():
    return db.session.scalar(select(School).order_by(School.id))


def _print_refused(exc, endpoint, **args):
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(url_for(endpoint, **args))


class EjournalArchivePage(PanelPage):
    target = "ejournal_archive"

    @expose("/")
    def index(self):
        today = date.today()
        year = _year(request.args.get("year"))
        years = list(db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc())))
        period = copy_period(db.session)
        slots = archive_slots(db.session, year, today, period) if year else []
        checks = db.session.execute(
            select(CopyCheck, CopyMedium).join(CopyMedium, CopyMedium.id == CopyCheck.medium_id)
            .order_by(CopyCheck.id.desc()).limit(30)).all()
        return self.render("pages/ejournal_archive.html", year=year, years=years, slots=slots, period=period,
                           periods=COPY_PERIODS, states=COPY_STATES, checks=checks,
                           checked_years=[y.id for y in years_to_check(db.session, today)],
                           can_print=allowed("class_prints", "create"))

    def _print_class(self, print_kind, build, draw, title):
        school_class = None
        try:
            school_class = load_class(db.session, to_int(request.form.get("class_id"), minimum=1))
            context = build(school_class)
            name = f"{title}: {school_class.name}, {school_class.academic_year}"
            registered = []

            def render():
                data = print_drawn(draw, document={"kind": print_kind, "title": name}, school=_school(),
                                   school_class=school_class, year=school_class.academic_year, today=date.today(),
                                   **context)
                # the laced printout is a carrier of its own: registered with the print, in its transaction
                registered.append(register_print(db.session, print_kind=print_kind, school_class=school_class,
                                                 pages=page_count(data)))
                return data

            return print_document(render, lambda data: f"{title} {school_class.name} "
                                  f"{school_class.academic_year.name.replace('/', '-')} ({registered[0].pages} л.).pdf")
        except PrintError as exc:
            year_id = school_class.academic_year_id if school_class else None
            return _print_refused(exc, ".index", year=year_id)

    @expose("/summary", methods=("POST",))
    @requires("class_prints", "create")
    def summary(self):
        from .class_print_pdf import render_summary_sheet  # reportlab: loaded by the first print

        return self._print_class("summary_sheet", lambda c: summary_sheet(db.session, c), render_summary_sheet,
                                 "Сводная ведомость итоговых отметок")

    @expose("/journal", methods=("POST",))
    @requires("class_prints", "create")
    def journal(self):
        # The whole class's journal, every subject: the carrier it registers is the class's laced printout.
        from .class_print_pdf import render_class_journal

        return self._print_class("class_journal", lambda c: class_journal(db.session, c),
                                 render_class_journal, "Электронный журнал класса")


class PersonalCardsPage(PanelPage):
    """«Личные карты»: a personal file's page of one year, printed for the paper file."""

    target = "personal_cards"

    @expose("/")
    def index(self):
        year = _year(request.args.get("year"))
        years = list(db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc())))
        classes = self.classes_of(year) if year else []
        class_id = to_int(request.args.get("class_id"), minimum=1)
        school_class = db.session.get(SchoolClass, class_id) if class_id else None
        rows = []
        if school_class is not None:
            self.check_own_class(school_class)
            rows = db.session.execute(
                select(Student, PersonalFile.number).outerjoin(
                    PersonalFile, (PersonalFile.student_id == Student.id) & (PersonalFile.status != "destroyed"))
                .where(Student.school_class_id == school_class.id)
                .order_by(Student.last_name, Student.first_name, Student.id)).all()
        return self.render("pages/personal_cards.html", year=year, years=years, classes=classes,
                           school_class=school_class, rows=rows, can_print=self.allowed("create"))

    @expose("/print", methods=("POST",))
    def print_card(self):
        self.require("create")
        student_id = to_int(request.form.get("student_id"), minimum=1)
        year_id = to_int(request.form.get("year_id"), minimum=1)
        student = db.session.get(Student, student_id) if student_id else None
        if student is not None and student.school_class is not None:
            self.check_own_class(student.school_class)
        elif student is not None and own_class_only(current_user, self.target):
            abort(403)
        try:
            context = personal_card(db.session, student_id, year_id)
            year = context["year"]
            sheets = []

            def render():  # the card's pages are counted on the personal file in the print's transaction
                data = render_pdf("pdf/personal_card.html", document={
                    "kind": "personal_card", "title": f"{year} учебный год"},
                    school=_school(), today=date.today(), **context)
                sheets.append(register_card_print(db.session, file=context["file"], year=year, pages=page_count(data)))
                return data

            return print_document(
                render, lambda data: f"Личная карта {student.last_name} {student.first_name} "
                                     f"{year.name.replace('/', '-')} (в деле {sheets[0]} л.).pdf")
        except PrintError as exc:
            return _print_refused(exc, ".index", year=year_id,
                                  class_id=student.school_class_id if student else None)

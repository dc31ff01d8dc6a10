"""«Годовые отметки в личные дела»: preview, transfer and certification of a class's year marks."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from admin.access import allowed, requires
from models.roles import own_class_only
from models import db
from models.people import AcademicYear, SchoolClass, current_year
from models.registers import MARK_VALUES, AnnualMark, AnnualMarkCorrection
from models.year_end import (STATUSES, YearEndError, apply_year_marks, certify_correction, certify_year,
                             correct_annual_mark, pending_corrections, preview_year_marks, withdraw_certification,
                             withdrawals, year_debts)

from .form_values import to_int
from admin.page import PanelPage


def _int(value):
    return to_int(value, minimum=0)


class YearEndMarksPage(PanelPage):
    target = "year_end_marks"

    def _check_class(self, class_id):
        """A class teacher works with the own class only: any other one is forbidden, not «not found»."""
        school_class = db.session.get(SchoolClass, class_id) if class_id else None
        if school_class is None:
            abort(404)
        return self.check_own_class(school_class)

    @expose("/")
    def index(self):
        years = list(db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc())))
        year = db.session.get(AcademicYear, _int(request.args.get("year"))) if _int(request.args.get("year")) \
            else current_year(db.session)
        if year is None and years:
            year = years[0]
        class_id = _int(request.args.get("class_id"))
        plan, error, withdrawn = None, None, []
        classes = self.classes_of(year) if year else []
        if class_id:
            school_class = self._check_class(class_id)
            if year is None or school_class.academic_year_id != year.id:
                year = school_class.academic_year
                classes = self.classes_of(year)
            try:
                plan = preview_year_marks(db.session, class_id, year.id)
                withdrawn = withdrawals(db.session, class_id, year.id)
            except YearEndError as exc:
                error = str(exc)
        elif len(classes) == 1 and own_class_only(current_user, self.target):
            return redirect(url_for(".index", year=year.id, class_id=classes[0].id))
        pending = pending_corrections(db.session, plan) if plan is not None else []
        return self.render("pages/year_end_marks.html", years=years, year=year, classes=classes, class_id=class_id,
                           plan=plan, error=error, statuses=STATUSES, can_change=self.allowed("create"),
                           withdrawn=withdrawn, can_withdraw=allowed("year_end_withdrawal", "create"),
                           can_correct=self.allowed("edit"), pending=pending,
                           debts=year_debts(db.session, plan) if plan is not None else [])

    def _act(self, action):
        """Run one action on the posted class; the route has checked the right first."""
        class_id = _int(request.form.get("class_id"))
        school_class = self._check_class(class_id)
        year_id = school_class.academic_year_id
        try:
            message = action(school_class)
            db.session.commit()
            flash(message, "success")
        except YearEndError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for(".index", year=year_id, class_id=class_id))

    @expose("/apply", methods=("POST",))
    def apply(self):
        self.require("create")

        def run(school_class):
            counts = apply_year_marks(db.session, school_class.id, school_class.academic_year_id, current_user)
            if not counts["add"] and not counts["change"]:
                return "Переносить нечего: в личных делах уже те же годовые отметки."
            return (f"Годовые отметки перенесены в личные дела класса {school_class.name}: добавлено — "
                    f"{counts['add']}, изменено — {counts['change']}.")

        return self._act(run)

    @expose("/certify", methods=("POST",))
    def certify(self):
        self.require("create")

        def run(school_class):
            count = certify_year(db.session, school_class.id, school_class.academic_year_id, current_user,
                                 date.today())
            return (f"Годовые отметки класса {school_class.name} за {school_class.academic_year} учебный год "
                    f"заверены в личных делах: {count}.")

        return self._act(run)

    @expose("/withdraw", methods=("POST",))
    def withdraw(self):
        if not allowed("year_end_withdrawal", "create"):
            abort(403)

        def run(school_class):
            count = withdraw_certification(db.session, school_class.id, school_class.academic_year_id, current_user,
                                           request.form.get("reason"))
            return (f"Заверение годовых отметок класса {school_class.name} за {school_class.academic_year} учебный "
                    f"год отозвано ({count} личных дел): отметки можно перенести и заверить снова.")

        return self._act(run)
    # --- a certified mark corrected: its own small form ------------------------------------------------
    def _mark_class(self, mark):
        """The class the corrected mark's page belongs to (the file's class, else the pupil's), scope-checked."""
        file = mark.personal_file
        school_class = file.school_class or (file.student.school_class if file.student else None)
        if school_class is None:
            abort(404)
        return self._check_class(school_class.id)

    @expose("/correct", methods=("GET", "POST"))
    @requires("year_end_marks", "edit")
    def correct(self):
        source = request.form if request.method == "POST" else request.args
        mark_id = _int(source.get("mark_id"))
        mark = db.session.get(AnnualMark, mark_id) if mark_id else None
        if mark is None:
            abort(404)
        school_class = self._mark_class(mark)
        error = None
        if request.method == "POST":
            try:
                correct_annual_mark(db.session, mark.id, new_value=request.form.get("new_value"),
                                    reason=request.form.get("reason"), user=current_user)
                db.session.commit()
                flash("Отметка исправлена: прежнее значение зачёркнуто, «исправленному верить». Исправление "
                      "должен заверить классный руководитель.", "success")
                return redirect(url_for(".index", year=mark.academic_year_id, class_id=school_class.id))
            except YearEndError as exc:
                db.session.rollback()
                error = str(exc)
        return self.render("pages/year_end_correct.html", mark=mark, values=MARK_VALUES, error=error,
                           form=request.form, school_class=school_class), (400 if error else 200)

    @expose("/correct/certify", methods=("POST",))
    def certify_correction(self):
        self.require("edit")
        correction_id = _int(request.form.get("correction_id"))
        correction = db.session.get(AnnualMarkCorrection, correction_id) if correction_id else None
        if correction is None:
            abort(404)
        school_class = self._mark_class(correction.annual_mark)
        year_id = correction.annual_mark.academic_year_id
        try:
            certify_correction(db.session, correction.id, current_user, date.today())
            db.session.commit()
            flash("Исправление заверено.", "success")
        except YearEndError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for(".index", year=year_id, class_id=school_class.id))

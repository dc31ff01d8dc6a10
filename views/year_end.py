"""«Годовые отметки в личные дела»: preview, transfer and certification of a class's year marks."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from admin.access import allowed
from models.roles import own_class_only
from models import db
from models.people import AcademicYear, SchoolClass, current_year
from models.year_end import (STATUSES, YearEndError, apply_year_marks, certify_year, preview_year_marks,
                             withdraw_certification, withdrawals)

from .form_values import to_int
from admin.page import PanelPage


def _int(value):
    return to_int(value, minimum=0)


class YearEndMarksPage(PanelPage):
    target = "year_end_marks"

    def _classes(self, year):
        query = select(SchoolClass).where(SchoolClass.academic_year_id == year.id)
        if own_class_only(current_user, self.target):
            query = query.where(SchoolClass.class_teacher_id == current_user.id)
        return list(db.session.scalars(query.order_by(SchoolClass.grade, SchoolClass.letter)))

    def _check_class(self, class_id):
        """A class teacher works with the own class only: any other one is forbidden, not «not found»."""
        school_class = db.session.get(SchoolClass, class_id) if class_id else None
        if school_class is None:
            abort(404)
        if own_class_only(current_user, self.target) and school_class.class_teacher_id != current_user.id:
            abort(403)
        return school_class

    @expose("/")
    def index(self):
        years = list(db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc())))
        year = db.session.get(AcademicYear, _int(request.args.get("year"))) if _int(request.args.get("year")) \
            else current_year(db.session)
        if year is None and years:
            year = years[0]
        class_id = _int(request.args.get("class_id"))
        plan, error, withdrawn = None, None, []
        classes = self._classes(year) if year else []
        if class_id:
            school_class = self._check_class(class_id)
            if year is None or school_class.academic_year_id != year.id:
                year = school_class.academic_year
                classes = self._classes(year)
            try:
                plan = preview_year_marks(db.session, class_id, year.id)
                withdrawn = withdrawals(db.session, class_id, year.id)
            except YearEndError as exc:
                error = str(exc)
        elif len(classes) == 1 and own_class_only(current_user, self.target):
            return redirect(url_for(".index", year=year.id, class_id=classes[0].id))
        return self.render("pages/year_end_marks.html", years=years, year=year, classes=classes, class_id=class_id,
                           plan=plan, error=error, statuses=STATUSES, can_change=self.allowed("create"),
                           withdrawn=withdrawn, can_withdraw=allowed("year_end_withdrawal", "create"))

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

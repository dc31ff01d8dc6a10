"""«Выбытие обучающегося»: the leaving page, the act's PDF, reversal, returns and the year-end promotion."""
from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from admin.access import allowed, requires
from models import db
from models.year_end import open_debts
from models.leaving import (ITEM_ACTIONS, HandoverAct, LeavingError, promote_classes, promotion_preview,
                            propose_handover, recipients, record_return, reverse_leaving, leave_school)
from models.people import (LEAVING_REASONS, STUDENT_STATUSES, AcademicYear, School, SchoolClass, Student,
                           current_year, name_match)
from models.carriers import CARRIER_STATUSES

from models.dates import date_or_none, parse_date as read_date

from .form_values import to_int
from admin.page import PanelPage
from .pdf import print_document, render_pdf


def _dates(form, names, errors):
    """The form's dates by name (None when empty); an unreadable one is an error at its field."""
    values = {}
    for name in names:
        try:
            values[name] = read_date(form.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
            values[name] = None
    return values


LIST_PAGE = 100


class LeavingPage(PanelPage):
    target = "leaving"

    # --- choosing the student ---------------------------------------------------------------------
    @expose("/")
    def index(self):
        q = (request.args.get("q") or "").strip()
        class_id = to_int(request.args.get("class_id"))
        query = select(Student).where(Student.status == "studying")
        match = name_match(db.session, q)
        if match is not None:
            query = query.where(match.condition)
        if class_id:
            query = query.where(Student.school_class_id == class_id)
        page = max(to_int(request.args.get("page"), 1) or 1, 1)
        order = match.order(Student.search_name, Student.id) if match is not None else (Student.search_name, Student.id)
        # One row past the page tells whether there is a next one, without counting a district's pupils.
        students = db.session.scalars(query.order_by(*order)
                                      .offset((page - 1) * LIST_PAGE).limit(LIST_PAGE + 1)).all()
        has_next = len(students) > LIST_PAGE
        students = students[:LIST_PAGE]
        year = current_year(db.session)
        classes = db.session.scalars(select(SchoolClass).where(SchoolClass.academic_year_id == (year.id if year else None))
                                     .order_by(SchoolClass.grade, SchoolClass.letter)).all()
        acts = db.session.scalars(select(HandoverAct).order_by(HandoverAct.id.desc()).limit(20)).all()
        return self.render("pages/leaving_index.html", students=students, classes=classes, q=q,
                           class_id=class_id, acts=acts, reasons=LEAVING_REASONS,
                           can_promote=self._can_promote(), page=page, has_next=has_next, page_size=LIST_PAGE)

    # --- the student's leaving -------------------------------------------------------------------
    @expose("/student/<int:student_id>", methods=("GET", "POST"))
    def student(self, student_id):
        student = db.session.get(Student, student_id)
        if student is None:
            abort(404)
        errors, form = {}, request.form
        if request.method == "POST":
            self.require("create")
            dates = _dates(form, ("left_on", "order_date", "application_on"), errors)
            items = {}
            for key in form:
                if key.startswith("action_"):
                    carrier_id = to_int(key[len("action_"):])
                    if carrier_id is not None:
                        items[carrier_id] = (form.get(key), form.get(f"recipient_{carrier_id}") or None)
            documents = {key[len("document_"):]: form.get(key) for key in form if key.startswith("document_")}
            if not errors:
                try:
                    act = leave_school(db.session, student.id, reason=form.get("reason"),
                                       left_on=dates["left_on"], order_number=form.get("order_number"),
                                       order_date=dates["order_date"], destination=form.get("destination"),
                                       application_on=dates["application_on"], applicant=form.get("applicant"),
                                       items=items, documents=documents, user_id=current_user.id)
                    db.session.commit()
                except LeavingError as exc:
                    db.session.rollback()
                    errors = exc.errors
                else:
                    flash(f"Выбытие оформлено: акт приёма-передачи {act.title}. Распечатайте акт и дайте "
                          f"его подписать получателю.", "success")
                    return redirect(url_for(".student", student_id=student.id))
            student = db.session.get(Student, student_id)
        return self._render_student(student, errors, form), (400 if errors else 200)

    # --- return to the school ---------------------------------------------------------------------
    @expose("/student/<int:student_id>/return", methods=("POST",))
    def readmit(self, student_id):
        """A pupil who left comes back: studying again in a class of this year, by an enrolment order, with a new
        line of the alphabetical book (models.admission_book.readmit_student)."""
        from models.admission_book import readmit_student
        from models.people import pick_order

        self.require("create")
        student = db.session.get(Student, student_id)
        if student is None:
            abort(404)
        errors, form = {}, request.form
        dates = _dates(form, ("enrolled_on", "order_date"), errors)
        year = current_year(db.session)
        klass = db.session.get(SchoolClass, to_int(form.get("school_class_id")) or 0)
        if klass is None or year is None or klass.academic_year_id != year.id:
            errors["school_class_id"] = "Выберите класс текущего учебного года."
        if dates["enrolled_on"] is None and "enrolled_on" not in errors:
            errors["enrolled_on"] = "Укажите дату зачисления."
        elif dates["enrolled_on"] and dates["enrolled_on"] > date.today():
            errors["enrolled_on"] = "Дата зачисления не может быть в будущем."
        problems, order = pick_order(db.session, kind="enrolment", number=form.get("order_number"),
                                     issued_on=dates["order_date"], title="О зачислении обучающихся")
        if problems:
            errors["order_number"] = problems["order"]
        elif order is None:
            errors["order_number"] = "Укажите номер и дату приказа о зачислении."
        if not errors:
            try:
                line = readmit_student(db.session, student, enrolled_on=dates["enrolled_on"], school_class=klass,
                                       order=order, came_from=(form.get("came_from") or "").strip()[:300] or None)
                db.session.commit()
            except ValueError as exc:
                errors["enrolled_on"] = str(exc)
            else:
                flash(f"{student.full_name} снова зачислен(а) в {klass.name}; строка алфавитной книги "
                      f"{line.number}.", "success")
                return redirect(url_for(".student", student_id=student.id))
        db.session.rollback()
        student = db.session.get(Student, student_id)
        return self._render_student(student, errors, form), 400

    def _render_student(self, student, errors, form):
        on_day = date_or_none(form.get("left_on")) or date.today()
        acts = db.session.scalars(select(HandoverAct).where(HandoverAct.student_id == student.id)
                                  .order_by(HandoverAct.id.desc())).all()
        return self.render("pages/leaving_student.html", student=student, errors=errors, form=form,
                           proposals=propose_handover(student, db.session, on_day, form.get("reason") or "transfer") if student.status == "studying" else [],
                           people=recipients(student, on_day), acts=acts, reasons=LEAVING_REASONS,
                           statuses=STUDENT_STATUSES, carrier_statuses=CARRIER_STATUSES, actions=ITEM_ACTIONS,
                           today=date.today(), can_create=self.allowed("create"), can_edit=self.allowed("edit"),
                           can_reverse=allowed("leaving_reversal", "create"),
                           classes=self._current_classes() if student.status != "studying" else [])

    def _current_classes(self):
        year = current_year(db.session)
        if year is None:
            return []
        return db.session.scalars(select(SchoolClass).where(SchoolClass.academic_year_id == year.id)
                                  .order_by(SchoolClass.grade, SchoolClass.letter)).all()

    # --- the act, printed ------------------------------------------------------------------------
    @expose("/act/<int:act_id>/pdf")
    def act_pdf(self, act_id):
        g.writes = True  # the print is registered: take SQLite's write lock up front
        act = db.session.get(HandoverAct, act_id)
        if act is None:
            abort(404)
        school = db.session.scalar(select(School))
        return print_document(
            lambda: render_pdf("pdf/handover_act.html", document={"number": f"{act.number}-{act.year}"}, act=act,
                               school=school, reasons=LEAVING_REASONS),
            f"Акт приёма-передачи {act.number}-{act.year} {act.student.last_name}.pdf")

    # --- reversal and returns ---------------------------------------------------------------------
    @expose("/act/<int:act_id>/reverse", methods=("POST",))
    def reverse(self, act_id):
        if not allowed("leaving_reversal", "create"):
            abort(403)
        act = db.session.get(HandoverAct, act_id)
        if act is None:
            abort(404)
        student_id = act.student_id
        try:
            waiting = reverse_leaving(db.session, act.id, reason=request.form.get("reversal_reason"),
                                      user_id=current_user.id)
            db.session.commit()
        except LeavingError as exc:
            db.session.rollback()
            flash(f"Выбытие не отменено: {exc}", "error")
        else:
            message = f"Выбытие по акту {act.title} отменено; обучающийся снова числится в школе."
            if waiting:
                message += f" Нужно вернуть в школу: {len(waiting)} — см. список на этой странице."
            flash(message, "success")
        return redirect(url_for(".student", student_id=student_id))

    @expose("/item/<int:item_id>/return", methods=("POST",))
    def item_return(self, item_id):
        self.require("edit")
        from models.leaving import HandoverActItem

        item = db.session.get(HandoverActItem, item_id)
        if item is None:
            abort(404)
        student_id = item.act.student_id
        try:
            record_return(db.session, item.id, user_id=current_user.id, location=request.form.get("location"))
            db.session.commit()
        except LeavingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(f"«{item.description}» снова хранится в школе.", "success")
        return redirect(url_for(".student", student_id=student_id))

    # --- year end ---------------------------------------------------------------------------------
    def _can_promote(self):
        return self.allowed("create") and allowed("classes", "create")

    @expose("/promote", methods=("GET", "POST"))
    @requires("leaving", "create")
    @requires("classes", "create")
    def promote(self):
        session = db.session
        errors, form = {}, request.form
        year = current_year(session)
        if request.method == "POST":
            dates = _dates(form, ("order_date", "left_on", "conditional_order_date", "promotion_order_date",
                                  "repeat_order_date"), errors)
            stay = [n for k in form if k.startswith("stay_") and (n := to_int(k[5:])) is not None]
            leave9 = [n for k in form if k.startswith("leave9_") and (n := to_int(k[7:])) is not None]
            if not errors:
                try:
                    result = promote_classes(session, year.id if year else None, to_int(form.get("to_year")),
                                             stay_down=stay, leave_after_9=leave9,
                                             order_number=form.get("order_number"), order_date=dates["order_date"],
                                             left_on=dates["left_on"], user_id=current_user.id,
                                             conditional_order_number=form.get("conditional_order_number"),
                                             conditional_order_date=dates["conditional_order_date"],
                                             promotion_order_number=form.get("promotion_order_number"),
                                             promotion_order_date=dates["promotion_order_date"],
                                             repeat_order_number=form.get("repeat_order_number"),
                                             repeat_order_date=dates["repeat_order_date"])
                    session.commit()
                except LeavingError as exc:
                    session.rollback()
                    errors = exc.errors
                else:
                    flash(f"Классы переведены: {result['promoted']} обучающихся переведены, "
                          f"{result['stayed']} оставлены на повторное обучение, условно переведены "
                          f"(академическая задолженность): {len(result['conditional'])}, выпускников: "
                          f"{len(result['graduated'])} (по акту на каждого). Текущий учебный год — "
                          f"{current_year(session)}.", "success")
                    return redirect(url_for(".index"))
            year = current_year(session)
        years = session.scalars(select(AcademicYear).where(AcademicYear.starts_on > (year.starts_on if year else date.min))
                                .order_by(AcademicYear.starts_on)).all()
        preview = promotion_preview(session, year) if year else []
        debts = open_debts(session, [s.id for _, pupils in preview for s in pupils], year.id) if year else {}
        return self.render("pages/leaving_promote.html", year=year, years=years, preview=preview, errors=errors,
                           form=form, debts=debts), (400 if errors else 200)

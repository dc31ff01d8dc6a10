"""«Экспертиза сроков хранения»: expired carriers, holds, drafting, sending, approving and printing destruction acts."""
from datetime import date

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from admin.access import allowed
from models import db
from models.carriers import Carrier, CarrierKind
from models.people import AcademicYear, School, SchoolClass, alphabetical
from models.retention import (ACT_STATUSES, not_yet_text, EDITABLE, DestructionAct, RetentionError, act_cutoff, add_carriers,
                              add_months, approve_act, clear_hold, count_expired, draft_act, draft_from_groups,
                              expired_carriers, may_approve, next_act_number, return_act, review_groups,
                              send_act, set_hold, total_text, update_act)
from models.users import User

from models.dates import date_or_none as parse_date

from .form_values import to_int as _int
from admin.page import PanelPage
from .pdf import print_document, render_pdf

PAGE_SIZE = 200


def strict_year_start():
    """Setting RETENTION_STRICT_YEAR_START (default on): only periods ended by 1 January of the act's year."""
    return bool(current_app.config.get("RETENTION_STRICT_YEAR_START", True))


def class_options(selected=None):
    """Every class of every year for the filter, as ready <option>s. A district has thousands of classes: loading
    each as a model (then its year, for «9А (2026/2027)») took most of the page's second, and a template loop
    over them (an escape and a comparison per option) still took half of what was left."""
    rows = db.session.execute(
        select(SchoolClass.id, SchoolClass.name, AcademicYear.name)
        .join(AcademicYear, AcademicYear.id == SchoolClass.academic_year_id)
        .order_by(SchoolClass.academic_year_id.desc(), SchoolClass.grade, SchoolClass.letter))
    return Markup("".join(f'<option value="{class_id}"{" selected" if class_id == selected else ""}>'
                          f'{escape(name)} ({escape(year)})</option>' for class_id, name, year in rows))


class RetentionReviewPage(PanelPage):
    target = "retention_review"

    def _filters(self, source):
        today = date.today()
        on = parse_date(source.get("date")) or today
        months = _int(source.get("months"))
        months = months if months is not None and 0 <= months <= 120 else 12
        return dict(on=on, months=months, kind_id=_int(source.get("kind")),
                    school_class_id=_int(source.get("class")), academic_year_id=_int(source.get("year")))

    @staticmethod
    def _query_filters(f):
        return {k: f[k] for k in ("kind_id", "school_class_id", "academic_year_id")}

    @expose("/")
    def index(self):
        f = self._filters(request.args)
        expired, due = review_groups(db.session, f["on"], months=f["months"], **self._query_filters(f))
        acts = db.session.scalars(select(DestructionAct).order_by(DestructionAct.id.desc()).limit(30)).all()
        held = db.session.scalars(select(Carrier).where(Carrier.on_hold.is_(True), Carrier.status != "destroyed")
                                  .order_by(Carrier.id).limit(100)).all()
        return self.render(
            "pages/retention_index.html", f=f, expired=expired, due=due, acts=acts, held=held,
            kinds=db.session.scalars(select(CarrierKind).order_by(CarrierKind.name)).all(),
            classes=class_options(f["school_class_id"]),
            years=db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc())).all(),
            statuses=ACT_STATUSES, can_draft=self.allowed("create"), strict=strict_year_start(),
            cutoff=act_cutoff(f["on"], strict_year_start()), horizon=add_months(f["on"], f["months"]),
            next_number=next_act_number(db.session, f["on"]),
            can_hold=allowed("retention_hold", "edit"))

    @expose("/group")
    def group(self):
        f = self._filters(request.args)
        if not f["kind_id"]:
            abort(404)
        kind = db.session.get(CarrierKind, f["kind_id"]) or abort(404)
        page = max(_int(request.args.get("page")) or 1, 1)
        filters = self._query_filters(f)
        total = count_expired(db.session, f["on"], **filters)
        carriers = expired_carriers(db.session, f["on"], limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)
        drafts = db.session.scalars(select(DestructionAct).where(DestructionAct.status.in_(EDITABLE))
                                    .order_by(DestructionAct.id.desc())).all()
        # A carrier expired by the review date may still be too young for an act of that date (the 1 January rule).
        cutoff = act_cutoff(f["on"], strict_year_start())
        not_yet = {c.id: not_yet_text(c.retention_end, cutoff) for c in carriers
                   if c.retention_end is not None and c.retention_end >= cutoff}
        return self.render("pages/retention_group.html", f=f, kind=kind, carriers=carriers, total=total, page=page,
                           not_yet=not_yet,
                           pages=(total + PAGE_SIZE - 1) // PAGE_SIZE, drafts=drafts,
                           can_draft=self.allowed("create"), can_hold=allowed("retention_hold", "edit"),
                           next_number=next_act_number(db.session, f["on"]))

    def _fail(self, exc, target):
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(target)

    @expose("/draft", methods=("POST",))
    def draft(self):
        self.require("create")
        form = request.form
        back = request.referrer or url_for(".index")
        act_date = parse_date(form.get("act_date"))
        if act_date is None:
            flash("Укажите дату акта в виде ДД.ММ.ГГГГ.", "error")
            return redirect(back)
        carrier_ids = [i for i in (_int(v) for v in form.getlist("carrier_ids")) if i]
        kind_ids = [i for i in (_int(v) for v in form.getlist("kind_ids")) if i]
        existing = _int(form.get("act_id"))
        try:
            if existing:
                act = db.session.get(DestructionAct, existing) or abort(404)
                if not carrier_ids:
                    raise RetentionError("Не выбрано ни одного носителя.")
                add_carriers(db.session, act, carrier_ids, strict_year_start=strict_year_start())
            elif carrier_ids:
                act = draft_act(db.session, carrier_ids=carrier_ids, user=current_user, act_date=act_date,
                                number=form.get("number"), strict_year_start=strict_year_start())
            elif kind_ids:
                f = self._filters(form)
                act = draft_from_groups(db.session, kind_ids=kind_ids, user=current_user, act_date=act_date,
                                        number=form.get("number"), strict_year_start=strict_year_start(),
                                        school_class_id=f["school_class_id"], academic_year_id=f["academic_year_id"])
            else:
                raise RetentionError("Акт без строк не составляется: отметьте группы или носители.")
            db.session.commit()
        except RetentionError as exc:
            return self._fail(exc, back)
        flash(f"{act}: черновик сохранён ({act.total_items} дел).", "success")
        return redirect(url_for(".act", act_id=act.id))

    @expose("/hold/<int:carrier_id>", methods=("GET", "POST"))
    def hold(self, carrier_id):
        if not allowed("retention_hold", "view"):
            abort(403)
        carrier = db.session.get(Carrier, carrier_id) or abort(404)
        if request.method == "POST":
            if not allowed("retention_hold", "edit"):
                abort(403)
            try:
                if request.form.get("op") == "clear":
                    clear_hold(db.session, carrier, request.form.get("reason"))
                    message = "Запрет на уничтожение снят."
                else:
                    set_hold(db.session, carrier, request.form.get("reason"))
                    message = "Запрет на уничтожение установлен: носитель не будет предложен к уничтожению."
                db.session.commit()
            except RetentionError as exc:
                return self._fail(exc, url_for(".hold", carrier_id=carrier_id))
            flash(message, "success")
            return redirect(url_for(".index"))
        return self.render("pages/retention_hold.html", carrier=carrier)

    # --- one act --------------------------------------------------------------------------------

    def _act(self, act_id):
        return db.session.get(DestructionAct, act_id) or abort(404)

    @expose("/act/<int:act_id>")
    def act(self, act_id):
        act = self._act(act_id)
        users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(alphabetical(User.full_name))).all()
        return self.render("pages/retention_act.html", act=act, users=users, statuses=ACT_STATUSES,
                           can_edit=self.allowed("edit") and act.status in EDITABLE,
                           can_decide=act.status == "sent" and may_approve(current_user, act),
                           total=total_text(act) if act.lines else "")

    @expose("/act/<int:act_id>/save", methods=("POST",))
    def act_save(self, act_id):
        self.require("edit")
        act = self._act(act_id)
        form = request.form
        lines = {line.id: {"title": form.get(f"title_{line.id}"), "note": form.get(f"note_{line.id}"),
                           "inventory_years": form.get(f"years_{line.id}")} for line in act.lines}
        try:
            update_act(db.session, act, number=form.get("number"), act_date=parse_date(form.get("act_date")),
                       basis=form.get("basis"), expert_protocol=form.get("expert_protocol"),
                       chairman_id=_int(form.get("chairman_id")),
                       member_ids=[i for i in (_int(v) for v in form.getlist("member_ids")) if i],
                       lines=lines, remove_line_ids=[i for i in (_int(v) for v in form.getlist("remove")) if i],
                       strict_year_start=strict_year_start())
            if form.get("send"):
                send_act(db.session, act, current_user, strict_year_start=strict_year_start())
            db.session.commit()
        except RetentionError as exc:
            return self._fail(exc, url_for(".act", act_id=act_id))
        flash("Акт отправлен директору на утверждение." if act.status == "sent" else "Акт сохранён.", "success")
        return redirect(url_for(".act", act_id=act_id))

    @expose("/act/<int:act_id>/approve", methods=("POST",))
    def act_approve(self, act_id):
        act = self._act(act_id)
        try:
            approve_act(db.session, act, current_user, date.today(), strict_year_start=strict_year_start())
            db.session.commit()
        except RetentionError as exc:
            return self._fail(exc, url_for(".act", act_id=act_id))
        flash(f"{act} утверждён: {act.total_items} дел отмечены уничтоженными.", "success")
        return redirect(url_for(".act", act_id=act_id))

    @expose("/act/<int:act_id>/return", methods=("POST",))
    def act_return(self, act_id):
        act = self._act(act_id)
        try:
            return_act(db.session, act, current_user, request.form.get("comment"))
            db.session.commit()
        except RetentionError as exc:
            return self._fail(exc, url_for(".act", act_id=act_id))
        flash(f"{act} возвращён составителю.", "success")
        return redirect(url_for(".act", act_id=act_id))

    @expose("/act/<int:act_id>/pdf")
    def act_pdf(self, act_id):
        g.writes = True  # the print is registered: take SQLite's write lock up front
        act = self._act(act_id)
        if not act.lines:
            flash("В акте нет строк: печатать нечего.", "error")
            return redirect(url_for(".act", act_id=act_id))
        school = db.session.scalar(select(School))
        # The act lists groups of files by title, not people: nothing for the personal-data disclosure register.
        return print_document(
            lambda: render_pdf("pdf/destruction_act.html", document={"number": act.number}, act=act, school=school,
                               total=total_text(act)),
            f"Акт о выделении к уничтожению № {act.number}.pdf")

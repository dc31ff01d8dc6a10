"""Leaving the school: the handover act, what goes to whom, its reversal, returns and the year-end promotion."""
from datetime import date, datetime
from functools import wraps

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .carriers import CARRIER_STATUSES, Carrier, NeverDeleted, act_workflow, add_years
from .db import db
from .disclosure import record_disclosure
from .people import LEAVING_REASONS, AcademicYear, Order, SchoolClass, Student, make_current_year, status_label
from .registers import StoredCertificate
from .users import utcnow
from .errors import DomainError

ITEM_ACTIONS = {"hand": "передать", "keep": "оставить в архиве"}
ITEM_RESULTS = {"handed": "передан", "kept": "остаётся в архиве"}
# Carriers that leave the school with the student; everything else stays and its clock starts.
HANDED_KINDS = {
    "personal_file": "личное дело выдаётся законному представителю по заявлению (002 §4.9)",
    "portfolio": "портфолио выдаётся под роспись (001 §3.5.4)",
    "stored_certificate": "аттестат ООО возвращается после приказа об отчислении (001 §3.4.4)",
}
ADULT_AGE = 18


class LeavingError(DomainError):
    """A leaving (or its reversal) that must not happen; `errors` maps a form field to a Russian message."""


class HandoverAct(NeverDeleted, db.Model):
    deletion_message = "Акт приёма-передачи не удаляется; ошибочное выбытие отменяет директор."
    """Акт приёма-передачи: one per leaving; never deleted, a reversal is recorded on it."""

    __tablename__ = "handover_act"
    __table_args__ = (UniqueConstraint("year", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    act_date: Mapped[date] = mapped_column(Date, index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("school_order.id"))
    reason: Mapped[str] = mapped_column(String(20))
    destination: Mapped[str | None] = mapped_column(String(300))
    application_on: Mapped[date | None] = mapped_column(Date)
    applicant: Mapped[str | None] = mapped_column(String(300))
    handed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # What the student was before, so a reversal restores it exactly.
    previous_status: Mapped[str] = mapped_column(String(10))
    previous_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"))
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reversal_reason: Mapped[str | None] = mapped_column(String(500))

    student = relationship("Student")
    order = relationship("Order")
    handed_by = relationship("User", foreign_keys=[handed_by_id])
    reversed_by = relationship("User", foreign_keys=[reversed_by_id])
    previous_class = relationship("SchoolClass")
    items = relationship("HandoverActItem", back_populates="act", order_by="HandoverActItem.position")

    @property
    def title(self):
        return f"№ {self.number}/{self.year} от {self.act_date:%d.%m.%Y}"

    @property
    def handed_items(self):
        return [item for item in self.items if item.result == "handed"]

    @property
    def signers(self):
        """Each distinct recipient once, with the document shown: each signs the act."""
        seen = {}
        for item in self.handed_items:
            seen.setdefault((item.recipient_name, item.recipient_document), None)
        return list(seen)

    def __str__(self):
        return f"Акт приёма-передачи {self.title}"


class HandoverActItem(NeverDeleted, db.Model):
    deletion_message = HandoverAct.deletion_message
    __tablename__ = "handover_act_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("handover_act.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    carrier_id: Mapped[int] = mapped_column(ForeignKey("carrier.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    result: Mapped[str] = mapped_column(String(10))
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("guardian.id"))
    recipient_name: Mapped[str | None] = mapped_column(String(300))
    recipient_document: Mapped[str | None] = mapped_column(String(300))
    previous_status: Mapped[str] = mapped_column(String(12))
    previous_location: Mapped[str | None] = mapped_column(String(200))
    previous_custodian_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # After a reversal: the day the handed item came back to the school.
    returned_at: Mapped[datetime | None] = mapped_column(DateTime)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    act = relationship("HandoverAct", back_populates="items")
    carrier = relationship("Carrier")
    guardian = relationship("Guardian")
    previous_custodian = relationship("User", foreign_keys=[previous_custodian_id])

    @property
    def awaiting_return(self):
        return self.act.reversed_at is not None and self.result == "handed" and self.returned_at is None

    def __str__(self):
        return self.description


# --- what the school holds and what it proposes ------------------------------------------------

def is_adult(student, on_day):
    return student.birth_date is not None and add_years(student.birth_date, ADULT_AGE) <= on_day


def held_carriers(session, student_id):
    """Every carrier of the student that still exists: not destroyed, not annulled."""
    return list(session.scalars(
        select(Carrier).where(Carrier.student_id == student_id, Carrier.status != "destroyed",
                              Carrier.annulled.is_(False)).order_by(Carrier.id)))


def recipients(student, on_day=None):
    """{key: (name, document on file)}: registered guardians, and the student when of age on that day."""
    from .pd_lifecycle import is_legal_representative

    # «Иной представитель» (a grandmother) is a legal representative only with the document that makes them one.
    found = {f"guardian:{g.id}": (g.full_name, g.identity_document or "") for g in
             sorted(student.guardians, key=lambda g: (g.last_name, g.first_name, g.id)) if is_legal_representative(g)}
    if is_adult(student, on_day or date.today()):
        found["student"] = (f"{student.full_name} (обучающийся)", "")
    return found


def propose_handover(student, session=None, on_day=None, reason="transfer"):
    """One proposal per carrier held: {carrier, action, why, recipient, can_hand}.

    The personal file leaves only on a transfer (002 §4.9); otherwise it stays and its clock starts.
    """
    from sqlalchemy.orm import object_session

    session = session or object_session(student)
    on_day = on_day or date.today()
    people = recipients(student, on_day)
    default_recipient = next(iter(people), None)
    proposals = []
    for carrier in held_carriers(session, student.id):
        code = carrier.kind.code if carrier.kind else ""
        can_hand = carrier.status in ("kept", "archived")
        if not can_hand:
            action, why = "none", f"уже {CARRIER_STATUSES.get(carrier.status, carrier.status)}"
        elif code in HANDED_KINDS and (code != "personal_file" or reason == "transfer"):
            action, why = "hand", HANDED_KINDS[code]
        else:
            rule = carrier.kind.rule_text() if carrier.kind else ""
            action, why = "keep", f"остаётся в архиве; срок хранения: {rule}" if rule else "остаётся в архиве"
        proposals.append({"carrier": carrier, "action": action, "why": why, "can_hand": can_hand,
                          "recipient": default_recipient if action == "hand" else None})
    return proposals


# --- the leaving itself ------------------------------------------------------------------------

def next_act_number(session, year):
    return (session.scalar(select(func.max(HandoverAct.number)).where(HandoverAct.year == year)) or 0) + 1


def _find_or_make_order(session, number, issued_on, reason, student, errors, today):
    number = (number or "").strip()
    if not number:
        errors["order_number"] = "Укажите номер приказа об отчислении (переводе)."
    if issued_on is None:
        errors["order_date"] = "Укажите дату приказа об отчислении (переводе)."
    elif issued_on > today:
        errors["order_date"] = "Дата приказа не может быть в будущем."
    if "order_number" in errors or "order_date" in errors:
        return None
    from .people import order_conflict

    # An order on leaving may list pupils who left for different reasons: any of the three kinds is reused.
    order, problem = order_conflict(session, number=number, issued_on=issued_on,
                                    accept=("expulsion", "transfer", "graduation"))
    if problem:
        errors["order_number"] = problem
        return None
    if order is not None:
        return order
    kind = {"transfer": "transfer", "graduation": "graduation"}.get(reason, "expulsion")
    title = ("О переводе" if kind == "transfer" else "Об отчислении") + f" обучающегося {student.full_name}"
    if reason == "graduation":
        title = "Об отчислении в связи с окончанием обучения"
    order = Order(number=number, issued_on=issued_on, kind=kind, title=title[:500])
    session.add(order)
    return order


def _under_act(function):
    """The handover act is what may write «передан» and «возвращён» on carriers (see carriers.act_workflow)."""
    @wraps(function)
    def run(session, *args, **kwargs):
        with act_workflow(session):
            return function(session, *args, **kwargs)
    return run


@_under_act
def leave_school(session, student_id, *, reason, left_on, order_number, order_date, destination=None,
                 application_on=None, applicant=None, items=None, documents=None, user_id=None, today=None):
    """Record a leaving in the caller's transaction and return its HandoverAct.

    items: {carrier_id: (action "hand"/"keep", recipient key "guardian:<id>"/"student" or None)};
    documents: {recipient key: identity document}. Everything is checked before any row changes;
    LeavingError carries {field: Russian message}.
    """
    today = today or date.today()
    items, documents = dict(items or {}), dict(documents or {})
    errors = {}
    student = session.get(Student, student_id) if student_id else None
    if student is None:
        raise LeavingError({"student": "Обучающийся не найден."})
    if student.status != "studying":
        raise LeavingError({"student": f"{student.full_name} уже {status_label('left', student.sex)} из школы "
                                       f"({student.left_on:%d.%m.%Y})." if student.left_on else
                                       f"{student.full_name} не обучается в школе."})
    if reason not in LEAVING_REASONS:
        errors["reason"] = "Выберите причину выбытия."
    destination = (destination or "").strip()
    if reason == "transfer" and not destination:
        errors["destination"] = "Укажите образовательную организацию, в которую переводится обучающийся."
    if reason == "other" and not destination:
        errors["destination"] = "Опишите причину выбытия."
    if left_on is None:
        errors["left_on"] = "Укажите дату выбытия."
    elif left_on > today:
        errors["left_on"] = "Дата выбытия не может быть в будущем."
    elif student.enrolled_on and left_on < student.enrolled_on:
        errors["left_on"] = (f"Дата выбытия раньше даты зачисления ({student.enrolled_on:%d.%m.%Y}).")
    order = _find_or_make_order(session, order_number, order_date, reason, student, errors, today)

    people = recipients(student, left_on or today)
    held = {c.id: c for c in held_carriers(session, student.id)}
    unknown = [cid for cid in items if cid not in held]
    if unknown:
        errors["items"] = "Среди отмеченных носителей есть чужие или уже уничтоженные: обновите страницу."
    plan = []
    for carrier in held.values():
        action, who = items.get(carrier.id, ("keep", None))
        if action not in ITEM_ACTIONS:
            action = "keep"
        if action == "hand":
            field = f"item_{carrier.id}"
            if carrier.status not in ("kept", "archived"):
                errors[field] = f"«{carrier.describe()}» уже {CARRIER_STATUSES.get(carrier.status)}: повторно не передаётся."
                continue
            if who not in people:
                errors[field] = (f"«{carrier.describe()}»: получателем может быть только зарегистрированный законный "
                                 f"представитель обучающегося или сам обучающийся, достигший 18 лет.")
                continue
            document = (documents.get(who) or "").strip()
            if not document:
                errors[f"document_{who}"] = f"Укажите документ, удостоверяющий личность получателя ({people[who][0]})."
            plan.append((carrier, "handed", who, document))
        else:
            plan.append((carrier, "kept", None, None))
    handing_file = any(c.kind and c.kind.code == "personal_file" for c, r, _, _ in plan if r == "handed")
    applicant = (applicant or "").strip()
    if handing_file and (application_on is None or not applicant):
        errors["application"] = "Личное дело выдаётся только по письменному заявлению: укажите дату и заявителя."
    if application_on and application_on > today:
        errors["application"] = "Дата заявления не может быть в будущем."
    if errors:
        raise LeavingError(errors)

    # Checked: from here on rows change, all in the caller's transaction.
    act = HandoverAct(year=left_on.year, number=next_act_number(session, left_on.year), act_date=left_on,
                      student=student, order=order, reason=reason, destination=destination or None,
                      application_on=application_on, applicant=applicant or None, handed_by_id=user_id,
                      previous_status=student.status, previous_class_id=student.school_class_id)
    session.add(act)
    student.status = "graduated" if reason == "graduation" else "left"
    student.left_on = left_on
    student.leaving_order = order
    student.leaving_reason = reason
    student.leaving_note = destination or None
    session.flush()
    for position, (carrier, result, who, document) in enumerate(plan, start=1):
        item = HandoverActItem(act=act, position=position, carrier_id=carrier.id,
                               description=carrier.describe()[:500], result=result,
                               previous_status=carrier.status, previous_location=carrier.location,
                               previous_custodian_id=carrier.custodian_id)
        session.add(item)
        if result != "handed":
            continue
        name = people[who][0]
        item.recipient_name, item.recipient_document = name, document
        item.guardian_id = int(who.split(":")[1]) if who.startswith("guardian:") else None
        carrier.status = "handed_over"
        carrier.location = f"передан: {name}"[:200]
        carrier.custodian_id = None
        carrier.movement_reason = f"выбытие обучающегося, акт приёма-передачи {act.title}"
        if isinstance(carrier, StoredCertificate):
            carrier.returned_on, carrier.returned_to, carrier.return_order = left_on, name[:200], order
        session.flush()
        record_disclosure(session, user_id=user_id,
                          document_kind="personal_file" if carrier.kind.code == "personal_file" else "handover",
                          description=f"{carrier.describe()} (акт приёма-передачи {act.title})",
                          recipient=f"{name}; документ: {document}", student_id=student.id,
                          purpose=f"выбытие обучающегося: {LEAVING_REASONS[reason]}")
    session.flush()
    return act


def auto_items(student, on_day):
    """Items and documents for a leaving nobody fills in by hand (bulk graduation): the proposals as they
    are, handed to the student of age or else the first guardian whose identity document is on file."""
    people = recipients(student, on_day)
    chosen = next((key for key, (name, doc) in people.items() if key.startswith("guardian:") and doc), None)
    items = {}
    for proposal in propose_handover(student, on_day=on_day, reason="graduation"):
        if proposal["action"] == "hand":
            if chosen is None:
                raise LeavingError({"student": (
                    f"{student.full_name}: нет законного представителя с записанным документом, удостоверяющим "
                    f"личность, — некому передать «{proposal['carrier'].describe()}». Добавьте документ "
                    f"представителю или оформите выбытие на странице «Выбытие обучающегося».")})
            items[proposal["carrier"].id] = ("hand", chosen)
        else:
            items[proposal["carrier"].id] = ("keep", None)
    return items, ({chosen: people[chosen][1]} if chosen else {})


# --- reversal and returns ----------------------------------------------------------------------

def reverse_leaving(session, act_id, *, reason, user_id=None):
    """Undo a leaving made by mistake; the act stays, marked reversed. Handed items stay handed until returned."""
    act = session.get(HandoverAct, act_id)
    if act is None:
        raise LeavingError({"act": "Акт не найден."})
    if act.reversed_at is not None:
        raise LeavingError({"act": f"Выбытие по акту {act.title} уже отменено."})
    if not (reason or "").strip():
        raise LeavingError({"reversal_reason": "Укажите причину отмены выбытия."})
    student = act.student
    later = session.scalar(select(HandoverAct.id).where(HandoverAct.student_id == student.id,
                                                        HandoverAct.id > act.id))
    if later is not None or student.status == "studying":
        raise LeavingError({"act": "Отменить можно только последнее выбытие обучающегося, который сейчас не "
                                   "обучается."})
    act.reversed_at = utcnow()
    act.reversed_by_id = user_id
    act.reversal_reason = reason.strip()[:500]
    student.status = act.previous_status
    student.school_class_id = act.previous_class_id
    student.left_on = None
    student.leaving_order_id = None
    student.leaving_reason = None
    student.leaving_note = None
    session.flush()
    return [item for item in act.items if item.awaiting_return]


@_under_act
def record_return(session, item_id, *, user_id=None, location=None):
    """A handed item of a reversed leaving is back in the school: kept again where it was."""
    item = session.get(HandoverActItem, item_id)
    if item is None:
        raise LeavingError({"item": "Строка акта не найдена."})
    if not item.awaiting_return:
        raise LeavingError({"item": f"«{item.description}» не ожидает возврата в школу."})
    carrier = item.carrier
    carrier.status = item.previous_status
    carrier.location = (location or "").strip() or item.previous_location or "архив школы"
    carrier.custodian_id = item.previous_custodian_id
    carrier.movement_reason = f"возвращён в школу после отмены выбытия (акт {item.act.title})"
    if isinstance(carrier, StoredCertificate):
        carrier.returned_on = carrier.returned_to = None
        carrier.return_order_id = None
    item.returned_at = utcnow()
    item.returned_by_id = user_id
    session.flush()
    return item


# --- year end ----------------------------------------------------------------------------------

LAST_GRADE = 11
BASIC_LAST_GRADE = 9


def promotion_preview(session, from_year):
    """[(class, [students studying in it])] of the year, by grade and letter; the pupils in one query."""
    classes = session.scalars(select(SchoolClass).where(SchoolClass.academic_year_id == from_year.id)
                              .order_by(SchoolClass.grade, SchoolClass.letter)).all()
    by_class = {klass.id: [] for klass in classes}
    pupils = session.scalars(select(Student).join(SchoolClass, SchoolClass.id == Student.school_class_id)
                             .where(SchoolClass.academic_year_id == from_year.id, Student.status == "studying")
                             .order_by(Student.search_name, Student.id))
    for pupil in pupils:
        by_class[pupil.school_class_id].append(pupil)
    return [(klass, by_class[klass.id]) for klass in classes]


def _class_in(session, year, grade, letter, teacher_id, made):
    key = (grade, letter)
    if key in made:
        return made[key]
    klass = session.scalar(select(SchoolClass).where(SchoolClass.academic_year_id == year.id,
                                                     SchoolClass.grade == grade, SchoolClass.letter == letter))
    if klass is None:
        klass = SchoolClass(academic_year_id=year.id, grade=grade, letter=letter, class_teacher_id=teacher_id)
        session.add(klass)
        session.flush()
    made[key] = klass
    return klass


def _conditional_order(session, number, issued_on, today):
    """The order on conditional promotion (273-ФЗ ст. 58 ч. 8), kind «conditional_promotion»: found or entered."""
    from .people import pick_order

    if not (number or "").strip() or issued_on is None:
        raise LeavingError({"conditional_order_number": (
            "У обучающихся есть неликвидированная академическая задолженность: они переводятся в следующий класс "
            "условно (273-ФЗ ст. 58 ч. 8). Укажите номер и дату приказа об условном переводе.")})
    if issued_on > today:
        raise LeavingError({"conditional_order_date": "Дата приказа не может быть в будущем."})
    problems, order = pick_order(
        session, kind="conditional_promotion", number=number, issued_on=issued_on, today=today,
        title="Об условном переводе в следующий класс обучающихся, имеющих академическую задолженность")
    if problems:
        raise LeavingError({"conditional_order_number": problems["order"]})
    session.flush()
    return order


def promote_classes(session, from_year_id, to_year_id, *, stay_down=(), leave_after_9=(), order_number=None,
                    order_date=None, left_on=None, user_id=None, today=None, conditional_order_number=None,
                    conditional_order_date=None, promotion_order_number=None, promotion_order_date=None,
                    repeat_order_number=None, repeat_order_date=None):
    """Move every class to the next grade in the next year; graduates leave through leave_school; a pupil with
    an open academic debt moves up «условно» by the order on conditional promotion. The orders on promotion and
    on repeating the year, when given, are picked or created and list their pupils.

    Returns {"promoted": n, "stayed": n, "conditional": [students], "graduated": [acts], "classes": [new classes]}.
    """
    from .year_end import open_debts

    today = today or date.today()
    from_year = session.get(AcademicYear, from_year_id) if from_year_id else None
    to_year = session.get(AcademicYear, to_year_id) if to_year_id else None
    if from_year is None or not from_year.is_current:
        raise LeavingError({"from_year": "Переводить можно только классы текущего учебного года."})
    if to_year is None:
        raise LeavingError({"to_year": "Сначала создайте следующий учебный год в разделе «Учебные годы»."})
    if to_year.starts_on <= from_year.starts_on:
        raise LeavingError({"to_year": f"Учебный год {to_year} не следует за {from_year}."})
    stay_down, leave_after_9 = set(stay_down), set(leave_after_9)
    preview = promotion_preview(session, from_year)
    graduates = [s for klass, pupils in preview for s in pupils if s.id not in stay_down and
                 (klass.grade >= LAST_GRADE or (klass.grade == BASIC_LAST_GRADE and s.id in leave_after_9))]
    if graduates and (not (order_number or "").strip() or order_date is None):
        raise LeavingError({"order_number": "Для выпускников укажите номер и дату приказа об отчислении в связи "
                                            "с окончанием обучения."})
    if graduates and left_on is None:
        raise LeavingError({"left_on": "Укажите дату выбытия выпускников."})
    debts = open_debts(session, [s.id for _, pupils in preview for s in pupils], from_year.id)
    moving_up = [s for _, pupils in preview for s in pupils if s.id in debts and s.id not in stay_down
                 and s not in graduates]
    conditional_order = _conditional_order(session, conditional_order_number, conditional_order_date, today) \
        if moving_up else None
    from .people import add_pupil, pick_order

    for pupil in moving_up:
        add_pupil(conditional_order, pupil)
        for debt in debts[pupil.id]:
            debt.conditional_order_id = conditional_order.id

    problems, promotion = pick_order(session, kind="promotion", number=promotion_order_number,
                                     issued_on=promotion_order_date, today=today,
                                     title="О переводе обучающихся в следующий класс")
    if problems:
        raise LeavingError({"promotion_order": problems["order"]})
    problems, repeat = pick_order(session, kind="repeat_year", number=repeat_order_number,
                                  issued_on=repeat_order_date, today=today,
                                  title="Об оставлении обучающихся на повторное обучение")
    if problems:
        raise LeavingError({"repeat_order": problems["order"]})
    made, counts, acts = {}, {"promoted": 0, "stayed": 0}, []
    for klass, pupils in preview:
        if klass.grade < LAST_GRADE:
            _class_in(session, to_year, klass.grade + 1, klass.letter, klass.class_teacher_id, made)
        for pupil in pupils:
            if pupil in graduates:
                continue
            if pupil.id in stay_down:
                target = _class_in(session, to_year, klass.grade, klass.letter, klass.class_teacher_id, made)
                counts["stayed"] += 1
                add_pupil(repeat, pupil)
            else:
                target = made[(klass.grade + 1, klass.letter)]
                counts["promoted"] += 1
                add_pupil(promotion, pupil)
            pupil.school_class_id = target.id
    for pupil in graduates:
        try:
            items, documents = auto_items(pupil, left_on)
            acts.append(leave_school(session, pupil.id, reason="graduation", left_on=left_on,
                                     order_number=order_number, order_date=order_date, items=items,
                                     documents=documents, user_id=user_id, today=today))
        except LeavingError as exc:
            raise LeavingError({k: (v if pupil.full_name in v else f"{pupil.full_name}: {v}")
                                for k, v in exc.errors.items()})
    to_year.is_current = True
    make_current_year(session, to_year)
    session.flush()
    return {**counts, "conditional": moving_up, "graduated": acts,
            "classes": sorted(made.values(), key=lambda c: (c.grade, c.letter))}

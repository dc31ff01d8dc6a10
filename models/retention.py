"""Retention review and destruction acts: which carriers expired, the act that lists them, its approval."""
import json
import re
from datetime import date, datetime, timedelta

from sqlalchemy import (Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, func, insert, or_, select,
                        update)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .audit import AuditLog, current_actor, plain_value
from .words import number_to_words, plural  # noqa: F401 (number_to_words: re-exported for older callers)
from .carriers import Carrier, CarrierKind, NeverDeleted, add_years
from .db import Versioned, db
from .people import Student
from .users import User, utcnow
from .roles import can, role_can
from .errors import DomainError

ACT_STATUSES = {"draft": "черновик", "sent": "на утверждении", "approved": "утверждён", "returned": "возвращён"}
EDITABLE = ("draft", "returned")
# Carriers the school still holds; handed-over ones are no longer the school's to destroy.
HELD_STATUSES = ("kept", "archived")
NOT_PROPOSED_KINDS = ("until_handover", "not_stored")
# Record numbers per IN list: PostgreSQL takes at most 65,535 parameters a statement, and a district's act
# from whole groups lists 80,000 carriers.
IN_CHUNK = 5000
DEFAULT_BASIS = ("номенклатуры дел и Перечня типовых управленческих архивных документов, образующихся в процессе "
                 "деятельности государственных органов, органов местного самоуправления и организаций, с указанием "
                 "сроков их хранения (приказ Росархива от 20.12.2019 № 236)")


class RetentionError(DomainError):
    """A refused step of the review; the message is Russian and shown to the user."""


destruction_act_member = Table(
    "destruction_act_member", db.metadata,
    Column("act_id", ForeignKey("destruction_act.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
)

# Which carriers a line covers. Carrier.destruction_act_id stays a plain integer set on approval:
# a line may be returned and its carriers proposed again, so membership lives here, not on the carrier.
destruction_line_carrier = Table(
    "destruction_line_carrier", db.metadata,
    Column("line_id", ForeignKey("destruction_act_line.id", ondelete="CASCADE"), primary_key=True),
    Column("carrier_id", ForeignKey("carrier.id"), primary_key=True, index=True),
)


class DestructionAct(NeverDeleted, Versioned, db.Model):
    deletion_message = "{obj}: акт о выделении к уничтожению — документ строгой отчётности и не удаляется."
    deletion_error = RetentionError
    """Акт о выделении к уничтожению: a register of strict accountability, never deleted."""

    __tablename__ = "destruction_act"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30))
    act_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    basis: Mapped[str | None] = mapped_column(Text)
    expert_protocol: Mapped[str | None] = mapped_column(String(200))
    chairman_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    drafted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_on: Mapped[date | None] = mapped_column(Date)
    return_comment: Mapped[str | None] = mapped_column(Text)
    # What the approval depersonalised (one line per pupil), printed in the act (152-ФЗ ст. 21 ч. 4).
    depersonalised: Mapped[str | None] = mapped_column(Text)

    chairman = relationship("User", foreign_keys=[chairman_id])
    drafted_by = relationship("User", foreign_keys=[drafted_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    commission = relationship("User", secondary=destruction_act_member, order_by="User.full_name")
    lines = relationship("DestructionActLine", back_populates="act", order_by="DestructionActLine.position",
                         cascade="all, delete-orphan")

    @property
    def status_text(self):
        return ACT_STATUSES.get(self.status, self.status)

    @property
    def total_items(self):
        return sum(line.item_count or 0 for line in self.lines)

    def __str__(self):
        return f"Акт № {self.number} от {self.act_date:%d.%m.%Y}" if self.act_date else f"Акт № {self.number}"


class DestructionActLine(Versioned, db.Model):
    __tablename__ = "destruction_act_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("destruction_act.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    kind_id: Mapped[int | None] = mapped_column(ForeignKey("carrier_kind.id"))
    nomenclature_index: Mapped[str | None] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    first_date: Mapped[date | None] = mapped_column(Date)
    last_date: Mapped[date | None] = mapped_column(Date)
    inventory_years: Mapped[str | None] = mapped_column(String(100))
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    retention_text: Mapped[str | None] = mapped_column(String(300))
    clause: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(String(500))

    act = relationship("DestructionAct", back_populates="lines")
    kind = relationship("CarrierKind")
    carriers = relationship("Carrier", secondary=destruction_line_carrier, order_by="Carrier.id")

    def __str__(self):
        return self.title



# --- which carriers may be proposed -----------------------------------------------------------

def _live_act_carriers():
    """Carriers already listed in an act that was not returned."""
    return (select(destruction_line_carrier.c.carrier_id)
            .join(DestructionActLine, DestructionActLine.id == destruction_line_carrier.c.line_id)
            .join(DestructionAct, DestructionAct.id == DestructionActLine.act_id)
            .where(DestructionAct.status != "returned"))


def proposable_kind(kind):
    """The kinds whose carriers may enter an act, as proposable_conditions() asks it in SQL."""
    return bool(kind.must_store and kind.needs_destruction_act and kind.retention_kind is not None
                and kind.retention_kind not in NOT_PROPOSED_KINDS)  # SQL's NOT IN is not true for a NULL


def proposable_conditions(kind_ids=None):
    """Everything but the date: the carriers that may ever enter an act.

    Written as NOT IN / IN over small subqueries rather than joins: on 300,000 carriers the planner then
    reads each set once (SQLite's list subquery, PostgreSQL's hashed subplan) instead of probing per row.
    `kind_ids`: the proposable kinds already read (a plain list lets PostgreSQL read the review's groups from
    the kind index alone, 0.15 s → 0.1 s on a busy machine).
    """
    kinds = kind_ids if kind_ids is not None else _proposable_kinds()
    return [*_kept_conditions(kinds), _not_studying(), Carrier.id.not_in(_live_act_carriers())]


def _proposable_kinds():
    return select(CarrierKind.id).where(
        CarrierKind.must_store.is_(True), CarrierKind.needs_destruction_act.is_(True),
        CarrierKind.retention_kind.not_in(NOT_PROPOSED_KINDS))


def _kept_conditions(kinds):
    """proposable_conditions without the pupils who study and the carriers already in an act."""
    return [
        Carrier.status.in_(HELD_STATUSES),
        Carrier.annulled.is_(False),
        Carrier.on_hold.is_(False),
        Carrier.retention_end.is_not(None),
        Carrier.kind_id.in_(kinds),
    ]


def _studying():
    return select(Student.id).where(Student.status == "studying")


def _not_studying():
    return or_(Carrier.student_id.is_(None), Carrier.student_id.not_in(_studying()))


def _base_query(*columns, kind_id=None, school_class_id=None, academic_year_id=None, kind_ids=None):
    query = select(*columns).select_from(Carrier).where(*proposable_conditions(kind_ids))
    if kind_id:
        query = query.where(Carrier.kind_id == kind_id)
    if school_class_id:
        query = query.where(Carrier.school_class_id == school_class_id)
    if academic_year_id:
        query = query.where(Carrier.academic_year_id == academic_year_id)
    return query


def act_cutoff(act_date, strict_year_start=True):
    """A carrier enters an act only if its period ended before this day (1 January of the act's year if strict)."""
    return date(act_date.year, 1, 1) if strict_year_start else act_date


def earliest_act_date(retention_end, strict_year_start=True):
    """The first act date a carrier kept until `retention_end` may enter."""
    return date(retention_end.year + 1, 1, 1) if strict_year_start else retention_end + timedelta(days=1)


def not_yet_text(retention_end, cutoff):
    """Why a carrier cannot join an act with this cutoff yet, and from when it can («в акт — с 01.01.2027»)."""
    # act_cutoff() gives 1 January only under the year-start rule (or for an act dated 1 January itself).
    strict = (cutoff.month, cutoff.day) == (1, 1)
    earliest = earliest_act_date(retention_end, strict)
    verb = "истёк" if retention_end < date.today() else "истекает"
    rule = " (в акт входят сроки, истёкшие до 1 января года акта)" if strict else ""
    return f"срок хранения {verb} {retention_end:%d.%m.%Y}: в акт — с {earliest:%d.%m.%Y}{rule}."


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue


def _first_date():
    return func.min(func.coalesce(Carrier.created_on, Carrier.event_on, Carrier.closed_on))


def _last_date():
    return func.max(func.coalesce(Carrier.closed_on, Carrier.event_on, Carrier.created_on))


def review_groups(session, today, *, months=12, kind_id=None, school_class_id=None, academic_year_id=None):
    """(expired, due_soon): per kind and nomenclature index, counts and dates, aggregated in SQL.

    Each is a list of dicts: kind, count, first_date, last_date, earliest_end, latest_end, rule.
    """
    soon = add_months(today, months)
    kinds = {k.id: k for k in session.scalars(select(CarrierKind))}
    filters = dict(kind_id=kind_id, school_class_id=school_class_id, academic_year_id=academic_year_id)

    def grouped(*conditions):
        # Two plain GROUP BY queries rather than one with a CASE bucket: PostgreSQL cannot match a
        # parameterised CASE in SELECT against its twin in GROUP BY.
        # The nomenclature index belongs to the kind, so grouping by kind groups by index too.
        query = (_base_query(Carrier.kind_id, func.count(Carrier.id), _first_date(), _last_date(),
                             func.min(Carrier.retention_end), func.max(Carrier.retention_end), **filters,
                             kind_ids=sorted(k.id for k in kinds.values() if proposable_kind(k)))
                 .where(*conditions).group_by(Carrier.kind_id))
        rows = []
        for kind_ref, count, first, last, earliest, latest in session.execute(query):
            kind = kinds[kind_ref]
            rows.append(dict(kind=kind, index=kind.nomenclature_index, count=count, first_date=first, last_date=last,
                             earliest_end=earliest, latest_end=latest, rule=kind.rule_text()))
        return rows

    expired = grouped(Carrier.retention_end < today)
    due = grouped(Carrier.retention_end >= today, Carrier.retention_end < soon)
    key = lambda r: (r["kind"].nomenclature_index or "", r["kind"].name)  # noqa: E731
    return sorted(expired, key=key), sorted(due, key=key)


def expired_carriers(session, before, *, kind_id=None, school_class_id=None, academic_year_id=None,
                     limit=None, offset=0):
    query = (_base_query(Carrier, kind_id=kind_id, school_class_id=school_class_id,
                         academic_year_id=academic_year_id)
             .where(Carrier.retention_end < before).order_by(Carrier.retention_end, Carrier.id))
    if limit:
        query = query.limit(limit).offset(offset)
    return list(session.scalars(query))


def count_expired(session, before, **filters):
    return session.scalar(_base_query(func.count(Carrier.id), **filters).where(Carrier.retention_end < before))


def _chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), IN_CHUNK):
        yield ids[start:start + IN_CHUNK]


def _other_live_acts(session, carrier_ids, act=None):
    """{carrier id: the act other than `act`, not returned, that already lists it}, in one query per chunk."""
    found = {}
    for chunk in _chunks(carrier_ids):
        rows = session.execute(
            select(destruction_line_carrier.c.carrier_id, DestructionAct)
            .join(DestructionActLine, DestructionActLine.id == destruction_line_carrier.c.line_id)
            .join(DestructionAct, DestructionAct.id == DestructionActLine.act_id)
            .where(destruction_line_carrier.c.carrier_id.in_(chunk), DestructionAct.status != "returned",
                   DestructionAct.id != (act.id if act is not None and act.id else -1)))
        found.update({carrier_id: other for carrier_id, other in rows})
    return found


def _preload_related(session, carriers):
    """Read every kind and the carriers' students at once, so that checking each carrier costs no query.

    The rows are returned to be held: the session keeps loaded objects only while something refers to them."""
    kinds = list(session.scalars(select(CarrierKind)))
    student_ids = sorted({c.student_id for c in carriers if c.student_id})
    students = [s for chunk in _chunks(student_ids) for s in session.scalars(select(Student).where(Student.id.in_(chunk)))]
    return kinds + students


def carrier_refusal(session, carrier, cutoff, act=None, other_acts=None):
    """Why this carrier may not enter an act with this cutoff (Russian), or None.

    `other_acts` is _other_live_acts() for a batch of carriers; without it the carrier's own is looked up."""
    reason = _refusal_reason(session, carrier, cutoff, act, other_acts)
    # The carrier's description is built only for a refusal: an act of a whole district's groups checks 80,000.
    return None if reason is None else f"{carrier.describe()}: {reason}"


def _refusal_reason(session, carrier, cutoff, act, other_acts):
    if carrier.annulled:
        return "запись аннулирована."
    if carrier.status not in HELD_STATUSES:
        return f"носитель уже {'уничтожен' if carrier.status == 'destroyed' else 'передан'}."
    if carrier.on_hold:
        return f"установлен запрет на уничтожение ({carrier.hold_reason or 'без причины'})."
    kind = carrier.kind
    if kind is None or not kind.must_store or kind.retention_kind in NOT_PROPOSED_KINDS:
        return "этот вид носителя не уничтожается по акту."
    if not kind.needs_destruction_act:
        # The kind's own rule: it leaves the school by handover, never by a destruction act.
        return f"у вида «{kind.name}» не отмечено «Уничтожение по акту»: он выбывает передачей, не актом."
    if carrier.student is not None and carrier.student.status == "studying":
        return "обучающийся ещё учится."
    if carrier.retention_end is None:
        return "срок хранения не определён: проверьте даты носителя."
    if carrier.retention_end >= cutoff:
        return not_yet_text(carrier.retention_end, cutoff)
    if other_acts is None:
        other_acts = _other_live_acts(session, [carrier.id], act)
    other = other_acts.get(carrier.id)
    if other is not None:
        return f"уже включён в {other}."
    return None


# --- holds --------------------------------------------------------------------------------------

def set_hold(session, carrier, reason):
    reason = (reason or "").strip()
    if not reason:
        raise RetentionError("Укажите причину запрета на уничтожение (например, «запрос суда»).")
    if carrier.status == "destroyed":
        raise RetentionError("Носитель уже уничтожен.")
    carrier.on_hold, carrier.hold_reason = True, reason[:300]
    session.flush()


def clear_hold(session, carrier, reason):
    reason = (reason or "").strip()
    if not reason:
        raise RetentionError("Укажите, почему запрет снимается.")
    if not carrier.on_hold:
        raise RetentionError("Запрета на этом носителе нет.")
    carrier.on_hold = False
    carrier.hold_reason = f"снят: {reason}"[:300]
    session.flush()


# --- drafting -----------------------------------------------------------------------------------

def next_act_number(session, act_date):
    numbers = session.scalars(select(DestructionAct.number).where(
        DestructionAct.act_date >= date(act_date.year, 1, 1), DestructionAct.act_date <= date(act_date.year, 12, 31)))
    highest = max((int(n) for n in numbers if (n or "").isdigit()), default=0)
    return str(highest + 1)


def _years_text(first, last):
    if not first and not last:
        return ""
    a, b = (first or last).year, (last or first).year
    return str(a) if a == b else f"{a}–{b}"


def _covered(line, carriers):
    """Set what a line derives from the carriers it covers: their extreme dates and their number."""
    first = min((d for c in carriers for d in (c.created_on, c.event_on, c.closed_on) if d), default=None)
    # A personal file's own last date is the day its student left.
    last = max((d for c in carriers
                for d in (c.closed_on, c.event_on, c.created_on, c.student.left_on if c.student else None) if d),
               default=None)
    line.carriers = list(carriers)
    line.first_date, line.last_date, line.item_count = first, last, len(carriers)
    line.inventory_years = _years_text(first, last)
    return line


def _check_carriers(session, carriers, cutoff, act=None):
    """Refuse the whole batch when any carrier may not enter the act; return the related rows read for the check
    (held by the caller, they spare a query per carrier afterwards too)."""
    related = _preload_related(session, carriers)
    other_acts = _other_live_acts(session, [c.id for c in carriers], act)
    errors = [msg for msg in (carrier_refusal(session, c, cutoff, act, other_acts) for c in carriers) if msg]
    if errors:
        shown = errors[:5] + ([f"и ещё {len(errors) - 5}"] if len(errors) > 5 else [])
        raise RetentionError("Носители не могут войти в акт: " + "; ".join(shown))
    return related


def add_carriers(session, act, carrier_ids, *, strict_year_start=True):
    """Add carriers to a draft act, one line per kind (existing lines grow); all or nothing."""
    if act.status not in EDITABLE:
        raise RetentionError(f"{act} {act.status_text}: изменять его нельзя.")
    ids = sorted({int(i) for i in carrier_ids})
    if not ids:
        raise RetentionError("Не выбрано ни одного носителя.")
    carriers = sorted((c for chunk in _chunks(ids) for c in session.scalars(select(Carrier).where(Carrier.id.in_(chunk)))),
                      key=lambda c: c.id)
    if len(carriers) != len(ids):
        raise RetentionError("Часть выбранных носителей не найдена.")
    listed = {c.id for line in act.lines for c in line.carriers}
    carriers = [c for c in carriers if c.id not in listed]
    # The kinds and students read for the check stay referenced until the lines below are built from them.
    held = _check_carriers(session, carriers, act_cutoff(act.act_date, strict_year_start), act)
    by_kind = {}
    for carrier in carriers:
        by_kind.setdefault(carrier.kind_id, []).append(carrier)
    for kind_ref, group in by_kind.items():
        kind = group[0].kind
        line = next((ln for ln in act.lines if ln.kind_id == kind_ref), None)
        if line is None:
            # Columns 5 and 7 of the act: the index, the retention and the list's article of the kind's item of
            # the nomenclature of files; a kind without an item keeps its own rule and its article of the list.
            item = kind.nomenclature_item
            if item is not None:
                line = DestructionActLine(position=len(act.lines) + 1, kind=kind, title=kind.name,
                                          nomenclature_index=item.index, retention_text=item.retention,
                                          clause=item.list_article or kind.list_article,
                                          inventory_years=item.academic_year.name)
            else:
                line = DestructionActLine(position=len(act.lines) + 1, kind=kind, title=kind.name,
                                          nomenclature_index=kind.nomenclature_index,
                                          retention_text=kind.rule_text(), clause=kind.list_article)
            act.lines.append(line)
            _covered(line, group)
        else:
            _covered(line, list(line.carriers) + group)
    session.flush()
    del held
    return act


def draft_act(session, *, carrier_ids, user, act_date, number=None, strict_year_start=True):
    """The deputy's new draft listing the chosen carriers; refused whole when one of them may not enter."""
    if not carrier_ids:
        raise RetentionError("Акт без строк не составляется: выберите носители с истёкшим сроком хранения.")
    number = (number or "").strip() or next_act_number(session, act_date)
    _check_number(session, number, act_date)
    act = DestructionAct(number=number, act_date=act_date, status="draft", drafted_by_id=user.id,
                         basis=DEFAULT_BASIS, chairman_id=None)
    session.add(act)
    add_carriers(session, act, carrier_ids, strict_year_start=strict_year_start)
    return act


def draft_from_groups(session, *, kind_ids, user, act_date, number=None, strict_year_start=True, **filters):
    """A draft of every proposable carrier of the chosen kinds whose period ended before the act's cutoff."""
    cutoff = act_cutoff(act_date, strict_year_start)
    ids = []
    for kind_ref in kind_ids:
        ids += session.scalars(_base_query(Carrier.id, kind_id=int(kind_ref), **filters)
                               .where(Carrier.retention_end < cutoff)).all()
    if not ids:
        raise RetentionError(f"Среди выбранных нет носителей, срок хранения которых истёк до {cutoff:%d.%m.%Y}: "
                             "акт без строк не составляется.")
    return draft_act(session, carrier_ids=ids, user=user, act_date=act_date, number=number,
                     strict_year_start=strict_year_start)


def _check_number(session, number, act_date, act_id=None):
    other = session.scalar(select(DestructionAct).where(
        DestructionAct.number == number, DestructionAct.id != (act_id or -1),
        DestructionAct.act_date >= date(act_date.year, 1, 1), DestructionAct.act_date <= date(act_date.year, 12, 31)))
    if other is not None:
        raise RetentionError(f"Акт № {number} за {act_date.year} год уже есть.")


def update_act(session, act, *, number, act_date, basis, expert_protocol, chairman_id, member_ids, lines=None,
               remove_line_ids=(), strict_year_start=True):
    """Edit a draft (or returned) act's header, commission and line texts."""
    if act.status not in EDITABLE:
        raise RetentionError(f"{act} {act.status_text}: изменять его нельзя.")
    number = (number or "").strip()
    if not number:
        raise RetentionError("Укажите номер акта.")
    if act_date is None:
        raise RetentionError("Укажите дату акта в виде ДД.ММ.ГГГГ.")
    _check_number(session, number, act_date, act.id)
    members = list(session.scalars(select(User).where(User.id.in_([int(i) for i in member_ids]))))
    chairman = session.get(User, int(chairman_id)) if chairman_id else None
    if chairman is not None and chairman not in members:
        members.append(chairman)
    act.number, act.act_date, act.basis = number, act_date, (basis or "").strip() or DEFAULT_BASIS
    act.expert_protocol = _protocol_details(expert_protocol)
    act.chairman, act.commission = chairman, members
    for line in list(act.lines):
        if line.id in set(remove_line_ids):
            act.lines.remove(line)
            continue
        values = (lines or {}).get(line.id)
        if values:
            title = (values.get("title") or "").strip()
            if not title:
                raise RetentionError(f"Строка {line.position}: укажите заголовок дела.")
            line.title = title[:500]
            line.note = (values.get("note") or "").strip()[:500] or None
            line.inventory_years = (values.get("inventory_years") or "").strip()[:100] or None
    for position, line in enumerate(act.lines, start=1):
        line.position = position
    # A new date can move the cutoff: every listed carrier must still qualify.
    _check_carriers(session, [c for ln in act.lines for c in ln.carriers],
                    act_cutoff(act_date, strict_year_start), act)
    session.flush()
    return act


def send_act(session, act, user, *, strict_year_start=True):
    if act.status not in EDITABLE:
        raise RetentionError(f"{act} {act.status_text}: отправить его на утверждение нельзя.")
    carriers = [c for line in act.lines for c in line.carriers]
    if not act.lines or not carriers:
        raise RetentionError("В акте нет ни одной строки: отправлять на утверждение нечего.")
    if act.chairman is None or len(act.commission) < 2:
        raise RetentionError("Укажите комиссию: председателя и хотя бы одного члена комиссии.")
    _check_carriers(session, carriers, act_cutoff(act.act_date, strict_year_start), act)
    act.status, act.sent_at, act.return_comment = "sent", utcnow(), None
    session.flush()
    return act


def may_approve(user, act):
    """Only a director, and never the act's own drafter (a director who is also the deputy included)."""

    return bool(can(user, "destruction_approval", "edit") and act.drafted_by_id != user.id)


def _approval_refusal(user, act):

    if not can(user, "destruction_approval", "edit"):
        return "Утверждать акты о выделении к уничтожению может только директор."
    if act.drafted_by_id == user.id:
        return "Составитель акта не может сам его утвердить: акт утверждает директор, не составлявший его."
    if act.status == "approved":
        return f"{act} уже утверждён {act.approved_on:%d.%m.%Y}."
    if act.status != "sent":
        return f"{act} не отправлен на утверждение ({act.status_text})."
    return None


def return_act(session, act, user, comment):
    refusal = _approval_refusal(user, act)
    if refusal:
        raise RetentionError(refusal)
    comment = (comment or "").strip()
    if not comment:
        raise RetentionError("Укажите, почему акт возвращается: составитель увидит этот комментарий.")
    act.status, act.return_comment = "returned", comment
    session.flush()
    return act


def destruction_marks(act, today):
    """What an approved act writes on each of its carriers: kept in the database, marked destroyed with the
    act's reference."""
    return {"status": "destroyed", "destroyed_on": today, "destruction_act_id": act.id}


def _destruction_audit(carriers, marks):
    """The audit entries of marking these carriers destroyed: the ones the audit hook writes for an object changed
    in the session, built here because the change is one UPDATE per batch."""
    user_id, login = current_actor()
    now = utcnow()
    entries = []
    for carrier in carriers:
        changes = {key: [plain_value(getattr(carrier, key)), plain_value(value)] for key, value in marks.items()
                   if plain_value(getattr(carrier, key)) != plain_value(value)}
        entries.append(dict(at=now, user_id=user_id, user_login=login, action="update",
                            table_name=carrier.__tablename__, record_id=str(carrier.id),
                            record_repr=str(carrier)[:300], changes=json.dumps(changes, ensure_ascii=False)))
    return entries


def _mark_destroyed(session, act, carriers, today):
    """Every carrier of the act marked destroyed, with its version raised as an edit would, and its audit entry.

    One object at a time the ORM sent 80,000 UPDATEs for a district's act (30 s on SQLite, 50 s on PostgreSQL).
    A carrier changed since the check (no longer held) fails the approval as a whole."""
    marks = destruction_marks(act, today)
    entries = _destruction_audit(carriers, marks)
    table = Carrier.__table__
    for chunk in _chunks([c.id for c in carriers]):
        done = session.execute(update(table).where(table.c.id.in_(chunk), table.c.status.in_(HELD_STATUSES))
                               .values(version=table.c.version + 1, **marks)).rowcount
        if done != len(chunk):
            raise RetentionError("Носители акта изменились, пока он утверждался: откройте акт и утвердите его заново.")
    for chunk in range(0, len(entries), IN_CHUNK):
        session.execute(insert(AuditLog.__table__), entries[chunk:chunk + IN_CHUNK])
    for carrier in carriers:
        session.expire(carrier)  # its row has changed under it


def approve_act(session, act, user, today, *, strict_year_start=True):
    """The director's approval: every listed carrier is marked destroyed in the same transaction."""
    refusal = _approval_refusal(user, act)
    if refusal:
        raise RetentionError(refusal)
    carriers = [c for line in act.lines for c in line.carriers]
    if not carriers:
        raise RetentionError("В акте нет ни одной строки: утверждать нечего.")
    held = _check_carriers(session, carriers, act_cutoff(act.act_date, strict_year_start), act)
    # Read before the carriers are marked (and expired): whose personal files this act destroys.
    file_students = {c.student_id for c in carriers if c.type == "personal_file" and c.student_id}
    act.status, act.approved_by_id, act.approved_at, act.approved_on = "approved", user.id, utcnow(), today
    session.flush()
    _mark_destroyed(session, act, carriers, today)
    del held
    # The purpose is achieved: the same transaction depersonalises what no kept carrier needs (152-ФЗ ст. 21 ч. 4).
    from .pd_lifecycle import depersonalise_after_destruction

    lines = depersonalise_after_destruction(session, file_students, today)
    act.depersonalised = "\n".join(lines) or None
    session.flush()
    return act


# --- home page notices -------------------------------------------------------------------------

def _default_url(endpoint):
    return f"/admin/{endpoint}/"


def _count_due(session, today):
    """count_expired(session, today) as the kept carriers past their term less those of studying pupils and
    those in a live act (both few): the whole count then reads one index range without probing each row
    (about 20 → 9 ms on SQLite, 28 → 23 ms on PostgreSQL at district scale)."""
    kept = [*_kept_conditions(_proposable_kinds()), Carrier.retention_end < today]

    def count(*more):
        return session.scalar(select(func.count(Carrier.id)).where(*kept, *more))

    return (count() - count(Carrier.student_id.in_(_studying()))
            - count(Carrier.id.in_(_live_act_carriers()), _not_studying()))


def _held(model):
    """The ids of held, not annulled carriers of one register (`model`, a Carrier subclass)."""
    return select(Carrier.id).where(Carrier.type == model.__mapper__.polymorphic_identity,
                                    Carrier.status.in_(HELD_STATUSES), Carrier.annulled.is_(False))


def review_notices(session, user_roles, today, url_for=_default_url):
    """[(text, count, url)] for the deputy's and director's home page; empty for other roles.

    `url_for(endpoint)` turns a panel endpoint into a link (or None when that register is not installed).
    """
    from .registers import CopyMedium, EjournalCopy, PersonalFile, StoredCertificate

    if not any(role_can(role, "retention_notices", "view") for role in user_roles):
        return []
    notices = []
    due = _count_due(session, today)
    if due:
        notices.append(("Носители с истёкшим сроком хранения ждут экспертизы", due, url_for("retention_review")))

    year_ago = datetime.combine(today - timedelta(days=365), datetime.min.time())
    # Counted over the copy table with the held carriers as an IN over the carrier table's (type, status,
    # annulled) index: a join let PostgreSQL scan all 300,000 carriers (about 40 ms at district scale).
    copy = EjournalCopy.__table__
    media = select(func.count(CopyMedium.id)).where(CopyMedium.copy_id == copy.c.id).correlate(copy).scalar_subquery()
    copies = session.scalar(select(func.count()).select_from(copy).where(
        copy.c.id.in_(_held(EjournalCopy)),
        or_(copy.c.last_verified_at.is_(None), copy.c.last_verified_at < year_ago, media < 2)))
    if copies:
        notices.append(("Копии электронного журнала без проверки за последний год или менее чем на двух носителях",
                        copies, url_for("ejournal_copy")))

    # The held certificates of students who do not study, as an IN over the carrier table's (type, status,
    # annulled, student_id) index: joining the students let PostgreSQL scan all 300,000 carriers (60 ms → 5 ms).
    studying = select(Student.id).where(Student.status == "studying")
    held = _held(StoredCertificate).where(Carrier.student_id.is_not(None), Carrier.student_id.not_in(studying))
    certificates = session.scalar(
        select(func.count()).select_from(StoredCertificate.__table__)
        .where(StoredCertificate.__table__.c.returned_on.is_(None), StoredCertificate.__table__.c.id.in_(held)))
    if certificates:
        notices.append(("Аттестаты выбывших обучающихся, принятые на хранение и не возвращённые", certificates,
                        url_for("stored_certificate")))

    three_years_ago = add_years(today, -3)
    # Counted as «not among the students who study or left recently» (a small set, NOT IN) over the carrier
    # table's (type, status, annulled, student_id) index: three times faster than joining 100,000 students.
    recent = select(Student.id).where(or_(Student.status == "studying", Student.left_on.is_(None),
                                          Student.left_on >= three_years_ago))
    files = session.scalar(
        select(func.count(Carrier.id)).where(
            Carrier.type == PersonalFile.__mapper__.polymorphic_identity, Carrier.status == "kept",
            Carrier.annulled.is_(False), Carrier.student_id.is_not(None), Carrier.student_id.not_in(recent)))
    if files:
        notices.append(("Личные дела обучающихся, выбывших более 3 лет назад, всё ещё числятся на хранении", files,
                        url_for("personal_file")))
    return notices


# --- numbers in words for «Итого» ----------------------------------------------------------------

def _protocol_details(text):
    """What follows «Протокол ЭК» in the print: a typed-in «протокол ЭК от …» would repeat the words."""
    text = " ".join((text or "").split())
    text = re.sub(r"^(протокол(а|ом)?\s*)?(заседания\s*)?(ЭК|экспертной комиссии)?\s*[:,]?\s*", "", text,
                  flags=re.IGNORECASE)
    return text or None


def total_text(act):
    """«21 (двадцать одно) дело за 2015–2019 годы» for the act's «Итого» line."""
    total = act.total_items
    first = min((ln.first_date for ln in act.lines if ln.first_date), default=None)
    last = max((ln.last_date for ln in act.lines if ln.last_date), default=None)
    years = _years_text(first, last)
    words = f"{total} ({number_to_words(total, 'n')}) {plural(total, ('дело', 'дела', 'дел'))}"
    if not years:
        return words
    return f"{words} за {years} {'год' if '–' not in years else 'годы'}"

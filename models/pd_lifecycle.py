"""Personal data once its purpose is achieved (152-ФЗ ст. 5 ч. 7, ст. 21 ч. 4): when a pupil's personal file is
destroyed by an approved act, the pupil's data that no kept carrier needs is depersonalised in the act's transaction.

What the law keeps stays: a certificate book entry has its own frozen ФИО (kept with the book), the marks stay
attached to the depersonalised pupil, and the acts keep their numbers."""
import json
from datetime import date

from sqlalchemy import or_, select, update

from .audit import AuditLog
from .carriers import HELD_STATUSES, Carrier
from .people import Guardian, Student
from .registers import Portfolio, PortfolioItem

STUDENT_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "leaving_note")
GUARDIAN_CONTACTS = ("phone", "identity_document", "address")
GUARDIAN_NAME = ("last_name", "first_name", "middle_name")
ITEM_FIELDS = ("file_name", "original_name")
MASK = "***"


def student_alias(student_id):
    return f"Обучающийся № {student_id}"


def _mask_changes(text, fields, names):
    try:
        changes = json.loads(text or "{}")
    except ValueError:
        return text
    for key in fields:
        if key in changes:
            changes[key] = [MASK if v is not None else None for v in changes[key]]
    result = json.dumps(changes, ensure_ascii=False)
    for name, alias in names:
        result = result.replace(name, alias)
    return result


def _mask_audit(session, targets, names):
    """targets: {(table, record id): fields to mask}; names: [(old name, its alias)] replaced in those entries."""
    if not targets:
        return
    targets = {(table, str(record_id)): fields for (table, record_id), fields in targets.items()}
    by_table = {}
    for (table, record_id) in targets:
        by_table.setdefault(table, []).append(record_id)
    condition = or_(*[(AuditLog.table_name == table) & AuditLog.record_id.in_(ids) for table, ids in by_table.items()])
    rows = session.execute(select(AuditLog.id, AuditLog.table_name, AuditLog.record_id, AuditLog.changes,
                                  AuditLog.record_repr).where(condition)).all()
    for row in rows:
        fields = targets.get((row.table_name, row.record_id), ())
        repr_text = row.record_repr or ""
        for name, alias in names:
            repr_text = repr_text.replace(name, alias)
        session.execute(update(AuditLog.__table__).where(AuditLog.__table__.c.id == row.id).values(
            changes=_mask_changes(row.changes, fields, names), record_repr=repr_text[:300] or None))


def depersonalise_student(session, student, today):
    """Depersonalise one pupil whose kept carriers are all gone; return the act's line, or a line saying why not."""
    kept = session.scalars(select(Carrier).where(Carrier.student_id == student.id,
                                                 Carrier.status.in_(HELD_STATUSES),
                                                 Carrier.annulled.is_(False))).all()
    alias = student_alias(student.id)
    if kept:
        kinds = sorted({c.kind.name for c in kept if c.kind is not None})
        return f"{alias}: не обезличен — хранятся носители: {', '.join(kinds)}."
    names = [(student.full_name, alias)]
    carrier_ids = list(session.scalars(select(Carrier.id).where(Carrier.student_id == student.id)))
    targets = {("student", student.id): STUDENT_FIELDS}
    for cid in carrier_ids:
        for table in ("carrier", "personal_file", "portfolio", "exam_protocol", "stored_certificate"):
            targets[(table, cid)] = ()
    # The act's lines list the carriers by their description (with the name) in their audit entries.
    from .retention import destruction_line_carrier

    for line_id in set(session.scalars(select(destruction_line_carrier.c.line_id).where(
            destruction_line_carrier.c.carrier_id.in_(carrier_ids)))):
        targets[("destruction_act_line", line_id)] = ()
    done = ["ФИО", "дата рождения (оставлен год)"]
    student.last_name, student.first_name, student.middle_name = "Обучающийся", f"№ {student.id}", None
    student.birth_date = date(student.birth_date.year, 1, 1)
    student.leaving_note = None
    student.depersonalised_on = today
    cleared_guardians = 0
    for guardian in list(student.guardians):
        targets[("guardian", guardian.id)] = GUARDIAN_CONTACTS
        guardian.phone = guardian.identity_document = guardian.address = None
        cleared_guardians += 1
        if all(s.id == student.id or s.depersonalised_on is not None for s in guardian.students):
            # No other pupil of the school is theirs: the name goes too.
            names.append((guardian.full_name, f"Представитель № {guardian.id}"))
            targets[("guardian", guardian.id)] = GUARDIAN_CONTACTS + GUARDIAN_NAME
            guardian.last_name, guardian.first_name, guardian.middle_name = "Представитель", f"№ {guardian.id}", None
            guardian.depersonalised_on = today
    if cleared_guardians:
        done.append(f"документы, телефоны и адреса законных представителей ({cleared_guardians})")
    scans = 0
    items = session.scalars(select(PortfolioItem).join(Portfolio).where(Portfolio.student_id == student.id)).all()
    for item in items:
        targets[("portfolio_item", item.id)] = ITEM_FIELDS
        if item.file_name:
            scans += 1
        # The file itself is removed from disk when this transaction commits (registers._track_scans).
        item.file_name = item.original_name = item.content_type = None
        item.file_size = None
    if scans:
        done.append(f"сканы портфолио ({scans}) удалены с диска")
    session.flush()  # the audit entries of these very changes are written now, and masked below with the rest
    # Longest first: «Ушедшева Мария» must not be half-replaced by the pupil's «Ушедшев …».
    _mask_audit(session, targets, sorted(names, key=lambda pair: -len(pair[0])))
    done.append("старые и новые значения этих полей в журнале аудита")
    return f"{alias}: обезличены — {'; '.join(done)}."


def depersonalise_after_destruction(session, student_ids, today):
    """For the pupils whose personal files an approved act destroyed: the act's lines on depersonalisation."""
    lines = []
    for student in session.scalars(select(Student).where(Student.id.in_(sorted(student_ids))).order_by(Student.id)):
        if student.depersonalised_on is not None or student.status == "studying":
            continue
        lines.append(depersonalise_student(session, student, today))
    return lines


# --- to whom a pupil's results may be released (002 §5.1; 152-ФЗ ст. 6, 9) -----------------------------------

OWN_DOCUMENTS_AGE = 14  # a pupil of 14 receives their own documents (the acts; ГК РФ ст. 26)
ADULT_AGE = 18


def is_legal_representative(guardian):
    """A registered mother, father or guardian; «иной представитель» only with the document that makes them one."""
    return guardian.kind != "other" or bool((guardian.authority_document or "").strip())


def release_recipients(student, on_day):
    """{key: label} of those the pupil's results may be released to on that day (a proxy is added by the caller)."""
    from .carriers import add_years

    found = {}
    for guardian in sorted(student.guardians, key=lambda g: (g.last_name, g.first_name, g.id)):
        if is_legal_representative(guardian):
            found[f"guardian:{guardian.id}"] = f"{guardian.full_name} (законный представитель)"
    if student.birth_date is not None and add_years(student.birth_date, OWN_DOCUMENTS_AGE) <= on_day:
        found["student"] = f"{student.full_name} (обучающийся, лично)"
    return found


def release_recipient(student, on_day, *, key, proxy_name=None, proxy_document=None):
    """The recipient's text for the register, or raise ValueError with the Russian reason a release is refused."""
    allowed = release_recipients(student, on_day)
    if key == "proxy":
        name, document = " ".join((proxy_name or "").split()), " ".join((proxy_document or "").split())
        if not name or not document:
            raise ValueError("Представителю по доверенности выдаётся только при записанной доверенности: укажите "
                             "ФИО представителя и доверенность (номер, дата, кем выдана).")
        return f"{name} (по доверенности: {document})"
    if key not in allowed:
        raise ValueError("Сведения об обучающемся выдаются только законному представителю, записанному в панели, "
                         f"самому обучающемуся с {OWN_DOCUMENTS_AGE} лет или представителю по доверенности. "
                         "Выберите получателя из списка; «иной представитель» — только с документом, "
                         "подтверждающим его полномочия.")
    return allowed[key]

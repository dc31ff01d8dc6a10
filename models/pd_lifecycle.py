"""Personal data once its purpose is achieved (152-ФЗ ст. 5 ч. 7, ст. 21 ч. 4): when a pupil's personal file is
destroyed by an approved act, the pupil's data that no kept carrier needs is depersonalised in the act's transaction.

What the law keeps stays: a certificate book entry has its own frozen ФИО (kept with the book), the marks stay
attached to the depersonalised pupil, and the acts keep their numbers."""
import json
from datetime import date

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from .audit import AuditLog
from .carriers import HELD_STATUSES, Carrier
from .people import Guardian, Student
from .registers import Portfolio, PortfolioItem

STUDENT_FIELDS = ("last_name", "first_name", "middle_name", "birth_date", "leaving_note", "pd_consent_file",
                  "pd_consent_name")
GUARDIAN_CONTACTS = ("phone", "identity_document", "address")
GUARDIAN_NAME = ("last_name", "first_name", "middle_name", "pd_consent_file", "pd_consent_name")
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
        if key in changes and isinstance(changes[key], list):
            changes[key] = [MASK if v is not None else None for v in changes[key]]
    result = json.dumps(changes, ensure_ascii=False)
    for name, alias in names:
        result = result.replace(name, alias)
    return result


def _mask_audit(session, targets):
    """targets: {(table, record id): (fields to mask, [(old name, alias)])}: the audit entries of those records lose
    the fields' values and the names, in one read per table and one batched write."""
    by_table = {}
    for table, record_id in targets:
        by_table.setdefault(table, []).append(record_id)
    table_ = AuditLog.__table__
    changes = []
    for table, ids in by_table.items():
        for at in range(0, len(ids), CHUNK):
            rows = session.execute(select(table_.c.id, table_.c.record_id, table_.c.changes, table_.c.record_repr)
                                   .where(table_.c.table_name == table,
                                          table_.c.record_id.in_(ids[at:at + CHUNK]))).all()
            for row in rows:
                fields, names = targets[(table, row.record_id)]
                repr_text = row.record_repr or ""
                for name, alias in names:
                    repr_text = repr_text.replace(name, alias)
                changes.append({"row_id": row.id, "new_changes": _mask_changes(row.changes, fields, names),
                                "new_repr": repr_text[:300] or None})
    if changes:
        session.execute(update(table_).where(table_.c.id == bindparam("row_id"))
                        .values(changes=bindparam("new_changes"), record_repr=bindparam("new_repr")), changes)


CHUNK = 500


def depersonalise_after_destruction(session, student_ids, today):
    """For the pupils whose personal files an approved act destroyed: depersonalise those no kept carrier needs;
    return the act's lines (one per pupil). Read and written in batches: a district's act lists thousands of files."""
    from .carriers import CarrierKind
    from .retention import destruction_line_carrier

    lines = []
    ids = sorted(student_ids)
    for at in range(0, len(ids), CHUNK):
        chunk = ids[at:at + CHUNK]
        students = session.scalars(
            select(Student).where(Student.id.in_(chunk), Student.depersonalised_on.is_(None),
                                  Student.status != "studying")
            .options(selectinload(Student.guardians).selectinload(Guardian.students)).order_by(Student.id)).all()
        if not students:
            continue
        kept = {}
        for sid, name in session.execute(
                select(Carrier.student_id, CarrierKind.name).join(CarrierKind, CarrierKind.id == Carrier.kind_id)
                .where(Carrier.student_id.in_(chunk), Carrier.status.in_(HELD_STATUSES),
                       Carrier.annulled.is_(False))):
            kept.setdefault(sid, set()).add(name)
        carriers_of = {}
        for cid, sid in session.execute(select(Carrier.id, Carrier.student_id).where(Carrier.student_id.in_(chunk))):
            carriers_of.setdefault(sid, []).append(cid)
        all_carriers = [c for cs in carriers_of.values() for c in cs]
        lines_of = {}
        for part in range(0, len(all_carriers), CHUNK):
            for line_id, cid in session.execute(
                    select(destruction_line_carrier.c.line_id, destruction_line_carrier.c.carrier_id)
                    .where(destruction_line_carrier.c.carrier_id.in_(all_carriers[part:part + CHUNK]))):
                lines_of.setdefault(cid, set()).add(line_id)
        items_of = {}
        for item, sid in session.execute(select(PortfolioItem, Portfolio.student_id).join(Portfolio)
                                         .where(Portfolio.student_id.in_(chunk))):
            items_of.setdefault(sid, []).append(item)
        from .admission_book import AdmissionBookEntry

        book_lines = {}
        for line_id, sid in session.execute(select(AdmissionBookEntry.id, AdmissionBookEntry.student_id)
                                            .where(AdmissionBookEntry.student_id.in_(chunk))):
            book_lines.setdefault(sid, []).append(line_id)
        targets = {}
        for student in students:
            alias = student_alias(student.id)
            student_name = student.full_name
            if student.id in kept:
                lines.append(f"{alias}: не обезличен — хранятся носители: {', '.join(sorted(kept[student.id]))}.")
                continue
            lines.append(_depersonalise(student, alias, today, carriers_of.get(student.id, []), lines_of,
                                        items_of.get(student.id, []), targets))
            # The alphabetical book's lines keep the name by law (the book is kept for decades); the audit
            # entries of those lines are masked like the pupil's own.
            for line_id in book_lines.get(student.id, ()):
                key = ("admission_book_entry", str(line_id))
                old_fields, old_names = targets.get(key, ((), []))
                targets[key] = (old_fields + ("last_name", "first_name", "middle_name", "birth_date"),
                                old_names + [(student_name, alias)])
        session.flush()  # the audit entries of these very changes are written now, and masked with the rest
        _mask_audit(session, targets)
    return lines


def _depersonalise(student, alias, today, carrier_ids, lines_of, items, targets):
    names = [(student.full_name, alias)]
    own = [("student", student.id, STUDENT_FIELDS)]
    for cid in carrier_ids:
        for table in ("carrier", "personal_file", "portfolio", "exam_protocol", "stored_certificate"):
            own.append((table, cid, ()))
        # The act's lines list the carriers by their description (with the name) in their audit entries.
        for line_id in lines_of.get(cid, ()):
            own.append(("destruction_act_line", line_id, ()))
    done = ["ФИО", "дата рождения (оставлен год)"]
    student.last_name, student.first_name, student.middle_name = "Обучающийся", f"№ {student.id}", None
    student.birth_date = date(student.birth_date.year, 1, 1)
    student.leaving_note = None
    if student.pd_consent_file:
        done.append("скан согласия удалён с диска")
    student.pd_consent_file = student.pd_consent_name = None
    student.depersonalised_on = today
    guardians = list(student.guardians)
    for guardian in guardians:
        fields = GUARDIAN_CONTACTS
        guardian.phone = guardian.identity_document = guardian.address = None
        if guardian.depersonalised_on is None and all(
                s.id == student.id or s.depersonalised_on is not None for s in guardian.students):
            # No other pupil of the school is theirs: the name goes too.
            names.append((guardian.full_name, f"Представитель № {guardian.id}"))
            fields = GUARDIAN_CONTACTS + GUARDIAN_NAME
            guardian.last_name, guardian.first_name, guardian.middle_name = "Представитель", f"№ {guardian.id}", None
            guardian.pd_consent_file = guardian.pd_consent_name = None  # the scan leaves the disk with the commit
            guardian.depersonalised_on = today
        own.append(("guardian", guardian.id, fields))
    if guardians:
        done.append(f"документы, телефоны и адреса законных представителей ({len(guardians)})")
    scans = 0
    for item in items:
        own.append(("portfolio_item", item.id, ITEM_FIELDS))
        if item.file_name:
            scans += 1
        # The file itself is removed from disk when this transaction commits (registers._track_scans).
        item.file_name = item.original_name = item.content_type = None
        item.file_size = None
    if scans:
        done.append(f"сканы портфолио ({scans}) удалены с диска")
    # Longest first: «Ушедшева Мария» must not be half-replaced by the pupil's «Ушедшев …».
    names = sorted((pair for pair in names if pair[0]), key=lambda pair: -len(pair[0]))
    for table, record_id, fields in own:
        key = (table, str(record_id))
        old_fields, old_names = targets.get(key, ((), []))
        targets[key] = (tuple(dict.fromkeys(old_fields + tuple(fields))), old_names + names)
    done.append("старые и новые значения этих полей в журнале аудита")
    return f"{alias}: обезличены — {'; '.join(done)}."


def depersonalise_student(session, student, today):
    """One pupil (a command or a test): the same as for an act listing only this pupil's file."""
    return depersonalise_after_destruction(session, {student.id}, today)


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

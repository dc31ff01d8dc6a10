"""The audit log and the one session hook that writes it for every insert, update and delete."""
import contextvars
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Integer, String, Text, event, inspect, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import db
from .users import utcnow

ACTIONS = {"insert": "создание", "update": "изменение", "delete": "удаление"}
SECRET_FIELDS = {"password_hash"}
SKIPPED_TABLES = {"audit_log", "login_failure"}

# Who acts outside a request (CLI, imports run by scripts): set with `acting_as`.
_cli_actor = contextvars.ContextVar("cli_actor", default=(None, "система"))
# The web layer installs a provider returning (user_id, login) of the logged-in user.
actor_provider = None


def acting_as(user_id, login):
    return _cli_actor.set((user_id, login))


def current_actor():
    if actor_provider is not None:
        actor = actor_provider()
        if actor is not None:
            return actor
    return _cli_actor.get()


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_login: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(10))
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    record_id: Mapped[str] = mapped_column(String(64), index=True)
    record_repr: Mapped[str | None] = mapped_column(String(300))
    changes: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def changes_dict(self):
        return json.loads(self.changes or "{}")


def plain_value(value):
    """A column value as the audit log writes it (dates in ISO form)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _column_changes(obj, action):
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        # The version counter and columns derived from others (info={"audit": False}) add nothing to the log.
        if key == "version" or not attr.columns[0].info.get("audit", True):
            continue
        hist = state.attrs[key].history
        if action == "insert":
            new = getattr(obj, key)
            if new is not None:
                changes[key] = [None, plain_value(new)]
        elif action == "delete":
            old = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if old is not None:
                changes[key] = [plain_value(old), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if plain_value(old) != plain_value(new):
                changes[key] = [plain_value(old), plain_value(new)]
    for key in SECRET_FIELDS & changes.keys():
        changes[key] = ["***" if changes[key][0] else None, "***" if changes[key][1] else None]
    return changes


def _relationship_changes(obj):
    """Many-to-many links (a student's guardians) are changes too."""
    state = inspect(obj)
    changes = {}
    for rel in state.mapper.relationships:
        if rel.secondary is None:
            continue
        hist = state.attrs[rel.key].history
        if hist.added or hist.deleted:
            changes[rel.key] = [[str(o) for o in hist.deleted], [str(o) for o in hist.added]]
    return changes


def _record_id(obj):
    state = inspect(obj)
    # A row inserted in this flush has no identity key yet (it is set after after_flush), but its id is loaded.
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    return ",".join(str(i) for i in ident) if ident and None not in ident else "?"


def _describe(obj):
    try:
        return str(obj)[:300]
    except Exception:  # a half-deleted object may not render; the id still identifies it
        return None


@event.listens_for(Session, "after_flush")
def _write_audit(session, flush_context):
    rows = []
    user_id, login = current_actor()
    now = utcnow()
    for action, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table is None or table in SKIPPED_TABLES:
                continue
            if action == "update" and not session.is_modified(obj, include_collections=True):
                continue
            changes = _column_changes(obj, action)
            if action != "delete":
                changes.update(_relationship_changes(obj))
            if action == "update" and not changes:
                continue
            rows.append(dict(at=now, user_id=user_id, user_login=login, action=action, table_name=table,
                             record_id=_record_id(obj), record_repr=_describe(obj),
                             changes=json.dumps(changes, ensure_ascii=False)))
    if rows:
        # Written on the flushing connection, so the log commits or rolls back with the change itself.
        session.connection().execute(insert(AuditLog.__table__), rows)

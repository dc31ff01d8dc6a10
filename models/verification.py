"""The register of printed documents: each print gets a short code that a public page checks (valid or annulled)."""
import hashlib
import secrets
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .db import db
from .users import utcnow

# What the verification page calls each print; the key is the print template's name (templates/pdf/<key>.html).
PRINT_KINDS = {
    "progress_report": "справка об успеваемости",
    "study_certificate": "справка об обучении",
    "certificate_appendix": "приложение к аттестату (лист для сверки)",
    "certificate_receipt": "расписка в получении аттестата",
    "certificate_book": "страницы книги регистрации выданных аттестатов",
    "destruction_act": "акт о выделении к уничтожению",
    "handover_act": "акт приёма-передачи",
    "summary_sheet": "сводная ведомость итоговых отметок",
    "class_journal": "страницы электронного журнала класса за учебный год",
    "personal_card": "личная карта обучающегося (страница учебного года)",
}
# No 0/O, 1/I/L, U: a code read aloud or typed from paper is not mistaken (Crockford's alphabet).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


class IssuedDocument(db.Model):
    """One printed document. Holds no personal data: the public page shows every column but the user."""

    __tablename__ = "issued_document"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    document_kind: Mapped[str] = mapped_column(String(40), index=True)
    # e.g. «9А, 2025/2026» or an act's number; never a name
    title: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(60))
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column()
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    annulled: Mapped[bool] = mapped_column(Boolean, default=False)
    annul_reason: Mapped[str | None] = mapped_column(String(300))
    annulled_at: Mapped[datetime | None] = mapped_column(DateTime)
    user = relationship("User")

    @property
    def kind_label(self):
        return PRINT_KINDS.get(self.document_kind, "документ")

    @property
    def grouped_code(self):
        return format_code(self.code)

    def __str__(self):
        return f"{self.kind_label} {format_code(self.code)}"


def format_code(code):
    """«7KQ2M-XR4TZ»: two groups of five are easier to read off paper."""
    return f"{code[:5]}-{code[5:]}" if code and len(code) == CODE_LENGTH else (code or "")


def normalize_code(text):
    """What a person typed -> the stored code, or None. Case, spaces, dashes and look-alike letters are forgiven."""
    cleaned = (text or "").upper().replace("-", "").replace(" ", "").strip()
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def new_code(session):
    while True:  # 32^10 codes: a clash is practically impossible, yet cheap to rule out
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(IssuedDocument.id).where(IssuedDocument.code == code)) is None:
            return code


def register_document(session, *, document_kind, issued_on, user_id=None, title=None, number=None):
    """Add a register entry in the caller's transaction; the PDF's hash is set once it is rendered."""
    record = IssuedDocument(code=new_code(session), document_kind=document_kind, issued_on=issued_on,
                            user_id=user_id, title=(title or None) and title[:200],
                            number=(str(number) if number not in (None, "") else None))
    session.add(record)
    session.flush()
    # Disclosures recorded after the print in this transaction point at it (see below).
    session.info["printed_document"] = record
    return record


def finish_document(record, pdf_bytes, pages=None, signed=False):
    record.sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    record.pages = pages
    record.signed = signed
    # A disclosure recorded before the print (the progress report checks its recipient first) gets it now.
    session = Session.object_session(record)
    for entry in (session.info.get("disclosures_pending", ()) if session is not None else ()):
        if entry.document_id is None:
            entry.document_id = record.id


def find_document(session, text):
    code = normalize_code(text)
    if code is None:
        return None
    return session.scalar(select(IssuedDocument).where(IssuedDocument.code == code))


def annul_errors(record, annulled, reason):
    errors = {}
    if record is not None and record.annulled and not annulled:
        errors["annulled"] = "Аннулированный документ не восстанавливается: напечатайте новый."
    if annulled and not (reason or "").strip():
        errors["annul_reason"] = "Укажите причину аннулирования."
    return errors


@event.listens_for(Session, "before_flush")
def _link_disclosures(session, flush_context, instances):
    """The disclosure register names the printed document (its code and the PDF's SHA-256) it released."""
    from .disclosure import PdDisclosure

    record = session.info.get("printed_document")
    pending = session.info.setdefault("disclosures_pending", set())
    for obj in session.new:
        if isinstance(obj, PdDisclosure) and obj.document_id is None:
            if record is not None and record.id is not None:
                obj.document_id = record.id
            else:
                pending.add(obj)


@event.listens_for(Session, "after_transaction_end")
def _forget_print(session, transaction):
    if transaction.parent is None:
        session.info.pop("printed_document", None)
        session.info.pop("disclosures_pending", None)


# --- the verification page's rate limit, counted in the database --------------------------------------------

class RateLimitHit(db.Model):
    """Look-ups of one address in one time window. Counted in the database, not in the process: with
    `gunicorn -w 4` a per-process counter let four times the limit through."""

    __tablename__ = "rate_limit_hit"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)  # seconds since the epoch
    hits: Mapped[int] = mapped_column(Integer, default=0)


_LIMIT_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_limits(text):
    """[(count, window seconds)] from «30 per minute;300 per day» (Flask-Limiter's notation, kept in settings)."""
    limits = []
    for part in (text or "").replace(",", ";").split(";"):
        words = part.split()
        if len(words) == 3 and words[0].isdigit() and words[1] == "per" and words[2].rstrip("s") in _LIMIT_UNITS:
            limits.append((int(words[0]), _LIMIT_UNITS[words[2].rstrip("s")]))
        elif part.strip():
            raise ValueError(f"Ограничение частоты «{part.strip()}» не распознано: пишите «30 per minute».")
    return limits


def count_hit(connection, *, address, limits, now):
    """Count one look-up from `address` in each window of `limits` (fixed windows); return True when every limit
    still holds. One atomic upsert per window, in the caller's connection, committed by it: every process and
    every request counts in the same row."""
    allowed = True
    table = RateLimitHit.__table__
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for count, seconds in limits:
        start = int(now) - int(now) % seconds
        key = f"verify:{address}:{seconds}"
        statement = insert(table).values(key=key, window_start=start, hits=1)
        statement = statement.on_conflict_do_update(index_elements=[table.c.key, table.c.window_start],
                                                    set_={"hits": table.c.hits + 1}).returning(table.c.hits)
        hits = connection.execute(statement).scalar_one()
        if hits == 1:  # a new window: the address's older windows are of no use any more
            connection.execute(table.delete().where(table.c.key == key, table.c.window_start < start))
            if seconds == max(s for _, s in limits):  # nor anybody's windows that ended long ago
                connection.execute(table.delete().where(table.c.window_start < start - 2 * seconds))
        if hits > count:
            allowed = False
    return allowed

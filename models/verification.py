"""The register of printed documents: each print gets a short code that a public page checks (valid or annulled)."""
import hashlib
import secrets
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, event, select
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

"""The register of personal-data disclosures (003 §7.5.4): every printed or handed-over document about a person."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db
from .users import utcnow

DOCUMENT_KINDS = {
    "progress_report": "справка об успеваемости",
    "study_certificate": "справка об обучении",
    "personal_file": "личное дело",
    "register_export": "выгрузка списка реестра",
    "certificate_book": "страницы книги выдачи аттестатов",
    "certificate_appendix": "приложение к аттестату (для сверки)",
    "certificate_receipt": "расписка в получении аттестата",
    "handover": "передача носителя при выбытии",
    "other": "иной документ",
}


class DisclosureError(ValueError):
    """A disclosure that must not be recorded; the message is Russian and shown to the user."""


class PdDisclosure(db.Model):
    __tablename__ = "pd_disclosure"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    document_kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(String(500))
    # The printed document released (its code and the PDF's SHA-256), when the release was a print of the panel.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("issued_document.id"), index=True)
    user = relationship("User")
    document = relationship("IssuedDocument")
    student = relationship("Student")

    def __str__(self):
        return f"{DOCUMENT_KINDS.get(self.document_kind, self.document_kind)}: {self.recipient}"


def disclosure_errors(*, document_kind, recipient, purpose):
    """Return {field: Russian message} for a disclosure that cannot be recorded."""
    errors = {}
    if document_kind not in DOCUMENT_KINDS:
        errors["document_kind"] = "Неизвестный вид документа."
    if not (recipient or "").strip():
        errors["recipient"] = "Укажите, кому выдаётся документ (ФИО законного представителя или организация)."
    if not (purpose or "").strip():
        errors["purpose"] = "Укажите цель выдачи (например, «по месту требования»)."
    return errors


def record_disclosure(session, *, user_id, document_kind, description, recipient, purpose, student_id=None,
                      flush=True):
    """Add one register entry in the caller's transaction; raise DisclosureError when a field is missing.

    `flush=False` lets a caller recording a whole class flush once instead of once per student."""
    errors = disclosure_errors(document_kind=document_kind, recipient=recipient, purpose=purpose)
    if errors:
        raise DisclosureError(" ".join(errors.values()))
    entry = PdDisclosure(user_id=user_id, document_kind=document_kind, description=description.strip()[:500],
                         student_id=student_id, recipient=recipient.strip()[:300], purpose=purpose.strip()[:500])
    session.add(entry)
    if flush:
        session.flush()
    return entry

"""The register of personal-data disclosures (003 §7.5.4): every printed or handed-over document about a person."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .carriers import NeverDeleted
from .db import db
from .users import utcnow
from .errors import DomainError

DOCUMENT_KINDS = {
    "progress_report": "справка об успеваемости",
    "study_certificate": "справка об обучении",
    "personal_file": "личное дело",
    "register_export": "выгрузка списка реестра",
    "certificate_book": "страницы книги выдачи аттестатов",
    "certificate_appendix": "приложение к аттестату (для сверки)",
    "certificate_receipt": "расписка в получении аттестата",
    "frdo_export": "выгрузка в ФИС ФРДО",
    "medal_book": "страницы книги учёта выдачи медалей",
    "handover": "передача носителя при выбытии",
    "audit_export": "выгрузка журнала аудита",
    "backup": "резервная копия базы данных (скачивание)",
    "request_answer": "ответ на запрос (полиция, органы опеки и соцзащиты, принимающая школа)",
    "other": "иной документ",
}
# How the data left (recorded for manual entries; the panel's own releases are «выгрузка из панели»).
CHANNELS = {"panel": "выгрузка или печать из панели", "in_person": "лично под подпись", "post": "почтой",
            "email": "электронной почтой", "interagency": "межведомственный запрос (СМЭВ)", "other": "иное"}


class DisclosureError(DomainError):
    """A disclosure that must not be recorded; the message is Russian and shown to the user."""


class PdDisclosure(NeverDeleted, db.Model):
    __tablename__ = "pd_disclosure"
    deletion_message = "Запись журнала передачи персональных данных не удаляется."
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    document_kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(String(500))
    # The legal basis of the release (a law's article, the request's number, consent) and its channel.
    legal_basis: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str | None] = mapped_column(String(20))
    # The printed document released (its code and the PDF's SHA-256), when the release was a print of the panel.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("issued_document.id"), index=True)
    user = relationship("User")
    document = relationship("IssuedDocument")
    student = relationship("Student")

    def __str__(self):
        return f"{DOCUMENT_KINDS.get(self.document_kind, self.document_kind)}: {self.recipient}"


def disclosure_errors(*, document_kind, recipient, purpose, legal_basis=None, channel=None, manual=False):
    """Return {field: Russian message} for a disclosure that cannot be recorded."""
    errors = {}
    if manual:
        # A release outside the panel is recorded by hand: with its basis and channel (003 §7.5.4).
        if not (legal_basis or "").strip():
            errors["legal_basis"] = ("Укажите правовое основание передачи (например, «запрос ОМВД № 12/345 от "
                                     "01.12.2026, ст. 13 Закона о полиции» или «согласие законного представителя»).")
        if channel not in CHANNELS:
            errors["channel"] = "Укажите, каким способом переданы сведения."
    if document_kind not in DOCUMENT_KINDS:
        errors["document_kind"] = "Неизвестный вид документа."
    if not (recipient or "").strip():
        errors["recipient"] = "Укажите, кому выдаётся документ (ФИО законного представителя или организация)."
    if not (purpose or "").strip():
        errors["purpose"] = "Укажите цель выдачи (например, «по месту требования»)."
    return errors


def record_disclosure(session, *, user_id, document_kind, description, recipient, purpose, student_id=None,
                      flush=True, legal_basis=None, channel="panel"):
    """Add one register entry in the caller's transaction; raise DisclosureError when a field is missing.

    `flush=False` lets a caller recording a whole class flush once instead of once per student."""
    errors = disclosure_errors(document_kind=document_kind, recipient=recipient, purpose=purpose)
    if errors:
        raise DisclosureError(" ".join(errors.values()))
    entry = PdDisclosure(user_id=user_id, document_kind=document_kind, description=description.strip()[:500],
                         student_id=student_id, recipient=recipient.strip()[:300], purpose=purpose.strip()[:500],
                         legal_basis=(legal_basis or "").strip()[:300] or None, channel=channel)
    session.add(entry)
    if flush:
        session.flush()
    return entry


def _ranges(numbers):
    """«1–40, 43, 45–47» from registration numbers."""
    numbers = sorted(set(numbers))
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(f"{start}–{n}" if n > start else f"{n}")
            start = None
    return ", ".join(parts)


def list_disclosure(*, document_kind, what, people, recipient, purpose):
    """The fields of one register entry for one print naming many people (a book's pages): whose data it holds is
    said by the count, the registration numbers in the book and the names, as many as the line holds. A line per
    person made a 200-entry book's print write 200 rows. `people` is [(student_id, full name, registration number)]."""
    people = list(people)
    head = f"{what}: {len(people)} чел., рег. № {_ranges(n for _, _, n in people)}"
    names, shown = [], 0
    for _, name, _ in people:
        rest = len(people) - shown - 1
        tail = f" и ещё {rest}" if rest else ""
        if len(head) + len("; ") + len(", ".join(names + [name])) + len(tail) > 500:
            break
        names.append(name)
        shown += 1
    description = f"{head}; {', '.join(names)}" + (f" и ещё {len(people) - shown}" if shown < len(people) else "")
    return dict(document_kind=document_kind, description=description, recipient=recipient, purpose=purpose,
                student_id=people[0][0] if len(people) == 1 else None)


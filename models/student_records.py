"""Everything the school holds on one pupil, for the pupil's card: carriers, issued documents, acts."""
from sqlalchemy import func, select

from .carriers import Carrier
from .disclosure import PdDisclosure
from .issuance import ENTRY_KINDS, CertificateBookEntry
from .leaving import HandoverAct
from .retention import DestructionAct, DestructionActLine, destruction_line_carrier


def student_records(session, student_id):
    """{carriers, entries, medals, handover_acts, destruction_acts, disclosures} of one pupil, newest last."""
    carriers = list(session.scalars(select(Carrier).where(Carrier.student_id == student_id)
                                    .order_by(Carrier.type, Carrier.id)))
    entries = list(session.scalars(select(CertificateBookEntry).where(CertificateBookEntry.student_id == student_id)
                                   .order_by(CertificateBookEntry.issued_on, CertificateBookEntry.id)))
    handover = list(session.scalars(select(HandoverAct).where(HandoverAct.student_id == student_id)
                                    .order_by(HandoverAct.act_date, HandoverAct.id)))
    acts = list(session.scalars(
        select(DestructionAct).where(DestructionAct.id.in_(
            select(DestructionActLine.act_id)
            .join(destruction_line_carrier, destruction_line_carrier.c.line_id == DestructionActLine.id)
            .join(Carrier, Carrier.id == destruction_line_carrier.c.carrier_id)
            .where(Carrier.student_id == student_id))).order_by(DestructionAct.act_date, DestructionAct.id)))
    from .attestation import MEDAL_DEGREES, MedalEntry

    medals = list(session.scalars(select(MedalEntry).where(MedalEntry.student_id == student_id)
                                  .order_by(MedalEntry.awarded_on, MedalEntry.id)))
    disclosures = session.scalar(select(func.count(PdDisclosure.id)).where(PdDisclosure.student_id == student_id))
    return {"carriers": carriers, "entries": entries, "handover_acts": handover, "destruction_acts": acts,
            "disclosures": disclosures or 0, "entry_kinds": ENTRY_KINDS, "medals": medals,
            "medal_degrees": MEDAL_DEGREES}

"""The e-journal archive as a control: for each year (and term) × class, is there a complete copy and a printout."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .carriers import Carrier, CarrierKind, add_years
from .people import AcademicYear, School, SchoolClass, Term
from .registers import ClassRecord, CopyMedium, EjournalCopy, copy_completeness

COPY_PERIODS = {"term": "каждую четверть (полугодие) и по итогам года", "year": "по итогам учебного года"}
COPY_STATES = {
    "ok": "есть: два носителя в двух местах, контрольные суммы сверены",
    "unverified": "контрольные суммы ещё не сверены (flask verify-copies)",
    "unreachable": "файл копии недоступен при проверке",
    "mismatch": "контрольная сумма не совпадает",
    "few_media": "меньше двух носителей в двух местах с контрольной суммой",
    "missing": "копии нет",
    "not_due": "срок ещё не наступил",
}
# The best copy of a slot decides its state: one good copy is enough, whatever else is registered.
_RANK = ("ok", "unverified", "unreachable", "mismatch", "few_media")
PRINTOUT_STATES = {"ok": "зарегистрирована", "missing": "не зарегистрирована", "not_due": "срок ещё не наступил",
                   "none": "не требуется"}
# Carriers that count as the certified printout of a class's year.
PRINTOUT_KINDS = ("class_journal_print", "final_mark_pages")
GAP_STATES = {"missing", "few_media", "mismatch", "unreachable", "unverified"}


@dataclass
class Slot:
    school_class: SchoolClass
    term: Term | None  # None: the year's copy
    ends_on: date
    due: bool
    copies: list = field(default_factory=list)
    copy_state: str = "missing"
    printout: ClassRecord | None = None
    printout_state: str = "none"

    @property
    def period(self):
        return str(self.term.number) + (" четверть" if self.term.kind == "quarter" else " полугодие") \
            if self.term else "учебный год"

    @property
    def copy_label(self):
        return COPY_STATES[self.copy_state]

    @property
    def printout_label(self):
        return PRINTOUT_STATES[self.printout_state]

    @property
    def has_gap(self):
        return self.due and (self.copy_state in GAP_STATES or self.printout_state == "missing")


def copy_state(copy):
    """The state of one copy: complete and verified on two media in two places, or what is wrong with it."""
    if not copy_completeness(copy):
        return "few_media"
    good = [m for m in copy.media if m.location and m.sha256 and m.verify_result == "ok"]
    if len({m.location.strip().lower() for m in good}) >= 2:
        return "ok"
    results = {m.verify_result for m in copy.media}
    for state in ("mismatch", "unreachable"):
        if state in results:
            return state
    return "unverified"


def copy_period(session):
    school = session.scalar(select(School).order_by(School.id))
    return (school.ejournal_copy_period if school and school.ejournal_copy_period in COPY_PERIODS else "term")


def _class_terms(school_class, terms):
    """The terms a class is archived by: a year with both quarters and half-years gives half-years to the senior
    grades (10–11, as schools mark them) and quarters to the others."""
    kinds = {t.kind for t in terms}
    if len(kinds) <= 1:
        return terms
    kind = "half" if school_class.grade >= 10 else "quarter"
    return [t for t in terms if t.kind == kind]


def archive_slots(session, year, today, period=None):
    """[Slot] for every class of the year: the year's copy and printout, and each term's copy when archived by term.

    Reads the year's copies and printouts in two queries, whatever the number of classes."""
    period = period or copy_period(session)
    classes = list(session.scalars(select(SchoolClass).where(SchoolClass.academic_year_id == year.id)
                                   .order_by(SchoolClass.grade, SchoolClass.letter)))
    terms = list(session.scalars(select(Term).where(Term.academic_year_id == year.id)
                                 .order_by(Term.kind.desc(), Term.number))) if period == "term" else []
    copies = {}
    for copy in session.scalars(select(EjournalCopy).where(EjournalCopy.academic_year_id == year.id,
                                                           EjournalCopy.status != "destroyed",
                                                           EjournalCopy.annulled.is_(False))
                                .options(selectinload(EjournalCopy.media))):
        copies.setdefault((copy.school_class_id, copy.term_id), []).append(copy)
    printout_kinds = select(CarrierKind.id).where(CarrierKind.code.in_(PRINTOUT_KINDS))
    printouts = {}
    for record in session.scalars(select(ClassRecord).where(ClassRecord.academic_year_id == year.id,
                                                            ClassRecord.kind_id.in_(printout_kinds),
                                                            ClassRecord.status != "destroyed",
                                                            ClassRecord.annulled.is_(False))
                                  .order_by(ClassRecord.id)):
        printouts.setdefault(record.school_class_id, record)
    slots = []
    for school_class in classes:
        for term in [*_class_terms(school_class, terms), None]:
            ends_on = term.ends_on if term else year.ends_on
            slot = Slot(school_class=school_class, term=term, ends_on=ends_on, due=ends_on < today,
                        copies=copies.get((school_class.id, term.id if term else None), []))
            states = [copy_state(c) for c in slot.copies]
            slot.copy_state = next((s for s in _RANK if s in states), "missing") if states else "missing"
            if slot.copy_state != "ok" and not slot.due:
                slot.copy_state = "not_due"
            if term is None:
                slot.printout = printouts.get(school_class.id)
                slot.printout_state = "ok" if slot.printout else ("missing" if slot.due else "not_due")
            slots.append(slot)
    return slots


def years_to_check(session, today):
    """Years whose copies must still be kept: those ended within the e-journal copy's retention, and the current."""
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "ejournal_copy"))
    query = select(AcademicYear).where(AcademicYear.starts_on <= today).order_by(AcademicYear.starts_on.desc())
    if kind is not None and kind.retention_years:
        query = query.where(AcademicYear.ends_on >= add_years(today, -kind.retention_years))
    return list(session.scalars(query))


def archive_gaps(session, today):
    """(copy gaps, printout gaps) over the years still kept: the count shown on the home page.

    The same verdict as archive_slots' `due` slots, read as plain columns in a fixed number of queries for all
    years at once (the ORM copies with their media took most of every deputy's home page)."""
    period = copy_period(session)
    years = {y.id: y for y in years_to_check(session, today)}
    if not years:
        return 0, 0
    classes = session.execute(select(SchoolClass.id, SchoolClass.academic_year_id, SchoolClass.grade)
                              .where(SchoolClass.academic_year_id.in_(years))).all()
    terms = {}
    if period == "term":
        for term in session.scalars(select(Term).where(Term.academic_year_id.in_(years))):
            terms.setdefault(term.academic_year_id, []).append(term)
    # A copy is good when its verified media with checksums lie in two places (copy_state's «ok»).
    places = {}
    for copy_year, class_id, term_id, copy_id, location in session.execute(
            select(EjournalCopy.academic_year_id, EjournalCopy.school_class_id, EjournalCopy.term_id,
                   CopyMedium.copy_id, CopyMedium.location)
            .join(CopyMedium, CopyMedium.copy_id == EjournalCopy.id)
            .where(EjournalCopy.academic_year_id.in_(years), EjournalCopy.status != "destroyed",
                   EjournalCopy.annulled.is_(False), CopyMedium.verify_result == "ok",
                   CopyMedium.location.is_not(None), CopyMedium.location != "",
                   CopyMedium.sha256.is_not(None), CopyMedium.sha256 != "")):
        places.setdefault((copy_year, class_id, term_id, copy_id), set()).add(location.strip().lower())
    good = {key[:3] for key, where in places.items() if len(where) >= 2}
    printout_kinds = select(CarrierKind.id).where(CarrierKind.code.in_(PRINTOUT_KINDS))
    # From the carrier table alone (a printout's columns are all there): joining class_record let PostgreSQL
    # scan every carrier.
    printed = set(session.execute(select(Carrier.academic_year_id, Carrier.school_class_id).where(
        Carrier.type == ClassRecord.__mapper__.polymorphic_identity, Carrier.academic_year_id.in_(years),
        Carrier.kind_id.in_(printout_kinds), Carrier.status != "destroyed", Carrier.annulled.is_(False))).all())
    copies = printouts = 0
    for class_id, year_id, grade in classes:
        year = years[year_id]
        year_terms = terms.get(year_id, [])
        kinds = {t.kind for t in year_terms}
        if len(kinds) > 1:
            kind = "half" if grade >= 10 else "quarter"
            year_terms = [t for t in year_terms if t.kind == kind]
        for term_id, ends_on in [*((t.id, t.ends_on) for t in year_terms), (None, year.ends_on)]:
            if ends_on < today and (year_id, class_id, term_id) not in good:
                copies += 1
        if year.ends_on < today and (year_id, class_id) not in printed:
            printouts += 1
    return copies, printouts


def archive_notices(session, user_roles, today, url_for):
    """[(text, count, url)] for the home page of those the matrix tells about the archive's gaps."""
    from .roles import role_can

    if not any(role_can(role, "archive_notices", "view") for role in user_roles):
        return []
    copies, printouts = archive_gaps(session, today)
    notices = []
    if copies:
        notices.append(("Классы и периоды без полной проверенной копии электронного журнала", copies,
                        url_for("ejournal_archive")))
    if printouts:
        notices.append(("Классы без зарегистрированной распечатки электронного журнала за год", printouts,
                        url_for("ejournal_archive")))
    return notices

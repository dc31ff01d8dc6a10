"""Seed data for tests: one record of every model, so every register has something to open and delete."""
from datetime import date

from sqlalchemy import select

from models import (AcademicYear, Guardian, Order, School, SchoolClass, Student, Subject, Term, User, db)
from models.people import current_year

from conftest import PASSWORD


def user(login, roles, full_name=None, active=True, password=PASSWORD):
    found = db.session.scalar(select(User).where(User.login == login))
    if found is not None:
        return found
    record = User(login=login, full_name=full_name or f"Тестовый {login}", active=active)
    record.roles = roles if isinstance(roles, (list, tuple)) else [roles]
    record.set_password(password)
    db.session.add(record)
    db.session.flush()
    return record


def school_class(grade=5, letter="А", teacher=None, year=None):
    record = SchoolClass(academic_year=year or current_year(db.session), grade=grade, letter=letter,
                         class_teacher=teacher)
    db.session.add(record)
    db.session.flush()
    return record


def student(last_name="Иванов", first_name="Пётр", klass=None, birth_date=date(2014, 3, 5), **extra):
    record = Student(last_name=last_name, first_name=first_name, middle_name=extra.pop("middle_name", "Сергеевич"),
                     birth_date=birth_date, sex=extra.pop("sex", "male"), school_class=klass,
                     status="studying", **extra)
    db.session.add(record)
    db.session.flush()
    return record


def guardian(last_name="Иванова", first_name="Анна", students=()):
    record = Guardian(last_name=last_name, first_name=first_name, middle_name="Петровна", kind="mother",
                      phone="+7 900 000-00-00")
    record.students.extend(students)
    db.session.add(record)
    db.session.flush()
    return record


def other_year():
    """A past academic year that is not the current one."""
    current = current_year(db.session)
    start = current.starts_on.year - 1
    record = AcademicYear(name=f"{start}/{start + 1}", starts_on=date(start, 9, 1), ends_on=date(start + 1, 8, 31),
                          is_current=False)
    db.session.add(record)
    db.session.flush()
    return record


def seed_everything(teacher=None):
    """One record of every model the panel shows, the class taught by `teacher` if given.

    A register whose model gets no record here fails the access test: extend SEEDERS for a new model.
    """
    created = {}
    for seeder in SEEDERS:
        created.update(seeder(teacher) or {})
    db.session.commit()
    return created


def _people(teacher):
    year = current_year(db.session)
    klass = school_class(teacher=teacher, year=year)
    pupil = student(klass=klass)
    return {SchoolClass: klass, Student: pupil, Guardian: guardian(students=[pupil])}


def _calendar(teacher):
    year = current_year(db.session)
    term = Term(academic_year=year, kind="quarter", number=1, starts_on=year.starts_on,
                ends_on=year.starts_on.replace(month=10, day=26))
    subject = Subject(name="Математика", position=1)
    order = Order(number="1-о", issued_on=year.starts_on, kind="enrolment", title="О зачислении")
    db.session.add_all([term, subject, order])
    db.session.flush()
    return {Term: term, Subject: subject, Order: order, School: db.session.scalar(select(School))}


def _staff(teacher):
    return {User: user("staff_member", ["officer"], full_name="Сотрудникова Мария Ивановна")}


# Other developers append their seeders here: each takes the class teacher (or None) and returns {Model: record}.
SEEDERS = [_people, _calendar, _staff]


def _disclosure(teacher):
    from models.disclosure import record_disclosure

    pupil = db.session.scalar(select(Student))
    entry = record_disclosure(db.session, user_id=None, document_kind="progress_report",
                              description="Справка об успеваемости", student_id=pupil.id if pupil else None,
                              recipient="Иванова Мария Петровна (мать)", purpose="по месту требования")
    from models.disclosure import PdDisclosure

    return {PdDisclosure: entry}


SEEDERS.append(_disclosure)


def _issuance(teacher):
    from datetime import timedelta

    from models import CarrierKind, RegisterBook
    from models.issuance import BlankReceipt, CertificateBookEntry

    year = current_year(db.session)
    kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "certificate_book"))
    book = RegisterBook(kind_id=kind.id, number="Ф-1", level="basic", created_on=year.starts_on)
    receipt = BlankReceipt(blank_kind="certificate", level="basic", series="", number_from="03224000000001",
                           number_to="03224000000010", received_on=year.starts_on, received_from="РУО")
    pupil = student(last_name="Выпускникова", first_name="Дарья", klass=None)
    db.session.add_all([book, receipt])
    db.session.flush()
    entry = CertificateBookEntry(book_id=book.id, reg_number=1, level="basic", student_id=pupil.id,
                                 last_name=pupil.last_name, first_name=pupil.first_name, birth_date=pupil.birth_date,
                                 blank_number="03224000000001", issued_on=year.starts_on + timedelta(days=1))
    db.session.add(entry)
    db.session.flush()
    return {BlankReceipt: receipt, CertificateBookEntry: entry}


SEEDERS.append(_issuance)


def _handover_act(teacher):
    from models.leaving import HandoverAct, leave_school

    year = current_year(db.session)
    pupil = student(last_name="Выбывшая", first_name="Ольга", klass=None)
    act = leave_school(db.session, pupil.id, reason="expulsion", left_on=year.starts_on, order_number="2-у",
                       order_date=year.starts_on)
    return {HandoverAct: act}


SEEDERS.append(_handover_act)


def filter_arg(app, endpoint, name, operation):
    """The URL argument of a list filter, e.g. filter_arg(app, "student", "Класс", "равно") -> "flt0_3"."""
    view = next(v for v in app.extensions["panel_admin"]._views if v.endpoint == endpoint)
    with app.test_request_context():
        for index, flt in enumerate(view._filters):
            if str(flt.name) == name and str(flt.operation()) == operation:
                return f"flt0_{view.get_filter_arg(index, flt)}"
    raise LookupError(f"{endpoint}: нет фильтра «{name}» / «{operation}»")


def _destruction_act(teacher):
    from datetime import date

    from models import CarrierKind, EjournalCopy
    from models.retention import draft_act

    kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "ejournal_copy"))
    copy = EjournalCopy(kind_id=kind.id, title="Копия для акта", created_on=date(2001, 6, 1))
    db.session.add(copy)
    db.session.flush()
    drafter = user("act_drafter", ["deputy"], full_name="Составителева Вера Павловна")
    act = draft_act(db.session, carrier_ids=[copy.id], user=drafter, act_date=date(2010, 3, 1))
    from models.retention import DestructionAct

    return {DestructionAct: act}


SEEDERS.append(_destruction_act)


def _carriers(teacher):
    """One carrier of every register, belonging to the seeded student of `teacher`'s class."""
    from datetime import date

    from models import (CarrierKind, ClassRecord, CopyMedium, CustodyMovement, EjournalCopy, ExamProtocol,
                        PaperJournal, PersonalFile, Portfolio, PortfolioItem, StoredCertificate)

    def kind(code):
        return db.session.scalar(select(CarrierKind).where(CarrierKind.code == code))

    year = current_year(db.session)
    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.class_teacher_id == teacher.id)) \
        if teacher is not None else db.session.scalar(select(SchoolClass))
    pupil = db.session.scalar(select(Student).where(Student.school_class_id == klass.id)) if klass else None
    file = PersonalFile(kind=kind("personal_file"), number="И-1", student=pupil, school_class=klass,
                        created_on=year.starts_on, location="Приёмная")
    stored = StoredCertificate(kind=kind("stored_certificate"), series_number="03224000099999", student=pupil,
                               created_on=year.starts_on, location="Сейф 1")
    gia = ExamProtocol(kind=kind("gia_protocol"), exam="oge", event_on=date(2025, 6, 3), academic_year=year)
    essay = ExamProtocol(kind=kind("final_essay_protocol"), event_on=date(2025, 12, 3), academic_year=year)
    journal = PaperJournal(kind=kind("paper_journal"), journal_kind="club", title="Кружок «Робототехника»",
                           academic_year=year)
    sheet = ClassRecord(kind=kind("summary_sheet"), school_class=klass, academic_year=year)
    portfolio = Portfolio(kind=kind("portfolio"), student=pupil, school_class=klass, created_on=year.starts_on)
    item = PortfolioItem(portfolio=portfolio, item_kind="gto", title="Знак ГТО", level="federal", result="winner")
    copy = EjournalCopy(kind=kind("ejournal_copy"), school_class=klass, academic_year=year,
                        created_on=year.starts_on, media=[CopyMedium(location="Сейф 1"), CopyMedium(location="Сейф 2")])
    db.session.add_all([file, stored, gia, essay, journal, sheet, portfolio, item, copy])
    db.session.flush()
    movement = db.session.scalar(select(CustodyMovement).where(CustodyMovement.carrier_id == file.id))
    return {PersonalFile: file, StoredCertificate: stored, ExamProtocol: gia, PaperJournal: journal,
            ClassRecord: sheet, Portfolio: portfolio, PortfolioItem: item, EjournalCopy: copy,
            CustodyMovement: movement}


SEEDERS.append(_carriers)


def _academic_debt(teacher):
    from models.year_end import AcademicDebt

    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.class_teacher_id == teacher.id)) \
        if teacher is not None else db.session.scalar(select(SchoolClass))
    pupil = db.session.scalar(select(Student).where(Student.school_class_id == klass.id))
    year = current_year(db.session)
    debt = AcademicDebt(student_id=pupil.id, academic_year_id=year.id,
                        subject_id=db.session.scalar(select(Subject.id)), origin="not_attested",
                        arisen_on=year.ends_on)
    db.session.add(debt)
    db.session.flush()
    return {AcademicDebt: debt}


SEEDERS.append(_academic_debt)
def _attestation(teacher):
    from models import CarrierKind, RegisterBook
    from models.attestation import AwardCriterion, CurriculumSubject, GiaMinimum, MedalEntry, seed_award_criteria

    year = current_year(db.session)
    subject = db.session.scalar(select(Subject).order_by(Subject.id)) or Subject(name="Русский язык", position=1)
    db.session.add(subject)
    db.session.flush()
    seed_award_criteria(db.session)
    plan = CurriculumSubject(level="basic", subject_id=subject.id, position=1, last_grade=9, gia_required=True)
    minimum = GiaMinimum(exam="oge", subject_id=None, scale="mark", minimum=3, source="Порядок ГИА-9")
    kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "medal_book"))
    book = RegisterBook(kind_id=kind.id, number="М-1", created_on=year.starts_on)
    pupil = student(last_name="Медалистова", first_name="Алина", klass=None)
    db.session.add_all([plan, minimum, book])
    db.session.flush()
    medal = MedalEntry(book_id=book.id, reg_number=1, degree=1, student_id=pupil.id, last_name=pupil.last_name,
                       first_name=pupil.first_name, birth_date=pupil.birth_date, awarded_on=year.starts_on)
    db.session.add(medal)
    db.session.flush()
    return {CurriculumSubject: plan, GiaMinimum: minimum, MedalEntry: medal,
            AwardCriterion: db.session.scalar(select(AwardCriterion).order_by(AwardCriterion.id))}


SEEDERS.append(_attestation)
def _printed(teacher):
    """A printed document of the verification register, and a check of the seeded e-journal copy's medium."""
    from datetime import datetime

    from models import CopyCheck, CopyMedium, IssuedDocument
    from models.verification import register_document

    document = register_document(db.session, document_kind="summary_sheet", issued_on=date(2026, 6, 1),
                                 title="5А, 2025/2026")
    medium = db.session.scalar(select(CopyMedium))
    check = CopyCheck(medium=medium, checked_at=datetime(2026, 6, 2, 10, 0), result="unreachable")
    db.session.add(check)
    db.session.flush()
    return {IssuedDocument: document, CopyCheck: check}


SEEDERS.append(_printed)
def _archive_backbone(teacher):
    """A line of the alphabetical book (written by the seeded pupil's admission) and an item of the nomenclature."""
    from models.admission_book import AdmissionBookEntry
    from models.nomenclature import NomenclatureItem

    line = db.session.scalar(select(AdmissionBookEntry).order_by(AdmissionBookEntry.id))
    item = db.session.scalar(select(NomenclatureItem).order_by(NomenclatureItem.index))
    return {AdmissionBookEntry: line, NomenclatureItem: item}


SEEDERS.append(_archive_backbone)

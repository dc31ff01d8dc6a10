"""Seed data for the leaving tests: a student with guardians and the carriers a school holds for them."""
from datetime import date

from sqlalchemy import select

from models import CarrierKind, ExamProtocol, PersonalFile, Portfolio, StoredCertificate, db
from models.carriers import Carrier, act_workflow

import factories

ENROLLED = date(2020, 9, 1)


def kind(code):
    return db.session.scalar(select(CarrierKind).where(CarrierKind.code == code))


def pupil_with_carriers(last_name="Ёлкина", first_name="Анастасия", grade=9, letter="А", klass=None,
                        birth_date=date(2011, 4, 12), number=1, guardian_document="паспорт 4510 123456",
                        certificate=True):
    """A studying pupil, one guardian (with a document on file unless None) and four live carriers,
    plus a destroyed and an annulled one the school no longer holds."""
    klass = klass or factories.school_class(grade=grade, letter=letter)
    pupil = factories.student(last_name=last_name, first_name=first_name, middle_name="Сергеевна", klass=klass,
                              birth_date=birth_date, sex="female", enrolled_on=ENROLLED)
    mother = factories.guardian(last_name=f"{last_name[:-1]}а" if last_name.endswith("а") else f"{last_name}а",
                                first_name="Мария", students=[pupil])
    mother.identity_document = guardian_document
    carriers = {
        "file": PersonalFile(kind_id=kind("personal_file").id, number=f"{last_name[0]}-{number}",
                             student_id=pupil.id, created_on=ENROLLED, location="приёмная, шкаф 2"),
        "portfolio": Portfolio(kind_id=kind("portfolio").id, number=f"П-{number}", student_id=pupil.id,
                               created_on=ENROLLED, location="кабинет классного руководителя"),
        "gia": ExamProtocol(kind_id=kind("gia_protocol").id, number=f"ОГЭ-{number}", student_id=pupil.id,
                            exam="ОГЭ", created_on=date(2025, 5, 20), event_on=date(2025, 5, 20),
                            location="кабинет заместителя"),
    }
    if certificate:
        carriers["certificate"] = StoredCertificate(
            kind_id=kind("stored_certificate").id, number=f"ХР-{number}", series_number=f"0322400001234{number % 10}",
            student_id=pupil.id, created_on=ENROLLED, location="сейф")
    gone = [
        PersonalFile(kind_id=kind("personal_file").id, number=f"{last_name[0]}-9{number}", student_id=pupil.id,
                     status="destroyed", created_on=date(2015, 9, 1)),
        Portfolio(kind_id=kind("portfolio").id, number=f"П-9{number}", student_id=pupil.id, annulled=True,
                  annul_reason="ошибка ввода", created_on=ENROLLED),
    ]
    db.session.add_all(list(carriers.values()))
    db.session.flush()
    # The seed stands in for an approved act: outside such a workflow «уничтожен» is refused.
    with act_workflow(db.session):
        db.session.add_all(gone)
        db.session.flush()
    return pupil, mother, carriers


def carrier(carrier_id):
    return db.session.get(Carrier, carrier_id)

"""Seed data for the issuance tests: a graduating class with personal files, books and blanks received."""
from datetime import date

from sqlalchemy import select

from models import CarrierKind, PersonalFile, RegisterBook, Student, Subject, db
from models.issuance import BlankReceipt
from models.people import current_year
from models.registers import AnnualMark

import factories

CERT_FROM, CERT_TO = "03224000000001", "03224000000040"
APP_FROM, APP_TO = "03225000000001", "03225000000040"

PUPILS = (
    ("Ёлкина", "Анастасия", "Сергеевна", date(2010, 4, 12), {"Русский язык": "5", "Математика": "5", "История": "5"}),
    ("Иванов", "Пётр", "Сергеевич", date(2010, 3, 5), {"Русский язык": "4", "Математика": "5", "История": "3"}),
    ("Щукин", "Данияр", None, date(2009, 12, 30), {"Русский язык": "3", "Математика": "4", "История": "4"}),
)


def kind(code):
    return db.session.scalar(select(CarrierKind).where(CarrierKind.code == code))


def book(level="basic", number="1", code="certificate_book"):
    record = RegisterBook(kind_id=kind(code).id, number=number, title=f"Книга {number}", level=level,
                          created_on=date(2020, 9, 1))
    db.session.add(record)
    db.session.flush()
    return record


def subjects():
    found = {}
    for position, name in enumerate(("Русский язык", "Математика", "История"), 1):
        found[name] = db.session.scalar(select(Subject).where(Subject.name == name)) or Subject(
            name=name, position=position)
        db.session.add(found[name])
    db.session.flush()
    return found


def graduating_class(grade=9, letter="А", pupils=PUPILS, file_prefix=""):
    """A class with personal files holding this year's annual marks."""
    year = current_year(db.session)
    klass = factories.school_class(grade=grade, letter=letter, year=year)
    subject = subjects()
    students = []
    for index, (last, first, middle, born, marks) in enumerate(pupils, 1):
        pupil = Student(last_name=last, first_name=first, middle_name=middle, birth_date=born, sex="female",
                        school_class=klass, status="studying")
        db.session.add(pupil)
        db.session.flush()
        pfile = PersonalFile(kind_id=kind("personal_file").id, number=f"{last[0]}-{file_prefix}{grade}{letter}{index}",
                             student_id=pupil.id, created_on=date(2020, 9, 1))
        db.session.add(pfile)
        db.session.flush()
        for name, value in marks.items():
            db.session.add(AnnualMark(personal_file_id=pfile.id, academic_year_id=year.id,
                                      subject_id=subject[name].id, grade=grade, value=value))
        students.append(pupil)
    db.session.flush()
    return klass, students


def receipts(level="basic"):
    for blank_kind, low, high in (("certificate", CERT_FROM, CERT_TO), ("appendix", APP_FROM, APP_TO)):
        db.session.add(BlankReceipt(blank_kind=blank_kind, level=level, series="", number_from=low, number_to=high,
                                    received_on=date(2024, 5, 1), received_from="Управление образования"))
    db.session.flush()


def blank(n, prefix="03224"):
    return f"{prefix}{n:09d}"


def rows(klass, students, start=1, honours=()):
    """Form rows as the page would post them, marks taken from the personal files."""
    from models.issuance import prefill

    marks = prefill(db.session, klass)
    result = []
    for offset, pupil in enumerate(students):
        result.append({"student_id": pupil.id, "marks": dict(marks[pupil.id]), "honours": pupil.id in honours,
                       "blank_series": "", "blank_number": blank(start + offset),
                       "appendix_series": "", "appendix_number": blank(start + offset, "03225"),
                       "recipient": {"kind": "graduate"}})
    return result


def everything():
    """One class, a basic-level book, a study-certificate book and blanks: returns their ids."""
    klass, students = graduating_class()
    cert_book = book()
    study_book = book(level=None, number="С-1", code="study_certificate_book")
    receipts()
    db.session.commit()
    return {"class": klass.id, "students": [s.id for s in students], "book": cert_book.id,
            "study_book": study_book.id}

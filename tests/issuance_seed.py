"""Seed data for the issuance tests: a graduating class with personal files, books and blanks received."""
from datetime import date

from sqlalchemy import select

from models import AcademicYear, CarrierKind, PersonalFile, RegisterBook, Student, Subject, db
from models.attestation import CurriculumSubject, GiaMinimum
from models.issuance import BlankReceipt
from models.people import current_year
from models.registers import AnnualMark, ExamProtocol, ExamResult

import factories

CERT_FROM, CERT_TO = "03224000000001", "03224000000040"
APP_FROM, APP_TO = "03225000000001", "03225000000040"

SUBJECTS = ("Русский язык", "Математика", "История", "Биология", "Изобразительное искусство")
# (last, first, middle, born, 9th-grade annual marks, ОГЭ marks, ИЗО annual mark of the 7th grade)
PUPILS = (
    ("Ёлкина", "Анастасия", "Сергеевна", date(2010, 4, 12),
     {"Русский язык": "5", "Математика": "5", "История": "5", "Биология": "5"},
     {"Русский язык": "5", "Математика": "5", "История": "5", "Биология": "5"}, "5"),
    ("Иванов", "Пётр", "Сергеевич", date(2010, 3, 5),
     {"Русский язык": "4", "Математика": "5", "История": "3", "Биология": "4"},
     {"Русский язык": "5", "Математика": "4", "История": "4", "Биология": "3"}, "4"),
    ("Щукин", "Данияр", None, date(2009, 12, 30),
     {"Русский язык": "3", "Математика": "4", "История": "4", "Биология": "4"},
     {"Русский язык": "3", "Математика": "4", "История": "3", "Биология": "4"}, "3"),
)
# What № 546 п. 5.3 gives for them: mean of the year and the exam, x.5 up; ИЗО: the 7th grade's mark.
EXPECTED = {
    "Ёлкина": {"Русский язык": "5", "Математика": "5", "История": "5", "Биология": "5",
               "Изобразительное искусство": "5"},
    "Иванов": {"Русский язык": "5", "Математика": "5", "История": "4", "Биология": "4",
               "Изобразительное искусство": "4"},
    "Щукин": {"Русский язык": "3", "Математика": "4", "История": "4", "Биология": "4",
              "Изобразительное искусство": "3"},
}


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
    for position, name in enumerate(SUBJECTS, 1):
        found[name] = db.session.scalar(select(Subject).where(Subject.name == name)) or Subject(
            name=name, position=position)
        db.session.add(found[name])
    db.session.flush()
    return found


def curriculum(level="basic"):
    """The test curriculum: Russian and mathematics with compulsory ГИА, history, biology, ИЗО ending in 7th."""
    subject = subjects()
    last = 9 if level == "basic" else 11
    for position, name in enumerate(SUBJECTS, 1):
        if db.session.scalar(select(CurriculumSubject).where(CurriculumSubject.level == level,
                                                             CurriculumSubject.subject_id == subject[name].id)):
            continue
        ends = 7 if (name == "Изобразительное искусство" and level == "basic") else last
        if level == "secondary" and name == "Изобразительное искусство":
            continue
        db.session.add(CurriculumSubject(level=level, subject_id=subject[name].id, position=position, last_grade=ends,
                                         gia_required=name in ("Русский язык", "Математика")))
    for exam, scale, minimum, name in (("oge", "mark", 3, None), ("gve9", "mark", 3, None),
                                       ("ege_base", "mark", 3, None), ("ege", "score", 24, "Русский язык"),
                                       ("ege", "score", 27, "Математика"), ("ege", "score", 32, "История")):
        sid = subject[name].id if name else None
        if db.session.scalar(select(GiaMinimum).where(GiaMinimum.exam == exam, GiaMinimum.subject_id == sid)) is None:
            db.session.add(GiaMinimum(exam=exam, subject_id=sid, scale=scale, minimum=minimum))
    db.session.flush()
    return subject


def past_year(back):
    year = current_year(db.session)
    start = year.starts_on.year - back
    found = db.session.scalar(select(AcademicYear).where(AcademicYear.name == f"{start}/{start + 1}"))
    if found is None:
        found = AcademicYear(name=f"{start}/{start + 1}", starts_on=date(start, 9, 1), ends_on=date(start + 1, 8, 31),
                             is_current=False)
        db.session.add(found)
        db.session.flush()
    return found


def exam(exam_kind, subject, results, year=None, day=None, attempt="main"):
    """A ГИА protocol of the year with {student: mark or score}; `attempt`: which sitting the results are."""
    year = year or current_year(db.session)
    day = day or date(year.ends_on.year, 6, 1)
    protocol = ExamProtocol(kind_id=kind("gia_protocol").id, exam=exam_kind, subject_id=subject.id,
                            academic_year_id=year.id, event_on=day, created_on=day,
                            number=f"{exam_kind}-{subject.id}-{len(results)}-{id(results)}")
    db.session.add(protocol)
    db.session.flush()
    for pupil, value in results.items():
        db.session.add(ExamResult(protocol_id=protocol.id, student_id=pupil.id, mark=str(value), attempt=attempt))
    db.session.flush()
    return protocol


def personal_file(pupil, grade, letter, index, prefix=""):
    pfile = PersonalFile(kind_id=kind("personal_file").id, number=f"{pupil.last_name[0]}-{prefix}{grade}{letter}{index}",
                         student_id=pupil.id, created_on=date(2020, 9, 1))
    db.session.add(pfile)
    db.session.flush()
    return pfile


def graduating_class(grade=9, letter="А", pupils=PUPILS, file_prefix=""):
    """A 9th class: personal files with the 9th grade's annual marks and ИЗО of the 7th, and the ОГЭ results."""
    year = current_year(db.session)
    klass = factories.school_class(grade=grade, letter=letter, year=year)
    subject = curriculum()
    seventh = past_year(2)
    students, exams = [], {}
    for index, (last, first, middle, born, marks, exam_marks, izo) in enumerate(pupils, 1):
        pupil = Student(last_name=last, first_name=first, middle_name=middle, birth_date=born, sex="female",
                        school_class=klass, status="studying")
        db.session.add(pupil)
        db.session.flush()
        pfile = personal_file(pupil, grade, letter, index, file_prefix)
        for name, value in marks.items():
            db.session.add(AnnualMark(personal_file_id=pfile.id, academic_year_id=year.id,
                                      subject_id=subject[name].id, grade=grade, value=value))
        if izo is not None:
            db.session.add(AnnualMark(personal_file_id=pfile.id, academic_year_id=seventh.id,
                                      subject_id=subject["Изобразительное искусство"].id, grade=7, value=izo))
        for name, value in exam_marks.items():
            exams.setdefault(name, {})[pupil] = value
        students.append(pupil)
    for name, results in exams.items():
        exam("oge", subject[name], results)
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


def half_terms(year):
    from models import Term

    terms = {}
    for number, (start, end) in enumerate(((date(year.starts_on.year, 9, 1), date(year.starts_on.year, 12, 28)),
                                           (date(year.ends_on.year, 1, 9), date(year.ends_on.year, 5, 26))), 1):
        term = db.session.scalar(select(Term).where(Term.academic_year_id == year.id, Term.kind == "half",
                                                    Term.number == number))
        if term is None:
            term = Term(academic_year_id=year.id, kind="half", number=number, starts_on=start, ends_on=end)
            db.session.add(term)
            db.session.flush()
        terms[number] = term
    return terms


def secondary_class(pupils, letter="А"):
    """An 11th class: per pupil {subject: ((h1, h2, year) of 10th, (h1, h2, year) of 11th)} in the personal file
    (annual) and the e-journal (half-years), and the ЕГЭ results {(exam, subject): value}."""
    from models import Mark

    year, tenth_year = current_year(db.session), past_year(1)
    subject = curriculum("secondary")
    klass = factories.school_class(grade=11, letter=letter, year=year)
    tenth = factories.school_class(grade=10, letter=letter, year=tenth_year)
    exams = {}
    students = []
    for index, (last, first, marks, results) in enumerate(pupils, 1):
        pupil = Student(last_name=last, first_name=first, middle_name=None, birth_date=date(2008, 5, 5),
                        sex="male", school_class=klass, status="studying")
        db.session.add(pupil)
        db.session.flush()
        pfile = personal_file(pupil, 11, letter, index, "s")
        for name, years in marks.items():
            for grade, the_year, the_class, (h1, h2, annual) in ((10, tenth_year, tenth, years[0]),
                                                                 (11, year, klass, years[1])):
                db.session.add(AnnualMark(personal_file_id=pfile.id, academic_year_id=the_year.id,
                                          subject_id=subject[name].id, grade=grade, value=str(annual)))
                for number, value in ((1, h1), (2, h2)):
                    if value is None:
                        continue
                    term = half_terms(the_year)[number]
                    db.session.add(Mark(student_id=pupil.id, subject_id=subject[name].id,
                                        school_class_id=the_class.id, kind="term", marked_on=term.ends_on, slot=0,
                                        term_id=term.id, value=int(value)))
        for key, value in results.items():
            exams.setdefault(key, {})[pupil] = value
        students.append(pupil)
    for (exam_kind, name), results in exams.items():
        exam(exam_kind, subject[name], results)
    db.session.flush()
    return klass, students


def basic_attestat(pupil, values, book_id, number=1):
    """An ООО attestat registered earlier in the school's book (for the medal's condition on both attestats)."""
    from models.issuance import CertificateBookEntry, CertificateMark

    entry = CertificateBookEntry(book_id=book_id, reg_number=number, level="basic", student_id=pupil.id,
                                 last_name=pupil.last_name, first_name=pupil.first_name,
                                 birth_date=pupil.birth_date, blank_number=f"0322499{number:07d}",
                                 issued_on=date(2024, 6, 25))
    for position, value in enumerate(values):
        entry.marks.append(CertificateMark(subject_name=f"Предмет {position}", position=position, value=value))
    db.session.add(entry)
    db.session.flush()
    return entry

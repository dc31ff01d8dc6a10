"""A small school for the marks tests: one year with two quarters, classes 9А and 9Б, two subjects."""
import csv
import io
from datetime import date

from openpyxl import Workbook

from models import SchoolClass, Student, Subject, Term, User, db
from models.people import current_year


def school(teacher_login=None):
    """Create the school in the current year; return a dict of ids and the year's first calendar year."""
    teacher = db.session.query(User).filter_by(login=teacher_login).one() if teacher_login else None
    year = current_year(db.session)
    y0, y1 = year.starts_on.year, year.ends_on.year
    q1 = Term(academic_year=year, kind="quarter", number=1, starts_on=date(y0, 9, 1), ends_on=date(y0, 10, 26))
    q2 = Term(academic_year=year, kind="quarter", number=2, starts_on=date(y0, 11, 5), ends_on=date(y0, 12, 28))
    a = SchoolClass(academic_year=year, grade=9, letter="А", class_teacher=teacher)
    b = SchoolClass(academic_year=year, grade=9, letter="Б")
    algebra = Subject(name="Алгебра", short_name="Алг.", position=1)
    russian = Subject(name="Русский язык", position=2)
    people = [
        Student(last_name="Иванов", first_name="Иван", middle_name="Иванович", birth_date=date(y0 - 15, 3, 1),
                sex="male", school_class=a),
        Student(last_name="Петрова", first_name="Алёна", middle_name="Сергеевна", birth_date=date(y0 - 15, 5, 2),
                sex="female", school_class=a),
        Student(last_name="Сидоров", first_name="Пётр", birth_date=date(y0 - 15, 7, 3), sex="male", school_class=a),
        Student(last_name="Кузнецова", first_name="Мария", birth_date=date(y0 - 15, 8, 4), sex="female",
                school_class=b),
    ]
    db.session.add_all([q1, q2, a, b, algebra, russian, *people])
    db.session.commit()
    return {"year": year.id, "y0": y0, "y1": y1, "q1": q1.id, "q2": q2.id, "a": a.id, "b": b.id,
            "algebra": algebra.id, "russian": russian.id, "ivanov": people[0].id, "petrova": people[1].id,
            "sidorov": people[2].id, "kuznetsova": people[3].id}


def xlsx(sheets):
    """{sheet name: rows} -> XLSX bytes."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8-sig", delimiter=";"):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    return text.getvalue().encode(encoding)


FLAT_HEADER = ("Ученик", "Класс", "Предмет", "Дата", "Отметка")


def flat_rows(y0):
    return [
        ("Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид", "Период"),
        ("Иванов Иван Иванович", "9А", "Алгебра", f"02.09.{y0}", "5", "", ""),
        ("  иванов   иван ", "9 А", "алгебра", f"03.09.{y0}", "3/5", "текущая", ""),
        ("Петрова Алена Сергеевна", "9А", "Алгебра", f"02.09.{y0}", "н", "", ""),
        ("Петрова Алёна", "9а", "Русский язык", f"04.09.{y0}", "Б", "", ""),
        ("Сидоров Пётр", "9А", "Алгебра", "", "4", "четвертная", "1 четверть"),
    ]

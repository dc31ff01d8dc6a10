"""A large export (20,000 lines, the flat layout as a school fills it from the e-journal) checked and written through
the page exactly: every mark, its value, its day and its slot; the preview told how far reading got."""
import gc
import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

import marks_fixtures as fx
from models import db
from models.marks import Mark
from models.marks_import import PROGRESS_EVERY, collector_paused, prepare_import
from models.people import AcademicYear, SchoolClass, Student, Subject
from test_marks_import import confirm, upload

LINES = 20_000
SURNAMES = ["Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов", "Новиков",
            "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
            "Степанов", "Николаев"]
FIRST_NAMES = ["Артём", "Пётр", "Олег", "Денис"]
# Cells as a journal gives them: numbers, text, «3/5» (two marks), «5-», attendance codes, spaces.
CELLS = [5, "4", "3/5", "н", "5-", 4.0, "2", " 3 ", "оп", 5]


def _school():
    ids = fx.school()
    year = db.session.get(AcademicYear, ids["year"])
    classes = [db.session.get(SchoolClass, ids["a"]), db.session.get(SchoolClass, ids["b"])]
    history = Subject(name="История", position=3)
    pupils = [Student(last_name=last, first_name=first, middle_name="Сергеевич", birth_date=date(ids["y0"] - 15, 1, 1),
                      sex="male", school_class=school_class)
              for school_class in classes for last in SURNAMES for first in FIRST_NAMES[:3]]
    db.session.add_all([history, *pupils])
    db.session.commit()
    subjects = ["Алгебра", "Русский язык", "История"]
    return ids, year, [(p.id, p.school_class.name, p.last_name, p.first_name) for p in pupils], subjects


def _export(ids, pupils, subjects):
    """The XLSX and, independently of the importer, what it means: {(pupil, subject, day, slot): value or code}."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Отметки")
    sheet.append(["Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид"])
    expected = {}
    day, n = date(ids["y0"], 9, 1), 0
    while n < LINES:
        if day.weekday() < 5 and not date(ids["y0"], 10, 26) < day < date(ids["y0"], 11, 5):  # lessons, no holidays
            for pupil_id, class_name, last, first in pupils:
                for subject in subjects:
                    if n == LINES:
                        break
                    cell = CELLS[n % len(CELLS)]
                    # Names as typed in a journal: «е» for «ё» now and then, a trailing space, the patronymic at times.
                    name = f"{last.replace('ё', 'е') if n % 3 else last} {first}" + (" Сергеевич" if n % 2 else " ")
                    on = datetime(day.year, day.month, day.day) if n % 2 else day.strftime("%d.%m.%Y")
                    sheet.append([name, class_name, subject, on, cell, "текущая"])
                    parts = str(cell).strip().rstrip("-").split("/")
                    for slot, part in enumerate(parts):
                        value = int(float(part)) if part[0].isdigit() else part  # «н», «оп» are stored as written
                        expected[(pupil_id, subject, day, slot)] = value
                    n += 1
        day += timedelta(days=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), expected


def test_a_large_export_is_checked_and_written_exactly_through_the_page(app, login_as):
    panel = login_as("deputy")
    with app.app_context():
        ids, year, pupils, subjects = _school()
    data, expected = _export(ids, pupils, subjects)
    assert len(expected) > LINES  # «3/5» is two marks

    response = upload(panel, data, "Отметки 2 четверть.xlsx", ids)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, re.findall(r"<li>(.*?)</li>", page)[:5]
    assert f'data-testid="to-add">{len(expected)}<' in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Mark.id))) == 0  # nothing written before the confirmation

    done = confirm(panel, page)
    assert done.status_code == 302
    result = panel.get(done.headers["Location"]).get_data(as_text=True)
    assert f"добавлено отметок — {len(expected)}, изменено — 0, удалено — 0" in result
    assert gc.isenabled()  # paused only while the file was checked and written

    with app.app_context():
        names = {s.id: s.name for s in db.session.scalars(select(Subject))}
        written = {(m.student_id, names[m.subject_id], m.marked_on, m.slot):
                   m.value if m.value is not None else m.code
                   for m in db.session.execute(select(Mark.student_id, Mark.subject_id, Mark.marked_on, Mark.slot,
                                                      Mark.value, Mark.code))}
        assert written == expected
        # A sample read back as the analysis reads it: a «3/5» of one pupil is two marks of one day.
        first_pupil = pupils[0][0]
        first_day = date(ids["y0"], 9, 1)
        assert [(m.slot, m.value) for m in db.session.scalars(
            select(Mark).where(Mark.student_id == first_pupil, Mark.marked_on == first_day,
                               Mark.subject_id == ids["russian"]).order_by(Mark.slot))] == [(0, 4)]
        assert db.session.scalar(select(func.count(Mark.id)).where(Mark.code == "н")) == LINES // len(CELLS)
        assert {m.term_id for m in db.session.scalars(select(Mark).where(Mark.marked_on <= date(ids["y0"], 10, 26)))
                } == {ids["q1"]}

    # The same file again changes nothing.
    again = upload(panel, data, "Отметки 2 четверть.xlsx", ids).get_data(as_text=True)
    assert 'data-testid="to-add">0<' in again and 'data-testid="to-update">0<' in again


def test_reading_a_large_file_reports_its_rows(app):
    with app.app_context():
        ids, year, pupils, subjects = _school()
        data, _expected = _export(ids, pupils, subjects)
        heard = []
        preview = prepare_import(db.session, data, "отметки.xlsx", year,
                                 progress=lambda stage, done, total: heard.append((stage, done, total)))
        assert preview.errors == []
    parsed = [(done, total) for stage, done, total in heard if stage == "parse"]
    assert parsed[-1] == (LINES + 1, LINES + 1)  # the header and every line
    assert len(parsed) >= LINES // PROGRESS_EVERY and [d for d, _ in parsed] == sorted(d for d, _ in parsed)
    checked = [(done, total) for stage, done, total in heard if stage == "check"]
    assert checked[-1] == (LINES, LINES)


def test_the_collector_pause_ends_with_the_last_import_even_after_an_error():
    assert gc.isenabled()
    with collector_paused():
        with pytest.raises(ValueError):
            with collector_paused():  # two imports at once in one process
                assert not gc.isenabled()
                raise ValueError
        assert not gc.isenabled()  # the other import still runs
    assert gc.isenabled()

"""Import of students, guardians and personal files: errors by row and column, all rows or none."""
import io

from openpyxl import Workbook
from sqlalchemy import func, select

import factories
from models import Guardian, PersonalFile, Student
from models.people_import import COLUMNS

HEADER = [title for title, _, _ in COLUMNS]


def _xlsx(rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows, encoding="utf-8", sep=";"):
    lines = [sep.join(HEADER)] + [sep.join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _row(last="Белова", first="Анна", birth="03.05.2014", sex="ж", klass="6А", number="Б-15",
         guardian="Белова Ирина Петровна", kind="мать"):
    return [last, first, "Сергеевна", birth, sex, klass, "01.09.2021", number, "Приёмная, шкаф 2", guardian, kind,
            "+7 900 123-45-67", "паспорт 4510 123456", "", "", "", ""]


def _upload(panel, data, name, action):
    return panel.post("/admin/people_import/", {"file": (io.BytesIO(data), name), "action": action},
                      content_type="multipart/form-data")


def _counts(session):
    session.expire_all()
    return tuple(session.scalar(select(func.count(m.id))) for m in (Student, Guardian, PersonalFile))


def test_good_file_imports_students_guardians_and_files(app, login_as, session):
    factories.school_class(grade=6, letter="А")
    session.commit()
    panel = login_as("secretary")
    data = _xlsx([_row(), _row(last="Борисов", first="Иван", sex="м", number="Б-16", guardian="Борисов Олег",
                              kind="отец")])
    check = _upload(panel, data, "ученики.xlsx", "check")
    assert "Ошибок нет" in check.get_data(as_text=True)
    assert _counts(session) == (0, 0, 0)
    done = _upload(panel, data, "ученики.xlsx", "import")
    assert "Импорт выполнен" in done.get_data(as_text=True)
    assert _counts(session) == (2, 2, 2)
    anna = session.scalar(select(Student).where(Student.last_name == "Белова"))
    assert anna.school_class.name == "6А" and anna.guardians[0].kind == "mother"
    assert session.scalar(select(PersonalFile).where(PersonalFile.student_id == anna.id)).number == "Б-15"
    again = _upload(panel, data, "ученики.xlsx", "import")
    assert "уже есть в панели" in again.get_data(as_text=True)
    assert _counts(session) == (2, 2, 2)


def test_one_bad_row_imports_nothing_and_names_row_and_column(app, login_as, session):
    factories.school_class(grade=6, letter="А")
    session.commit()
    panel = login_as("secretary")
    rows = [_row(), _row(last="Зайцев", first="Лев", sex="x", number="15", birth="31.02.2014"),
            _row(last="Орлов", first="Ян", klass="7Я", number="О-1", guardian="Орлова")]
    page = _upload(panel, _csv(rows, "cp1251"), "ученики.csv", "import").get_data(as_text=True)
    assert "Ничего не импортировано" in page
    for fragment in ("<td>3</td><td>Пол</td>", "<td>3</td><td>Дата рождения</td>", "<td>3</td><td>Номер личного дела</td>",
                     "<td>4</td><td>Класс</td>", "класса «7Я» нет", "<td>4</td><td>Представитель 1: ФИО</td>"):
        assert fragment in page, fragment
    assert _counts(session) == (0, 0, 0)


def test_wrong_columns_and_encoding_refused(app, login_as, session):
    panel = login_as("secretary")
    header = HEADER[:3] + ["Дата рожд."] + HEADER[4:]
    page = _upload(panel, _xlsx([_row()], header=header), "ученики.xlsx", "import").get_data(as_text=True)
    assert "неизвестный столбец" in page and "нет обязательного столбца" in page
    page = _upload(panel, "Фамилия;Имя\nБелова;Анна\n".encode("utf-16"), "ученики.csv", "import")
    assert "кодировка" in page.get_data(as_text=True)
    page = _upload(panel, b"%PDF-1.4", "ученики.xlsx", "import").get_data(as_text=True)
    assert "Это не таблица" in page
    assert _counts(session) == (0, 0, 0)


def test_template_download_and_rights(app, login_as):
    panel = login_as("secretary")
    template = panel.get("/admin/people_import/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    assert login_as("deputy").get("/admin/people_import/").status_code == 403

"""Import of e-journal exports: every layout, both encodings, all-or-nothing, idempotent, scoped to the own class."""
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

import marks_fixtures as fx
from models import db
from models.marks import Mark, MarkImport
from models.marks_import import ImportFileError, apply_import, prepare_import
from models.people import AcademicYear


def count(model=Mark):
    return db.session.scalar(select(func.count()).select_from(model))


def run_import(data, name, ids, **kwargs):
    year = db.session.get(AcademicYear, ids["year"])
    batch = apply_import(db.session, data, original_name=name, stored_name=f"{name}-{count(MarkImport)}", year=year,
                         **kwargs)
    db.session.commit()
    return batch


def upload(panel, data, name, ids, **form):
    return panel.post("/marks/import", data={"file": (io.BytesIO(data), name), "year": ids["year"], **form},
                      content_type="multipart/form-data")


def confirm(panel, preview_page):
    """Press «Подтвердить и загрузить» of the preview: the form names its pending file."""
    token = re.search(r'name="token" value="([0-9a-f]{32}\.\w+)"', preview_page).group(1)
    return panel.post("/marks/import/confirm", data={"token": token})


def preview_of(data, name, ids, **kwargs):
    year = db.session.get(AcademicYear, ids["year"])
    return prepare_import(db.session, data, name, year, **kwargs)


@pytest.mark.parametrize("encoding,delimiter", [("utf-8-sig", ";"), ("utf-8", ","), ("cp1251", ";"),
                                                ("cp1251", ",")])
def test_flat_csv_in_both_encodings_imports_once(session, encoding, delimiter):
    ids = fx.school()
    data = fx.csv_bytes(fx.flat_rows(ids["y0"]), encoding=encoding, delimiter=delimiter)
    preview = preview_of(data, "отметки.csv", ids)
    assert preview.errors == []
    assert preview.layout == "flat"
    assert len(preview.inserts) == 6

    batch = run_import(data, "отметки.csv", ids)
    assert batch.added_count == 6 and batch.layout == "flat"
    rows = db.session.execute(select(Mark.student_id, Mark.kind, Mark.value, Mark.code, Mark.slot, Mark.term_id)
                              .order_by(Mark.id)).all()
    assert [(r.value, r.code) for r in rows if r.student_id == ids["ivanov"]] == [(5, None), (3, None), (5, None)]
    assert {r.code for r in rows if r.student_id == ids["petrova"]} == {"н", "Б"}
    term_mark = next(r for r in rows if r.student_id == ids["sidorov"])
    assert (term_mark.kind, term_mark.value, term_mark.term_id) == ("term", 4, ids["q1"])

    # The same file again changes nothing: no new marks, no new batch.
    assert run_import(data, "отметки.csv", ids) is None
    assert count() == 6 and count(MarkImport) == 1


def test_corrected_mark_in_a_new_export_is_updated_not_duplicated(session):
    ids = fx.school()
    rows = fx.flat_rows(ids["y0"])
    run_import(fx.csv_bytes(rows), "a.csv", ids)
    rows[1] = ("Иванов Иван Иванович", "9А", "Алгебра", f"02.09.{ids['y0']}", "4", "", "")
    batch = run_import(fx.csv_bytes(rows), "b.csv", ids)
    assert (batch.added_count, batch.updated_count) == (0, 1)
    assert count() == 6
    assert db.session.scalar(select(Mark.value).where(Mark.student_id == ids["ivanov"], Mark.slot == 0,
                                                      Mark.kind == "current").order_by(Mark.marked_on)) == 4


def test_errors_are_listed_with_place_and_nothing_is_imported(session):
    ids = fx.school()
    y0 = ids["y0"]
    rows = fx.flat_rows(y0) + [
        ("Иванов Иван Иванович", "9А", "Алгебра", f"05.09.{y0}", "отл", "", ""),
        ("Неизвестный Ученик", "9А", "Алгебра", f"05.09.{y0}", "5", "", ""),
        ("Иванов Иван", "9А", "Астрология", f"05.09.{y0}", "5", "", ""),
        ("Иванов Иван", "9А", "Алгебра", f"05.09.{y0 - 1}", "5", "", ""),
        ("Иванов Иван", "9А", "Алгебра", f"06.09.{y0}", "7", "", ""),
        ("Иванов Иван Иванович", "9А", "Алгебра", f"02.09.{y0}", "4", "", ""),  # the same slot as row 2
    ]
    data = fx.xlsx({"Отметки": rows})
    preview = preview_of(data, "ошибки.xlsx", ids)
    text = "\n".join(preview.errors)
    assert len(preview.errors) == 6, text
    assert "лист «Отметки», строка 7, столбец E: «отл» — не отметка" in text
    assert "обучающийся «Неизвестный Ученик» не найден в классе 9А" in text
    assert "предмет «Астрология» не найден" in text
    assert f"дата 05.09.{y0 - 1} вне" in text
    assert "отметка «7» вне шкалы 1–5" in text
    assert "повтор: эта отметка уже есть (лист «Отметки», строка 2, столбец E)" in text
    with pytest.raises(ImportFileError):
        run_import(data, "ошибки.xlsx", ids)
    db.session.rollback()
    assert count() == 0 and count(MarkImport) == 0


def test_ambiguous_name_is_an_error(session):
    ids = fx.school()
    from models import Student

    twin = db.session.get(Student, ids["ivanov"])
    db.session.add(Student(last_name="Иванов", first_name="Иван", middle_name="Петрович", birth_date=twin.birth_date,
                           sex="male", school_class_id=ids["a"]))
    db.session.commit()
    data = fx.csv_bytes([fx.flat_rows(ids["y0"])[0], ("Иванов Иван", "9А", "Алгебра", f"02.09.{ids['y0']}", "5")])
    preview = preview_of(data, "x.csv", ids)
    assert "несколько обучающихся «Иванов Иван»" in preview.errors[0]


def journal_sheets(y0):
    """Two subjects as two sheets: one with ДД.ММ dates, one with day numbers under month names."""
    algebra = [
        ("Электронный журнал",),
        ("Предмет: Алгебра",),
        ("Класс:", "9А"),
        ("Период: 1 четверть",),
        ("№", "Ученик", "02.09", "05.09", f"12.09.{y0}", "Ср. балл", "1 четверть"),
        (1, "Иванов Иван Иванович", 5, "3/5", "н", 4.33, 4),
        (2, "Петрова Алёна Сергеевна", "ОП", "Б", "4", 4, "5"),
        (3, "Сидоров Пётр", None, "2", "УП", 2, 2),
    ]
    russian = [
        ("Класс: 9А, предмет: Русский язык",),
        (None, "Сентябрь", None, "Октябрь"),
        ("Ученик", 2, 9, 7, "Итог"),
        ("Иванов Иван", "4", "", "5", "5"),
        ("Петрова Алена", "Н", "5", None, "5"),
        ("Средний балл", "4", "5", "5", None),
    ]
    return {"Алгебра": algebra, "Русский": russian}


def test_journal_grid_with_several_sheets(session):
    ids = fx.school()
    data = fx.xlsx(journal_sheets(ids["y0"]))
    preview = preview_of(data, "журнал.xlsx", ids)
    assert preview.errors == [], preview.errors
    assert preview.layout == "journal"
    batch = run_import(data, "журнал.xlsx", ids)
    # Алгебра: 5, 3/5, н, 4 | ОП, Б, 4, 5 | 2, УП, 2 = 12; Русский: 4, 5, 5 | Н, 5, 5 = 6
    assert batch.added_count == 18
    codes = db.session.scalars(select(Mark.code).where(Mark.code.is_not(None)).order_by(Mark.code)).all()
    assert sorted(codes) == sorted(["н", "оп", "Б", "УП", "н"])
    october = db.session.scalar(select(Mark).where(Mark.student_id == ids["ivanov"], Mark.subject_id == ids["russian"],
                                                   Mark.kind == "current", Mark.value == 5))
    assert october.marked_on.strftime("%d.%m.%Y") == f"07.10.{ids['y0']}" and october.term_id == ids["q1"]
    assert db.session.scalar(select(func.count()).where(Mark.kind == "term", Mark.term_id == ids["q1"])) == 5
    assert run_import(data, "журнал.xlsx", ids) is None


def test_student_report_layout(session):
    ids = fx.school()
    y0 = ids["y0"]
    rows = [
        ("Отчёт об успеваемости и посещаемости ученика",),
        ("Ученик: Петрова Алёна Сергеевна",),
        ("Класс: 9А",),
        (f"Период: 01.09.{y0} - 26.10.{y0}",),
        ("Предмет", "02.09", "03.09", "Средний балл", "Итоговая за период"),
        ("Алгебра", "5", "4/5", "4,67", "5"),
        ("Русский язык", "н", "3", "3", "3"),
    ]
    data = fx.xlsx({"Отчёт": rows})
    preview = preview_of(data, "отчёт.xlsx", ids)
    assert preview.errors == [] and preview.layout == "student_report"
    batch = run_import(data, "отчёт.xlsx", ids)
    assert batch.added_count == 7
    assert set(db.session.scalars(select(Mark.student_id))) == {ids["petrova"]}
    assert db.session.scalar(select(Mark.value).where(Mark.kind == "term", Mark.subject_id == ids["algebra"])) == 5


def test_final_marks_layout(session):
    ids = fx.school()
    rows = [
        ("Итоговые отметки",),
        ("Класс: 9А",),
        ("Ученик", "Алгебра", None, None, None, "Русский язык"),
        (None, "I", "II", "Год", "Экзамен", "1 четв."),
        ("Иванов Иван Иванович", 4, 5, 5, 4, "н/а"),
        ("Сидоров Пётр", 3, 2, 3, None, 3),
    ]
    data = fx.xlsx({"Итоговые": rows})
    preview = preview_of(data, "итоговые.xlsx", ids)
    assert preview.errors == [] and preview.layout == "final_marks"
    batch = run_import(data, "итоговые.xlsx", ids)
    assert batch.added_count == 9
    kinds = dict(db.session.execute(select(Mark.kind, func.count()).group_by(Mark.kind)).all())
    assert kinds == {"term": 6, "year": 2, "exam": 1}
    assert db.session.scalar(select(Mark.code).where(Mark.subject_id == ids["russian"])) == "н/а"


def test_legacy_xls(session):
    xlwt = pytest.importorskip("xlwt", reason="xlwt не установлен: запись .xls для проверки невозможна")
    ids = fx.school()
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Алгебра")
    for r, row in enumerate(journal_sheets(ids["y0"])["Алгебра"]):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    preview = preview_of(data, "журнал.xls", ids)
    assert preview.errors == [] and preview.layout == "journal"
    assert run_import(data, "журнал.xls", ids).added_count == 12
    assert run_import(data, "журнал.xls", ids) is None


def _encrypted_like(data):
    # An encrypted XLSX is an OLE container holding «EncryptedPackage» instead of a «Workbook» stream.
    return data.replace("Workbook".encode("utf-16-le"), "Encrypted".encode("utf-16-le")[:16])


@pytest.mark.parametrize("name,make,message", [
    ("картинка.xlsx", lambda ids: b"%PDF-1.4 not a table", "Это не таблица"),
    ("битый.xlsx", lambda ids: b"PK\x03\x04" + b"\x00garbage" * 50, "повреждён"),
    ("utf16.csv", lambda ids: "Ученик;Класс\n".encode("utf-16-le"), "Неизвестная кодировка"),
    ("big5.csv", lambda ids: "學生;班級;科目;日期;分數\n王小明;九甲;數學;2026-09-02;5\n".encode("big5"),
     "Неизвестная кодировка файла (похоже на big5)"),
    ("колонки.csv", lambda ids: fx.csv_bytes([("Ученик", "Класс", "Дата", "Оценкаа"), ("Иванов Иван", "9А", "02.09", "5")]),
     "нет столбцов: «Предмет», «Отметка»"),
    ("что-то.csv", lambda ids: fx.csv_bytes([("a", "b"), ("1", "2")]), "Не удалось распознать формат"),
    ("пароль.xls", "encrypted", "защищена паролем"),
])
def test_unreadable_files_get_a_russian_message_over_http(app, login_as, name, make, message):
    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
        if make == "encrypted":
            xlwt = pytest.importorskip("xlwt", reason="xlwt не установлен")
            book = xlwt.Workbook()
            book.add_sheet("Лист1").write(0, 0, "Ученик")
            out = io.BytesIO()
            book.save(out)
            data = _encrypted_like(out.getvalue())
        else:
            data = make(ids)
    response = panel.post("/marks/import", data={"file": (io.BytesIO(data), name), "year": ids["year"]},
                          content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    with app.app_context():
        assert count() == 0 and count(MarkImport) == 0
    assert not list((Path(app.instance_path) / "imports").glob("*"))


def test_upload_preview_confirm_over_http(app, login_as):
    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
    data = fx.xlsx(journal_sheets(ids["y0"]))
    response = panel.post("/marks/import", data={"file": (io.BytesIO(data), "Журнал 9А.xlsx"), "year": ids["year"]},
                          content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "Журнал класса по предмету" in page and 'data-testid="to-add">18<' in page
    with app.app_context():
        assert count() == 0  # nothing before the confirmation
    stored = list((Path(app.instance_path) / "imports").glob("*.xlsx"))
    assert len(stored) == 1 and "Журнал" not in stored[0].name

    response = confirm(panel, page)
    assert response.status_code == 302
    page = panel.get(response.headers["Location"]).get_data(as_text=True)
    assert "добавлено отметок — 18, изменено — 0, удалено — 0" in page and "Журнал 9А.xlsx" in page
    with app.app_context():
        batch = db.session.scalar(select(MarkImport))
        assert batch.original_name == "Журнал 9А.xlsx" and batch.stored_name == stored[0].name
        assert (Path(app.instance_path) / "imports" / batch.stored_name).read_bytes() == data
        assert count() == 18

    # The same file once more: the preview says so and offers nothing to confirm.
    response = panel.post("/marks/import", data={"file": (io.BytesIO(data), "Журнал 9А.xlsx"), "year": ids["year"]},
                          content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Изменений нет" in page and "Подтвердить и загрузить" not in page


def test_failure_while_writing_leaves_nothing(app, login_as, monkeypatch):
    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
        rows = fx.flat_rows(ids["y0"])
        run_import(fx.csv_bytes(rows), "first.csv", ids)
    rows[1] = ("Иванов Иван Иванович", "9А", "Алгебра", f"02.09.{ids['y0']}", "2", "", "")
    rows.append(("Сидоров Пётр", "9А", "Алгебра", f"10.09.{ids['y0']}", "5", "", ""))
    page = upload(panel, fx.csv_bytes(rows), "второй.csv", ids).get_data(as_text=True)
    import models.marks_import as module

    def broken_update(*args, **kwargs):
        raise RuntimeError("disk full")

    # The inserts have run when the update fails: all of it must roll back.
    monkeypatch.setattr(module, "update", broken_update)
    response = confirm(panel, page)
    assert response.status_code == 500
    assert "Отметки не загружены" in response.get_data(as_text=True)
    with app.app_context():
        assert count() == 6 and count(MarkImport) == 1
        assert db.session.scalar(select(Mark.value).where(Mark.student_id == ids["ivanov"]).order_by(
            Mark.marked_on, Mark.slot)) == 5


def test_class_teacher_imports_only_own_class(app, login_as):
    panel = login_as("class_teacher", login="teacher_9a")
    with app.app_context():
        ids = fx.school(teacher_login="teacher_9a")
    y0 = ids["y0"]
    other = fx.csv_bytes([fx.flat_rows(y0)[0], ("Кузнецова Мария", "9Б", "Алгебра", f"02.09.{y0}", "5", "", "")])
    response = panel.post("/marks/import", data={"file": (io.BytesIO(other), "9б.csv"), "year": ids["year"]},
                          content_type="multipart/form-data")
    assert response.status_code == 422
    assert "класс 9Б не ваш" in response.get_data(as_text=True)
    own = fx.csv_bytes(fx.flat_rows(y0))
    response = panel.post("/marks/import", data={"file": (io.BytesIO(own), "9а.csv"), "year": ids["year"]},
                          content_type="multipart/form-data")
    assert response.status_code == 200
    assert confirm(panel, response.get_data(as_text=True)).status_code == 302
    with app.app_context():
        assert count() == 6


def test_roles_on_the_import_page(app, login_as):
    assert login_as("admin").get("/marks/import").status_code == 403
    director = login_as("director")
    page = director.get("/marks/import")
    assert page.status_code == 200 and "Проверить файл" not in page.get_data(as_text=True)
    data = fx.csv_bytes([("Ученик",)])
    assert director.post("/marks/import", data={"file": (io.BytesIO(data), "x.csv")},
                         content_type="multipart/form-data").status_code == 403
    deputy = login_as("deputy")
    template = deputy.get("/marks/import/template.xlsx")
    assert template.status_code == 200
    from openpyxl import load_workbook

    header = [c.value for c in next(load_workbook(io.BytesIO(template.data)).active.iter_rows())]
    assert header[:6] == ["Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид"]

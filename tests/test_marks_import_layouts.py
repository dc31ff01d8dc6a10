"""Exports as schools save them (ЭлЖур / «Сетевой город» journals, legacy .xls, a pupil's report, final marks), the
class found or chosen, re-import that corrects, messages a teacher can act on, and a confirmation no poll can spoil."""
import io
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

import marks_exports as ex
import marks_fixtures as fx
from models import db
from models.analysis import class_results
from models.marks import Mark, MarkImport
from models.marks_import import apply_import, prepare_import
from models.people import AcademicYear, SchoolClass, Term
from test_marks_import import confirm, count, upload

LESSONS = [(9, 2), (9, 9), (9, 16), (10, 7), (10, 14)]


def year_of(ids):
    return db.session.get(AcademicYear, ids["year"])


def preview_of(data, name, ids, **kwargs):
    return prepare_import(db.session, data, name, year_of(ids), **kwargs)


def imported(data, name, ids, **kwargs):
    batch = apply_import(db.session, data, original_name=name, stored_name=f"{name}-{count(MarkImport)}",
                         year=year_of(ids), **kwargs)
    db.session.commit()
    return batch


def marks_of(student_id, subject_id, kind="current"):
    return [(m.marked_on, m.value if m.value is not None else m.code) for m in db.session.scalars(
        select(Mark).where(Mark.student_id == student_id, Mark.subject_id == subject_id, Mark.kind == kind)
        .order_by(Mark.marked_on, Mark.slot))]


def journal_pupils(ivanov_second="3/5", ivanov_third="н"):
    return {
        "Иванов Иван Иванович": ["5", ivanov_second, ivanov_third, "5-", None, 5],
        "Петрова Алена Сергеевна ": ["оп", "Б", " 4 ", "уп", "4", 4],  # «е» for «ё», a trailing space
        "Сидоров Пётр": [None, "2", None, "3", None, 3],
    }


def eljur_journal(ids, pupils=None):
    title = lambda subject: f"Журнал: {subject}, класс 9А, 1 четверть {ids['y0']}/{ids['y1']}"  # noqa: E731
    pupils = pupils or journal_pupils()
    return ex.class_journal_xlsx({"Алгебра": (LESSONS, pupils), "Русский язык": (LESSONS, pupils)}, title=title)


def test_class_journal_with_its_title_month_row_and_day_numbers(session):
    ids = fx.school()
    data = eljur_journal(ids)
    preview = preview_of(data, "9А.xlsx", ids)
    assert preview.errors == [], preview.errors
    assert preview.layout == "journal" and preview.year.id == ids["year"]
    assert len(preview.inserts) == 30  # 15 marks and codes a subject: «3/5» is two, «5-» is 5
    assert count() == 0  # a preview writes nothing

    batch = imported(data, "9А.xlsx", ids)
    assert (batch.added_count, batch.updated_count, batch.removed_count) == (30, 0, 0)
    y0 = ids["y0"]
    assert marks_of(ids["ivanov"], ids["algebra"]) == [
        (date(y0, 9, 2), 5), (date(y0, 9, 9), 3), (date(y0, 9, 9), 5), (date(y0, 9, 16), "н"), (date(y0, 10, 7), 5)]
    assert marks_of(ids["petrova"], ids["russian"]) == [
        (date(y0, 9, 2), "оп"), (date(y0, 9, 9), "Б"), (date(y0, 9, 16), 4), (date(y0, 10, 7), "УП"),
        (date(y0, 10, 14), 4)]
    assert marks_of(ids["sidorov"], ids["algebra"], "term") == [(date(y0, 10, 26), 3)]
    assert db.session.scalar(select(func.count()).where(Mark.school_class_id == ids["a"])) == 30
    assert imported(data, "9А.xlsx", ids) is None  # the same export again changes nothing


def test_reimport_is_the_truth_for_what_the_journal_covers(session):
    ids = fx.school()
    imported(eljur_journal(ids), "first.xlsx", ids)
    # In the journal «3/5» became «4» and the «н» was deleted; Кузнецова of 9Б is not this file's business.
    other = imported(fx.csv_bytes([fx.FLAT_HEADER, ("Кузнецова Мария", "9Б", "Алгебра", f"09.09.{ids['y0']}", "5")]),
                     "9б.csv", ids)
    assert other.added_count == 1
    corrected = eljur_journal(ids, journal_pupils(ivanov_second="4", ivanov_third=None))
    preview = preview_of(corrected, "second.xlsx", ids)
    assert preview.errors == []
    assert (len(preview.inserts), len(preview.updates), len(preview.removes)) == (0, 2, 4)
    removed = {(r["subject"], r["on"], r["old"]) for r in preview.shown["remove"]}
    y0 = ids["y0"]
    assert removed == {(s, d, v) for s in ("Алгебра", "Русский язык")
                       for d, v in ((date(y0, 9, 9), "5"), (date(y0, 9, 16), "н"))}
    assert {(r["student"], r["old"], r["new"]) for r in preview.shown["change"]} == {
        ("Иванов Иван Иванович", "3", "4")}
    assert count() == 31  # still nothing written before the confirmation

    batch = imported(corrected, "second.xlsx", ids)
    assert (batch.added_count, batch.updated_count, batch.removed_count) == (0, 2, 4)
    assert marks_of(ids["ivanov"], ids["algebra"]) == [
        (date(y0, 9, 2), 5), (date(y0, 9, 9), 4), (date(y0, 10, 7), 5)]
    assert marks_of(ids["kuznetsova"], ids["algebra"]) == [(date(y0, 9, 9), 5)]


def test_flat_reimport_replaces_a_corrected_pair_and_removes_a_deleted_line(session):
    ids = fx.school()
    y0 = ids["y0"]
    rows = fx.flat_rows(y0)
    imported(fx.csv_bytes(rows), "a.csv", ids)
    rows[2] = ("Иванов Иван", "9А", "Алгебра", f"03.09.{y0}", "4", "", "")  # was «3/5»
    del rows[3]  # Петрова's «н» of 02.09 deleted in the journal
    batch = imported(fx.csv_bytes(rows), "b.csv", ids)
    assert (batch.added_count, batch.updated_count, batch.removed_count) == (0, 1, 2)
    assert marks_of(ids["ivanov"], ids["algebra"]) == [(date(y0, 9, 2), 5), (date(y0, 9, 3), 4)]
    assert marks_of(ids["petrova"], ids["algebra"]) == []
    assert marks_of(ids["petrova"], ids["russian"]) == [(date(y0, 9, 4), "Б")]


def legacy_journal():
    pupils = {"Иванов Иван Иванович": ["5", "4", None, "н"], "Петрова Алёна": [None, "3", "5", "5"]}
    return ex.class_journal_xls("Лист1", "Журнал: Алгебра", LESSONS[:4], pupils)


def test_legacy_xls_journal_takes_the_class_chosen_on_the_page(session):
    ids = fx.school()
    data = legacy_journal()
    preview = preview_of(data, "алгебра.xls", ids)
    assert preview.layout == "journal"
    assert preview.errors == ["лист «Лист1»: класс не указан: ни строкой «Класс: 9А», ни в заголовке, ни в названии "
                              "листа — выберите класс на странице импорта и проверьте файл снова."]
    chosen = db.session.get(SchoolClass, ids["a"])
    preview = preview_of(data, "алгебра.xls", ids, school_class=chosen)
    assert preview.errors == [] and len(preview.inserts) == 6
    imported(data, "алгебра.xls", ids, school_class=chosen)
    assert marks_of(ids["petrova"], ids["algebra"]) == [
        (date(ids["y0"], 9, 9), 3), (date(ids["y0"], 9, 16), 5), (date(ids["y0"], 10, 7), 5)]


def test_class_and_subject_from_the_sheet_name(session):
    ids = fx.school()
    data = ex.class_journal_xlsx({"9А Алгебра": (LESSONS[:2], {"Сидоров Пётр": ["4", "5", 5]})},
                                 title="Электронный журнал")
    preview = preview_of(data, "x.xlsx", ids)
    assert preview.errors == [] and preview.summary == [("9А", "Алгебра", 3)]


def test_the_year_named_in_the_title_wins_over_the_page(session):
    ids = fx.school()
    later = AcademicYear(name=f"{ids['y1']}/{ids['y1'] + 1}", starts_on=date(ids["y1"], 9, 1),
                         ends_on=date(ids["y1"] + 1, 8, 31))
    db.session.add(later)
    db.session.commit()
    data = eljur_journal(ids)
    preview = prepare_import(db.session, data, "9А.xlsx", later)  # the page says next year, the title this one
    assert preview.errors == [] and preview.year.id == ids["year"]
    title = f"Журнал: Алгебра, класс 9А, 1 четверть {ids['y1'] + 5}/{ids['y1'] + 6}"
    unknown = ex.class_journal_xlsx({"Алгебра": (LESSONS, journal_pupils())}, title=title)
    preview = preview_of(unknown, "9А.xlsx", ids)
    assert preview.errors == [f"В заголовке файла указан {ids['y1'] + 5}/{ids['y1'] + 6} учебный год, а его нет в "
                              "панели: добавьте год в разделе «Учебные годы» или исправьте заголовок."]


def test_pupil_report_with_months_on_the_subject_row(session):
    ids = fx.school()
    y0 = ids["y0"]
    lessons = [(9, 2), (9, 9), (10, 7)]
    subjects = {"Алгебра": ["5", "4/5", "н"], "Русский язык": [None, "3 ", "Б"]}
    period = f"Период: с 01.09.{y0} по 26.10.{y0}"
    data = ex.pupil_report_xlsx("Петрова Алёна Сергеевна", subjects, lessons, period_line=period)
    preview = preview_of(data, "отчёт.xlsx", ids)
    assert preview.layout == "student_report"
    assert "класс не указан" in preview.errors[0]  # «Сетевой город» prints no class line here
    chosen = db.session.get(SchoolClass, ids["a"])
    batch = imported(data, "отчёт.xlsx", ids, school_class=chosen)
    assert batch.added_count == 6
    assert marks_of(ids["petrova"], ids["algebra"]) == [
        (date(y0, 9, 2), 5), (date(y0, 9, 9), 4), (date(y0, 9, 9), 5), (date(y0, 10, 7), "н")]
    assert marks_of(ids["petrova"], ids["russian"]) == [(date(y0, 9, 9), 3), (date(y0, 10, 7), "Б")]
    # With a class line the page is not needed; a re-import speaks for this pupil only.
    imported(fx.csv_bytes([fx.FLAT_HEADER, ("Иванов Иван", "9А", "Алгебра", f"16.09.{y0}", "5")]), "iv.csv", ids)
    subjects["Алгебра"] = ["5", "4/5", None]
    again = ex.pupil_report_xlsx("Петрова Алёна Сергеевна", subjects, lessons, period_line=period,
                                 class_line="Класс: 9А")
    batch = imported(again, "отчёт 2.xlsx", ids)
    assert (batch.added_count, batch.updated_count, batch.removed_count) == (0, 0, 1)
    assert marks_of(ids["ivanov"], ids["algebra"]) == [(date(y0, 9, 16), 5)]


def test_final_marks_one_row_per_pupil_and_subject_fill_the_analysis(session):
    ids = fx.school()
    rows = [
        ("Иванов Иван Иванович", "Алгебра", {"1 четверть": 4, "2 четверть": 5, "Год": 5, "Экзамен": 4, "Итог": 5}),
        ("Сидоров Пётр", "Русский язык", {"1 четверть": "3", "2 четверть": "н/а"}),
        ("Петрова Алёна", "Алгебра", {"1 четверть": "5"}),
    ]
    data = ex.final_marks_xlsx(rows)
    preview = preview_of(data, "итоговые.xlsx", ids)
    assert preview.layout == "final_marks"
    assert "класс не указан" in preview.errors[0]
    chosen = db.session.get(SchoolClass, ids["a"])
    batch = imported(data, "итоговые.xlsx", ids, school_class=chosen)
    assert batch.added_count == 8
    kinds = dict(db.session.execute(select(Mark.kind, func.count()).group_by(Mark.kind)).all())
    assert kinds == {"term": 5, "year": 1, "exam": 1, "final": 1}
    q1 = db.session.get(Term, ids["q1"])
    [result] = class_results(db.session, q1, [ids["a"]])
    assert result.average is not None and float(result.average) == pytest.approx(4.0)  # (4 + 3 + 5) / 3

    # A term mark deleted from the report is removed; the other columns stay as they are.
    rows[0] = ("Иванов Иван Иванович", "Алгебра", {"1 четверть": 4, "Год": 5, "Экзамен": 4, "Итог": 5})
    batch = imported(ex.final_marks_xlsx(rows), "итоговые 2.xlsx", ids, school_class=chosen)
    assert (batch.added_count, batch.updated_count, batch.removed_count) == (0, 0, 1)
    assert marks_of(ids["ivanov"], ids["algebra"], "term") == [(date(ids["y0"], 10, 26), 4)]


def test_many_rows_with_one_error_are_one_line_with_the_count_and_the_fix(session):
    ids = fx.school()
    y0 = ids["y0"]
    rows = [fx.FLAT_HEADER] + [("Иванов Иван", "9А", "Алгебра", f"{1 + i % 28:02d}.{1 + i % 12:02d}.{y0 - 1}", "5")
                               for i in range(1079)]
    rows += [("Петров Пётр", "9А", "Алгебра", f"02.09.{y0}", "5"), ("Иванов Иван", "9А", "Астрономия",
                                                                    f"02.09.{y0}", "4.0")]
    preview = preview_of(fx.csv_bytes(rows), "год.csv", ids)
    year = year_of(ids)
    assert preview.errors[0] == (
        f"1 079 строк: даты вне учебного года {year.name} ({year.starts_on:%d.%m.%Y} — {year.ends_on:%d.%m.%Y}) "
        "— выберите год (первые: лист «год», строка 2, столбец D; лист «год», строка 3, столбец D; лист «год», "
        "строка 4, столбец D).")
    # Each problem points at its own cell: the pupil's name in A, the subject in C.
    assert preview.errors[1] == ("лист «год», строка 1081, столбец A: обучающийся «Петров Пётр» не найден в классе "
                                 "9А — проверьте ФИО или добавьте обучающегося в класс.")
    assert preview.errors[2].startswith("лист «год», строка 1082, столбец C: предмет «Астрономия» не найден")
    assert len(preview.errors) == 3


def test_numbers_read_from_xls_are_shown_as_typed(session):
    ids = fx.school()
    data = ex.class_journal_xls("9А", "Журнал: Алгебра", LESSONS[:2], {"Иванов Иван": [7, 4]})
    preview = preview_of(data, "x.xls", ids)
    assert preview.errors == ["лист «9А», строка 5, столбец C: отметка «7» вне шкалы 1–5."]


def test_dates_in_holidays_or_after_today_are_warned_about(session):
    ids = fx.school()
    y0 = ids["y0"]
    rows = [fx.FLAT_HEADER, ("Иванов Иван", "9А", "Алгебра", f"30.10.{y0}", "5"),
            ("Иванов Иван", "9А", "Алгебра", f"20.12.{y0}", "4")]
    preview = preview_of(fx.csv_bytes(rows), "w.csv", ids, today=date(y0, 12, 1))
    assert preview.errors == [] and len(preview.inserts) == 2
    assert preview.warnings == [
        f"лист «w», строка 2, столбец D: 30.10.{y0} — вне учебных периодов (каникулы?) — проверьте даты или "
        "«Учебные периоды».",
        f"лист «w», строка 3, столбец D: отметка на 20.12.{y0} — позже сегодняшнего дня — проверьте даты в журнале."]


@pytest.mark.parametrize("encoding,name", [("koi8_r", "KOI8-R"), ("cp866", "CP866")])
def test_dos_and_koi8_csv_are_read(session, encoding, name):
    ids = fx.school()
    preview = preview_of(fx.csv_bytes(fx.flat_rows(ids["y0"]), encoding=encoding), f"{name}.csv", ids)
    assert preview.errors == [] and len(preview.inserts) == 6


def test_class_teacher_cannot_clear_another_class_with_a_blank_journal(app, login_as):
    panel = login_as("class_teacher", login="teacher_9a")
    with app.app_context():
        ids = fx.school(teacher_login="teacher_9a")
        imported(fx.csv_bytes([fx.FLAT_HEADER, ("Кузнецова Мария", "9Б", "Алгебра", f"09.09.{ids['y0']}", "5")]),
                 "9б.csv", ids)
    blank = ex.class_journal_xlsx({"Алгебра": (LESSONS, {"Кузнецова Мария": [None] * 5})}, title="Класс: 9Б")
    response = upload(panel, blank, "9б.xlsx", ids)
    assert response.status_code == 422
    assert "Класс 9Б не ваш — классный руководитель загружает отметки только своего класса." in response.get_data(
        as_text=True)
    with app.app_context():
        assert count() == 1


def test_class_teachers_own_class_is_preselected(app, login_as):
    panel = login_as("class_teacher", login="teacher_9a")
    with app.app_context():
        ids = fx.school(teacher_login="teacher_9a")
    page = panel.get("/marks/import").get_data(as_text=True)
    assert f'<option value="{ids["a"]}" selected>9А</option>' in page
    # another's class is not offered (its id may equal a year's id in the page's other select: look for the class)
    assert ">9Б</option>" not in page and f'<option value="{ids["b"]}">' not in page


def test_a_late_poll_with_the_old_session_spoils_nothing(app, login_as):
    """The page polls the progress while the confirmation runs; a poll answered last sends back the session as it
    was before. Neither the result nor the finished import's original may suffer from it."""
    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
    page = upload(panel, eljur_journal(ids), "Журнал 9А.xlsx", ids).get_data(as_text=True)
    before = panel.http.get_cookie("session").value
    response = confirm(panel, page)
    assert response.status_code == 302
    panel.http.set_cookie("session", before)  # what a late poll's answer does to the browser
    page = panel.get(response.headers["Location"]).get_data(as_text=True)
    assert "добавлено отметок — 30, изменено — 0, удалено — 0" in page
    with app.app_context():
        stored = db.session.scalar(select(MarkImport.stored_name))
    original = Path(app.instance_path) / "imports" / stored
    assert original.exists()
    # The next «Проверить файл», still with the old session, keeps the finished import's original.
    upload(panel, legacy_journal(), "алгебра.xls", ids, school_class=ids["a"])
    assert original.exists()
    # And the old confirmation form cannot run the same file twice.
    again = panel.post("/marks/import/confirm", data={"token": stored})
    assert again.status_code == 409 and "Нет файла, ожидающего подтверждения" in again.get_data(as_text=True)
    with app.app_context():
        assert count(MarkImport) == 1


def test_too_large_upload_page_says_the_limit(app, login_as):
    panel = login_as("deputy")
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    response = panel.post("/marks/import", data={"file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 413
    assert "не больше 1 МБ" in " ".join(response.get_data(as_text=True).split())
    response = panel.post("/marks/import", data={"file": (io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 400 and "не больше 1 МБ" in response.get_data(as_text=True)


def test_reimport_preview_lists_what_changes_and_confirm_applies_it(app, login_as):
    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
    first = upload(panel, eljur_journal(ids), "9А.xlsx", ids).get_data(as_text=True)
    assert confirm(panel, first).status_code == 302
    corrected = eljur_journal(ids, journal_pupils(ivanov_second="4", ivanov_third=None))
    response = upload(panel, corrected, "9А.xlsx", ids)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="to-add">0<' in page and 'data-testid="to-update">2<' in page
    assert 'data-testid="to-remove">4<' in page
    removed = page[page.index('data-testid="list-remove"'):]
    assert "Удаляемые отметки" in removed and "Иванов Иван Иванович" in removed
    assert f"16.09.{ids['y0']}" in removed and "<td>н</td>" in removed
    with app.app_context():
        assert count() == 30  # nothing written before the confirmation
    done = confirm(panel, page)
    assert "удалено — 4" in panel.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert count() == 26


def test_confirmation_reuses_what_the_check_read_and_reads_again_without_it(app, login_as, monkeypatch):
    import models.marks_import as module

    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
    page = upload(panel, eljur_journal(ids), "9А.xlsx", ids).get_data(as_text=True)
    real_read = module.read_sheets
    monkeypatch.setattr(module, "read_sheets", lambda *a, **k: pytest.fail("the file was read a second time"))
    done = confirm(panel, page)
    assert "добавлено отметок — 30" in panel.get(done.headers["Location"]).get_data(as_text=True)
    assert not list((Path(app.instance_path) / "imports").glob("*.pickle"))

    # Without the kept reading (removed, or from an older version) the confirmation simply reads the file again.
    monkeypatch.setattr(module, "read_sheets", real_read)
    corrected = eljur_journal(ids, journal_pupils(ivanov_second="4"))
    page = upload(panel, corrected, "9А.xlsx", ids).get_data(as_text=True)
    for kept in (Path(app.instance_path) / "imports").glob("*.pickle"):
        kept.unlink()
    done = confirm(panel, page)
    assert "изменено — 2, удалено — 2" in panel.get(done.headers["Location"]).get_data(as_text=True)


def test_a_pupil_renamed_after_the_check_makes_the_confirmation_read_the_file_again(app, login_as):
    """What the check decided is reused only while the names it matched are the same: here the file's «Сидоров Пётр»
    is no longer in the class, so the confirmation refuses instead of writing marks for a pupil it cannot find."""
    from models.people import Student

    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
    page = upload(panel, eljur_journal(ids), "9А.xlsx", ids).get_data(as_text=True)
    with app.app_context():
        db.session.get(Student, ids["sidorov"]).last_name = "Сидоренко"
        db.session.commit()
    refused = confirm(panel, page)
    assert refused.status_code == 422
    assert "Отметки не загружены: В файле есть ошибки" in refused.get_data(as_text=True)
    with app.app_context():
        assert count() == 0


def test_the_preview_checks_the_same_file_again_with_a_class_or_format_chosen(app, login_as):
    panel = login_as("deputy")
    with app.app_context():
        ids = fx.school()
    response = upload(panel, legacy_journal(), "алгебра.xls", ids)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "класс не указан" in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    refused = panel.post("/marks/import/confirm", data={"token": token})
    assert refused.status_code == 409  # a file with errors is never confirmed
    # A format chosen by hand that does not fit says so; the file need not be uploaded again.
    wrong = panel.post("/marks/import", data={"token": token, "year": ids["year"], "layout": "student_report",
                                              "school_class": ids["a"]})
    assert wrong.status_code == 422
    assert "лист «Лист1»: не найдена строка заголовков со столбцом «Предмет»." in wrong.get_data(as_text=True)
    again = panel.post("/marks/import", data={"token": token, "year": ids["year"], "layout": "journal",
                                              "school_class": ids["a"]})
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and 'data-testid="to-add">6<' in page
    assert 'data-testid="layout">Журнал класса по предмету<' in page
    done = confirm(panel, page)
    assert "добавлено отметок — 6" in panel.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert count() == 6 and db.session.scalar(select(MarkImport.original_name)) == "алгебра.xls"


def test_journal_with_real_excel_dates_and_a_final_table_by_half_years(session):
    from datetime import datetime

    from openpyxl import Workbook

    ids = fx.school()
    y0 = ids["y0"]
    book = Workbook()
    ws = book.active
    ws.title = "Русский язык"
    ws.append(["Класс: 9А"])
    ws.append(["Ученик", datetime(y0, 9, 2), datetime(y0, 11, 10), "2 четверть"])  # dates as Excel keeps them
    ws.append(["Сидоров Пётр", "4", "н", "4"])
    out = io.BytesIO()
    book.save(out)
    preview = preview_of(out.getvalue(), "даты.xlsx", ids)
    assert preview.errors == [] and preview.summary == [("9А", "Русский язык", 3)]
    assert {r["on"] for r in preview.shown["add"]} == {date(y0, 9, 2), date(y0, 11, 10), date(y0, 12, 28)}

    halves = ex.final_marks_xlsx([("Сидоров Пётр", "Алгебра", {"1 полугодие": 4, "Год": 4})],
                                 columns=["1 полугодие", "2 полугодие", "Год"])
    preview = preview_of(halves, "итог.xlsx", ids, school_class=db.session.get(SchoolClass, ids["a"]))
    assert preview.errors == [f"лист «Итоговые», строка 4, столбец C: в {year_of(ids).name} учебном году нет "
                              "периода «1 полугодие» — добавьте его в разделе «Учебные периоды»."]


def test_odd_cells_and_headers_are_named_plainly(session):
    ids = fx.school()
    # A sheet of blank cells for a subject the panel does not know: no «no changes», but the subject named.
    blank = ex.class_journal_xlsx({"Астрономия": (LESSONS[:2], {"Иванов Иван": [None, None]})}, title="Класс: 9А")
    assert preview_of(blank, "a.xlsx", ids).errors == [
        "Предмет «Астрономия» не найден в справочнике предметов — добавьте его в справочник «Предметы» или "
        "исправьте название."]
    # 31 February under a month row; a logical cell where a mark should be.
    rows = [("Класс: 9А",), (None, "Сентябрь", "Февраль"), ("Ученик", 2, 31), ("Иванов Иван", True, "5")]
    preview = preview_of(fx.xlsx({"Алгебра": rows}), "b.xlsx", ids)
    assert preview.errors == [
        "лист «Алгебра», строка 3, столбец C: дня 31 нет в месяце над ним — проверьте дату урока.",
        "лист «Алгебра», строка 4, столбец B: «ИСТИНА» — не отметка."]

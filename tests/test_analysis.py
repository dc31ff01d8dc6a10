"""The deputy's analysis on a hand-computed class, its export, the class teacher's scope and the progress report PDF."""
import html
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

import marks_fixtures as fx
from models import Student, db
from models.analysis import CATEGORY_HEADINGS, class_results, subject_results
from models.disclosure import PdDisclosure
from models.marks_import import apply_import
from models.people import AcademicYear, Term


def seed_marks(teacher_login=None):
    """9А, term marks (Алгебра, Русский язык):
    Q1: Иванов 5, 5 · Петрова 4, 5 · Сидоров 3, 4 · Орлов 2, 4     Q2: Алгебра 5, 5, 4, 3 · Русский 4, 4, 4, н/а
    Current marks in Q1: Иванов 4, 3/5 and «н»; Петрова «Б» and 5 (weight 2). 9Б: Кузнецова 3, 3 in Q1.
    """
    ids = fx.school(teacher_login)
    y0 = ids["y0"]
    orlov = Student(last_name="Орлов", first_name="Олег", birth_date=date(y0 - 15, 1, 1), sex="male",
                    school_class_id=ids["a"])
    db.session.add(orlov)
    db.session.commit()
    ids["orlov"] = orlov.id
    term = [("Иванов Иван", 5, 5, 5, 4), ("Петрова Алёна", 4, 5, 5, 4), ("Сидоров Пётр", 3, 4, 4, 4),
            ("Орлов Олег", 2, 4, 3, "н/а")]
    rows = [("Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид", "Период", "Вес")]
    for name, alg1, rus1, alg2, rus2 in term:
        rows += [(name, "9А", "Алгебра", "", alg1, "четвертная", "1 четверть", ""),
                 (name, "9А", "Русский язык", "", rus1, "четвертная", "1 четверть", ""),
                 (name, "9А", "Алгебра", "", alg2, "четвертная", "2 четверть", ""),
                 (name, "9А", "Русский язык", "", rus2, "четвертная", "2 четверть", "")]
    rows += [("Иванов Иван", "9А", "Алгебра", f"02.09.{y0}", "4", "", "", ""),
             ("Иванов Иван", "9А", "Алгебра", f"03.09.{y0}", "3/5", "", "", ""),
             ("Иванов Иван", "9А", "Алгебра", f"04.09.{y0}", "н", "", "", ""),
             ("Петрова Алёна", "9А", "Алгебра", f"02.09.{y0}", "Б", "", "", ""),
             ("Петрова Алёна", "9А", "Алгебра", f"03.09.{y0}", "5", "", "", "2"),
             ("Кузнецова Мария", "9Б", "Алгебра", "", "3", "четвертная", "1 четверть", ""),
             ("Кузнецова Мария", "9Б", "Русский язык", "", "3", "четвертная", "1 четверть", "")]
    year = db.session.get(AcademicYear, ids["year"])
    apply_import(db.session, fx.xlsx({"Отметки": rows}), original_name="итоги.xlsx", stored_name="seed.xlsx",
                 year=year)
    db.session.commit()
    return ids


def test_pupils_are_grouped_in_the_schools_words(session):
    ids = seed_marks()
    q1 = db.session.get(Term, ids["q1"])
    (nine_a,) = class_results(db.session, q1, [ids["a"]])
    by_id = {s.student_id: s for s in nine_a.students}
    assert [s.name.split()[0] for s in nine_a.students] == ["Иванов", "Орлов", "Петрова", "Сидоров"]
    # Q1: Иванов 5, 5 · Петрова 4, 5 · Сидоров 3, 4 · Орлов 2, 4
    assert (by_id[ids["ivanov"]].average, by_id[ids["ivanov"]].category_text) == (5.0, "отличник")
    assert (by_id[ids["petrova"]].average, by_id[ids["petrova"]].category_text) == (4.5, "с одной «4»")
    assert (by_id[ids["sidorov"]].average, by_id[ids["sidorov"]].category_text) == (3.5, "с одной «3»")
    assert (by_id[ids["orlov"]].average, by_id[ids["orlov"]].category_text) == (3.0, "неуспевающий")
    # «н» and «Б» are not marks: 4, 3, 5 -> 4.0; Петрова's single 5 of weight 2 -> 5.0; each has one absence.
    assert (by_id[ids["ivanov"]].current_average, by_id[ids["ivanov"]].current_marks) == (4.0, 3)
    assert (by_id[ids["petrova"]].current_average, by_id[ids["petrova"]].current_marks) == (5.0, 1)
    assert by_id[ids["ivanov"]].absences == 1 and by_id[ids["petrova"]].absences == 1
    assert nine_a.quality == 50.0 and nine_a.success == 75.0 and nine_a.average == 4.0
    # СОУ: three «5», three «4», one «3», one «2» of 8: (3 + 3·0,64 + 0,36 + 0,16) / 8 = 68 %.
    assert nine_a.sou == 68.0

    strict = class_results(db.session, q1, [ids["a"]], underachiever_mark=3)[0]
    assert [s.name.split()[0] for s in strict.in_category("excellent")] == ["Иванов"]
    assert [s.name.split()[0] for s in strict.underachievers] == ["Орлов", "Сидоров"]


def test_two_fours_make_a_good_pupil_not_one_with_a_single_four():
    from models.analysis import StudentResult, classify

    pupil = StudentResult(1, "Хорошистов", average=4.33, marks=3, lowest=4, counts={5: 1, 4: 2})
    assert classify(pupil) == "good"
    pupil.counts = {5: 2, 4: 1}
    assert classify(pupil) == "one_four"
    pupil.lowest, pupil.counts = 3, {5: 1, 3: 2}
    assert classify(pupil) == ""


def test_subject_averages_and_change_from_previous_term(session):
    ids = seed_marks()
    q2 = db.session.get(Term, ids["q2"])
    rows, previous = subject_results(db.session, q2, [ids["a"]])
    assert previous.id == ids["q1"]
    table = {r.name: (r.average, r.previous, r.change, r.marks) for r in rows}
    # Алгебра (5+5+4+3)/4 = 4.25 against (5+4+3+2)/4 = 3.5; Русский (4+4+4)/3 = 4.0 (н/а skipped) against 4.5.
    assert table == {"Алгебра": (4.25, 3.5, 0.75, 4), "Русский язык": (4.0, 4.5, -0.5, 3)}
    school_wide, _ = subject_results(db.session, db.session.get(Term, ids["q1"]))
    assert {r.name: r.average for r in school_wide} == {"Алгебра": 3.4, "Русский язык": 4.2}


def folded_class(page, name):
    """The address a closed class of the whole-school page loads its pupils from: data-load-base with the query of
    the class's link (static/panel-actions.js)."""
    block = re.search(rf'<details data-testid="class-{name}">.*?</details>', page, re.S).group(0)
    base = re.search(r'data-load-base="([^"]+)"', page).group(1)
    link = html.unescape(re.search(r'<a data-load-query href="([^"]+)"', block).group(1))
    assert link.startswith("/marks/analysis?") and "class_id=" in link
    return base + link[link.index("?"):]


def test_analysis_page_and_export_for_the_deputy(app, login_as):
    panel = login_as("deputy")
    with app.app_context():
        ids = seed_marks()
    page = panel.get(f"/marks/analysis?year={ids['year']}&term={ids['q2']}&class_id={ids['a']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="chart"' in text and "<svg" in text
    assert "+0,75" in text and "-0,50" in text
    page = panel.get(f"/marks/analysis?year={ids['year']}&term={ids['q1']}")
    text = page.get_data(as_text=True)
    assert "50,0 %" in text and "75,0 %" in text
    assert "лидер" not in text.lower()
    # The whole school opens compact: each class folded, its pupils loaded from the class's own address when opened.
    assert "Иванов Иван" not in text and "Кузнецова" not in text
    nine_a = folded_class(text, "9А")
    rows = panel.get(nine_a).get_data(as_text=True)
    for code, name in (("excellent", "Иванов Иван Иванович"), ("one_four", "Петрова Алёна Сергеевна"),
                       ("one_three", "Сидоров Пётр"), ("underachiever", "Орлов Олег")):
        assert f'data-testid="{code}-9А">{name}</span>' in rows, code
    assert "Кузнецова Мария" in panel.get(folded_class(text, "9Б")).get_data(as_text=True)
    # The whole school: one summary row under the classes.
    total = text[text.index('data-testid="school-total"'):].split("</tr>")[0]
    assert ">Всего<" in total and ">5<" in total  # 4 pupils of 9А and 1 of 9Б
    one_class = panel.get(f"/marks/analysis?year={ids['year']}&term={ids['q1']}&class_id={ids['a']}")
    one_class = one_class.get_data(as_text=True)
    assert '<details class="mt-2" data-testid="class-9А" open>' in one_class
    assert 'data-testid="excellent-9А">Иванов Иван Иванович</span>' in one_class

    export = panel.get(f"/marks/analysis.xlsx?year={ids['year']}&term={ids['q1']}")
    assert export.status_code == 200
    assert "filename*=UTF-8''" in export.headers["Content-Disposition"]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export.data))
    classes = {row[0]: row for row in book["Классы"].iter_rows(min_row=2, values_only=True)}
    assert classes["9А"][4:6] == (50.0, 75.0)
    students = {row[1]: row for row in book["Обучающиеся"].iter_rows(min_row=2, values_only=True)}
    assert students["Орлов Олег"][2] == 3.0 and students["Орлов Олег"][8] == "неуспевающий"
    assert students["Петрова Алёна Сергеевна"][8] == "с одной «4»"
    assert classes["9А"][6] == 68.0 and classes["Всего"][1] == 5


def test_class_teacher_sees_only_own_class(app, login_as):
    panel = login_as("class_teacher", login="teacher_9a")
    with app.app_context():
        ids = seed_marks(teacher_login="teacher_9a")
    page = panel.get(f"/marks/analysis?year={ids['year']}&term={ids['q1']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Иванов Иван Иванович" in text and "Кузнецова" not in text and "9Б" not in text
    assert panel.get(f"/marks/analysis?year={ids['year']}&term={ids['q1']}&class_id={ids['b']}").status_code == 403
    assert panel.get(f"/marks/analysis?year={ids['year']}&class_id={ids['a']}").status_code == 200
    assert panel.get(f"/marks/analysis.xlsx?year={ids['year']}").status_code == 403
    assert panel.get(f"/marks/progress/{ids['kuznetsova']}").status_code == 403
    assert panel.get(f"/marks/progress/{ids['ivanov']}").status_code == 200


@pytest.mark.parametrize("role", ["admin", "secretary", "officer"])
def test_roles_without_the_analysis(app, login_as, role):
    assert login_as(role).get("/marks/analysis").status_code == 403


def test_progress_report_pdf_is_recorded_in_the_disclosure_register(app, login_as, tmp_path):
    panel = login_as("deputy")
    with app.app_context():
        ids = seed_marks()
        from models import Guardian, Student

        mother = Guardian(last_name="Иванова", first_name="Мария", middle_name="Петровна", kind="mother",
                          students=[db.session.get(Student, ids["ivanov"])])
        db.session.add(mother)
        db.session.commit()
        mother_key = f"guardian:{mother.id}"
    url = f"/marks/progress/{ids['ivanov']}"
    # A typed stranger is refused, not warned (test_archive_acts covers the other recipients).
    refused = panel.post(url, data={"year": ids["year"], "recipient": "Соседка Иванова", "purpose": "по месту требования"})
    assert refused.status_code == 400
    assert "только законному представителю" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PdDisclosure)) == 0

    response = panel.post(url, data={"year": ids["year"], "recipient": mother_key,
                                     "purpose": "по месту требования"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "progress.pdf").write_bytes(response.data)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "СПРАВКА ОБ УСПЕВАЕМОСТИ" in text
    assert "Дана Иванову Ивану Ивановичу" in " ".join(text.split())
    assert "в том, что он в" in " ".join(text.split())
    assert "Алгебра" in text and "4, 3, 5" in text
    with app.app_context():
        entry = db.session.scalar(select(PdDisclosure))
        assert entry.student_id == ids["ivanov"]
        assert entry.recipient == "Иванова Мария Петровна (законный представитель)"
        assert entry.document_kind == "progress_report"
    register = login_as("director").get("/admin/pd_disclosure/")
    assert register.status_code == 200 and "Иванова Мария Петровна (законный представитель)" in register.get_data(
        as_text=True)
    # Manual entries are for releases outside the panel (test_archive_acts); the administrator makes none.
    assert login_as("admin").get("/admin/pd_disclosure/new/").status_code == 403


def _table(text, name):
    """The rows of a class's pupils table as lists of cell texts."""
    table = re.search(rf'<table[^>]*data-testid="students-{name}".*?</table>', text, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in rows]


def test_a_class_opened_on_the_whole_school_page_shows_the_rows_the_full_page_showed(app, login_as):
    """What a folded class loads is what the page showed for it before folding (every pupil, every figure), and
    what the class's own analysis shows; the summary counted without the pupils' rows is the same summary."""
    panel = login_as("deputy")
    with app.app_context():
        ids = seed_marks()
        q1 = db.session.get(Term, ids["q1"])
        full = class_results(db.session, q1, [ids["a"], ids["b"]])  # the full page's computation, pupils and all
        compact = class_results(db.session, q1, [ids["a"], ids["b"]], pupils=False)
        for one, other in zip(full, compact):
            assert (one.name, len(one.students), one.quality, one.success, one.sou, one.average) == \
                (other.name, len(other.students), other.quality, other.success, other.sou, other.average)
            assert [len(one.in_category(c)) for c in CATEGORY_HEADINGS] == \
                [len(other.in_category(c)) for c in CATEGORY_HEADINGS]
    page = panel.get(f"/marks/analysis?year={ids['year']}&term={ids['q1']}").get_data(as_text=True)
    for result in full:
        loaded = panel.get(folded_class(page, result.name))
        assert loaded.status_code == 200
        rows = _table(loaded.get_data(as_text=True), result.name)
        assert [row[0] for row in rows] == [s.name for s in result.students]
        expected = [[s.name, "—" if s.average is None else f"{s.average:.2f}".replace(".", ","), str(s.marks),
                     str(s.lowest or "—"),
                     "—" if s.current_average is None else f"{s.current_average:.2f}".replace(".", ","),
                     str(s.absences)] for s in result.students]
        assert [row[:6] for row in rows] == expected
        own_page = panel.get(f"/marks/analysis?year={ids['year']}&term={ids['q1']}&class_id={result.class_id}")
        assert _table(own_page.get_data(as_text=True), result.name) == rows
    # Иванов's row as a deputy reads it: term average 5,00, current 4,00 over three marks, one absence.
    nine_a = _table(panel.get(folded_class(page, "9А")).get_data(as_text=True), "9А")
    assert nine_a[0][:7] == ["Иванов Иван Иванович", "5,00", "2", "5", "4,00", "1", "отличник"]


def test_a_folded_class_is_loaded_within_the_users_scope(app, login_as):
    panel = login_as("class_teacher", login="teacher_9a")
    with app.app_context():
        ids = seed_marks(teacher_login="teacher_9a")
    query = f"year={ids['year']}&term={ids['q1']}"
    own = panel.get(f"/marks/analysis/class?{query}&class_id={ids['a']}")
    assert own.status_code == 200 and "Иванов Иван Иванович" in own.get_data(as_text=True)
    assert panel.get(f"/marks/analysis/class?{query}&class_id={ids['b']}").status_code == 403
    assert panel.get(f"/marks/analysis/class?{query}").status_code == 404
    assert panel.get(f"/marks/analysis/class?{query}&class_id=999999").status_code == 403
    assert panel.get(f"/marks/analysis/class?{query}&class_id=abc").status_code == 404


@pytest.mark.parametrize("role", ["admin", "secretary", "officer"])
def test_roles_without_the_analysis_get_no_class_rows(app, login_as, role):
    assert login_as(role).get("/marks/analysis/class?class_id=1").status_code == 403

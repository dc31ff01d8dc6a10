"""Attestats by the law: final marks (приказ № 546 п. 5.3, 5.4), the ГИА (273-ФЗ ст. 60 ч. 12), honours (№ 546
п. 3, 4) and medals (приказ № 730), through the rules, the workflow and the pages."""
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

import issuance_seed as seed
from models import AuditLog, SchoolClass, Student, db
from models.attestation import AwardCriterion, CurriculumSubject, award_check, curriculum_errors, round_half_up
from models.issuance import CertificateBookEntry, CertificateMark, IssuanceError, issuance_grid, register_class

TODAY = date.today()
ORDER = {"order_number": "45-в", "order_date": TODAY - timedelta(days=2), "issued_on": TODAY}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def ids(app, session):
    return seed.everything()


def grid_of(class_id):
    klass = db.session.get(SchoolClass, class_id)
    items, results = issuance_grid(db.session, klass)
    names = {i.subject_id: i.subject.name for i in items}
    return {r.student.last_name: (r, {names[k]: v for k, v in r.marks.items()}) for r in results}


@pytest.mark.parametrize("marks, expected", [
    ([4, 5], 5),              # 4,5 → 5: x.5 goes up (Python's round(4.5) would give 4)
    ([3, 4], 4),              # 3,5 → 4
    ([2, 3], 3),              # 2,5 → 3
    ([4, 4], 4),
    ([5, 4, 4, 4, 5, 5], 5),  # СОО: 4,5 → 5
    ([4, 4, 4, 5, 5, 4], 4),  # 4,33 → 4
    ([3, 3, 4, 3, 3, 4], 3),  # 3,33 → 3
])
def test_rounding_by_the_rules_of_arithmetic_546_p5_3_p5_4(marks, expected):
    assert round_half_up(marks) == expected


def test_ooo_final_marks_mean_of_year_and_exam_546_p5_3(session, ids):
    grid = grid_of(ids["class"])
    for last_name, expected in seed.EXPECTED.items():
        assert {k: v.value for k, v in grid[last_name][1].items()} == expected, last_name
    ivanov = grid["Иванов"][1]
    assert ivanov["Русский язык"].basis == "год 4, экзамен 5 → 5"
    assert ivanov["История"].basis == "год 3, экзамен 4 → 4"       # 3,5 → 4
    assert ivanov["Биология"].basis == "год 4, экзамен 3 → 4"      # 3,5 → 4


def test_subject_ended_in_7th_grade_takes_that_years_mark_546_p5_3(session, ids):
    grid = grid_of(ids["class"])
    izo = grid["Иванов"][1]["Изобразительное искусство"]
    assert (izo.value, izo.basis) == ("4", "год (7 кл.) 4")
    # Without the 7th grade's mark in the personal file the cell is empty and says why.
    klass, pupils = seed.graduating_class(letter="Б", file_prefix="b", pupils=[
        ("Безизо", "Ян", None, date(2010, 1, 1), dict(seed.PUPILS[0][4]), dict(seed.PUPILS[0][5]), None)])
    cell = grid_of(klass.id)["Безизо"][1]["Изобразительное искусство"]
    assert cell.value is None and cell.problem == "нет годовой отметки за 7 класс в личном деле"


def test_primary_subjects_and_grades_outside_the_level_never_enter_the_curriculum(session, ids):
    subject = seed.subjects()["Русский язык"]
    assert "уровень" in curriculum_errors(session, level="primary", subject_id=subject.id, last_grade=4,
                                          result_kind="mark")["level"].lower()
    assert "от 5 до 9" in curriculum_errors(session, level="basic", subject_id=subject.id, last_grade=4,
                                            result_kind="mark")["last_grade"]
    assert "уже есть" in curriculum_errors(session, level="basic", subject_id=subject.id, last_grade=9,
                                           result_kind="mark")["subject"]


def test_curriculum_register_refuses_a_4th_grade_subject_posted_directly(app, ids, login_as):
    deputy = login_as("deputy")
    with app.app_context():
        subject_id = seed.subjects()["Биология"].id
        before = count(CurriculumSubject)
        db.session.commit()
    response = deputy.post("/admin/curriculum_subject/new/", data={
        "level": "basic", "position": "30", "subject": str(subject_id), "last_grade": "4", "result_kind": "mark"})
    assert response.status_code == 200
    assert "Класс окончания изучения для ООО — от 5 до 9" in response.get_data(as_text=True)
    with app.app_context():
        assert count(CurriculumSubject) == before
    assert login_as("officer").post("/admin/curriculum_subject/new/", data={}).status_code == 403


def test_zachteno_and_izucheno_are_printed_as_such_546(session, ids):
    subjects = seed.subjects()
    row = session.scalar(select(CurriculumSubject).where(CurriculumSubject.subject_id == subjects["Биология"].id,
                                                         CurriculumSubject.level == "basic"))
    row.result_kind = "pass"
    izo = session.scalar(select(CurriculumSubject).where(
        CurriculumSubject.subject_id == subjects["Изобразительное искусство"].id))
    izo.result_kind = "studied"
    klass, pupils = seed.graduating_class(letter="З", file_prefix="z", pupils=[
        ("Зачётов", "Ян", None, date(2010, 1, 1), {**seed.PUPILS[0][4], "Биология": "зачтено"},
         dict(seed.PUPILS[0][5]), "5")])
    cells = grid_of(klass.id)["Зачётов"][1]
    assert cells["Биология"].value == "зачтено" and cells["Изобразительное искусство"].value == "изучено"
    # Among the others, the first pupil's «5» in biology is not «зачтено»: the cell says so.
    assert "а не «зачтено»" in grid_of(ids["class"])["Ёлкина"][1]["Биология"].problem


@pytest.mark.parametrize("case, exams, problem", [
    ("mathematics below the minimum", {"Математика": "2"}, "ОГЭ математика — 2 (минимум 3)"),
    ("a chosen exam failed", {"Биология": "2"}, "ОГЭ биология — 2 (минимум 3)"),
    ("no Russian exam", {"Русский язык": None}, "нет результата ГИА по предмету «Русский язык»"),
    ("one chosen exam only", {"Биология": None}, "сдано предметов по выбору: 1 из 2"),
])
def test_failed_gia_gets_a_study_certificate_not_an_attestat_273fz_st60_ch12(app, ids, login_as, case, exams,
                                                                             problem):
    with app.app_context():
        results = {k: v for k, v in {**seed.PUPILS[0][5], **exams}.items() if v is not None}
        klass, pupils = seed.graduating_class(letter="Н", file_prefix="n", pupils=[
            ("Несдавшая", "Оля", None, date(2010, 1, 1), dict(seed.PUPILS[0][4]), results, "5")])
        db.session.commit()
        result = grid_of(klass.id)["Несдавшая"][0]
        assert not result.gia_ok and problem in "; ".join(result.gia_problems)
        with pytest.raises(IssuanceError) as error:
            register_class(db.session, book_id=ids["book"], class_id=klass.id, **ORDER, graduates_data=[{
                "student_id": pupils[0].id, "blank_number": seed.blank(30), "appendix_number": seed.blank(30, "03225"),
                "recipient": {"kind": "graduate"}}])
        assert "ГИА не пройдена" in str(error.value) and "справка об обучении" in str(error.value)
        db.session.rollback()
        assert count(CertificateBookEntry) == 0
        class_id = klass.id
    page = login_as("officer").get(f"/admin/issuance/?book_id={ids['book']}&class_id={class_id}")
    text = page.get_data(as_text=True)
    assert "ГИА не пройдена" in text and problem in text and "справка об обучении" in text
    # The справка is offered to her right there: she is the study form's candidate.
    assert re.search(r'<option value="\d+">Несдавшая Оля</option>', text)


def test_honours_refused_by_one_four_and_granted_to_all_fives_546_p3(session, ids):
    grid = grid_of(ids["class"])
    assert grid["Ёлкина"][0].honours
    assert not grid["Иванов"][0].honours and "итоговых отметок «4»: 3" in grid["Иванов"][0].honours_reason
    criterion = session.scalar(select(AwardCriterion).where(AwardCriterion.code == "honours_basic"))
    assert award_check(criterion, ["5", "5", "зачтено"], True) == (True, "")
    assert award_check(criterion, ["5", "5", "4"], True)[0] is False
    assert award_check(criterion, ["5", "5", "5"], False) == (False, "ГИА не пройдена")
    klass = session.get(SchoolClass, ids["class"])
    rows = seed.rows(klass, [session.get(Student, i) for i in ids["students"]], honours={ids["students"][1]})
    with pytest.raises(IssuanceError) as error:
        register_class(session, book_id=ids["book"], class_id=ids["class"], **ORDER, graduates_data=rows)
    assert "аттестат с отличием не положен: итоговых отметок «4»: 3" in str(error.value)


def test_a_changed_mark_needs_a_reason_which_is_kept_and_audited(session, ids):
    klass = session.get(SchoolClass, ids["class"])
    pupils = [session.get(Student, i) for i in ids["students"]]
    rows = seed.rows(klass, pupils)
    history = seed.subjects()["История"].id
    rows[1]["marks"][history] = "5"   # computed «4» (год 3, экзамен 4 → 4)
    with pytest.raises(IssuanceError) as error:
        register_class(session, book_id=ids["book"], class_id=ids["class"], **ORDER, graduates_data=rows)
    assert "по предмету «История» рассчитана отметка «4» (год 3, экзамен 4 → 4)" in str(error.value)
    assert "укажите причину исправления" in str(error.value)
    session.rollback()
    rows = seed.rows(klass, pupils)
    rows[1]["marks"][history] = "5"
    rows[1]["reasons"] = {history: "апелляция: экзаменационная отметка изменена на «5», протокол № 12"}
    register_class(session, book_id=ids["book"], class_id=ids["class"], **ORDER, graduates_data=rows)
    session.commit()
    mark = session.scalar(select(CertificateMark).join(CertificateBookEntry).where(
        CertificateBookEntry.last_name == "Иванов", CertificateMark.subject_id == history))
    assert (mark.value, mark.computed_value, mark.basis) == ("5", "4", "год 3, экзамен 4 → 4")
    assert mark.override_reason.startswith("апелляция")
    assert session.scalar(select(func.count(AuditLog.id)).where(AuditLog.table_name == "certificate_mark")) >= 1


def _medal_class(session, ids):
    five = ((5, 5, 5), (5, 5, 5))
    pupils = [
        ("Золотов", "Антон", {"Русский язык": five, "Математика": five, "История": five, "Биология": five},
         {("ege", "Русский язык"): 80, ("ege", "Математика"): 72, ("ege", "История"): 75}),
        ("Серебров", "Борис", {"Русский язык": five, "Математика": five, "История": ((4, 4, 4), (5, 5, 4)),
                               "Биология": ((4, 4, 4), (4, 5, 5))},
         {("ege", "Русский язык"): 65, ("ege", "Математика"): 62}),
        ("Баллов", "Вадим", {"Русский язык": five, "Математика": five, "История": five,
                             "Биология": ((5, 4, 4), (4, 5, 5))},
         {("ege", "Русский язык"): 65, ("ege", "История"): 90, ("ege", "Математика"): 80}),
        ("Базов", "Глеб", {"Русский язык": five, "Математика": five, "История": five, "Биология": five},
         {("ege", "Русский язык"): 75, ("ege_base", "Математика"): 5}),
        ("Недобор", "Дмитрий", {"Русский язык": five, "Математика": five, "История": five, "Биология": five},
         {("ege", "Русский язык"): 75, ("ege", "Математика"): 20}),
    ]
    klass, students = seed.secondary_class(pupils)
    basic_book = ids["book"]
    for number, pupil in enumerate(students[:4], 1):
        seed.basic_attestat(pupil, ["5"] * 8, basic_book, number=100 + number)
    return klass, students


@pytest.mark.parametrize("last_name, medal, note", [
    ("Золотов", 1, ""),
    ("Серебров", 2, "I степени: итоговых отметок «4»: 2"),
    ("Баллов", 2, "I степени: ЕГЭ по русскому языку 65 (нужно ≥ 70)"),
    ("Базов", 1, ""),                                  # Russian and base mathematics «5» only
    ("Недобор", None, "ГИА не пройдена"),
])
def test_medal_I_vs_II_by_prikaz_730(session, ids, last_name, medal, note):
    klass, _ = _medal_class(session, ids)
    result, marks = grid_of(klass.id)[last_name]
    assert result.medal == medal, result.medal_reason
    assert note in result.medal_reason


def test_soo_final_marks_average_half_years_and_years_546_p5_4(session, ids):
    klass, _ = _medal_class(session, ids)
    grid = grid_of(klass.id)
    biology = grid["Баллов"][1]["Биология"]
    assert (biology.value, biology.basis) == ("5", "10 кл.: 5, 4, год 4; 11 кл.: 4, 5, год 5 → 5")
    history = grid["Серебров"][1]["История"]
    assert (history.value, history.basis) == ("4", "10 кл.: 4, 4, год 4; 11 кл.: 5, 5, год 4 → 4")


def test_medal_without_the_ooo_attestat_with_honours_is_not_first_degree(session, ids):
    klass, students = _medal_class(session, ids)
    entry = session.scalar(select(CertificateBookEntry).where(CertificateBookEntry.student_id == students[0].id))
    entry.marks[0].value = "4"
    session.flush()
    result = grid_of(klass.id)["Золотов"][0]
    assert result.medal == 2 and "итоговые отметки аттестата ООО не отвечают условию" in result.medal_reason


def test_medals_are_numbered_in_the_medal_book_and_a_wrong_degree_is_refused_730(session, ids, login_as):
    from models.attestation import MedalEntry
    from models.issuance import BlankReceipt

    klass, students = _medal_class(session, ids)
    soo_book = seed.book(level="secondary", number="СОО-1")
    for kind, low in (("certificate", "03226000000001"), ("appendix", "03227000000001")):
        session.add(BlankReceipt(blank_kind=kind, level="secondary", series="", number_from=low,
                                 number_to=low[:-2] + "40", received_on=date(2024, 5, 1), received_from="РУО"))
    session.commit()
    class_id, pupils = klass.id, [s.id for s in students]

    def row(index, medal, honours=False):
        return {"student_id": pupils[index], "medal": medal, "honours": honours,
                "blank_number": f"032260000000{index + 1:02d}", "appendix_number": f"032270000000{index + 1:02d}",
                "recipient": {"kind": "graduate"}}

    args = dict(ORDER, book_id=soo_book.id, class_id=class_id)
    with pytest.raises(IssuanceError) as error:
        register_class(session, **args, graduates_data=[row(0, 1)])
    assert "Нет открытой книги учёта выдачи медалей" in str(error.value)
    session.rollback()
    seed.book(level=None, number="М-1", code="medal_book")
    session.commit()
    with pytest.raises(IssuanceError) as error:
        register_class(session, **args, graduates_data=[row(1, 1)])
    assert "медаль I степени не положена: I степени: итоговых отметок «4»: 2" in str(error.value)
    session.rollback()
    register_class(session, **args, graduates_data=[row(0, 1, honours=True), row(1, 2)])
    session.commit()
    medals = session.scalars(select(MedalEntry).order_by(MedalEntry.reg_number)).all()
    assert [(m.reg_number, m.last_name, m.degree) for m in medals] == [(1, "Золотов", 1), (2, "Серебров", 2)]
    assert medals[0].certificate_entry.honours and medals[0].student.medals == [medals[0]]
    book_id = medals[0].book_id
    # Annulling the attestat annuls its medal's line too; the line keeps its number.
    from models.issuance import annul_entry
    annul_entry(session, entry_id=medals[1].certificate_entry_id, reason="ошибка в отметках")
    session.commit()
    session.refresh(medals[1])
    assert medals[1].annulled and medals[1].reg_number == 2 and "ошибка в отметках" in medals[1].annul_reason
    from pypdf import PdfReader
    pdf = login_as("officer").get(f"/admin/issuance/medal_book.pdf?book_id={book_id}")
    text = "".join(page.extract_text() for page in PdfReader(io_bytes(pdf.data)).pages)
    assert "Книга учёта выдачи медалей" in text and "Золотов Антон" in text and "I степени" in text
    assert "Серебров Борис" in text and "II степени" in text


def _form_inputs(html):
    """The register form's fields as a browser would send them untouched."""

    class Form(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.data, self.select = False, [], None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "form":
                self.inside = attrs.get("data-testid") == "register-form"
            if not self.inside:
                return
            if tag == "input" and attrs.get("name"):
                if attrs.get("type") == "checkbox":
                    if "checked" in attrs:
                        self.data.append((attrs["name"], attrs.get("value", "on")))
                else:
                    self.data.append((attrs["name"], attrs.get("value", "")))
            elif tag == "select":
                self.select = [attrs.get("name"), None, None]
            elif tag == "option" and self.select is not None:
                if self.select[2] is None:
                    self.select[2] = attrs.get("value", "")
                if "selected" in attrs:
                    self.select[1] = attrs.get("value", "")

        def handle_endtag(self, tag):
            if tag == "select" and self.select is not None:
                name, chosen, first = self.select
                self.data.append((name, chosen if chosen is not None else first))
                self.select = None
            if tag == "form":
                self.inside = False

    parser = Form()
    parser.feed(html)
    return parser.data


def test_officer_issues_a_class_without_typing_anything(app, ids, login_as):
    officer = login_as("officer")
    with app.app_context():
        from models import Order
        db.session.add(Order(number="77-о", issued_on=TODAY - timedelta(days=1), kind="issuance",
                             title="О выдаче аттестатов"))
        db.session.commit()
    page = officer.get(f"/admin/issuance/?book_id={ids['book']}&class_id={ids['class']}").get_data(as_text=True)
    assert "год 4, экзамен 5 → 5" in page and "год (7 кл.) 4" in page
    data = _form_inputs(page)
    assert ("order_number", "77-о") in data and ("bn_%d" % ids["students"][0], seed.blank(1)) in data
    response = officer.post("/admin/issuance/register", data=data)
    assert response.status_code == 302, re.findall(r"<li>(.*?)</li>", response.get_data(as_text=True))
    with app.app_context():
        entries = db.session.scalars(select(CertificateBookEntry).order_by(CertificateBookEntry.reg_number)).all()
        assert [(e.last_name, e.honours, e.order_number) for e in entries] == [
            ("Ёлкина", True, "77-о"), ("Иванов", False, "77-о"), ("Щукин", False, "77-о")]
        assert {m.subject_name: m.value for m in entries[1].marks} == seed.EXPECTED["Иванов"]


@pytest.mark.parametrize("value, message", [
    ("112-233-445 95", None),
    ("11223344595", None),
    ("001-001-998 00", None),           # at or below 001-001-998 no checksum applies
    ("112-233-445 96", "контрольного числа"),
    ("112-233-44", "11 цифр"),
    ("СНИЛС", "11 цифр"),
])
def test_snils_checksum_for_frdo(value, message):
    from models.issuance import snils_error

    error = snils_error(value)
    assert (error is None) if message is None else (message in error), error


def test_frdo_duplicate_of_a_2015_attestat_says_2015_with_snils_state_and_disclosure(app, ids, login_as):
    from openpyxl import load_workbook

    from models import PdDisclosure
    from models.issuance import issue_duplicate

    with app.app_context():
        old_year = seed.past_year(TODAY.year - 2014 if TODAY.month >= 9 else TODAY.year - 2015)
        assert old_year.name == "2014/2015"
        pupil = db.session.get(Student, ids["students"][1])
        original = CertificateBookEntry(book_id=ids["book"], reg_number=1, level="basic", student_id=pupil.id,
                                        academic_year_id=old_year.id, last_name="Иванов", first_name="Пётр",
                                        birth_date=pupil.birth_date, blank_number="03224000009001",
                                        issued_on=date(2015, 6, 25))
        db.session.add(original)
        db.session.flush()
        duplicate = issue_duplicate(db.session, original_id=original.id, reason="error", blank_series="",
                                    blank_number=seed.blank(5), appendix_series="",
                                    appendix_number=seed.blank(5, "03225"), **ORDER, recipient={"kind": "graduate"})
        db.session.commit()
        entry_id = duplicate.id
    officer = login_as("officer")
    bad = officer.post("/admin/issuance/frdo/details", data={"entry_id": entry_id, "snils": "112-233-445 96",
                                                             "citizenship": "643"})
    assert bad.status_code == 200 and "контрольного числа" in bad.get_data(as_text=True)
    assert officer.post("/admin/issuance/frdo/details", data={"entry_id": entry_id, "snils": "11223344595",
                                                              "citizenship": "643"}).status_code == 302
    assert login_as("director").get("/admin/issuance/frdo.xlsx").status_code == 403
    response = officer.get("/admin/issuance/frdo.xlsx")
    rows = list(load_workbook(io_bytes(response.data)).active.iter_rows(values_only=True))
    line = dict(zip(rows[0], rows[1]))
    assert (line["Вид документа"], line["Год окончания"], line["Номер оригинала"]) == ("Дубликат", "2015",
                                                                                        "03224000009001")
    assert (line["СНИЛС"], line["Гражданство (код ОКСМ)"], line["Подтверждение обмена"]) == (
        "112-233-445 95", "643", "Да")
    assert line["Передано в ФИС ФРДО"] == "не передано"
    with app.app_context():
        assert db.session.scalar(select(func.count(PdDisclosure.id)).where(
            PdDisclosure.document_kind == "frdo_export")) == 1
    assert officer.post("/admin/issuance/frdo/sent", data={"sent_on": TODAY.isoformat()}).status_code == 302
    rows = list(load_workbook(io_bytes(officer.get("/admin/issuance/frdo.xlsx").data)).active.iter_rows(
        values_only=True))
    assert dict(zip(rows[0], rows[1]))["Передано в ФИС ФРДО"] == f"передано {TODAY:%d.%m.%Y}"


def io_bytes(data):
    import io

    return io.BytesIO(data)


def test_secretary_issues_a_study_certificate_with_the_current_years_term_marks_273fz_st60_ch12(app, ids,
                                                                                                  login_as):
    from pypdf import PdfReader

    from models import Mark, Term
    from models.people import current_year

    with app.app_context():
        year = current_year(db.session)
        pupil = db.session.get(Student, ids["students"][2])
        factories_class = pupil.school_class
        # A pupil of the 8th grade leaving in November: no annual mark of this year yet, the 1st quarter's only.
        from models.registers import AnnualMark
        db.session.execute(AnnualMark.__table__.delete().where(AnnualMark.academic_year_id == year.id))
        term = Term(academic_year_id=year.id, kind="quarter", number=1, starts_on=year.starts_on,
                    ends_on=year.starts_on + timedelta(days=55))
        db.session.add(term)
        db.session.flush()
        subject = seed.subjects()["История"]
        db.session.add(Mark(student_id=pupil.id, subject_id=subject.id, school_class_id=factories_class.id,
                            kind="term", marked_on=term.ends_on, slot=0, term_id=term.id, value=4))
        db.session.commit()
        pupil_id, year_name = pupil.id, year.name
    secretary = login_as("secretary")
    response = secretary.post("/admin/issuance/study", data={
        "study_book_id": ids["study_book"], "student_id": pupil_id, "studied_from": "2016-09-01",
        "studied_to": TODAY.isoformat(), "issued_on": TODAY.isoformat(), "rk": "guardian", "rn": "Щукина Мария"})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with app.app_context():
        entry = db.session.scalar(select(CertificateBookEntry).where(
            CertificateBookEntry.entry_kind == "study_certificate"))
        entry_id = entry.id
        assert [(m.year_name, m.subject_name, m.value) for m in entry.marks if m.year_name.startswith(year_name)] == [
            (f"{year_name}, 1 четверть", "История", "4")]
    pdf = secretary.get(f"/admin/issuance/study.pdf?entry_id={entry_id}")
    text = "".join(page.extract_text() for page in PdfReader(io_bytes(pdf.data)).pages)
    assert "1 четверть" in text and "текущий учебный год" in text and "История" in text
    assert "Изобразительное искусство" in text  # the 7th grade's annual mark from the personal file


def test_book_pages_close_each_class_with_a_certification_and_number_continuously(app, ids, login_as):
    from pypdf import PdfReader

    with app.app_context():
        klass = db.session.get(SchoolClass, ids["class"])
        teacher = seed.factories.user("ktr", ["class_teacher"], full_name="Классная Ирина Петровна")
        klass.class_teacher = teacher
        register_class(db.session, book_id=ids["book"], class_id=ids["class"], **ORDER,
                       graduates_data=seed.rows(klass, [db.session.get(Student, i) for i in ids["students"]]))
        other, pupils = seed.graduating_class(letter="Б", file_prefix="b")
        register_class(db.session, book_id=ids["book"], class_id=other.id, **ORDER,
                       graduates_data=seed.rows(other, pupils, start=4))
        db.session.commit()
        other_id = other.id
    officer = login_as("officer")

    def text_of(class_id):
        data = officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}&class_id={class_id}").data
        return [page.extract_text() for page in PdfReader(io_bytes(data)).pages]

    first = text_of(ids["class"])
    assert len(first) == 1 and "стр. 1" in first[0]
    assert "Записи № 1–3 (класс 9А" in first[0] and "Классный руководитель" in first[0]
    assert "Классная Ирина Петровна" in first[0] and "Директор" in first[0] and "М.П." in first[0]
    second = text_of(other_id)
    # The second class starts on the book's 2nd page, not on «стр. 1» of its own print.
    assert "стр. 2" in second[0] and "стр. 1" not in second[0] and "Записи № 4–6 (класс 9Б" in second[0]


def test_duplicate_of_the_appendix_alone_takes_only_an_appendix_blank(session, ids):
    from models.issuance import issue_duplicate

    klass = session.get(SchoolClass, ids["class"])
    entries = register_class(session, book_id=ids["book"], class_id=ids["class"], **ORDER,
                             graduates_data=seed.rows(klass, [session.get(Student, i) for i in ids["students"]]))
    session.commit()
    with pytest.raises(IssuanceError) as error:
        issue_duplicate(session, original_id=entries[0].id, reason="name_change", blank_series="", blank_number="",
                        appendix_series="", appendix_number=seed.blank(10, "03225"), **ORDER,
                        recipient={"kind": "graduate"}, new_names={"last_name": "Новая"}, appendix_only=True)
    assert "вместе с приложением" in error.value.errors["reason"]
    session.rollback()
    duplicate = issue_duplicate(session, original_id=entries[0].id, reason="damaged", blank_series="",
                                blank_number="", appendix_series="", appendix_number=seed.blank(10, "03225"),
                                **ORDER, recipient={"kind": "graduate"}, appendix_only=True)
    session.commit()
    assert (duplicate.entry_kind, duplicate.blank_number, duplicate.appendix_number, duplicate.reg_number) == (
        "duplicate_appendix", None, seed.blank(10, "03225"), 4)
    assert [m.value for m in duplicate.marks] == [m.value for m in entries[0].marks]


def test_spoiled_blanks_are_written_off_by_a_printed_act(app, ids, login_as):
    from pypdf import PdfReader

    officer = login_as("officer")
    for number in (20, 21):
        response = officer.post("/admin/issuance/spoiled", data={
            "blank_kind": "certificate", "level": "basic", "series": "", "number": seed.blank(number),
            "spoiled_on": TODAY.isoformat(), "reason": "ошибка при печати"})
        assert response.status_code == 302
    response = officer.post("/admin/issuance/spoiled/write_off", data={"act_number": "", "act_date": ""})
    assert response.status_code == 200 and "Укажите номер акта" in response.get_data(as_text=True)
    response = officer.post("/admin/issuance/spoiled/write_off", data={"act_number": "3-с",
                                                                       "act_date": TODAY.isoformat()})
    assert response.status_code == 302
    again = officer.post("/admin/issuance/spoiled/write_off", data={"act_number": "4-с",
                                                                    "act_date": TODAY.isoformat()})
    assert "Нет испорченных бланков, не списанных актом" in again.get_data(as_text=True)
    pdf = officer.get("/admin/issuance/spoiled/act.pdf?act=3-с")
    text = "".join(page.extract_text() for page in PdfReader(io_bytes(pdf.data)).pages)
    assert "АКТ № 3-с" in text and "о списании испорченных бланков" in text
    assert seed.blank(20) in text and seed.blank(21) in text and "Итого списано бланков: 2" in text
    assert login_as("director").post("/admin/issuance/spoiled/write_off", data={
        "act_number": "5-с", "act_date": TODAY.isoformat()}).status_code == 403


def test_gia_minimum_and_award_criterion_registers_refuse_bad_figures_posted_directly(app, ids, login_as):
    from models.attestation import GiaMinimum

    deputy = login_as("deputy")
    with app.app_context():
        before = count(GiaMinimum)
        criterion = db.session.scalar(select(AwardCriterion).where(AwardCriterion.code == "medal_1"))
        criterion_id, version = criterion.id, criterion.version
    response = deputy.post("/admin/gia_minimum/new/", data={"exam": "oge", "scale": "mark", "minimum": "7"})
    assert response.status_code == 200 and "Минимум — отметка от 2 до 5" in response.get_data(as_text=True)
    response = deputy.post("/admin/gia_minimum/new/", data={"exam": "oge", "scale": "mark", "minimum": "3"})
    assert response.status_code == 200 and "уже задан" in response.get_data(as_text=True)
    with app.app_context():
        assert count(GiaMinimum) == before
    response = deputy.post(f"/admin/award_criterion/edit/?id={criterion_id}", data={
        "max_good": "0", "russian_min": "170", "other_min": "70", "base_math_mark": "5", "active": "y",
        "loaded_version": str(version)})
    assert response.status_code == 200 and "вне допустимого диапазона 0–100" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AwardCriterion, criterion_id).russian_min == 70
    assert login_as("officer").post(f"/admin/award_criterion/edit/?id={criterion_id}",
                                    data={"max_good": "5"}).status_code == 403


def test_seed_curriculum_command_fills_the_usual_plan_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-curriculum"])
    assert first.exit_code == 0 and "добавлено предметов 32" in first.output, first.output
    again = runner.invoke(args=["seed-curriculum"])
    assert "добавлено предметов 0; минимальных результатов ГИА 0" in again.output
    with app.app_context():
        izo = db.session.scalar(select(CurriculumSubject).join(CurriculumSubject.subject).where(
            CurriculumSubject.level == "basic", CurriculumSubject.subject.has(name="Изобразительное искусство")))
        assert izo.last_grade == 7
        assert db.session.scalar(select(func.count(CurriculumSubject.id)).where(
            CurriculumSubject.subject.has(name="Окружающий мир"))) == 0


def test_the_medal_is_on_the_pupils_card_730(app, login_as):
    """The medal on the pupil's record (приказ № 730): the pupil's card lists it with its line of the medal book."""
    import factories
    from models import Student
    from models.attestation import MedalEntry

    director = login_as("director")
    with app.app_context():
        records = factories.seed_everything()
        medal = records[MedalEntry]
        pupil_id, medal_id, number = medal.student_id, medal.id, medal.reg_number
        assert db.session.get(Student, pupil_id) is not None
    card = director.get(f"/admin/student/details/?id={pupil_id}").get_data(as_text=True)
    assert f"медаль I степени, рег. № {number} книги учёта" in card
    assert f'href="/admin/medal_entry/details/?id={medal_id}"' in card

"""Look-ups as you type: students by the words of the ФИО, portfolios by their student; no form lists them all."""
import json
from datetime import date

from sqlalchemy import func, select

import factories
from models import CarrierKind, ExamProtocol, ExamResult, Portfolio, PortfolioItem


def _kind(session, code):
    return session.scalar(select(CarrierKind).where(CarrierKind.code == code))


def _names(panel, url):
    response = panel.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [label for _id, label in json.loads(response.get_data(as_text=True))]


def _pupils(session):
    klass = factories.school_class(grade=5, letter="А")
    found = factories.student("Иванов", "Пётр", klass=klass, birth_date=date(2014, 3, 5))
    factories.student("Иванова", "Мария", klass=klass, birth_date=date(2014, 7, 1), sex="female")
    factories.student("Петров", "Иван", klass=klass, birth_date=date(2013, 11, 20))
    session.commit()
    return found


def test_student_lookup_takes_the_words_in_any_order_and_case(app, login_as, session):
    _pupils(session)
    panel = login_as("secretary")
    lookup = "/admin/personal_file/ajax/lookup/?name=student&query="
    # Namesakes are told apart by birth date and class.
    assert _names(panel, lookup + "пётр иванов") == ["Иванов Пётр Сергеевич (05.03.2014, 5А)"]
    assert _names(panel, lookup + "ПЕТР Иванов") == ["Иванов Пётр Сергеевич (05.03.2014, 5А)"]  # «е» finds «ё»
    assert [n.split(" (")[0] for n in _names(panel, lookup + "иванов")] == [
        "Иванов Пётр Сергеевич", "Иванова Мария Сергеевич"]
    assert _names(panel, lookup + "Сидоров") == []
    assert _names(panel, lookup + "%25") == []  # a typed wildcard is a plain character
    assert _names(panel, "/admin/personal_file/ajax/lookup/?name=student&query=+") == []
    many = _names(panel, lookup + "ива&limit=100000")  # a request cannot ask for the whole school
    assert len(many) == 3


def test_exam_protocol_looks_its_students_up_and_saves_a_result(app, login_as, session):
    pupil = _pupils(session)
    panel = login_as("secretary")
    form = panel.get("/admin/gia_protocol/new/").get_data(as_text=True)
    # The row of a result asks the server as you type instead of carrying every student of the school.
    assert "Иванов Пётр" not in form and "Петров Иван" not in form
    assert "examresult-student" in form
    assert _names(panel, "/admin/gia_protocol/ajax/lookup/?name=examresult-student&query=петров") == [
        "Петров Иван Сергеевич (20.11.2013, 5А)"]

    response = panel.post("/admin/gia_protocol/new/", {
        "kind": str(_kind(session, "gia_protocol").id), "exam": "oge", "status": "kept", "event_on": "03.06.2025",
        "results-0-student": str(pupil.id), "results-0-primary_score": "21", "results-0-mark": "4"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    session.expire_all()
    protocol = session.scalar(select(ExamProtocol))
    assert [(r.student_id, r.mark) for r in protocol.results] == [(pupil.id, "4")]
    assert session.scalar(select(func.count(ExamResult.id))) == 1


def test_portfolio_item_finds_its_portfolio_by_the_student(app, login_as, session):
    pupil = _pupils(session)
    portfolio = Portfolio(kind=_kind(session, "portfolio"), student=pupil, title="Портфолио 5А",
                          created_on=date(2025, 9, 1))
    session.add(portfolio)
    session.commit()
    panel = login_as("secretary")
    form = panel.get("/admin/portfolio_item/new/").get_data(as_text=True)
    assert "Портфолио 5А" not in form  # no list of every portfolio of the district
    assert _names(panel, "/admin/portfolio_item/ajax/lookup/?name=portfolio&query=иванов пётр") == [
        "Портфолио 5А, Иванов Пётр Сергеевич (05.03.2014, 5А)"]
    assert _names(panel, "/admin/portfolio_item/ajax/lookup/?name=portfolio&query=Петров") == []

    response = panel.post("/admin/portfolio_item/new/", {
        "portfolio": str(portfolio.id), "item_kind": "olympiad", "title": "Муниципальная олимпиада по математике",
        "level": "municipal", "result": "winner", "achieved_on": "12.02.2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    session.expire_all()
    assert [i.portfolio_id for i in session.scalars(select(PortfolioItem))] == [portfolio.id]


def test_class_teacher_looks_up_only_the_own_class(app, login_as, session):
    teacher = factories.user("teacher", "class_teacher")
    own = factories.school_class(grade=7, letter="В", teacher=teacher)
    mine = factories.student("Орлов", "Глеб", klass=own)
    theirs = factories.student("Орлова", "Дарья", klass=factories.school_class(grade=8, letter="Г"), sex="female")
    for pupil in (mine, theirs):
        session.add(Portfolio(kind=_kind(session, "portfolio"), student=pupil, title=f"Портфолио {pupil.last_name}",
                              created_on=date(2025, 9, 1)))
    session.commit()
    panel = login_as("class_teacher", login="teacher")
    assert [n.split(" (")[0] for n in _names(panel, "/admin/portfolio/ajax/lookup/?name=student&query=орлов")] == [
        "Орлов Глеб Сергеевич"]
    assert _names(panel, "/admin/portfolio_item/ajax/lookup/?name=portfolio&query=орлов") == [
        "Портфолио Орлов, Орлов Глеб Сергеевич (05.03.2014, 7В)"]
    secretary = login_as("secretary")
    assert len(_names(secretary, "/admin/portfolio_item/ajax/lookup/?name=portfolio&query=орлов")) == 2


def test_guardian_lookup_takes_the_words_in_any_order_case_and_yo(app, login_as, session):
    factories.guardian("Семёнова", "Анна")
    factories.guardian("Иванова", "Анна")
    session.commit()
    panel = login_as("secretary")
    lookup = "/admin/student/ajax/lookup/?name=guardians&query="
    assert _names(panel, lookup + "анна семенова") == ["Семёнова Анна Петровна"]
    assert _names(panel, lookup + "АННА") == ["Иванова Анна Петровна", "Семёнова Анна Петровна"]
    assert _names(panel, lookup + "%25") == [] and _names(panel, lookup + "_") == []


def test_look_up_fields_prompt_in_russian(app, login_as, session):
    panel = login_as("secretary")
    form = panel.get("/admin/personal_file/new/").get_data(as_text=True)
    assert 'data-placeholder="Начните вводить фамилию и имя"' in form
    assert 'data-placeholder="Начните вводить класс, например 5А"' in form
    assert "выберите модель" not in form  # Flask-Admin's own prompt
    assert "выберите модель" not in panel.get("/admin/student/new/").get_data(as_text=True)


def test_pupil_form_looks_up_a_class_of_the_two_latest_years_and_an_order(app, login_as, session):
    # The pupil's form offers its class and its enrolment order as you type, not as selects of every row.
    from models import AcademicYear, Order

    current = factories.school_class(grade=5, letter="А").academic_year
    older = [AcademicYear(name=f"{y}/{y + 1}", starts_on=date(y, 9, 1), ends_on=date(y + 1, 8, 31))
             for y in (current.starts_on.year - 1, current.starts_on.year - 2)]
    session.add_all(older)
    session.flush()
    for year in older:
        factories.school_class(grade=5, letter="А", year=year)
    factories.school_class(grade=6, letter="Б")
    session.add_all([Order(number="112-о", issued_on=date(2025, 8, 27), kind="enrolment", title="О зачислении"),
                     Order(number="7-о", issued_on=date(2026, 8, 28), kind="enrolment", title="О зачислении в 1 класс"),
                     Order(number="15-к", issued_on=date(2026, 9, 1), kind="other", title="Об отпуске")])
    session.commit()
    panel = login_as("secretary")
    form = panel.get("/admin/student/new/").get_data(as_text=True)
    assert 'data-url="/admin/student/ajax/lookup/?name=school_class"' in form and "5А (" not in form
    assert 'data-url="/admin/student/ajax/lookup/?name=enrolment_order"' in form and "112-о" not in form
    classes = _names(panel, "/admin/student/ajax/lookup/?name=school_class&query=5а")
    assert classes == [f"5А ({current.name})", f"5А ({older[0].name})"]  # not the class of three years ago
    orders = "/admin/student/ajax/lookup/?name=enrolment_order&query="
    assert _names(panel, orders + "О ЗАЧИСЛЕНИИ") == ["№ 7-о от 28.08.2026", "№ 112-о от 27.08.2025"]
    assert _names(panel, orders + "зачислении 1 класс") == ["№ 7-о от 28.08.2026"]
    assert _names(panel, orders + "15-К") == ["№ 15-к от 01.09.2026"]
    assert _names(panel, orders + "%25") == []

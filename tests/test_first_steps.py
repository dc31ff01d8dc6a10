"""A new school's first day: the printed password changed first, the administrator's checklist, own passwords,
class teachers bound to their class from the command line."""
import re

import factories
from conftest import PASSWORD, PanelClient
from sqlalchemy import select

from models import AuditLog, School, SchoolClass, Subject, Term, User, db
from models.people import current_year


def _installed_admin(app):
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    login, password = re.search(r"логин:\s+(\S+)\s+пароль:\s+(\S+)", result.output).groups()
    panel = PanelClient(app)
    assert panel.login(login, password).status_code == 302
    return panel, password


def _steps(page):
    block = page[page.index('data-testid="first-steps"'):]
    block = block[:block.index("</ul>")]
    return {re.sub(r"\s+", " ", re.sub(r"<[^>]+>|&#\d+;", "", item)).strip(): done
            for done, item in re.findall(r'data-done="(yes|no)">(.*?)</li>', block, re.DOTALL)}


def test_printed_password_is_changed_before_anything_else(app):
    panel, printed = _installed_admin(app)
    for url in ("/admin/", "/admin/student/", "/marks/analysis"):
        response = panel.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/password"), url
    page = panel.get("/password").get_data(as_text=True)
    assert "Придумайте свой пароль" in page
    refusals = [
        ({"current": "не-тот-пароль", "new": "новый-пароль-1", "repeat": "новый-пароль-1"},
         "Текущий пароль введён неверно."),
        ({"current": printed, "new": "новый-пароль-1", "repeat": "новый-пароль-2"},
         "Новый пароль и повтор не совпадают."),
        ({"current": printed, "new": "корот", "repeat": "корот"}, "Пароль должен быть не короче 10 символов."),
        ({"current": printed, "new": "password123", "repeat": "password123"}, "слишком распространён"),
        ({"current": printed, "new": printed, "repeat": printed}, "Новый пароль должен отличаться от текущего."),
    ]
    for form, message in refusals:
        response = panel.post("/password", data=form)
        assert response.status_code == 400 and message in response.get_data(as_text=True), message
        assert panel.get("/admin/").status_code == 302  # still locked
    assert panel.post("/password", data={"current": printed, "new": "новый-пароль-1",
                                         "repeat": "новый-пароль-1"}).status_code == 302
    assert panel.get("/admin/").status_code == 200
    fresh = PanelClient(app)
    assert fresh.login("admin", printed).status_code == 401
    assert fresh.login("admin", "новый-пароль-1").status_code == 302
    # Set-up rows are the system's, not an account on the server.
    with app.app_context():
        created = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "user", AuditLog.action == "insert"))
    assert created.user_login == "система (установка)"


def test_the_checklist_ticks_steps_as_the_school_does_them(app):
    panel, printed = _installed_admin(app)
    panel.post("/password", data={"current": printed, "new": "новый-пароль-1", "repeat": "новый-пароль-1"})
    steps = _steps(panel.get("/admin/").get_data(as_text=True))
    assert len(steps) == 6
    assert steps["Проверить уровни образования (НОО, ООО, СОО)"] == "yes"
    assert [text for text, done in steps.items() if done == "no"] == [
        "Заполнить карточку школы: полное и краткое наименование, директор",
        "Задать четверти или полугодия текущего учебного года", "Ввести учебные предметы",
        "Создать классы текущего учебного года",
        "Завести пользователей: директора, заместителя, секретаря, классных руководителей"]
    page = panel.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/subject/"' in page and 'href="/admin/school/"' in page
    with app.app_context():
        db.session.add(Subject(name="Математика", position=1))
        db.session.commit()
    steps = _steps(panel.get("/admin/").get_data(as_text=True))
    assert steps["Ввести учебные предметы"] == "yes" and steps["Создать классы текущего учебного года"] == "no"
    with app.app_context():
        year = current_year(db.session)
        card = db.session.scalar(select(School))
        card.full_name, card.short_name, card.director_name = "МБОУ «СОШ № 3»", "СОШ № 3", "Петров П. П."
        db.session.add(Term(academic_year=year, kind="quarter", number=1, starts_on=year.starts_on,
                            ends_on=year.starts_on.replace(month=10, day=31)))
        factories.school_class(grade=9, letter="А")
        db.session.commit()
    app.test_cli_runner().invoke(args=["create-user", "petrova", "--role", "secretary", "--password",
                                       "пароль-секретаря", "--full-name", "Петрова Анна Ивановна"])
    assert 'data-testid="first-steps"' not in panel.get("/admin/").get_data(as_text=True)


def test_every_user_changes_their_own_password(app, login_as):
    panel = login_as("secretary")
    assert "Сменить пароль" in panel.get("/admin/").get_data(as_text=True)
    assert panel.post("/password", data={"current": PASSWORD, "new": "мой-новый-пароль",
                                         "repeat": "мой-новый-пароль"}).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "secretary"))
        assert user.check_password("мой-новый-пароль") and not user.must_change_password


def test_create_user_binds_a_class_teacher_to_a_class(app, login_as):
    with app.app_context():
        factories.school_class(grade=9, letter="А")
        db.session.commit()
    runner = app.test_cli_runner()
    base = ["create-user", "orlova", "--role", "class_teacher", "--password", "пароль-учителя",
            "--full-name", "Орлова Ольга Ивановна"]
    refused = runner.invoke(args=base + ["--class", "9Я"])
    assert refused.exit_code == 2 and "класса «9Я» в текущем учебном году нет" in refused.output
    wrong_role = runner.invoke(args=["create-user", "orlova", "--role", "secretary", "--password",
                                     "пароль-учителя", "--class", "9А"])
    assert wrong_role.exit_code == 2 and "только классному руководителю" in wrong_role.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.login == "orlova")) is None
    done = runner.invoke(args=base + ["--class", "9а"])
    assert done.exit_code == 0, done.output
    assert "Классный руководитель класса 9А" in done.output
    with app.app_context():
        klass = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "9А"))
        assert klass.class_teacher.login == "orlova"


def test_class_teacher_without_a_class_is_told_so(app, login_as):
    panel = login_as("class_teacher")
    home = " ".join(panel.get("/admin/").get_data(as_text=True).split())
    assert "класс текущего учебного года вам пока не назначен" in home
    listing = " ".join(panel.get("/admin/student/").get_data(as_text=True).split())
    assert "класс текущего учебного года вам пока не назначен" in listing
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.login == "class_teacher"))
        factories.school_class(grade=5, letter="Б", teacher=teacher)
        db.session.commit()
    assert "не назначен" not in panel.get("/admin/").get_data(as_text=True)
    assert "не назначен" not in panel.get("/admin/student/").get_data(as_text=True)

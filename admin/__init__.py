"""Flask-Admin wiring: init_admin builds the Admin object and its registers inside the factory."""
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from models import (AcademicYear, AuditLog, Guardian, Level, Order, School, SchoolClass, Student, Subject, Term,
                    User)

from . import system
from .home import HomeView
from .people import GuardianView, OrderView, SchoolClassView, StudentView
from .school import AcademicYearView, LevelView, SchoolView, SubjectView, TermView
from .system import AuditLogView, UserView

STUDENTS = "Обучающиеся"
CARRIERS = "Носители"
ISSUANCE = "Выдача"
ARCHIVE = "Архив"
REPORTS = "Отчёты"
ADMINISTRATION = "Администрирование"


def init_admin(app):
    admin = Admin(app, name="Архив школы", url="/admin",
                  index_view=HomeView(name="Главная", url="/admin"),
                  theme=Bootstrap4Theme(base_template="admin/panel.html", fluid=True))
    views = [
        StudentView(Student, name="Обучающиеся", category=STUDENTS, endpoint="student"),
        GuardianView(Guardian, name="Законные представители", category=STUDENTS, endpoint="guardian"),
        SchoolClassView(SchoolClass, name="Классы", category=STUDENTS, endpoint="school_class"),
        OrderView(Order, name="Приказы", category=STUDENTS, endpoint="order"),
        SchoolView(School, name="Школа", category=ADMINISTRATION, endpoint="school"),
        AcademicYearView(AcademicYear, name="Учебные годы", category=ADMINISTRATION, endpoint="academic_year"),
        TermView(Term, name="Учебные периоды", category=ADMINISTRATION, endpoint="term"),
        LevelView(Level, name="Уровни образования", category=ADMINISTRATION, endpoint="level"),
        SubjectView(Subject, name="Предметы", category=ADMINISTRATION, endpoint="subject"),
        UserView(User, name="Пользователи", category=ADMINISTRATION, endpoint="user"),
        AuditLogView(AuditLog, name="Журнал аудита", category=ADMINISTRATION, endpoint="audit_log"),
    ]
    for view in views:
        admin.add_view(view)
        system.TABLE_LABELS[view.model.__tablename__] = view.name
    app.extensions["panel_admin"] = admin
    return admin

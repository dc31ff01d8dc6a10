"""A new school's first steps: what the administrator still has to set up, and a class teacher's class."""
from sqlalchemy import exists, func, select

from .people import AcademicYear, Level, School, SchoolClass, Subject, Term
from .users import User

PLACEHOLDER_MARK = "(заполните"


def current_year_id(session):
    return session.scalar(select(AcademicYear.id).where(AcademicYear.is_current.is_(True)))


def first_steps(session):
    """[(text, done, endpoint)] in the order a school does them; endpoint is the register to open."""
    school = session.scalar(select(School).order_by(School.id))
    school_done = bool(school and PLACEHOLDER_MARK not in (school.full_name or "") and school.short_name
                       and school.short_name != "Школа" and school.director_name)
    year_id = current_year_id(session)
    terms = session.scalar(select(func.count(Term.id)).where(Term.academic_year_id == year_id)) if year_id else 0
    classes = (session.scalar(select(func.count(SchoolClass.id)).where(SchoolClass.academic_year_id == year_id))
               if year_id else 0)
    # Anyone besides an administrator: a school works through its director, deputy, secretary and teachers.
    staff = session.scalar(select(func.count(User.id)).where(User.active.is_(True),
                                                             User.roles_text.notin_(("admin", ""))))
    return [
        ("Заполнить карточку школы: полное и краткое наименование, директор", school_done, "school"),
        ("Проверить уровни образования (НОО, ООО, СОО)",
         bool(session.scalar(select(exists().where(Level.id.isnot(None))))), "level"),
        ("Задать четверти или полугодия текущего учебного года", bool(terms), "term"),
        ("Ввести учебные предметы", bool(session.scalar(select(exists().where(Subject.id.isnot(None))))),
         "subject"),
        ("Создать классы текущего учебного года", bool(classes), "school_class"),
        ("Завести пользователей: директора, заместителя, секретаря, классных руководителей", bool(staff), "user"),
    ]


def teacher_classes(session, user):
    """Classes of the current year this user leads."""
    year_id = current_year_id(session)
    return list(session.scalars(select(SchoolClass).where(SchoolClass.class_teacher_id == user.id,
                                                          SchoolClass.academic_year_id == year_id)
                                .order_by(SchoolClass.grade, SchoolClass.letter)))


def teacher_without_class(session, user):
    """A class teacher by role only: nobody has bound them to a class of this year yet."""
    return "class_teacher" in user.roles and not teacher_classes(session, user)


def class_of_current_year(session, name):
    """«9а», « 9 А » -> the current year's class «9А», or None."""
    wanted = "".join((name or "").split()).upper()
    year_id = current_year_id(session)
    if not wanted or year_id is None:
        return None
    return session.scalar(select(SchoolClass).where(SchoolClass.academic_year_id == year_id,
                                                    SchoolClass.name == wanted))

"""Reference data every school starts with, and the first administrator account."""
import secrets
from datetime import date

from sqlalchemy import func, select

from .attestation import seed_award_criteria
from .carriers import seed_carrier_kinds
from .people import LEVEL_CHOSEN_EXAMS, LEVELS, AcademicYear, Level, School
from .users import User


def academic_year_bounds(today):
    start_year = today.year if today.month >= 9 else today.year - 1
    return f"{start_year}/{start_year + 1}", date(start_year, 9, 1), date(start_year + 1, 8, 31)


def ensure_reference_data(session, today=None):
    """Idempotent: levels, a school card to fill in, and the current academic year."""
    for code, name, first, last in LEVELS:
        if session.scalar(select(Level).where(Level.code == code)) is None:
            session.add(Level(code=code, name=name, first_grade=first, last_grade=last,
                              gia_chosen_exams=LEVEL_CHOSEN_EXAMS.get(code, 0)))
    if session.scalar(select(func.count(School.id))) == 0:
        session.add(School(full_name="Полное наименование школы (заполните в разделе «Школа»)",
                           short_name="Школа"))
    if session.scalar(select(func.count(AcademicYear.id))) == 0:
        name, starts, ends = academic_year_bounds(today or date.today())
        session.add(AcademicYear(name=name, starts_on=starts, ends_on=ends, is_current=True))
    seed_carrier_kinds(session)
    seed_award_criteria(session)
    session.flush()
    from .nomenclature import seed_nomenclature
    from .people import current_year

    seed_nomenclature(session, current_year(session))
    from .orders import seed_order_templates

    seed_order_templates(session)


def ensure_first_admin(session):
    """On an empty user table create «admin» with a random password; return it (shown once) or None."""
    if session.scalar(select(func.count(User.id))) > 0:
        return None
    password = secrets.token_urlsafe(12)
    user = User(login="admin", full_name="Администратор системы", position="Администратор", active=True)
    user.roles = ["admin"]
    user.set_password(password)
    user.must_change_password = True  # printed on the console: someone else may have seen it
    session.add(user)
    session.flush()
    return password

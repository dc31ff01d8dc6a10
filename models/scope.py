"""A class teacher's scope: which rows of a model belong to the classes the user leads (one rule per model)."""
from sqlalchemy import select

from .carriers import Carrier
from .people import Guardian, SchoolClass, Student
from .registers import PersonalFile, Portfolio, PortfolioItem


def own_class_ids(user_id):
    return select(SchoolClass.id).where(SchoolClass.class_teacher_id == user_id)


def own_student_ids(user_id):
    return select(Student.id).where(Student.school_class_id.in_(own_class_ids(user_id)))


def own_class_condition(model, user_id):
    """The SQL condition «this row is of the user's own class», or None when the model has no class scope.

    A carrier belongs to the class of its student, as the registers' lists show it (admin/carriers.py)."""
    if isinstance(model, type) and issubclass(model, Student):
        return Student.school_class_id.in_(own_class_ids(user_id))
    if model is SchoolClass:
        return SchoolClass.class_teacher_id == user_id
    if model is Guardian:
        return Guardian.students.any(Student.id.in_(own_student_ids(user_id)))
    if isinstance(model, type) and issubclass(model, Carrier):
        return Carrier.student_id.in_(own_student_ids(user_id))
    if model is PortfolioItem:
        return PortfolioItem.portfolio_id.in_(select(Carrier.id).where(Carrier.student_id.in_(
            own_student_ids(user_id))))
    student_id = getattr(model, "student_id", None)
    if student_id is not None and hasattr(student_id, "in_"):  # a pupil's own record (an academic debt…)
        return student_id.in_(own_student_ids(user_id))
    return None


# The matrix row that lists each scoped model: a look-up over the model answers only who may list it.
MODEL_TARGETS = {Student: "students", Guardian: "guardians", SchoolClass: "classes", Portfolio: "portfolios",
                 PersonalFile: "personal_files", PortfolioItem: "portfolio_items"}


def model_target(model):
    return next((MODEL_TARGETS[base] for base in getattr(model, "__mro__", ()) if base in MODEL_TARGETS), None)


def outside_own_class(session, user_id, record):
    """True when the record has a class scope and is not of the user's own class."""
    model = type(record)
    condition = own_class_condition(model, user_id)
    if condition is None or getattr(record, "id", None) is None:
        return False
    key = model.id
    return session.scalar(select(key).where(key == record.id, condition)) is None

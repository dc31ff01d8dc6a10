"""Look-ups as you type for selects over large tables: a student by the words of the ФИО, a portfolio by its student.

A district holds 100,000 students and 50,000 portfolios: a plain <select> of them took seconds to render (a
portfolio item's form: 15 s, one query per portfolio for its student's name)."""
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_login import current_user
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from models import AcademicYear, Guardian, Order, Portfolio, SchoolClass, Student, db
from models.people import carriers_of_students_named, fold, like_literal, name_match
from models.scope import model_target, own_class_condition

from .base import record_key
from models.roles import own_class_only

from .access import allowed

MAX_ROWS = 50  # the page size comes from the request: a look-up never lists more than this


def _page(query, offset, limit):
    """The look-up's page of rows: the offset and size come from the request, the size capped at MAX_ROWS."""
    return query.offset(max(offset or 0, 0)).limit(min(max(limit or 0, 1), MAX_ROWS)).all()


def student_label(student):
    """«Иванов Пётр Сергеевич (05.03.2014, 5А)»: namesakes told apart by birth date and class."""
    details = [student.birth_date.strftime("%d.%m.%Y")] if student.birth_date else []
    if student.school_class is not None:
        details.append(student.school_class.name)
    return f"{student.full_name} ({', '.join(details)})" if details else student.full_name


def _listable(query, model):
    """Only the rows the user's role may list: none without the right to see the model's register, the own
    class's for a class teacher (models/scope.py), whichever register's form asks (see its ajax_lookup)."""
    target = model_target(model)
    if target is None:
        return query
    if not allowed(target, "view"):
        return query.filter(false())
    if own_class_only(current_user, target):
        return query.filter(own_class_condition(model, current_user.id))
    return query


class PanelLookup(QueryAjaxModelLoader):
    """A look-up whose chosen value, sent back by the form, is checked before it reaches the database."""

    def get_one(self, pk):
        key = record_key(self.model, pk)
        return None if key is None else super().get_one(key)


class StudentLookup(PanelLookup):
    """Every typed word in the folded ФИО, in any order, «ё» as «е», any case («иванов пётр», «Пётр Иванов»)."""

    def __init__(self, name, page_size=20):
        super().__init__(name, db.session, Student, fields=("last_name",), page_size=page_size,
                         placeholder="Начните вводить фамилию и имя")

    def format(self, model):
        return None if model is None else (model.id, student_label(model))

    def get_list(self, term, offset=0, limit=20):
        match = name_match(db.session, term or "")
        if match is None:
            return []
        query = _listable(db.session.query(Student), Student)
        query = query.options(joinedload(Student.school_class)).filter(match.condition)
        # By the folded ФИО, as the register lists them: the order a name index holds (see NameMatch).
        return _page(query.order_by(*match.order(Student.search_name, Student.id)), offset, limit)


class PortfolioLookup(PanelLookup):
    """A portfolio found by its student's name; shown as the portfolio's title with the student."""

    def __init__(self, name, page_size=20):
        super().__init__(name, db.session, Portfolio, fields=("title",), page_size=page_size,
                         placeholder="Начните вводить фамилию обучающегося")

    def format(self, model):
        if model is None:
            return None
        owner = student_label(model.student) if model.student is not None else ""
        return model.id, ", ".join(part for part in (model.title, owner) if part) or f"Портфолио № {model.id}"

    def get_list(self, term, offset=0, limit=20):
        text = " ".join((term or "").split())
        if not text:
            return []
        query = _listable(db.session.query(Portfolio), Portfolio)
        query = (query.options(joinedload(Portfolio.student).joinedload(Student.school_class))
                 .filter(carriers_of_students_named(db.session, Portfolio.student_id, text)))
        return _page(query.order_by(Portfolio.id.desc()), offset, limit)


class GuardianLookup(PanelLookup):
    """A parent or guardian by the words of the ФИО in any order («анна иванова»), any case, «е» for «ё»."""

    def __init__(self, name, page_size=20):
        super().__init__(name, db.session, Guardian, fields=("last_name", "first_name", "middle_name"),
                         page_size=page_size, placeholder="Начните вводить фамилию и имя")

    def get_list(self, term, offset=0, limit=20):
        words = fold(term).split()
        if not words:
            return []
        # Both sides folded: lower case (Unicode on SQLite too, see app.py) and «ё» as «е».
        columns = [func.replace(func.lower(c), "ё", "е") for c in (Guardian.last_name, Guardian.first_name,
                                                                   Guardian.middle_name)]
        condition = and_(*(or_(*(c.like(f"%{like_literal(word)}%", escape="\\") for c in columns)) for word in words))
        query = _listable(db.session.query(Guardian), Guardian).filter(condition)
        return _page(query.order_by(Guardian.last_name, Guardian.first_name, Guardian.id), offset, limit)


class ClassLookup(PanelLookup):
    """A class by its name («5а» finds «5А» of every year), the newest years first; with `recent_years`, only the
    classes of that many latest years."""

    def __init__(self, name, page_size=30, recent_years=None):
        super().__init__(name, db.session, SchoolClass, fields=("name",), page_size=page_size,
                         placeholder="Начните вводить класс, например 5А")
        self.recent_years = recent_years

    def get_list(self, term, offset=0, limit=30):
        text = " ".join((term or "").split())
        if not text:
            return []
        query = (_listable(db.session.query(SchoolClass), SchoolClass)
                 .join(AcademicYear, AcademicYear.id == SchoolClass.academic_year_id)
                 .options(contains_eager(SchoolClass.academic_year))
                 .filter(func.lower(SchoolClass.name).like(f"%{like_literal(text.lower())}%", escape="\\")))
        if self.recent_years:
            latest = (select(AcademicYear.id).order_by(AcademicYear.starts_on.desc()).limit(self.recent_years)
                      .scalar_subquery())
            query = query.filter(SchoolClass.academic_year_id.in_(
                select(AcademicYear.id).where(AcademicYear.id.in_(latest))))
        # By the year's start: years are not always entered in order, so their ids are not.
        return _page(query.order_by(AcademicYear.starts_on.desc(), SchoolClass.name), offset, limit)


class OrderLookup(PanelLookup):
    """An order by its number or words of its title («з-15», «о зачислении»), the latest first: a school writes
    hundreds of orders a year, and a select of all of them grew with every year."""

    def __init__(self, name, page_size=20):
        super().__init__(name, db.session, Order, fields=("number", "title"), page_size=page_size,
                         placeholder="Начните вводить номер или заголовок приказа")

    def get_list(self, term, offset=0, limit=20):
        words = " ".join((term or "").split()).lower().split()
        if not words:
            return []
        # lower() is Unicode-aware on SQLite too (app.py): «о зачислении» finds «О зачислении».
        columns = (func.lower(Order.number), func.lower(func.coalesce(Order.title, "")))
        condition = and_(*(or_(*(c.like(f"%{like_literal(w)}%", escape="\\") for c in columns)) for w in words))
        query = _listable(db.session.query(Order), Order).filter(condition)
        return _page(query.order_by(Order.issued_on.desc(), Order.id.desc()), offset, limit)

"""The school, its academic calendar, classes, students, guardians, subjects and orders."""
from datetime import date

from sqlalchemy import (ARRAY, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint,
                        and_, any_, column, event, false, func, literal, literal_column, select, table)
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy import text as text_clause
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import NAME_SEARCH_TABLE, Versioned, db

STUDENT_STATUSES = {
    "studying": "обучается",
    "left": "выбыл",
    "graduated": "окончил обучение",
}
# The same statuses said of a girl; an unknown sex reads «выбыл(а)».
FEMALE_STATUSES = {"left": "выбыла", "graduated": "окончила обучение"}


def status_label(status, sex):
    if sex == "female" and status in FEMALE_STATUSES:
        return FEMALE_STATUSES[status]
    if sex != "male" and status == "left":
        return "выбыл(а)"
    return STUDENT_STATUSES.get(status, status)
SEXES = {"male": "мужской", "female": "женский"}
LEAVING_REASONS = {
    "transfer": "перевод в другую организацию",
    "expulsion": "отчисление",
    "graduation": "окончание обучения",
    "other": "иное",
}
ORDER_KINDS = {
    "enrolment": "о зачислении",
    "transfer": "о переводе в другую образовательную организацию",
    "expulsion": "об отчислении (выбытии)",
    "promotion": "о переводе в следующий класс",
    "conditional_promotion": "об условном переводе в следующий класс",
    "repeat_year": "об оставлении на повторное обучение",
    "graduation": "о выпуске (отчислении в связи с окончанием обучения)",
    "issuance": "о выдаче документов об образовании",
    "appointment": "о назначении ответственных",
    "other": "иной",
}
# The basis of processing personal data (152-ФЗ ст. 6 ч. 1 п. 1–2, ст. 9).
PD_BASES = {"consent": "согласие субъекта (законного представителя)", "law": "требование закона"}
# Orders on pupils (приказы по контингенту): kept in their own book, with the pupils they concern.
PUPIL_ORDER_KINDS = ("enrolment", "transfer", "expulsion", "promotion", "conditional_promotion", "repeat_year",
                     "graduation", "issuance")
# The text of a new order when none is typed; {pupils} is the numbered list of its pupils. Editable per order.
ORDER_TEMPLATES = {
    "enrolment": "На основании заявлений родителей (законных представителей) и представленных документов\n"
                 "ПРИКАЗЫВАЮ:\n1. Зачислить в {school} следующих обучающихся:\n{pupils}\n"
                 "2. Секретарю внести сведения в алфавитную книгу записи обучающихся и оформить личные дела.",
    "transfer": "На основании заявления родителей (законных представителей) и в связи с переводом в другую "
                "образовательную организацию\nПРИКАЗЫВАЮ:\n1. Отчислить в порядке перевода:\n{pupils}\n"
                "2. Выдать родителям (законным представителям) личное дело обучающегося и документы об "
                "успеваемости.",
    "expulsion": "ПРИКАЗЫВАЮ:\n1. Отчислить из {school} следующих обучающихся:\n{pupils}\n"
                 "2. Внести сведения о выбытии в алфавитную книгу записи обучающихся.",
    "promotion": "На основании решения педагогического совета\nПРИКАЗЫВАЮ:\n1. Перевести в следующий класс "
                 "обучающихся, освоивших образовательную программу учебного года:\n{pupils}",
    "conditional_promotion": "На основании решения педагогического совета (ч. 8 ст. 58 Федерального закона "
                             "№ 273-ФЗ)\nПРИКАЗЫВАЮ:\n1. Перевести условно в следующий класс обучающихся, имеющих "
                             "академическую задолженность:\n{pupils}\n2. Установить сроки её ликвидации.",
    "repeat_year": "На основании заявлений родителей (законных представителей) и решения педагогического совета "
                   "(ч. 9 ст. 58 Федерального закона № 273-ФЗ)\nПРИКАЗЫВАЮ:\n1. Оставить на повторное обучение:"
                   "\n{pupils}",
    "graduation": "В связи с получением образования (завершением обучения)\nПРИКАЗЫВАЮ:\n1. Отчислить из "
                  "{school} в связи с окончанием обучения:\n{pupils}",
    "issuance": "На основании решения педагогического совета\nПРИКАЗЫВАЮ:\n1. Выдать документы об образовании "
                "следующим обучающимся:\n{pupils}",
}
GUARDIAN_KINDS = {"mother": "мать", "father": "отец", "guardian": "опекун (попечитель)", "other": "иной представитель"}
TERM_KINDS = {"quarter": "четверть", "half": "полугодие"}


def full_name(last, first, middle):
    return " ".join(part for part in (last, first, middle) if part)


def fold(text):
    """The form a name is searched in: lower case, «ё» as «е», single spaces."""
    return " ".join((text or "").split()).lower().replace("ё", "е")


def search_name(last, first, middle):
    return fold(full_name(last, first, middle))


def alphabetical(column):
    """A name column as a Russian list sorts it: «Ёжиков» among the «Е», not before «А» (Ё's code point is
    below А's). The same expression on SQLite (whose lower() the app makes Unicode-aware) and PostgreSQL."""
    from sqlalchemy import func

    # «Ё» is replaced before lower(): a PostgreSQL base with LC_CTYPE=C folds only ASCII.
    return func.lower(func.replace(func.replace(column, "Ё", "Е"), "ё", "е"))


def alphabetical_key(text):
    """The same order in Python, for lists sorted after loading."""
    return fold(text)


class School(Versioned, db.Model):
    __tablename__ = "school"
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(500))
    short_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    director_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))
    document_footer: Mapped[str | None] = mapped_column(Text)
    # How often the e-journal is archived: «term» (each quarter or half-year and the year) or «year»; the stricter
    # reading of the acts (001 §3.1.9) is the default.
    ejournal_copy_period: Mapped[str] = mapped_column(String(10), default="term", server_default="term")

    def __str__(self):
        return self.short_name


class AcademicYear(Versioned, db.Model):
    __tablename__ = "academic_year"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(9), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    terms = relationship("Term", back_populates="academic_year", order_by="Term.number")

    def __str__(self):
        return self.name


class Term(Versioned, db.Model):
    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("academic_year_id", "kind", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="quarter")
    number: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    academic_year = relationship("AcademicYear", back_populates="terms")

    def __str__(self):
        return f"{self.number} {TERM_KINDS.get(self.kind, self.kind)} {self.academic_year}"


class Level(db.Model):
    __tablename__ = "level"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    first_grade: Mapped[int] = mapped_column(Integer)
    last_grade: Mapped[int] = mapped_column(Integer)
    # How many exams of the pupil's choice the ГИА of the level needs besides Russian and mathematics.
    gia_chosen_exams: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __str__(self):
        return self.code


LEVELS = (
    ("НОО", "начальное общее образование", 1, 4),
    ("ООО", "основное общее образование", 5, 9),
    ("СОО", "среднее общее образование", 10, 11),
)
# Порядок ГИА-9 (приказ № 232/551 от 04.04.2023): Russian, mathematics and two chosen subjects; kept editable.
LEVEL_CHOSEN_EXAMS = {"ООО": 2}


class SchoolClass(Versioned, db.Model):
    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("academic_year_id", "grade", "letter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year_id: Mapped[int] = mapped_column(ForeignKey("academic_year.id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    letter: Mapped[str] = mapped_column(String(5))
    # Kept in a column (not only computed) so lists can filter and sort by «9А».
    name: Mapped[str] = mapped_column(String(10), index=True)
    level_id: Mapped[int | None] = mapped_column(ForeignKey("level.id"))
    class_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    academic_year = relationship("AcademicYear")
    level = relationship("Level")
    class_teacher = relationship("User")
    students = relationship("Student", back_populates="school_class")

    def __str__(self):
        return f"{self.name} ({self.academic_year})" if self.academic_year else self.name


student_guardian = Table(
    "student_guardian",
    db.metadata,
    Column("student_id", ForeignKey("student.id", ondelete="CASCADE"), primary_key=True),
    Column("guardian_id", ForeignKey("guardian.id", ondelete="CASCADE"), primary_key=True),
)


class Student(Versioned, db.Model):
    __tablename__ = "student"
    __table_args__ = (
        # The register sorts by surname and name; leavers are counted by status and leaving date.
        # With the id, a page of the alphabetical list is read from the index alone on PostgreSQL too; there
        # it also carries the folded name, so a search walks the index without reading the table.
        Index("ix_student_last_first_id", "last_name", "first_name", "id", postgresql_include=["search_name"]),
        Index("ix_student_status_left_on", "status", "left_on"),
        # The register filtered by status, in its alphabetical order: a page of the 1,100 pupils studying is read
        # in index order (through the name index, PostgreSQL read and dropped some 4,500 leavers for 50 of them).
        Index("ix_student_status_search_name", "status", "search_name", "id"),
        # A search reads this narrow index instead of the whole table, and sorts only the matches.
        Index("ix_student_search_name", "search_name", "last_name", "first_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(6))
    school_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="studying", index=True)
    enrolled_on: Mapped[date | None] = mapped_column(Date)
    enrolment_order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id"))
    left_on: Mapped[date | None] = mapped_column(Date)
    leaving_order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id"))
    leaving_reason: Mapped[str | None] = mapped_column(String(20))
    leaving_note: Mapped[str | None] = mapped_column(String(300))
    # «Откуда прибыл»: written into the alphabetical book's line at admission.
    came_from: Mapped[str | None] = mapped_column(String(300))
    # The folded ФИО, kept by the mapper hooks below: a search is a plain LIKE on one column, without calling
    # a Unicode lower() from Python on every row (SQLite's own lower() folds only ASCII).
    search_name: Mapped[str] = mapped_column(String(320), default="", server_default="", info={"audit": False})
    # The basis of processing the pupil's data (152-ФЗ ст. 6, ст. 9): consent with its date, or the law's article.
    pd_basis: Mapped[str | None] = mapped_column(String(10))
    pd_consent_on: Mapped[date | None] = mapped_column(Date)
    pd_basis_note: Mapped[str | None] = mapped_column(String(300))
    # The signed consent's scan: stored under a generated name in instance/uploads/consents, its own name beside.
    pd_consent_file: Mapped[str | None] = mapped_column(String(80))
    pd_consent_name: Mapped[str | None] = mapped_column(String(255))
    # Set when the personal file was destroyed by an act and the data depersonalised (152-ФЗ ст. 21 ч. 4).
    depersonalised_on: Mapped[date | None] = mapped_column(Date)
    school_class = relationship("SchoolClass", back_populates="students")
    enrolment_order = relationship("Order", foreign_keys=[enrolment_order_id])
    leaving_order = relationship("Order", foreign_keys=[leaving_order_id])
    guardians = relationship("Guardian", secondary=student_guardian, back_populates="students")

    @property
    def full_name(self):
        return full_name(self.last_name, self.first_name, self.middle_name)

    @property
    def status_label(self):
        """«выбыл» or «выбыла», as the pupil's sex says."""
        return status_label(self.status, self.sex)

    def __str__(self):
        return self.full_name


def pd_basis_errors(*, basis, consent_on, note):
    """{field: message}: processing needs a basis — consent with its date, or the law's article (152-ФЗ ст. 6, 9)."""
    errors = {}
    if basis and basis not in PD_BASES:
        errors["pd_basis"] = "Неизвестное основание обработки персональных данных."
    if basis == "consent" and consent_on is None:
        errors["pd_consent_on"] = "Укажите дату согласия на обработку персональных данных."
    if basis == "law" and not (note or "").strip():
        errors["pd_basis_note"] = "Укажите статью закона, на основании которой обрабатываются данные."
    return errors


class Guardian(Versioned, db.Model):
    __tablename__ = "guardian"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="mother")
    phone: Mapped[str | None] = mapped_column(String(50))
    identity_document: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    # What makes «иной представитель» a legal representative (a guardianship decision, a court's ruling).
    authority_document: Mapped[str | None] = mapped_column(String(300))
    pd_basis: Mapped[str | None] = mapped_column(String(10))
    pd_consent_on: Mapped[date | None] = mapped_column(Date)
    pd_basis_note: Mapped[str | None] = mapped_column(String(300))
    # The signed consent's scan: stored under a generated name in instance/uploads/consents, its own name beside.
    pd_consent_file: Mapped[str | None] = mapped_column(String(80))
    pd_consent_name: Mapped[str | None] = mapped_column(String(255))
    depersonalised_on: Mapped[date | None] = mapped_column(Date)
    students = relationship("Student", secondary=student_guardian, back_populates="guardians")

    @property
    def full_name(self):
        return full_name(self.last_name, self.first_name, self.middle_name)

    def __str__(self):
        return self.full_name


class Subject(Versioned, db.Model):
    __tablename__ = "subject"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __str__(self):
        return self.name


order_student = Table(
    "order_student",
    db.metadata,
    Column("order_id", ForeignKey("school_order.id", ondelete="CASCADE"), primary_key=True),
    Column("student_id", ForeignKey("student.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Order(Versioned, db.Model):
    """A director's order (приказ); «order» itself is an SQL keyword, hence the table name."""

    __tablename__ = "school_order"
    __table_args__ = (UniqueConstraint("number", "issued_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(50))
    issued_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(30), default="other")
    title: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str | None] = mapped_column(String(200))
    students = relationship("Student", secondary=order_student, order_by="[Student.last_name, Student.first_name]")

    def __str__(self):
        return f"№ {self.number} от {self.issued_on:%d.%m.%Y}"


def pupils_list(students):
    return "\n".join(f"{n}. {s.full_name}, {s.birth_date:%d.%m.%Y} г. р."
                      + (f", {s.school_class.name}" if s.school_class is not None else "")
                      for n, s in enumerate(sorted(students, key=lambda s: (s.last_name, s.first_name,
                                                                             s.middle_name or "")), start=1))


def order_text(order, school_name="школы", session=None):
    """The order's text from its kind's template (the school's saved one when a session is given), its pupils
    listed."""
    if session is not None:
        from .orders import template_text

        template = template_text(session, order.kind)
    else:
        template = ORDER_TEMPLATES.get(order.kind)
    if template is None:
        return order.text or ""
    try:
        return template.format(school=school_name, pupils=pupils_list(order.students) or "—")
    except (KeyError, IndexError, ValueError):
        # A template saved before its check (or typed into the database) still prints: as written.
        return template


def _numbering_period(day):
    """Orders are numbered within a calendar year or within a school year: two dates in the same half of the same
    calendar year (January–August, September–December) are in the same numbering either way."""
    return day.year, day.month >= 9


def order_conflict(session, *, number, issued_on, accept):
    """(existing order, Russian message): the order «№ number от issued_on» if there is one and its kind is in
    `accept`; a message when the number and date name an order of another kind, or the number was already given
    to an order of another date in the same numbering period (a typo in the number or the date)."""
    number = (number or "").strip()
    order = session.scalar(select(Order).where(Order.number == number, Order.issued_on == issued_on))
    if order is not None:
        if order.kind in accept:
            return order, None
        return None, (f"Приказ № {number} от {issued_on:%d.%m.%Y} уже есть, но это приказ "
                      f"{ORDER_KINDS.get(order.kind, order.kind)}: проверьте номер и дату.")
    period = _numbering_period(issued_on)
    for other in session.scalars(select(Order).where(Order.number == number, Order.issued_on != issued_on)):
        if _numbering_period(other.issued_on) == period:
            return None, (f"Номер {number} уже занят приказом от {other.issued_on:%d.%m.%Y} "
                          f"({ORDER_KINDS.get(other.kind, other.kind)}): проверьте номер и дату приказа.")
    return None, None


def pick_order(session, *, kind, number, issued_on, title, today=None, accept=None):
    """The order «№ number от date» of this kind: the existing record, or a new one; ({field: message}, None) when
    the number and date are incomplete, in the future, or name an order of another kind (see order_conflict).
    `accept`: the kinds an existing order may have (the new one's kind by default)."""
    number = (number or "").strip()
    if not number and issued_on is None:
        return {}, None
    if not number or issued_on is None:
        return {"order": "Укажите и номер, и дату приказа."}, None
    if issued_on > (today or date.today()):
        return {"order": "Дата приказа не может быть в будущем."}, None
    order, problem = order_conflict(session, number=number, issued_on=issued_on, accept=accept or (kind,))
    if problem:
        return {"order": problem}, None
    if order is None:
        order = Order(number=number[:50], issued_on=issued_on, kind=kind, title=title)
        session.add(order)
    return {}, order


def add_pupil(order, student):
    """Link the pupil to the order once (the workflows call it; the order then lists whom it concerns)."""
    if order is not None and student is not None and student not in order.students:
        order.students.append(student)


@event.listens_for(SchoolClass, "before_insert")
@event.listens_for(SchoolClass, "before_update")
def _derive_class_name(mapper, connection, target):
    target.name = f"{target.grade}{(target.letter or '').strip().upper()}"
    if target.grade:
        row = connection.execute(
            select(Level.__table__.c.id).where(Level.__table__.c.first_grade <= target.grade,
                                               Level.__table__.c.last_grade >= target.grade)
        ).first()
        target.level_id = row[0] if row else None


def like_literal(text):
    """`text` for a LIKE pattern with escape "\\": wildcards a user typed are plain characters."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_search(text, dialect=None):
    """An SQL condition: every word of `text` occurs in the student's folded ФИО (None for an empty text).

    Wildcards typed by a user are plain characters; «Ё» finds «Е» and the other way round.
    """
    words = fold(text).split()
    if not words:
        return None
    if dialect == "sqlite":
        # instr() compares bytes where LIKE decodes every character: a scan of 100,000 names in half the time.
        return and_(*(func.instr(Student.search_name, w) > 0 for w in words))
    # A plain LIKE elsewhere: on PostgreSQL the migration's trigram index (pg_trgm) answers it for words of three
    # letters or more, and the planner's estimate of the matches comes from the same statistics.
    return and_(*(Student.search_name.like(f"%{like_literal(w)}%", escape="\\") for w in words))


# Up to this many students matching a name search count as «few» (see name_match).
FEW_STUDENTS = 5000


class NameMatch:
    """The students whose ФИО holds every word of a search: `condition` on Student, and whether they are `few`.

    A list is ordered by name and limited to a page. Few matches (found in the trigram index: FTS5 on SQLite,
    pg_trgm on PostgreSQL) are read from that index and sorted, a few ms for 5,000. More are at least one name in
    twenty, and a walk along the name index finds a page of them within a few thousand entries; the walk is what
    a database plans for any LIMIT, and for few matches it read most of the index («Соколова», 828 of 100,000
    names, late in the alphabet: 86,000 entries)."""

    def __init__(self, condition, few):
        self.condition, self.few = condition, few

    def order(self, *columns):
        """ORDER BY for a list of the matches: for few, the same order, but sorted rather than read from an index."""
        return tuple(_sorted_apart(c) for c in columns) if self.few else columns


def _sorted_apart(clause):
    # «search_name || ''» sorts as search_name (same text, same collation) but no index gives it in that order.
    if isinstance(clause, UnaryExpression) and clause.modifier in (operators.desc_op, operators.asc_op):
        inner = _sorted_apart(clause.element)
        return inner.desc() if clause.modifier is operators.desc_op else inner.asc()
    if getattr(clause, "key", None) == "search_name" and getattr(clause, "table", None) is Student.__table__:
        return clause.concat("")
    return clause


def _index_ids(session, text, condition):
    """A select of the ids of the students matching `condition`, answered by a trigram index; None where no
    index can answer it (no index, or every word shorter than a trigram)."""
    words = fold(text).split()
    # Words shorter than a trigram find nothing in the index (not every name, as a LIKE would).
    long_words = [w for w in words if len(w) >= 3]
    if not long_words:
        return None
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return select(Student.id).where(condition)
    if dialect != "sqlite" or not _has_name_index(session):
        return None
    # Each word as a quoted phrase: with the trigram tokenizer that is «occurs anywhere», as LIKE '%…%', and the
    # characters a user types mean only themselves. Shorter words are checked by `condition` on the few found.
    phrases = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
    index = table(NAME_SEARCH_TABLE, column("rowid"))
    return select(index.c.rowid).where(literal_column(NAME_SEARCH_TABLE).op("MATCH")(phrases))


def few_matching_ids(session, text, condition, limit=FEW_STUDENTS):
    """The ids of the students matching `condition` (name_search of `text`) when a trigram index finds at most
    `limit` of them; else None (no index can answer, or too many)."""
    ids = _index_ids(session, text, condition)
    if ids is None:
        return None
    found = session.scalars(ids.limit(limit + 1)).all()
    if len(found) > limit:
        return None
    if session.get_bind().dialect.name == "sqlite" and found:
        # The index answered the longer words only: the shorter ones are checked on the few found.
        found = session.scalars(select(Student.id).where(Student.id.in_(found), condition)).all()
    return found


def _has_name_index(session):
    return session.scalar(text_clause("SELECT 1 FROM sqlite_master WHERE name = :table"),
                          {"table": NAME_SEARCH_TABLE}) is not None


def name_match(session, text):
    """The NameMatch of a search typed by a user (None for an empty text)."""
    dialect = session.get_bind().dialect.name
    condition = name_search(text, dialect)
    if condition is None:
        return None
    ids = _index_ids(session, text, condition)
    if ids is None:
        return NameMatch(condition, few=False)
    # Counted in the index, up to one past FEW_STUDENTS: 0.1–2 ms whatever the number of matches.
    count = select(func.count()).select_from(ids.limit(FEW_STUDENTS + 1).subquery())
    if dialect == "postgresql":
        # Only from the trigram index: for few matches the planner would walk the name index to its end, the very
        # walk this count is to avoid («яков», 3,335 names: 27 ms instead of 2).
        session.execute(text_clause("SELECT set_config('enable_indexscan', 'off', true), "
                                    "set_config('enable_indexonlyscan', 'off', true)"))
        found = session.scalar(count)
        session.execute(text_clause("SELECT set_config('enable_indexscan', 'on', true), "
                                    "set_config('enable_indexonlyscan', 'on', true)"))
    else:
        found = session.scalar(count)
    if found > FEW_STUDENTS:
        return NameMatch(condition, few=False)
    if dialect == "sqlite":
        # The index's rows by their rowids, then the words shorter than a trigram checked on them alone.
        return NameMatch(and_(Student.id.in_(ids), condition), few=True)
    return NameMatch(condition, few=True)  # PostgreSQL reads a LIKE from the trigram index by itself


def students_named(session, text):
    """An SQL condition on Student: the ФИО holds every word of `text` (None for none). A list ordered by name
    should use name_match and its order()."""
    match = name_match(session, text)
    return None if match is None else match.condition


def carriers_of_students_named(session, student_column, text):
    """An SQL condition on a register's `student_column`: its student's ФИО holds every word of `text`.

    Few matching students go to the register's query as one array: its newest-first index is then walked with a
    hash lookup per row (as a subquery the planner looked every walked row's student up by key: 25 ms for 828
    students of 100,000)."""
    match = name_match(session, text)
    if match is None:
        return false()
    if match.few:
        ids = session.scalars(select(Student.id).where(match.condition)).all()
        if session.get_bind().dialect.name == "postgresql":
            return student_column == any_(literal(ids, ARRAY(Integer)))
        return student_column.in_(ids)
    # Many: one in twenty walked rows or more is a match, each checked by its student's key.
    return select(Student.id).where(Student.id == student_column, match.condition).exists()


@event.listens_for(Student, "before_insert")
@event.listens_for(Student, "before_update")
def _fold_student_name(mapper, connection, target):
    target.search_name = search_name(target.last_name, target.first_name, target.middle_name)


# --- validation rules, called by forms, imports and the CLI alike -------------------------------

def student_errors(session, *, last_name, first_name, birth_date, school_class_id, today=None, sex=...):
    """Return {field: Russian message} for a student that must not be saved (sex checked when given)."""
    today = today or date.today()
    errors = {}
    if sex is not ... and sex not in SEXES:
        errors["sex"] = "Укажите пол обучающегося: от него зависят слова в справках и актах."
    if not (last_name or "").strip():
        errors["last_name"] = "Укажите фамилию обучающегося."
    if not (first_name or "").strip():
        errors["first_name"] = "Укажите имя обучающегося."
    if birth_date and birth_date > today:
        errors["birth_date"] = "Дата рождения не может быть в будущем."
    if school_class_id:
        school_class = session.get(SchoolClass, school_class_id)
        current = session.scalar(select(AcademicYear).where(AcademicYear.is_current.is_(True)))
        if school_class and current and school_class.academic_year_id != current.id:
            errors["school_class"] = (
                f"Класс {school_class.name} относится к {school_class.academic_year} учебному году, "
                f"а текущий учебный год — {current}. Выберите класс текущего года."
            )
    return errors


def namesakes(session, *, last_name, first_name, middle_name, birth_date, student_id=None):
    """Students with the same ФИО (any case, «ё» as «е») and birth date: most likely the same person entered
    twice, which the people import refuses and the form asks to confirm."""
    if not birth_date or not (last_name or "").strip():
        return []
    query = select(Student).where(Student.search_name == search_name(last_name, first_name, middle_name),
                                  Student.birth_date == birth_date)
    if student_id is not None:
        query = query.where(Student.id != student_id)
    return list(session.scalars(query.order_by(Student.id)))


def school_class_errors(session, *, grade, letter, academic_year_id, class_id=None):
    errors = {}
    if grade is None or not 1 <= grade <= 11:
        errors["grade"] = "Параллель — число от 1 до 11."
    letter = (letter or "").strip().upper()
    if not letter:
        errors["letter"] = "Укажите литеру класса, например «А»."
    if not academic_year_id:
        errors["academic_year"] = "Укажите учебный год."
    if not errors:
        other = session.scalar(select(SchoolClass).where(
            SchoolClass.academic_year_id == academic_year_id, SchoolClass.grade == grade,
            SchoolClass.letter == letter))
        if other is not None and other.id != class_id:
            errors["letter"] = f"Класс {grade}{letter} в этом учебном году уже есть."
    return errors


def order_errors(session, *, number, issued_on, order_id=None, today=None):
    errors = {}
    if not (number or "").strip():
        errors["number"] = "Укажите номер приказа."
    if issued_on and issued_on > (today or date.today()):
        errors["issued_on"] = "Дата приказа не может быть в будущем."
    if not errors and issued_on:
        other = session.scalar(select(Order).where(Order.number == number.strip(), Order.issued_on == issued_on))
        if other is not None and other.id != order_id:
            errors["number"] = f"Приказ № {number} от {issued_on:%d.%m.%Y} уже есть."
        period = _numbering_period(issued_on)
        for same in session.scalars(select(Order).where(Order.number == number.strip(), Order.issued_on != issued_on,
                                                        Order.id != (order_id or 0))):
            if "number" not in errors and _numbering_period(same.issued_on) == period:
                errors["number"] = (f"Номер {number.strip()} уже занят приказом от {same.issued_on:%d.%m.%Y}: "
                                    "проверьте номер и дату приказа.")
    return errors


def academic_year_errors(session, *, name, starts_on, ends_on, year_id=None):
    import re

    errors = {}
    match = re.fullmatch(r"(\d{4})/(\d{4})", (name or "").strip())
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        errors["name"] = "Учебный год записывается как «2025/2026»."
    if starts_on and ends_on and starts_on >= ends_on:
        errors["ends_on"] = "Учебный год должен заканчиваться позже, чем начинается."
    if "name" not in errors:
        other = session.scalar(select(AcademicYear).where(AcademicYear.name == name.strip()))
        if other is not None and other.id != year_id:
            errors["name"] = f"Учебный год {name} уже есть."
    return errors


def make_current_year(session, year):
    """Only one academic year is current: the one the forms and workflows default to."""
    for other in session.scalars(select(AcademicYear).where(AcademicYear.id != year.id,
                                                            AcademicYear.is_current.is_(True))):
        other.is_current = False


def current_year(session):
    return session.scalar(select(AcademicYear).where(AcademicYear.is_current.is_(True)))


def term_errors(session, *, academic_year_id, number, kind, starts_on, ends_on):
    errors = {}
    limit = 4 if kind == "quarter" else 2
    if number is None or not 1 <= number <= limit:
        errors["number"] = f"Номер периода — от 1 до {limit}."
    if starts_on and ends_on and starts_on > ends_on:
        errors["ends_on"] = "Период не может заканчиваться раньше, чем начинается."
    year = session.get(AcademicYear, academic_year_id) if academic_year_id else None
    if year and starts_on and ends_on and (starts_on < year.starts_on or ends_on > year.ends_on):
        errors["starts_on"] = f"Период должен лежать внутри учебного года {year} ({year.starts_on:%d.%m.%Y} — {year.ends_on:%d.%m.%Y})."
    return errors

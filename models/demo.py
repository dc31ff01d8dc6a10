"""A realistic demo school: 11 grades, about 600 students, guardians, subjects and an account per role."""
import random
from datetime import date, timedelta

from sqlalchemy import func, select

from .carriers import Carrier, CarrierKind
from .marks import Mark
from .marks_import import insert_marks  # COPY on PostgreSQL: its mark totals triggers run once per batch
from .people import AcademicYear, Guardian, Order, SchoolClass, School, Student, Subject, Term, current_year
from .registers import (PORTFOLIO_RESULTS, AnnualCertification, AnnualMark, ClassRecord, CopyMedium, EjournalCopy,
                        ExamProtocol, ExamResult, PaperJournal, PersonalFile, Portfolio, PortfolioItem, RegisterBook,
                        StoredCertificate)
from .issuance import BlankReceipt
from .users import User

DEMO_PASSWORDS = {
    "admin": ("admin", "demo-admin"),
    "director": ("director", "demo-director"),
    "deputy": ("deputy", "demo-deputy"),
    "secretary": ("secretary", "demo-secretary"),
    "officer": ("officer", "demo-officer"),
    "teacher": ("class_teacher", "demo-teacher"),
}
DEMO_STAFF = {
    "admin": ("Кузнецов Павел Андреевич", "Системный администратор"),
    "director": ("Соколова Наталья Викторовна", "Директор"),
    "deputy": ("Морозова Ирина Сергеевна", "Заместитель директора по УВР"),
    "secretary": ("Волкова Светлана Петровна", "Секретарь учебной части"),
    "officer": ("Лебедева Ольга Николаевна", "Заместитель директора, ответственный за аттестаты"),
}

MALE_SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
                 "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
                 "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
                 "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
                 "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
                 "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
                 "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев"]
MALE_NAMES = ["Александр", "Максим", "Артём", "Михаил", "Иван", "Даниил", "Дмитрий", "Кирилл", "Андрей",
              "Егор", "Никита", "Илья", "Алексей", "Матвей", "Тимофей", "Роман", "Владимир", "Ярослав",
              "Фёдор", "Георгий", "Константин", "Лев", "Николай", "Степан", "Марк", "Павел", "Сергей"]
FEMALE_NAMES = ["Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Марина", "Полина",
                "София", "Дарья", "Алиса", "Ксения", "Александра", "Елизавета", "Вероника", "Арина",
                "Варвара", "Ульяна", "Валерия", "Милана", "Ева", "Татьяна", "Ольга", "Юлия", "Василиса"]
FATHER_NAMES = ["Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Евгений", "Иван",
                "Михаил", "Николай", "Владимир", "Павел", "Игорь", "Олег", "Виктор", "Юрий", "Роман",
                "Денис", "Антон", "Константин", "Пётр", "Василий", "Григорий", "Фёдор"]
SUBJECTS = ["Русский язык", "Литература", "Родной язык", "Иностранный язык (английский)", "Математика",
            "Алгебра", "Геометрия", "Вероятность и статистика", "Информатика", "История", "Обществознание",
            "География", "Биология", "Физика", "Химия", "Окружающий мир", "Изобразительное искусство",
            "Музыка", "Труд (технология)", "Физическая культура", "Основы безопасности и защиты Родины",
            "Основы религиозных культур и светской этики"]


# Patronymics written out: the rules have exceptions («Михайлович», «Игоревич», «Ильинична», «Львович»).
PATRONYMICS = {
    "Александр": ("Александрович", "Александровна"), "Сергей": ("Сергеевич", "Сергеевна"),
    "Дмитрий": ("Дмитриевич", "Дмитриевна"), "Андрей": ("Андреевич", "Андреевна"),
    "Алексей": ("Алексеевич", "Алексеевна"), "Максим": ("Максимович", "Максимовна"),
    "Евгений": ("Евгеньевич", "Евгеньевна"), "Иван": ("Иванович", "Ивановна"),
    "Михаил": ("Михайлович", "Михайловна"), "Николай": ("Николаевич", "Николаевна"),
    "Владимир": ("Владимирович", "Владимировна"), "Павел": ("Павлович", "Павловна"),
    "Игорь": ("Игоревич", "Игоревна"), "Олег": ("Олегович", "Олеговна"), "Виктор": ("Викторович", "Викторовна"),
    "Юрий": ("Юрьевич", "Юрьевна"), "Роман": ("Романович", "Романовна"), "Денис": ("Денисович", "Денисовна"),
    "Антон": ("Антонович", "Антоновна"), "Константин": ("Константинович", "Константиновна"),
    "Пётр": ("Петрович", "Петровна"), "Василий": ("Васильевич", "Васильевна"),
    "Григорий": ("Григорьевич", "Григорьевна"), "Фёдор": ("Фёдорович", "Фёдоровна"),
    "Илья": ("Ильич", "Ильинична"), "Лев": ("Львович", "Львовна"), "Никита": ("Никитич", "Никитична"),
}


def _patronymic(father, female):
    return PATRONYMICS[father][1 if female else 0]


def _female_surname(surname):
    return surname + "а"


def seed_demo_school(session, rng=None, students_total=600):
    """Idempotent: returns False when the demo school is already there (accounts are refreshed anyway).

    People first, then the registers they fill (seed_demo_carriers), each part only when it is missing.
    """
    rng = rng or random.Random(2026)
    _ensure_demo_accounts(session)
    if session.scalar(select(func.count(Student.id))) > 0:
        return seed_demo_carriers(session, rng)
    school = session.scalar(select(School))
    school.full_name = "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 7»"
    school.short_name = "МБОУ «СОШ № 7»"
    school.address = "г. Энск, ул. Школьная, д. 7"
    school.director_name = DEMO_STAFF["director"][0]
    school.document_footer = "МБОУ «СОШ № 7», тел. (000) 123-45-67"
    year = current_year(session)
    _ensure_terms(session, year)
    for position, name in enumerate(SUBJECTS, start=1):
        session.add(Subject(name=name, position=position))
    orders = _DemoOrders(session)
    classes = []
    teacher_no = 0
    for grade in range(1, 12):
        for letter in "АБВ"[: 3 if grade <= 4 else (2 if grade >= 10 else rng.choice((2, 3)))]:
            teacher_no += 1
            teacher = _teacher(session, teacher_no, rng)
            school_class = SchoolClass(academic_year=year, grade=grade, letter=letter, class_teacher=teacher)
            session.add(school_class)
            classes.append(school_class)
    session.flush()
    per_class = students_total // len(classes)
    extra = students_total - per_class * len(classes)
    pupils = []
    for index, school_class in enumerate(classes):
        for _ in range(per_class + (1 if index < extra else 0)):
            pupils.append(_student(session, school_class, year, orders, rng))
    pupils += _past_leavers(session, year, orders, rng)
    # Admitted in the order of time: the alphabetical book numbers its lines as the school admitted its pupils.
    for pupil in sorted(pupils, key=lambda p: (p.enrolled_on, p.last_name, p.first_name)):
        session.add(pupil)
    session.flush()
    _returned_pupil(session, year, orders, rng, classes)
    seed_demo_carriers(session, rng)
    return True


class _DemoOrders:
    """The school's orders on pupils, one per kind and day, numbered within the year as a secretary numbers them."""

    def __init__(self, session):
        self.session, self.made, self.counts = session, {}, {}

    def get(self, kind, day, title):
        key = (kind, day)
        if key not in self.made:
            school_year = day.year if day.month >= 9 else day.year - 1
            self.counts[school_year] = self.counts.get(school_year, 0) + 1
            order = Order(number=f"{self.counts[school_year] * 3 + 10}-о", issued_on=day, kind=kind, title=title,
                          signed_by=DEMO_STAFF["director"][0])
            self.session.add(order)
            self.made[key] = order
        return self.made[key]

    def enrolment(self, enrolled_on):
        return self.get("enrolment", enrolled_on - timedelta(days=3), "О зачислении обучающихся")


TRANSFER_SCHOOLS = ["МБОУ «СОШ № 3», г. Энск", "МАОУ «Лицей № 1», г. Энск", "МБОУ «Гимназия № 2», г. Н-ск",
                    "МБОУ «СОШ № 12», г. Энск"]


def _past_leavers(session, year, orders, rng):
    """Pupils of the three past years who left: graduates of the 11th and the 9th grade and transfers out."""
    leavers = []
    for back in range(1, 4):
        ends = date(year.starts_on.year - back + 1, 6, 25)
        graduation = orders.get("graduation", ends, "Об отчислении в связи с окончанием обучения")
        for grade, count in ((11, 8), (9, 3)):
            for _ in range(count):
                pupil = _person(rng, grade, year.starts_on.replace(year=year.starts_on.year - back))
                pupil.enrolled_on = date(ends.year - grade, 9, 1)
                pupil.enrolment_order = orders.enrolment(pupil.enrolled_on)
                pupil.status, pupil.left_on, pupil.leaving_reason = "graduated", ends, "graduation"
                pupil.leaving_order = graduation
                leavers.append(pupil)
        for _ in range(3):
            grade = rng.randrange(2, 9)
            pupil = _person(rng, grade, year.starts_on.replace(year=year.starts_on.year - back))
            pupil.enrolled_on = date(year.starts_on.year - back - grade + 1, 9, 1)
            pupil.enrolment_order = orders.enrolment(pupil.enrolled_on)
            left = date(year.starts_on.year - back + 1, rng.randrange(1, 5), rng.randrange(1, 28))
            pupil.status, pupil.left_on, pupil.leaving_reason = "left", left, "transfer"
            pupil.leaving_note = rng.choice(TRANSFER_SCHOOLS)
            pupil.leaving_order = orders.get("transfer", left, "Об отчислении в порядке перевода")
            leavers.append(pupil)
    return leavers


def _returned_pupil(session, year, orders, rng, classes):
    """One pupil who left for another school two years ago and came back this year: two lines of the book."""
    from .admission_book import readmit_student

    pupil = session.scalar(select(Student).where(Student.status == "left").order_by(Student.left_on, Student.id))
    if pupil is None:
        return
    klass = next((c for c in classes if c.grade == min(11, pupil_grade_now(pupil, year))), classes[-1])
    readmit_student(session, pupil, enrolled_on=year.starts_on, school_class=klass,
                    order=orders.enrolment(year.starts_on), came_from=pupil.leaving_note)


def pupil_grade_now(pupil, year):
    return max(1, year.starts_on.year - pupil.enrolled_on.year + 1) if pupil.enrolled_on else 5


def _person(rng, grade, on_day):
    """A pupil of `grade` on `on_day` (1 September of some year), with a mother; not yet added to the session."""
    female = rng.random() < 0.5
    surname = rng.choice(MALE_SURNAMES)
    oldest = date(on_day.year - 7 - (grade - 1), 3, 1)
    student = Student(last_name=_female_surname(surname) if female else surname,
                      first_name=rng.choice(FEMALE_NAMES if female else MALE_NAMES),
                      middle_name=_patronymic(rng.choice(FATHER_NAMES), female),
                      birth_date=oldest + timedelta(days=rng.randrange(0, 365)), sex="female" if female else "male")
    student.guardians.append(Guardian(last_name=_female_surname(surname), first_name=rng.choice(FEMALE_NAMES),
                                      middle_name=_patronymic(rng.choice(FATHER_NAMES), True), kind="mother",
                                      identity_document=f"паспорт {rng.randrange(1000, 9999)} "
                                                        f"{rng.randrange(100000, 999999)}"))
    return student


def _ensure_demo_accounts(session):
    for login, (role, password) in DEMO_PASSWORDS.items():
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            name, position = DEMO_STAFF.get(login, ("Смирнова Елена Ивановна", "Учитель начальных классов"))
            user = User(login=login, full_name=name, position=position, active=True)
            session.add(user)
        user.roles = [role]
        if not user.check_password(password):
            user.set_password(password)
    session.flush()


def _teacher(session, number, rng):
    if number == 1:
        return session.scalar(select(User).where(User.login == "teacher"))
    login = f"teacher{number:02d}"
    user = session.scalar(select(User).where(User.login == login))
    if user is None:
        female = rng.random() < 0.85
        surname = rng.choice(MALE_SURNAMES)
        name = " ".join((_female_surname(surname) if female else surname,
                         rng.choice(FEMALE_NAMES if female else MALE_NAMES),
                         _patronymic(rng.choice(FATHER_NAMES), female)))
        user = User(login=login, full_name=name, position="Учитель", active=True)
        user.roles = ["class_teacher"]
        user.set_password(DEMO_PASSWORDS["teacher"][1])
        session.add(user)
    return user


def _ensure_terms(session, year):
    if year.terms:
        return
    y = year.starts_on.year
    bounds = [(date(y, 9, 1), date(y, 10, 26)), (date(y, 11, 5), date(y, 12, 28)),
              (date(y + 1, 1, 9), date(y + 1, 3, 21)), (date(y + 1, 3, 30), date(y + 1, 5, 26))]
    for number, (start, end) in enumerate(bounds, start=1):
        session.add(Term(academic_year=year, kind="quarter", number=number, starts_on=start, ends_on=end))


def _student(session, school_class, year, orders, rng):
    female = rng.random() < 0.5
    surname = rng.choice(MALE_SURNAMES)
    father = rng.choice(FATHER_NAMES)
    # A first-grader on 1 September is 6.5 to 7.5 years old; each grade adds a year.
    oldest = date(year.starts_on.year - 7 - (school_class.grade - 1), 3, 1)
    birth = oldest + timedelta(days=rng.randrange(0, 365))
    student = Student(
        last_name=_female_surname(surname) if female else surname,
        first_name=rng.choice(FEMALE_NAMES if female else MALE_NAMES),
        middle_name=_patronymic(father, female), birth_date=birth, sex="female" if female else "male",
        school_class=school_class, status="studying",
        enrolled_on=year.starts_on.replace(year=year.starts_on.year - (school_class.grade - 1)))
    student.enrolment_order = orders.enrolment(student.enrolled_on)
    mother = Guardian(last_name=_female_surname(surname), first_name=rng.choice(FEMALE_NAMES),
                      middle_name=_patronymic(rng.choice(FATHER_NAMES), True), kind="mother",
                      phone=f"+7 9{rng.randrange(10, 99)} {rng.randrange(100, 999)}-{rng.randrange(10, 99)}-"
                            f"{rng.randrange(10, 99)}",
                      identity_document=f"паспорт {rng.randrange(1000, 9999)} {rng.randrange(100000, 999999)}")
    student.guardians.append(mother)
    if rng.random() < 0.6:
        student.guardians.append(Guardian(
            last_name=surname, first_name=father, middle_name=_patronymic(rng.choice(FATHER_NAMES), False),
            kind="father", identity_document=f"паспорт {rng.randrange(1000, 9999)} {rng.randrange(100000, 999999)}"))
    return student


# --- carriers of the demo school: the registers filled as a school that has worked for years ------------------

SUBJECTS_BY_STAGE = {
    "primary": ["Русский язык", "Математика", "Окружающий мир", "Иностранный язык (английский)",
                "Физическая культура"],
    "basic": ["Русский язык", "Литература", "Иностранный язык (английский)", "Математика", "История", "География",
              "Биология", "Физическая культура"],
    "upper": ["Русский язык", "Литература", "Алгебра", "Геометрия", "История", "Обществознание", "Физика",
              "Химия"],
}
FILE_SHELVES = "Приёмная директора, шкаф {shelf}, папка {name}"
SAFE_1 = "Сейф № 1, кабинет заместителя директора"
SAFE_2 = "Сейф № 2, кабинет директора"


def _stage_subjects(grade):
    return SUBJECTS_BY_STAGE["primary" if grade <= 4 else ("basic" if grade <= 9 else "upper")]


def seed_demo_carriers(session, rng=None, today=None):
    """Idempotent: the registers of the demo school, once; returns False when they are already there."""
    rng = rng or random.Random(2027)
    today = today or date.today()
    added = False
    if session.scalar(select(func.count(Carrier.id))) == 0 and session.scalar(select(func.count(Student.id))):
        kinds = {k.code: k for k in session.scalars(select(CarrierKind))}
        staff = {login: session.scalar(select(User).where(User.login == login)) for login in DEMO_STAFF}
        year = current_year(session)
        past = _past_years(session, year, 3)
        subjects = {s.name: s for s in session.scalars(select(Subject))}
        classes = list(session.scalars(select(SchoolClass).where(SchoolClass.academic_year_id == year.id)
                                       .order_by(SchoolClass.grade, SchoolClass.letter)))
        _personal_files(session, rng, kinds, staff, classes, past, subjects)
        _books(session, kinds, staff, year)
        session.flush()
        _lines_into_the_book(session)
        _stored_certificates(session, rng, kinds, staff, classes)
        _gia_protocols(session, rng, kinds, staff, classes, past, subjects)
        _journals_and_sheets(session, rng, kinds, staff, year, past, classes)
        _ejournal_copies(session, kinds, staff, past)
        _portfolios(session, rng, kinds, classes)
        session.flush()
        added = True
    if session.scalar(select(func.count(Mark.id))) == 0 and session.scalar(select(func.count(Student.id))):
        _term_marks(session, rng, today)
        added = True
    if session.scalar(select(func.count(BlankReceipt.id))) == 0 and session.scalar(select(func.count(Student.id))):
        seed_demo_graduation(session, random.Random(2028), today)
        added = True
    return added


def _clamp(value):
    return max(2, min(5, value))


def seed_demo_graduation(session, rng, today):
    """The demo school ready to issue: the curriculum, blanks received, a medal book, an order on issuance, and for
    the 9th and 11th grades the marks of every year the attestat needs (personal files, half-years of 10–11) and
    the ГИА results — most satisfactory, some below the minimum, one medal candidate."""
    # The demo writes a school's past as it was certified: the medal candidate's earlier marks are set to «5»
    # in files certified in the same seeding, not corrected afterwards (the lock of models/registers.py).
    session.info["mark_correction"] = True
    try:
        _seed_demo_graduation(session, rng, today)
        session.flush()
    finally:
        session.info.pop("mark_correction", None)


def _seed_demo_graduation(session, rng, today):
    from .attestation import curriculum_rows, seed_curriculum

    seed_curriculum(session)
    year = current_year(session)
    past = _past_years(session, year, 4)
    kinds = {k.code: k for k in session.scalars(select(CarrierKind))}
    staff = {login: session.scalar(select(User).where(User.login == login)) for login in DEMO_STAFF}
    for level, cert, app in (("basic", "03224000000101", "03225000000101"),
                             ("secondary", "03226000000101", "03227000000101")):
        for blank_kind, first in (("certificate", cert), ("appendix", app)):
            session.add(BlankReceipt(blank_kind=blank_kind, level=level, series="", number_from=first,
                                     number_to=first[:-3] + "200", received_on=year.starts_on + timedelta(days=60),
                                     received_from="Управление образования г. Энска", document="накладная № 17"))
    session.add(RegisterBook(kind=kinds["medal_book"], number="М-1", created_on=date(year.starts_on.year - 4, 9, 1),
                             title="Книга учёта выдачи медалей «За особые успехи в учении»", location=SAFE_1,
                             custodian=staff["officer"]))
    session.add(Order(number="112-о", issued_on=max(today - timedelta(days=1), year.starts_on), kind="issuance",
                      title="О выдаче аттестатов об основном общем и среднем общем образовании"))
    subjects = {s.name: s for s in session.scalars(select(Subject))}
    classes = list(session.scalars(select(SchoolClass).where(SchoolClass.academic_year_id == year.id,
                                                             SchoolClass.grade.in_((9, 11)))
                                   .order_by(SchoolClass.grade, SchoolClass.letter)))
    files = {f.student_id: f for f in session.scalars(select(PersonalFile))}
    have = {(m.personal_file_id, m.academic_year_id, m.subject_id): m for m in session.scalars(select(AnnualMark))}
    years_back = {0: year, **{n: past[n - 1] for n in range(1, 5)}}
    protocols = {}

    def protocol(exam, name):
        if (exam, name) not in protocols:
            day = date(year.ends_on.year, 5, 27 if name == "Русский язык" else 30) if exam != "ege_base" else \
                date(year.ends_on.year, 6, 3)
            label = {"oge": "ОГЭ", "ege": "ЕГЭ", "ege_base": "ЕГЭ (база)"}[exam]
            protocols[(exam, name)] = ExamProtocol(
                kind=kinds["gia_protocol"], exam=exam, subject=subjects[name], academic_year=year, event_on=day,
                created_on=day, number=f"{label}-{subjects[name].id}-{year.ends_on.year}",
                title=f"{label}, {name.lower()}, {day:%d.%m.%Y}", location=SAFE_2, custodian=staff["deputy"])
            session.add(protocols[(exam, name)])
        return protocols[(exam, name)]

    def annual(student, grade_back, subject, value, grade):
        file = files.get(student.id)
        the_year = years_back[grade_back]
        if file is None:
            return
        earlier = have.get((file.id, the_year.id, subject.id))
        if earlier is not None:
            if excellent:  # the excellent pupil's earlier marks agree with the rest of the file
                earlier.value = "5"
            return
        have[(file.id, the_year.id, subject.id)] = True
        file.annual_marks.append(AnnualMark(academic_year=the_year, subject=subject, grade=grade, value=str(value)))

    halves = {}
    for the_year in (year, past[0]):
        # A term mark is keyed by its last day: the half-years end a day before the quarters, so that the
        # 11th class's quarter marks (seeded above) and its half-year marks never share a slot.
        for number, (start, end) in enumerate(((date(the_year.starts_on.year, 9, 1),
                                                date(the_year.starts_on.year, 12, 27)),
                                               (date(the_year.ends_on.year, 1, 9), date(the_year.ends_on.year, 5, 25))),
                                              1):
            term = session.scalar(select(Term).where(Term.academic_year_id == the_year.id, Term.kind == "half",
                                                     Term.number == number))
            if term is None:
                term = Term(academic_year=the_year, kind="half", number=number, starts_on=start, ends_on=end)
                session.add(term)
            halves[(the_year.id, number)] = term
    session.flush()
    mark_rows = []
    for school_class in classes:
        students = sorted(school_class.students, key=lambda s: (s.last_name, s.first_name))
        level = "basic" if school_class.grade == 9 else "secondary"
        items = [i for i in curriculum_rows(session, level) if i.result_kind == "mark"]
        tenth = None
        if level == "secondary":
            tenth = session.scalar(select(SchoolClass).where(SchoolClass.academic_year_id == past[0].id,
                                                             SchoolClass.grade == 10,
                                                             SchoolClass.letter == school_class.letter))
            if tenth is None:
                tenth = SchoolClass(academic_year=past[0], grade=10, letter=school_class.letter,
                                    class_teacher=school_class.class_teacher)
                session.add(tenth)
                session.flush()
        for index, student in enumerate(students):
            # The first pupil of each class is an excellent one (honours; in 11th a medal candidate); two pupils
            # of each class fail mathematics at the ГИА and get a справка instead.
            excellent, failing = index == 0, index in (3, 7)
            strength = 5 if excellent else rng.choice((3, 4, 4, 4))

            def mark(excellent=excellent, strength=strength):
                return 5 if excellent else _clamp(strength + rng.choice((-1, 0, 0, 0, 1)))

            for item in items:
                if level == "basic":
                    annual(student, 9 - item.last_grade, item.subject, mark(), item.last_grade)
                else:
                    for grade_back, the_class in ((1, tenth), (0, school_class)):
                        the_year = years_back[grade_back]
                        annual(student, grade_back, item.subject, mark(), 11 - grade_back)
                        for number in (1, 2):
                            term = halves[(the_year.id, number)]
                            mark_rows.append(_mark_row(student, item.subject_id, the_class, "term", term.ends_on, term,
                                                       mark()))
            if level == "basic":
                chosen = rng.sample(["Обществознание", "География", "Биология", "Информатика"], 2)
                for name in ["Русский язык", "Математика"] + chosen:
                    value = 2 if (failing and name == "Математика") else mark()
                    protocol("oge", name).results.append(ExamResult(student=student, mark=str(value),
                                                                    primary_score=None))
            else:
                russian = 88 if excellent else (19 if failing else 45 + strength * 8 + rng.randint(-6, 6))
                protocol("ege", "Русский язык").results.append(ExamResult(student=student, mark=str(russian)))
                if index % 3 == 2 and not excellent:
                    protocol("ege_base", "Математика").results.append(ExamResult(student=student, mark=str(mark())))
                else:
                    score = 82 if excellent else 30 + strength * 9 + rng.randint(-6, 6)
                    protocol("ege", "Математика").results.append(ExamResult(student=student, mark=str(score)))
                chosen = "История" if excellent else rng.choice(["Обществознание", "Физика", "Биология", "История"])
                score = 79 if excellent else 35 + strength * 9 + rng.randint(-8, 8)
                protocol("ege", chosen).results.append(ExamResult(student=student, mark=str(score)))
        if level == "secondary" and students:
            _basic_attestat_of(session, students[0], kinds, year)
    if mark_rows:
        insert_marks(session, mark_rows)
    session.flush()


def _basic_attestat_of(session, student, kinds, year):
    """The medal candidate's ООО attestat «с отличием», issued here two years ago (the medal looks at both)."""
    from .attestation import curriculum_rows
    from .issuance import CertificateBookEntry, CertificateMark

    book = session.scalar(select(RegisterBook).where(RegisterBook.kind_id == kinds["certificate_book"].id,
                                                     RegisterBook.level == "basic"))
    if book is None:
        return
    number = (session.scalar(select(func.max(CertificateBookEntry.reg_number))
                             .where(CertificateBookEntry.book_id == book.id)) or 0) + 1
    issued = date(year.starts_on.year - 2, 6, 27)
    entry = CertificateBookEntry(book_id=book.id, reg_number=number, entry_kind="certificate", level="basic",
                                 student_id=student.id, last_name=student.last_name, first_name=student.first_name,
                                 middle_name=student.middle_name, birth_date=student.birth_date,
                                 blank_number=f"03224000{number:06d}", appendix_number=f"03225000{number:06d}",
                                 honours=True, order_number="58-о", order_date=issued, issued_on=issued)
    for position, item in enumerate(curriculum_rows(session, "basic")):
        entry.marks.append(CertificateMark(subject_id=item.subject_id, subject_name=item.subject.name,
                                           position=position, value="изучено" if item.result_kind == "studied" else "5"))
    session.add(entry)


def _past_years(session, year, count):
    """The academic years before the current one (created when missing), newest first."""
    years = []
    for back in range(1, count + 1):
        start = year.starts_on.year - back
        name = f"{start}/{start + 1}"
        past = session.scalar(select(AcademicYear).where(AcademicYear.name == name))
        if past is None:
            past = AcademicYear(name=name, starts_on=date(start, 9, 1), ends_on=date(start + 1, 8, 31),
                                is_current=False)
            session.add(past)
        years.append(past)
    session.flush()
    return years


def _personal_files(session, rng, kinds, staff, classes, past, subjects):
    from .admission_book import AdmissionBookEntry
    from .carriers import act_workflow

    # «Б-15»: the letter and line of the pupil's current line in the alphabetical book, read for every pupil at
    # once (asked pupil by pupil, each question flushed the files added before it: 600 flushes).
    session.flush()
    lines = {entry.student_id: entry.number
             for entry in session.scalars(select(AdmissionBookEntry).order_by(AdmissionBookEntry.id))}
    # Past leavers' files as their leaving acts left them (a transferred pupil's file handed over): the demo writes
    # that history inside the workflow context the handover act itself uses.
    with act_workflow(session):
        for pupil in session.scalars(select(Student).where(Student.status != "studying").order_by(Student.id)):
            handed = pupil.leaving_reason == "transfer"
            session.add(PersonalFile(
                kind=kinds["personal_file"], number=lines.get(pupil.id), student=pupil,
                created_on=pupil.enrolled_on, closed_on=pupil.left_on,
                status="handed_over" if handed else "archived",
                location=f"передан: {pupil.guardians[0].full_name}" if handed else "Архив школы, стеллаж 2",
                has_application=True, has_birth_certificate_copy=True))
        session.flush()
    for school_class in classes:
        shelf = 1 if school_class.grade <= 4 else (2 if school_class.grade <= 9 else 3)
        students = sorted(school_class.students, key=lambda s: (s.last_name, s.first_name))
        for student in students:
            file = PersonalFile(kind=kinds["personal_file"], number=lines.get(student.id),
                                student=student, school_class=school_class,
                                created_on=student.enrolled_on or school_class.academic_year.starts_on,
                                location=FILE_SHELVES.format(shelf=shelf, name=school_class.name),
                                custodian=staff["secretary"], has_application=True,
                                has_birth_certificate_copy=True, has_medical_policy_copy=rng.random() < 0.9,
                                medical_card_location="Медицинский кабинет")
            session.add(file)
            # Past years' marks, certified by the class teacher, in about a third of the files.
            if school_class.grade >= 3 and rng.random() < 0.35:
                for back, past_year in enumerate(past[:2], start=1):
                    grade = school_class.grade - back
                    if grade < 2:
                        break
                    for name in _stage_subjects(grade):
                        file.annual_marks.append(AnnualMark(academic_year=past_year, subject=subjects[name],
                                                            grade=grade, value=rng.choice("5544443")))
                    file.certifications.append(AnnualCertification(
                        academic_year=past_year, certified_by=school_class.class_teacher,
                        certified_on=past_year.ends_on.replace(month=6, day=5)))


def _books(session, kinds, staff, year):
    opened = date(year.starts_on.year - 4, 9, 1)
    session.add_all([
        RegisterBook(kind=kinds["certificate_book"], level="basic", number="ООО-3", created_on=opened,
                     title="Книга регистрации выданных аттестатов об основном общем образовании",
                     location=SAFE_1, custodian=staff["officer"]),
        RegisterBook(kind=kinds["certificate_book"], level="secondary", number="СОО-2", created_on=opened,
                     title="Книга регистрации выданных аттестатов о среднем общем образовании",
                     location=SAFE_1, custodian=staff["officer"]),
        RegisterBook(kind=kinds["study_certificate_book"], number="СО-1", created_on=opened,
                     title="Книга регистрации выданных справок об обучении", location="Приёмная директора, шкаф 4",
                     custodian=staff["secretary"]),
        RegisterBook(kind=kinds["admission_book"], number="АК-1", created_on=date(year.starts_on.year - 12, 9, 1),
                     title="Алфавитная книга записи обучающихся", location="Приёмная директора, сейф",
                     custodian=staff["secretary"]),
        RegisterBook(kind=kinds["pupil_orders"], number="КП-1", created_on=date(year.starts_on.year - 12, 9, 1),
                     title="Книга приказов по контингенту обучающихся", location="Приёмная директора, шкаф 1",
                     custodian=staff["secretary"]),
    ])


def _lines_into_the_book(session):
    """The book volume was put on the register after its lines were written: the lines name it."""
    from .admission_book import AdmissionBookEntry, open_book

    book = open_book(session)
    for line in session.scalars(select(AdmissionBookEntry).where(AdmissionBookEntry.book_id.is_(None))):
        line.book = book


def _stored_certificates(session, rng, kinds, staff, classes):
    number = 0
    for school_class in classes:
        if school_class.grade < 10:
            continue
        for student in sorted(school_class.students, key=lambda s: s.last_name)[:4]:
            number += 1
            accepted = date(school_class.academic_year.starts_on.year - (school_class.grade - 10), 9, 2)
            session.add(StoredCertificate(kind=kinds["stored_certificate"], student=student,
                                          school_class=school_class, series_number=f"0322400{number:07d}",
                                          title="Аттестат об основном общем образовании", created_on=accepted,
                                          location=SAFE_1, custodian=staff["officer"]))


def _gia_protocols(session, rng, kinds, staff, classes, past, subjects):
    tenth = [s for c in classes if c.grade == 10 for s in c.students]
    for back, past_year in enumerate(past[:2], start=1):
        end = past_year.ends_on.year
        for exam_day, name, code in ((date(end, 5, 27), "Русский язык", "РЯ"), (date(end, 6, 3), "Математика", "МА")):
            protocol = ExamProtocol(kind=kinds["gia_protocol"], exam="oge", subject=subjects[name],
                                    academic_year=past_year, event_on=exam_day, created_on=exam_day,
                                    number=f"ОГЭ-{code}-{end}", title=f"ОГЭ, {name.lower()}, {exam_day:%d.%m.%Y}",
                                    location="Кабинет заместителя директора, шкаф 2", custodian=staff["deputy"])
            if back == 1:  # last year's ninth-graders are this year's tenth-graders
                for student in tenth:
                    score = rng.randrange(12, 33)
                    protocol.results.append(ExamResult(student=student, primary_score=score,
                                                       mark=str(3 if score < 20 else (4 if score < 28 else 5)),
                                                       seen_on=exam_day + timedelta(days=12)))
            session.add(protocol)


def _journals_and_sheets(session, rng, kinds, staff, year, past, classes):
    session.add_all([
        PaperJournal(kind=kinds["paper_journal"], journal_kind="club", title="Кружок «Юный химик»",
                     group_name="8–9 классы", teacher="Белова Анна Сергеевна", academic_year=year,
                     created_on=year.starts_on, location="Кабинет химии"),
        PaperJournal(kind=kinds["paper_journal"], journal_kind="elective", title="Элективный курс «Практикум по "
                     "математике»", group_name="11А", teacher="Орлов Дмитрий Петрович", academic_year=past[0],
                     created_on=past[0].starts_on, closed_on=past[0].ends_on.replace(month=5, day=25),
                     location="Кабинет заместителя директора, шкаф 3"),
    ])
    # Summary sheets: the last years (kept 25 years) and a few of the 1990s, whose term has run out.
    for end in list(range(year.starts_on.year - 3, year.starts_on.year + 1)) + [1996, 1997, 1998]:
        for grade, letter in ((9, "А"), (11, "А")):
            session.add(ClassRecord(kind=kinds["summary_sheet"], number=f"СВ-{end}-{grade}{letter}",
                                    title=f"Сводная ведомость успеваемости {grade}{letter}, {end - 1}/{end}",
                                    closed_on=date(end, 6, 30), created_on=date(end - 1, 9, 1),
                                    pages=rng.randrange(4, 12),
                                    location="Архив, стеллаж 2" if end < 2000 else "Кабинет заместителя директора"))


def _ejournal_copies(session, kinds, staff, past):
    import hashlib

    def medium(kind, place, text):
        return CopyMedium(medium_type=kind, location=place, file_path=None,
                          sha256=hashlib.sha256(text.encode()).hexdigest())

    for past_year, term_name in ((past[0], "учебный год"), (past[1], "учебный год")):
        made = past_year.ends_on.replace(month=6, day=20)
        session.add(EjournalCopy(kind=kinds["ejournal_copy"], academic_year=past_year, created_on=made,
                                 number=f"ЭЖ-{past_year.name}", title=f"Электронный журнал, {past_year.name}, {term_name}",
                                 file_format="xlsx", made_by=staff["admin"], location=SAFE_1,
                                 custodian=staff["admin"],
                                 media=[medium("optical", SAFE_1, past_year.name),
                                        medium("flash", SAFE_2, past_year.name)]))
    # One copy made in a hurry: a single medium, which the register shows as a problem.
    session.add(EjournalCopy(kind=kinds["ejournal_copy"], academic_year=past[0],
                             created_on=past[0].starts_on.replace(month=12, day=29), number=f"ЭЖ-{past[0].name}-1п",
                             title=f"Электронный журнал, {past[0].name}, 1 полугодие", file_format="pdf",
                             made_by=staff["admin"], location=SAFE_1, custodian=staff["admin"],
                             media=[medium("flash", SAFE_1, "1п")]))
    # And one so old that its five years have run out.
    old = date(past[-1].starts_on.year - 4, 6, 20)
    session.add(EjournalCopy(kind=kinds["ejournal_copy"], created_on=old, number=f"ЭЖ-{old.year - 1}/{old.year}",
                             title=f"Электронный журнал, {old.year - 1}/{old.year}, учебный год", file_format="xlsx",
                             location=SAFE_2, custodian=staff["admin"],
                             media=[medium("optical", SAFE_1, str(old)), medium("optical", SAFE_2, str(old))]))


def _portfolios(session, rng, kinds, classes):
    titles = [("olympiad", "Всероссийская олимпиада школьников по математике, школьный этап", "school"),
              ("olympiad", "Всероссийская олимпиада школьников по истории, муниципальный этап", "municipal"),
              ("gto", "Знак отличия ГТО", "federal"), ("contest", "Конкурс чтецов «Живая классика»", "municipal"),
              ("diploma", "Региональная научно-практическая конференция «Шаг в науку»", "regional"),
              ("certificate", "Грамота за участие в субботнике", "school"),
              ("project", "Проект «История моей улицы»", "school")]
    for school_class in classes:
        if school_class.grade < 5:
            continue
        for student in rng.sample(sorted(school_class.students, key=lambda s: s.id), min(3, len(school_class.students))):
            portfolio = Portfolio(kind=kinds["portfolio"], student=student, school_class=school_class,
                                  created_on=school_class.academic_year.starts_on,
                                  location=f"Кабинет классного руководителя {school_class.name}",
                                  custodian=school_class.class_teacher)
            for item_kind, title, level in rng.sample(titles, rng.randrange(1, 4)):
                portfolio.items.append(PortfolioItem(
                    item_kind=item_kind, title=title, level=level, result=rng.choice(list(PORTFOLIO_RESULTS)),
                    achieved_on=school_class.academic_year.starts_on + timedelta(days=rng.randrange(20, 200))))
            session.add(portfolio)


def _term_marks(session, rng, today):
    """Current and term marks of a few classes for the started terms: bulk rows, as an import writes them."""
    year = current_year(session)
    terms = [t for t in sorted(year.terms, key=lambda t: t.starts_on) if t.starts_on <= today] or \
        sorted(year.terms, key=lambda t: t.starts_on)[:1]
    classes = [c for c in session.scalars(select(SchoolClass).where(SchoolClass.academic_year_id == year.id)
                                          .order_by(SchoolClass.grade, SchoolClass.letter))
               if (c.grade, c.letter) in ((5, "А"), (9, "А"), (11, "А"))]
    subjects = {s.name: s.id for s in session.scalars(select(Subject))}
    rows = []
    for term in terms[-2:]:
        last = min(term.ends_on, today) if term.starts_on <= today else term.ends_on
        if (last - term.starts_on).days < 14:
            last = term.ends_on  # a term just begun still gets its marks, so the pages have something to show
        days = [term.starts_on + timedelta(days=d) for d in range((last - term.starts_on).days + 1)]
        days = [d for d in days if d.weekday() < 5]
        for school_class in classes:
            for student in school_class.students:
                strength = rng.choice((2, 3, 3, 4, 4, 4, 5, 5))  # how the student usually does
                for name in _stage_subjects(school_class.grade)[:6]:
                    values = []
                    for day in sorted(rng.sample(days, min(len(days), 9))):
                        if rng.random() < 0.06:
                            code = rng.choice(("н", "Б", "п"))
                            rows.append(_mark_row(student, subjects[name], school_class, "current", day, term, None,
                                                  code))
                            continue
                        value = max(2, min(5, strength + rng.choice((-1, 0, 0, 0, 1))))
                        values.append(value)
                        rows.append(_mark_row(student, subjects[name], school_class, "current", day, term, value))
                    if values:
                        rows.append(_mark_row(student, subjects[name], school_class, "term", term.ends_on, term,
                                              max(2, round(sum(values) / len(values)))))
    if rows:
        insert_marks(session, rows)


def _mark_row(student, subject_id, school_class, kind, day, term, value, code=None):
    return {"student_id": student.id, "subject_id": subject_id, "school_class_id": school_class.id, "kind": kind,
            "marked_on": day, "slot": 0, "term_id": term.id, "value": value, "code": code, "weight": 1,
            "import_id": None}

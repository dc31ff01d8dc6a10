"""A realistic demo school: 11 grades, about 600 students, guardians, subjects and an account per role."""
import random
from datetime import date, timedelta

from sqlalchemy import func, select

from .people import AcademicYear, Guardian, Order, SchoolClass, School, Student, Subject, Term, current_year
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


def _patronymic(father, female):
    irregular = {"Пётр": "Петр", "Павел": "Павл", "Лев": "Льв"}
    stem = irregular.get(father, father)
    if stem.endswith("ий"):
        stem = stem[:-2]
        return stem + ("ьевна" if female else "ьевич")
    if stem.endswith("й"):
        return stem[:-1] + ("евна" if female else "евич")
    if stem.endswith("а"):
        return stem[:-1] + ("ична" if female else "ич")
    return stem + ("овна" if female else "ович")


def _female_surname(surname):
    return surname + "а"


def seed_demo_school(session, rng=None, students_total=600):
    """Idempotent: returns False when the demo school is already there (accounts are refreshed anyway)."""
    rng = rng or random.Random(2026)
    _ensure_demo_accounts(session)
    if session.scalar(select(func.count(Student.id))) > 0:
        return False
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
    order = Order(number="45-о", issued_on=year.starts_on - timedelta(days=3), kind="enrolment",
                  title="О зачислении обучающихся")
    session.add(order)
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
    for index, school_class in enumerate(classes):
        for _ in range(per_class + (1 if index < extra else 0)):
            _student(session, school_class, year, order, rng)
    session.flush()
    return True


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


def _student(session, school_class, year, order, rng):
    female = rng.random() < 0.5
    surname = rng.choice(MALE_SURNAMES)
    father = rng.choice(FATHER_NAMES)
    # A first-grader on 1 September is 6.5 to 8 years old; each grade adds a year.
    oldest = date(year.starts_on.year - 7 - (school_class.grade - 1), 9, 1)
    birth = oldest + timedelta(days=rng.randrange(0, 365))
    student = Student(
        last_name=_female_surname(surname) if female else surname,
        first_name=rng.choice(FEMALE_NAMES if female else MALE_NAMES),
        middle_name=_patronymic(father, female), birth_date=birth, sex="female" if female else "male",
        school_class=school_class, status="studying", enrolled_on=year.starts_on if school_class.grade == 1
        else year.starts_on - timedelta(days=365 * (school_class.grade - 1)), enrolment_order=order)
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
    session.add(student)

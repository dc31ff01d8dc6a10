"""Import of students, their guardians and personal files from XLSX or CSV: every row checked, all or nothing."""
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from .carriers import CarrierKind
from .marks_import import ImportFileError, norm, read_sheets
from .people import GUARDIAN_KINDS, Guardian, SchoolClass, Student, current_year, student_errors
from .registers import PersonalFile, personal_file_errors
from .text import CONTROL_MESSAGE, has_control_characters
from .dates import parse_date

# Column header -> field; the template and the README list them in this order.
COLUMNS = (
    ("Фамилия", "last_name", True),
    ("Имя", "first_name", True),
    ("Отчество", "middle_name", False),
    ("Дата рождения", "birth_date", True),
    ("Пол", "sex", True),
    ("Класс", "class_name", True),
    ("Дата зачисления", "enrolled_on", False),
    ("Номер личного дела", "file_number", False),
    ("Место хранения личного дела", "file_location", False),
    ("Представитель 1: ФИО", "g1_name", False),
    ("Представитель 1: кем приходится", "g1_kind", False),
    ("Представитель 1: телефон", "g1_phone", False),
    ("Представитель 1: документ", "g1_document", False),
    ("Представитель 2: ФИО", "g2_name", False),
    ("Представитель 2: кем приходится", "g2_kind", False),
    ("Представитель 2: телефон", "g2_phone", False),
    ("Представитель 2: документ", "g2_document", False),
    # Written into the alphabetical book's line of the admission.
    ("Откуда прибыл", "came_from", False),
    # The enrolment order, picked by number and date or created: one record for every pupil it admitted.
    ("Приказ о зачислении: номер", "order_number", False),
    ("Приказ о зачислении: дата", "order_date", False),
)
HEADERS = {norm(title): (name, required) for title, name, required in COLUMNS}
SEXES = {"м": "male", "муж": "male", "мужской": "male", "ж": "female", "жен": "female", "женский": "female"}
KINDS = {norm(label): code for code, label in GUARDIAN_KINDS.items()} | {"мать": "mother", "отец": "father",
                                                                          "опекун": "guardian"}


@dataclass
class ImportResult:
    errors: list = field(default_factory=list)  # (row, column, message)
    rows: list = field(default_factory=list)
    students: int = 0
    guardians: int = 0
    files: int = 0

    @property
    def ok(self):
        return not self.errors


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _date(value):
    if isinstance(value, (date, datetime)):
        return parse_date(value)
    text = _text(value)
    try:
        return parse_date(text)
    except ValueError as exc:
        raise ValueError(f"дата «{text}»: {str(exc)[:1].lower()}{str(exc)[1:]}")


def template_xlsx():
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Обучающиеся"
    sheet.append([title for title, _, _ in COLUMNS])
    sheet.append(["Белова", "Анна", "Сергеевна", "03.05.2014", "ж", "6А", "01.09.2021", "Б-15", "Приёмная, шкаф 2",
                  "Белова Ирина Петровна", "мать", "+7 900 123-45-67", "паспорт 4510 123456", "", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header_map(row, result):
    mapping = {}
    for index, cell in enumerate(row):
        key = norm(cell)
        if not key:
            continue
        if key not in HEADERS:
            result.errors.append((1, _text(cell), "неизвестный столбец: уберите его или исправьте название по "
                                                  "шаблону"))
            continue
        mapping[HEADERS[key][0]] = index
    for title, name, required in COLUMNS:
        if required and name not in mapping:
            result.errors.append((1, title, "нет обязательного столбца"))
    return mapping


def check_rows(session, data, filename, today=None):
    """Read and check every row; return ImportResult with errors (row, column, message) or planned rows."""
    today = today or date.today()
    result = ImportResult()
    sheets = [s for s in read_sheets(data, filename) if s.rows]
    if not sheets:
        raise ImportFileError("В файле нет ни одной строки.")
    rows = sheets[0].rows
    mapping = _header_map(rows[0], result)
    if result.errors:
        return result
    year = current_year(session)
    classes = {norm(c.name): c for c in session.scalars(select(SchoolClass).where(
        SchoolClass.academic_year_id == (year.id if year else None)))}
    existing = {(norm(s.last_name), norm(s.first_name), norm(s.middle_name), s.birth_date)
                for s in session.scalars(select(Student))}
    seen, numbers = set(), set()
    titles = {name: title for title, name, _ in COLUMNS}
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: (row[i] if i < len(row) else None) for name, i in mapping.items()}
        if not any(_text(v) for v in cells.values()):
            continue
        errors = []

        def bad(name, message, errors=errors, number=number):
            errors.append((number, titles[name], message))

        values = {name: _text(cells.get(name)) for name in mapping}
        for name, value in values.items():
            if has_control_characters(value):
                bad(name, CONTROL_MESSAGE[0].lower() + CONTROL_MESSAGE[1:].rstrip("."))
        for name in ("birth_date", "enrolled_on", "order_date"):
            try:
                values[name] = _date(cells.get(name))
            except ValueError as exc:
                bad(name, str(exc))
                values[name] = None
        for title, name, required in COLUMNS:
            if required and not values.get(name) and not any(e[1] == title for e in errors):
                bad(name, "не заполнено")
        sex = SEXES.get(norm(values.get("sex")))
        if values.get("sex") and sex is None:
            bad("sex", f"«{values['sex']}»: укажите «м» или «ж»")
        school_class = classes.get(norm(values.get("class_name")))
        if values.get("class_name") and school_class is None:
            bad("class_name", f"класса «{values['class_name']}» нет в текущем учебном году")
        rule = student_errors(session, last_name=values.get("last_name"), first_name=values.get("first_name"),
                              birth_date=values.get("birth_date"), school_class_id=None, today=today)
        if "birth_date" in rule:
            bad("birth_date", rule["birth_date"])
        key = (norm(values.get("last_name")), norm(values.get("first_name")), norm(values.get("middle_name")),
               values.get("birth_date"))
        if key in existing:
            bad("last_name", "такой обучающийся (ФИО и дата рождения) уже есть в панели")
        elif key in seen:
            bad("last_name", "обучающийся повторяется в файле")
        seen.add(key)
        if bool(values.get("order_number")) != bool(values.get("order_date")) and not any(
                e[1] == titles["order_date"] for e in errors):
            bad("order_number", "укажите и номер, и дату приказа о зачислении")
        elif values.get("order_number"):
            from .people import order_conflict

            if values["order_date"] > today:
                bad("order_date", "дата приказа не может быть в будущем")
            # The same rule as every other door: another kind's order, or the number taken on another day.
            _, problem = order_conflict(session, number=values["order_number"], issued_on=values["order_date"],
                                        accept=("enrolment",))
            if problem:
                bad("order_number", problem[0].lower() + problem[1:].rstrip("."))
        if values.get("file_number"):
            problem = personal_file_errors(session, number=values["file_number"], student_id=-1).get("number")
            if problem:
                bad("file_number", problem)
            elif values["file_number"] in numbers:
                bad("file_number", "номер личного дела повторяется в файле")
            numbers.add(values["file_number"])
        guardians = []
        for prefix in ("g1", "g2"):
            name = values.get(f"{prefix}_name")
            if not name:
                continue
            parts = name.split()
            if len(parts) < 2:
                bad(f"{prefix}_name", "укажите фамилию и имя представителя")
            raw_kind = values.get(f"{prefix}_kind")
            kind = KINDS.get(norm(raw_kind)) if raw_kind else "other"
            if kind is None:
                bad(f"{prefix}_kind", "укажите: мать, отец, опекун или иной представитель")
            guardians.append(dict(last_name=parts[0], first_name=parts[1] if len(parts) > 1 else "",
                                  middle_name=" ".join(parts[2:]) or None, kind=kind,
                                  phone=values.get(f"{prefix}_phone") or None,
                                  identity_document=values.get(f"{prefix}_document") or None))
        result.errors.extend(errors)
        if not errors:
            result.rows.append(dict(values=values, sex=sex, school_class=school_class, guardians=guardians))
    return result


def import_rows(session, result):
    """Create every checked row in the caller's transaction (the caller commits, or rolls back on failure)."""
    if result.errors:
        raise ValueError("Импорт с ошибками не выполняется.")
    from .people import pick_order

    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    for row in result.rows:
        values = row["values"]
        order = None
        if values.get("order_number"):
            _, order = pick_order(session, kind="enrolment", number=values["order_number"],
                                  issued_on=values["order_date"], title="О зачислении обучающихся")
        student = Student(last_name=values["last_name"], first_name=values["first_name"],
                          middle_name=values.get("middle_name") or None, birth_date=values["birth_date"],
                          sex=row["sex"], school_class=row["school_class"], status="studying",
                          enrolled_on=values.get("enrolled_on"), came_from=(values.get("came_from") or "")[:300] or None,
                          enrolment_order=order)
        session.add(student)
        result.students += 1
        for data in row["guardians"]:
            student.guardians.append(Guardian(**data))
            result.guardians += 1
        if values.get("file_number"):
            session.add(PersonalFile(kind=kind, number=values["file_number"], student=student,
                                     school_class=row["school_class"], created_on=values.get("enrolled_on"),
                                     location=values.get("file_location") or None, status="kept"))
            result.files += 1
    session.flush()
    return result

"""The two yardsticks measured beside each list and form of the panel, in the same process and run.

- The floor (/floor/...): the same rows read by raw SQL and rendered by a minimal Jinja template — what the page
  costs with no framework at all. The panel's page should stay within FLOOR_RATIO of it.
- Plain Flask-Admin (/plain/...): a ModelView of the same table with default settings, configured as a
  Flask-Admin user would for a district's data: the same columns, search and filter, related rows loaded with
  the page (column_select_related_list) and large relations looked up as you type (form_ajax_refs) instead of a
  <select> of 100,000 pupils. The panel's page should take at most PLAIN_RATIO of its time.

Both are mounted only in the benchmark's app (bench/run.py build_app), never in the panel.
"""
from flask import abort, request
from jinja2 import Environment
from sqlalchemy import text

from models import db

FLOOR_RATIO = 2.0
PLAIN_RATIO = 0.5
PAGE_SIZE = 50
SEARCH = "иван"  # a very common name: Иван, Иванов(а), Иванович/Ивановна

_ENV = Environment(autoescape=True)
_LIST = _ENV.from_string("""<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><h1>{{ title }}</h1><form><input name="search" value="{{ search }}"></form>
<table><thead><tr>{% for h in head %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr><td><a href="edit/?id={{ row[0] }}">правка</a></td>{% for v in row[1:] %}<td>{{ v if v is not none else "" }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table><a href="?page={{ page + 1 }}">дальше</a></body></html>""")
_FORM = _ENV.from_string("""<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><h1>{{ title }}</h1><form method="post"><input type="hidden" name="csrf_token" value="x">
{% for name, value in fields %}<label>{{ name }} <input name="{{ name }}" value="{{ value if value is not none else "" }}"></label>
{% endfor %}{% for name, selected, options in selects %}<label>{{ name }} <select name="{{ name }}">
{% for value, label in options %}<option value="{{ value }}"{% if value == selected %} selected{% endif %}>{{ label }}</option>
{% endfor %}</select></label>
{% endfor %}{% for title, rows in tables %}<fieldset><legend>{{ title }}</legend>{% for row in rows %}<div>{% for v in row %}<input value="{{ v if v is not none else "" }}">{% endfor %}</div>
{% endfor %}</fieldset>{% endfor %}<button>Сохранить</button></form></body></html>""")


def _page():
    try:
        return max(0, int(request.args.get("page", 0)))
    except ValueError:
        abort(400)


def _rows(sql, **params):
    return db.session.execute(text(sql), params).all()


def _search_clause(column):
    search = request.args.get("search", "").strip().lower().replace("ё", "е")
    if not search:
        return "", {}
    return f" AND {column} LIKE :pattern", {"pattern": f"%{search}%"}


PERSONAL_FILES_HEAD = ("", "Номер", "Обучающийся", "Класс", "Открыто", "Закрыто", "Статус", "Место хранения",
                       "Хранить до")


def floor_personal_files():
    # The kind's id read first, as a value: PostgreSQL then plans the page for it (through a sub-select it walked
    # the primary key of all 300,000 carriers).
    where, params = _search_clause("s.search_name")
    if request.args.get("status"):
        where += " AND c.status = :status"
        params["status"] = request.args["status"]
    rows = _rows(f"""
        SELECT c.id, c.number, s.last_name || ' ' || s.first_name || ' ' || COALESCE(s.middle_name, ''), k.name,
               c.created_on, c.closed_on, c.status, c.location, c.retention_end
        FROM carrier c JOIN personal_file p ON p.id = c.id
        LEFT JOIN student s ON s.id = c.student_id LEFT JOIN school_class k ON k.id = c.school_class_id
        WHERE c.kind_id = :kind{where}
        ORDER BY c.id DESC LIMIT :limit OFFSET :offset""", limit=PAGE_SIZE, offset=_page() * PAGE_SIZE,
                 kind=_rows("SELECT id FROM carrier_kind WHERE code = 'personal_file'")[0][0], **params)
    return _LIST.render(title="Личные дела", head=PERSONAL_FILES_HEAD, rows=rows, page=_page(),
                        search=request.args.get("search", ""))


def floor_students():
    where, params = _search_clause("s.search_name")
    if request.args.get("status"):
        where += " AND s.status = :status"
        params["status"] = request.args["status"]
    rows = _rows(f"""
        SELECT s.id, s.last_name, s.first_name, s.middle_name, s.birth_date, k.name, s.status
        FROM student s LEFT JOIN school_class k ON k.id = s.school_class_id
        WHERE 1 = 1{where} ORDER BY s.search_name, s.id LIMIT :limit OFFSET :offset""",
                 limit=PAGE_SIZE, offset=_page() * PAGE_SIZE, **params)
    return _LIST.render(title="Обучающиеся", head=("", "Фамилия", "Имя", "Отчество", "Дата рождения", "Класс",
                                                   "Статус"), rows=rows, page=_page(),
                        search=request.args.get("search", ""))


def floor_admission_book():
    rows = _rows("""
        SELECT e.id, e.letter, e.line_number, e.last_name, e.first_name, e.middle_name, e.birth_date, e.admitted_on,
               a.number, e.admitted_class, e.came_from, e.left_on, l.number, e.left_to, e.personal_file_number
        FROM admission_book_entry e LEFT JOIN school_order a ON a.id = e.admission_order_id
        LEFT JOIN school_order l ON l.id = e.leaving_order_id
        ORDER BY e.letter, e.line_number LIMIT :limit OFFSET :offset""", limit=PAGE_SIZE, offset=_page() * PAGE_SIZE)
    return _LIST.render(title="Алфавитная книга", head=("", "Буква", "№", "Фамилия", "Имя", "Отчество", "Рождён",
                                                        "Принят", "Приказ", "Класс", "Откуда", "Выбыл", "Приказ",
                                                        "Куда", "Личное дело"), rows=rows, page=_page(), search="")


def _record(sql, **params):
    row = db.session.execute(text(sql), params).mappings().first()
    if row is None:
        abort(404)
    return row


def _options(sql, **params):
    return [(str(r[0]), r[1]) for r in _rows(sql, **params)]


def floor_personal_file_form():
    """The file, its kind/custodian/subject/year options and its annual marks and certifications; the student and
    the class as one chosen option each (the panel looks them up as you type)."""
    file_id = request.args.get("id", type=int)
    r = _record("""
        SELECT c.*, p.has_application, p.has_birth_certificate_copy, p.has_medical_policy_copy,
               p.medical_card_location, s.last_name || ' ' || s.first_name AS student_name, k.name AS class_name
        FROM carrier c JOIN personal_file p ON p.id = c.id LEFT JOIN student s ON s.id = c.student_id
        LEFT JOIN school_class k ON k.id = c.school_class_id WHERE c.id = :id""", id=file_id)
    years = _options("SELECT id, name FROM academic_year ORDER BY starts_on DESC")
    subjects = _options("SELECT id, name FROM subject ORDER BY position, name")
    users = _options("SELECT id, full_name FROM \"user\" WHERE active ORDER BY full_name")
    kinds = _options("SELECT id, name FROM carrier_kind WHERE code = 'personal_file'")
    marks = _rows("SELECT id, academic_year_id, grade, subject_id, value FROM annual_mark "
                  "WHERE personal_file_id = :id ORDER BY academic_year_id, subject_id", id=file_id)
    certified = _rows("SELECT id, academic_year_id, certified_by_id, certified_on FROM annual_certification "
                      "WHERE personal_file_id = :id", id=file_id)
    mark_rows = [(m.id, dict(years).get(str(m.academic_year_id)), m.grade, dict(subjects).get(str(m.subject_id)),
                  m.value) for m in marks]
    fields = [(n, r[n]) for n in ("number", "created_on", "closed_on", "status", "location", "note", "annul_reason",
                                  "medical_card_location", "has_application", "has_birth_certificate_copy",
                                  "has_medical_policy_copy", "annulled")]
    selects = [("kind", str(r["kind_id"]), kinds), ("student", str(r["student_id"]), [(str(r["student_id"]),
                                                                                          r["student_name"])]),
               ("school_class", str(r["school_class_id"]), [(str(r["school_class_id"]), r["class_name"])]),
               ("custodian", str(r["custodian_id"]), [("", "")] + users),
               ("new_mark_year", "", years), ("new_mark_subject", "", subjects)]
    return _FORM.render(title="Личное дело", fields=fields, selects=selects,
                        tables=[("Годовые отметки", mark_rows), ("Заверения", certified)])


def floor_student_form():
    """The pupil, the classes of the two latest years (as the panel offers them) and the pupil's guardians."""
    student_id = request.args.get("id", type=int)
    r = _record("SELECT * FROM student WHERE id = :id", id=student_id)
    classes = _options("""
        SELECT k.id, k.name || ' (' || y.name || ')' FROM school_class k JOIN academic_year y ON y.id = k.academic_year_id
        WHERE k.academic_year_id IN (SELECT id FROM academic_year ORDER BY starts_on DESC LIMIT 2)
        ORDER BY k.academic_year_id DESC, k.grade, k.letter""")
    guardians = _rows("""SELECT g.id, g.last_name, g.first_name, g.middle_name FROM guardian g
        JOIN student_guardian sg ON sg.guardian_id = g.id WHERE sg.student_id = :id""", id=student_id)
    fields = [(n, r[n]) for n in ("last_name", "first_name", "middle_name", "birth_date", "enrolled_on", "came_from",
                                  "pd_consent_on", "pd_basis_note")]
    selects = [("sex", r["sex"], [("", "— выберите —"), ("male", "мужской"), ("female", "женский")]),
               ("school_class", str(r["school_class_id"]), [("", "")] + classes),
               ("guardians", "", [(str(g.id), f"{g.last_name} {g.first_name}") for g in guardians])]
    return _FORM.render(title="Обучающийся", fields=fields, selects=selects, tables=[])


FLOORS = {
    "personal_file": floor_personal_files, "student": floor_students, "admission_book": floor_admission_book,
    "personal_file_form": floor_personal_file_form, "student_form": floor_student_form,
}


def add_floor(app):
    def floor(name):
        if name not in FLOORS:
            abort(404)
        return FLOORS[name]()

    app.add_url_rule("/floor/<name>/", "bench_floor", floor)


def add_plain_views(app):
    """Plain ModelViews of the same tables (see the module's docstring)."""
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView
    from flask_admin.theme import Bootstrap4Theme

    from models import PersonalFile, Student
    from models.admission_book import AdmissionBookEntry

    class PlainPersonalFiles(ModelView):
        page_size = PAGE_SIZE
        column_list = ("number", "student", "school_class.name", "created_on", "closed_on", "status", "location",
                       "retention_end")
        column_select_related_list = (PersonalFile.student, PersonalFile.school_class)
        column_searchable_list = ("number", "student.search_name")
        column_filters = ("status",)
        column_default_sort = ("id", True)
        form_columns = ("kind", "number", "student", "school_class", "created_on", "closed_on", "status",
                        "has_application", "has_birth_certificate_copy", "has_medical_policy_copy",
                        "medical_card_location", "location", "custodian", "note", "annulled", "annul_reason")
        form_ajax_refs = {"student": {"fields": ("search_name",), "page_size": 10},
                          "school_class": {"fields": ("name",), "page_size": 10}}
        inline_models = (__import__("models").AnnualMark, __import__("models").AnnualCertification)

    class PlainStudents(ModelView):
        page_size = PAGE_SIZE
        column_list = ("last_name", "first_name", "middle_name", "birth_date", "school_class.name", "status")
        column_select_related_list = (Student.school_class,)
        column_searchable_list = ("search_name",)
        column_filters = ("status",)
        column_default_sort = [("search_name", False), ("id", False)]
        form_columns = ("last_name", "first_name", "middle_name", "birth_date", "sex", "school_class", "guardians",
                        "enrolled_on", "came_from", "pd_basis", "pd_consent_on", "pd_basis_note")
        form_ajax_refs = {"school_class": {"fields": ("name",), "page_size": 10},
                          "guardians": {"fields": ("last_name",), "page_size": 10}}

    class PlainAdmissionBook(ModelView):
        page_size = PAGE_SIZE
        column_list = ("letter", "line_number", "last_name", "first_name", "middle_name", "birth_date", "admitted_on",
                       "admission_order", "admitted_class", "came_from", "left_on", "leaving_order", "left_to",
                       "personal_file_number")
        column_select_related_list = (AdmissionBookEntry.admission_order, AdmissionBookEntry.leaving_order)
        column_default_sort = [("letter", False), ("line_number", False)]

    plain = Admin(app, name="Plain", url="/plain", endpoint="plain", theme=Bootstrap4Theme())
    plain.add_view(PlainAdmissionBook(AdmissionBookEntry, db, endpoint="plain_admission_book",
                                      url="/plain/admission_book"))
    plain.add_view(PlainPersonalFiles(PersonalFile, db, endpoint="plain_personal_file", url="/plain/personal_file"))
    plain.add_view(PlainStudents(Student, db, endpoint="plain_student", url="/plain/student"))
    app.extensions["bench_plain"] = plain

"""Odd input a scanner sends — a NUL byte, a 65-character log-in, 01.01.0001, ids beyond int64, a class that does
not exist — gets a Russian answer and changes nothing, at every door: lists, filters, look-ups, generated forms,
custom pages, log-in, imports; never a 500 page, never SQL on the screen."""
import io
import re
from pathlib import Path

import factories
import pytest
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter
from wtforms import StringField, TextAreaField

from models.roles import MATRIX, ROLES
from models import SchoolClass, Student, db

NUL = "Ива\x00нов"
HUGE = "99999999999999999999"  # beyond int64
ROOT = Path(__file__).resolve().parent.parent
SQL_SHOWN = re.compile(r"\b(INSERT INTO|SELECT .* FROM|UPDATE .* SET|psycopg|sqlite3\.)", re.DOTALL)


def _views(app):
    return [v for v in app.extensions["panel_admin"]._views if isinstance(v, ModelView)]


def _everyone(app, login_as):
    panel = login_as(list(ROLES), login="everyone")
    with app.app_context():
        factories.seed_everything()
    return panel


def _answer(panel, method, url, **kwargs):
    """(status, page text); an exception the test app re-raises is what a user would see as a 500 page."""
    try:
        response = getattr(panel, method)(url, **kwargs)
    except Exception as exc:
        return 500, f"{type(exc).__name__}: {exc}"
    return response.status_code, response.get_data().decode("utf-8", "replace")


def _fine(status, page):
    return status < 500 and not SQL_SHOWN.search(page)


def _every_filter(app, view, value, which=lambda flt: True):
    """The list's URL with each of its filters (those `which` picks) set to `value` at once: Flask-Admin applies
    them all in one query, so a filter that breaks on the value breaks the page (one request a register, where
    one a filter took 600 requests)."""
    with app.test_request_context():
        args = [f"flt{n}_{view.get_filter_arg(index, flt)}={value}"
                for n, (index, flt) in enumerate((i, f) for i, f in enumerate(view._filters or ()) if which(f))]
    return (f"/admin/{view.endpoint}/?" + "&".join(args)) if args else None, len(args)


def test_nul_in_search_and_every_text_filter_of_every_register(app, login_as):
    panel = _everyone(app, login_as)
    failures, tried = [], 0
    for view in _views(app):
        every, count = _every_filter(app, view, NUL)
        tried += count
        for url in (f"/admin/{view.endpoint}/?search={NUL}", every):
            status, page = _answer(panel, "get", url) if url else (200, "")
            if not _fine(status, page):
                failures.append(f"{url!r}: {status} {page[:200]}")
    assert tried > 100, tried
    assert not failures, "\n".join(failures)


def test_nul_in_the_lookups(app, login_as):
    panel = _everyone(app, login_as)
    failures = []
    for view in _views(app):
        for name in getattr(view, "_form_ajax_refs", {}) or {}:
            url = f"/admin/{view.endpoint}/ajax/lookup/?name={name}&query={NUL}"
            status, page = _answer(panel, "get", url)
            if not _fine(status, page):
                failures.append(f"{url!r}: {status} {page[:200]}")
    assert not failures, "\n".join(failures)


def _text_fields(form):
    return [f.name for f in form if isinstance(f, (StringField, TextAreaField)) and f.name != "csrf_token"
            and type(f).__name__ not in ("HiddenField",)]


def test_nul_in_every_text_field_of_every_create_form_is_refused_and_nothing_saved(app, login_as):
    panel = _everyone(app, login_as)
    failures, tried = [], 0
    for view in _views(app):
        if not any("c" in letters for letters in MATRIX.get(view.target, {}).values()):
            continue
        with app.test_request_context(f"/admin/{view.endpoint}/new/"):
            names = _text_fields(view._create_form_class(formdata=None, meta={"csrf": False}))
        for name in names:
            tried += 1
            with app.app_context():
                before = db.session.scalar(select(func.count()).select_from(view.model))
            status, page = _answer(panel, "post", f"/admin/{view.endpoint}/new/", data={name: NUL})
            with app.app_context():
                after = db.session.scalar(select(func.count()).select_from(view.model))
            if not _fine(status, page) or after != before or "Недопустимый символ" not in page:
                failures.append(f"{view.endpoint}.{name}: {status}, записей {before} → {after}")
    assert tried > 30, tried
    assert not failures, "\n".join(failures)


def test_login_with_a_nul_or_longer_than_any_login_gets_the_russian_answer(app, client):
    for login in ("adm\x00in", "а" * 65, "x" * 500):
        status, page = _answer(client, "post", "/login", data={"login": login, "password": "whatever-1"})
        assert status in (400, 401) and _fine(status, page), (login[:10], status, page[:300])
        assert "Неверный логин или пароль" in page or "Недопустимый символ" in page
    status, page = _answer(client, "get", "/login?next=/admin/\x00")
    assert _fine(status, page)


def test_year_one_in_every_date_filter_is_not_a_server_error(app, login_as):
    panel = _everyone(app, login_as)
    failures, tried = [], 0
    for view in _views(app):
        for value in ("01.01.0001", "01.01.0001 to 31.12.9999", "0001-01-01 00:00", "01.01.0001 00:00:00"):
            url, count = _every_filter(app, view, value, lambda flt: "Date" in type(flt).__name__)
            tried += count
            if url is None:
                continue
            status, page = _answer(panel, "get", url)
            if not _fine(status, page):
                failures.append(f"{view.endpoint} «{value}»: {status} {page[:150]}")
    assert tried > 20, tried
    assert not failures, "\n".join(failures)


def _page_parameters():
    """Every name the custom pages read from a URL or a form (request.args.get("…"), form.get("…"), …)."""
    names = set()
    for path in list((ROOT / "views").glob("*.py")) + list((ROOT / "admin").glob("*.py")):
        names |= set(re.findall(r'\.get(?:list)?\("([a-z_0-9]+)"', path.read_text(encoding="utf-8")))
    return sorted(names)


def test_ids_beyond_int64_on_every_custom_page(app, login_as):
    panel = _everyone(app, login_as)
    registers = {v.endpoint for v in _views(app)}
    query = "&".join(f"{name}={HUGE}" for name in _page_parameters())
    form = {name: HUGE for name in _page_parameters()}
    failures, tried = [], 0
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if rule.endpoint.endswith("static") or blueprint in registers or rule.rule in ("/logout",):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = re.sub(rf"<(?:[a-z]+:)?{argument}>", HUGE if isinstance(rule._converters[argument], IntegerConverter) else "x",
                         url)
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            tried += 1
            if method == "GET":
                status, page = _answer(panel, "get", f"{url}?{query}")
            else:
                status, page = _answer(panel, "post", url, data=form)
            if not _fine(status, page):
                failures.append(f"{method} {url}: {status} {page[:200]}")
    assert tried > 30, tried
    assert not failures, "\n".join(failures)


def test_dates_outside_1900_2100_are_refused_in_forms(app, login_as):
    secretary = login_as("secretary")
    with app.app_context():
        klass = factories.school_class(grade=5, letter="А")
        db.session.commit()
        klass_id = klass.id
    for born in ("01.01.0001", "31.12.1899", "01.01.2101"):
        status, page = _answer(secretary, "post", "/admin/student/new/", data={
            "last_name": "Петров", "first_name": "Иван", "birth_date": born, "sex": "male",
            "school_class": str(klass_id), "status": "studying"})
        assert _fine(status, page) and "между 1900 и 2100" in page, (born, status)
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 0


def test_a_pupil_with_a_class_that_does_not_exist_is_refused_not_saved_without_a_class(app, login_as):
    secretary = login_as("secretary")
    with app.app_context():
        factories.school_class(grade=5, letter="А")
        db.session.commit()
        missing = (db.session.scalar(select(func.max(SchoolClass.id))) or 0) + 1000
    for class_id in (str(missing), HUGE):
        status, page = _answer(secretary, "post", "/admin/student/new/", data={
            "last_name": "Петров", "first_name": "Иван", "birth_date": "05.03.2014", "sex": "male",
            "school_class": class_id, "status": "studying"})
        assert _fine(status, page) and "не найдена" in page, (class_id, status, page[:300])
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 0


def test_people_import_refuses_control_characters_and_the_exports_keep_working(app, login_as):
    secretary = login_as("secretary")
    with app.app_context():
        factories.school_class(grade=6, letter="А")
        db.session.commit()
    for name in (NUL, "Ива\x01нов", "Ива\x1bнов"):
        csv = f"Фамилия;Имя;Дата рождения;Пол;Класс\n{name};Пётр;05.03.2013;м;6А\n".encode()
        for action in ("check", "import"):
            status, page = _answer(secretary, "post", "/admin/people_import/", data={
                "action": action, "file": (io.BytesIO(csv), "люди.csv")}, content_type="multipart/form-data")
            assert _fine(status, page), (status, page[:300])
            assert "управляющий символ" in page or "не текстовый файл" in page, repr(name)
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 0
    for url in ("/admin/student/export/xlsx/", "/admin/student/export/csv/"):
        status, page = _answer(secretary, "get", url)
        assert status == 200, (url, status)


def test_a_name_stored_with_a_nul_before_the_fix_no_longer_breaks_the_exports(app, backend, login_as):
    """SQLite kept a NUL that an earlier version let in; the pupils' XLSX and the analysis export failed for all."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL never stored a NUL: it refused it with an error")
    from openpyxl import load_workbook
    from test_analysis import seed_marks

    deputy = login_as("deputy")
    with app.app_context():
        ids = seed_marks()
        pupil = db.session.scalar(select(Student).where(Student.last_name == "Иванов"))
        pupil.last_name = NUL
        db.session.commit()
    for url in ("/admin/student/export/xlsx/", f"/marks/analysis.xlsx?year={ids['year']}&term={ids['q1']}"):
        status, _ = _answer(deputy, "get", url)
        assert status == 200, url
        book = load_workbook(io.BytesIO(deputy.get(url).get_data()))
        cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
        assert "Иванов" in " ".join(str(c) for c in cells if c), url


def test_a_nul_posted_to_every_custom_page_is_refused_and_nothing_changes(app, login_as):
    from models import AuditLog

    panel = _everyone(app, login_as)
    registers = {v.endpoint for v in _views(app)}
    form = {name: NUL for name in _page_parameters()}
    with app.app_context():
        changes = db.session.scalar(select(func.count(AuditLog.id)))
    failures, tried = [], 0
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if "POST" not in rule.methods or blueprint in registers or rule.rule == "/logout":
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = re.sub(rf"<(?:[a-z]+:)?{argument}>", "1", url)
        tried += 1
        status, page = _answer(panel, "post", url, data=form)
        if status != 400 or "Недопустимый символ" not in page:
            failures.append(f"POST {url}: {status}")
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditLog.id))) == changes
    assert tried > 15, tried
    assert not failures, "\n".join(failures)

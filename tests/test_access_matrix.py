"""The permission matrix, walked: every role × every register × every action gets the answer the matrix gives."""
import pytest
from flask_admin.contrib.sqla import ModelView
from sqlalchemy import func, select

import factories
from admin.base import SecureModelView
from models.roles import ACTIONS, MATRIX, ROLES, role_can
from models import Guardian, SchoolClass, Student, db

# (label, matrix action, how to request it); `id` is the seeded record's primary key.
REQUESTS = [
    ("список", "view", lambda p, ep, id: p.get(f"/admin/{ep}/")),
    ("карточка", "view", lambda p, ep, id: p.get(f"/admin/{ep}/details/?id={id}")),
    ("создание", "create", lambda p, ep, id: p.get(f"/admin/{ep}/new/")),
    ("правка", "edit", lambda p, ep, id: p.get(f"/admin/{ep}/edit/?id={id}")),
    ("выгрузка CSV", "export", lambda p, ep, id: p.get(f"/admin/{ep}/export/csv/")),
]


def model_views(app):
    admin = app.extensions["panel_admin"]
    return [v for v in admin._views if isinstance(v, ModelView)]


def expected(role, view, action):
    if action == "delete" and view.strict:
        return False
    # Without the right to view, the register is closed entirely, whatever else the row says.
    return role_can(role, view.target, "view") and role_can(role, view.target, action)


def outcome(response):
    """'allowed', 'forbidden' or a description of anything else."""
    location = response.headers.get("Location", "")
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 200 or (response.status_code == 302 and "/login" not in location):
        return "allowed"
    return f"{response.status_code} {location}"


def test_matrix_is_well_formed():
    for target, row in MATRIX.items():
        assert set(row) <= set(ROLES), f"{target}: неизвестная роль {set(row) - set(ROLES)}"
        for role, letters in row.items():
            assert set(letters) <= set(ACTIONS.values()), f"{target}/{role}: {letters}"


def test_every_admin_url_belongs_to_a_register_with_a_matrix_row(app):
    admin = app.extensions["panel_admin"]
    by_endpoint = {view.endpoint: view for view in admin._views}
    problems = []
    for view in admin._views:
        if view is admin.index_view or getattr(view, "public", False):  # a PublicPage: no log-in, no matrix row
            continue
        if not isinstance(view, ModelView):
            # A custom admin page must still name its matrix row.
            if getattr(view, "target", None) not in MATRIX:
                problems.append(f"страница {view.endpoint}: нет строки в MATRIX (target={view.target!r})")
            continue
        if not isinstance(view, SecureModelView):
            problems.append(f"{view.endpoint}: не наследует SecureModelView")
        elif view.target not in MATRIX:
            problems.append(f"{view.endpoint}: target={view.target!r} нет в MATRIX")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        blueprint = rule.endpoint.split(".")[0]
        if blueprint == "static" or rule.endpoint.endswith(".static"):
            continue
        if blueprint not in by_endpoint:
            problems.append(f"{rule.rule} ({rule.endpoint}) не принадлежит ни одному разделу панели")
    assert not problems, "\n".join(problems)


def test_every_custom_page_is_a_panel_page(app, login_as):
    """One mechanism: a page is a PanelPage mounted in views/__init__.py; the log-in page alone is a blueprint.
    The pages that were blueprints keep their addresses in the menu."""
    from admin.page import PanelPage

    admin = app.extensions["panel_admin"]
    pages = {view.endpoint for view in admin._views}
    assert set(app.blueprints) - pages == {"auth"}
    assert all(isinstance(view, (ModelView, PanelPage)) for view in admin._views if view is not admin.index_view)
    menu = login_as("deputy").get("/admin/").get_data(as_text=True)
    assert 'href="/marks/import"' in menu and 'href="/marks/analysis"' in menu and "/marks/progress" not in menu
    assert 'href="/backups/"' in login_as("admin").get("/admin/").get_data(as_text=True)


def test_guest_is_sent_to_login(app, client):
    for view in model_views(app):
        for url in (f"/admin/{view.endpoint}/", f"/admin/{view.endpoint}/new/"):
            response = client.get(url)
            assert response.status_code == 302, url
            assert "/login" in response.headers["Location"], url
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post("/admin/student/delete/", data={"id": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(ROLES))
def test_matrix_cell_by_cell(app, login_as, role):
    panel = login_as(role)
    with app.app_context():
        from models import User

        me = User.query.filter_by(login=role).one()
        # A class teacher's scope is the own class: seed that class as theirs so scoped records show up.
        records = factories.seed_everything(teacher=me if role == "class_teacher" else None)
        ids = {model: record.id for model, record in records.items()}
        views = model_views(app)
        for view in views:
            # Reference data (levels, the current year) and the audit log already have rows of their own.
            if view.model not in ids:
                found = db.session.scalars(select(view.model)).first()
                if found is not None:
                    ids[view.model] = found.id
    missing = [v.model.__name__ for v in views if v.model not in ids]
    assert not missing, f"tests/factories.py не создаёт записи для: {missing}"

    mismatches = []
    for view in views:
        record_id = ids[view.model]
        for label, action, request in REQUESTS:
            got = outcome(request(panel, view.endpoint, record_id))
            want = "allowed" if expected(role, view, action) else "forbidden"
            if got != want:
                mismatches.append(f"{role} / {view.endpoint} / {label}: ожидалось {want}, получено {got}")
    # Deletions last, so the records above stay available; a forbidden delete must leave the record in place.
    # Forbidden ones first: an allowed delete of a carrier takes its custody log with it.
    for view in sorted(views, key=lambda v: expected(role, v, "delete")):
        record_id = ids[view.model]
        response = panel.post(f"/admin/{view.endpoint}/delete/", data={"id": record_id,
                                                                       "url": f"/admin/{view.endpoint}/"})
        got = outcome(response)
        want = "allowed" if expected(role, view, "delete") else "forbidden"
        if got != want:
            mismatches.append(f"{role} / {view.endpoint} / удаление: ожидалось {want}, получено {got}")
        if want == "forbidden":
            with app.app_context():
                if db.session.get(view.model, record_id) is None:
                    mismatches.append(f"{role} / {view.endpoint}: запись удалена без права удаления")
    assert not mismatches, "\n".join(mismatches)


def test_class_teacher_sees_only_own_class(app, login_as):
    panel = login_as("class_teacher", login="teacher_a")
    with app.app_context():
        from models import User

        mine = User.query.filter_by(login="teacher_a").one()
        other_teacher = factories.user("teacher_b", ["class_teacher"])
        own_class = factories.school_class(grade=5, letter="А", teacher=mine)
        other_class = factories.school_class(grade=6, letter="Б", teacher=other_teacher)
        own = factories.student("Соколов", "Артём", klass=own_class)
        other = factories.student("Морозов", "Илья", klass=other_class)
        own_guardian = factories.guardian("Соколова", "Ирина", students=[own])
        other_guardian = factories.guardian("Морозова", "Ольга", students=[other])
        db.session.commit()
        ids = dict(own=own.id, other=other.id, own_class=own_class.id, other_class=other_class.id,
                   own_guardian=own_guardian.id, other_guardian=other_guardian.id)

    page = panel.get("/admin/student/").get_data(as_text=True)
    assert "Соколов" in page and "Морозов" not in page
    assert panel.get(f"/admin/student/details/?id={ids['own']}").status_code == 200
    assert panel.get(f"/admin/student/details/?id={ids['other']}").status_code == 403

    page = panel.get("/admin/guardian/").get_data(as_text=True)
    assert "Соколова" in page and "Морозова" not in page
    assert panel.get(f"/admin/guardian/details/?id={ids['own_guardian']}").status_code == 200
    assert panel.get(f"/admin/guardian/details/?id={ids['other_guardian']}").status_code == 403

    page = panel.get("/admin/school_class/").get_data(as_text=True)
    assert "5А" in page and "6Б" not in page
    assert panel.get(f"/admin/school_class/details/?id={ids['own_class']}").status_code == 200
    assert panel.get(f"/admin/school_class/details/?id={ids['other_class']}").status_code == 403

    # The secretary, for comparison, sees both classes' students.
    secretary = login_as("secretary")
    page = secretary.get("/admin/student/").get_data(as_text=True)
    assert "Соколов" in page and "Морозов" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 2
        assert db.session.scalar(select(func.count(Guardian.id))) == 2
        assert db.session.scalar(select(func.count(SchoolClass.id))) == 2


# --- every route of the url map -------------------------------------------------------------------------

# Routes open to anyone (log-in, static files) or to every logged-in user whatever the matrix says.
# verify.check: anyone holding a printed document checks its code there (no personal data; rate-limited).
PUBLIC = {"static", "auth.login", "auth.logout", "root", "verify.check"}
# Flask-Admin's own routes of a register, by the method that serves them, and the matrix action they need.
MODEL_VIEW_ACTIONS = {"index_view": "view", "details_view": "view", "ajax_lookup": "view", "create_view": "create",
                      "edit_view": "edit", "delete_view": "delete", "export": "export", "action_view": "view",
                      "ajax_update": "edit"}


def route_gate(app, rule):
    """[(target, action)] the matrix is asked before the route runs, or None when nothing declares it.

    A bulk action's own right (delete, edit) is asked by is_action_allowed and walked by the cell-by-cell test."""
    admin = app.extensions["panel_admin"]
    views = {view.endpoint: view for view in admin._views}
    blueprint, _, method = rule.endpoint.rpartition(".")
    view = views.get(blueprint)
    if rule.endpoint in PUBLIC or method == "static":
        return "public"
    if getattr(view, "public", False):
        return None  # a public page's route must be listed in PUBLIC by name, so opening one is a decision
    declared = getattr(getattr(view, method, None) or app.view_functions[rule.endpoint], "panel_access", [])
    if view is admin.index_view:
        return [("home", "view")]
    if isinstance(view, ModelView):  # a register's own extra routes (a scan's download) open with its view right
        return [(view.target, MODEL_VIEW_ACTIONS.get(method, "view"))] if view.target in MATRIX else None
    if view is not None:  # a PanelPage: its target's view right, and what the route declares with @requires
        return [(view.target, "view"), *declared] if view.target in MATRIX else None
    return declared if declared and all(target in MATRIX for target, _ in declared) else None


def route_url(rule, record_id):
    return rule.build({name: record_id if name.endswith("id") else "x" for name in rule.arguments},
                      append_unknown=False)[1]


def test_every_route_has_a_matrix_row(app):
    missing = [f"{rule.rule} ({rule.endpoint})" for rule in app.url_map.iter_rules() if route_gate(app, rule) is None]
    assert not missing, "маршруты без строки в MATRIX: " + ", ".join(missing)


# A register's own pages, which test_matrix_cell_by_cell asks of every role with a record of that register (the
# walk below has only a pupil's id): the walk asks them of the guest alone.
WALKED_CELL_BY_CELL = {"index_view", "details_view", "create_view", "edit_view", "export", "delete_view"}
assert {"view", "create", "edit", "export"} == {action for _label, action, _request in REQUESTS}


def test_every_route_answers_each_role_as_the_matrix_says(app, login_as):
    """Each role × each route of the url map, on one seeded database: without the matrix's right the answer is
    403 (a guest is sent to log in), with it the route opens; nothing answers 500. A register's list, card,
    forms, export and deletion are asked of each role by test_matrix_cell_by_cell, here of the guest only."""
    principals = {role: login_as(role) for role in ROLES}
    with app.app_context():
        from models import User

        # the class teacher's own class, so a scoped role is asked the matrix, not refused for another class
        teacher = User.query.filter_by(login="class_teacher").one()
        record_id = factories.seed_everything(teacher=teacher)[Student].id
    from conftest import PanelClient

    principals[None] = PanelClient(app)
    problems = []
    rules = sorted((r for r in app.url_map.iter_rules() if route_gate(app, r) != "public"), key=lambda r: r.rule)
    views = {view.endpoint: view for view in app.extensions["panel_admin"]._views}
    for rule in rules:
        gates = route_gate(app, rule)
        url = route_url(rule, record_id)
        post_only = "GET" not in rule.methods
        blueprint, _, method = rule.endpoint.rpartition(".")
        cell_by_cell = isinstance(views.get(blueprint), ModelView) and method in WALKED_CELL_BY_CELL
        for role, panel in principals.items():
            if cell_by_cell and role is not None:
                continue
            response = panel.post(url, {}) if post_only else panel.get(url)
            status, location = response.status_code, response.headers.get("Location", "")
            if status >= 500:
                problems.append(f"{role} {url}: {status}")
            elif role is None:
                if not (status == 302 and "/login" in location):
                    problems.append(f"гость {url}: {status} {location}, а не вход")
            elif not all(role_can(role, target, "view") and role_can(role, target, action) for target, action in gates):
                if status != 403:
                    problems.append(f"{role} {url}: {status}, а по MATRIX ({gates}) — 403")
            elif status == 403 and not post_only:
                problems.append(f"{role} {url}: 403, а по MATRIX ({gates}) открыто")
    assert not problems, "\n".join(problems)

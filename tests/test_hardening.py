"""Security headers, a private instance folder, and a pupil entered twice through the form."""
import os
import stat

import factories
import pytest
from conftest import ARTIFACTS, browser_log_in, browser_page
from sqlalchemy import func, select

from app import create_app
from models import Student, db
from models.backup import make_backup


def test_pages_carry_the_security_headers(app, client, login_as):
    page = client.get("/login")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy and "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    secretary = login_as("secretary")
    for url in ("/admin/student/", "/admin/student/export/csv/", "/admin/"):
        response = secretary.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url
    # Flask-Admin's inline scripts carry the page's nonce, the one the header allows.
    response = secretary.get("/admin/student/new/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert "onclick=" not in secretary.get("/admin/personal_file/new/").get_data(as_text=True)
    # Static files stay cacheable.
    assert client.get("/static/panel.css").headers.get("Cache-Control") != "no-store"


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.name != "posix", reason="права доступа POSIX")
def test_instance_folder_and_its_files_are_private(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("файлы SQLite")
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)  # an installation from before: readable by every local user
    (instance / "config.py").write_text("SECRET_KEY = 'old'\n")
    os.chmod(instance / "config.py", 0o644)
    saved = os.umask(0o022)
    try:
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance),
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'archive.sqlite'}"})
        assert _mode(instance) == 0o700 and _mode(instance / "config.py") == 0o600
        with app.app_context():
            db.create_all()
            db.session.remove()
            backup = make_backup(app.config["SQLALCHEMY_DATABASE_URI"], instance / "backups", keep=3)
            db.engine.dispose()
        assert _mode(instance / "archive.sqlite") == 0o600
        assert _mode(instance / "backups") == 0o700 and _mode(backup) == 0o600
    finally:
        os.umask(saved)


def _pupil(**changes):
    data = {"last_name": "Иванов", "first_name": "Пётр", "middle_name": "Сергеевич", "birth_date": "05.03.2014",
            "sex": "male", "enrolled_on": "01.09.2021"}
    return {**data, **changes}


def test_the_same_pupil_twice_is_asked_to_confirm(app, login_as, session):
    klass = factories.school_class(grade=5, letter="А")
    session.commit()
    secretary = login_as("secretary")
    assert "Это другой обучающийся" not in secretary.get("/admin/student/new/").get_data(as_text=True)
    assert secretary.post("/admin/student/new/", data=_pupil(school_class=str(klass.id))).status_code == 302

    def count():
        return session.scalar(select(func.count(Student.id)))

    # The same ФИО (any case, «е» for «ё») and birth date: a warning, nothing saved.
    response = secretary.post("/admin/student/new/", data=_pupil(last_name="иванов", first_name="Петр"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "уже есть в списке" in page and "класс 5А" in page
    assert count() == 1
    # Confirmed as another person: saved.
    response = secretary.post("/admin/student/new/", data=_pupil(confirm_namesake="y"))
    assert response.status_code == 302 and count() == 2
    # Another birth date is another pupil: no question asked.
    assert secretary.post("/admin/student/new/", data=_pupil(birth_date="06.03.2014")).status_code == 302
    assert count() == 3
    # Renaming a pupil into an existing one is asked too.
    other = session.scalar(select(Student).where(Student.birth_date != Student.birth_date.type.python_type(
        2014, 3, 5)))
    response = secretary.post(f"/admin/student/edit/?id={other.id}",
                              data={**_pupil(), "loaded_version": str(other.version)})
    assert response.status_code == 200 and "уже есть в списке" in response.get_data(as_text=True)


def test_pages_work_under_the_content_security_policy(browser, app, live_server):
    with app.app_context():
        factories.user("sekretar", ["secretary"])
        klass = factories.school_class(grade=6, letter="Б")
        pupil = factories.student("Лебедева", "Ольга", klass=klass, sex="female")
        db.session.commit()
        pupil_id = pupil.id
    with browser_page(browser, "csp") as page:
        refused = []
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        browser_log_in(page, live_server, "sekretar", "/admin/student/new/")
        # select2 took over the selects, and the date picker opens.
        assert page.locator(".select2-container").count() >= 2
        page.click("input[name=birth_date]")
        assert page.locator(".daterangepicker").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "csp_student_form.png"), full_page=True)
        # The list's filter menu (Flask-Admin's scripts) adds a filter row.
        page.goto(live_server + "/admin/student/")
        page.click("text=Фильтр")
        page.click("a.filter >> text=Фамилия")
        assert page.locator(".filter-val").count() >= 1
        # A bulk action (Flask-Admin's actions.js through static/panel-actions.js) asks before deleting.
        page.check("input.action-checkbox")
        page.click("text=С выбранным")
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.click("[data-model-action=delete]")
        page.wait_for_timeout(300)
        assert len(asked) == 1
        # The delete button asks first (a handler from static/panel-actions.js); refusing keeps the pupil.
        page.goto(live_server + f"/admin/student/details/?id={pupil_id}")
        asked = []
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        page.click("form[data-confirm] [type=submit]")
        page.wait_for_timeout(300)
        assert asked == ["Удалить эту запись? Действие необратимо."]
    with app.app_context():
        assert db.session.get(Student, pupil_id) is not None
    assert refused == [], "\n".join(refused)


def test_every_inline_script_in_the_templates_carries_the_nonce_and_no_inline_handler_is_left():
    """The CSP runs only the panel's own files and scripts with the page's nonce: an inline script written without
    it (the progress of the marks import was one) silently does nothing in the browser."""
    import re
    from pathlib import Path

    bare = []
    for path in (Path(__file__).resolve().parent.parent / "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text(encoding="utf-8")):
            if "src=" not in tag and "nonce" not in tag:
                bare.append(f"{path.name}: {tag}")
        # inline handlers run under no nonce at all: static/panel-actions.js (data-confirm) does their work
        text = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        bare += [f"{path.name}: {attr}" for attr in re.findall(r"\son(?:click|submit|change|load)=\"[^\"]*\"", text)]
    assert not bare, bare

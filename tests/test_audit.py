"""The audit log: every change through the panel or the CLI is recorded; nobody edits the log."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import factories
from models.roles import ROLES, role_can
from models import AuditLog, Student, User, db
from models.users import utcnow


def _entries(app, table, record_id=None):
    with app.app_context():
        query = select(AuditLog).where(AuditLog.table_name == table).order_by(AuditLog.id)
        if record_id is not None:
            query = query.where(AuditLog.record_id == str(record_id))
        return [(e.user_login, e.action, e.record_id, json.loads(e.changes), e.at)
                for e in db.session.scalars(query)]


def test_panel_insert_update_delete_are_logged(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=2, letter="А")
        db.session.commit()
        cid = klass.id
    panel = login_as("secretary")
    form = {"last_name": "Зайцев", "first_name": "Лев", "birth_date": "10.10.2017", "sex": "male",
            "school_class": str(cid)}
    assert panel.post("/admin/student/new/", data=form).status_code == 302
    with app.app_context():
        sid = db.session.scalar(select(Student.id).where(Student.last_name == "Зайцев"))
    form_page = panel.get(f"/admin/student/edit/?id={sid}").get_data(as_text=True)
    assert 'name="loaded_version"' in form_page
    assert panel.post(f"/admin/student/edit/?id={sid}",
                      data={**form, "first_name": "Лёва", "loaded_version": "1"}).status_code == 302
    assert panel.post("/admin/student/delete/", data={"id": sid}).status_code == 302

    entries = _entries(app, "student", sid)
    assert [e[1] for e in entries] == ["insert", "update", "delete"]
    assert all(e[0] == "secretary" for e in entries)
    assert all(abs((utcnow() - e[4]).total_seconds()) < 120 for e in entries)
    inserted, updated, deleted = (e[3] for e in entries)
    assert inserted["last_name"] == [None, "Зайцев"]
    assert inserted["birth_date"] == [None, "2017-10-10"]
    assert updated == {"first_name": ["Лев", "Лёва"]}
    assert deleted["last_name"] == ["Зайцев", None]


def test_cli_changes_are_logged_without_password_hashes(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "orlova", "--role", "officer", "--password", "first-pass-1",
                                 "--full-name", "Орлова Ольга"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-user", "orlova", "--role", "officer", "--password", "second-pass-2"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.login == "orlova"))
        hashes = [db.session.get(User, uid).password_hash]
    entries = _entries(app, "user", uid)
    assert [e[1] for e in entries] == ["insert", "update"]
    assert all(e[0].startswith("cli:") for e in entries)
    assert entries[0][3]["login"] == [None, "orlova"]
    assert entries[0][3]["password_hash"] == [None, "***"]
    assert entries[1][3]["password_hash"] == ["***", "***"]
    with app.app_context():
        every_change = " ".join(e.changes for e in db.session.scalars(select(AuditLog)))
    for secret in hashes + ["scrypt:", "pbkdf2:", "first-pass-1", "second-pass-2"]:
        assert secret not in every_change


def test_password_change_in_the_panel_hides_the_hash(app, login_as):
    panel = login_as("admin")
    response = panel.post("/admin/user/new/", data={"login": "belova", "full_name": "Белова Вера",
                                                    "roles": "deputy", "active": "y", "password": "secret-pass-9"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.login == "belova"))
        every_change = " ".join(e.changes for e in db.session.scalars(select(AuditLog)))
    assert "secret-pass-9" not in every_change and "scrypt:" not in every_change and "pbkdf2:" not in every_change
    assert _entries(app, "user", uid)[0][0] == "admin"


@pytest.mark.parametrize("role", list(ROLES))
def test_nobody_writes_the_log_through_the_panel(app, login_as, role):
    panel = login_as(role)
    with app.app_context():
        entry_id = db.session.scalar(select(AuditLog.id).order_by(AuditLog.id))
        total = db.session.query(AuditLog).count()
    assert panel.get("/admin/audit_log/new/").status_code == 403
    assert panel.post("/admin/audit_log/new/", data={"user_login": "x", "action": "insert",
                                                     "table_name": "student", "record_id": "1"}).status_code == 403
    assert panel.get(f"/admin/audit_log/edit/?id={entry_id}").status_code == 403
    assert panel.post(f"/admin/audit_log/edit/?id={entry_id}", data={"user_login": "x"}).status_code == 403
    assert panel.post("/admin/audit_log/delete/", data={"id": entry_id}).status_code == 403
    assert panel.post("/admin/audit_log/action/", data={"action": "delete", "rowid": entry_id}).status_code in (
        403, 302)
    with app.app_context():
        assert db.session.get(AuditLog, entry_id) is not None
        # Logging in adds no row; only the role's own user row may have been added by the fixture.
        assert db.session.query(AuditLog).filter(AuditLog.table_name != "user").count() <= total
    expected = 200 if role_can(role, "audit_log", "view") else 403
    assert panel.get("/admin/audit_log/").status_code == expected


@pytest.mark.parametrize("role", ["admin", "director", "deputy"])
def test_log_filters_by_user_table_record_and_date(app, login_as, role):
    from models.audit import acting_as

    with app.app_context():
        token = acting_as(None, "kuznetsova")
        klass = factories.school_class(grade=9, letter="В")
        first = factories.student("Виноградов", "Марк", klass=klass)
        second = factories.student("Комарова", "Ева", klass=klass, sex="female")
        db.session.commit()
        ids = (first.id, second.id)
        from models.audit import _cli_actor

        _cli_actor.reset(token)
    panel = login_as(role)

    def listed(filters):
        args = {factories.filter_arg(app, "audit_log", name, op): value for (name, op), value in filters.items()}
        return panel.get("/admin/audit_log/", query_string=args).get_data(as_text=True)

    page = listed({("Пользователь", "равно"): "kuznetsova"})
    assert "Виноградов" in page and "Комарова" in page and "9В" in page
    page = listed({("Реестр", "равно"): "student"})
    assert "Виноградов" in page and "Комарова" in page and "9В" not in page
    page = listed({("Реестр", "равно"): "student", ("Запись №", "равно"): str(ids[1])})
    assert "Комарова" in page and "Виноградов" not in page
    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).strftime("%d.%m.%Y")  # the school's date
    page = listed({("Когда (время школы)", "между"): f"{today} to {today}", ("Реестр", "равно"): "student"})
    assert "Виноградов" in page and "Комарова" in page
    page = listed({("Когда (время школы)", "меньше чем"): "01.01.2000", ("Реестр", "равно"): "student"})
    assert "Виноградов" not in page


def test_audit_times_are_shown_and_filtered_in_the_schools_time_zone(app, login_as):
    with app.app_context():
        # 22:30 UTC on 10 January is 01:30 on 11 January in Moscow (the default TIMEZONE).
        db.session.add(AuditLog(at=datetime(2026, 1, 10, 22, 30), user_login="night", action="update",
                                table_name="student", record_id=1, record_repr="Полуночников"))
        db.session.commit()
    panel = login_as("admin")
    arg = factories.filter_arg(app, "audit_log", "Когда (время школы)", "между")
    page = panel.get("/admin/audit_log/", query_string={arg: "11.01.2026 to 11.01.2026"}).get_data(as_text=True)
    assert "Полуночников" in page and "11.01.2026 01:30:00" in page
    page = panel.get("/admin/audit_log/", query_string={arg: "10.01.2026 to 10.01.2026"}).get_data(as_text=True)
    assert "Полуночников" not in page

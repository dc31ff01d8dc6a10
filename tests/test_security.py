"""Security: CSRF on every form, session cookie flags, no password anywhere, injection strings stay harmless."""
import logging
from urllib.parse import urlencode

from flask_admin.contrib.sqla import ModelView
from sqlalchemy import func, select

import factories
from models.roles import ROLES
from models import AuditLog, User, db

SECRET = "Секрет-пароль-1"
SCRIPT = "<script>alert(1)</script>"
# One string breaking out of an attribute and opening a script, one closing an SQL string literal.
PAYLOADS = ["\"><script>alert(1)</script>", "' OR 1=1 --"]
EMPTY_LIST = "Нет элементов в таблице."
ALL_ROLES = list(ROLES)


def model_views(app):
    return [v for v in app.extensions["panel_admin"]._views if isinstance(v, ModelView)]


def _seed_ids(app):
    """One record id per register (the shared test factories plus whatever reference data exists)."""
    with app.app_context():
        records = factories.seed_everything()
        ids = {model: record.id for model, record in records.items()}
        for view in model_views(app):
            if view.model not in ids:
                found = db.session.scalars(select(view.model)).first()
                if found is not None:
                    ids[view.model] = found.id
        return ids


def _counts(app):
    with app.app_context():
        db.session.remove()
        counts = {view.model.__tablename__: db.session.scalar(select(func.count()).select_from(view.model))
                  for view in model_views(app)}
        counts["audit_log"] = db.session.scalar(select(func.count(AuditLog.id)))
        db.session.remove()
        return counts


def _rule_url(rule):
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__ if name in rule._converters else ""
        values[name] = 1 if "Integer" in converter else "1"
    return rule.build(values, append_unknown=False)[1]


def test_every_form_post_without_csrf_token_is_refused_and_saves_nothing(app, login_as):
    panel = login_as(ALL_ROLES, login="everything")
    ids = _seed_ids(app)
    before = _counts(app)
    forged = {"name": "Взлом", "title": "Взлом", "last_name": "Взлом", "first_name": "Взлом", "number": "Взлом",
              "login": "vzlom", "full_name": "Взлом", "note": "Взлом"}
    refused = []
    for view in model_views(app):
        ep = view.endpoint
        record_id = ids.get(view.model, 1)
        requests = [
            (f"/admin/{ep}/new/", forged),
            (f"/admin/{ep}/edit/?id={record_id}", forged),
            (f"/admin/{ep}/delete/", {"id": record_id}),
            (f"/admin/{ep}/action/", {"action": "delete", "rowid": record_id}),
        ]
        for url, data in requests:
            response = panel.post(url, data=data, csrf=False)
            if response.status_code != 400:
                refused.append(f"{url}: {response.status_code}")
    # Every other POST the application answers (custom pages, log-out, log-in) is protected just the same.
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/admin/"):
            continue
        url = _rule_url(rule)
        response = panel.post(url, data={"id": "1"}, csrf=False)
        if response.status_code != 400:
            refused.append(f"{url} ({rule.endpoint}): {response.status_code}")
    assert not refused, "POST без CSRF-токена не отклонён:\n" + "\n".join(refused)
    assert _counts(app) == before

    # The same request with the token does save: the check above can tell a save from a refusal.
    response = panel.post("/admin/subject/new/", data={"name": "Астрономия", "position": "3"})
    assert response.status_code == 302
    assert _counts(app)["subject"] == before["subject"] + 1


def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    with app.app_context():
        factories.user("cookie_user", ["secretary"])
        db.session.commit()
    response = client.login("cookie_user")
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies
    for cookie in cookies:
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags, cookie
        assert "samesite=lax" in flags, cookie


def test_password_never_appears_in_audit_log_pages_or_logs(app, login_as, client, caplog):
    caplog.set_level(logging.DEBUG)
    admin = login_as("admin")
    form = {"login": "new_teacher", "full_name": "Учителева Ольга Павловна", "position": "Учитель",
            "roles": "class_teacher", "active": "y", "password": SECRET}
    response = admin.post("/admin/user/new/", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    # A refused form (the login is taken now) must not echo the password back either.
    again = admin.post("/admin/user/new/", data=form)
    assert again.status_code == 200
    assert SECRET not in again.get_data(as_text=True)

    with app.app_context():
        user = db.session.scalar(select(User).where(User.login == "new_teacher"))
        user_id, password_hash = user.id, user.password_hash
        rows = db.session.scalars(select(AuditLog)).all()
        audit_text = " ".join(f"{r.record_repr} {r.changes}" for r in rows)
        assert any(r.table_name == "users" or "new_teacher" in (r.changes or "") for r in rows)
    assert SECRET not in audit_text
    assert password_hash not in audit_text

    # The new user logs in with it (so it was really set) and a stranger tries it as a wrong password.
    assert client.login("new_teacher", SECRET).status_code == 302
    assert client.login("admin", SECRET).status_code == 401

    for url in (f"/admin/user/edit/?id={user_id}", f"/admin/user/details/?id={user_id}", "/admin/user/",
                "/admin/audit_log/"):
        html = admin.get(url).get_data(as_text=True)
        assert SECRET not in html, url
        assert password_hash not in html, url
    assert SECRET not in caplog.text
    assert password_hash not in caplog.text


def test_injection_strings_in_search_and_filters_give_plain_escaped_pages(app, login_as):
    panel = login_as(ALL_ROLES, login="everything")
    _seed_ids(app)
    problems = []
    for view in model_views(app):
        base = f"/admin/{view.endpoint}/"
        filter_keys = list(getattr(view, "_filter_args", None) or {})
        for payload in PAYLOADS:
            urls = []
            if view.column_searchable_list:
                urls.append(("поиск", base + "?" + urlencode({"search": payload})))
            if filter_keys:
                urls.append(("фильтры", base + "?" + urlencode(
                    {f"flt{n}_{key}": payload for n, key in enumerate(filter_keys)})))
            for what, url in urls:
                try:
                    response = panel.get(url)
                except Exception as exc:  # TESTING propagates what a user would see as a 500 page
                    problems.append(f"{view.endpoint} {what} {payload!r}: 500 {exc!r}"[:400])
                    continue
                html = response.get_data(as_text=True)
                if response.status_code != 200:
                    problems.append(f"{view.endpoint} {what} {payload!r}: {response.status_code}")
                elif SCRIPT in html:
                    problems.append(f"{view.endpoint} {what} {payload!r}: строка вставлена в страницу без экранирования")
                elif what == "поиск" and payload.startswith("'") and EMPTY_LIST not in html:
                    problems.append(f"{view.endpoint} {what} {payload!r}: поиск нашёл записи — условие ушло в SQL")
                elif what == "поиск" and SCRIPT in payload and "&lt;script&gt;alert(1)&lt;/script&gt;" not in html:
                    problems.append(f"{view.endpoint}: введённая строка поиска не показана экранированной")
    assert not problems, "\n".join(problems)

"""Log-in, lockout, log-out, CSRF and the session cookie."""
from datetime import timedelta

from sqlalchemy import func, select

from conftest import PASSWORD, PanelClient, make_user
from models import Student, db
from models.users import LOCKOUT_ATTEMPTS


def _user(app, login="ivanova", **kwargs):
    with app.app_context():
        user = make_user(login, ["secretary"], **kwargs)
        return user.id


def test_login_ok_and_wrong_password(app, client):
    _user(app)
    response = client.login("ivanova", "wrong-password")
    assert response.status_code == 401
    assert "Неверный логин или пароль." in response.get_data(as_text=True)
    response = client.login("IVANOVA", PASSWORD)  # logins are not case sensitive
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    page = client.get("/admin/").get_data(as_text=True)
    assert "Здравствуйте, Тестовый ivanova" in page


def test_unknown_login_gets_the_same_message(app, client):
    response = client.login("nobody", PASSWORD)
    assert response.status_code == 401
    assert "Неверный логин или пароль." in response.get_data(as_text=True)


def test_five_failures_lock_the_login_even_for_the_right_password(app, client):
    _user(app)
    for _ in range(LOCKOUT_ATTEMPTS):
        assert client.login("ivanova", "wrong-password").status_code == 401
    response = client.login("ivanova", PASSWORD)
    text = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Слишком много неудачных попыток входа" in text
    assert client.get("/admin/").status_code == 302  # still a guest
    # Another login is not affected.
    with app.app_context():
        make_user("petrova", ["deputy"])
    assert client.login("petrova", PASSWORD).status_code == 302


def test_lock_expires(app, client):
    from models.users import LOCKOUT_MINUTES, LoginFailure, lockout_remaining, utcnow

    with app.app_context():
        long_ago = utcnow() - timedelta(minutes=LOCKOUT_MINUTES + 1)
        for _ in range(LOCKOUT_ATTEMPTS):
            db.session.add(LoginFailure(login="ivanova", at=long_ago))
        db.session.commit()
        assert lockout_remaining(db.session, "ivanova") == 0
    _user(app)
    assert client.login("ivanova", PASSWORD).status_code == 302


def test_inactive_user_cannot_log_in(app, client):
    with app.app_context():
        user = make_user("former", ["secretary"])
        user.active = False
        db.session.commit()
    response = client.login("former", PASSWORD)
    assert response.status_code == 401
    assert "Неверный логин или пароль." in response.get_data(as_text=True)


def test_deactivated_user_loses_the_open_session(app, login_as):
    panel = login_as("secretary")
    assert panel.get("/admin/student/").status_code == 200
    with app.app_context():
        from models import User

        User.query.filter_by(login="secretary").one().active = False
        db.session.commit()
    response = panel.get("/admin/student/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_is_a_post_with_csrf(app, login_as):
    panel = login_as("secretary")
    assert panel.get("/logout").status_code == 405
    response = panel.post("/logout", csrf=False)
    assert response.status_code == 400
    assert panel.get("/admin/student/").status_code == 200  # still logged in
    response = panel.post("/logout")
    assert response.status_code == 302
    response = panel.get("/admin/student/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_session_cookie_is_httponly_samesite_and_permanent(app, client):
    _user(app)
    response = client.login("ivanova", PASSWORD)
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    cookie = cookies[-1]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a permanent session, which ends after PERMANENT_SESSION_LIFETIME
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    with client.http.session_transaction() as session:
        assert session.permanent


def test_post_without_csrf_is_refused_and_saves_nothing(app, login_as):
    panel = login_as("secretary")
    response = panel.post("/admin/student/new/", data={"last_name": "Петров", "first_name": "Иван",
                                                       "birth_date": "01.02.2015", "sex": "male"}, csrf=False)
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 0


def test_login_without_csrf_is_refused(app):
    _user(app)
    http = app.test_client()
    response = http.post("/login", data={"login": "ivanova", "password": PASSWORD})
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)


def test_next_must_be_a_local_path(app):
    _user(app)
    for target, landing in (("/admin/student/", "/admin/student/"),
                            ("https://evil.example/steal", "/admin/"),
                            ("//evil.example/steal", "/admin/"),
                            ("evil.example", "/admin/")):
        panel = PanelClient(app)
        token = panel.csrf()
        response = panel.http.post("/login", query_string={"next": target},
                                   data={"login": "ivanova", "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, target
        location = response.headers["Location"]
        assert location == landing or location.endswith("localhost" + landing), (target, location)
        assert "evil" not in location


def test_guest_sees_login_page_in_russian(client):
    response = client.get("/admin/student/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Архив школы: вход" in page and "Логин" in page and "Пароль" in page

"""Log-out and a password change end every session of the user: a cookie kept from before stops working."""
from conftest import PanelClient
from sqlalchemy import select

from models import User

NEW_PASSWORD = "Другой-пароль-2026"


def _copy_of_session(app, panel):
    """A second browser holding a copy of the panel's session cookie, as an attacker who kept it would."""
    thief = PanelClient(app)
    cookie = panel.http.get_cookie("session")
    thief.http.set_cookie("session", cookie.value)
    return thief


def _signed_in(panel):
    response = panel.get("/admin/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_log_out_ends_the_copied_session_too(app, login_as):
    panel = login_as("secretary")
    thief = _copy_of_session(app, panel)
    assert _signed_in(thief)
    assert panel.post("/logout").status_code == 302
    assert not _signed_in(thief)
    assert "/login" in thief.get("/admin/").headers["Location"]
    # Logging in again works as before.
    assert panel.login("secretary").status_code == 302 and _signed_in(panel)


def test_password_change_by_the_administrator_ends_the_user_sessions(app, login_as, session):
    panel = login_as("secretary")
    thief = _copy_of_session(app, panel)
    admin = login_as("admin")
    user = session.scalar(select(User).where(User.login == "secretary"))
    response = admin.post(f"/admin/user/edit/?id={user.id}", data={
        "login": "secretary", "full_name": user.full_name, "roles": "secretary", "active": "y",
        "password": NEW_PASSWORD, "loaded_version": str(user.version)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert not _signed_in(thief) and not _signed_in(panel)
    assert _signed_in(admin)  # another user's sessions are untouched
    assert panel.login("secretary").status_code == 401
    assert panel.login("secretary", NEW_PASSWORD).status_code == 302 and _signed_in(panel)


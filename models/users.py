"""Users of the panel, their roles and the record of failed log-ins."""
import hmac
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Boolean, DateTime, ForeignKey, String, delete, false, func, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Versioned, db
from .roles import ROLES


# werkzeug's default (scrypt); the test suite lowers it to keep hundreds of log-ins fast.
PASSWORD_METHOD = "scrypt"


def new_session_token():
    return secrets.token_hex(16)


def utcnow():
    return datetime.utcnow().replace(microsecond=0)


class User(Versioned, db.Model):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    # Comma-separated role codes: one person may hold several duties (a director who is also the officer).
    roles_text: Mapped[str] = mapped_column("roles", String(200), default="")
    appointment_order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    # A password someone else saw (printed at install, set by the administrator) is changed at first log-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Part of the id kept in the session cookie: a new token ends every session of the user (log-out, new
    # password). A secret, so never written to the audit log.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, info={"audit": False})
    appointment_order = relationship("Order")

    @property
    def roles(self):
        return [r for r in (self.roles_text or "").split(",") if r]

    @roles.setter
    def roles(self, value):
        self.roles_text = ",".join(sorted(set(value or [])))

    @property
    def password(self):
        """Write-only: forms and the CLI assign a new password here; only its hash is kept."""
        return ""

    @password.setter
    def password(self, value):
        if value:
            self.set_password(value)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
        if self.id is not None:
            self.session_token = new_session_token()  # a cookie stolen with the old password stops working

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # Flask-Login protocol, written out so models do not import Flask-Login.
    @property
    def is_active(self):
        return bool(self.active)

    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        # «id:token»: the cookie names the user and the generation of the user's sessions (see load_session_user).
        return f"{self.id}:{self.session_token}"

    def __str__(self):
        return self.full_name


def load_session_user(session, session_id):
    """The active user a session's id names, or None when its token is no longer the user's (logged out,
    password changed) or the id is malformed (a cookie from before tokens: log in again)."""
    user_id, _, token = str(session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or not hmac.compare_digest(user.session_token or "", token):
        return None
    return user


def end_all_sessions(session, user_id):
    """A new session token: every cookie of the user stops working. A plain UPDATE, so the user's record
    keeps its version (an administrator editing the user is not told it changed) and the audit stays quiet."""
    session.execute(update(User).where(User.id == user_id).values(session_token=new_session_token()))


class LoginFailure(db.Model):
    """One failed log-in attempt; kept in the database so every server process sees them."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    # Where the attempt came from: one password tried against many log-ins is slowed down by address.
    address: Mapped[str | None] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


LOCKOUT_ATTEMPTS = 5
LOCKOUT_MINUTES = 15
# Per address: a school's computers may share one address (a NAT), so more than per log-in.
ADDRESS_LOCKOUT_ATTEMPTS = 20


def _wait(session, condition, attempts, now):
    since = now - timedelta(minutes=LOCKOUT_MINUTES)
    count, last = session.execute(
        select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(condition, LoginFailure.at >= since)
    ).one()
    if count < attempts:
        return 0
    left = last + timedelta(minutes=LOCKOUT_MINUTES) - now
    return max(1, int(left.total_seconds() // 60) + 1)


def lockout_remaining(session, login, now=None, address=None):
    """Minutes a login (or the address it comes from) must still wait after too many failures, or 0."""
    now = now or utcnow()
    wait = _wait(session, LoginFailure.login == login.lower(), LOCKOUT_ATTEMPTS, now)
    if address:
        wait = max(wait, _wait(session, LoginFailure.address == address, ADDRESS_LOCKOUT_ATTEMPTS, now))
    return wait


def record_login_failure(session, login, address=None):
    session.add(LoginFailure(login=login.lower()[:64], address=(address or None) and address[:45]))


def clear_login_failures(session, login):
    session.execute(delete(LoginFailure).where(LoginFailure.login == login.lower()))


_DUMMY_HASHES = {}


def check_login_password(user, password):
    """The user's password check, taking as long for an unknown log-in (or a user without a password) as for
    a known one: the answer's timing must not tell which log-ins exist."""
    if user is not None and user.password_hash:
        return user.check_password(password)
    if PASSWORD_METHOD not in _DUMMY_HASHES:
        _DUMMY_HASHES[PASSWORD_METHOD] = generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)
    check_password_hash(_DUMMY_HASHES[PASSWORD_METHOD], password)
    return False


MIN_PASSWORD_LENGTH = 10
# Someone who types a Russian word with the English layout on (or the reverse) gets the same keys: «gfhjkm» is
# «пароль», «йцукен» is «qwerty». Both readings are checked against the list.
_RU = "йцукенгшщзхъфывапролджэячсмитьбю"
_EN = "qwertyuiop[]asdfghjkl;'zxcvbnm,."
_TO_EN, _TO_RU = str.maketrans(_RU, _EN), str.maketrans(_EN, _RU)
_COMMON = None


def common_passwords():
    """The shipped list of common passwords (models/common_passwords.txt names its source), read once."""
    global _COMMON
    if _COMMON is None:
        path = Path(__file__).with_name("common_passwords.txt")
        _COMMON = frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                            if line.strip() and not line.startswith("#"))
    return _COMMON


def is_common_password(password):
    folded = password.strip().lower().replace("ё", "е")
    return any(variant in common_passwords()
               for variant in {folded, folded.translate(_TO_EN), folded.translate(_TO_RU)})


def password_errors(password, *, required):
    if not password:
        return "Задайте пароль." if required else None
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов."
    if is_common_password(password):
        return "Этот пароль слишком распространён: его подбирают первым. Придумайте другой."
    if len(set(password)) < 4:
        return "В пароле слишком мало разных символов: придумайте менее предсказуемый."
    return None


def user_errors(session, *, login, full_name, roles, user_id=None):

    errors = {}
    login = (login or "").strip()
    if not login:
        errors["login"] = "Укажите логин."
    elif not all(ch.isalnum() or ch in "._-" for ch in login):
        errors["login"] = "Логин может содержать только буквы, цифры, точку, дефис и подчёркивание."
    else:
        other = session.scalar(select(User).where(func.lower(User.login) == login.lower()))
        if other is not None and other.id != user_id:
            errors["login"] = f"Пользователь с логином «{login}» уже есть."
    if not (full_name or "").strip():
        errors["full_name"] = "Укажите ФИО пользователя."
    unknown = [r for r in roles or [] if r not in ROLES]
    if not roles:
        errors["roles"] = "Назначьте пользователю хотя бы одну роль."
    elif unknown:
        errors["roles"] = "Неизвестная роль: " + ", ".join(unknown)
    return errors

"""Users of the panel, their roles and the record of failed log-ins."""
from datetime import datetime, timedelta

from sqlalchemy import Boolean, DateTime, ForeignKey, String, delete, false, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Versioned, db


# werkzeug's default (scrypt); the test suite lowers it to keep hundreds of log-ins fast.
PASSWORD_METHOD = "scrypt"


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

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    # Flask-Login protocol, written out so models do not import Flask-Login.
    @property
    def is_active(self):
        return bool(self.active)

    is_authenticated = True
    is_anonymous = False

    def get_id(self):
        return str(self.id)

    def __str__(self):
        return self.full_name


class LoginFailure(db.Model):
    """One failed log-in attempt; kept in the database so every server process sees them."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


LOCKOUT_ATTEMPTS = 5
LOCKOUT_MINUTES = 15


def lockout_remaining(session, login, now=None):
    """Minutes a login must still wait after too many failures, or 0."""
    now = now or utcnow()
    since = now - timedelta(minutes=LOCKOUT_MINUTES)
    count, last = session.execute(
        select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(
            LoginFailure.login == login.lower(), LoginFailure.at >= since
        )
    ).one()
    if count < LOCKOUT_ATTEMPTS:
        return 0
    left = last + timedelta(minutes=LOCKOUT_MINUTES) - now
    return max(1, int(left.total_seconds() // 60) + 1)


def record_login_failure(session, login):
    session.add(LoginFailure(login=login.lower()))


def clear_login_failures(session, login):
    session.execute(delete(LoginFailure).where(LoginFailure.login == login.lower()))


MIN_PASSWORD_LENGTH = 8


def password_errors(password, *, required):
    if not password:
        return "Задайте пароль." if required else None
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов."
    return None


def user_errors(session, *, login, full_name, roles, user_id=None):
    from admin.roles import ROLES  # the one list of roles

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

"""Log-in, log-out and a user's own password."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from models import User, db
from admin.access import requires
from models.users import (
    check_login_password,
    clear_login_failures,
    end_all_sessions,
    lockout_remaining,
    password_errors,
    record_login_failure,
)

bp = Blueprint("auth", __name__)
LOGIN_MAX = User.login.type.length


class LoginForm(FlaskForm):
    login = StringField("Логин", validators=[InputRequired("Введите логин.")])
    password = PasswordField("Пароль", validators=[InputRequired("Введите пароль.")])


def _safe_next(target):
    # Only a path on this site: an absolute or protocol-relative URL would let a link send users away.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        login_name = form.login.data.strip()
        address = request.remote_addr
        wait = lockout_remaining(db.session, login_name, address=address) if len(login_name) <= LOGIN_MAX else 0
        if len(login_name) > LOGIN_MAX:
            # No login is that long; the failure log's column could not even hold it (an SQL error on PostgreSQL).
            error = "Неверный логин или пароль."
        elif wait:
            error = f"Слишком много неудачных попыток входа. Повторите через {wait} мин."
        else:
            user = db.session.scalar(select(User).where(func.lower(User.login) == login_name.lower()))
            # The hash check is slow on purpose; it must not run inside the transaction, which on SQLite
            # holds the write lock for a POST and would make every other save wait for it.
            if user is not None:
                db.session.expunge(user)
            db.session.commit()
            # An unknown log-in is checked against a dummy hash: the answer takes as long as for a known one.
            if not check_login_password(user, form.password.data) or not user.is_active:
                record_login_failure(db.session, login_name, address)
                db.session.commit()
                error = "Неверный логин или пароль."
            else:
                clear_login_failures(db.session, login_name)
                db.session.commit()
                session.clear()
                session.permanent = True
                login_user(user)
                return redirect(_safe_next(request.args.get("next")) or url_for("admin.index"))
    return render_template("pages/login.html", form=form, error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # Every session of the user ends, not only this cookie: a copy kept from before would still work.
        end_all_sessions(db.session, current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    flash("Вы вышли из панели.", "info")
    return redirect(url_for("auth.login"))


class PasswordForm(FlaskForm):
    current = PasswordField("Текущий пароль", validators=[InputRequired("Введите текущий пароль.")])
    new = PasswordField("Новый пароль", validators=[InputRequired("Введите новый пароль.")])
    repeat = PasswordField("Новый пароль ещё раз", validators=[InputRequired("Повторите новый пароль.")])


# What a user who must change the password may still open.
PASSWORD_FREE_ENDPOINTS = {"auth.password", "auth.logout", "auth.login", "static"}


@bp.before_app_request
def password_first():
    """A password someone else saw (printed at set-up) is changed before anything else is opened."""
    if (current_user.is_authenticated and getattr(current_user, "must_change_password", False)
            and request.endpoint not in PASSWORD_FREE_ENDPOINTS
            and not (request.endpoint or "").endswith(".static")):
        return redirect(url_for("auth.password"))
    return None


@bp.route("/password", methods=["GET", "POST"])
@requires("own_password", "edit")
def password():
    form = PasswordForm()
    errors = {}
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        if not user.check_password(form.current.data):
            errors["current"] = "Текущий пароль введён неверно."
        elif form.new.data != form.repeat.data:
            errors["repeat"] = "Новый пароль и повтор не совпадают."
        elif form.new.data == form.current.data:
            errors["new"] = "Новый пароль должен отличаться от текущего."
        else:
            problem = password_errors(form.new.data, required=True)
            if problem:
                errors["new"] = problem
        if not errors:
            user.set_password(form.new.data)  # the one place a password is set: its rules apply here too
            user.must_change_password = False
            db.session.commit()
            # The new password ends every other session; this one goes on under the new token.
            login_user(user)
            flash("Пароль изменён.", "success")
            return redirect(url_for("admin.index"))
    for name, field in ((n, getattr(form, n)) for n in ("current", "new", "repeat")):
        if field.errors:
            errors.setdefault(name, field.errors[0])
    status = 400 if errors else 200
    return render_template("pages/password.html", form=form, errors=errors,
                           forced=current_user.must_change_password), status

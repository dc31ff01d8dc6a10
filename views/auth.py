"""Log-in and log-out."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from models import User, db
from models.users import clear_login_failures, lockout_remaining, record_login_failure

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
        wait = lockout_remaining(db.session, login_name) if len(login_name) <= LOGIN_MAX else 0
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
            if user is None or not user.check_password(form.password.data) or not user.is_active:
                record_login_failure(db.session, login_name)
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
    logout_user()
    session.clear()
    flash("Вы вышли из панели.", "info")
    return redirect(url_for("auth.login"))

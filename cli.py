"""Command-line commands: database set-up, serving, users, demo data."""
import getpass
import os
import sys

import click
from flask import current_app
from sqlalchemy import func, select

from admin.roles import ROLES
from models import User, db
from models.audit import acting_as
from models.seed import ensure_first_admin, ensure_reference_data
from models.users import password_errors, user_errors


def fail(message):
    """Russian message on stderr and exit code 2, as for any bad argument."""
    click.echo(f"Ошибка: {message}", err=True)
    sys.exit(2)


def _cli_actor():
    acting_as(None, f"cli:{getpass.getuser()}")


def prepare_database(create_admin=True):
    """Apply pending migrations, add reference data; return a new admin password or None."""
    from flask_migrate import upgrade

    upgrade()
    _cli_actor()
    ensure_reference_data(db.session)
    password = ensure_first_admin(db.session) if create_admin else None
    db.session.commit()
    return password


def _announce_admin(password):
    if password:
        click.echo("=" * 60)
        click.echo("Создана учётная запись администратора (пароль показывается один раз):")
        click.echo("  логин:  admin")
        click.echo(f"  пароль: {password}")
        click.echo("Смените пароль после первого входа (Администрирование → Пользователи).")
        click.echo("=" * 60)


def register(app):
    @app.cli.command("init-db")
    def init_db():
        """Создать или обновить базу данных (миграции) и справочники."""
        _announce_admin(prepare_database())
        click.echo("База данных готова.")

    @app.cli.command("serve")
    def serve():
        """Обновить базу и запустить панель (waitress) на HOST:PORT."""
        from waitress import serve as waitress_serve

        _announce_admin(prepare_database())
        host = os.environ.get("HOST", "127.0.0.1")
        try:
            port = int(os.environ.get("PORT", "5000"))
        except ValueError:
            fail(f"PORT должен быть числом, а задано «{os.environ.get('PORT')}».")
        threads = int(os.environ.get("THREADS", "8"))
        click.echo(f"Панель работает: http://{host}:{port}/  (остановить — Ctrl+C)")
        waitress_serve(current_app._get_current_object(), host=host, port=port, threads=threads,
                       ident="school-archive")

    @app.cli.command("create-user")
    @click.argument("login")
    @click.option("--role", "roles", multiple=True, help="Роль: " + ", ".join(ROLES))
    @click.option("--full-name", default=None, help="ФИО пользователя")
    @click.option("--position", default=None, help="Должность")
    @click.option("--password", default=None, help="Пароль (если не задан — будет запрошен)")
    def create_user(login, roles, full_name, position, password):
        """Создать пользователя или обновить его роли и пароль (повторный запуск безопасен)."""
        _cli_actor()
        if not roles:
            fail("укажите роль: --role " + "|".join(ROLES))
        existing = db.session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
        errors = user_errors(db.session, login=login, full_name=full_name or (existing.full_name if existing
                             else login), roles=list(roles), user_id=existing.id if existing else None)
        if errors:
            fail(" ".join(errors.values()))
        if password is None and existing is None:
            if not sys.stdin.isatty():
                fail("пароль не задан: укажите --password или запустите команду в терминале.")
            password = click.prompt("Пароль", hide_input=True, confirmation_prompt="Повторите пароль")
        problem = password_errors(password, required=existing is None)
        if problem:
            fail(problem)
        user = existing or User(login=login.strip(), active=True)
        user.full_name = full_name or user.full_name or login
        if position:
            user.position = position
        user.roles = list(roles)
        if password:
            user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(("Обновлён" if existing else "Создан") + f" пользователь {user.login}: "
                   + ", ".join(ROLES[r] for r in user.roles))

    @app.cli.command("seed-demo")
    def seed_demo():
        """Заполнить базу демонстрационной школой (повторный запуск ничего не дублирует)."""
        from models.demo import DEMO_PASSWORDS, seed_demo_school

        if not current_app.config.get("DEMO_DATABASE_OK"):
            uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
            if "demo" not in uri:
                fail("демо-данные загружаются только в отдельную демо-базу (в её имени должно быть «demo»), "
                     "например: DATABASE_URL=sqlite:///instance/demo.sqlite. Используйте make demo.")
        prepare_database(create_admin=False)
        created = seed_demo_school(db.session)
        db.session.commit()
        click.echo("Демо-школа " + ("создана." if created else "уже была загружена."))
        click.echo("Учётные записи демо-школы:")
        for login, (role, password) in DEMO_PASSWORDS.items():
            click.echo(f"  {ROLES[role]:<32} логин: {login:<12} пароль: {password}")

"""Command-line commands: database set-up, serving, users, demo data."""
import getpass
import os
import sys

import click
from flask import current_app
from sqlalchemy import func, select

from models.roles import ROLES
from models import User, db
from models.audit import acting_as
from models.db import refresh_query_statistics
from models.seed import ensure_first_admin, ensure_reference_data
from models.users import password_errors, user_errors


def fail(message):
    """Russian message on stderr and exit code 2, as for any bad argument."""
    click.echo(f"Ошибка: {message}", err=True)
    sys.exit(2)


def _cli_actor():
    acting_as(None, f"cli:{getpass.getuser()}")


# Reference data and demo rows written at set-up are the system's, not some operator's account on the server.
SETUP_ACTOR = "система (установка)"


def _setup_actor():
    acting_as(None, SETUP_ACTOR)


def prepare_database(create_admin=True):
    """Apply pending migrations, add reference data; return a new admin password or None."""
    from flask_migrate import upgrade

    upgrade()
    _setup_actor()
    ensure_reference_data(db.session)
    password = ensure_first_admin(db.session) if create_admin else None
    db.session.commit()
    refresh_query_statistics(db.session)
    db.session.commit()
    return password


def _prepare_in_child():
    """`init-db` in a short-lived child process: the served process then never loads alembic (with mako and
    pygments, some 11 MB held for as long as it serves; issue 22)."""
    import subprocess

    env = dict(os.environ, DATABASE_URL=current_app.config["SQLALCHEMY_DATABASE_URI"],
               INSTANCE_PATH=current_app.instance_path)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app:create_app", "init-db"],
                          cwd=current_app.root_path, env=env)
    if done.returncode:
        sys.exit(done.returncode)


def _few_malloc_arenas():
    """Two malloc arenas for waitress's threads instead of one per thread: each arena keeps its own free memory,
    some 10 MB more held by a served panel (issue 22). glibc only; MALLOC_ARENA_MAX set by the admin wins."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def _announce_admin(password):
    if password:
        click.echo("=" * 60)
        click.echo("Создана учётная запись администратора (пароль показывается один раз):")
        click.echo("  логин:  admin")
        click.echo(f"  пароль: {password}")
        click.echo("При первом входе панель попросит заменить этот пароль своим.")
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

        _prepare_in_child()
        host = os.environ.get("HOST", "127.0.0.1")
        try:
            port = int(os.environ.get("PORT", "5000"))
        except ValueError:
            fail(f"PORT должен быть числом, а задано «{os.environ.get('PORT')}».")
        threads = int(os.environ.get("THREADS", "8"))
        _few_malloc_arenas()
        click.echo(f"Панель работает: http://{host}:{port}/  (остановить — Ctrl+C)")
        waitress_serve(current_app._get_current_object(), host=host, port=port, threads=threads,
                       ident="school-archive")

    @app.cli.command("create-user")
    @click.argument("login")
    @click.option("--role", "roles", multiple=True, help="Роль: " + ", ".join(ROLES))
    @click.option("--full-name", default=None, help="ФИО пользователя")
    @click.option("--position", default=None, help="Должность")
    @click.option("--password", default=None, help="Пароль (если не задан — будет запрошен)")
    @click.option("--class", "class_name", default=None,
                  help="Класс текущего учебного года, например 9А (для классного руководителя)")
    def create_user(login, roles, full_name, position, password, class_name):
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
        school_class = None
        if class_name is not None:
            from models.first_steps import class_of_current_year

            if "class_teacher" not in roles:
                fail("--class задаётся только классному руководителю: добавьте --role class_teacher.")
            school_class = class_of_current_year(db.session, class_name)
            if school_class is None:
                fail(f"класса «{class_name.strip()}» в текущем учебном году нет. Сначала создайте его "
                     "(«Обучающиеся → Классы»).")
        user = existing or User(login=login.strip(), active=True)
        user.full_name = full_name or user.full_name or login
        if position:
            user.position = position
        user.roles = list(roles)
        if password:
            user.set_password(password)
        db.session.add(user)
        previous = None
        if school_class is not None:
            db.session.flush()
            previous = school_class.class_teacher if school_class.class_teacher_id not in (None, user.id) else None
            school_class.class_teacher = user
        db.session.commit()
        click.echo(("Обновлён" if existing else "Создан") + f" пользователь {user.login}: "
                   + ", ".join(ROLES[r] for r in user.roles))
        if school_class is not None:
            click.echo(f"Классный руководитель класса {school_class.name}"
                       + (f" (вместо: {previous.full_name})" if previous else "") + ".")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Заполнить базу демонстрационной школой (повторный запуск ничего не дублирует)."""
        from models.demo import DEMO_PASSWORDS, seed_demo_school

        if not current_app.config.get("DEMO_DATABASE_OK"):
            from sqlalchemy.engine import make_url

            # Only the database's own name counts: a folder like /home/demo/ must not unlock a real school base.
            name = os.path.basename(make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database or "")
            if "demo" not in name.lower():
                fail("демо-данные загружаются только в отдельную демо-базу (в её имени должно быть «demo»), "
                     "например: DATABASE_URL=sqlite:///demo.sqlite. Используйте make demo.")
        prepare_database(create_admin=False)
        _setup_actor()
        created = seed_demo_school(db.session)
        db.session.commit()
        click.echo("Демо-школа " + ("создана." if created else "уже была загружена."))
        click.echo("Учётные записи демо-школы:")
        for login, (role, password) in DEMO_PASSWORDS.items():
            click.echo(f"  {ROLES[role]:<32} логин: {login:<12} пароль: {password}")

    @app.cli.command("seed-curriculum")
    def seed_curriculum_command():
        """Заполнить учебный план аттестатов ООО и СОО типовыми предметами и минимальные результаты ГИА
        (только пустые справочники; дальше их правит заместитель директора)."""
        from sqlalchemy import func, select

        from models.attestation import CurriculumSubject, GiaMinimum, seed_curriculum

        before = (db.session.scalar(select(func.count(CurriculumSubject.id))),
                  db.session.scalar(select(func.count(GiaMinimum.id))))
        seed_curriculum(db.session)
        db.session.commit()
        after = (db.session.scalar(select(func.count(CurriculumSubject.id))),
                 db.session.scalar(select(func.count(GiaMinimum.id))))
        click.echo(f"Учебный план: добавлено предметов {after[0] - before[0]}; "
                   f"минимальных результатов ГИА {after[1] - before[1]}. Сверьте их с учебным планом школы "
                   "и текущим распоряжением Рособрнадзора.")

    @app.cli.command("verify-copies")
    def verify_copies_command():
        """Пересчитать SHA-256 архивных копий электронного журнала и записать результат."""
        from models.copies import verify_copies

        _cli_actor()
        counts = verify_copies(db.session)
        db.session.commit()
        click.echo(f"Проверено носителей: {sum(counts.values())}. Совпадает: {counts['ok']}, "
                   f"не совпадает: {counts['mismatch']}, файл недоступен: {counts['unreachable']}.")
        if counts["mismatch"]:
            sys.exit(1)

    register_backup_commands(app)


def register_backup_commands(app):
    from models.backup import BackupError, backup_directory, make_backup, restore_backup, verify_backup

    @app.cli.command("backup")
    @click.argument("directory", required=False)
    @click.option("--keep", type=int, default=None, help="Сколько последних копий хранить (по умолчанию BACKUP_KEEP)")
    def backup(directory, keep):
        """Сделать резервную копию базы (можно во время работы панели) и её контрольную сумму."""
        keep = keep if keep is not None else current_app.config["BACKUP_KEEP"]
        if keep < 1:
            fail("--keep должно быть не меньше 1.")
        try:
            path = make_backup(current_app.config["SQLALCHEMY_DATABASE_URI"],
                               directory or backup_directory(current_app), keep)
        except BackupError as exc:
            fail(str(exc))
        click.echo(f"Резервная копия создана: {path}")
        click.echo(f"Контрольная сумма: {path}.sha256 (хранится последних копий: {keep})")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--yes", is_flag=True, help="Не спрашивать подтверждение")
    def restore(file, yes):
        """Восстановить базу из резервной копии (текущая база сохраняется рядом)."""
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        try:
            verify_backup(file)
        except BackupError as exc:
            fail(f"{exc} Текущая база не изменена.")
        if not yes:
            if not sys.stdin.isatty():
                fail("восстановление заменит текущую базу. Подтвердите ключом --yes "
                     "или запустите команду в терминале. Текущая база не изменена.")
            if not click.confirm("Текущая база будет заменена копией (её нынешнее состояние сохранится рядом). "
                                 "Продолжить?", default=False):
                fail("восстановление отменено. Текущая база не изменена.")
        db.engine.dispose()  # no pooled connection of ours may hold the old file open
        try:
            aside = restore_backup(url, file, aside_dir=backup_directory(current_app))
        except BackupError as exc:
            fail(f"{exc} Текущая база не изменена.")
        click.echo(f"База восстановлена из {file}.")
        if aside:
            click.echo(f"Прежняя база сохранена: {aside}")
        click.echo("Если копия сделана до обновления панели, база обновится при запуске (flask --app app init-db).")

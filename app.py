"""Application factory of the school archive panel."""
import gc
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, redirect, render_template, request, url_for
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from models import db
from models import audit
from models.db import INT_RANGE

BASE_DIR = Path(__file__).resolve().parent
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
talisman = Talisman()

# The panel's own files and scripts marked with the page's nonce (Flask-Admin marks its own, see
# admin/__init__.py); inline handlers are replaced by static/panel-actions.js. Styles may be inline: Flask-Admin
# and select2 set style attributes, which run no code.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(config=None):
    instance = Path(os.environ.get("INSTANCE_PATH") or (config or {}).get("INSTANCE_PATH") or BASE_DIR / "instance")
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    # Before any route: an id in a path beyond the database's integer is «no such page», not an SQL error.
    app.url_map.converters["int"] = RecordIdConverter
    _load_config(app, config)

    db.init_app(app)
    _bind_sqlite_listeners(app)
    _init_migrate(app)
    csrf.init_app(app)
    _init_headers(app)
    babel.init_app(app, locale_selector=lambda: "ru", timezone_selector=lambda: app.config["TIMEZONE"])
    _init_login(app)

    from admin import init_admin
    from views import register_views
    import cli

    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        # Behind nginx the client's address comes in X-Forwarded-For: the per-address log-in limit needs it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    init_admin(app)
    register_views(app)
    cli.register(app)
    _guard_input(app)
    _register_errors(app)
    _return_print_memory(app)
    if not app.testing:
        settle_heap()
    return app


def _return_print_memory(app):
    """After a PDF or a big page, the memory it took goes back to the system (glibc's malloc_trim): a print of 200
    book entries leaves megabytes of free heap that the process would otherwise hold for as long as it serves."""
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return  # not glibc (Windows, macOS, musl): nothing to do

    @app.teardown_request
    def trim_after_print(_exc):
        if getattr(g, "printed", False):
            gc.collect()  # a print's flowables hold cycles: freed now, their memory can go back
            trim(0)

    @app.after_request
    def note_print(response):
        # Prints and the few big pages (the whole school's analysis); lists and forms are not worth the call.
        if response.mimetype == "application/pdf" or (response.content_length or 0) > 256 * 1024:
            g.printed = True
        return response


def _init_migrate(app):
    """Flask-Migrate set up on first use (`flask db …`, upgrade): alembic with mako and pygments hold some 11 MB
    that a serving process never needs (issue 22: `serve` migrates in a child process, see cli.py)."""
    import click
    from flask.cli import with_appcontext

    def real():
        if isinstance(app.extensions.get("migrate"), _LazyMigrate):
            from flask_migrate import Migrate

            Migrate(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
        return app.extensions["migrate"]

    class _LazyMigrate:
        def __getattr__(self, name):
            return getattr(real(), name)

    class LazyDbGroup(click.Group):
        def _group(self):
            from flask_migrate.cli import db as group

            return group

        def list_commands(self, ctx):
            return self._group().list_commands(ctx)

        def get_command(self, ctx, name):
            return self._group().get_command(ctx, name)

    # The same group as flask_migrate.cli.db (its options set g for Migrate.get_config), its commands loaded late.
    @click.group("db", cls=LazyDbGroup)
    @click.option("-d", "--directory", default=None, help='Migration script directory (default is "migrations")')
    @click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
    @with_appcontext
    def db_group(directory, x_arg):
        """Perform database migrations."""
        g.directory = directory
        g.x_arg = x_arg

    app.extensions["migrate"] = _LazyMigrate()
    app.cli.add_command(db_group)


def _init_headers(app):
    """Security headers (flask-talisman): no framing, nosniff, the CSP above, HSTS over HTTPS; and no copy of a
    page with personal data kept by the browser or a proxy."""
    talisman.init_app(
        app, force_https=app.config.get("FORCE_HTTPS", False),
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        frame_options="DENY", content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"], referrer_policy="same-origin")

    @app.after_request
    def no_store(response):
        # Every page, export, PDF and scan may carry personal data; only the static files are cacheable.
        if request.endpoint not in ("static", "admin.static"):
            response.headers["Cache-Control"] = "no-store"
        return response
class RecordIdConverter(IntegerConverter):
    """`<int:…>` in every route: at most the largest integer the database's id columns hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_RANGE.stop - 1)
        super().__init__(map, *args, **kwargs)


def settle_heap():
    """Move what start-up built (mappers, views, routes: some 200,000 objects) out of the collector's sight.

    They live as long as the process, yet every full garbage collection walked them all and held one
    request for 0.1-0.15 s every few dozen requests; frozen, a full collection takes microseconds."""
    gc.collect()
    gc.freeze()


def private_instance(path):
    """instance/ holds the secret key, the SQLite database, backups and scans: readable by the panel's own
    system user only. The folder (and its sub-folders) become 0700 and its files 0600, and what the process
    creates from now on is private too (umask 077: the database and its WAL, backups, uploads, dumps)."""
    if os.name != "posix":
        return  # Windows: the folder's ACL inherits from its parent; see README
    os.umask(0o077)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for entry in [path, *path.iterdir()]:
        wanted = 0o700 if entry.is_dir() else 0o600
        if not entry.is_symlink() and entry.stat().st_mode & 0o777 != wanted:
            entry.chmod(wanted)


def _load_config(app, config):
    private_instance(app.instance_path)
    config_file = Path(app.instance_path) / "config.py"
    if not config_file.exists() and not (config or {}).get("TESTING"):
        # First start: a random key kept only on this machine, never in the repository.
        config_file.write_text(
            "# Локальные настройки панели. Файл создан при первом запуске; не публикуйте его.\n"
            f"SECRET_KEY = {secrets.token_hex(32)!r}\n",
            encoding="utf-8",
        )
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(app.instance_path) / 'archive.sqlite'}",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which itself expires
        BABEL_DEFAULT_LOCALE="ru",
        TIMEZONE="Europe/Moscow",
        UPLOAD_MAX_BYTES=10 * 1024 * 1024,
        BACKUP_KEEP=14,
    )
    if config_file.exists():
        app.config.from_pyfile(str(config_file))
    for key in ("SECRET_KEY", "TIMEZONE"):
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = app.config["UPLOAD_MAX_BYTES"] + 1024 * 1024
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def _bind_sqlite_listeners(app):
    """SQLite's pragmas, Unicode lower() and locking BEGIN, on this app's engine only (not every Engine of the
    process: a test's or a script's own engine is left as SQLAlchemy makes it)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_pragmas(dbapi_connection, connection_record):
    # SQLAlchemy's "begin" hook below issues BEGIN itself; pysqlite must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite folds only ASCII: «ИВАНОВ» would not match «иванов» in search without this.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    dbapi_connection.create_function("upper", 1, lambda v: v.upper() if isinstance(v, str) else v,
                                     deterministic=True)


def _sqlite_begin(conn):
    # Writers take the lock up front: a deferred transaction that later writes can fail at once with
    # «database is locked» instead of waiting. Plain page views stay deferred so they never queue.
    reading = _request_is_read_only()
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def _request_is_read_only():
    from flask import has_app_context, has_request_context

    if has_request_context():
        return request.method in ("GET", "HEAD") and not g.get("writes", False)
    # Outside requests (CLI, workers) writers lock up front, unless the context says it mostly reads
    # (the test suite's own session, which must not block the requests it sends).
    return has_app_context() and g.get("sqlite_deferred", False)


def _init_login(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы открыть эту страницу."
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id):
        from models.users import load_session_user

        return load_session_user(db.session, session_id)

    def actor():
        from flask import has_request_context

        if has_request_context() and current_user and current_user.is_authenticated:
            return current_user.id, current_user.login
        return None

    audit.actor_provider = actor


def _guard_input(app):
    """Control characters (a NUL above all) never reach a query or a row: stripped from a URL's arguments (search,
    filters, look-ups), refused in anything posted, with a Russian page and nothing changed."""
    from werkzeug.datastructures import ImmutableMultiDict

    from models.text import has_control_characters, strip_control_characters

    @app.before_request
    def refuse_control_characters():
        if any(has_control_characters(k) or has_control_characters(v) for k, v in request.args.items(multi=True)):
            request.args = ImmutableMultiDict([(strip_control_characters(k), strip_control_characters(v))
                                               for k, v in request.args.items(multi=True)])
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        posted = [*request.form.items(multi=True), *((k, f.filename or "") for k, f in request.files.items(multi=True))]
        if any(has_control_characters(k) or has_control_characters(v) for k, v in posted):
            return render_template("errors/bad_input.html"), 400
        return None


def _register_errors(app):
    @app.errorhandler(403)
    def forbidden(error):
        return render_template("errors/403.html"), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(413)
    def too_large(error):
        return render_template("errors/413.html"), 413

    @app.route("/")
    def root():
        return redirect(url_for("admin.index"))

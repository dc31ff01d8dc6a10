"""Backups of the database: a consistent copy with its SHA-256, the last N kept, a checked restore."""
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from .errors import DomainError

SQLITE_SUFFIX = ".sqlite"
PG_SUFFIX = ".dump"
# archive-20250901-020000-123456.sqlite: the time in the name sorts the copies and tells the date.
NAME_RE = re.compile(r"^archive-(\d{8}-\d{6})(?:-(\d{6}))?\.(sqlite|dump)$")
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


def backup_directory(app):
    """Where backups go: config BACKUP_DIR, or instance/backups."""
    return Path(app.config.get("BACKUP_DIR") or Path(app.instance_path) / "backups")


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The tables of the panel's first migration: a copy of this panel, however old, has every one of them.
CORE_TABLES = frozenset({"alembic_version", "academic_year", "audit_log", "guardian", "level", "login_failure",
                         "school", "school_order", "subject", "term", "user", "school_class", "student",
                         "student_guardian"})


class BackupError(DomainError):
    """A backup or restore that cannot be done; the message is Russian and shown to the user as is."""


@dataclass
class BackupInfo:
    name: str
    path: Path
    size: int
    taken_at: datetime
    checksum: str | None


def _kind(url):
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"резервное копирование базы «{backend}» не поддерживается (только SQLite и PostgreSQL).")


def sqlite_path(url):
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("база SQLite в памяти не копируется: укажите файл базы.")
    return Path(database)


def _pg_tool(name):
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(
            f"не найдена программа {name} (из пакета клиентских программ PostgreSQL). Установите её "
            f"(Debian/Ubuntu: apt install postgresql-client; Windows: установщик PostgreSQL, каталог bin в PATH) "
            f"и повторите.")
    return tool


def _pg_args(url):
    """libpq connection string and environment: the password goes through PGPASSWORD, not the command line."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


def _run(command, env, what):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what} завершилась с ошибкой: {detail[-1] if detail else result.returncode}")
    return result.stdout


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(path):
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def read_checksum(path):
    side = checksum_path(path)
    if not side.exists():
        return None
    text = side.read_text(encoding="utf-8", errors="replace").strip()
    return text.split()[0].lower() if text else ""


def _stamp(now=None):
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


def make_backup(url, directory, keep):
    """Copy the database into directory while it is in use; write FILE.sha256; keep the last `keep` copies."""
    kind = _kind(url)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = SQLITE_SUFFIX if kind == "sqlite" else PG_SUFFIX
    while True:
        # Microseconds in the name: copies made within one second still sort in the order they were made.
        now = datetime.now()
        target = directory / f"archive-{_stamp(now)}-{now.microsecond:06d}{suffix}"
        if not target.exists():
            break
    partial = target.with_name(target.name + ".partial")
    try:
        if kind == "sqlite":
            _sqlite_copy(sqlite_path(url), partial)
        else:
            conninfo, env = _pg_args(url)
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
                  f"--dbname={conninfo}"], env, "Программа pg_dump")
        digest = file_sha256(partial)
        # A copy gets its final name only when complete, so a crash never leaves a half file that looks whole.
        os.replace(partial, target)
        checksum_path(target).write_text(f"{digest}  {target.name}\n", encoding="utf-8")
    finally:
        partial.unlink(missing_ok=True)
    prune_backups(directory, keep)
    return target


def _sqlite_copy(source_path, target_path):
    if not source_path.exists():
        raise BackupError(f"файл базы {source_path} не найден.")
    # The online backup API copies a consistent snapshot while other connections keep writing.
    # Not read-only: a read-only connection cannot open a WAL database whose -shm file is missing.
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
        # A single self-contained file: no -wal beside the copy.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()


def list_backups(directory):
    """Backups in the directory, newest first; only files named as make_backup names them."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = NAME_RE.match(path.name)
        if not match or not path.is_file():
            continue
        order = (match.group(1), match.group(2) or "")
        found.append((order, BackupInfo(name=path.name, path=path, size=path.stat().st_size,
                                        taken_at=datetime.strptime(match.group(1), "%Y%m%d-%H%M%S"),
                                        checksum=read_checksum(path))))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [info for _, info in found]


def prune_backups(directory, keep):
    removed = []
    for info in list_backups(directory)[max(int(keep), 1):]:
        info.path.unlink(missing_ok=True)
        checksum_path(info.path).unlink(missing_ok=True)
        removed.append(info.path)
    return removed


def verify_backup(path):
    """Raise BackupError unless the file is a whole backup of this panel; return "sqlite" or "postgresql"."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"файл {path} не найден.")
    expected = read_checksum(path)
    if expected is None:
        raise BackupError(f"рядом с файлом нет контрольной суммы {checksum_path(path).name}: "
                          "это не резервная копия панели или она скопирована не полностью.")
    if file_sha256(path) != expected:
        raise BackupError(f"контрольная сумма файла {path.name} не совпадает с записанной: "
                          "копия повреждена или обрезана. Восстановление из неё невозможно.")
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        _verify_sqlite(path)
        return "sqlite"
    if head.startswith(PG_MAGIC):
        tool = _pg_tool("pg_restore")
        _verify_pg(path, tool)
        # --list reads only the table of contents; reading the whole file to nowhere catches a cut-off end.
        _run([tool, f"--file={os.devnull}", str(path)], None, "Проверка копии программой pg_restore")
        return "postgresql"
    raise BackupError(f"файл {path.name} не является резервной копией базы (ни SQLite, ни pg_dump).")


def panel_schema():
    """(revisions the panel's migrations know, the newest one, {table: column names} the models expect)."""
    from alembic.script import ScriptDirectory

    from .db import db

    script = ScriptDirectory(str(MIGRATIONS))
    tables = {name: {column.name for column in table.columns} for name, table in db.metadata.tables.items()}
    return {r.revision for r in script.walk_revisions()}, script.get_current_head(), tables


def check_panel_schema(name, revisions, columns):
    """Refuse a copy that is not of this panel's schema: one revision the migrations know, and the tables (at the
    newest revision, with their columns) the panel expects. `columns` maps a table to its columns, or to None where
    the copy does not tell them (a pg_dump listing)."""
    known, head, expected = panel_schema()
    if "alembic_version" not in columns or not revisions:
        raise BackupError(f"файл {name} — не база панели (нет версии схемы в таблице alembic_version).")
    if len(revisions) != 1 or revisions[0] not in known:
        shown = ", ".join(str(r)[:40] for r in revisions[:3])
        raise BackupError(f"файл {name} — не база этой панели: версия схемы «{shown}» ей неизвестна (копия другой "
                          "программы или более новой версии панели).")
    wanted = expected if revisions[0] == head else {t: set() for t in CORE_TABLES}
    missing = sorted(t for t in wanted if t not in columns and t != "alembic_version")
    if missing:
        raise BackupError(f"файл {name} — не база панели: в нём нет таблиц {', '.join(missing[:5])}"
                          f"{' и других' if len(missing) > 5 else ''}.")
    for table, names in sorted(wanted.items()):
        lacking = sorted(names - columns[table]) if columns.get(table) is not None else []
        if lacking:
            raise BackupError(f"файл {name} — не база панели: в таблице {table} нет столбцов "
                              f"{', '.join(lacking[:5])}.")


def _verify_sqlite(path):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            columns = {t: {row[1] for row in conn.execute(f'PRAGMA table_info("{t}")')} for t in tables
                       if '"' not in t}
            revisions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")] \
                if "alembic_version" in columns else []
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"файл {path.name} повреждён или не база панели: {exc}.") from exc
    if result != ["ok"]:
        raise BackupError(f"проверка целостности копии {path.name} не пройдена: {'; '.join(result[:3])}.")
    check_panel_schema(path.name, revisions, columns)


def _verify_pg(path, tool):
    listing = _run([tool, "--list", str(path)], None, "Проверка копии программой pg_restore")
    # «215; 1259 16390 TABLE public student postgres»: the dump's tables, whichever schema.
    tables = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) >= 6 and not line.startswith(";") and parts[3] == "TABLE" and parts[4] != "DATA":
            tables[parts[5]] = None
    revisions = []
    if "alembic_version" in tables:
        data = _run([tool, "--data-only", "--table=alembic_version", "--file=-", str(path)], None,
                    "Проверка копии программой pg_restore")
        rows = data.split("FROM stdin;", 1)[1].split("\\.", 1)[0] if "FROM stdin;" in data else ""
        revisions = [row.strip() for row in rows.splitlines() if row.strip()]
    check_panel_schema(path.name, revisions, tables)


def restore_backup(url, path, aside_dir=None, now=None):
    """Check the backup, keep the current database aside, then replace it; return the path kept aside."""
    kind = verify_backup(path)
    target_kind = _kind(url)
    if kind != target_kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(f"копия сделана из базы {names[kind]}, а панель работает с {names[target_kind]}: "
                          "такое восстановление невозможно.")
    stamp = _stamp(now)
    if kind == "sqlite":
        current = sqlite_path(url)
        aside = current.with_name(f"{current.name}.replaced-{stamp}")
        if current.exists():
            _sqlite_copy(current, aside)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        live = sqlite3.connect(current, timeout=30)
        try:
            # Written through SQLite's own locks, so the -wal file and open connections stay consistent.
            source.backup(live)
        finally:
            live.close()
            source.close()
        return aside if aside.exists() else None
    aside = Path(aside_dir or Path(path).parent) / f"replaced-{stamp}{PG_SUFFIX}"
    aside.parent.mkdir(parents=True, exist_ok=True)
    conninfo, env = _pg_args(url)
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={aside}",
          f"--dbname={conninfo}"], env, "Программа pg_dump (сохранение текущей базы)")
    # One transaction: if anything fails, the database stays as it was.
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
          "--no-owner", "--no-privileges", f"--dbname={conninfo}", str(path)], env,
         "Программа pg_restore (восстановление)")
    return aside

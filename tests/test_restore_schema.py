"""`flask restore` takes only a copy of this panel's schema: a foreign database with an `alembic_version` table,
an unknown revision, missing tables or columns are refused and the live database stays as it was."""
import hashlib
import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import create_engine, select, text

from models import Subject, db
from models.backup import checksum_path, make_backup, panel_schema


def _rehash(path):
    checksum_path(path).write_text(hashlib.sha256(path.read_bytes()).hexdigest() + f"  {path.name}\n")


def _foreign_sqlite(path, revision, tables=("notes",)):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    for table in tables:
        conn.execute(f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, text TEXT)')
    conn.commit()
    conn.close()
    _rehash(path)
    return path


def _foreign_pg_dump(url, path, revision, tables=("notes",)):
    """A pg_dump of another program's schema, made in the test database's own scratch schema and dropped after."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS foreign_app CASCADE"))
        conn.execute(text("CREATE SCHEMA foreign_app"))
        conn.execute(text("CREATE TABLE foreign_app.alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO foreign_app.alembic_version VALUES (:r)"), {"r": revision})
        for table in tables:
            conn.execute(text(f'CREATE TABLE foreign_app."{table}" (id INTEGER PRIMARY KEY, text TEXT)'))
    try:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--schema=foreign_app", f"--file={path}",
                        f"--dbname={plain}"], check=True, capture_output=True)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA foreign_app CASCADE"))
        engine.dispose()
    _rehash(path)
    return path


def _damaged_panel_copy(app, tmp_path):
    """A real copy of the panel, whose subject table lost a column the models expect."""
    path = make_backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "backups", keep=5)
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE subject RENAME COLUMN name TO title")
    conn.commit()
    conn.close()
    _rehash(path)
    return path


def _cases():
    known, head, _ = panel_schema()
    oldest = sorted(known)[0]
    cases = {
        "чужая программа, неизвестная версия схемы": ("abc123def456", ("notes",), "неизвестна"),
        "версия панели, но чужие таблицы": (head, ("notes",), "нет таблиц"),
        "старая версия панели, но чужие таблицы": (oldest, ("notes", "student"), "нет таблиц"),
    }
    return cases


@pytest.mark.parametrize("case", ["чужая программа, неизвестная версия схемы", "версия панели, но чужие таблицы",
                                  "старая версия панели, но чужие таблицы", "копия панели без столбца"])
def test_restore_refuses_a_foreign_schema_and_the_panel_keeps_working(app, backend, tmp_path, login_as, case):
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore не найдены в PATH")
    with app.app_context():
        db.session.add(Subject(name="Живая база"))
        db.session.commit()
        db.session.remove()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if case == "копия панели без столбца":
        if backend != "sqlite":
            pytest.skip("столбцы сверяются по копии SQLite; в списке pg_dump их нет")
        path, fragment = _damaged_panel_copy(app, tmp_path), "нет столбцов"
    else:
        revision, tables, fragment = _cases()[case]
        if backend == "sqlite":
            path = _foreign_sqlite(tmp_path / "archive-20260101-000000-000000.sqlite", revision, tables)
        else:
            path = _foreign_pg_dump(url, tmp_path / "archive-20260101-000000-000000.dump", revision, tables)

    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 2, result.output
    assert "не база" in result.output and fragment in result.output, result.output
    assert "Текущая база не изменена" in result.output
    with app.app_context():
        db.session.remove()
        assert "Живая база" in set(db.session.scalars(select(Subject.name)))
        db.session.remove()
    # The panel still answers, as before the attempt.
    response = login_as("secretary").get("/admin/subject/")
    assert response.status_code == 200 and "Живая база" in response.get_data(as_text=True)


def test_restore_still_takes_the_panels_own_copy(app, backend, tmp_path):
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore не найдены в PATH")
    with app.app_context():
        db.session.add(Subject(name="В копии"))
        db.session.commit()
        db.session.remove()
    path = make_backup(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "backups", keep=5)
    with app.app_context():
        db.session.add(Subject(name="После копии"))
        db.session.commit()
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.remove()
        names = set(db.session.scalars(select(Subject.name)))
        db.session.remove()
    assert "В копии" in names and "После копии" not in names

"""Backups: a copy taken under writes restores them, bad files are refused, the page is the admin's only."""
import hashlib
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from models.roles import ROLES
from models import Subject, db
from models.backup import checksum_path, list_backups, make_backup, restore_backup


def _need_tools(backend):
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore не найдены в PATH: копирование PostgreSQL не проверяется")


def _url(app):
    return app.config["SQLALCHEMY_DATABASE_URI"]


def _subject_names(app):
    with app.app_context():
        db.session.remove()
        names = set(db.session.scalars(select(Subject.name)))
        db.session.remove()
        return names


def _add_subject(app, name):
    with app.app_context():
        db.session.add(Subject(name=name))
        db.session.commit()
        db.session.remove()


def test_backup_under_writes_restores_every_write_committed_before_it(app, backend, tmp_path):
    _need_tools(backend)
    committed = []
    stop = threading.Event()
    errors = []

    def writer():
        try:
            with app.app_context():
                number = 0
                while not stop.is_set():
                    number += 1
                    db.session.add(Subject(name=f"Предмет {number}"))
                    db.session.commit()
                    committed.append(f"Предмет {number}")
                db.session.remove()
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while len(committed) < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        before = list(committed)
        path = make_backup(_url(app), tmp_path / "backups", keep=5)
        finished = len(committed)
        time.sleep(0.2)  # the writer goes on after the copy
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    after = committed[finished + 1:]
    assert len(before) >= 30 and after, "писатель не успел записать до и после копии"
    everything = _subject_names(app)
    assert set(committed) <= everything

    with app.app_context():
        db.engine.dispose()
    aside = restore_backup(_url(app), path, aside_dir=tmp_path / "aside")
    restored = _subject_names(app)
    assert set(before) <= restored
    # The restore really replaced the database: what was written after the copy is gone...
    assert not set(after) & restored
    # ...and kept aside.
    assert aside is not None and aside.exists()
    if backend == "sqlite":
        conn = sqlite3.connect(aside)
        assert {r[0] for r in conn.execute("SELECT name FROM subject")} >= set(committed)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()


def _corrupt_checksum(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _rehash(path):
    checksum_path(path).write_text(hashlib.sha256(path.read_bytes()).hexdigest() + f"  {path.name}\n")


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _rehash(path)  # even with a matching checksum the cut-off file must be refused


def _truncate_plain(path):
    path.write_bytes(path.read_bytes()[:-100])


def _random(path):
    path.write_bytes(os.urandom(20000))
    _rehash(path)


def _foreign_sqlite(path):
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()
    _rehash(path)


def _no_checksum(path):
    checksum_path(path).unlink()


BAD_FILES = {
    "изменён байт": (_corrupt_checksum, "контрольная сумма"),
    "обрезан, сумма пересчитана": (_truncate, ""),
    "обрезан": (_truncate_plain, "контрольная сумма"),
    "случайные байты": (_random, "не является резервной копией"),
    "чужая база SQLite": (_foreign_sqlite, "не база панели"),
    "нет файла суммы": (_no_checksum, "нет контрольной суммы"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_backup_is_refused_and_database_untouched(app, backend, tmp_path, case):
    _need_tools(backend)
    damage, fragment = BAD_FILES[case]
    _add_subject(app, "До копии")
    path = make_backup(_url(app), tmp_path / "backups", keep=5)
    _add_subject(app, "После копии")
    damage(path)

    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 2, result.output
    assert "Ошибка:" in result.output and "Текущая база не изменена" in result.output
    assert fragment in result.output
    assert {"До копии", "После копии"} <= _subject_names(app)
    if backend == "sqlite":
        live = Path(_url(app).removeprefix("sqlite:///"))
        assert not list(live.parent.glob("*.replaced-*")), "при отказе ничего не должно меняться"


def test_restore_without_tty_and_without_yes_refuses(app, backend, tmp_path):
    _need_tools(backend)
    path = make_backup(_url(app), tmp_path / "backups", keep=5)
    _add_subject(app, "После копии")
    result = app.test_cli_runner().invoke(args=["restore", str(path)])
    assert result.exit_code == 2
    assert "--yes" in result.output
    assert "После копии" in _subject_names(app)

    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(path)])
    assert result.exit_code == 0, result.output
    assert "После копии" not in _subject_names(app)


def test_cli_backup_keeps_last_n(app, tmp_path):
    if not _url(app).startswith("sqlite"):
        pytest.skip("хранение последних N не зависит от СУБД: проверяется на SQLite")
    target = tmp_path / "copies"
    made = []
    for _ in range(5):
        result = app.test_cli_runner().invoke(args=["backup", str(target), "--keep", "3"])
        assert result.exit_code == 0, result.output
        made.append(result.output.split("Резервная копия создана: ")[1].splitlines()[0].strip())
    kept = sorted(p.name for p in target.iterdir())
    assert kept == sorted([Path(p).name for p in made[-3:]] + [Path(p).name + ".sha256" for p in made[-3:]])
    # Default: BACKUP_KEEP from the configuration, into instance/backups.
    app.config["BACKUP_KEEP"] = 2
    for _ in range(3):
        assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0
    assert len(list_backups(Path(app.instance_path) / "backups")) == 2


def test_backups_page_is_closed_to_everyone_but_admin(app, login_as):
    directory = Path(app.instance_path) / "backups"
    directory.mkdir(parents=True)
    name = "archive-20250101-020000-000000.sqlite"
    (directory / name).write_bytes(b"copy")
    for role in [r for r in ROLES if r != "admin"]:
        panel = login_as(role)
        assert panel.get("/backups/").status_code == 403, role
        assert panel.post("/backups/").status_code == 403, role
        assert panel.get(f"/backups/{name}").status_code == 403, role
        assert "Резервные копии" not in panel.get("/admin/").get_data(as_text=True), role
    assert [info.name for info in list_backups(directory)] == [name]


def test_admin_makes_a_copy_and_downloads_it(app, backend, login_as):
    _need_tools(backend)
    panel = login_as("admin")
    assert "Резервные копии" in panel.get("/admin/").get_data(as_text=True)
    page = panel.get("/backups/").get_data(as_text=True)
    assert "Резервных копий пока нет" in page and "Создать копию сейчас" in page

    assert panel.post("/backups/", csrf=False).status_code == 400  # no CSRF token, no copy
    assert not list_backups(Path(app.instance_path) / "backups")

    response = panel.post("/backups/")
    assert response.status_code == 302
    page = panel.get("/backups/").get_data(as_text=True)
    [info] = list_backups(Path(app.instance_path) / "backups")
    assert info.name in page and info.checksum in page
    # The name carries the server's clock; the page shows the school's (TIMEZONE), labelled so.
    from zoneinfo import ZoneInfo

    school_time = info.taken_at.astimezone().astimezone(ZoneInfo(app.config["TIMEZONE"]))
    assert school_time.strftime("%d.%m.%Y %H:%M:%S") in page and "(время школы)" in page

    download = panel.get(f"/backups/{info.name}")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert hashlib.sha256(download.data).hexdigest() == info.checksum


def test_download_refuses_anything_outside_the_listing(app, login_as, tmp_path):
    panel = login_as("admin")
    directory = Path(app.instance_path) / "backups"
    make_backup(_url(app), directory, keep=3)
    (directory / "notes.txt").write_text("секрет")
    (Path(app.instance_path) / "config.py").write_text("SECRET_KEY = 'секрет'")
    for url in ("/backups/notes.txt", "/backups/..%2Fconfig.py", "/backups/../config.py",
                "/backups/%2e%2e/config.py", "/backups/..%2F..%2Fapp.py", "/backups/%2Fetc%2Fpasswd",
                f"/backups/{list_backups(directory)[0].name}.sha256", "/backups/archive-20990101-000000.sqlite"):
        response = panel.get(url)
        assert response.status_code == 404, url
        assert "секрет" not in response.get_data(as_text=True), url

"""The administrator's page of backups: the list, «make a copy now» and downloads."""
from flask import abort, current_app, flash, g, redirect, send_file, url_for
from flask_admin import expose
from flask_login import current_user

from admin.access import requires
from admin.page import PanelPage
from models import db
from models.backup import BackupError, backup_directory, list_backups, make_backup


def _directory():
    return backup_directory(current_app)


def _size_text(size):
    if size < 1024 * 1024:
        return f"{max(size, 1) / 1024:.1f} КБ".replace(".", ",")
    return f"{size / 1048576:.1f} МБ".replace(".", ",")


class BackupsPage(PanelPage):
    target = "backups"

    @expose("/")
    def index(self):
        return self.render("pages/backups.html", backups=list_backups(_directory()), directory=_directory(),
                           keep=current_app.config["BACKUP_KEEP"], can_create=self.allowed("create"),
                           size_text=_size_text)

    @expose("/", methods=["POST"])
    @requires("backups", "create")
    def create(self):
        # Nothing to write here: end the transaction so SQLite's write lock (taken for a POST) is not held
        # for the whole copy, which would make every save in the school wait.
        db.session.rollback()
        try:
            path = make_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], _directory(),
                               current_app.config["BACKUP_KEEP"])
        except BackupError as exc:
            flash(f"Копия не создана: {exc}", "error")
        else:
            flash(f"Резервная копия {path.name} создана.", "success")
        return redirect(url_for(".index"))

    @expose("/<file_name>")  # not <name>: Flask-Admin passes the view's name as `name`
    def download(self, file_name):
        g.writes = True  # this GET writes the register entry
        # Only a name from the listing: nothing else in or outside the directory can be fetched.
        found = {info.name: info for info in list_backups(_directory())}
        info = found.get(file_name)
        if info is None:
            abort(404)
        # The whole database leaves the server: entered in the register of releases (003 §7.5.4).
        from models.disclosure import record_disclosure

        record_disclosure(db.session, user_id=current_user.id, document_kind="backup",
                          description=f"Резервная копия базы данных {info.name}",
                          recipient=f"{current_user.full_name} (пользователь панели)",
                          purpose="резервное копирование: файл скачан с сервера")
        db.session.commit()
        return send_file(info.path.resolve(), as_attachment=True, download_name=info.name)

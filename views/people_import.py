"""«Импорт обучающихся»: check a spreadsheet of students, guardians and personal files, then import it whole."""
from flask import flash, request, send_file
from flask_admin import expose

from models import db
from models.marks_import import ImportFileError
from models.people_import import COLUMNS, check_rows, import_rows, template_xlsx

from admin.page import PanelPage

MAX_ERRORS_SHOWN = 300


class PeopleImportPage(PanelPage):
    target = "people_import"

    @expose("/", methods=("GET", "POST"))
    def index(self):
        result, error = None, None
        if request.method == "POST":
            self.require("create")
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                error = "Выберите файл XLSX или CSV."
            else:
                try:
                    data = upload.read()
                    result = check_rows(db.session, data, upload.filename)
                    if result.ok and request.form.get("action") == "import":
                        import_rows(db.session, result)
                        db.session.commit()
                        flash(f"Импортировано: обучающихся {result.students}, представителей {result.guardians}, "
                              f"личных дел {result.files}.", "success")
                    elif result.ok:
                        db.session.rollback()
                except ImportFileError as exc:
                    db.session.rollback()
                    error = str(exc)
                except Exception:
                    db.session.rollback()
                    raise
        return self.render("pages/people_import.html", result=result, error=error, columns=COLUMNS,
                           imported=request.form.get("action") == "import" and result is not None and result.ok,
                           max_errors=MAX_ERRORS_SHOWN, can_import=self.allowed("create"))

    @expose("/template.xlsx")
    def template(self):
        import io

        return send_file(io.BytesIO(template_xlsx()), as_attachment=True,
                         download_name="шаблон_импорта_обучающихся.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

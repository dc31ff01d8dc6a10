"""Pages of marks: «Импорт отметок», «Анализ успеваемости» and the printed «Справка об успеваемости»."""
import hashlib
import io
import json
import os
import pickle
import re
import time
from datetime import date
from functools import wraps
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from admin.access import allowed
from admin.page import PanelPage
from models import db
from models.analysis import (CATEGORIES, CATEGORY_HEADINGS, UNDERACHIEVER_MAX_MARK, chart_bars, class_results,
                             school_summary,
                             subject_results)
from models.disclosure import DisclosureError
from models.marks import CODE_LABELS, IMPORT_LAYOUTS, MARK_KINDS, MarkImport, progress_context
from models.marks_import import (FLAT_HEADERS, MAX_ERRORS_SHOWN, ImportFileError, apply_import, collector_paused,
                                 flat_template_xlsx, prepare_import, store_upload)
from models.people import AcademicYear, School, SchoolClass, Student, Subject, Term, current_year
from models.roles import own_class_only

from admin.access import requires
from models.text import strip_control_characters

from .form_values import to_int
from .pdf import print_document, render_pdf

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(xlsx|xls|csv|bin)$")


def _imports_dir():
    return Path(current_app.instance_path) / "imports"


def _year_from(value):
    year_id = to_int(value, minimum=1)
    year = db.session.get(AcademicYear, year_id) if year_id else None
    return year or current_year(db.session) or db.session.scalar(
        select(AcademicYear).order_by(AcademicYear.starts_on.desc()))


# --- import ------------------------------------------------------------------------------------
# A checked file waits for its confirmation under instance/imports/ beside a small «<name>.pending.json» saying whose
# it is; the confirmation form carries the name. Nothing of it lives in the session: the page polls the progress
# while the confirmation runs, and every poll's answer re-sends the session cookie, so a poll finishing after the
# confirmation would bring back the old session (losing the result and resurrecting a finished file as pending).


def _limit_text():
    return f"{current_app.config['UPLOAD_MAX_BYTES'] / (1024 * 1024):g} МБ".replace(".", ",")


def _pending_path(stored):
    return _imports_dir() / f"{stored}.pending.json"


def _plan_path(stored):
    return _imports_dir() / f"{stored}.plan.pickle"


def _keep_plan(stored, plan):
    # The instance folder is the server's own (it holds config.py, which is executed), so a pickle written there is
    # as trusted as the code; it spares the confirmation reading and matching a 200,000-line file a second time.
    try:
        with open(_plan_path(stored), "wb") as out:
            pickle.dump(plan, out, protocol=pickle.HIGHEST_PROTOCOL)
    except (OSError, pickle.PicklingError, TypeError):
        _plan_path(stored).unlink(missing_ok=True)  # the confirmation then reads the file again


def _kept_plan(stored, data):
    """What the check decided, if kept for these very bytes; else None (read again)."""
    try:
        with open(_plan_path(stored), "rb") as source:
            sha, plan = pickle.load(source)
    except Exception:  # missing or unreadable: reading the file again is always correct
        return None
    return plan if sha == hashlib.sha256(data).hexdigest() else None


def _forget(stored):
    # «.parsed.pickle»: what an earlier version kept instead of the plan, should one wait from before an update.
    for path in (_pending_path(stored), _plan_path(stored), _imports_dir() / f"{stored}.parsed.pickle"):
        path.unlink(missing_ok=True)


def _large_work(view):
    """A check or an import of a file: it may hold a million objects at once (see collector_paused)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        with collector_paused():
            return view(*args, **kwargs)
    return wrapped


def _read_pending(stored):
    """The pending upload named by the form, if it is this user's; else None."""
    if not STORED_NAME.match(stored or ""):
        return None
    try:
        pending = json.loads(_pending_path(stored).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return pending if pending.get("user") == current_user.id else None


def _drop_pending(keep=None):
    """Forget this user's earlier unconfirmed uploads (but `keep`); a file some import already wrote is kept
    whatever happens."""
    directory = _imports_dir()
    if not directory.exists():
        return
    for marker in directory.glob("*.pending.json"):
        stored = marker.name[:-len(".pending.json")]
        if stored == keep or not STORED_NAME.match(stored) or _read_pending(stored) is None:
            continue
        if db.session.scalar(select(MarkImport.id).where(MarkImport.stored_name == stored)) is None:
            (directory / stored).unlink(missing_ok=True)
        _forget(stored)


PROGRESS_TEXTS = {
    "read": "чтение файла…",
    "parse": "прочитано строк {done} из {total}…",
    "check": "проверено отметок {done} из {total}…",
    "compare": "сравнение с уже загруженными отметками ({total})…",
    "write": "записано изменений {done} из {total}…",
    "commit": "сохранение в базе…",
}
PHASES = {"check": "Проверка файла", "import": "Импорт идёт"}
JOB = re.compile(r"^[0-9a-f]{32}$")


def _progress_path(stored):
    return _imports_dir() / f"{stored}.progress.json"


def _job_path(job):
    return _imports_dir() / f"check-{job}.progress.json"


class _ProgressFile:
    """Where a running check or import tells how far it got; the page polls it (the work itself stays in its
    request). The file names its user, so a poll reads only its own."""

    def __init__(self, path, phase="import"):
        self.path, self.phase, self.written = path, phase, 0.0

    def __call__(self, stage, done, total):
        now = time.monotonic()
        if now - self.written < 0.2 and stage not in ("commit", "read") and done != total:
            return  # a report every few thousand rows is plenty; the disk is not asked more often
        self.written = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        part = self.path.with_suffix(".tmp")
        part.write_text(json.dumps({"stage": stage, "done": done, "total": total, "phase": self.phase,
                                    "user": current_user.id}), encoding="utf-8")
        os.replace(part, self.path)  # the poll never reads half a file

    def remove(self):
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".tmp").unlink(missing_ok=True)


class MarksImportPage(PanelPage):
    """«Импорт отметок»: a file of the electronic journal checked, previewed and confirmed."""

    target = "marks_import"
    default_view = "import_form"

    def _import_classes(self):
        """Classes offered on the page: a class teacher's own, everyone else's every class; newest year first."""
        query = (select(SchoolClass).join(AcademicYear)
                 .order_by(AcademicYear.starts_on.desc(), SchoolClass.grade, SchoolClass.letter))
        own = self.own_class_ids()
        if own is not None:
            query = query.where(SchoolClass.id.in_(own or [0]))
        return list(db.session.scalars(query))

    def _import_page(self, **context):
        years = list(db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc())))
        recent = select(MarkImport).order_by(MarkImport.id.desc()).limit(20)
        if self.own_class_ids() is not None:
            recent = recent.where(MarkImport.user_id == current_user.id)
        context.setdefault("year", current_year(db.session))
        classes = self._import_classes()
        if "class_id" not in context and self.own_class_ids() is not None:
            year = context["year"]
            mine = [c for c in classes if year is None or c.academic_year_id == year.id] or classes
            context["class_id"] = mine[0].id if mine else None  # a class teacher's own class, preselected
        return self.render("pages/marks_import.html", years=years, layouts=IMPORT_LAYOUTS,
                           recent=db.session.scalars(recent), flat_headers=FLAT_HEADERS, codes=CODE_LABELS,
                           kinds=MARK_KINDS, classes=classes, can_create=self.allowed("create"),
                           max_errors=MAX_ERRORS_SHOWN, upload_limit=_limit_text(), **context)

    def _result(self, batch_id):
        """The message of a finished confirmation, read back from its batch (never from the session)."""
        if batch_id == "none":
            return ("info", "Изменений нет: всё из этого файла уже загружено. Ничего не изменено.")
        batch = db.session.get(MarkImport, to_int(batch_id, minimum=1) or 0)
        if batch is None or (batch.user_id != current_user.id and self.own_class_ids() is not None):
            return None
        return ("success", f"Файл «{batch.original_name}» загружен: добавлено отметок — {batch.added_count}, "
                           f"изменено — {batch.updated_count}, удалено — {batch.removed_count}.")

    @expose("/import")
    def import_form(self):
        result = self._result(request.args["done"]) if request.args.get("done") else None
        return self._import_page(result=result)

    @expose("/import/template.xlsx")
    def import_template(self):
        return send_file(io.BytesIO(flat_template_xlsx()), download_name="Шаблон импорта отметок.xlsx",
                         as_attachment=True, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    def _chosen_class(self, value):
        """The class chosen on the page, if the user may load it; (class, error)."""
        class_id = to_int(value, minimum=1)
        if not class_id:
            return None, None
        school_class = db.session.get(SchoolClass, class_id)
        own = self.own_class_ids()
        if school_class is None or (own is not None and school_class.id not in own):
            return None, "Выбранный класс не найден среди ваших классов."
        return school_class, None

    @expose("/import", methods=["POST"])
    @requires("marks_import", "create")
    @_large_work
    def import_preview(self):
        upload = request.files.get("file")
        year = _year_from(request.form.get("year"))
        layout = request.form.get("layout") or None
        layout = layout if layout in IMPORT_LAYOUTS else None
        school_class, problem = self._chosen_class(request.form.get("school_class"))
        chosen = dict(year=year, class_id=school_class.id if school_class else None, layout=layout)
        if problem:
            flash(problem, "error")
            return self._import_page(**chosen), 400
        again = request.form.get("token", "")
        pending = _read_pending(again) if upload is None or not upload.filename else None
        if pending is not None and (_imports_dir() / again).exists():
            # «Проверить снова» on the preview: the same stored file with another format, class or year.
            data, file_name = (_imports_dir() / again).read_bytes(), pending["name"]
        elif upload is None or not upload.filename:
            flash("Выберите файл выгрузки из электронного журнала (XLSX, XLS или CSV).", "error")
            return self._import_page(**chosen), 400
        else:
            again, data, file_name = None, upload.read(), upload.filename
        if len(data) > current_app.config["UPLOAD_MAX_BYTES"]:
            flash(f"Файл слишком большой: можно загрузить не больше {_limit_text()}. Разделите выгрузку по классам "
                  "или периодам.", "error")
            return self._import_page(**chosen), 400
        if year is None:
            flash("Сначала добавьте учебный год.", "error")
            return self._import_page(), 400
        job = request.form.get("job", "")
        progress = _ProgressFile(_job_path(job), "check") if JOB.match(job) else None
        try:
            preview = prepare_import(db.session, data, file_name, year,
                                     allowed_class_ids=self.own_class_ids(), layout=layout,
                                     school_class=school_class, progress=progress)
        except ImportFileError as exc:
            flash(f"Файл «{file_name}» не загружен: {exc}", "error")
            return self._import_page(**chosen), 400
        finally:
            db.session.rollback()  # the preview only reads
            if progress is not None:
                progress.remove()
        _drop_pending(keep=again)
        token = again or store_upload(_imports_dir(), data, file_name)
        ready = preview.ok and preview.changes
        # Kept even when the check found errors, so the preview can check it again with another format or class.
        _pending_path(token).write_text(json.dumps({
            "user": current_user.id, "name": file_name, "year": year.id, "layout": preview.layout, "ready": ready,
            "class": school_class.id if school_class else None}), encoding="utf-8")
        _plan_path(token).unlink(missing_ok=True)
        if ready:
            _keep_plan(token, (hashlib.sha256(data).hexdigest(), preview.plan))
        return self._import_page(preview=preview, file_name=file_name, token=token, ready=ready, **chosen), (
            200 if preview.ok else 422)

    @expose("/import/progress")
    @requires("marks_import", "create")
    def import_progress(self):
        """How far the check (`job`) or the confirmed import (`token`) of this user got, for the progress bar."""
        report = {"stage": "waiting", "done": 0, "total": 0, "phase": "import"}
        path = None
        job, stored = request.args.get("job", ""), request.args.get("token", "")
        if JOB.match(job):
            path = _job_path(job)
            report["phase"] = "check"
        elif _read_pending(stored) is not None:
            path = _progress_path(stored)
        if path is not None:
            try:
                found = json.loads(path.read_text(encoding="utf-8"))
                if found.get("user") == current_user.id:
                    report = found
            except (OSError, ValueError):
                pass
        text = PROGRESS_TEXTS.get(report.get("stage"), "")
        report["text"] = f"{PHASES.get(report.get('phase'), PHASES['import'])}: " + (
            text.format(done=f"{report.get('done', 0):,}".replace(",", " "),
                        total=f"{report.get('total', 0):,}".replace(",", " ")) or "…")
        report.pop("user", None)
        return jsonify(report)

    def _confirm_failed(self, message, status=409):
        # Rendered, not flashed: a progress poll answered later would put back a session without the message.
        flash(message, "error")
        return self._import_page(), status

    @expose("/import/confirm", methods=["POST"])
    @requires("marks_import", "create")
    @_large_work
    def import_confirm(self):
        stored = request.form.get("token", "")
        pending = _read_pending(stored)
        if pending is None or not pending.get("ready"):
            return self._confirm_failed("Нет файла, ожидающего подтверждения: загрузите его ещё раз.")
        path = _imports_dir() / stored
        if not path.exists():
            _forget(stored)
            return self._confirm_failed("Файл для подтверждения не найден: загрузите его ещё раз.")
        year = db.session.get(AcademicYear, pending["year"])
        school_class = db.session.get(SchoolClass, pending["class"]) if pending.get("class") else None
        progress = _ProgressFile(_progress_path(stored))
        data = path.read_bytes()
        try:
            batch = apply_import(db.session, data, original_name=pending["name"], stored_name=stored,
                                 year=year, user_id=current_user.id, allowed_class_ids=self.own_class_ids(),
                                 layout=pending["layout"], progress=progress, school_class=school_class,
                                 plan=_kept_plan(stored, data))
            progress("commit", 0, 0)
            db.session.commit()
        except ImportFileError as exc:
            db.session.rollback()
            progress.remove()
            _forget(stored)
            path.unlink(missing_ok=True)
            return self._confirm_failed(f"Отметки не загружены: {exc} Загрузите файл снова, чтобы увидеть ошибки.",
                                        422)
        except Exception:
            db.session.rollback()
            progress.remove()
            current_app.logger.exception("marks import failed")
            return self._confirm_failed("Отметки не загружены: ошибка при записи в базу (например, тот же файл "
                                        "загружает другой пользователь). Ничего не изменено; повторите позже.", 500)
        progress.remove()
        _forget(stored)
        if batch is None:
            path.unlink(missing_ok=True)
        return redirect(url_for(".import_form", done=batch.id if batch else "none"))


# --- analysis ------------------------------------------------------------------------------------

def _int_arg(name):
    return to_int(request.args.get(name), minimum=0)


def _default_term(terms):
    today = date.today()
    for term in terms:
        if term.starts_on <= today <= term.ends_on:
            return term
    started = [t for t in terms if t.starts_on <= today]
    return (started[-1] if started else terms[0]) if terms else None


def _analysis_context(page, pupils=True, subjects=True):
    """The page's filters and figures. `pupils=False`: several classes show only their summary (each class's
    pupils come with /analysis/class when it is opened); `subjects=False`: no subject table."""
    year = _year_from(request.args.get("year"))
    if year is None:
        abort(404)
    terms = list(db.session.scalars(select(Term).where(Term.academic_year_id == year.id)
                                    .order_by(Term.starts_on, Term.kind.desc())))
    term_id = _int_arg("term")
    term = next((t for t in terms if t.id == term_id), None) or _default_term(terms)
    classes = page.classes_of(year)
    own = own_class_only(current_user, page.target)
    class_id = _int_arg("class_id")
    if class_id is not None and class_id not in {c.id for c in classes}:
        # Another class (or another year's) for a class teacher is simply not theirs to see.
        if own:
            abort(403)
        abort(404)
    subject_id = _int_arg("subject")
    subjects = list(db.session.scalars(select(Subject).order_by(Subject.position, Subject.name)))
    class_ids = [class_id] if class_id else [c.id for c in classes]
    context = dict(year=year, years=list(db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc()))),
                   terms=terms, term=term, classes=classes, class_id=class_id, subjects=subjects,
                   subject_id=subject_id, results=[], subject_rows=[], previous=None, chart=None,
                   categories=CATEGORY_HEADINGS, summary=None, pupils=pupils,
                   underachiever_mark=current_app.config.get("ANALYSIS_UNDERACHIEVER_MARK", UNDERACHIEVER_MAX_MARK))
    if term is not None and class_ids:
        context["pupils"] = pupils = pupils or len(class_ids) == 1
        context["results"] = class_results(db.session, term, class_ids, subject_id, pupils=pupils,
                                           underachiever_mark=context["underachiever_mark"])
        context["summary"] = school_summary(context["results"])
        if subjects:
            scope = class_ids if (class_id or own) else None
            rows, previous = subject_results(db.session, term, scope, subject_id)
            context.update(subject_rows=rows, previous=previous, chart=chart_bars(rows) if rows else None)
    return context


class AnalysisPage(PanelPage):
    """«Анализ успеваемости»: a period's results by class, pupil and subject; the XLSX of them."""

    target = "analysis"
    default_view = "index"

    @expose("/analysis")
    def index(self):
        context = _analysis_context(self, pupils=False)
        return self.render("pages/marks_analysis.html", can_export=self.allowed("export"),
                           can_print=allowed("progress_report", "create"), **context)

    @expose("/analysis/class")
    def analysis_class(self):
        """One class's pupils by groups: the part of the page a folded class of the whole school loads when
        opened (the same filters and the same class-teacher scope as the page)."""
        if not _int_arg("class_id"):
            abort(404)
        context = _analysis_context(self, subjects=False)
        return render_template("pages/_analysis_pupils.html", can_print=allowed("progress_report", "create"),
                               r=(context["results"] or [None])[0], **context)

    @expose("/analysis.xlsx")
    @requires("analysis", "export")
    def export(self):
        return _analysis_xlsx(_analysis_context(self))



def _number(value):
    return None if value is None else float(value)


def _cells(values):
    """A spreadsheet row: text without the control characters an XLSX file cannot hold (a NUL in one stored name
    made the whole export fail)."""
    return [strip_control_characters(v) if isinstance(v, str) else v for v in values]


def _analysis_xlsx(context):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from models.export_cells import inert_workbook

    book = Workbook()
    categories = {**CATEGORIES, "": ""}
    sheet = book.active
    sheet.title = "Обучающиеся"
    sheet.append(["Класс", "ФИО", "Средний балл за период", "Отметок за период", "Низшая отметка",
                  "Средний балл текущих", "Текущих отметок", "Пропусков", "Группа"])
    for result in context["results"]:
        for s in result.students:
            sheet.append(_cells([result.name, s.name, _number(s.average), s.marks, s.lowest,
                                 _number(s.current_average), s.current_marks, s.absences, categories[s.category]]))
    classes = book.create_sheet("Классы")
    classes.append(["Класс", "Обучающихся", "С отметками", "Средний балл", "Качество, %", "Успеваемость, %",
                    "СОУ, %", *CATEGORY_HEADINGS.values()])
    for result in context["results"] + ([context["summary"]] if context["summary"] else []):
        classes.append(_cells([result.name, len(result.students), len(result.rated), result.average, result.quality,
                               result.success, result.sou, *(len(result.in_category(c)) for c in CATEGORY_HEADINGS)]))
    subjects = book.create_sheet("Предметы")
    subjects.append(["Предмет", "Средний балл", "Отметок", "Предыдущий период", "Изменение", "Средний балл текущих"])
    for row in context["subject_rows"]:
        subjects.append(_cells([row.name, row.average, row.marks, row.previous, row.change, row.current_average]))
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 12 if ws.title != "Предметы" else 28
        ws.column_dimensions["B"].width = 34 if ws.title == "Обучающиеся" else 14
    out = io.BytesIO()
    inert_workbook(book).save(out)
    term = context["term"]
    name = f"Анализ успеваемости {context['year'].name.replace('/', '-')}"
    if term is not None:
        name += f" {term.number} {'четв' if term.kind == 'quarter' else 'полуг'}"
    return send_file(io.BytesIO(out.getvalue()), as_attachment=True, download_name=f"{name}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- progress report ---------------------------------------------------------------------------

class ProgressReportPage(PanelPage):
    """«Справка об успеваемости» of one pupil, opened from the analysis or the pupil's records (not in the menu)."""

    target = "progress_report"
    default_view = "index"

    def is_visible(self):
        return False

    @expose("/progress/<int:student_id>", methods=["GET", "POST"])
    @requires("progress_report", "create")
    def index(self, student_id):
        student = db.session.get(Student, student_id)
        if student is None:
            abort(404)
        self.check_own_class(student.school_class)
        year = _year_from(request.values.get("year"))
        from models.pd_lifecycle import release_recipient, release_recipients

        years = list(db.session.scalars(select(AcademicYear).order_by(AcademicYear.starts_on.desc())))
        choices = release_recipients(student, date.today())
        if request.method == "GET":
            return self.render("pages/marks_progress.html", student=student, year=year, years=years, choices=choices,
                               form={})
        purpose = request.form.get("purpose", "")
        try:
            try:
                # A typed stranger is refused, not warned: only the registered representatives, the pupil, a proxy.
                recipient = release_recipient(student, date.today(), key=request.form.get("recipient", ""),
                                              proxy_name=request.form.get("proxy_name"),
                                              proxy_document=request.form.get("proxy_document"))
            except ValueError as exc:
                raise DisclosureError(str(exc))
            school = db.session.scalar(select(School).order_by(School.id))
            return print_document(
                lambda: render_pdf("pdf/progress_report.html", student=student, year=year, school=school,
                                   today=date.today(), purpose=purpose.strip(),
                                   **progress_context(db.session, student, year)),
                f"Справка об успеваемости {student.last_name} {student.first_name}.pdf",
                disclosures=[dict(document_kind="progress_report", student_id=student.id, recipient=recipient,
                                  purpose=purpose, description=f"Справка об успеваемости за {year} учебный год")])
        except DisclosureError as exc:
            flash(str(exc), "error")
            return self.render("pages/marks_progress.html", student=student, year=year, purpose=purpose,
                               years=years, choices=choices, form=request.form), 400

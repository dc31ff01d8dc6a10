"""The public page that checks a printed document by its code: kind, number, date, school, valid or annulled.

No log-in and no personal data; the look-ups are rate-limited per address, counted in the database so that every
server process (gunicorn -w 4) shares one count, and codes cannot be guessed in bulk."""
import time

from flask import abort, current_app, render_template, request
from flask_admin import expose
from sqlalchemy import select

from admin.page import PublicPage
from models import db
from models.people import School
from models.verification import count_hit, find_document, normalize_code, parse_limits


def rate_limit():
    """Refuse with 429 once the address used up any of VERIFY_RATE_LIMIT («30 per minute;300 per day»)."""
    limits = parse_limits(current_app.config["VERIFY_RATE_LIMIT"])
    if not limits:
        return None
    # Counted in the request's own session and committed at once (the page only reads): a second connection
    # would wait for SQLite's write lock that loading a logged-in user already took.
    allowed = count_hit(db.session.connection(), address=request.remote_addr or "?", limits=limits, now=time.time())
    db.session.commit()
    if not allowed:
        abort(429)
    return None


class VerifyPage(PublicPage):
    def _handle_view(self, name, **kwargs):
        return rate_limit() or super()._handle_view(name, **kwargs)

    @expose("/", methods=["GET"])
    @expose("/<code>", methods=["GET", "POST"])
    def check(self, code=None):
        """GET: the document's register entry. POST with the PDF file: is it the very file issued, and its
        signature."""
        typed = code if code is not None else request.args.get("code")
        if typed is None:
            return render_template("pages/verify.html", typed=None)
        if normalize_code(typed) is None:
            return render_template("pages/verify.html", typed=typed, error=(
                "Код записан неверно: он состоит из 10 латинских букв и цифр, например 7KQ2M-XR4TZ.")), 400
        document = find_document(db.session, typed)
        school = db.session.scalar(select(School).order_by(School.id))
        if document is None:
            return render_template("pages/verify.html", typed=typed, error=(
                "Документ с таким кодом школой не выдавался. Проверьте код: он напечатан под QR-кодом.")), 404
        file_check = _check_file(document) if request.method == "POST" else None
        return render_template("pages/verify.html", typed=typed, document=document, school=school,
                               file_check=file_check), 400 if file_check and file_check.get("error") else 200


def _check_file(document):
    """Compare an uploaded PDF with the issued one by SHA-256 and report its electronic signature."""
    import hashlib

    from .signing import check_signature

    upload = request.files.get("file")
    data = upload.read() if upload else b""
    if not data:
        return {"error": "Выберите файл PDF, полученный от школы."}
    if not data.startswith(b"%PDF"):
        return {"error": "Это не файл PDF."}
    same = hashlib.sha256(data).hexdigest() == document.sha256
    return {"same": same, "signature": check_signature(data) if same else None}


def too_many(error):
    return render_template("pages/verify.html", typed=None, error=(
        "Слишком много проверок с этого адреса. Повторите через минуту.")), 429


def signing_failed(error):
    return render_template("pages/verify.html", typed=None, error=str(error)), 503


def init_verification(app, admin):
    """The page and its limit (counted in the app's database: apps sharing a database share the count)."""
    app.config.setdefault("VERIFY_RATE_LIMIT", "30 per minute;300 per day")
    parse_limits(app.config["VERIFY_RATE_LIMIT"])  # a setting written wrong stops the start, not a visitor
    page = VerifyPage(name="Проверка документа", endpoint="verify", url="/check")
    admin.add_view(page)
    app.register_error_handler(429, too_many)
    from .signing import SigningError

    # A configured certificate that cannot be used stops every print with this message, not a server error.
    app.register_error_handler(SigningError, signing_failed)

"""The one PDF renderer: print templates in templates/pdf/, DejaVu fonts embedded so Cyrillic is real text; and
print_document, the one way a route hands a print out (render, record the disclosure, commit, send).

Every print made here is registered (models/verification.py) and carries its short code and a QR code leading to
the public verification page; the PDF's SHA-256 is kept with the register entry."""
import io
import re
from datetime import date
from pathlib import Path

from blinker import Namespace
from flask import current_app, render_template, url_for
from models.errors import DomainError

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
# Fonts only, nothing remote: a print template must not fetch anything else.
_POLICY = []


def _policy():
    # xhtml2pdf (with reportlab, pypdf, lxml, svglib, PIL) is loaded by the first print, not at start-up: some
    # 40 MB that a process serving lists and forms never needs (issue 22, item 6).
    if not _POLICY:
        from xhtml2pdf.config.resources import ResourceAccessPolicy

        _POLICY.append(ResourceAccessPolicy(allow_remote=False, base_dir=FONT_DIR))
    return _POLICY[0]


class PdfError(DomainError):
    """A print that could not be made; the message is Russian."""


def render_pdf(template_name, *, document=None, **context):
    """Render templates/pdf/<template_name> to PDF bytes (A4, Cyrillic fonts from static/fonts).

    `document` may name the print for the verification page: {"kind", "title", "number"}, without personal data;
    by default the kind is the template's name. The register entry is added to the caller's transaction."""
    record = issue_document(template_name, document)
    html = render_template(template_name, font_dir=FONT_DIR.as_posix(), verification=verification_block(record),
                           **context)
    out = io.BytesIO()
    from xhtml2pdf import pisa

    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", path=str(FONT_DIR / "index.html"),
                            resource_policy=_policy())
    if result.err:
        raise PdfError(f"Не удалось сформировать PDF ({result.err} ошибок в шаблоне {template_name}).")
    return seal_document(record, out.getvalue())


def issue_document(template_name, document=None):
    from flask_login import current_user

    from models import db
    from models.verification import register_document

    document = document or {}
    user_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
    return register_document(db.session, document_kind=document.get("kind") or Path(template_name).stem,
                             issued_on=date.today(), user_id=user_id, title=document.get("title"),
                             number=document.get("number"))


def verification_url(code):
    """The verification page's address as printed: VERIFY_BASE_URL when the panel is reached from outside under
    another name than the one this request used."""
    base = (current_app.config.get("VERIFY_BASE_URL") or "").rstrip("/")
    path = url_for("verify.check", code=code)
    return base + path if base else url_for("verify.check", code=code, _external=True)


def verification_block(record):
    """What a print shows: the grouped code, the address and the QR code (a PNG data URI for templates, PNG bytes
    for drawn prints)."""
    import base64

    import segno

    url = verification_url(record.grouped_code)
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=4, border=2)
    return {"code": record.grouped_code, "url": url, "qr_png": png.getvalue(),
            "qr": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")}


def print_drawn(draw, *, document, **context):
    """A print drawn in code (views/class_print_pdf.py): registered, coded and hashed exactly as render_pdf does.

    `draw(verification=..., **context)` returns the PDF bytes."""
    record = issue_document(document["kind"], document)
    return seal_document(record, draw(verification=verification_block(record), **context))


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page\b")


def page_count(data):
    """The PDF's page count. The panel's prints (reportlab, xhtml2pdf) write each page as a plain object: counted
    here without pypdf, which would hold some 15 MB in every serving process (issue 22). Object streams hide
    pages: then the count the page tree declares (/Count), read from its root, not by loading every page."""
    if b"/ObjStm" not in data:
        found = len(_PAGE_OBJECT.findall(data))
        if found:
            return found
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    try:
        return int(reader.trailer["/Root"]["/Pages"]["/Count"])
    except (KeyError, TypeError, ValueError):
        return len(reader.pages)


def seal_document(record, data):
    """Sign the PDF when the school has a certificate; keep its page count and SHA-256 with its register entry."""
    from models.verification import finish_document

    from .signing import sign_pdf

    pages = page_count(data)
    data, signed = sign_pdf(data)
    finish_document(record, data, pages=pages, signed=signed)
    return data


def pdf_response(data, filename):
    """Inline PDF with the Russian file name kept (RFC 5987), an ASCII fallback for old browsers."""
    from urllib.parse import quote

    from flask import Response

    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}")
    return response


def print_document(render, filename, *, disclosures=()):
    """The one way a route hands out a print: render → record the disclosure → commit → send, in that order.

    `render()` makes the PDF (render_pdf, print_drawn or a drawn book, its context bound); the print's register
    entry, if any, is added to the transaction by it. `disclosures` are the personal-data releases the document
    makes (record_disclosure's fields without the session and the user); none for a print without personal data.
    A failed render or a refused disclosure rolls everything back, nothing is registered, and the error goes on to
    the route (DisclosureError: a Russian message to show). `filename` may be a function of the PDF's bytes."""
    from flask_login import current_user

    from models import db
    from models.disclosure import record_disclosure

    try:
        data = render()
        for entry in disclosures:
            record_disclosure(db.session, user_id=current_user.id, flush=False, **entry)
        db.session.flush()
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()  # the register entries are kept only if the document was really made
    document_printed.send(current_app._get_current_object(), data=data)
    return pdf_response(data, filename(data) if callable(filename) else filename)


# Sent for every print handed out (tests/test_print_document.py checks that no print route goes around it).
document_printed = Namespace().signal("document-printed")

"""The one PDF renderer: print templates in templates/pdf/, DejaVu fonts embedded so Cyrillic is real text."""
import io
from pathlib import Path

from flask import render_template
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy
from models.errors import DomainError

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
# Fonts only, nothing remote: a print template must not fetch anything else.
POLICY = ResourceAccessPolicy(allow_remote=False, base_dir=FONT_DIR)


class PdfError(DomainError):
    """A print that could not be made; the message is Russian."""


def render_pdf(template_name, **context):
    """Render templates/pdf/<template_name> to PDF bytes (A4, Cyrillic fonts from static/fonts)."""
    html = render_template(template_name, font_dir=FONT_DIR.as_posix(), **context)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", path=str(FONT_DIR / "index.html"),
                            resource_policy=POLICY)
    if result.err:
        raise PdfError(f"Не удалось сформировать PDF ({result.err} ошибок в шаблоне {template_name}).")
    return out.getvalue()


def pdf_response(data, filename):
    """Inline PDF with the Russian file name kept (RFC 5987), an ASCII fallback for old browsers."""
    from urllib.parse import quote

    from flask import Response

    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}")
    return response

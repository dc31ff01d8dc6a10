"""The certificate book's pages, drawn with reportlab (the engine under xhtml2pdf) instead of an HTML template.

A class's pages are a 9-column table of 25-30 rows: xhtml2pdf spends about 0.3 s laying such a table out
(parsing, cascading and wrapping every cell as a paragraph), reportlab's own Table draws it in about a
third of that, so the book is printed as often as the officer needs without waiting. Every other print
document stays an xhtml2pdf template.
"""
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from views.pdf import FONT_DIR

REGULAR, BOLD = "PanelDejaVu", "PanelDejaVu-Bold"

HEADERS = (
    ("Рег. №", 0.05),
    ("Фамилия, имя, отчество выпускника", 0.13),
    ("Дата рождения", 0.07),
    ("Номер бланка аттестата (дубликата) / номер бланка приложения", 0.11),
    ("Учебные предметы и итоговые отметки", 0.24),
    ("Дата и номер приказа о выдаче", 0.09),
    ("Дата выдачи", 0.07),
    ("Подпись уполномоченного лица, выдавшего аттестат", 0.10),
    ("Подпись получателя либо дата и номер почтового отправления", 0.14),
)

_fonts_registered = False


def _register_fonts():
    # Parsing a TrueType file takes tens of milliseconds: once per process, not once per print.
    global _fonts_registered
    if not _fonts_registered:
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        _fonts_registered = True


STYLES = {
    "school": ParagraphStyle("school", fontName=REGULAR, fontSize=9, leading=11, alignment=TA_CENTER),
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=13, leading=16, alignment=TA_CENTER, spaceAfter=6),
    "head": ParagraphStyle("head", fontName=BOLD, fontSize=6.5, leading=8, alignment=TA_CENTER),
    "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=7.5, leading=9),
    "marks": ParagraphStyle("marks", fontName=REGULAR, fontSize=7, leading=8.5),
    "sign": ParagraphStyle("sign", fontName=REGULAR, fontSize=8.5, leading=13),
}


def _date(value):
    return value.strftime("%d.%m.%Y") if value else ""


def _notes(entry):
    notes = []
    if entry.entry_kind == "duplicate" and entry.duplicate_of is not None:
        notes.append(f"дубликат аттестата, рег. № {entry.duplicate_of.reg_number}")
    if entry.entry_kind == "duplicate_appendix" and entry.duplicate_of is not None:
        notes.append(f"дубликат приложения к аттестату, рег. № {entry.duplicate_of.reg_number}")
    if entry.duplicate_issued:
        notes.append("выдан дубликат")
    if entry.honours:
        notes.append("с отличием")
    if entry.annulled:
        notes.append(f"АННУЛИРОВАНА: {entry.annul_reason}")
    return notes


def _para(lines, style="cell"):
    """A wrapped cell of several lines; notes (tuples) in small italics like the paper book's remarks."""
    parts = []
    for line in lines:
        if isinstance(line, tuple):
            parts.append(f'<font size="7"><i>{escape(line[0])}</i></font>')
        elif line:
            parts.append(escape(str(line)))
    return Paragraph("<br/>".join(parts), STYLES[style])


def _recipient(entry):
    if entry.recipient_kind == "post":
        text = f"почтовое отправление № {entry.postal_number or ''}"
        if entry.postal_date:
            text += f" от {_date(entry.postal_date)}"
        return _para([text])
    if entry.recipient_kind != "graduate":
        return _para([(entry.recipient_text or "",)])
    return ""


def _row(entry):
    # No-break spaces keep «Алгебра — 5» on one line.
    marks = "; ".join(f"{m.subject_name}\u00a0—\u00a0{m.value}" for m in entry.marks)
    return [
        str(entry.reg_number),
        _para([entry.full_name] + [(note,) for note in _notes(entry)]),
        _date(entry.birth_date),
        _para([entry.blank_text, entry.appendix_text]),
        _para([marks], "marks"),
        _para([_date(entry.order_date), f"№ {entry.order_number or ''}"]),
        _date(entry.issued_on),
        "",
        _recipient(entry),
    ]


def _groups(entries):
    """Consecutive runs of one class's entries: each run is closed by its own certification block."""
    groups = []
    for entry in entries:
        if groups and groups[-1][0].school_class_id == entry.school_class_id:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def _certification(group, school):
    """The block under a class's entries (приказ № 546, as the acts cite it): class teacher, director, seal."""
    klass = group[0].school_class
    teacher = klass.class_teacher.full_name if klass is not None and klass.class_teacher is not None else ""
    director = (school.director_name or "") if school is not None else ""
    numbers = f"№ {group[0].reg_number}–{group[-1].reg_number}" if len(group) > 1 else f"№ {group[0].reg_number}"
    what = f"класс {klass.name}" if klass is not None else "без класса"
    lines = [f"Записи {numbers} ({escape(what)}, всего {len(group)}) внесены верно.",
             f"Классный руководитель ____________________ {escape(teacher)}",
             f"Директор ____________________ {escape(director)}",
             "М.П."]
    return KeepTogether([Spacer(1, 6), Paragraph("<br/>".join(lines), STYLES["sign"])])


def _verification(verification):
    """The QR code and the short code that lead to the public verification page (views/pdf.py)."""
    from reportlab.platypus import Image

    qr = Image(io.BytesIO(verification["qr_png"]), width=2.4 * cm, height=2.4 * cm)
    text = Paragraph(f"Код проверки документа: {escape(verification['code'])}<br/>Подлинность и действительность "
                     f"документа проверяются по QR-коду или на странице {escape(verification['url'])}",
                     STYLES["cell"])
    table = Table([[qr, text]], colWidths=[2.8 * cm, None], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 10)]))
    return table


def _table(doc, entries):
    header = [Paragraph(escape(text), STYLES["head"]) for text, _ in HEADERS]
    table = Table([header] + [_row(e) for e in entries], colWidths=[doc.width * share for _, share in HEADERS],
                  repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("FONT", (0, 1), (-1, -1), REGULAR, 7.5),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (2, 1), (2, -1), "CENTER"),
        ("ALIGN", (6, 1), (6, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def render_certificate_book(*, school, book, entries, levels, first_page=1, pages=None, verification=None):
    """PDF bytes of the book's pages for `entries`: landscape A4, header row repeated on every page.

    Each class starts a new page under the book's heading and ends with its certification block, so a class
    printed alone has exactly its pages in the whole book; `first_page` continues the book's numbering (see
    book_page_offset). When `pages` is a list, the number of pages drawn is appended to it."""
    _register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=2 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.8 * cm,
                            title=f"Книга регистрации выданных документов об образовании № {book.number}")
    footer = (school.document_footer or "") if school is not None else ""
    drawn = [0]
    if verification:
        footer = " — ".join(p for p in (footer, f"код проверки {verification['code']}") if p)

    def draw_footer(canvas, document):
        # The page's number in the whole book, not in this print: the book is laced and numbered once.
        drawn[0] = document.page
        number = first_page + document.page - 1
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawString(2 * cm, 0.9 * cm, f"{footer} — стр. {number}" if footer else f"стр. {number}")
        canvas.restoreState()

    level = levels.get(book.level, "")
    story = []
    for index, group in enumerate(_groups(entries)):
        if index:
            story.append(PageBreak())
        story += [
            Paragraph(escape(school.full_name if school is not None else ""), STYLES["school"]),
            Paragraph(f"Книга регистрации выданных документов об образовании № {escape(str(book.number))}"
                      + (f"<br/>({escape(level)})" if level else ""), STYLES["title"]),
            _table(doc, group), _certification(group, school)]
    if verification:
        story.append(_verification(verification))
    doc.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer)
    if pages is not None:
        pages.append(drawn[0])
    return out.getvalue()


# Pages taken by each class's run of entries, by the entries' ids and versions: a run already laid out is not
# laid out again to number the pages of the classes after it. Any change to an entry changes the key.
_GROUP_PAGES = {}


def book_page_offset(*, school, book, earlier_entries, levels):
    """The page on which a print starting after `earlier_entries` begins in the whole book."""
    total = 0
    for group in _groups(earlier_entries):
        key = (book.id, book.number, tuple((e.id, e.version, len(e.marks)) for e in group))
        if key not in _GROUP_PAGES:
            pages = []
            render_certificate_book(school=school, book=book, entries=group, levels=levels, pages=pages)
            if len(_GROUP_PAGES) > 5000:
                _GROUP_PAGES.clear()
            _GROUP_PAGES[key] = pages[0]
        total += _GROUP_PAGES[key]
    return total + 1

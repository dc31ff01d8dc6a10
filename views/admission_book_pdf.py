"""The alphabetical book's pages and the nomenclature of files, drawn with reportlab like the certificate book:
a letter of a large school is hundreds of lines, which xhtml2pdf lays out several times slower."""
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from views.certificate_book_pdf import REGULAR, STYLES, _date, _para, _register_fonts

BOOK_HEADERS = (
    ("№ (буква-строка)", 0.06),
    ("Фамилия, имя, отчество", 0.13),
    ("Дата рождения", 0.065),
    ("Дата и № приказа о зачислении", 0.09),
    ("В какой класс принят", 0.05),
    ("Откуда прибыл", 0.12),
    ("Дата и № приказа о выбытии", 0.09),
    ("Причина выбытия, куда выбыл", 0.15),
    ("№ личного дела", 0.06),
    ("Отметки об исправлениях", 0.175),
)

NOMENCLATURE_HEADERS = (
    ("Индекс дела", 0.10),
    ("Заголовок дела (тома, части)", 0.42),
    ("Кол-во дел (томов, частей)", 0.10),
    ("Срок хранения дела (тома, части) и № статей по перечню", 0.22),
    ("Примечание", 0.16),
)


FONT_SIZE = 7.5


def _order(order, day=None):
    if order is None:
        return _date(day)
    return f"{_date(order.issued_on)}\n№ {order.number}"


def _lines(text, width):
    """Plain text wrapped to the column: a 300-line letter drawn from strings, not paragraphs, takes a third
    of the time (reportlab lays a Paragraph out twice, to measure and to draw)."""
    return "\n".join(simpleSplit(text or "", REGULAR, FONT_SIZE, width - 6)) if text else ""


def _book_row(entry, widths):
    notes = ([f"АННУЛИРОВАНА: {entry.annul_reason}"] if entry.annulled else []) + (
        [f"исправлено: {entry.correction_reason}"] if entry.correction_reason else [])
    return [
        entry.number,
        _lines(entry.full_name, widths[1]),
        _date(entry.birth_date),
        _order(entry.admission_order, entry.admitted_on),
        entry.admitted_class or (str(entry.admitted_grade) if entry.admitted_grade else ""),
        _lines(entry.came_from, widths[5]),
        _order(entry.leaving_order, entry.left_on),
        _lines("; ".join(p for p in ((_date(entry.left_on) if entry.leaving_order is not None else ""),
                                     entry.leaving_text) if p), widths[7]),
        entry.personal_file_number or "",
        _lines("; ".join(notes), widths[9]),
    ]


def _table(headers, rows, width):
    header = [Paragraph(escape(text), STYLES["head"]) for text, _ in headers]
    # LongTable: splitting hundreds of rows over pages without re-measuring the rest of the table each time.
    table = LongTable([header] + rows, colWidths=[width * share for _, share in headers], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("FONT", (0, 1), (-1, -1), REGULAR, FONT_SIZE),
        ("LEADING", (0, 1), (-1, -1), FONT_SIZE + 1.5),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _document(title, story_head, table, school, pagesize):
    _register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=pagesize, leftMargin=2 * cm, rightMargin=1.5 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.8 * cm, title=title)
    footer = (school.document_footer or "") if school is not None else ""

    def draw_footer(canvas, document):
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawString(2 * cm, 0.9 * cm, f"{footer} — стр. {document.page}" if footer else f"стр. {document.page}")
        canvas.restoreState()

    doc.build(story_head(doc) + [table(doc)], onFirstPage=draw_footer, onLaterPages=draw_footer)
    return out.getvalue()


def render_admission_book(*, school, entries, subtitle):
    """The book's lines (a letter or a year's admissions), landscape A4, header repeated on every page."""
    def head(doc):
        return [Paragraph(escape(school.full_name if school is not None else ""), STYLES["school"]),
                Paragraph(f"Алфавитная книга записи обучающихся<br/>{escape(subtitle)}", STYLES["title"])]

    def table(doc):
        widths = [doc.width * share for _, share in BOOK_HEADERS]
        return _table(BOOK_HEADERS, [_book_row(e, widths) for e in entries], doc.width)

    return _document(f"Алфавитная книга записи обучающихся: {subtitle}", head, table, school, landscape(A4))


def render_nomenclature(*, school, year, items):
    """The nomenclature of files for approval: the approval block, the title and the five usual columns."""
    def head(doc):
        director = (school.director_name or "") if school is not None else ""
        return [
            Paragraph(escape(school.full_name if school is not None else ""), STYLES["school"]),
            Spacer(1, 6),
            Paragraph(f"УТВЕРЖДАЮ<br/>Директор ______________ {escape(director)}<br/>«___» ____________ 20___ г.",
                      STYLES["cell"]),
            Spacer(1, 6),
            Paragraph(f"НОМЕНКЛАТУРА ДЕЛ<br/>на {escape(str(year))} учебный год", STYLES["title"]),
        ]

    def row(item):
        return [item.index, _para([item.title]), str(item.volumes or ""), _para([item.retention_text]),
                _para([item.note or ""])]

    def tail_table(doc):
        return _table(NOMENCLATURE_HEADERS, [row(i) for i in items], doc.width)

    return _document(f"Номенклатура дел на {year} учебный год", head, tail_table, school, A4)

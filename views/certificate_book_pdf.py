"""The certificate book's pages, drawn on a reportlab canvas with a layout of its own.

The book is one 9-column table: laying it out with reportlab's Table of Paragraphs costs about 3 ms per entry
(every cell wrapped twice, every row measured), so a 200-entry book took 0.6 s. Here the column layout is
fixed and measured once, cells are plain lines wrapped by word widths kept in a cache, and the pages are cut by
arithmetic: the same arithmetic tells on which page of the whole book each entry stands (see book_print_runs).

Page numbers: the book is laced and numbered once, so a page's number is its place in the whole book. The book
is a sequence of runs (consecutive entries of one class); each run starts on a new page under the book's
heading and ends with its certification block. A run's page count depends only on its own entries, so a run's
first page is 1 + the pages of all runs before it, whatever is printed: a class whose entries are interleaved
with another class's prints each of its runs with that run's page numbers in the book.
"""
import io
from array import array
from bisect import bisect_left
from collections.abc import Mapping
import weakref

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

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


class _CharGlyphs(Mapping):
    """A face's character → glyph map (read to split a text into the font's subsets and to embed them), as two
    sorted arrays instead of a dict of some 6,000 Python ints."""

    def __init__(self, mapping):
        codes = sorted(mapping)
        self._codes = array("L", codes)
        self._glyphs = array("L", (mapping[code] for code in codes))

    def _index(self, code):
        i = bisect_left(self._codes, code)
        return i if i < len(self._codes) and self._codes[i] == code else -1

    def __getitem__(self, code):
        i = self._index(code) if isinstance(code, int) else -1
        if i < 0:
            raise KeyError(code)
        return self._glyphs[i]

    def __contains__(self, code):
        return isinstance(code, int) and self._index(code) >= 0

    def __iter__(self):
        return iter(self._codes)

    def __len__(self):
        return len(self._codes)


class _Metrics:
    """A face's (advance width, left side bearing) per glyph, as reportlab's list of pairs reads them, packed
    (as floats: reportlab stores some widths scaled; its subset writer rounds them with int())."""

    def __init__(self, pairs):
        self._values = array("d", (value for pair in pairs for value in pair))

    def __len__(self):
        return len(self._values) // 2

    def __getitem__(self, glyph):
        if glyph < 0:
            glyph += len(self)
        return self._values[2 * glyph], self._values[2 * glyph + 1]


class _Font(TTFont):
    """DejaVu with two answers remembered: a string's width (the same per size, whatever the document) and its
    encoding into the document's font subsets (the same within one document). A book repeats its dates, order
    numbers and mark lines on every page; each was measured and encoded character by character every time."""

    def __init__(self, *args, **kwargs):
        # No text shaping (it needs uharfbuzz, which the panel does not install): the glyph-to-characters map is
        # read only by shaping, so it is dropped below.
        kwargs["shapable"] = False
        super().__init__(*args, **kwargs)
        self._widths = {}
        self._encoded = weakref.WeakKeyDictionary()
        # A parsed DejaVu face held 4 MB for as long as the process serves (issue 22: ≤ 120 MB): the per-glyph
        # tables that only the embedding of a subset reads are kept as packed arrays instead of Python objects.
        face = self.face
        face.glyphToChar = {}
        face.glyphPos = array("L", face.glyphPos)
        face.hmetrics = _Metrics(face.hmetrics)
        face.charToGlyph = _CharGlyphs(face.charToGlyph)

    def stringWidth(self, text, size, encoding="utf8"):
        key = (text, size)
        found = self._widths.get(key)
        if found is None:
            if len(self._widths) > 50000:
                self._widths.clear()
            found = self._widths[key] = super().stringWidth(text, size, encoding)
        return found

    def splitString(self, text, doc, encoding="utf-8"):
        known = self._encoded.get(doc)
        if known is None:
            known = self._encoded[doc] = {}
        found = known.get(text)
        if found is None:
            found = known[text] = super().splitString(text, doc, encoding)
        return found


def _register_fonts():
    # Parsing a TrueType file takes tens of milliseconds: once per process, not once per print.
    global _fonts_registered
    if not _fonts_registered:
        pdfmetrics.registerFont(_Font(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(_Font(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
        _fonts_registered = True


# Paragraph styles of the other books drawn with reportlab's platypus (views/admission_book_pdf.py).
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


def _para(lines, style="cell"):
    """A wrapped Paragraph of several lines (for platypus tables); notes (tuples) in small type."""
    from xml.sax.saxutils import escape

    parts = []
    for line in lines:
        if isinstance(line, tuple):
            parts.append(f'<font size="7"><i>{escape(line[0])}</i></font>')
        elif line:
            parts.append(escape(str(line)))
    return Paragraph("<br/>".join(parts), STYLES[style])


# --- the fixed layout ---------------------------------------------------------------------------------------
PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
LEFT, RIGHT, TOP, BOTTOM = 2 * cm, 1.5 * cm, 1.5 * cm, 1.8 * cm
WIDTH = PAGE_WIDTH - LEFT - RIGHT
# The frame's own padding, as reportlab's page frame had it.
FRAME_TOP, FRAME_BOTTOM = PAGE_HEIGHT - TOP - 6, BOTTOM + 6
COLUMNS = [WIDTH * share for _, share in HEADERS]
EDGES = [LEFT + sum(COLUMNS[:i]) for i in range(len(COLUMNS) + 1)]
PAD_X, PAD_TOP, PAD_BOTTOM = 3, 2, 3
CELL = (REGULAR, 7.5, 9.0)
NOTE = (REGULAR, 7.0, 9.0)
MARKS = (REGULAR, 7.0, 8.5)
HEAD = (BOLD, 6.5, 8.0)
SCHOOL = (REGULAR, 9.0, 11.0)
TITLE = (BOLD, 13.0, 16.0)
SIGN = (REGULAR, 8.5, 13.0)
# Columns whose text is centred: the registration number, the birth date and the issue date.
CENTRED = {0, 2, 6}

_widths = {}


def _width(word, font, size):
    key = (word, font, size)
    found = _widths.get(key)
    if found is None:
        if len(_widths) > 50000:
            _widths.clear()
        found = _widths[key] = pdfmetrics.stringWidth(word, font, size)
    return found


def wrap(text, font, size, width):
    """Lines of `text` no wider than `width`, broken at ordinary spaces only (a no-break space keeps
    «Алгебра — 5» together); a word longer than the line is cut by letters."""
    lines = []
    for paragraph in str(text).split("\n"):
        space = _width(" ", font, size)
        line, used = [], 0.0
        for word in paragraph.split(" "):
            if not word:
                continue
            w = _width(word, font, size)
            if line and used + space + w <= width:
                line.append(word)
                used += space + w
                continue
            if line:
                lines.append(" ".join(line))
            while w > width and len(word) > 1:  # an unbreakable word wider than the column
                cut = len(word) - 1
                while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                w = _width(word, font, size)
            line, used = [word], w
        if line:
            lines.append(" ".join(line))
    return lines


class Cell:
    """A cell's lines, each with its font: [(text, (font, size, leading))]."""
    __slots__ = ("lines", "height")

    def __init__(self, parts, column):
        inner = COLUMNS[column] - 2 * PAD_X
        self.lines = []
        for text, style in parts:
            if text:
                self.lines += [(line, style) for line in wrap(text, style[0], style[1], inner)]
        self.height = sum(style[2] for _, style in self.lines)


_header = None


def _header_cells():
    """The header row, measured once per process: the columns never change."""
    global _header
    if _header is None:
        cells = [Cell([(text, HEAD)], i) for i, (text, _) in enumerate(HEADERS)]
        _header = (cells, max(c.height for c in cells) + PAD_TOP + PAD_BOTTOM)
    return _header


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


def _recipient(entry):
    if entry.recipient_kind == "post":
        text = f"почтовое отправление № {entry.postal_number or ''}"
        if entry.postal_date:
            text += f" от {_date(entry.postal_date)}"
        return [(text, CELL)]
    if entry.recipient_kind != "graduate":
        return [(entry.recipient_text or "", NOTE)]
    return []


def _row(entry, marks=None):
    """The entry's cells and the row's height; `marks` are the entry's (subject, mark) when read apart."""
    if marks is None:
        marks = [(m.subject_name, m.value) for m in entry.marks]
    # No-break spaces keep «Алгебра — 5» on one line.
    marks = "; ".join(f"{subject}\u00a0—\u00a0{value}" for subject, value in marks)
    cells = [
        Cell([(str(entry.reg_number), CELL)], 0),
        Cell([(entry.full_name, CELL)] + [(note, NOTE) for note in _notes(entry)], 1),
        Cell([(_date(entry.birth_date), CELL)], 2),
        Cell([(entry.blank_text, CELL), (entry.appendix_text, CELL)], 3),
        Cell([(marks, MARKS)], 4),
        Cell([(_date(entry.order_date), CELL), (f"№ {entry.order_number or ''}", CELL)], 5),
        Cell([(_date(entry.issued_on), CELL)], 6),
        Cell([], 7),
        Cell(_recipient(entry), 8),
    ]
    return cells, max(c.height for c in cells) + PAD_TOP + PAD_BOTTOM


def _heading(school, book, levels):
    """The lines over each class's first page: the school, the book's title and level (centred)."""
    lines = [(line, SCHOOL) for line in wrap(school.full_name if school is not None else "", SCHOOL[0], SCHOOL[1],
                                               WIDTH - 12)]
    level = levels.get(book.level, "")
    for text in (f"Книга регистрации выданных документов об образовании № {book.number}",
                 f"({level})" if level else ""):
        if text:
            lines += [(line, TITLE) for line in wrap(text, TITLE[0], TITLE[1], WIDTH - 12)]
    return lines


def _certification(group, school):
    """The block under a class's entries (приказ № 546, as the acts cite it): class teacher, director, seal."""
    klass = group[0].school_class
    teacher = klass.class_teacher.full_name if klass is not None and klass.class_teacher is not None else ""
    director = (school.director_name or "") if school is not None else ""
    numbers = f"№ {group[0].reg_number}–{group[-1].reg_number}" if len(group) > 1 else f"№ {group[0].reg_number}"
    what = f"класс {klass.name}" if klass is not None else "без класса"
    lines = [f"Записи {numbers} ({what}, всего {len(group)}) внесены верно.",
             f"Классный руководитель ____________________ {teacher}",
             f"Директор ____________________ {director}",
             "М.П."]
    out = []
    for line in lines:
        out += [(part, SIGN) for part in wrap(line, SIGN[0], SIGN[1], WIDTH - 12)]
    return out


def layout_run(group, school, book, levels, marks=None):
    """The pages of one run of a class's entries: [[(kind, y_top, data)]], cut as the printed book is."""
    _register_fonts()
    heading = _heading(school, book, levels)
    header, header_height = _header_cells()
    pages, page, y = [], [], FRAME_TOP

    def new_page():
        nonlocal page, y
        page = []
        pages.append(page)
        y = FRAME_TOP

    new_page()
    page.append(("lines", y, heading))
    y -= sum(style[2] for _, style in heading) + 6
    page.append(("header", y, (header, header_height)))
    y -= header_height
    for entry in group:
        cells, height = _row(entry, marks.get(entry.id, ()) if marks is not None else None)
        if y - height < FRAME_BOTTOM and page[-1][0] == "row":
            new_page()
            page.append(("header", y, (header, header_height)))  # the header row is repeated on every page
            y -= header_height
        page.append(("row", y, (cells, height)))
        y -= height
    block = _certification(group, school)
    block_height = 6 + sum(style[2] for _, style in block)
    if y - block_height < FRAME_BOTTOM:  # kept together: carried over whole
        new_page()
    page.append(("lines", y - 6, [(text, style, "left") for text, style in block]))
    return pages, y - block_height


def _groups(entries):
    """Consecutive runs of one class's entries."""
    groups = []
    for entry in entries:
        if groups and groups[-1][0].school_class_id == entry.school_class_id:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


# A run's page count by the book's heading and the run's entries (ids, versions, marks): numbering the pages of
# a class at the end of a long book does not lay out every class before it again. Any change changes the key.
_RUN_PAGES = {}


def _run_key(school, book, levels, rows):
    return (book.id, book.number, levels.get(book.level, ""), school.full_name if school is not None else "",
            tuple(rows))


def book_print_runs(session, *, school, book, entries, levels):
    """The print's entries cut into the book's runs, each with the number of its first page in the whole book:
    [(first_page, entries, pages laid out)]. The book's other entries are read as ids only, and only runs whose
    page count is not known yet are loaded and laid out; the marks of all of them are read in one query."""
    from sqlalchemy import func, select

    from models.issuance import CertificateBookEntry, CertificateMark

    count = (select(func.count(CertificateMark.id)).where(CertificateMark.entry_id == CertificateBookEntry.id)
             .correlate(CertificateBookEntry).scalar_subquery())
    rows = session.execute(select(CertificateBookEntry.id, CertificateBookEntry.school_class_id,
                                  CertificateBookEntry.version, count)
                           .where(CertificateBookEntry.book_id == book.id,
                                  CertificateBookEntry.reg_number <= entries[-1].reg_number)
                           .order_by(CertificateBookEntry.reg_number)).all()
    runs = []
    for row in rows:
        if runs and runs[-1][0][1] == row[1]:
            runs[-1].append(row)
        else:
            runs.append([row])
    printed = {e.id: e for e in entries}
    keys = [_run_key(school, book, levels, [(r[0], r[2], r[3]) for r in run]) for run in runs]
    wanted = [r[0] for run, key in zip(runs, keys) for r in run if run[0][0] in printed or key not in _RUN_PAGES]
    loaded, marks = dict(printed), {}
    for chunk in range(0, len(wanted), 900):
        ids = wanted[chunk:chunk + 900]
        missing = [i for i in ids if i not in loaded]
        if missing:
            loaded.update((e.id, e) for e in session.scalars(
                select(CertificateBookEntry).where(CertificateBookEntry.id.in_(missing))))
        for entry_id, subject, value in session.execute(
                select(CertificateMark.entry_id, CertificateMark.subject_name, CertificateMark.value)
                .where(CertificateMark.entry_id.in_(ids))
                .order_by(CertificateMark.entry_id, CertificateMark.year_name, CertificateMark.position,
                          CertificateMark.id)):
            marks.setdefault(entry_id, []).append((subject, value))
    result, page = [], 1
    for run, key in zip(runs, keys):
        laid_out = None
        if run[0][0] in printed or key not in _RUN_PAGES:
            laid_out = layout_run([loaded[r[0]] for r in run], school, book, levels, marks)
            if len(_RUN_PAGES) > 5000:
                _RUN_PAGES.clear()
            _RUN_PAGES[key] = len(laid_out[0])
        if run[0][0] in printed:
            result.append((page, [printed[r[0]] for r in run if r[0] in printed], laid_out))
        page += _RUN_PAGES[key]
    return result


# --- drawing ------------------------------------------------------------------------------------------------

def _draw_lines(canvas, top, lines):
    y = top
    for item in lines:
        text, (font, size, leading) = item[0], item[1]
        y -= leading
        canvas.setFont(font, size)
        if len(item) > 2:
            canvas.drawString(LEFT + 6, y + (leading - size) / 2 + 1, text)
        else:
            canvas.drawCentredString(LEFT + WIDTH / 2, y + (leading - size) / 2 + 1, text)


def _draw_cells(canvas, top, cells, header=False, text=None):
    """The cells' lines, into `text` (one text object for a whole page: a text object per line costs more than
    the line itself) or into a text object of their own."""
    own = text is None
    if own:
        text = canvas.beginText()
    current = None
    for column, cell in enumerate(cells):
        y = top - PAD_TOP
        for line, (font, size, leading) in cell.lines:
            if current != (font, size):
                text.setFont(font, size)
                current = (font, size)
            if header or column in CENTRED:
                x = (EDGES[column] + EDGES[column + 1] - _width(line, font, size)) / 2
            else:
                x = EDGES[column] + PAD_X
            text.setTextOrigin(x, y - size)
            text.textOut(line)
            y -= leading
    if own:
        canvas.drawText(text)


def _draw_header(canvas, top, cells, height):
    """The header row is drawn once per document as a form and placed on every page: the same bytes each time."""
    if not canvas.hasForm("book-header"):
        canvas.beginForm("book-header", lowerx=0, lowery=-height, upperx=PAGE_WIDTH, uppery=0)
        canvas.setFillColor(colors.HexColor("#eeeeee"))
        canvas.rect(LEFT, -height, WIDTH, height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        _draw_cells(canvas, 0, cells, header=True)
        canvas.endForm()
    canvas.saveState()
    canvas.translate(0, top)
    canvas.doForm("book-header")
    canvas.restoreState()


def _draw_page(canvas, items):
    grid_top = grid_bottom = None
    rules = []
    text = canvas.beginText()
    for kind, top, data in items:
        if kind == "lines":
            _draw_lines(canvas, top, data)
            continue
        cells, height = data
        if kind == "header":
            _draw_header(canvas, top, cells, height)
        else:
            _draw_cells(canvas, top, cells, text=text)
        grid_top = top if grid_top is None else grid_top
        grid_bottom = top - height
        rules.append(top)
    if grid_top is not None:
        canvas.setLineWidth(0.5)
        path = canvas.beginPath()
        for y in rules + [grid_bottom]:
            path.moveTo(LEFT, y)
            path.lineTo(LEFT + WIDTH, y)
        for x in EDGES:
            path.moveTo(x, grid_top)
            path.lineTo(x, grid_bottom)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.drawText(text)


def _draw_verification(canvas, top, verification):
    """The QR code and the short code that lead to the public verification page (views/pdf.py)."""
    from reportlab.lib.utils import ImageReader

    size = 2.4 * cm
    top -= 10
    canvas.drawImage(ImageReader(io.BytesIO(verification["qr_png"])), LEFT + 6 + 3, top - size, size, size)
    text = (f"Код проверки документа: {verification['code']}\nПодлинность и действительность документа "
            f"проверяются по QR-коду или на странице {verification['url']}")
    lines = wrap(text, CELL[0], CELL[1], WIDTH - 2.8 * cm - 12)
    y = top - size / 2 + len(lines) * CELL[2] / 2
    canvas.setFont(CELL[0], CELL[1])
    for line in lines:
        y -= CELL[2]
        canvas.drawString(LEFT + 6 + 2.8 * cm + 3, y + 2, line)


VERIFICATION_HEIGHT = 2.4 * cm + 16


def render_certificate_book(*, school, book, levels, runs=None, entries=None, verification=None, pages=None):
    """PDF bytes of the book's pages for `runs` ([(first page in the book, entries)], see book_print_runs):
    landscape A4, the header row repeated on every page, each run under the book's heading and closed by its
    certification block. Each page's footer carries its number in the whole book. When `pages` is a list,
    the number of pages drawn is appended to it."""
    _register_fonts()
    if runs is None:  # a print of its own, numbered from 1: its runs as they follow each other
        runs, page = [], 1
        for group in _groups(entries):
            laid_out = layout_run(group, school, book, levels)
            runs.append((page, group, laid_out))
            page += len(laid_out[0])
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    canvas.setTitle(f"Книга регистрации выданных документов об образовании № {book.number}")
    canvas.setAuthor("")
    footer = (school.document_footer or "") if school is not None else ""
    if verification:
        footer = " — ".join(p for p in (footer, f"код проверки {verification['code']}") if p)
    drawn = 0
    last_y = FRAME_TOP
    for first_page, group, laid_out in runs:
        run_pages, last_y = laid_out if laid_out is not None else layout_run(group, school, book, levels)
        for offset, items in enumerate(run_pages):
            if drawn:
                canvas.showPage()
            _draw_page(canvas, items)
            _footer(canvas, footer, first_page + offset)
            drawn += 1
    if verification:
        if last_y - VERIFICATION_HEIGHT < FRAME_BOTTOM:
            # Not a page of the book: printed after the book's pages, without a book page number.
            canvas.showPage()
            _footer(canvas, footer, None)
            drawn += 1
            last_y = FRAME_TOP
        _draw_verification(canvas, last_y, verification)
    canvas.showPage()
    canvas.save()
    if pages is not None:
        pages.append(drawn)
    return out.getvalue()


def _footer(canvas, footer, number):
    canvas.setFont(REGULAR, 8)
    page = f"стр. {number}" if number is not None else ""
    canvas.drawString(2 * cm, 0.9 * cm, " — ".join(p for p in (footer, page) if p))

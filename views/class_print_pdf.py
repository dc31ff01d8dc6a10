"""The class prints with large tables (the year's journal pages, the summary sheet), drawn with reportlab's canvas.

A class-year journal is some 50,000 cells: xhtml2pdf took minutes and reportlab's Table several seconds, while
drawing a fixed grid of fixed-height rows takes well under a second. Rows have one height, so the pages are laid
out first and then drawn: the footer's «из N» and the «N листов» of the certification are exact.
"""
import io

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from models.words import plural

from .certificate_book_pdf import BOLD, REGULAR, _register_fonts

PAGE_W, PAGE_H = landscape(A4)
LEFT, RIGHT, TOP, BOTTOM = 2 * cm, 1.5 * cm, 1.5 * cm, 1.8 * cm
WIDTH = PAGE_W - LEFT - RIGHT
SIGNATURE_H = 3.2 * cm
VERIFICATION_H = 2.8 * cm


def fit(text, font, size, width):
    """The text cut to the width (with «…»), so a long name never runs into the next cell."""
    text = str(text or "")
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


class Layout:
    """Pages as lists of drawing steps, laid out before anything is drawn."""

    def __init__(self):
        self.pages = []
        self.new_page()

    def new_page(self):
        self.ops = []
        self.pages.append(self.ops)
        self.y = PAGE_H - TOP

    def room(self):
        return self.y - BOTTOM

    def need(self, height):
        if height > self.room():
            self.new_page()

    def text(self, text, font=REGULAR, size=9, align="left", height=None):
        height = height or size * 1.35
        self.need(height)
        self.ops.append(("text", self.y - size, text, font, size, align))
        self.y -= height

    def gap(self, height):
        self.y -= min(height, self.room())

    def block(self, kind, height, **data):
        """A block that is not split: signatures, the verification code."""
        self.need(height)
        self.ops.append((kind, self.y, data))
        self.y -= height

    def table(self, widths, header, rows, *, header_h, row_h, size=7, rotate_header=False, left_cols=2):
        """Rows are kept together on one page when they fit there; a longer table repeats its header."""
        total = header_h + row_h * len(rows)
        if total > self.room() and total <= PAGE_H - TOP - BOTTOM:
            self.new_page()
        start = 0
        while start < len(rows) or start == 0:
            fits = int((self.room() - header_h) // row_h)
            if fits < 1:
                self.new_page()
                continue
            chunk = rows[start:start + fits]
            self.ops.append(("table", self.y, dict(widths=widths, header=header, rows=chunk, header_h=header_h,
                                                   row_h=row_h, size=size, rotate=rotate_header,
                                                   left_cols=left_cols)))
            self.y -= header_h + row_h * len(chunk)
            start += len(chunk)
            if start >= len(rows):
                break
            self.new_page()


def _draw_table(canvas, top, widths, header, rows, header_h, row_h, size, rotate, left_cols):
    xs = [LEFT]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [top, top - header_h] + [top - header_h - row_h * (i + 1) for i in range(len(rows))]
    canvas.setLineWidth(0.5)
    canvas.grid(xs, ys)
    canvas.setFont(BOLD, size)
    for i, title in enumerate(header):
        if rotate and i >= left_cols:
            canvas.saveState()
            canvas.translate(xs[i] + widths[i] / 2 + size / 3, top - header_h + 3)
            canvas.rotate(90)
            canvas.drawString(0, 0, fit(title, BOLD, size, header_h - 6))
            canvas.restoreState()
        else:
            canvas.drawCentredString(xs[i] + widths[i] / 2, top - header_h / 2 - size / 3,
                                     fit(title, BOLD, size, widths[i] - 2))
    # One text object for the whole body, and each distinct value measured once: a journal page holds a few
    # distinct marks in a thousand cells.
    text = canvas.beginText()
    text.setFont(REGULAR, size)
    half_widths = {}
    for r, row in enumerate(rows):
        base = top - header_h - row_h * (r + 1) + (row_h - size) / 2 + 1
        for i, value in enumerate(row):
            if value in (None, ""):
                continue
            value = str(value)
            if 0 < i < left_cols:
                text.setTextOrigin(xs[i] + 2, base)
                text.textOut(fit(value, REGULAR, size, widths[i] - 4))
            else:
                half = half_widths.get(value)
                if half is None:
                    half = half_widths[value] = stringWidth(value, REGULAR, size) / 2
                text.setTextOrigin(xs[i] + widths[i] / 2 - half, base)
                text.textOut(value)
    canvas.drawText(text)


def _draw_signatures(canvas, top, lines):
    canvas.setFont(REGULAR, 9)
    y = top - 14
    for label, name in lines:
        canvas.drawString(LEFT, y, label)
        if label != "М. П.":
            canvas.drawString(LEFT + 9 * cm, y, "____________________")
        canvas.drawString(LEFT + 14 * cm, y, name or "")
        y -= 18


def _draw_verification(canvas, top, verification):
    size = 2.4 * cm
    canvas.drawImage(ImageReader(io.BytesIO(verification["qr_png"])), LEFT, top - size - 4, size, size)
    canvas.setFont(REGULAR, 8)
    canvas.drawString(LEFT + size + 8, top - size / 2, f"Код проверки документа: {verification['code']}")
    canvas.drawString(LEFT + size + 8, top - size / 2 - 11,
                      f"Подлинность и действительность документа проверяются по QR-коду или на странице "
                      f"{verification['url']}")


def draw(layout, *, title, footer, verification):
    """PDF bytes of the laid-out pages, each with its footer: the school's text, the code, «стр. N из M»."""
    _register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    canvas.setTitle(title)
    total = len(layout.pages)
    for number, ops in enumerate(layout.pages, start=1):
        for op in ops:
            if op[0] == "text":
                _, y, text, font, size, align = op
                canvas.setFont(font, size)
                if align == "center":
                    canvas.drawCentredString(LEFT + WIDTH / 2, y, text)
                else:
                    canvas.drawString(LEFT, y, text)
            elif op[0] == "table":
                _draw_table(canvas, op[1], **op[2])
            elif op[0] == "signatures":
                _draw_signatures(canvas, op[1], **op[2])
            elif op[0] == "verification":
                _draw_verification(canvas, op[1], **op[2])
        canvas.setFont(REGULAR, 8)
        parts = [p for p in (footer, f"код проверки {verification['code']}", f"стр. {number} из {total}") if p]
        canvas.drawString(LEFT, 0.9 * cm, " — ".join(parts))
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _heading(layout, school, lines):
    layout.text(school.full_name if school else "", BOLD, 9, "center")
    for text, font, size in lines:
        layout.text(text, font, size, "center")
    layout.gap(6)


def _footer(school):
    return (school.document_footer or "").strip() if school else ""


def render_summary_sheet(*, school, school_class, year, subjects, rows, today, verification):
    layout = Layout()
    _register_fonts()
    _heading(layout, school, [("СВОДНАЯ ВЕДОМОСТЬ ИТОГОВЫХ ОТМЕТОК", BOLD, 13),
                              (f"обучающихся {school_class.name} класса за {year.name} учебный год", REGULAR, 10)])
    fixed = [0.8 * cm, 5.5 * cm, 1.0 * cm, 1.0 * cm]
    each = (WIDTH - sum(fixed)) / max(len(subjects), 1)
    widths = fixed[:2] + [each] * len(subjects) + fixed[2:]
    header = ["№", "Фамилия, имя обучающегося"] + [s.name for s in subjects] + ["«2»", "н/а"]
    body = [[str(n), f"{row['student'].last_name} {row['student'].first_name}", *row["marks"],
             row["twos"] or "", row["not_attested"] or ""] for n, row in enumerate(rows, start=1)]
    layout.table(widths, header, body, header_h=2.8 * cm, row_h=12, size=7.5, rotate_header=True)
    layout.gap(6)
    layout.text(f"Всего обучающихся: {len(rows)}. Отметки перенесены из электронного журнала "
                f"{today:%d.%m.%Y}.", size=9)
    teacher = school_class.class_teacher.full_name if school_class.class_teacher else ""
    layout.block("signatures", SIGNATURE_H, lines=[("Классный руководитель", teacher),
                                                   ("Заместитель директора по УВР", ""),
                                                   ("Директор", school.director_name if school else ""),
                                                   ("М. П.", "")])
    layout.block("verification", VERIFICATION_H, verification=verification)
    return draw(layout, title=f"Сводная ведомость итоговых отметок {school_class.name} {year.name}",
                footer=_footer(school), verification=verification)


def render_class_journal(*, school, school_class, year, subjects, students, today, verification):
    _register_fonts()
    layout = Layout()
    teacher = school_class.class_teacher.full_name if school_class.class_teacher else ""
    _heading(layout, school, [
        (f"ЭЛЕКТРОННЫЙ ЖУРНАЛ: {school_class.name} КЛАСС, {year.name} УЧЕБНЫЙ ГОД", BOLD, 13),
        ("Распечатка страниц журнала по предметам (даты уроков, отметки, итоговые отметки)"
         + (f"; классный руководитель {teacher}" if teacher else ""), REGULAR, 9)])
    number_w, name_w = 0.7 * cm, 4.2 * cm
    for item in subjects:
        layout.need(14 + 12 + 11 * 3)
        layout.text(item.subject.name, BOLD, 10, height=15)
        for dates, lines in item.pages:
            each = (WIDTH - number_w - name_w) / max(len(dates), 1)
            each = min(each, 1.2 * cm)
            widths = [number_w, name_w] + [each] * len(dates)
            header = ["№", "Обучающийся"] + [d.strftime("%d.%m") for d in dates]
            body = [[str(n), f"{s.last_name} {s.first_name[:1]}.", *cells]
                    for n, (s, cells) in enumerate(lines, start=1)]
            layout.table(widths, header, body, header_h=12, row_h=11, size=6.5)
            layout.gap(4)
        term_titles = [f"{t.number} {'четв.' if t.kind == 'quarter' else 'полуг.'}" for t in item.terms]
        widths = [number_w, 7 * cm] + [2 * cm] * len(term_titles) + [3 * cm]
        header = ["№", "Обучающийся"] + term_titles + ["Итоговая (годовая)"]
        body = [[str(n), f"{s.last_name} {s.first_name}", *terms, final]
                for n, (s, terms, final) in enumerate(item.finals, start=1)]
        layout.table(widths, header, body, header_h=12, row_h=11, size=7)
        layout.gap(8)
    layout.need(SIGNATURE_H + 20 + VERIFICATION_H)
    # The pages are laid out: their number is known before the certification is drawn.
    sheets = len(layout.pages)
    layout.text(f"Прошито, пронумеровано и скреплено печатью {sheets} {plural(sheets, ('лист', 'листа', 'листов'))}.",
                size=10, height=16)
    layout.block("signatures", SIGNATURE_H * 0.6, lines=[("Директор", school.director_name if school else ""),
                                                          ("М. П.", "«____» ______________ 20___ г.")])
    layout.block("verification", VERIFICATION_H, verification=verification)
    return draw(layout, title=f"Электронный журнал {school_class.name} {year.name}", footer=_footer(school),
                verification=verification)

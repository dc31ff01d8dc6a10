"""Reading e-journal exports (XLSX, XLS, CSV) in several layouts, and the all-or-nothing import of their marks."""
import csv
import gc
import hashlib
import io
import re
import threading
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from operator import itemgetter
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import bindparam, delete, insert, select, update

from .marks import IMPORT_LAYOUTS, MARK_KINDS, Mark, MarkImport, parse_cell
from .people import AcademicYear, SchoolClass, Student, Subject, Term, TERM_KINDS
from .words import plural
from .errors import DomainError

MAX_ERRORS_SHOWN = 200
LIST_SHOWN = 200  # added / changed / removed marks listed on the preview
FLAT_HEADERS = ("Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид", "Период", "Вес")


class ImportFileError(DomainError):
    """The file as a whole cannot be read; the message is Russian and shown to the user."""


@dataclass
class Sheet:
    name: str
    rows: list


@dataclass(slots=True)  # a large file makes 200,000 of them
class Entry:
    """One cell of marks as found in the file, before names are matched to the database."""

    sheet: str
    row: int
    cols: dict  # field ("mark", "date", "student", "class_name", "subject", "kind", "period", "weight") -> column
    student: str
    class_name: str
    subject: str
    kind: str  # current | term | year | exam | final
    value: object
    on: date | None = None
    period: tuple | None = None  # (term kind or None, number) or ("date", day)
    weight: object = None
    unit: str = "cell"  # "row" in the flat layout, where one line is one mark

    def where(self, field="mark"):
        """The place of one field: its own column when the file has one, else the mark's cell."""
        col = self.cols.get(field)
        return where(self.sheet, self.row, col if col is not None else self.cols.get("mark"))


@dataclass
class Cover:
    """What a sheet speaks for (class × subject × period, or one pupil's): marks there that the file lacks go."""

    class_name: str
    subject: str
    kind: str
    first: date | None = None  # current marks: the first and last lesson day of the sheet
    last: date | None = None
    period: tuple | None = None  # a term column's period; for current marks, the title's term (widens the span)
    student: str | None = None  # a pupil's report speaks for that pupil only


UNITS = {"row": ("строка", "строки", "строк"), "cell": ("ячейка", "ячейки", "ячеек")}
GROUP_FROM = 3  # this many of one problem become one line with the count and the fix
PLACES_SHOWN = 3


def count_text(n, unit="row"):
    return f"{n:,}".replace(",", " ") + " " + plural(n, UNITS.get(unit, UNITS["row"]))


class Problems:
    """Errors or warnings; many of one kind are told once, with their count, the fix and the first places."""

    def __init__(self):
        self.items = []  # (key, where, text, summary, fix, unit)

    def add(self, where_, text, *, key=None, summary=None, fix=None, unit="row"):
        self.items.append((key or text, where_, text, summary or text, fix, unit))

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return bool(self.items)

    def lines(self):
        groups = {}
        for item in self.items:
            groups.setdefault(item[0], []).append(item)
        out = []
        for items in groups.values():
            _key, _where, text, summary, fix, unit = items[0]
            if len(items) < GROUP_FROM:
                for _k, place, text, _s, fix, _u in items:
                    text = text.rstrip(".")
                    line = f"{place}: {text}" if place else text[:1].upper() + text[1:]
                    out.append(line + (f" — {fix}." if fix else "."))
                continue
            places = "; ".join(place for _k, place, *_ in items[:PLACES_SHOWN] if place)
            line = f"{count_text(len(items), unit)}: {summary}" + (f" — {fix}" if fix else "")
            out.append(line + (f" (первые: {places})." if places else "."))
        return out


@dataclass
class Preview:
    layout: str
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    inserts: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    removes: list = field(default_factory=list)  # ids of marks the file no longer has
    unchanged: int = 0
    codes: int = 0
    summary: list = field(default_factory=list)  # (class name, subject name, number of marks)
    shown: dict = field(default_factory=lambda: {"add": [], "change": [], "remove": []})  # rows for the page
    year: object = None  # the academic year the file was read in (its title's, else the page's)
    plan: object = None  # a Plan: what the check decided, for the confirmation to reuse

    @property
    def layout_name(self):
        return IMPORT_LAYOUTS.get(self.layout, self.layout) if self.layout else "не распознан"

    @property
    def ok(self):
        return not self.errors

    @property
    def changes(self):
        return bool(self.inserts or self.updates or self.removes)


# --- reading the file into sheets of rows --------------------------------------------------------

def read_sheets(data, filename=""):
    """Bytes of an upload -> list of Sheet; raise ImportFileError with a Russian message otherwise."""
    if not data:
        raise ImportFileError("Файл пустой.")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _read_xls(data)
    if data[:5] == b"%PDF-" or data[:4] in (b"\x89PNG", b"GIF8") or data[:3] == b"\xff\xd8\xff":
        raise ImportFileError("Это не таблица: загрузите файл XLSX, XLS или CSV, выгруженный из электронного журнала.")
    return [Sheet(Path(filename).stem or "CSV", _read_csv(data))]


def _read_xlsx(data):
    # calamine (Rust) reads a 100,000-row sheet in about a second; openpyxl needs ten times longer.
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for index, row in enumerate(rows):
                # Most lines of a large export have no blank cell: they are kept as calamine made them.
                if "" in row:
                    rows[index] = row = [None if v == "" else v for v in row]
                if row and (row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())):
                    _trim(row)
            sheets.append(Sheet(name, rows))
        return sheets
    except CalamineError as exc:
        raise ImportFileError("Файл XLSX повреждён или это не книга Excel: откройте его в Excel и сохраните "
                              "заново.") from exc
    except Exception as exc:  # a damaged archive may fail in the zip or XML layer instead
        raise ImportFileError("Файл XLSX не удалось прочитать: откройте его в Excel и сохраните заново.") from exc


def _read_xls(data):
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=False)
    except xlrd.XLRDError as exc:
        text = str(exc).lower()
        if "encrypt" in text or "can't find workbook" in text:
            # An encrypted XLSX is an OLE container too, so it lands here as «no workbook».
            raise ImportFileError("Книга защищена паролем. Снимите пароль в Excel (Файл → Сведения → Защита книги) "
                                  "и загрузите файл снова.") from exc
        raise ImportFileError("Файл XLS повреждён или это не книга Excel.") from exc
    except Exception as exc:
        raise ImportFileError("Файл XLS повреждён или это не книга Excel.") from exc
    sheets = []
    for ws in book.sheets():
        rows = []
        for r in range(ws.nrows):
            row = []
            for c in range(ws.ncols):
                cell = ws.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                else:
                    row.append(cell.value)
            rows.append(_trim(row))
        sheets.append(Sheet(ws.name, rows))
    return sheets


# Code pages a Russian school's export comes in; anything else is named and refused.
CSV_ENCODINGS = {"utf_8": "UTF-8", "cp1251": "Windows-1251", "koi8_r": "KOI8-R", "cp866": "CP866 (DOS)"}
_ODD = set("\u0402\u0403\u0405\u0406\u0407\u0408\u0409\u040a\u040b\u040c\u040e\u040f"
           "\u0452\u0453\u0455\u0456\u0457\u0458\u0459\u045a\u045b\u045c\u045e\u045f‚„…†‡€‰‹›“”•")


def decode_text(data):
    """Bytes of a text export -> (text, encoding name); ImportFileError naming an encoding it cannot read."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as exc:
            raise ImportFileError("Файл помечен как UTF-8, но содержит байты не в UTF-8: сохраните его "
                                  "заново.") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("Неизвестная кодировка файла (UTF-16, «Текст Юникод»): панель читает CSV в UTF-8, "
                              "Windows-1251, KOI8-R и CP866. Сохраните файл в Excel как «CSV UTF-8».")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    # Short files leave a guess between 1251, KOI8-R and 866: charset-normalizer scores each by Russian letter
    # frequencies, which is what tells them apart (decoded in the wrong one, the text turns into case soup).
    best = from_bytes(data[:200_000], cp_isolation=list(CSV_ENCODINGS)).best()
    if best is not None and best.encoding in CSV_ENCODINGS:
        text = data.decode(best.encoding, errors="replace")
        odd = sum(1 for ch in text if ch in _ODD)
        if "\ufffd" not in text and odd <= max(3, len(text) // 50):
            return text, CSV_ENCODINGS[best.encoding]
    guess = from_bytes(data[:200_000]).best()
    named = f" (похоже на {guess.encoding})" if guess is not None and guess.encoding not in CSV_ENCODINGS else ""
    raise ImportFileError(f"Неизвестная кодировка файла{named}: панель читает CSV в UTF-8, Windows-1251, KOI8-R "
                          "и CP866. Сохраните файл в UTF-8 (в Excel: «Сохранить как» → «CSV UTF-8»).")


def _read_csv(data):
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("Неизвестная кодировка или не текстовый файл: панель читает CSV в UTF-8, "
                              "Windows-1251, KOI8-R и CP866.")
    text, _encoding = decode_text(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in ";,\t"}
    delimiter = max(counts, key=counts.get) if any(counts.values()) else ";"
    rows = [_trim([cell if cell.strip() else None for cell in row])
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return rows


def _trim(row):
    while row and (row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())):
        row.pop()
    return row


# --- small parsers -----------------------------------------------------------------------------

@lru_cache(maxsize=65536)  # names, classes and subjects repeat on every row of a large export
def norm(value):
    """Fold for comparison: lower case, ё→е, single spaces, no trailing colon."""
    if value is None:
        return ""
    text = " ".join(str(value).replace("\u00a0", " ").split()).lower().replace("ё", "е")
    return text.rstrip(":").strip()


@lru_cache(maxsize=4096)
def norm_class(value):
    return re.sub(r"[\s\-«»\"]", "", str(value or "")).upper().replace("Ё", "Е")


def col_letter(index):
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def where(sheet, row, col=None):
    text = f"лист «{sheet}», строка {row + 1}"
    return text + (f", столбец {col_letter(col)}" if col is not None else "")


MONTHS = {"янв": 1, "фев": 2, "мар": 3, "апр": 4, "май": 5, "мая": 5, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
          "окт": 10, "ноя": 11, "дек": 12}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def month_of(value):
    text = norm(value)
    return MONTHS.get(text[:3]) if text else None


def year_date(year, month, day):
    """A date written without its year, placed inside the academic year (September..August)."""
    calendar_year = year.starts_on.year if month >= year.starts_on.month else year.ends_on.year
    return date(calendar_year, month, day)


def parse_date(value, year):
    """A header or flat cell -> date, or None if it is not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = norm(value)
    m = re.fullmatch(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{2}|\d{4}))?(?:\s*г\.?)?", text)
    if not m:
        m2 = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?", text)
        if not m2:
            return None
        try:
            return date(int(m2.group(1)), int(m2.group(2)), int(m2.group(3)))
        except ValueError:
            return None
    day, month, yr = int(m.group(1)), int(m.group(2)), m.group(3)
    try:
        if yr:
            yr = int(yr) + (2000 if len(yr) == 2 else 0)
            return date(yr, month, day)
        return year_date(year, month, day)
    except ValueError:
        return None


def period_label(value, *, final_layout=False):
    """A column header -> ("term", kind|None, n) | ("year",) | ("exam",) | ("final",) | ("period_end",)
    | ("ignore",) | None."""
    text = norm(value).replace("–", "-")
    if not text:
        return None
    m = re.fullmatch(r"(\d|iv|i{1,3})\s*(?:-?(?:я|е|й))?\s*(четверть|четв\.?|ч\.?|полугодие|полуг\.?|пол\.?|п\.?)?",
                     text)
    if m:
        number = int(m.group(1)) if m.group(1).isdigit() else ROMAN[m.group(1)]
        word = m.group(2) or ""
        if not word and (m.group(1).isdigit() and not final_layout):
            return None  # a bare number in a journal is a day of the month
        return ("term", "half" if word.startswith("п") else ("quarter" if word else None), number)
    if text.startswith("год"):
        return ("year",)
    if text.startswith("экз"):
        return ("exam",)
    if text.startswith("итог"):
        return ("final",) if final_layout else ("period_end",)
    if text in ("за период", "период", "отметка за период"):
        return ("period_end",)
    if text.startswith("ср") or "средн" in text or text.startswith("проп") or text in ("№", "n", "№ п/п", "всего",
                                                                                        "п/п"):
        return ("ignore",)
    return None


KIND_WORDS = (("текущ", "current"), ("четверт", "term"), ("полугод", "term"), ("за период", "term"),
              ("период", "term"), ("годов", "year"), ("год", "year"), ("экзам", "exam"), ("итог", "final"))


def parse_kind(value):
    text = norm(value)
    if not text:
        return "current"
    for prefix, kind in KIND_WORDS:
        if text.startswith(prefix) or text.startswith("за " + prefix):
            return kind
    return None


# --- layouts -------------------------------------------------------------------------------------

TITLE_KEYS = {
    "subject": r"предмет",
    "class_name": r"класс",
    "student": r"(?:ученик|ученица|обучающийся|обучающаяся|учащийся|фио ученика)",
    "period": r"(?:период|учебный период)",
    "journal": r"журнал",
}
NAME_HEADERS = {"ученик", "фио", "обучающийся", "фио обучающегося", "фио ученика", "учащийся", "фамилия, имя",
                "фамилия имя", "фамилия имя отчество", "фамилия, имя, отчество", "ученики", "ученик (фио)"}
SUBJECT_HEADERS = {"предмет", "предметы", "учебный предмет", "наименование предмета"}
FLAT_NAMES = {
    "student": NAME_HEADERS,
    "class_name": {"класс"},
    "subject": SUBJECT_HEADERS,
    "date": {"дата", "дата отметки", "дата урока"},
    "mark": {"отметка", "оценка"},
    "kind": {"вид", "вид отметки", "тип отметки"},
    "period": {"период", "учебный период", "четверть"},
    "weight": {"вес", "вес отметки"},
}
FLAT_REQUIRED = ("student", "subject", "mark")
# «класс 9В», «9В класс», «Класс: 9 "А"» inside a title; both need the word, so «СОШ № 5 г. Москвы» is no class.
CLASS_IN_TEXT = re.compile(r"(?i)класс\s*[:\-–№]?\s*(\d{1,2})\s*[-\s]?\s*[«\"]?([а-яё])(?![а-яё])"
                           r"|(?<![\d.])(\d{1,2})\s*[-\s]?\s*[«\"]?([а-яё])[»\"]?\s+класс")
SHEET_CLASS = re.compile(r"(?<![\d.])(\d{1,2})\s*-?\s*([А-ЯЁа-яё])(?![А-ЯЁа-яё.])")
PERIOD_IN_TEXT = re.compile(r"(?i)(?<![\d.])([1-4]|iv|i{1,3})\s*(?:-?(?:я|е|й))?\s*(четверть|полугодие)")
YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d\d)\s*[/\-–]\s*(20\d\d)(?!\d)")


def _class_text(match):
    digits, letter = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return f"{digits}{letter.upper()}"


def _title_info(rows, upto):
    """Key-value lines above a table: «Предмет: Алгебра», «Класс: 9А», or a key and its value in the next cell;
    and a title such as «Журнал: Математика, класс 9В, 1 четверть 2026/2027»."""
    info = {}
    text_parts = []
    for row in rows[:upto]:
        cells = [c for c in row if c is not None and str(c).strip()]
        for i, cell in enumerate(cells):
            text = " ".join(str(cell).split())
            text_parts.append(text)
            for key, pattern in TITLE_KEYS.items():
                if key in info:
                    continue
                m = re.search(rf"(?i)(?:^|[\s,;])\s*{pattern}\s*[:\-–]\s*(.+?)\s*(?=[,;]\s*(?:предмет|класс|период|ученик)|$)",
                              " " + text)
                if m and m.group(1).strip():
                    info[key] = m.group(1).strip()
                elif re.fullmatch(rf"(?i){pattern}\s*:?", text) and i + 1 < len(cells):
                    info[key] = " ".join(str(cells[i + 1]).split())
    raw = " ".join(text_parts)
    if "class_name" in info:
        m = re.match(r"(\d{1,2})\s*[-\s]?\s*[«\"]?([А-ЯЁа-яёA-Za-z])", info["class_name"])
        info["class_name"] = (m.group(1) + m.group(2).upper()) if m else info["class_name"]
    else:
        m = CLASS_IN_TEXT.search(raw)
        if m:
            info["class_name"] = _class_text(m)
    if "journal" in info and "subject" not in info:
        first = info["journal"].split(",")[0].strip()
        if first and not CLASS_IN_TEXT.search(first) and not PERIOD_IN_TEXT.search(first):
            info["subject"] = first
    if "period" not in info:
        m = PERIOD_IN_TEXT.search(raw)
        if m:
            info["period"] = m.group(0)
    info["_text"] = norm(raw)
    return info


def _sheet_class(name):
    m = SHEET_CLASS.search(name or "")
    return f"{m.group(1)}{m.group(2).upper()}" if m else None


def _sheet_subject(name):
    """«9А Алгебра» or «Алгебра (9А)» -> «Алгебра»."""
    text = SHEET_CLASS.sub(" ", name or "")
    return " ".join(text.replace("(", " ").replace(")", " ").strip(" -_,.").split()) or name


def file_year_name(sheets):
    """«2026/2027» when a sheet's title names the school year, else None."""
    for sheet in sheets:
        for row in sheet.rows[:12]:
            for cell in row:
                if isinstance(cell, str):
                    m = YEAR_IN_TEXT.search(cell)
                    if m and int(m.group(2)) == int(m.group(1)) + 1:
                        return f"{m.group(1)}/{m.group(2)}"
    return None


def _find_row(rows, predicate, limit=30):
    for index, row in enumerate(rows[:limit]):
        if predicate(row):
            return index
    return None


def _is_flat_header(row):
    names = {norm(c) for c in row if c is not None}
    hits = sum(1 for variants in FLAT_NAMES.values() if names & variants)
    return hits >= 3


def _is_final_long_header(row):
    """One row per pupil × subject: «Ученик», «Предмет», then «1 четверть» … «Год», «Экзамен», «Итог»."""
    names = [norm(c) for c in row if c is not None]
    if not (set(names) & NAME_HEADERS and set(names) & SUBJECT_HEADERS):
        return False
    labels = [period_label(name, final_layout=True) for name in names]
    return sum(1 for label in labels if label and label[0] in ("term", "year", "exam", "final")) >= 2


def _name_col(row, headers):
    for index, cell in enumerate(row[:4]):
        if norm(cell) in headers:
            return index
    return None


def detect_layout(sheets):
    for sheet in sheets:
        rows = sheet.rows
        if not any(rows):
            continue
        head_text = norm(" ".join(str(c) for row in rows[:12] for c in row if c is not None))
        subject_header = _find_row(rows, lambda r: _name_col(r, SUBJECT_HEADERS) is not None)
        if "отчет об успеваемости" in head_text or (subject_header is not None
                                                      and re.search(r"(?:^| )(?:ученик|ученица):", head_text)):
            return "student_report"
        if "итоговые отметки" in head_text or _find_row(rows, _is_final_long_header) is not None:
            return "final_marks"
        if _find_row(rows, _is_flat_header, 10) is not None:
            return "flat"
        if _find_row(rows, lambda r: _name_col(r, NAME_HEADERS) is not None) is not None:
            return "journal"
        return None
    return None


class Parsed:
    def __init__(self, progress=None):
        self.entries = []
        self.errors = Problems()
        self.covers = []
        self.rows_done = 0  # rows of the sheets before this one, for the progress
        self.progress = progress  # progress(rows read so far) or None

    def tick(self, row):
        """Tell how far reading got: a flat sheet calls it every PROGRESS_EVERY rows."""
        if self.progress is not None:
            self.progress(self.rows_done + row)


_paused = {"count": 0, "enabled": True}
_pause_lock = threading.Lock()


@contextmanager
def collector_paused():
    """No cyclic garbage collection while a large file is read, checked and written.

    The import makes a million small objects that all live to its end (entries, planned rows): the collector,
    triggered by so many allocations, walked them again and again — a third of the CPU time of a 200,000-line file.
    Nothing of it makes reference cycles that need the collector; it is switched back on when the last import in
    this process ends."""
    with _pause_lock:
        if _paused["count"] == 0:
            _paused["enabled"] = gc.isenabled()
            gc.disable()
        _paused["count"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _paused["count"] -= 1
            if _paused["count"] == 0 and _paused["enabled"]:
                gc.enable()


def parse_sheets(sheets, year, layout=None, default_class=None, progress=None):
    """Sheets -> (layout, Parsed). Raise ImportFileError when the layout is unknown or columns are missing.

    `default_class` (a class name chosen on the page) stands in where the file does not say the class;
    `progress(stage, done, total)` hears "parse" with the rows read of all sheets."""
    layout = layout or detect_layout(sheets)
    if layout is None:
        raise ImportFileError(
            "Не удалось распознать формат файла. Ожидается шаблон панели (столбцы «Ученик», «Класс», «Предмет», "
            "«Дата», «Отметка», «Вид»), журнал класса по предмету, отчёт об успеваемости ученика или итоговые "
            "отметки — см. описание форматов на странице импорта; формат можно выбрать и вручную.")
    total = sum(len(sheet.rows) for sheet in sheets)
    parsed = Parsed(partial(progress, "parse", total=total) if progress else None)
    reader = {"flat": _parse_flat, "journal": _parse_journal, "student_report": _parse_report,
              "final_marks": _parse_final}[layout]
    for sheet in sheets:
        parsed.tick(0)
        if any(sheet.rows):
            reader(sheet, year, parsed, default_class)
        parsed.rows_done += len(sheet.rows)
    parsed.tick(0)
    return layout, parsed


NO_CLASS = ("класс не указан: ни строкой «Класс: 9А», ни в заголовке, ни в названии листа",
            "выберите класс на странице импорта и проверьте файл снова")


def _sheet_class_or_error(sheet, info, default_class, parsed):
    class_name = info.get("class_name") or _sheet_class(sheet.name) or default_class
    if not class_name:
        parsed.errors.add(f"лист «{sheet.name}»", NO_CLASS[0], key="no_class", fix=NO_CLASS[1], unit="cell")
    return class_name


def _parse_flat(sheet, year, parsed, default_class=None):
    rows = sheet.rows
    header_index = _find_row(rows, _is_flat_header, 10)
    if header_index is None:
        raise ImportFileError(f"На листе «{sheet.name}» нет строки заголовков шаблона: «{'», «'.join(FLAT_HEADERS[:6])}».")
    header = [norm(c) for c in rows[header_index]]
    cols = {}
    for key, variants in FLAT_NAMES.items():
        for index, name in enumerate(header):
            if name in variants:
                cols[key] = index
                break
    labels = dict(zip(("student", "class_name", "subject", "date", "mark", "kind", "period", "weight"), FLAT_HEADERS))
    missing = [labels[k] for k in FLAT_REQUIRED if k not in cols]
    if "class_name" not in cols and not default_class:
        missing.append(labels["class_name"])
    if "date" not in cols and "period" not in cols:
        missing.append(labels["date"])
    if missing:
        raise ImportFileError(f"На листе «{sheet.name}» нет столбцов: «{'», «'.join(missing)}». Названия столбцов "
                              "должны быть как в шаблоне, который можно скачать на странице импорта"
                              + (" (класс можно выбрать на странице)." if "Класс" in missing else "."))

    # Every row padded to the header's width once: a line of 200,000 then costs plain indexing, no checks.
    width = max(cols.values()) + 1
    pad = [None] * width
    fields = ("student", "class_name", "subject", "date", "mark", "kind", "period", "weight")
    at = {key: cols.get(key, width) for key in fields}  # a missing column reads the pad's extra None
    pad.append(None)

    def cell(row, key):
        return row[at[key]]

    dates = {}
    kinds = {}
    padded = width + 1
    for r in range(header_index + 1, len(rows)):
        row = rows[r]
        if not r % PROGRESS_EVERY:
            parsed.tick(r)
        if not row:
            continue
        if len(row) < padded:
            row = row + pad[len(row):]
        mark = row[at["mark"]]
        if (mark is None or (isinstance(mark, str) and not mark.strip())) and not any(
                c is not None and (not isinstance(c, str) or c.strip()) for c in row):
            continue  # a blank line (a row with a name and no mark still comes through, to be reported)
        raw_kind = row[at["kind"]]
        kind = kinds.get(raw_kind, "?")
        if kind == "?":
            kind = kinds[raw_kind] = parse_kind(raw_kind)
        if kind is None:
            parsed.errors.add(where(sheet.name, r, cols["kind"]), f"вид отметки «{_show(cell(row, 'kind'))}» не "
                              "распознан", key="flat_kind", summary="вид отметки не распознан",
                              fix="пишите: текущая, четвертная, полугодовая, годовая, экзаменационная, итоговая")
            continue
        on, period = None, None
        raw_date = cell(row, "date")
        if kind == "current" or raw_date not in (None, ""):
            if raw_date in (None, ""):
                on = None
            else:
                on = dates.get(raw_date)
                if on is None:
                    on = dates[raw_date] = parse_date(raw_date, year)
            if on is None and kind == "current":
                parsed.errors.add(where(sheet.name, r, cols.get("date", cols["mark"])),
                                  f"дата «{_show(raw_date) if raw_date is not None else ''}» не распознана",
                                  key="flat_date", summary="даты не распознаны", fix="нужно ДД.ММ.ГГГГ")
                continue
        if kind == "term":
            raw_period = cell(row, "period")
            if raw_period not in (None, ""):
                label = period_label(raw_period, final_layout=True)
                if not label or label[0] != "term":
                    parsed.errors.add(where(sheet.name, r, cols["period"]), f"период «{_show(raw_period)}» не "
                                      "распознан", key="flat_period", summary="периоды не распознаны",
                                      fix="например «1 четверть» или «2 полугодие»")
                    continue
                period = label[1:]
            elif on is None:
                parsed.errors.add(where(sheet.name, r), "для отметки за период укажите «Период» или «Дату»",
                                  key="flat_no_period")
                continue
        parsed.entries.append(Entry(sheet.name, r, cols, row[at["student"]], row[at["class_name"]] or default_class,
                                    row[at["subject"]], kind, row[at["mark"]], on, period, row[at["weight"]], "row"))


def _day_number(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() and 1 <= value <= 31 else None
    text = str(value or "").strip()
    return int(text) if re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= 31 else None


def _grid_columns(sheet, rows, header_index, first_col, year, title_period, final_layout, parsed):
    """Classify the columns of a grid header: a date (current mark) or a period (term/year/exam/final).

    Dates come as ДД.ММ or full dates in the header, as day numbers under a row of month names, or (a pupil's report)
    as month names in the header itself with the day numbers on the row below. Returns (columns, first data row)."""
    header = rows[header_index]
    below = rows[header_index + 1] if header_index + 1 < len(rows) else []
    months_here = any(month_of(v) for v in header[first_col:] if isinstance(v, str))
    above = header if months_here else (rows[header_index - 1] if header_index > 0 else [])
    days_row = below if months_here else header
    columns = {}
    month = None
    width = max(len(header), len(days_row))
    for c in range(first_col, width):
        head = header[c] if c < len(header) else None
        if c < len(above) and isinstance(above[c], str) and month_of(above[c]):
            month = month_of(above[c])
        if months_here:
            day = _day_number(days_row[c]) if c < len(days_row) else None
            if day is not None and month:
                try:
                    columns[c] = ("current", year_date(year, month, day), None)
                except ValueError:
                    parsed.errors.add(where(sheet.name, header_index + 1, c), f"дня {day} нет в этом месяце",
                                      unit="cell")
                continue
            if head is None or not str(head).strip() or month_of(head):
                continue
            value = head
        else:
            value = head
            if value is None or not str(value).strip():
                continue
            on = parse_date(value, year)
            if on is None and month and _day_number(value) is not None:
                try:
                    on = year_date(year, month, _day_number(value))
                except ValueError:
                    parsed.errors.add(where(sheet.name, header_index, c), f"дня {_day_number(value)} нет в месяце "
                                      "над ним", fix="проверьте дату урока", unit="cell")
                    continue
            if on is not None:
                columns[c] = ("current", on, None)
                continue
        label = period_label(value, final_layout=final_layout)
        if label is None:
            parsed.errors.add(where(sheet.name, header_index, c), f"заголовок столбца «{_show(value)}» не распознан",
                              key=("header", norm(value)), fix="ожидается дата ДД.ММ или период: «1 четверть», "
                              "«Год», «Экзамен», «Итог»", unit="cell")
        elif label[0] == "term":
            columns[c] = ("term", None, label[1:])
        elif label[0] == "period_end":
            columns[c] = ("term", None, title_period)
        elif label[0] in ("year", "exam", "final"):
            columns[c] = (label[0], None, None)
    days = [spec[1] for spec in columns.values() if spec[0] == "current"]
    for c, spec in list(columns.items()):
        if spec[0] == "term" and spec[2] is None:
            if days:
                # No «Период:» line: the period is the one holding the journal's last lesson.
                columns[c] = ("term", None, ("date", max(days)))
            else:
                del columns[c]
                parsed.errors.add(where(sheet.name, header_index, c), f"столбец «{_show(header[c])}» — отметка за "
                                  "период, но период не указан над таблицей", fix="добавьте строку «Период: 1 "
                                  "четверть»", unit="cell")
    return columns, header_index + (2 if months_here else 1)


def _title_period(info, year):
    text = info.get("period")
    if not text:
        return None
    m = PERIOD_IN_TEXT.search(text)
    label = period_label(m.group(0) if m else text.split(",")[0], final_layout=True)
    if label and label[0] == "term":
        return label[1:]
    dates = re.findall(r"\d{1,2}\.\d{1,2}(?:\.\d{2,4})?", text)
    if dates:
        last = parse_date(dates[-1], year)
        if last:
            return ("date", last)  # resolved to the term containing this day
    return None


SKIP_ROWS = ("средн", "итого", "всего", "количество", "ср. балл", "ср.балл")


def _grid_rows(rows, start, name_col, columns, make_entry, parsed):
    for r in range(start, len(rows)):
        row = rows[r]
        name = row[name_col] if name_col < len(row) else None
        folded = norm(name)
        if not folded or folded.startswith(SKIP_ROWS):
            continue
        for c, spec in columns.items():
            if c < len(row) and row[c] is not None and str(row[c]).strip():
                parsed.entries.append(make_entry(r, c, " ".join(str(name).split()), spec, row[c]))


def _grid_covers(parsed, columns, class_name, subject, title_period, student=None):
    """What a sheet speaks for: its lesson days, its period columns — blank cells included, as they mean «none»."""
    days = [spec[1] for spec in columns.values() if spec[0] == "current"]
    if days:
        widen = title_period if title_period and title_period[0] != "date" else None
        parsed.covers.append(Cover(class_name, subject, "current", min(days), max(days), widen, student))
    for spec in columns.values():
        if spec[0] == "term" and spec[2] is not None:
            parsed.covers.append(Cover(class_name, subject, "term", period=spec[2], student=student))
        elif spec[0] in ("year", "exam", "final"):
            parsed.covers.append(Cover(class_name, subject, spec[0], student=student))


def _table_start(sheet, parsed, headers, missing):
    """(header row index, name column, title info) of a grid sheet; None, with the error noted, if not found."""
    header_index = _find_row(sheet.rows, lambda r: _name_col(r, headers) is not None)
    if header_index is None:
        parsed.errors.add(f"лист «{sheet.name}»", missing, unit="cell")
        return None
    return header_index, _name_col(sheet.rows[header_index], headers), _title_info(sheet.rows, header_index)


def _parse_journal(sheet, year, parsed, default_class=None):
    rows = sheet.rows
    start = _table_start(sheet, parsed, NAME_HEADERS,
                         "не найдена строка заголовков со столбцом «Ученик» (ФИО) и датами")
    if start is None:
        return
    header_index, name_col, info = start
    subject = info.get("subject") or _sheet_subject(sheet.name)
    class_name = _sheet_class_or_error(sheet, info, default_class, parsed)
    if not class_name:
        return
    period = _title_period(info, year)
    columns, data_start = _grid_columns(sheet, rows, header_index, name_col + 1, year, period, False, parsed)

    def entry(r, c, name, spec, value):
        kind, on, period_ = spec
        return Entry(sheet=sheet.name, row=r, cols={"mark": c}, student=name, class_name=class_name,
                     subject=subject, kind=kind, value=value, on=on, period=period_)

    _grid_rows(rows, data_start, name_col, columns, entry, parsed)
    _grid_covers(parsed, columns, class_name, subject, period)


def _parse_report(sheet, year, parsed, default_class=None):
    rows = sheet.rows
    start = _table_start(sheet, parsed, SUBJECT_HEADERS, "не найдена строка заголовков со столбцом «Предмет»")
    if start is None:
        return
    header_index, name_col, info = start
    student = info.get("student")
    if not student:
        parsed.errors.add(f"лист «{sheet.name}»", "над таблицей нет строки «Ученик: ФИО»", unit="cell")
        return
    class_name = _sheet_class_or_error(sheet, info, default_class, parsed)
    if not class_name:
        return
    period = _title_period(info, year)
    columns, data_start = _grid_columns(sheet, rows, header_index, name_col + 1, year, period, False, parsed)

    def entry(r, c, subject, spec, value):
        kind, on, period_ = spec
        return Entry(sheet=sheet.name, row=r, cols={"mark": c}, student=student, class_name=class_name,
                     subject=subject, kind=kind, value=value, on=on, period=period_)

    _grid_rows(rows, data_start, name_col, columns, entry, parsed)
    for r in range(data_start, len(rows)):
        subject = rows[r][name_col] if name_col < len(rows[r]) else None
        if norm(subject) and not norm(subject).startswith(SKIP_ROWS):
            _grid_covers(parsed, columns, class_name, " ".join(str(subject).split()), period, student=student)


def _final_spec(label):
    if label[0] == "term":
        return ("term", None, label[1:])
    return (label[0], None, None)


def _parse_final(sheet, year, parsed, default_class=None):
    rows = sheet.rows
    long_header = _find_row(rows, _is_final_long_header)
    if long_header is not None:
        return _parse_final_long(sheet, rows, long_header, parsed, default_class)
    start = _table_start(sheet, parsed, NAME_HEADERS, "не найдена строка заголовков со столбцом «Ученик» (ФИО)")
    if start is None:
        return
    header_index, name_col, info = start
    class_name = _sheet_class_or_error(sheet, info, default_class, parsed)
    if not class_name:
        return
    header = rows[header_index]
    labels = [period_label(v, final_layout=True) for v in header[name_col + 1:] if v is not None]
    single = labels and all(label is not None for label in labels)
    columns = {}
    if single:
        # One subject: its name above the table (or the sheet's name), periods in the header row.
        subject = info.get("subject") or _sheet_subject(sheet.name)
        for c in range(name_col + 1, len(header)):
            label = period_label(header[c], final_layout=True)
            if label and label[0] != "ignore":
                columns[c] = (subject, label)
        start = header_index + 1
    else:
        # Subjects in the header row (merged over their period columns), periods in the row below.
        periods = rows[header_index + 1] if header_index + 1 < len(rows) else []
        subject = None
        for c in range(name_col + 1, max(len(header), len(periods))):
            if c < len(header) and header[c] is not None and str(header[c]).strip():
                subject = " ".join(str(header[c]).split())
            value = periods[c] if c < len(periods) else None
            if value is None or not str(value).strip():
                continue
            label = period_label(value, final_layout=True)
            if label is None:
                parsed.errors.add(where(sheet.name, header_index + 1, c), f"период «{_show(value)}» не распознан",
                                  fix="ожидается «1 четв.», «I», «1 полугодие», «Год», «Экзамен», «Итог»",
                                  unit="cell")
            elif label[0] != "ignore" and subject:
                columns[c] = (subject, label)
        start = header_index + 2
    specs = {c: (subject, _final_spec(label)) for c, (subject, label) in columns.items()}

    def entry(r, c, name, spec, value):
        return Entry(sheet=sheet.name, row=r, cols={"mark": c}, student=name, class_name=class_name,
                     subject=specs[c][0], kind=spec[0], value=value, on=spec[1], period=spec[2])

    _grid_rows(rows, start, name_col, {c: spec for c, (s, spec) in specs.items()}, entry, parsed)
    for subject, spec in specs.values():
        _grid_covers(parsed, {0: spec}, class_name, subject, None)


def _parse_final_long(sheet, rows, header_index, parsed, default_class):
    """One row per pupil × subject, a column per period; the class from a «Класс» column, the title or the page."""
    header = [norm(c) for c in rows[header_index]]
    name_col = next(i for i, h in enumerate(header) if h in NAME_HEADERS)
    subject_col = next(i for i, h in enumerate(header) if h in SUBJECT_HEADERS)
    class_col = next((i for i, h in enumerate(header) if h == "класс"), None)
    columns = {}
    for c, h in enumerate(header):
        if c in (name_col, subject_col, class_col):
            continue
        label = period_label(h, final_layout=True)
        if label and label[0] in ("term", "year", "exam", "final"):
            columns[c] = _final_spec(label)
    info = _title_info(rows, header_index)
    sheet_class = info.get("class_name") or _sheet_class(sheet.name) or default_class
    seen = set()
    for r in range(header_index + 1, len(rows)):
        row = rows[r]
        name = row[name_col] if name_col < len(row) else None
        subject = row[subject_col] if subject_col < len(row) else None
        if not norm(name) or norm(name).startswith(SKIP_ROWS) or not norm(subject):
            continue
        class_name = (row[class_col] if class_col is not None and class_col < len(row) else None) or sheet_class
        if not class_name:
            parsed.errors.add(where(sheet.name, r), NO_CLASS[0], key="no_class", fix=NO_CLASS[1])
            continue
        name, subject = " ".join(str(name).split()), " ".join(str(subject).split())
        cols = {"student": name_col, "subject": subject_col, "class_name": class_col}
        for c, spec in columns.items():
            if c < len(row) and row[c] is not None and str(row[c]).strip():
                parsed.entries.append(Entry(sheet=sheet.name, row=r, cols={**cols, "mark": c}, student=name,
                                            class_name=class_name, subject=subject, kind=spec[0], value=row[c],
                                            on=spec[1], period=spec[2]))
        if (str(class_name), subject) not in seen:
            seen.add((str(class_name), subject))
            _grid_covers(parsed, columns, str(class_name), subject, None)


# --- matching names and planning the import ----------------------------------------------------------

def _student_keys(student):
    last, first, middle = norm(student.last_name), norm(student.first_name), norm(student.middle_name)
    keys = {f"{last} {first}"}
    if middle:
        keys.add(f"{last} {first} {middle}")
    return keys


@dataclass(frozen=True)
class _Named:
    id: int
    name: str


class _Lookup:
    """Every name the file may mention, loaded once: no query per row."""

    def __init__(self, session, year):
        self.year = year
        self.starts_on, self.ends_on, self.name = year.starts_on, year.ends_on, year.name
        self.classes = {norm_class(c.name): _Named(c.id, c.name) for c in session.scalars(
            select(SchoolClass).where(SchoolClass.academic_year_id == year.id))}
        self.class_names = {c.id: c.name for c in self.classes.values()}
        self.students = defaultdict(list)
        self.student_names = {}
        class_ids = [c.id for c in self.classes.values()]
        if class_ids:
            for student in session.scalars(select(Student).where(Student.school_class_id.in_(class_ids))):
                self.student_names[student.id] = " ".join(
                    p for p in (student.last_name, student.first_name, student.middle_name) if p)
                for key in _student_keys(student):
                    self.students[(student.school_class_id, key)].append(student.id)
        self.subjects = {}
        self.subject_names = {}
        for subject in session.scalars(select(Subject)):
            named = _Named(subject.id, subject.name)
            self.subject_names[subject.id] = subject.name
            self.subjects.setdefault(norm(subject.name), named)
            if subject.short_name:
                self.subjects.setdefault(norm(subject.short_name), named)
        self.terms = list(session.scalars(select(Term).where(Term.academic_year_id == year.id)
                                          .order_by(Term.kind.desc(), Term.number)))  # quarters before halves
        self._days = {}
        self._day_ids = {}
        self.resolved = {}

    def term(self, period):
        if period[0] == "date":
            return next((t for t in self.terms if t.starts_on <= period[1] <= t.ends_on), None)
        kind, number = period
        for term in self.terms:
            if term.number == number and (kind is None or term.kind == kind):
                return term
        return None

    def term_of_day(self, day):
        if day not in self._days:
            self._days[day] = next((t for t in self.terms if t.starts_on <= day <= t.ends_on), None)
        return self._days[day]

    def fingerprint(self, allowed_class_ids):
        """A digest of every name and period a file's rows are matched against, and of the user's own classes."""
        state = (self.starts_on, self.ends_on,
                 sorted((key, named.id) for key, named in self.classes.items()),
                 sorted((key, sorted(ids)) for key, ids in self.students.items()),
                 sorted((key, named.id) for key, named in self.subjects.items()),
                 [(t.id, t.kind, t.number, t.starts_on, t.ends_on) for t in self.terms],
                 None if allowed_class_ids is None else sorted(allowed_class_ids))
        return hashlib.sha256(repr(state).encode()).hexdigest()

    def term_id_of_day(self, day):
        """The id of term_of_day(day), or None: asked for every current mark, so kept without the ORM in between."""
        found = self._day_ids.get(day, 0)
        if found == 0:
            term = self.term_of_day(day)
            found = self._day_ids[day] = term.id if term is not None else None
        return found


def _period_name(period):
    if period[0] == "date":
        return f"период, включающий {period[1]:%d.%m.%Y}"
    kind, number = period
    return f"{number} {TERM_KINDS.get(kind or 'quarter')}"


def _show(value):
    """A cell as the user typed it: 4.0 read from Excel is «4»."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y}"
    return "" if value is None else str(value).strip()


PROGRESS_EVERY = 5000  # entries between two progress reports: often enough for a bar, rare enough to cost nothing


def _no_progress(stage, done, total):
    pass


PLAN_FIELDS = ("student_id", "subject_id", "school_class_id", "kind", "marked_on", "slot", "term_id", "value", "code",
               "weight")
_PLAN_KEY = itemgetter(0, 1, 3, 4, 5)  # a planned row's slot: student, subject, kind, day, slot


@dataclass
class Plan:
    """What a check decided — the rows the file stands for and what it covers — kept for the confirmation.

    Reading and matching a 200,000-line file again would cost seconds; the plan is reused only if every name it was
    matched against (classes, pupils, subjects, periods of the year, the user's own classes) is as it was, else the
    file is read again. The marks already in the database are always compared anew."""

    layout: str
    year_id: int
    names: str  # Lookup.fingerprint() at the check
    columns: list  # the planned rows, one list per PLAN_FIELDS (lists pickle far faster than 200,000 dicts)
    covered: dict
    summary: list

    @classmethod
    def of(cls, layout, year, names, planned, covered, summary):
        # In the order of the unique key: the confirmation then inserts along its index (a quarter less work for
        # SQLite than a file's day-by-day order).
        rows = list(map(planned.__getitem__, sorted(planned)))
        return cls(layout, year.id, names, [list(map(itemgetter(name), rows)) for name in PLAN_FIELDS],
                   dict(covered), summary)

    def planned(self):
        values = list(zip(*self.columns))
        return dict(zip(map(_PLAN_KEY, values), map(dict, map(partial(zip, PLAN_FIELDS), values))))


def _reuse_plan(session, plan, allowed_class_ids, progress):
    """The preview of a kept plan against the database as it is now; None if a name has changed since."""
    year = session.get(AcademicYear, plan.year_id)
    if year is None:
        return None
    look = _Lookup(session, year)
    if look.fingerprint(allowed_class_ids) != plan.names:
        return None
    preview = Preview(layout=plan.layout, year=year)
    planned = plan.planned()
    progress("compare", 0, len(planned))
    _compare_with_database(session, look, planned, plan.covered, preview)
    preview.summary = plan.summary
    return preview


def read_file(session, data, filename, year, *, layout=None, school_class=None, progress=None):
    """The file's marks by name, before any database lookup: (layout, Parsed, year), or a Preview with the error."""
    sheets = read_sheets(data, filename)
    named = file_year_name(sheets)
    if named and named != year.name:
        other = session.scalar(select(AcademicYear).where(AcademicYear.name == named))
        if other is None:
            preview = Preview(layout=layout or detect_layout(sheets), year=year)
            preview.errors.append(f"В заголовке файла указан {named} учебный год, а его нет в панели: добавьте год "
                                  "в разделе «Учебные годы» или исправьте заголовок.")
            return preview
        year = other
    default_class = school_class.name if school_class is not None else None
    layout, parsed = parse_sheets(sheets, year, layout, default_class, progress)
    return layout, parsed, year


def prepare_import(session, data, filename, year, *, allowed_class_ids=None, layout=None, progress=None,
                   school_class=None, today=None, plan=None):
    """Read and check a file without changing anything: a Preview with errors, warnings, counts and the rows to
    add, change and remove.

    `school_class` (chosen on the page) stands in where the file does not say the class; the year named in the
    file's title wins over `year`. `plan` is the Plan a check of the same file and choices kept (`preview.plan`):
    used instead of reading the file again while the names it was matched against are unchanged.
    `progress(stage, done, total)` is told how far it got: stage "read" (the file opened), "parse" (rows of its
    sheets), "check" (entries) or "compare".
    """
    progress = progress or _no_progress
    if plan is not None:
        preview = _reuse_plan(session, plan, allowed_class_ids, progress)
        if preview is not None:
            return preview
    progress("read", 0, 0)
    parsed = read_file(session, data, filename, year, layout=layout, school_class=school_class, progress=progress)
    if isinstance(parsed, Preview):
        return parsed
    layout, parsed, year = parsed
    preview = Preview(layout=layout, year=year)
    if not parsed.entries and not parsed.covers and not parsed.errors:
        preview.errors.append("В файле не найдено ни одной отметки.")
        return preview
    look = _Lookup(session, year)
    problems, warnings = Problems(), Problems()
    problems.items = parsed.errors.items
    planned = _Planned()
    summary = Counter()
    total = len(parsed.entries)
    today = today or date.today()
    for index, entry in enumerate(parsed.entries):
        if index % PROGRESS_EVERY == 0:
            progress("check", index, total)
        problem = _plan_entry(entry, look, allowed_class_ids, planned, summary)
        if problem:
            field_, text, options = problem
            problems.add(entry.where(field_), text, unit=entry.unit, **options)
        elif entry.kind == "current":
            _warn_about_day(entry, look, today, warnings)
    progress("check", total, total)
    preview.warnings = warnings.lines()
    covered = (_resolve_covers(parsed.covers, look, allowed_class_ids, problems) if layout != "flat"
               else _flat_covers(planned))
    if problems:
        preview.errors = problems.lines()
        return preview
    progress("compare", 0, total)
    _compare_with_database(session, look, planned, covered, preview)
    preview.summary = sorted((c, s, n) for (c, s), n in summary.items())
    preview.plan = Plan.of(layout, year, look.fingerprint(allowed_class_ids), planned, covered, preview.summary)
    return preview


def _warn_about_day(entry, look, today, warnings):
    if entry.on > today:
        warnings.add(entry.where("date"), f"отметка на {entry.on:%d.%m.%Y} — позже сегодняшнего дня",
                     key="future", summary="отметки на даты позже сегодняшнего дня",
                     fix="проверьте даты в журнале", unit=entry.unit)
    elif look.terms and look.term_of_day(entry.on) is None:
        warnings.add(entry.where("date"), f"{entry.on:%d.%m.%Y} — вне учебных периодов (каникулы?)",
                     key="no_term_day", summary="отметки на даты вне учебных периодов (каникулы?)",
                     fix="проверьте даты или «Учебные периоды»", unit=entry.unit)


def _resolve_names(look, allowed_class_ids, class_name, student, subject_name):
    """(class, student id, subject) or (None, the field at fault, the text, grouping options); cached per triple,
    since a large export repeats each pupil and subject on thousands of lines."""
    key = (class_name, student, subject_name)
    found = look.resolved.get(key)
    if found is not None:
        return found
    school_class = look.classes.get(norm_class(class_name))
    if school_class is None:
        text = f"класса «{_show(class_name)}» нет в {look.name} учебном году"
        found = (None, "class_name", text, {"key": ("class", norm_class(class_name)),
                                            "fix": "проверьте учебный год или добавьте класс"})
    elif allowed_class_ids is not None and school_class.id not in allowed_class_ids:
        found = (None, "class_name", f"класс {school_class.name} не ваш", {
            "key": ("not_yours", school_class.id),
            "fix": "классный руководитель загружает отметки только своего класса"})
    else:
        ids = look.students.get((school_class.id, norm(student)), [])
        subject = look.subjects.get(norm(subject_name))
        if not ids:
            found = (None, "student", f"обучающийся «{_show(student)}» не найден в классе {school_class.name}", {
                "key": ("student", school_class.id, norm(student)),
                "fix": "проверьте ФИО или добавьте обучающегося в класс"})
        elif len(set(ids)) > 1:
            found = (None, "student", (f"в классе {school_class.name} несколько обучающихся «{student}»: укажите "
                                       "ФИО полностью (с отчеством)"),
                     {"key": ("twins", school_class.id, norm(student))})
        elif subject is None:
            found = (None, "subject", f"предмет «{_show(subject_name)}» не найден в справочнике предметов", {
                "key": ("subject", norm(subject_name)),
                "fix": "добавьте его в справочник «Предметы» или исправьте название"})
        else:
            found = (school_class, ids[0], subject)
    look.resolved[key] = found
    return found


# Cells repeat («5», «4», «н»): each distinct one is parsed once. The result is only read, never changed.
_parse_cell = lru_cache(maxsize=4096)(parse_cell)


def _out_of_year(look):
    return {"key": "year_range", "summary": f"даты вне учебного года {look.name} "
            f"({look.starts_on:%d.%m.%Y} — {look.ends_on:%d.%m.%Y})", "fix": "выберите год"}


def _plan_entry(entry, look, allowed_class_ids, planned, summary):
    """None, or (the field at fault, the Russian text, grouping options) for one entry."""
    found = _resolve_names(look, allowed_class_ids, entry.class_name, entry.student, entry.subject)
    if found[0] is None:
        return found[1:]
    school_class, student_id, subject = found
    try:
        parts, error = _parse_cell(entry.value)
    except TypeError:  # an unhashable cell value, should a reader ever give one
        parts, error = parse_cell(entry.value)
    if error:
        return "mark", error, {}
    weight = 1
    if entry.weight not in (None, ""):
        try:
            weight = float(str(entry.weight).replace(",", "."))
        except ValueError:
            weight = None
        if weight is None or not 0 < weight <= 10:
            return "weight", f"вес «{_show(entry.weight)}» — нужно число от 0,1 до 10", {"key": "weight"}
    term_id = None
    kind = entry.kind
    if kind == "current":
        on = entry.on
        if not look.starts_on <= on <= look.ends_on:
            return "date", (f"дата {on:%d.%m.%Y} вне {look.name} учебного года "
                            f"({look.starts_on:%d.%m.%Y} — {look.ends_on:%d.%m.%Y})"), _out_of_year(look)
        term_id = look.term_id_of_day(on)
    elif kind == "term":
        period = entry.period or ("date", entry.on)
        if period[0] == "date" and not look.starts_on <= period[1] <= look.ends_on:
            return "date", f"дата {period[1]:%d.%m.%Y} вне {look.name} учебного года", _out_of_year(look)
        term = look.term(period)
        if term is None:
            return "period", f"в {look.name} учебном году нет периода «{_period_name(period)}»", {
                "key": ("term", period), "fix": "добавьте его в разделе «Учебные периоды»"}
        on, term_id = term.ends_on, term.id
    else:
        on = look.ends_on  # year, exam and final marks belong to the year as a whole
    subject_id = subject.id
    for slot, (value, code) in enumerate(parts):
        key = (student_id, subject_id, kind, on, slot)
        if key in planned:
            return "mark", f"повтор: эта отметка уже есть ({planned.sources[key].where()})", {
                "key": "duplicate", "summary": "повторы: та же отметка в файле дважды",
                "fix": "оставьте одну"}
        planned[key] = {"student_id": student_id, "subject_id": subject_id, "school_class_id": school_class.id,
                        "kind": kind, "marked_on": on, "slot": slot, "term_id": term_id, "value": value,
                        "code": code, "weight": weight}
        planned.sources[key] = entry
        summary[(school_class.name, subject.name)] += 1
    return None


class _Planned(dict):
    """Rows to write by their slot key, and (in `sources`) the entry each came from, for messages."""

    def __init__(self):
        super().__init__()
        self.sources = {}


def _resolve_covers(covers, look, allowed_class_ids, problems):
    """Covers by name -> {(class id, subject id, kind): [(first day, last day, student id or None)]}."""
    covered = defaultdict(set)
    for cover in covers:
        school_class = look.classes.get(norm_class(cover.class_name))
        subject = look.subjects.get(norm(cover.subject))
        if school_class is None or subject is None:
            # The sheet's marks say so already; a sheet of blank cells must say it too, or «no changes» would hide it.
            if school_class is None:
                key, text = ("class", norm_class(cover.class_name)), (f"класса «{_show(cover.class_name)}» нет в "
                                                                      f"{look.name} учебном году")
                fix = "проверьте учебный год или добавьте класс"
            else:
                key, text = ("subject", norm(cover.subject)), (f"предмет «{_show(cover.subject)}» не найден в "
                                                               "справочнике предметов")
                fix = "добавьте его в справочник «Предметы» или исправьте название"
            if not any(item[0] == key for item in problems.items):
                problems.add(None, text, key=key, fix=fix, unit="cell")
            continue
        if allowed_class_ids is not None and school_class.id not in allowed_class_ids:
            # Even a sheet of blank cells would remove that class's marks: refused like any of its marks.
            problems.add(None, f"класс {school_class.name} не ваш", key=("not_yours", school_class.id),
                         fix="классный руководитель загружает отметки только своего класса", unit="cell")
            continue
        student_id = None
        if cover.student:
            ids = set(look.students.get((school_class.id, norm(cover.student)), []))
            if len(ids) != 1:
                continue
            student_id = ids.pop()
        if cover.kind == "current":
            first, last = cover.first, cover.last
            term = look.term(cover.period) if cover.period else None
            if term is not None:
                first, last = min(first, term.starts_on), max(last, term.ends_on)
            first, last = max(first, look.starts_on), min(last, look.ends_on)
            if first > last:
                continue
        elif cover.kind == "term":
            term = look.term(cover.period)
            if term is None:
                continue
            first = last = term.ends_on
        else:
            first = last = look.ends_on
        covered[(school_class.id, subject.id, cover.kind)].add((first, last, student_id))
    return covered


def _flat_covers(planned):
    """A flat file speaks for each class × subject from its first to its last day, and for the periods it has."""
    spans = {}
    covered = defaultdict(set)
    for row in planned.values():
        key = (row["school_class_id"], row["subject_id"], row["kind"])
        on = row["marked_on"]
        if row["kind"] != "current":
            covered[key].add((on, on, None))
            continue
        span = spans.get(key)
        if span is None:
            spans[key] = [on, on]
        elif on < span[0]:
            span[0] = on
        elif on > span[1]:
            span[1] = on
    for key, (first, last) in spans.items():
        covered[key].add((first, last, None))
    return covered


def _mark_text(value, code):
    return str(value) if value is not None else (code or "")


def _shown(look, row, kind, old=None, new=None):
    return {"student": look.student_names.get(row["student_id"], ""),
            "class_name": look.class_names.get(row["school_class_id"], ""),
            "subject": look.subject_names.get(row["subject_id"], ""), "kind": MARK_KINDS.get(kind, kind),
            "on": row["marked_on"], "slot": row["slot"], "old": old, "new": new}


_OLD_KEY = itemgetter(1, 2, 4, 5, 6)  # an existing row's slot, as _PLAN_KEY: student, subject, kind, day, slot


def _compare_with_database(session, look, planned, covered, preview):
    table = Mark.__table__
    subject_ids = sorted({key[1] for key in planned} | {key[1] for key in covered})
    days = [key[3] for key in planned] + [d for spans in covered.values() for span in spans for d in span[:2]]
    if not days:
        return
    first_day, last_day = max(look.starts_on, min(days)), min(look.ends_on, max(days))
    columns = (table.c.id, table.c.student_id, table.c.subject_id, table.c.school_class_id, table.c.kind,
               table.c.marked_on, table.c.slot, table.c.value, table.c.code, table.c.weight)
    span = (table.c.subject_id.in_(subject_ids), table.c.marked_on >= first_day, table.c.marked_on <= last_day)
    found = []
    # Only the file's subjects and days can collide or be removed: reading the students' whole year instead cost
    # 330,000 rows (10 s) for a week of marks of a large school. By class for the marks the file speaks for, then by
    # student the marks to add may collide with under another class (a pupil who moved class keeps marks under the
    # old one) — not the covered classes' rows a second time: a re-import of 200,000 lines read each row twice.
    class_ids = sorted({key[0] for key in covered})
    for start in range(0, len(class_ids), 500):
        found += session.execute(select(*columns).where(table.c.school_class_id.in_(class_ids[start:start + 500]),
                                                        *span)).all()
    student_ids = sorted({key[0] for key in planned})
    other_class = [table.c.school_class_id.not_in(class_ids)] if class_ids and len(class_ids) <= 500 else []
    seen = {row[0] for row in found} if not other_class else ()
    for start in range(0, len(student_ids), 500):
        rows = session.execute(select(*columns).where(table.c.student_id.in_(student_ids[start:start + 500]),
                                                      *span, *other_class)).all()
        found += [row for row in rows if row[0] not in seen] if seen else rows
    existing = dict(zip(map(_OLD_KEY, found), found))
    matched = set()
    inserts, shown = preview.inserts, preview.shown
    for key, row in planned.items():
        old = existing.get(key)
        if row["code"] is not None:
            preview.codes += 1
        if old is None:
            inserts.append(row)
            if len(shown["add"]) < LIST_SHOWN:
                shown["add"].append(_shown(look, row, row["kind"], new=_mark_text(row["value"], row["code"])))
            continue
        matched.add(old[0])
        if old[7] != row["value"] or old[8] != row["code"] or float(old[9]) != float(row["weight"]):
            preview.updates.append({"b_id": old[0], "b_value": row["value"], "b_code": row["code"],
                                    "b_weight": row["weight"]})
            if len(shown["change"]) < LIST_SHOWN:
                shown["change"].append(_shown(look, row, row["kind"], old=_mark_text(old[7], old[8]),
                                              new=_mark_text(row["value"], row["code"])))
        else:
            preview.unchanged += 1
    left = [row for row in found if row[0] not in matched]
    left.sort(key=itemgetter(3, 2, 5, 1))  # class, subject, day, pupil
    for old_id, student_id, subject_id, class_id, kind, on, slot, value, code, _weight in left:
        spans = covered.get((class_id, subject_id, kind), ())
        if any(first <= on <= last and student in (None, student_id) for first, last, student in spans):
            preview.removes.append(old_id)
            if len(shown["remove"]) < LIST_SHOWN:
                shown["remove"].append(_shown(look, {"student_id": student_id, "school_class_id": class_id,
                                                     "subject_id": subject_id, "marked_on": on, "slot": slot}, kind,
                                              old=_mark_text(value, code)))


def store_upload(directory, data, filename):
    """Keep the uploaded bytes under a generated name (secure_filename would strip a Cyrillic name)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename or "").suffix.lower()
    suffix = suffix if suffix in (".xlsx", ".xls", ".csv") else ".bin"
    stored = f"{uuid.uuid4().hex}{suffix}"
    (directory / stored).write_bytes(data)
    return stored


def apply_import(session, data, *, original_name, stored_name, year, user_id=None, allowed_class_ids=None,
                 layout=None, progress=None, school_class=None, plan=None):
    """Check the file again and make the database say what it says, or change nothing: raise ImportFileError if
    anything is wrong.

    Adds the new marks, changes the corrected ones and removes those of the covered class × subject × period that
    the file no longer has. Returns the MarkImport row, or None when the file changes nothing. All of it runs in the
    caller's transaction; the batch row is what the audit log records.
    """
    progress = progress or _no_progress
    preview = prepare_import(session, data, original_name, year, allowed_class_ids=allowed_class_ids, layout=layout,
                             progress=progress, school_class=school_class, plan=plan)
    if preview.errors:
        raise ImportFileError(f"В файле есть ошибки ({len(preview.errors)}); ничего не загружено.")
    if not preview.changes:
        return None
    batch = MarkImport(user_id=user_id, academic_year_id=preview.year.id, original_name=(original_name or "")[:255],
                       stored_name=stored_name, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                       layout=preview.layout, added_count=len(preview.inserts), updated_count=len(preview.updates),
                       removed_count=len(preview.removes))
    session.add(batch)
    session.flush()
    batch_id = batch.id
    table = Mark.__table__
    total = len(preview.inserts) + len(preview.updates) + len(preview.removes)
    if preview.removes:
        # First, so a slot freed by a removal («3/4» corrected to «4») never collides with an insert.
        for start in range(0, len(preview.removes), 500):
            session.execute(delete(table).where(table.c.id.in_(preview.removes[start:start + 500])))
    if preview.inserts:
        for row in preview.inserts:
            row["import_id"] = batch_id
        # In chunks only so the page can show how far the writing got; still one transaction.
        # psycopg sends an executemany as one INSERT per row (10,000 marks: 1.3 s); COPY streams them (0.5 s). A
        # multi-row VALUES insert was slower still: SQLAlchemy compiles every row's parameters.
        # On SQLite, SQLAlchemy's per-row parameter processing cost as much as the inserts themselves (200,000
        # marks: 4 s of 10), so the rows go to the driver's executemany as plain tuples, in the same transaction.
        for start in range(0, len(preview.inserts), PROGRESS_EVERY * 2):
            progress("write", len(preview.removes) + start, total)
            insert_marks(session, preview.inserts[start:start + PROGRESS_EVERY * 2])
    if preview.updates:
        progress("write", len(preview.removes) + len(preview.inserts), total)
        for row in preview.updates:
            row["b_import"] = batch_id
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            value=bindparam("b_value"), code=bindparam("b_code"), weight=bindparam("b_weight"),
            import_id=bindparam("b_import")), preview.updates)
    session.flush()
    progress("write", total, total)
    return batch


def insert_marks(session, rows):
    """Write new marks (dicts with the same keys) the fast way of each database, in the session's transaction.

    On PostgreSQL one COPY is one statement, so the statement triggers keeping mark_day_total run once for all the
    rows; an executemany would fire them once per mark (5,000 marks: 0.7 s → 1.8 s).
    """
    if not rows:
        return
    table = Mark.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _copy_rows(session, table, rows)
    elif dialect == "sqlite":
        _sqlite_rows(session, table, rows)
    else:
        session.execute(insert(table), rows)


def _copy_rows(session, table, rows):
    """Write `rows` (dicts with the same keys) into `table` by PostgreSQL's COPY, in the session's transaction."""
    columns = list(rows[0])
    connection = session.connection().connection.dbapi_connection
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])


def _sqlite_rows(session, table, rows):
    """Write `rows` into `table` by sqlite3's executemany, dates as SQLAlchemy stores them (ISO text)."""
    columns = list(rows[0])
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    # Only marked_on is a date: each distinct day is formatted once (a year has some 200 of them).
    at = columns.index("marked_on")
    days = {}
    values = []
    for row in rows:
        row = list(row.values())
        day = row[at]
        text = days.get(day)
        if text is None:
            text = days[day] = day.isoformat()
        row[at] = text
        values.append(row)
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()


def flat_template_xlsx():
    """The documented flat template: one header row, to be filled with one mark per row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Отметки"
    sheet.append(list(FLAT_HEADERS))
    for index, width in enumerate((34, 8, 24, 12, 10, 16, 16, 6)):
        sheet.column_dimensions[col_letter(index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""Reading e-journal exports (XLSX, XLS, CSV) in several layouts, and the all-or-nothing import of their marks."""
import csv
import hashlib
import io
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update

from .marks import IMPORT_LAYOUTS, Mark, MarkImport, parse_cell
from .people import SchoolClass, Student, Subject, Term, TERM_KINDS
from .errors import DomainError

MAX_ERRORS_SHOWN = 200
FLAT_HEADERS = ("Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид", "Период", "Вес")


class ImportFileError(DomainError):
    """The file as a whole cannot be read; the message is Russian and shown to the user."""


@dataclass
class Sheet:
    name: str
    rows: list


@dataclass
class Entry:
    """One cell of marks as found in the file, before names are matched to the database."""

    where: str
    student: str
    class_name: str
    subject: str
    kind: str  # current | term | year | exam | final
    value: object
    on: date | None = None
    period: tuple | None = None  # (term kind or None, number)
    weight: object = None


@dataclass
class Preview:
    layout: str
    errors: list = field(default_factory=list)
    inserts: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    unchanged: int = 0
    codes: int = 0
    summary: list = field(default_factory=list)  # (class name, subject name, number of marks)

    @property
    def layout_name(self):
        return IMPORT_LAYOUTS.get(self.layout, self.layout)

    @property
    def ok(self):
        return not self.errors


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
            sheets.append(Sheet(name, [_trim([None if v == "" else v for v in row]) for row in rows]))
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


def _read_csv(data):
    if b"\x00" in data[:4096]:
        raise ImportFileError("Неизвестная кодировка или не текстовый файл. Сохраните CSV в кодировке UTF-8 "
                              "или Windows-1251.")
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1251")
            except UnicodeDecodeError as exc:
                raise ImportFileError("Неизвестная кодировка файла. Сохраните CSV в кодировке UTF-8 "
                                      "или Windows-1251.") from exc
            # Another Cyrillic code page decoded as 1251 shows up as a run of rare symbols.
            rare = sum(1 for ch in text if "\u0402" <= ch <= "\u040f" or "\u0452" <= ch <= "\u045f" or ch in "‚„…†‡€‰‹›")
            if rare > max(3, len(text) // 50):
                raise ImportFileError("Неизвестная кодировка файла. Сохраните CSV в кодировке UTF-8 "
                                      "или Windows-1251.")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
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
}
NAME_HEADERS = {"ученик", "фио", "обучающийся", "фио обучающегося", "фио ученика", "учащийся", "фамилия, имя",
                "фамилия имя", "фамилия имя отчество", "фамилия, имя, отчество", "ученики"}
FLAT_NAMES = {
    "student": NAME_HEADERS,
    "class_name": {"класс"},
    "subject": {"предмет", "учебный предмет"},
    "date": {"дата", "дата отметки", "дата урока"},
    "mark": {"отметка", "оценка"},
    "kind": {"вид", "вид отметки", "тип отметки"},
    "period": {"период", "учебный период", "четверть"},
    "weight": {"вес", "вес отметки"},
}
FLAT_REQUIRED = ("student", "class_name", "subject", "mark")


def _title_info(rows, upto):
    """Key-value lines above a table: «Предмет: Алгебра», «Класс: 9А», or a key and its value in the next cell."""
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
    if "class_name" in info:
        m = re.match(r"(\d{1,2})\s*[-\s]?\s*([А-ЯЁа-яёA-Za-z])", info["class_name"])
        info["class_name"] = (m.group(1) + m.group(2)) if m else info["class_name"]
    info["_text"] = norm(" ".join(text_parts))
    return info


def _find_row(rows, predicate, limit=30):
    for index, row in enumerate(rows[:limit]):
        if predicate(row):
            return index
    return None


def _is_flat_header(row):
    names = {norm(c) for c in row if c is not None}
    hits = sum(1 for variants in FLAT_NAMES.values() if names & variants)
    return hits >= 3


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
        if "отчет об успеваемости" in head_text:
            return "student_report"
        if "итоговые отметки" in head_text:
            return "final_marks"
        if _find_row(rows, _is_flat_header, 10) is not None:
            return "flat"
        if _find_row(rows, lambda r: _name_col(r, NAME_HEADERS) is not None) is not None:
            return "journal"
        return None
    return None


class Parsed:
    def __init__(self):
        self.entries = []
        self.errors = []


def parse_sheets(sheets, year, layout=None):
    """Sheets -> (layout, Parsed). Raise ImportFileError when the layout is unknown or columns are missing."""
    layout = layout or detect_layout(sheets)
    if layout is None:
        raise ImportFileError(
            "Не удалось распознать формат файла. Ожидается шаблон панели (столбцы «Ученик», «Класс», «Предмет», "
            "«Дата», «Отметка», «Вид»), журнал класса по предмету, отчёт об успеваемости ученика или итоговые "
            "отметки — см. описание форматов на странице импорта.")
    parsed = Parsed()
    reader = {"flat": _parse_flat, "journal": _parse_journal, "student_report": _parse_report,
              "final_marks": _parse_final}[layout]
    for sheet in sheets:
        if any(sheet.rows):
            reader(sheet, year, parsed)
    return layout, parsed


def _parse_flat(sheet, year, parsed):
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
    if "date" not in cols and "period" not in cols:
        missing.append(labels["date"])
    if missing:
        raise ImportFileError(f"На листе «{sheet.name}» нет столбцов: «{'», «'.join(missing)}». Названия столбцов "
                              "должны быть как в шаблоне, который можно скачать на странице импорта.")

    def cell(row, key):
        index = cols.get(key)
        return row[index] if index is not None and index < len(row) else None

    dates = {}
    for r in range(header_index + 1, len(rows)):
        row = rows[r]
        if not any(c is not None and str(c).strip() for c in row):
            continue
        loc = where(sheet.name, r)
        kind = parse_kind(cell(row, "kind"))
        if kind is None:
            parsed.errors.append(f"{where(sheet.name, r, cols['kind'])}: вид отметки «{cell(row, 'kind')}» не "
                                 "распознан (текущая, четвертная, полугодовая, годовая, экзаменационная, итоговая).")
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
                col = cols.get("date", 0)
                parsed.errors.append(f"{where(sheet.name, r, col)}: дата «{raw_date or ''}» не распознана "
                                     "(нужно ДД.ММ.ГГГГ).")
                continue
        if kind == "term":
            raw_period = cell(row, "period")
            if raw_period not in (None, ""):
                label = period_label(raw_period, final_layout=True)
                if not label or label[0] != "term":
                    parsed.errors.append(f"{where(sheet.name, r, cols['period'])}: период «{raw_period}» не "
                                         "распознан (например «1 четверть» или «2 полугодие»).")
                    continue
                period = label[1:]
            elif on is None:
                parsed.errors.append(f"{loc}: для отметки за период укажите «Период» или «Дату».")
                continue
        parsed.entries.append(Entry(where=where(sheet.name, r, cols["mark"]), student=cell(row, "student"),
                                    class_name=cell(row, "class_name"), subject=cell(row, "subject"), kind=kind,
                                    value=cell(row, "mark"), on=on, period=period, weight=cell(row, "weight")))


def _grid_columns(sheet, rows, header_index, first_col, year, title_period, final_layout, parsed):
    """Classify the columns of a grid header: a date (current mark) or a period (term/year/exam/final)."""
    header = rows[header_index]
    above = rows[header_index - 1] if header_index > 0 else []
    columns = {}
    month = None
    for c in range(first_col, len(header)):
        if c < len(above) and month_of(above[c]):
            month = month_of(above[c])
        value = header[c]
        if value is None or not str(value).strip():
            continue
        on = parse_date(value, year)
        if on is None and month and re.fullmatch(r"\d{1,2}(\.0)?", str(value).strip()):
            try:
                on = year_date(year, month, int(float(value)))
            except ValueError:
                on = None
        if on is not None:
            columns[c] = ("current", on, None)
            continue
        label = period_label(value, final_layout=final_layout)
        if label is None:
            parsed.errors.append(f"{where(sheet.name, header_index, c)}: заголовок столбца «{value}» не распознан "
                                 "(ожидается дата ДД.ММ или период: «1 четверть», «Год», «Экзамен», «Итог»).")
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
                parsed.errors.append(f"{where(sheet.name, header_index, c)}: столбец «{header[c]}» — отметка за "
                                     "период, но период не указан над таблицей (строка «Период: 1 четверть»).")
    return columns


def _title_period(info, year, terms_hint=None):
    text = info.get("period")
    if not text:
        return None
    label = period_label(text.split(",")[0], final_layout=True)
    if label and label[0] == "term":
        return label[1:]
    dates = re.findall(r"\d{1,2}\.\d{1,2}(?:\.\d{2,4})?", text)
    if dates:
        last = parse_date(dates[-1], year)
        if last:
            return ("date", last)  # resolved to the term containing this day
    return None


def _grid_rows(sheet, rows, header_index, name_col, columns, make_entry, parsed, start=None):
    for r in range(start if start is not None else header_index + 1, len(rows)):
        row = rows[r]
        name = row[name_col] if name_col < len(row) else None
        folded = norm(name)
        if not folded or folded.startswith(("средн", "итого", "всего", "количество")):
            continue
        for c, spec in columns.items():
            if c < len(row) and row[c] is not None and str(row[c]).strip():
                parsed.entries.append(make_entry(r, c, str(name), spec, row[c]))


def _table_start(sheet, parsed, headers, missing):
    """(header row index, name column, title info) of a grid sheet; None, with the error noted, if not found."""
    header_index = _find_row(sheet.rows, lambda r: _name_col(r, headers) is not None)
    if header_index is None:
        parsed.errors.append(f"Лист «{sheet.name}»: {missing}")
        return None
    return header_index, _name_col(sheet.rows[header_index], headers), _title_info(sheet.rows, header_index)


def _parse_journal(sheet, year, parsed):
    rows = sheet.rows
    start = _table_start(sheet, parsed, NAME_HEADERS,
                         "не найдена строка заголовков со столбцом «Ученик» (ФИО) и датами.")
    if start is None:
        return
    header_index, name_col, info = start
    subject = info.get("subject") or sheet.name
    class_name = info.get("class_name")
    if not class_name:
        parsed.errors.append(f"Лист «{sheet.name}»: над таблицей не указан класс (строка «Класс: 9А»).")
        return
    columns = _grid_columns(sheet, rows, header_index, name_col + 1, year, _title_period(info, year), False, parsed)

    def entry(r, c, name, spec, value):
        kind, on, period = spec
        return Entry(where=where(sheet.name, r, c), student=name, class_name=class_name, subject=subject, kind=kind,
                     value=value, on=on, period=period)

    _grid_rows(sheet, rows, header_index, name_col, columns, entry, parsed)


def _parse_report(sheet, year, parsed):
    rows = sheet.rows
    start = _table_start(sheet, parsed, {"предмет", "предметы", "учебный предмет"},
                         "не найдена строка заголовков со столбцом «Предмет».")
    if start is None:
        return
    header_index, name_col, info = start
    student, class_name = info.get("student"), info.get("class_name")
    if not student or not class_name:
        parsed.errors.append(f"Лист «{sheet.name}»: над таблицей должны быть строки «Ученик: ФИО» и «Класс: 9А».")
        return
    columns = _grid_columns(sheet, rows, header_index, name_col + 1, year, _title_period(info, year), False, parsed)

    def entry(r, c, subject, spec, value):
        kind, on, period = spec
        return Entry(where=where(sheet.name, r, c), student=student, class_name=class_name, subject=subject,
                     kind=kind, value=value, on=on, period=period)

    _grid_rows(sheet, rows, header_index, name_col, columns, entry, parsed)


def _parse_final(sheet, year, parsed):
    rows = sheet.rows
    start = _table_start(sheet, parsed, NAME_HEADERS, "не найдена строка заголовков со столбцом «Ученик» (ФИО).")
    if start is None:
        return
    header_index, name_col, info = start
    class_name = info.get("class_name")
    if not class_name:
        parsed.errors.append(f"Лист «{sheet.name}»: над таблицей не указан класс (строка «Класс: 9А»).")
        return
    header = rows[header_index]
    labels = [period_label(v, final_layout=True) for v in header[name_col + 1:] if v is not None]
    single = labels and all(label is not None for label in labels)
    columns = {}
    if single:
        # One subject: its name above the table (or the sheet's name), periods in the header row.
        subject = info.get("subject") or sheet.name
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
                parsed.errors.append(f"{where(sheet.name, header_index + 1, c)}: период «{value}» не распознан "
                                     "(ожидается «1 четв.», «I», «1 полугодие», «Год», «Экзамен», «Итог»).")
            elif label[0] != "ignore" and subject:
                columns[c] = (subject, label)
        start = header_index + 2
    specs = {}
    for c, (subject, label) in columns.items():
        if label[0] == "term":
            specs[c] = (subject, ("term", None, label[1:]))
        elif label[0] in ("year", "exam", "final"):
            specs[c] = (subject, (label[0], None, None))

    def entry(r, c, name, spec, value):
        return Entry(where=where(sheet.name, r, c), student=name, class_name=class_name, subject=specs[c][0],
                     kind=spec[0], value=value, on=spec[1], period=spec[2])

    _grid_rows(sheet, rows, header_index, name_col, {c: spec for c, (s, spec) in specs.items()}, entry, parsed,
               start=start)


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
        self.students = defaultdict(list)
        class_ids = [c.id for c in self.classes.values()]
        if class_ids:
            for student in session.scalars(select(Student).where(Student.school_class_id.in_(class_ids))):
                for key in _student_keys(student):
                    self.students[(student.school_class_id, key)].append(student.id)
        self.subjects = {}
        for subject in session.scalars(select(Subject)):
            named = _Named(subject.id, subject.name)
            self.subjects.setdefault(norm(subject.name), named)
            if subject.short_name:
                self.subjects.setdefault(norm(subject.short_name), named)
        self.terms = list(session.scalars(select(Term).where(Term.academic_year_id == year.id)
                                          .order_by(Term.kind.desc(), Term.number)))  # quarters before halves
        self._days = {}

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


def _period_name(period):
    if period[0] == "date":
        return f"период, включающий {period[1]:%d.%m.%Y}"
    kind, number = period
    return f"{number} {TERM_KINDS.get(kind or 'quarter')}"


PROGRESS_EVERY = 5000  # entries between two progress reports: often enough for a bar, rare enough to cost nothing


def _no_progress(stage, done, total):
    pass


def prepare_import(session, data, filename, year, *, allowed_class_ids=None, layout=None, progress=None):
    """Read and check a file without changing anything: a Preview with errors, counts and the rows to write.

    `progress(stage, done, total)` is told how far it got: stage "read", "check" (entries) or "compare".
    """
    progress = progress or _no_progress
    progress("read", 0, 0)
    sheets = read_sheets(data, filename)
    layout, parsed = parse_sheets(sheets, year, layout)
    preview = Preview(layout=layout, errors=list(parsed.errors))
    if not parsed.entries and not preview.errors:
        preview.errors.append("В файле не найдено ни одной отметки.")
        return preview
    look = _Lookup(session, year)
    planned = {}
    summary = Counter()
    total = len(parsed.entries)
    for index, entry in enumerate(parsed.entries):
        if index % PROGRESS_EVERY == 0:
            progress("check", index, total)
        problem = _plan_entry(entry, look, allowed_class_ids, planned, summary)
        if problem:
            preview.errors.append(f"{entry.where}: {problem}")
    progress("check", total, total)
    if preview.errors:
        return preview
    progress("compare", 0, total)
    _compare_with_database(session, year, planned, preview)
    preview.summary = sorted((c, s, n) for (c, s), n in summary.items())
    return preview


def _plan_entry(entry, look, allowed_class_ids, planned, summary):
    school_class = look.classes.get(norm_class(entry.class_name))
    if school_class is None:
        return f"класса «{entry.class_name or ''}» нет в {look.name} учебном году."
    if allowed_class_ids is not None and school_class.id not in allowed_class_ids:
        return f"класс {school_class.name} не ваш: классный руководитель загружает отметки только своего класса."
    ids = look.students.get((school_class.id, norm(entry.student)), [])
    if not ids:
        return f"обучающийся «{entry.student or ''}» не найден в классе {school_class.name}."
    if len(set(ids)) > 1:
        return (f"в классе {school_class.name} несколько обучающихся «{entry.student}»: укажите ФИО полностью "
                "(с отчеством).")
    subject = look.subjects.get(norm(entry.subject))
    if subject is None:
        return f"предмет «{entry.subject or ''}» не найден в справочнике предметов."
    parts, error = parse_cell(entry.value)
    if error:
        return error + "."
    weight = 1
    if entry.weight not in (None, ""):
        try:
            weight = float(str(entry.weight).replace(",", "."))
        except ValueError:
            weight = None
        if weight is None or not 0 < weight <= 10:
            return f"вес «{entry.weight}» — нужно число от 0,1 до 10."
    term = None
    if entry.kind == "current":
        on = entry.on
        if not look.starts_on <= on <= look.ends_on:
            return (f"дата {on:%d.%m.%Y} вне {look.name} учебного года "
                    f"({look.starts_on:%d.%m.%Y} — {look.ends_on:%d.%m.%Y}).")
        term = look.term_of_day(on)
    elif entry.kind == "term":
        period = entry.period or ("date", entry.on)
        if period[0] == "date" and not look.starts_on <= period[1] <= look.ends_on:
            return f"дата {period[1]:%d.%m.%Y} вне {look.name} учебного года."
        term = look.term(period)
        if term is None:
            return (f"в {look.name} учебном году нет периода «{_period_name(period)}» — добавьте его в разделе "
                    "«Учебные периоды».")
        on = term.ends_on
    else:
        on = look.ends_on  # year, exam and final marks belong to the year as a whole
    student_id = ids[0]
    for slot, (value, code) in enumerate(parts):
        key = (student_id, subject.id, entry.kind, on, slot)
        if key in planned:
            return f"повтор: эта отметка уже есть ({planned[key]['_where']})."
        planned[key] = {"student_id": student_id, "subject_id": subject.id, "school_class_id": school_class.id,
                        "kind": entry.kind, "marked_on": on,
                        "slot": slot, "term_id": term.id if term else None, "value": value, "code": code,
                        "weight": weight, "_where": entry.where}
        summary[(school_class.name, subject.name)] += 1
    return None


def _compare_with_database(session, year, planned, preview):
    table = Mark.__table__
    student_ids = sorted({key[0] for key in planned})
    # Only the file's subjects and days can collide: reading the students' whole year instead cost
    # 330,000 rows (10 s) for a week of marks of a large school.
    subject_ids = sorted({key[1] for key in planned})
    first_day = max(year.starts_on, min(key[3] for key in planned)) if planned else year.starts_on
    last_day = min(year.ends_on, max(key[3] for key in planned)) if planned else year.ends_on
    existing = {}
    for start in range(0, len(student_ids), 500):
        chunk = student_ids[start:start + 500]
        rows = session.execute(select(table.c.id, table.c.student_id, table.c.subject_id, table.c.kind,
                                      table.c.marked_on, table.c.slot, table.c.value, table.c.code, table.c.weight)
                               .where(table.c.student_id.in_(chunk), table.c.subject_id.in_(subject_ids),
                                      table.c.marked_on >= first_day, table.c.marked_on <= last_day))
        for row in rows:
            existing[(row.student_id, row.subject_id, row.kind, row.marked_on, row.slot)] = row
    for key, row in planned.items():
        old = existing.get(key)
        clean = {k: v for k, v in row.items() if not k.startswith("_")}
        if row["code"] is not None:
            preview.codes += 1
        if old is None:
            preview.inserts.append(clean)
        elif (old.value, old.code, float(old.weight)) != (row["value"], row["code"], float(row["weight"])):
            preview.updates.append({"b_id": old.id, "b_value": row["value"], "b_code": row["code"],
                                    "b_weight": row["weight"]})
        else:
            preview.unchanged += 1


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
                 layout=None, progress=None):
    """Check the file again and write all its marks, or none: raise ImportFileError if anything is wrong.

    Returns the MarkImport row, or None when the file brings nothing new (a repeated upload changes nothing).
    Marks go in by executemany in the caller's transaction; the batch row is what the audit log records.
    """
    progress = progress or _no_progress
    preview = prepare_import(session, data, original_name, year, allowed_class_ids=allowed_class_ids, layout=layout,
                             progress=progress)
    if preview.errors:
        raise ImportFileError(f"В файле есть ошибки ({len(preview.errors)}); ничего не загружено.")
    if not preview.inserts and not preview.updates:
        return None
    batch = MarkImport(user_id=user_id, academic_year_id=year.id, original_name=(original_name or "")[:255],
                       stored_name=stored_name, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                       layout=preview.layout, added_count=len(preview.inserts), updated_count=len(preview.updates))
    session.add(batch)
    session.flush()
    table = Mark.__table__
    total = len(preview.inserts) + len(preview.updates)
    if preview.inserts:
        for row in preview.inserts:
            row["import_id"] = batch.id
        # In chunks only so the page can show how far the writing got; still one transaction.
        # psycopg sends an executemany as one INSERT per row (10,000 marks: 1.3 s); COPY streams them (0.5 s). A
        # multi-row VALUES insert was slower still: SQLAlchemy compiles every row's parameters.
        copy = session.get_bind().dialect.name == "postgresql"
        for start in range(0, len(preview.inserts), PROGRESS_EVERY * 2):
            progress("write", start, total)
            chunk = preview.inserts[start:start + PROGRESS_EVERY * 2]
            if copy:
                _copy_rows(session, table, chunk)
            else:
                session.execute(insert(table), chunk)
    if preview.updates:
        progress("write", len(preview.inserts), total)
        for row in preview.updates:
            row["b_import"] = batch.id
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            value=bindparam("b_value"), code=bindparam("b_code"), weight=bindparam("b_weight"),
            import_id=bindparam("b_import")), preview.updates)
    session.flush()
    progress("write", total, total)
    return batch


def _copy_rows(session, table, rows):
    """Write `rows` (dicts with the same keys) into `table` by PostgreSQL's COPY, in the session's transaction."""
    columns = list(rows[0])
    connection = session.connection().connection.dbapi_connection
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])


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

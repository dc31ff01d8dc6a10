"""Reading a date typed into the panel, sent by a page's form or read from an imported table: the one parser.

(The marks import keeps its own reader for journal dates written without a year, «05.09» under «Сентябрь».)"""
from datetime import date, datetime

# Years a date typed into the panel may have: 01.01.0001 overflowed the time-zone conversion (a 500 page), and
# a year 3000 is a typo in any register here.
YEARS = range(1900, 2101)
DATE_RANGE_MESSAGE = "Дата должна быть между 1900 и 2100 годами."
DATE_MESSAGE = "Введите дату в виде ДД.ММ.ГГГГ, например 03.05.2010."
# As typed (ДД.ММ.ГГГГ), or ISO as an HTML date input and the filters' calendar send it.
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d")
DATE_TIME_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


def year_in_range(moment):
    """The date (or date-time) itself, or ValueError with the Russian message when its year is outside YEARS."""
    if moment.year not in YEARS:
        raise ValueError(DATE_RANGE_MESSAGE)
    return moment


def parse_moment(value, *, with_time=False, end_of_day=False):
    """A datetime from text; a date alone is midnight, or 23:59:59 with end_of_day. ValueError when unreadable."""
    value = (value or "").strip()
    formats = (DATE_TIME_FORMATS + DATE_FORMATS) if with_time else DATE_FORMATS
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if end_of_day and "%H" not in fmt:
            parsed = parsed.replace(hour=23, minute=59, second=59)
        return year_in_range(parsed)
    raise ValueError(DATE_MESSAGE)


def parse_date(value):
    """A date from text or a spreadsheet cell; None when empty; ValueError (Russian message) when unreadable."""
    if isinstance(value, datetime):
        return year_in_range(value.date())
    if isinstance(value, date):
        return year_in_range(value)
    if not str(value or "").strip():
        return None
    return parse_moment(str(value)).date()


def date_or_none(value):
    """A date, or None when empty or unreadable (a page that says «invalid» itself checks with parse_date)."""
    try:
        return parse_date(value)
    except ValueError:
        return None

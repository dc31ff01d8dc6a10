"""Reading values from a page's form: dates as an HTML date input sends them (ISO) or as typed (ДД.ММ.ГГГГ)."""
from datetime import datetime

from models.db import INT_RANGE
from models.text import CONTROL_MESSAGE, has_control_characters, strip_control_characters  # noqa: F401

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
# Years a date typed into the panel may have: 01.01.0001 overflowed the time-zone conversion (a 500 page), and
# a year 3000 is a typo in any register here.
YEARS = range(1900, 2101)
DATE_RANGE_MESSAGE = "Дата должна быть между 1900 и 2100 годами."


def year_in_range(moment):
    """The date (or date-time) itself, or ValueError when its year is outside YEARS."""
    if moment.year not in YEARS:
        raise ValueError(DATE_RANGE_MESSAGE)
    return moment


def form_date(value):
    """A date, None when empty; ValueError when the text is not a date in either form."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return year_in_range(parsed)
    raise ValueError(value)


def parse_date(value):
    """A date, or None when empty or unreadable."""
    try:
        return form_date(value)
    except ValueError:
        return None


def to_int(value, minimum=None):
    """A whole number from a URL or a form, None when it is not one, is below `minimum`, or does not fit the
    database's integer (PostgreSQL answers a number out of its range with an error: a server error page)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if number not in INT_RANGE or (minimum is not None and number < minimum):
        return None
    return number

"""Reading values from a page's form: dates as an HTML date input sends them (ISO) or as typed (ДД.ММ.ГГГГ)."""
from datetime import datetime

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def form_date(value):
    """A date, None when empty; ValueError when the text is not a date in either form."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse_date(value):
    """A date, or None when empty or unreadable."""
    try:
        return form_date(value)
    except ValueError:
        return None


def to_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

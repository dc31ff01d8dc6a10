"""Reading whole numbers from a page's form or URL (dates: models/dates.py)."""

from models.db import INT_RANGE

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

"""Text typed or imported into the panel: the characters no register may hold."""
import re

# C0 control characters other than tab and line breaks: PostgreSQL refuses a NUL in text (an SQL error shown as
# a 500), and an XLSX file cannot hold any of them, so one stored name broke every export of its list.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_MESSAGE = "В тексте есть недопустимый управляющий символ (например, нулевой байт): уберите его."


def has_control_characters(value):
    return isinstance(value, str) and CONTROL_CHARACTERS.search(value) is not None


def strip_control_characters(value):
    return CONTROL_CHARACTERS.sub("", value)

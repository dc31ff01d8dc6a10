"""Cells of exported spreadsheets made inert: a value typed by a user never becomes a formula (CSV and XLSX)."""

# A spreadsheet treats a cell starting with these as a formula (OWASP «CSV Injection»): «=HYPERLINK(…)» in a
# pupil's name would become a live link or a command when the secretary opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def risky(value):
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value):
    """The value for a CSV cell: text that a spreadsheet would read as a formula gets a leading apostrophe,
    which Excel and LibreOffice take as «this is text» (numbers stay numbers)."""
    return "'" + value if risky(value) else value


def inert_workbook(book):
    """Every text cell of an openpyxl workbook that would start a formula is stored as text with Excel's own
    «quote prefix» (what typing ' before it does): shown as typed, never evaluated. Run it just before save."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if risky(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    return book

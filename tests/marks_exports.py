"""E-journal exports built the way the systems lay them out (merged titles, month rows, day numbers), not the panel's.

The shapes follow what schools save from ЭлЖур's and «Сетевой город»'s class journals, the pupil's report
«Отчёт об успеваемости и посещаемости ученика» and the final-marks reports; each builder writes a fresh workbook.
"""
import io

from openpyxl import Workbook

MONTH_NAMES = {9: "Сентябрь", 10: "Октябрь", 11: "Ноябрь", 12: "Декабрь"}


def _save(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _month_runs(days):
    """[(month, [day, …]), …] in the order of the lessons."""
    runs = []
    for month, day in days:
        if not runs or runs[-1][0] != month:
            runs.append((month, []))
        runs[-1][1].append(day)
    return runs


def class_journal_xlsx(journals, *, title=None, period_column="1 четверть"):
    """One sheet per subject: {sheet name: (lessons [(month, day)], {pupil: [cell, …] + [period mark]})}.

    Row 1 holds the title merged across the table, row 3 the month names merged over their days, row 4 «№», «ФИО
    обучающегося», the day numbers, «Ср. балл» and the period column; a pupil per row; day numbers are numbers."""
    book = Workbook()
    book.remove(book.active)
    for sheet_name, (lessons, pupils) in journals.items():
        ws = book.create_sheet(sheet_name)
        width = 2 + len(lessons) + 2
        ws.cell(1, 1, title(sheet_name) if callable(title) else title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        column = 3
        for month, days in _month_runs(lessons):
            ws.cell(3, column, MONTH_NAMES[month])
            if len(days) > 1:
                ws.merge_cells(start_row=3, start_column=column, end_row=3, end_column=column + len(days) - 1)
            column += len(days)
        header = ["№", "ФИО обучающегося", *[day for _month, day in lessons], "Ср. балл", period_column]
        for c, value in enumerate(header, start=1):
            ws.cell(4, c, value)
        for r, (pupil, cells) in enumerate(pupils.items(), start=5):
            ws.cell(r, 1, r - 4)
            ws.cell(r, 2, pupil)
            marks = cells[:len(lessons)]
            for c, value in enumerate(marks, start=3):
                if value is not None:
                    ws.cell(r, c, value)
            numbers = [int(str(v).strip()[0]) for v in marks if v and str(v).strip()[0].isdigit()]
            if numbers:
                ws.cell(r, 3 + len(lessons), round(sum(numbers) / len(numbers), 2))
            if len(cells) > len(lessons) and cells[len(lessons)] is not None:
                ws.cell(r, 4 + len(lessons), cells[len(lessons)])
    return _save(book)


def class_journal_xls(sheet_name, title, lessons, pupils):
    """The legacy .xls a school keeps from an older journal: «Журнал: Математика» and the pupils, nothing else —
    month names merged over the day numbers, the days as numbers (xlwt writes them as floats, as Excel does)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet_name)
    ws.write_merge(0, 0, 0, len(lessons) + 1, title)
    column = 2
    for month, days in _month_runs(lessons):
        ws.write_merge(2, 2, column, column + len(days) - 1, MONTH_NAMES[month])
        column += len(days)
    ws.write(3, 0, "№")
    ws.write(3, 1, "Ученик")
    for c, (_month, day) in enumerate(lessons, start=2):
        ws.write(3, c, day)
    for r, (pupil, cells) in enumerate(pupils.items(), start=4):
        ws.write(r, 0, r - 3)
        ws.write(r, 1, pupil)
        for c, value in enumerate(cells, start=2):
            if value is not None:
                ws.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pupil_report_xlsx(pupil, subjects, lessons, *, period_line, class_line=None):
    """«Отчёт об успеваемости и посещаемости ученика»: a preamble, then the header row starting with «Предмет» that
    carries the month names (merged over their days), the day numbers on the row below, the average at the end."""
    book = Workbook()
    ws = book.active
    ws.title = "Отчёт"
    width = 1 + len(lessons) + 1
    ws.cell(1, 1, "Отчёт об успеваемости и посещаемости ученика")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    preamble = [f"Ученик: {pupil}", period_line] + ([class_line] if class_line else [])
    for r, line in enumerate(preamble, start=2):
        ws.cell(r, 1, line)
    head = 2 + len(preamble) + 1
    ws.cell(head, 1, "Предмет")
    ws.merge_cells(start_row=head, start_column=1, end_row=head + 1, end_column=1)
    column = 2
    for month, days in _month_runs(lessons):
        ws.cell(head, column, MONTH_NAMES[month])
        if len(days) > 1:
            ws.merge_cells(start_row=head, start_column=column, end_row=head, end_column=column + len(days) - 1)
        column += len(days)
    ws.cell(head, column, "Средняя оценка")
    ws.merge_cells(start_row=head, start_column=column, end_row=head + 1, end_column=column)
    for c, (_month, day) in enumerate(lessons, start=2):
        ws.cell(head + 1, c, day)
    for r, (subject, cells) in enumerate(subjects.items(), start=head + 2):
        ws.cell(r, 1, subject)
        for c, value in enumerate(cells, start=2):
            if value is not None:
                ws.cell(r, c, value)
        numbers = [int(str(v).strip()[0]) for v in cells if v and str(v).strip()[0].isdigit()]
        ws.cell(r, column, f"{sum(numbers) / len(numbers):.2f}".replace(".", ",") if numbers else None)
    return _save(book)


FINAL_COLUMNS = ["1 четверть", "2 четверть", "3 четверть", "4 четверть", "Год", "Экзамен", "Итог"]


def final_marks_xlsx(rows, *, columns=FINAL_COLUMNS, title="Итоговые отметки"):
    """One row per pupil × subject, a column per period, no class line: [(pupil, subject, {column: mark}), …]."""
    book = Workbook()
    ws = book.active
    ws.title = "Итоговые"
    ws.cell(1, 1, title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2 + len(columns))
    for c, value in enumerate(["ФИО", "Предмет", *columns], start=1):
        ws.cell(3, c, value)
    for r, (pupil, subject, marks) in enumerate(rows, start=4):
        ws.cell(r, 1, pupil)
        ws.cell(r, 2, subject)
        for c, name in enumerate(columns, start=3):
            if marks.get(name) is not None:
                ws.cell(r, c, marks[name])
    return _save(book)

"""A list page's table body written in Python, in one call per page (templates/admin/register_list.html).

A page is 50 rows of up to ten columns. Written by Flask-Admin's template, every row was a block call with its own
derived template context, and every cell two template calls (its value and its escaping); each cell's value then
looked its type's formatter up by trying every formatter in turn (issue 22)."""
from operator import attrgetter

from jinja2 import pass_context
from markupsafe import Markup, escape

from admin.base import RecordLink


class _Cells:
    """One column's value as Flask-Admin's list shows it (ModelView._get_list_value): the column's formatter or
    the attribute, a choice's label, then the formatter of the value's type, found once per type."""

    def __init__(self, view, name):
        self.view, self.name = view, name
        self.formatter = view.column_formatters.get(name)
        self.read = attrgetter(name)
        self.choices = view._column_choices_map.get(name) or {}
        self.type_formatters = view.column_type_formatters
        self.by_type = {}

    def value(self, context, row):
        if self.formatter is not None:
            value = self.formatter(self.view, context, row, self.name)
        else:
            try:
                value = self.read(row)
            except AttributeError:  # an empty relation on the way («school_class.name» of a pupil without a class)
                value = None
        if self.choices:
            return self.choices.get(value) or value
        kind = type(value)
        formatter = self.by_type.get(kind, self)
        if formatter is self:
            formatter = self.by_type[kind] = next(
                (f for typeobj, f in self.type_formatters.items() if isinstance(value, typeobj)), None)
        return value if formatter is None else formatter(self.view, value, self.name)


@pass_context
def list_rows(context, rows):
    """The table's rows: the bulk-action box, the row's links, then its values (columns edited in place are not
    used by the panel); a row saying the list is empty when it is."""
    view = context["admin_view"]
    if not rows:
        return Markup('<tr><td colspan="999"><div class="text-center">'
                      f'{escape(view.get_empty_list_message())}</div></td></tr>')
    columns = [(f'<td class="col-{escape(column)}">', _Cells(view, column)) for column, _name in context["list_columns"]]
    links = view.column_display_actions and context["list_row_actions"]
    box = bool(context.get("actions"))
    html = []
    for row in rows:
        pk = view.get_pk_value(row)
        html.append("<tr>")
        if box:
            html.append(f'<td><input type="checkbox" name="rowid" class="action-checkbox" value="{escape(pk)}" '
                        'title="Выберите запись" aria-label="Выбрать запись"></td>')
        if view.column_display_actions:
            html.append('<td class="list-buttons-column">')
            html.extend(str(action.render(context, pk, row) if isinstance(action, RecordLink)
                            else action.render_ctx(context, pk, row)) for action in links)
            html.append("</td>")
        for cell, column in columns:
            html.append(f"{cell}{escape(column.value(context, row))}</td>")
        html.append("</tr>\n")
    return Markup("".join(html))

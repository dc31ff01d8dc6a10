"""A list page's rows written in Python: the cells of templates/admin/register_list.html's list_row block.

A page is 50 rows of up to ten columns; written by the template, every cell was two template calls (its value and
its escaping through the template's context), about a third of a list page's time (issue 22)."""
from jinja2 import pass_context
from markupsafe import Markup, escape


@pass_context
def list_row(context, row):
    """One row's cells: the bulk-action box, the row's links, then its values (columns edited in place are not
    used by the panel)."""
    view = context["admin_view"]
    pk = view.get_pk_value(row)
    html = []
    if context.get("actions"):
        html.append(f'<td><input type="checkbox" name="rowid" class="action-checkbox" value="{escape(pk)}" '
                    'title="Выберите запись" aria-label="Выбрать запись"></td>')
    if view.column_display_actions:
        html.append('<td class="list-buttons-column">')
        html.extend(str(action.render_ctx(context, pk, row)) for action in context["list_row_actions"])
        html.append("</td>")
    value = view.get_list_value
    for column, _name in context["list_columns"]:
        html.append(f'<td class="col-{escape(column)}">{escape(value(context, row, column))}</td>')
    return Markup("".join(html))

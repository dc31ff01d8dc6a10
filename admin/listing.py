"""A list page's table body written in Python, in one call per page (templates/admin/register_list.html).

A page is 50 rows of up to ten columns. Written by Flask-Admin's template, every row was a block call with its own
derived template context, and every cell two template calls (its value and its escaping); each cell's value then
looked its type's formatter up by trying every formatter in turn (issue 22)."""
from html import escape as html_escape
from operator import attrgetter
from urllib.parse import quote

from flask_admin.babel import gettext
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


def _html(value):
    """A cell's value as HTML: markup as it is (a formatter's link), anything else as escaped text. The standard
    library's escape, without a Markup object per cell (600 cells a page)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html_escape(value if isinstance(value, str) else str(value))


@pass_context
def list_rows(context, rows):
    """The table's rows: the bulk-action box, the row's links, then its values (columns edited in place are not
    used by the panel); a row saying the list is empty when it is."""
    view = context["admin_view"]
    if not rows:
        return Markup('<tr><td colspan="999"><div class="text-center">'
                      f'{escape(view.get_empty_list_message())}</div></td></tr>')
    columns = [(f'<td class="col-{escape(column)}">', _Cells(view, column)) for column, _name in context["list_columns"]]
    # A record link's markup is built once per page; another row action renders itself per row.
    links = [action.parts(context) if isinstance(action, RecordLink) else action
             for action in (context["list_row_actions"] if view.column_display_actions else ())]
    box = bool(context.get("actions"))
    html = []
    for row in rows:
        pk = view.get_pk_value(row)
        html.append("<tr>")
        if box:
            html.append(f'<td><input type="checkbox" name="rowid" class="action-checkbox" value="{escape(pk)}" '
                        'title="Выберите запись" aria-label="Выбрать запись"></td>')
        if links:
            html.append('<td class="list-buttons-column">')
            key = quote(str(pk), safe="")
            html.extend(key.join(link) if isinstance(link, list) else str(link.render_ctx(context, pk, row))
                        for link in links)
            html.append("</td>")
        for cell, column in columns:
            html.append(f"{cell}{_html(column.value(context, row))}</td>")
        html.append("</tr>\n")
    return Markup("".join(html))


SORT_MARK = "9087165243"  # a sort index no list has, replaced by each column's own in the URL built once


@pass_context
def list_header(context):
    """The table's header cells (Flask-Admin's list_header block): a sortable column's heading links to the list
    sorted by it, the sorted one to the other direction. The links differ only in the sort index, so the URL is
    built once for all columns (it was a URL rule lookup per column)."""
    view = context["admin_view"]
    html = []
    if context.get("actions"):
        html.append(f'<th class="list-checkbox-column"><input type="checkbox" name="rowtoggle" '
                    f'class="action-rowtoggle" title="{escape(gettext("Select all records"))}" /></th>')
    if view.column_display_actions:
        html.append('<th class="">&nbsp;</th>')
    sort_url, sort_column, sort_desc = context["sort_url"], context["sort_column"], context["sort_desc"]
    any_column = None
    for index, (column, name) in enumerate(context["list_columns"]):
        html.append(f'<th class="column-header col-{escape(column.replace(".", "-"))}">')
        if view.is_sortable(column):
            title = escape(gettext("Sort by %(name)s", name=name))
            if sort_column == index:
                chevron = "down" if sort_desc else "up"
                html.append(f'<a href="{escape(sort_url(index, True))}" title="{title}">{escape(name)}'
                            f'<span class="fa fa-chevron-{chevron} glyphicon glyphicon-chevron-{chevron}"></span></a>')
            else:
                if any_column is None:
                    any_column = str(sort_url(SORT_MARK)).split(f"sort={SORT_MARK}", 1)
                url = f"sort={index}".join(any_column) if len(any_column) == 2 else sort_url(index)
                html.append(f'<a href="{escape(url)}" title="{title}">{escape(name)}</a>')
        else:
            html.append(str(escape(name)))
        description = view.column_descriptions.get(column)
        if description:
            html.append(f'<a class="fa fa-question-circle glyphicon glyphicon-question-sign" title="{escape(description)}"'
                        ' href="javascript:void(0)" data-role="tooltip"></a>')
        html.append("</th>")
    return Markup("".join(html))

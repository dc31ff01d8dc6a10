"""Parts of every page written once and kept: the main menu per set of roles and page, an inline list's new row."""
from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup


def main_menu(admin_view, render):
    """The menu's HTML, as Flask-Admin's menu macro `render` writes it for this user on this page.

    The macro asks every one of ~40 entries whether the user may open it and builds its URL: a fifth of a form's
    time. What it writes depends only on the user's roles (models/roles.py), the page open (the active entry) and
    the application's URL root, so it is written once per such key for as long as the process runs."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return render()
    admin = admin_view.admin
    menus = admin.__dict__.setdefault("_panel_main_menus", {})
    key = (tuple(sorted(user.roles)), user.is_active, getattr(admin_view, "endpoint", None), request.script_root)
    html = menus.get(key)
    if html is None:
        html = menus[key] = Markup(render())
    return html


def inline_row_template(field, template, render):
    """The hidden «new row» of an inline list (a personal file's annual marks), as `render` writes it.

    It is the same on every request for the same option lists (years, subjects, users), so it is written once per
    such lists and kept: with its selects of every year and subject it was a sixth of a personal file's form."""
    form = getattr(template, "form", None)
    if form is None:
        return render(template)
    choices = tuple(_choices(f) for f in form if hasattr(f, "iter_choices"))
    cache = current_app.extensions.setdefault("panel_inline_rows", {})
    key = (type(form), field.id, choices)
    html = cache.get(key)
    if html is None:
        if len(cache) > 256:  # option lists changed many times: start afresh rather than grow
            cache.clear()
        html = cache[key] = Markup(render(template))
    return html


def _choices(field):
    objects = getattr(field, "_get_object_list", None)
    if objects is not None:
        # A select of records: its rows' keys and labels, read without building an option for each.
        return (field.allow_blank, str(field.blank_text)) + tuple(
            (str(pk), str(field.get_label(obj))) for pk, obj in objects())
    try:
        return tuple((str(c[0]), str(c[1])) for c in field.iter_choices())
    except NotImplementedError:  # a look-up (AjaxSelectField): an empty row offers nothing of its own
        return ()

"""The main menu, rendered once per set of roles and open page and kept: the same markup for every request."""
from flask import request
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

"""The first page after log-in: what this role works with."""
from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from werkzeug.routing import BuildError

from models.roles import ROLES


def _panel_url(endpoint):
    """A register's list or a page's first screen; None when the panel has no such view."""
    for name in (f"{endpoint}.index_view", f"{endpoint}.index"):
        try:
            return url_for(name)
        except BuildError:
            continue
    return None


def home_notices(user):
    """(text, count, url) reminders for this user's roles, each from a plain function in models/."""
    from datetime import date

    from models import db
    from models.archive import archive_notices
    from models.retention import review_notices
    from models.work_notices import work_notices

    waiting = []
    for text, count, (endpoint, args) in work_notices(db.session, user.roles):
        try:
            link = url_for(endpoint, **args)
        except BuildError:
            link = None
        waiting.append((text, count, link))
    today = date.today()
    return (waiting + review_notices(db.session, user.roles, today, url_for=_panel_url)
            + archive_notices(db.session, user.roles, today, url_for=_panel_url))


class HomeView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        sections = []
        for category in self.admin.menu():
            children = category.get_children() if category.is_category() else [category]
            items = [(item.name, item.get_url()) for item in children
                     if item.is_accessible() and item.is_visible() and getattr(item, "_view", None) is not self]
            if items:
                sections.append((category.name if category.is_category() else "", items))
        roles = [ROLES.get(r, r) for r in current_user.roles]
        return self.render("admin/home.html", sections=sections, roles=roles, notices=home_notices(current_user),
                           **first_steps_context(current_user))


def first_steps_context(user):
    """The administrator's checklist while the school is not set up; a class teacher's missing class."""
    from models import db
    from models.first_steps import first_steps, teacher_without_class

    steps = []
    if "admin" in user.roles:
        steps = [(text, done, _panel_url(endpoint)) for text, done, endpoint in first_steps(db.session)]
        if all(done for _, done, _ in steps):
            steps = []
    return {"first_steps": steps, "no_class": teacher_without_class(db.session, user)}

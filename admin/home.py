"""The first page after log-in: what this role works with."""
from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from .roles import ROLES


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
            items = [(item.name, item.get_url()) for item in children if item.is_accessible() and item.is_visible()]
            if items:
                sections.append((category.name if category.is_category() else "", items))
        roles = [ROLES.get(r, r) for r in current_user.roles]
        return self.render("admin/home.html", sections=sections, roles=roles)

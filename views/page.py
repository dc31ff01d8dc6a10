"""Base of custom pages shown inside the panel's menu: access from the permission matrix, like registers."""
from flask import abort, redirect, request, url_for
from flask_admin import BaseView
from flask_login import current_user

from admin.roles import can


class PanelPage(BaseView):
    """A Flask-Admin page (menu, layout) whose rights come from MATRIX[target].

    Routes use @expose; a route that changes data calls self.require("create"/"edit") first.
    Templates extend 'admin/master.html' and fill the `body` block.
    """

    target = None

    def is_accessible(self):
        return bool(current_user.is_authenticated and can(current_user, self.target, "view"))

    def is_visible(self):
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def allowed(self, action):
        return bool(current_user.is_authenticated and can(current_user, self.target, action))

    def require(self, action):
        if not self.allowed(action):
            abort(403)

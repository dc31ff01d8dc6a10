"""Base of custom pages shown inside the panel's menu: access from the permission matrix, like registers."""
from flask import abort
from flask_admin import BaseView

from .access import MatrixAccess, allowed


class PanelPage(MatrixAccess, BaseView):
    """A Flask-Admin page (menu, layout) whose rights come from MATRIX[target].

    Routes use @expose; a route that changes data calls self.require("create"/"edit") first.
    Templates extend 'admin/master.html' and fill the `body` block.
    """

    def allowed(self, action):
        return allowed(self.target, action)

    def require(self, action):
        if not self.allowed(action):
            abort(403)

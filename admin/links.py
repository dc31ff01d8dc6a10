"""Menu links to custom pages (blueprints), shown only to roles the matrix lets view the page."""
from flask_admin.menu import MenuLink
from flask_login import current_user

from .roles import can


class PageLink(MenuLink):
    def __init__(self, name, endpoint, page, category=None):
        super().__init__(name, endpoint=endpoint, category=category)
        self.page = page  # the matrix row of the page («target» is MenuLink's HTML attribute)

    def is_accessible(self):
        return bool(current_user.is_authenticated and can(current_user, self.page, "view"))

    def is_visible(self):
        return self.is_accessible()

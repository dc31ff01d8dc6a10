"""Menu links to custom pages (blueprints), shown only to roles the matrix lets view the page."""
from flask_admin.menu import MenuLink

from .access import allowed


class PageLink(MenuLink):
    def __init__(self, name, endpoint, page, category=None):
        super().__init__(name, endpoint=endpoint, category=category)
        self.page = page  # the matrix row of the page («target» is MenuLink's HTML attribute)

    def is_accessible(self):
        return allowed(self.page, "view")

    def is_visible(self):
        return self.is_accessible()

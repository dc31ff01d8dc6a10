"""Base of custom pages shown inside the panel's menu: access from the permission matrix, like registers."""
from flask import abort
from flask_admin import BaseView
from flask_login import current_user
from sqlalchemy import select

from models import SchoolClass, db
from models.roles import own_class_only
from models.scope import own_class_condition, own_class_ids

from .access import MatrixAccess, allowed


class PanelPage(MatrixAccess, BaseView):
    """A Flask-Admin page (menu, layout) whose rights come from MATRIX[target].

    Routes use @expose; a route that changes data calls self.require("create"/"edit") first.
    Templates extend 'admin/master.html' and fill the `body` block.
    A page whose address is not its root (the marks pages under /marks) names its first route in `default_view`.
    """

    default_view = None

    def __init__(self, *args, **kwargs):
        if self.default_view:
            self._default_view = self.default_view  # Flask-Admin otherwise wants a route at "/"
        super().__init__(*args, **kwargs)

    def allowed(self, action):
        return allowed(self.target, action)

    def require(self, action):
        if not self.allowed(action):
            abort(403)

    # --- a class teacher's own class (models/scope.py), for pages that work class by class -----------------
    def classes_of(self, year):
        """The year's classes this user may open on the page: a class teacher's own only."""
        query = select(SchoolClass).where(SchoolClass.academic_year_id == year.id)
        if own_class_only(current_user, self.target):
            query = query.where(own_class_condition(SchoolClass, current_user.id))
        return list(db.session.scalars(query.order_by(SchoolClass.grade, SchoolClass.letter)))

    def own_class_ids(self):
        """None when the user sees every class on this page; else the ids of the classes they lead."""
        if not own_class_only(current_user, self.target):
            return None
        return set(db.session.scalars(own_class_ids(current_user.id)))

    def check_own_class(self, school_class):
        """Another class than a class teacher's own (or none: a pupil without a class) is forbidden, not «not found»."""
        if own_class_only(current_user, self.target) and (
                school_class is None or school_class.class_teacher_id != current_user.id):
            abort(403)
        return school_class


class PublicPage(PanelPage):
    """A page anyone opens without logging in and outside the menu (the verification of a printed document):
    no matrix row; tests/test_access_matrix.py lists its routes as public."""

    public = True

    def is_accessible(self):
        return True

    def is_visible(self):
        return False

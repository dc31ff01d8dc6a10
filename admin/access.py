"""The one way to ask the permission matrix (models/roles.py) from a request: registers, pages, links, templates."""
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from models.roles import can


def allowed(target, action="view"):
    """May the current user do the action on the target?

    The menu asks every view and a list page asks can_edit and the others for every row (two hundred questions a
    page): the answers are kept on the user object, which is loaded afresh for every request."""
    user = current_user._get_current_object()
    answers = user.__dict__.setdefault("_panel_allowed", {})
    key = (target, action)
    if key not in answers:
        answers[key] = bool(user.is_authenticated and can(user, target, action))
    return answers[key]


def refuse():
    """A guest is sent to log in; a logged-in user without the right gets the Russian 403 page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    abort(403)


def requires(target, action="view"):
    """Decorator of a page's route that needs more than the page's view right: the matrix decides, as for
    registers and pages. Stacked decorators all apply."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not allowed(target, action):
                return refuse()
            return view(*args, **kwargs)

        # read by the access walk over every route (tests/test_access_matrix.py)
        wrapped.panel_access = [(target, action), *getattr(view, "panel_access", [])]
        return wrapped

    return decorate


class MatrixAccess:
    """Flask-Admin access hooks answered by MATRIX[target]: registers and custom pages alike."""

    target = None

    def is_accessible(self):
        return allowed(self.target, "view")

    def is_visible(self):
        return self.is_accessible()

    def inaccessible_callback(self, name, **kwargs):
        return refuse()

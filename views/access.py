"""The decorator custom pages use to ask the permission matrix."""
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from admin.roles import can


def requires(target, action="view"):
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path))
            if not can(current_user, target, action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate

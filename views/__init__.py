"""Custom pages of the panel (log-in, workflows, reports), registered by the application factory."""


def register_views(app):
    from .auth import bp as auth_bp

    app.register_blueprint(auth_bp)

    from .backups import bp as backups_bp

    app.register_blueprint(backups_bp)

    from .marks import bp as marks_bp

    app.register_blueprint(marks_bp)

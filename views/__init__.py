"""Custom pages of the panel (log-in, workflows, reports), registered by the application factory."""


def register_views(app):
    from models.words import by_sex, name_in_case, person_in_case

    # Prints name people in the case the sentence needs and pick verbs by sex.
    app.jinja_env.globals.update(in_case=person_in_case, name_in_case=name_in_case, by_sex=by_sex)

    from .static_cache import init_static_cache

    init_static_cache(app)

    from .auth import bp as auth_bp

    app.register_blueprint(auth_bp)

    from .backups import bp as backups_bp

    app.register_blueprint(backups_bp)

    from .marks import bp as marks_bp

    app.register_blueprint(marks_bp)

"""Static files with versioned URLs and a year-long cache: a page after the first one loads its scripts and
styles from the browser's cache instead of asking the server again for each of them."""
import hashlib
from pathlib import Path
from time import monotonic

from flask import has_request_context, request, url_for
from jinja2 import pass_context

YEAR = 365 * 24 * 3600
RECHECK = 1.0  # seconds: a file edited while the panel runs gets its new URL within a second


def init_static_cache(app):
    versions = {}

    def folder(endpoint):
        if endpoint == "static":
            return app.static_folder
        blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
        return blueprint.static_folder if blueprint is not None else None

    def version(root, filename):
        # The file's content decides the URL: a changed file gets a new one, so a long cache is never stale. Its
        # time stamp is looked at again after RECHECK seconds, not on every link (seven file look-ups a page).
        path = Path(root) / filename
        now = monotonic()
        known = versions.get(path)
        if known is not None and now - known[2] < RECHECK:
            return known[1]
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            versions.pop(path, None)
            return None
        if known is None or known[0] != stamp:
            known = (stamp, hashlib.sha256(path.read_bytes()).hexdigest()[:10], now)
        versions[path] = (known[0], known[1], now)
        return known[1]

    @app.url_defaults
    def versioned_static(endpoint, values):
        # Flask-Admin versions most of its own files (?v=4.6.2), not all (popper.min.js): those get a hash too.
        if (endpoint == "static" or endpoint.endswith(".static")) and "v" not in values and values.get("filename"):
            root = folder(endpoint)
            v = version(root, values["filename"]) if root else None
            if v:
                values["v"] = v

    urls = {}

    def static_url(endpoint, filename, **values):
        """url_for(endpoint, filename=…) of a static file, built once per file version and URL root: a page links
        some twenty scripts and styles, and building their URLs was a tenth of a form's time (issue 22)."""
        root = None if "v" in values or not has_request_context() else folder(endpoint)
        stamp = version(root, filename) if root else None
        key = (request.script_root if has_request_context() else None, endpoint, filename,
               tuple(sorted(values.items())), stamp)
        url = urls.get(key)
        if url is None:
            if len(urls) > 1000:  # many versions of files edited while the process runs: start afresh
                urls.clear()
            url = urls[key] = url_for(endpoint, filename=filename, **values)
        return url

    @pass_context
    def admin_static_url(context, filename, **values):
        """Flask-Admin's admin_static.url(filename=…) without the template macro's call (panel.html links 14)."""
        return static_url(context["admin_view"].admin.endpoint + ".static", filename, **values)

    # templates/admin/static.html (Flask-Admin's static URL macro, used by its templates) and panel.html
    app.jinja_env.globals.update(panel_static_url=static_url, panel_admin_static_url=admin_static_url)

    @app.after_request
    def cache_versioned_static(response):
        endpoint = request.endpoint or ""
        if (endpoint == "static" or endpoint.endswith(".static")) and request.args.get("v") \
                and response.status_code in (200, 304):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response

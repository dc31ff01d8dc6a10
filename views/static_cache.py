"""Static files with versioned URLs and a year-long cache: a page after the first one loads its scripts and
styles from the browser's cache instead of asking the server again for each of them."""
import hashlib
from pathlib import Path

from flask import request

YEAR = 365 * 24 * 3600


def init_static_cache(app):
    versions = {}

    def folder(endpoint):
        if endpoint == "static":
            return app.static_folder
        blueprint = app.blueprints.get(endpoint.rsplit(".", 1)[0])
        return blueprint.static_folder if blueprint is not None else None

    def version(root, filename):
        # The file's content decides the URL: a changed file gets a new one, so a long cache is never stale.
        path = Path(root) / filename
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        known = versions.get(path)
        if known is None or known[0] != stamp:
            known = (stamp, hashlib.sha256(path.read_bytes()).hexdigest()[:10])
            versions[path] = known
        return known[1]

    @app.url_defaults
    def versioned_static(endpoint, values):
        # Flask-Admin versions most of its own files (?v=4.6.2), not all (popper.min.js): those get a hash too.
        if (endpoint == "static" or endpoint.endswith(".static")) and "v" not in values and values.get("filename"):
            root = folder(endpoint)
            v = version(root, values["filename"]) if root else None
            if v:
                values["v"] = v

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

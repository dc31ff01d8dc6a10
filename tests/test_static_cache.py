"""Static files: versioned URLs and a year-long cache, so later pages take scripts and styles from the cache."""
import re


def test_static_urls_are_versioned_and_cached_for_a_year(app, login_as):
    panel = login_as("secretary")
    page = panel.get("/admin/student/").get_data(as_text=True)
    own = re.search(r'href="(/static/panel\.css\?v=[0-9a-f]{10})"', page)
    assert own, "panel.css без версии в адресе"
    assert re.search(r'src="/static/panel-ru\.js\?v=[0-9a-f]{10}"', page)
    library = re.search(r'src="(/admin/static/vendor/jquery\.min\.js\?v=[^"]+)"', page).group(1)
    # A file Flask-Admin links without a version gets one from its content.
    unversioned = re.search(r'src="(/admin/static/bootstrap/bootstrap4/js/popper\.min\.js\?v=[0-9a-f]{10})"', page)
    assert unversioned, "popper.min.js без версии в адресе"
    for url in (own.group(1), library, unversioned.group(1)):
        response = panel.get(url)
        assert response.status_code == 200, url
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "no-cache" not in cache, (url, cache)
    # Without a version the browser must ask again: the file may have changed.
    bare = panel.get("/static/panel.css")
    assert "max-age=31536000" not in bare.headers.get("Cache-Control", "")


def test_a_changed_file_gets_a_new_url(tmp_path, monkeypatch):
    import os

    import views.static_cache as static_cache

    from flask import Flask, url_for

    from views.static_cache import init_static_cache

    css = tmp_path / "panel.css"
    css.write_text("body { color: black; }")
    site = Flask(__name__, static_folder=str(tmp_path), static_url_path="/static")
    init_static_cache(site)
    with site.test_request_context():
        clock = [100.0]
        monkeypatch.setattr(static_cache, "monotonic", lambda: clock[0])
        first = url_for("static", filename="panel.css")
        css.write_text("body { color: navy; }")
        stat = css.stat()
        os.utime(css, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a coarse clock still sees a change
        clock[0] += 0.2  # the same page's links: the file is not looked at again
        same = url_for("static", filename="panel.css")
        clock[0] += static_cache.RECHECK
        second = url_for("static", filename="panel.css")
        missing = url_for("static", filename="nothing.css")
    assert first.startswith("/static/panel.css?v=") and second.startswith("/static/panel.css?v=")
    assert same == first, "файл проверялся заново на каждую ссылку"
    assert first != second and missing == "/static/nothing.css"

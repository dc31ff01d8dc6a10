"""Every register's list page opens for a role that may see it."""
import pytest


def test_secretary_opens_student_pages(login_as):
    panel = login_as("secretary")
    for url in ("/admin/", "/admin/student/", "/admin/student/new/", "/admin/school_class/", "/admin/guardian/"):
        response = panel.get(url)
        assert response.status_code == 200, url
        assert "Обучающиеся" in response.get_data(as_text=True)


def test_postgresql_plans_a_list_page_for_its_own_values(app, backend, login_as):
    if backend != "postgresql":
        pytest.skip("только для PostgreSQL")
    from flask import request, request_finished

    from models import db

    seen = []

    def record(sender, response, **extra):
        if request.path == "/admin/personal_file/":
            seen.append(db.session.execute(db.text("SHOW plan_cache_mode")).scalar())

    # A prepared generic plan for «kind = $1» walked every register's rows to list a small one; imports keep
    # the cached plans (re-planning each of 10,000 inserts doubled an import's time).
    request_finished.connect(record, app)
    panel = login_as("secretary")
    try:
        assert panel.get("/admin/personal_file/").status_code == 200
    finally:
        request_finished.disconnect(record, app)
    assert seen == ["force_custom_plan"]

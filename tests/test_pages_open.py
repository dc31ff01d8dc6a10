"""Every register's list page opens for a role that may see it."""


def test_secretary_opens_student_pages(login_as):
    panel = login_as("secretary")
    for url in ("/admin/", "/admin/student/", "/admin/student/new/", "/admin/school_class/", "/admin/guardian/"):
        response = panel.get(url)
        assert response.status_code == 200, url
        assert "Обучающиеся" in response.get_data(as_text=True)

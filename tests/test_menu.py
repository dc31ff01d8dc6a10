"""The main menu: written once per set of roles and page, it still shows each user only what their roles open."""
import re


def _menu(page):
    nav = page[page.index('<ul class="nav navbar-nav mr-auto">'):]
    return nav[:nav.index("</ul>\n</nav>") if "</ul>\n</nav>" in nav else nav.index('<ul class="navbar-nav ml-auto">')]


def _entries(page):
    return set(re.findall(r'class="dropdown-item[^"]*"\s+href="[^"]*">\s*([^<]+?)</a>', _menu(page)))


def _active(page):
    return re.findall(r'class="dropdown-item active[^"]*"\s+href="[^"]*">\s*([^<]+?)</a>', _menu(page))


def test_each_role_sees_its_own_menu_whoever_asked_first(app, login_as):
    director, deputy, secretary = login_as("director"), login_as("deputy"), login_as("secretary")
    # Alternating on the same page: one user's menu never reaches another role.
    for _ in range(2):
        assert "Пользователи" in _entries(director.get("/admin/student/").get_data(as_text=True))
        assert "Журнал аудита" in _entries(deputy.get("/admin/student/").get_data(as_text=True))
        secretary_menu = _entries(secretary.get("/admin/student/").get_data(as_text=True))
        assert "Обучающиеся" in secretary_menu
        assert "Пользователи" not in secretary_menu and "Журнал аудита" not in secretary_menu
    both = login_as(["secretary", "deputy"])
    assert "Журнал аудита" in _entries(both.get("/admin/student/").get_data(as_text=True))


def test_menu_marks_the_page_open(app, login_as):
    secretary = login_as("secretary")
    assert _active(secretary.get("/admin/student/").get_data(as_text=True)) == ["Обучающиеся"]
    assert _active(secretary.get("/admin/guardian/").get_data(as_text=True)) == ["Законные представители"]
    assert _active(secretary.get("/admin/student/").get_data(as_text=True)) == ["Обучающиеся"]

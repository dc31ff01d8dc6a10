"""A register's table as a user reads and clicks it: headings that sort keeping the search, cells in Russian
(dates, statuses, an empty class), a record's links and bulk-action boxes (admin/listing.py writes them)."""
import re
from html import unescape

import factories
from models import db


def _headings(page):
    """{heading text: href} of the table's sortable headings."""
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return {re.sub(r"<[^>]+>", "", text).strip(): unescape(href)
            for href, text in re.findall(r'<a href="([^"]+)" title="Сортировать по [^"]*">(.*?)</a>', head)}


def _surnames(page):
    return re.findall(r'<td class="col-last_name">\s*([^<\s]+)\s*</td>', page)


def test_a_heading_sorts_the_found_pupils_and_the_sorted_one_turns_the_order(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=6, letter="Б")
        for surname, name in (("Орлова", "Вера"), ("Орлов", "Антон"), ("Орловский", "Борис"), ("Чайкин", "Олег")):
            factories.student(surname, name, klass=klass)
        db.session.commit()
    panel = login_as("secretary")
    page = panel.get("/admin/student/", query_string={"search": "орлов"}).get_data(as_text=True)
    links = _headings(page)
    assert set(links) >= {"Фамилия", "Имя"}, links
    assert all("search=" in href for href in links.values()), "сортировка теряет поиск"
    by_name = panel.get(links["Имя"]).get_data(as_text=True)
    assert _surnames(by_name) == ["Орлов", "Орловский", "Орлова"]  # Антон, Борис, Вера; «Чайкин» not found
    # The sorted heading shows its direction and leads to the other one.
    again = _headings(by_name)["Имя"]
    assert "desc=1" in again and "fa-chevron-up" in by_name.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert _surnames(panel.get(again).get_data(as_text=True)) == ["Орлова", "Орловский", "Орлов"]


def test_cells_read_in_russian_and_a_pupil_without_a_class_shows_an_empty_cell(app, login_as):
    from datetime import date

    with app.app_context():
        factories.student("Бесклассов", "Илья", klass=None, birth_date=date(2013, 1, 9))
        db.session.commit()
    page = login_as("secretary").get("/admin/student/", query_string={"search": "бесклассов"}).get_data(as_text=True)
    row = page.split("<tbody>", 1)[-1] if "<tbody>" in page else page.split("</thead>", 1)[1]
    row = row.split("</tr>", 1)[0]
    assert "09.01.2013" in row and "обучается" in row, row
    assert re.search(r'<td class="col-school_class.name">\s*</td>', row), row
    assert "None" not in row
    # The row's links open the record, and its box selects it for a bulk action.
    pupil_id = re.search(r'name="rowid" class="action-checkbox" value="(\d+)"', row).group(1)
    assert f"/admin/student/details/?id={pupil_id}" in row and f"/admin/student/edit/?id={pupil_id}" in row


def test_an_empty_list_says_so(app, login_as):
    page = login_as("secretary").get("/admin/student/", query_string={"search": "нетакогоученика"})
    assert page.status_code == 200
    assert 'colspan="999"' in page.get_data(as_text=True) and "Нет элементов в таблице." in page.get_data(as_text=True)


def test_a_name_with_markup_or_quotes_is_shown_as_text(app, login_as):
    with app.app_context():
        factories.student("<b>Жирнов</b>", "Д'Артаньян", middle_name='"=1+1"', klass=None)
        db.session.commit()
    page = login_as("secretary").get("/admin/student/", query_string={"search": "жирнов"}).get_data(as_text=True)
    body = page.split("</thead>", 1)[1]
    assert "<b>Жирнов</b>" not in body and "&lt;b&gt;Жирнов&lt;/b&gt;" in body
    assert unescape(re.search(r'<td class="col-first_name">([^<]*)</td>', body).group(1)).strip() == "Д'Артаньян"
    assert unescape(re.search(r'<td class="col-middle_name">([^<]*)</td>', body).group(1)).strip() == '"=1+1"'

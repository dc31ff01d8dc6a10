"""The students' register as the secretary uses it: Russian dates, rules next to the field, search, locking."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

import factories
from admin.base import STALE_MESSAGE
from models import Student, User, db
from models.people import current_year


def _count(app, model=Student):
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def _form(klass_id, **changes):
    data = {"last_name": "Смирнова", "first_name": "Дарья", "middle_name": "Олеговна", "birth_date": "03.05.2015",
            "sex": "female", "school_class": str(klass_id), "enrolled_on": "01.09.2022"}
    data.update(changes)
    return data


@pytest.fixture
def klass(app):
    with app.app_context():
        record = factories.school_class(grade=4, letter="Б")
        db.session.commit()
        return record.id


def _field_errors(page):
    """Messages Flask-Admin shows next to fields (the 'invalid-feedback' / help-block of the field)."""
    return " ".join(re.findall(r'class="(?:invalid-feedback|help-block)[^"]*">\s*(?:<[^>]+>\s*)*([^<]+)', page))


def test_secretary_creates_student_with_russian_date(app, login_as, klass):
    panel = login_as("secretary")
    form_page = panel.get("/admin/student/new/").get_data(as_text=True)
    assert "ДД.ММ.ГГГГ" in form_page  # the date field tells which format it wants
    response = panel.post("/admin/student/new/", data=_form(klass))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        student = db.session.scalar(select(Student).where(Student.last_name == "Смирнова"))
        assert student.birth_date == date(2015, 5, 3)
        assert student.enrolled_on == date(2022, 9, 1)
        assert student.school_class_id == klass
    page = panel.get("/admin/student/").get_data(as_text=True)
    assert "03.05.2015" in page and "2015-05-03" not in page


@pytest.mark.parametrize("changes, field_message", [
    ({"birth_date": (date.today() + timedelta(days=1)).strftime("%d.%m.%Y")},
     "Дата рождения не может быть в будущем."),
    ({"birth_date": "2015-05-03"}, "Введите дату в виде ДД.ММ.ГГГГ"),
    ({"birth_date": "31.02.2015"}, "Введите дату в виде ДД.ММ.ГГГГ"),
    ({"last_name": "   "}, "Укажите фамилию обучающегося."),
    ({"first_name": ""}, "Обязательное поле."),  # WTForms' own required check, in Russian
    ({"first_name": "  "}, "Укажите имя обучающегося."),
    ({"sex": ""}, "Обязательное поле."),
    ({"sex": "other"}, "Неверный вариант."),
])
def test_bad_student_is_refused_next_to_the_field(app, login_as, klass, changes, field_message):
    panel = login_as("secretary")
    response = panel.post("/admin/student/new/", data=_form(klass, **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_message in _field_errors(page), _field_errors(page)
    assert "Запись не создана" in page and "Failed" not in page
    assert _count(app) == 0


def test_sex_has_no_default_and_the_status_follows_it(app, login_as, klass):
    panel = login_as("secretary")
    form_page = panel.get("/admin/student/new/").get_data(as_text=True)
    select_html = form_page[form_page.index('name="sex"'):]
    select_html = select_html[:select_html.index("</select>")]
    assert "selected" not in select_html and "— выберите —" in select_html
    with app.app_context():
        for last, first, sex in (("Смирнова", "Анна", "female"), ("Смирнов", "Олег", "male")):
            pupil = factories.student(last, first, sex=sex, middle_name=None)
            pupil.status = "left"
        db.session.commit()
    page = panel.get("/admin/student/").get_data(as_text=True)
    rows = {name: page[page.index(name):][:2000] for name in (">Смирнова<", ">Смирнов<")}
    assert "выбыла" in rows[">Смирнова<"].split("</tr>")[0]
    assert "выбыл<" in rows[">Смирнов<"].split("</tr>")[0].replace(" ", "").replace("\n", "")


def test_student_in_a_class_of_another_year_is_refused(app, login_as):
    with app.app_context():
        old_class = factories.school_class(grade=4, letter="В", year=factories.other_year())
        db.session.commit()
        old_id, current = old_class.id, current_year(db.session).name
    panel = login_as("secretary")
    page = panel.post("/admin/student/new/", data=_form(old_id)).get_data(as_text=True)
    errors = _field_errors(page)
    assert "Выберите класс текущего года" in errors and current in errors
    assert _count(app) == 0


def test_duplicate_login_is_refused(app, login_as):
    panel = login_as("admin")
    with app.app_context():
        factories.user("kozlova", ["secretary"])
        db.session.commit()
    response = panel.post("/admin/user/new/", data={"login": "Kozlova", "full_name": "Козлова Анна Ивановна",
                                                    "roles": "secretary", "active": "y",
                                                    "password": "long-enough-1"})
    assert response.status_code == 200
    assert "Пользователь с логином «Kozlova» уже есть." in _field_errors(response.get_data(as_text=True))
    assert _count(app, User) == 2  # the admin and the first Kozlova


def test_cyrillic_search_ignores_case(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=7, letter="А")
        factories.student("Иванов", "Пётр", klass=klass)
        factories.student("Петрова", "Анна", klass=klass, sex="female")
        db.session.commit()
    panel = login_as("secretary")
    for query in ("иванов", "ИВАНОВ", "Иванов", "иВаНоВ"):
        page = panel.get("/admin/student/", query_string={"search": query}).get_data(as_text=True)
        assert "Иванов" in page, query
        assert "Петрова" not in page, query


def test_list_filters_by_class(app, login_as):
    with app.app_context():
        a = factories.school_class(grade=7, letter="А")
        b = factories.school_class(grade=8, letter="Б")
        factories.student("Иванов", "Пётр", klass=a)
        factories.student("Петрова", "Анна", klass=b, sex="female")
        db.session.commit()
    panel = login_as("secretary")
    arg = factories.filter_arg(app, "student", "Класс", "равно")
    page = panel.get("/admin/student/", query_string={arg: "8Б"}).get_data(as_text=True)
    assert "Петрова" in page and "Иванов" not in page


def test_second_save_from_a_stale_form_is_refused(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=3, letter="А")
        student = factories.student("Орлов", "Егор", klass=klass)
        db.session.commit()
        sid, cid = student.id, klass.id
    first = login_as("secretary")
    second = login_as("secretary", login="secretary2")
    first_form = first.get(f"/admin/student/edit/?id={sid}").get_data(as_text=True)
    second_form = second.get(f"/admin/student/edit/?id={sid}").get_data(as_text=True)
    loaded = re.search(r'name="loaded_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="loaded_version"', first_form)
    assert loaded, "the edit form must carry the loaded version"
    version = loaded.group(1) or loaded.group(2)
    assert f'value="{version}"' in second_form

    base = _form(cid, last_name="Орлов", first_name="Егор", middle_name="", birth_date="05.03.2014", sex="male",
                 enrolled_on="")
    response = first.post(f"/admin/student/edit/?id={sid}", data={**base, "first_name": "Георгий",
                                                                   "loaded_version": version})
    assert response.status_code == 302
    response = second.post(f"/admin/student/edit/?id={sid}", data={**base, "first_name": "Григорий",
                                                                    "loaded_version": version})
    page = response.get_data(as_text=True)
    assert STALE_MESSAGE in page and "Failed" not in page
    with app.app_context():
        assert db.session.get(Student, sid).first_name == "Георгий"
    # The refused form now shows the current values, so the second user can redo the edit.
    assert "Георгий" in page


def test_date_filter_takes_russian_dates(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=7, letter="А")
        factories.student("Иванов", "Пётр", klass=klass, birth_date=date(2012, 4, 1))
        factories.student("Петрова", "Анна", klass=klass, sex="female", birth_date=date(2013, 6, 15))
        db.session.commit()
    panel = login_as("secretary")
    equal = factories.filter_arg(app, "student", "Дата рождения", "равно")
    between = factories.filter_arg(app, "student", "Дата рождения", "между")
    for arg, value in ((equal, "15.06.2013"), (equal, "2013-06-15"), (between, "01.01.2013 to 31.12.2013")):
        page = panel.get("/admin/student/", query_string={arg: value}).get_data(as_text=True)
        assert "Петрова" in page and "Иванов" not in page, value


def test_guardians_are_linked_through_the_typed_lookup(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=3, letter="А")
        mother = factories.guardian(last_name="Соколова", first_name="Ирина")
        db.session.commit()
        klass_id, mother_id = klass.id, mother.id
    panel = login_as("secretary")
    lookup = panel.get("/admin/student/ajax/lookup/?name=guardians&query=сокол")
    assert lookup.status_code == 200 and "Соколова" in lookup.get_json()[0][1]  # lower-case Cyrillic finds it
    response = panel.post("/admin/student/new/", {
        "last_name": "Соколов", "first_name": "Лев", "birth_date": "12.04.2018", "sex": "male",
        "school_class": str(klass_id), "guardians": str(mother_id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        student = db.session.scalar(select(Student).where(Student.last_name == "Соколов"))
        assert [g.id for g in student.guardians] == [mother_id]


def test_search_folds_yo_and_matches_every_word(app, login_as):
    with app.app_context():
        klass = factories.school_class(grade=7, letter="Б")
        factories.student("Ёлкина", "Дарья", klass=klass, sex="female")
        factories.student("Елкин", "Пётр", klass=klass)
        factories.student("Иванова_%", "Анна", klass=klass, sex="female")
        db.session.commit()
    panel = login_as("secretary")

    def found(query):
        page = panel.get("/admin/student/", query_string={"search": query}).get_data(as_text=True)
        return {name for name in ("Ёлкина", "Елкин ", "Иванова_%") if name.strip() in page}

    assert found("елкина") == {"Ёлкина"}
    assert found("ЁЛКИН пётр") == {"Елкин "}
    assert found("_%") == {"Иванова_%"}  # LIKE wildcards typed by a user are plain characters
    assert found("%") == {"Иванова_%"}


def test_list_pages_keep_the_sort_order_across_pages(app, login_as):
    # A page is read as its ids first, then its rows: both pages together hold every student once, in order.
    with app.app_context():
        klass = factories.school_class(grade=6, letter="Д")
        for n in range(57):
            factories.student(f"Страницын{n:02d}", "Пётр", klass=klass)
        db.session.commit()
    panel = login_as("secretary")
    seen = []
    for page in (0, 1):
        html = panel.get("/admin/student/", query_string={"page": page}).get_data(as_text=True)
        seen += re.findall(r"Страницын\d\d", html)
    assert seen == [f"Страницын{n:02d}" for n in range(57)]
    html = panel.get("/admin/student/", query_string={"page": 0, "sort": 0, "desc": 1}).get_data(as_text=True)
    assert re.findall(r"Страницын\d\d", html)[:2] == ["Страницын56", "Страницын55"]


@pytest.mark.parametrize("few", [2000, 1])
def test_name_search_lists_the_same_students_in_order_with_few_or_many_matches(app, login_as, monkeypatch, few):
    # On PostgreSQL few matching students are read first and then sorted, many by a walk along the name order:
    # either way the page holds the same students alphabetically.
    import models.people

    monkeypatch.setattr(models.people, "FEW_STUDENTS", few)
    with app.app_context():
        klass = factories.school_class(grade=5, letter="В")
        for last in ("Соколова", "Белова", "Соколов", "Чернова", "Ершов"):
            factories.student(last, "Мария", klass=klass, sex="female")
        db.session.commit()
    page = login_as("secretary").get("/admin/student/", query_string={"search": "ова"}).get_data(as_text=True)
    assert re.findall(r"(Белова|Соколова|Чернова|Соколов|Ершов)\b", page) == ["Белова", "Соколова", "Чернова"]
    short = login_as("secretary").get("/admin/student/", query_string={"search": "ов"}).get_data(as_text=True)
    assert re.findall(r"(Белова|Соколова|Чернова|Соколов|Ершов)\b", short) == \
        ["Белова", "Ершов", "Соколов", "Соколова", "Чернова"]  # shorter than a trigram: still every match


COMMON_SURNAMES = ("Иванов", "Ёлкин", "Сидоров", "Ивашкин", "Яковлев", "Абрамов", "Петров", "Ильин")
COMMON_FIRST = ("Иван", "Пётр", "Алексей")
COMMON_MIDDLE = ("Иванович", "Петрович", "Сергеевич", "Алексеевич", "Ильич")


def _common_names(app):
    """120 pupils of a district's school, one in two with «иван» somewhere in the ФИО (any word, any case), two of
    them namesakes; returns {id: folded ФИО}."""
    with app.app_context():
        klass = factories.school_class(grade=6, letter="И")
        names = {}
        for n in range(120):
            last = COMMON_SURNAMES[n % 8] + ("а" if n % 16 >= 8 else "")
            first, middle = COMMON_FIRST[n % 3], COMMON_MIDDLE[n % 5]
            if n == 119:
                last, first, middle = "Иванов", "Иван", "Иванович"  # a namesake of n == 0
            record = factories.student(last, first, klass=klass, middle_name=middle,
                                       sex="female" if last.endswith("а") else "male")
            names[record.id] = record.search_name
        db.session.commit()
        return names


def _listed_ids(page):
    return [int(i) for i in re.findall(r'href="/admin/student/edit/\?id=(\d+)&', page)]


@pytest.mark.parametrize("few", [5000, 3])
def test_common_name_search_pages_hold_every_match_in_name_order(app, login_as, monkeypatch, few):
    # A common name («иван» is in one ФИО of five in a district) has more matches than a trigram index read is
    # worth (few=3 here): the page is then found by a walk along the name order. Either way every page holds the
    # next 50 matches by name, ties by their id, and no match is missed or shown twice across pages.
    import models.people

    monkeypatch.setattr(models.people, "FEW_STUDENTS", few)
    names = _common_names(app)
    panel = login_as("secretary")
    for text in ("иван", "ИВАНО", "иван петр", "ивановИЧ ёлкин"):
        words = text.lower().replace("ё", "е").split()
        expected = sorted((i for i, name in names.items() if all(w in name for w in words)),
                          key=lambda i: (names[i], i))
        listed = []
        for page in range(3):
            html = panel.get("/admin/student/", query_string={"search": text, "page": page}).get_data(as_text=True)
            listed += _listed_ids(html)
        assert listed == expected, text
    assert len([i for i in names if "иван" in names[i]]) > 50  # the first search did fill more than a page


@pytest.mark.parametrize("few", [5000, 3])
def test_common_name_look_up_lists_matches_by_name(app, login_as, monkeypatch, few):
    # The guardian form's look-up of pupils pages the same matches in the same order, 20 at a time.
    import models.people

    monkeypatch.setattr(models.people, "FEW_STUDENTS", few)
    names = _common_names(app)
    panel = login_as("secretary")
    expected = sorted((i for i, name in names.items() if "ивано" in name), key=lambda i: (names[i], i))
    found = []
    for offset in (0, 20, 40, 60):
        answer = panel.get("/admin/guardian/ajax/lookup/",
                           query_string={"name": "students", "query": "Ивано", "offset": offset, "limit": 20})
        assert answer.status_code == 200
        found += [row[0] for row in answer.get_json()]
    assert found == expected


def test_name_search_follows_renamed_and_deleted_students(app, login_as):
    # The trigram index of names is kept by the database on every insert, update and delete.
    with app.app_context():
        klass = factories.school_class(grade=5, letter="Г")
        renamed = factories.student("Прежнева", "Ольга", klass=klass, sex="female")
        gone = factories.student("Удалёнкин", "Илья", klass=klass)
        db.session.commit()
        renamed.last_name = "Новикова"
        db.session.delete(gone)
        db.session.commit()
    panel = login_as("secretary")

    def found(text):
        return panel.get("/admin/student/", query_string={"search": text}).get_data(as_text=True)

    assert "Новикова" in found("новикова")
    assert "Прежнева" not in found("прежнева") and "Новикова" not in found("прежнева")
    assert "Удалёнкин" not in found("удаленкин")


def test_name_search_text_is_never_index_query_syntax(app, login_as):
    # SQLite's name index takes each word as a quoted phrase: quotes, stars and operators typed are plain text.
    with app.app_context():
        factories.student("Соколова", "Мария", klass=factories.school_class(grade=5, letter="Д"), sex="female")
        db.session.commit()
    panel = login_as("secretary")
    for text in ('ова" OR "', "сок* NOT мар", 'соколова "мария"', "NEAR(соколова)"):
        response = panel.get("/admin/student/", query_string={"search": text})
        assert response.status_code == 200 and "Соколова" not in response.get_data(as_text=True), text
    assert "Соколова" in panel.get("/admin/student/", query_string={"search": "соколова мария"}).get_data(as_text=True)


def test_yo_sorts_with_ye_in_the_lists_and_pickers(app, login_as):
    """«Ё» (U+0401) sorts before «А» by code point; a Russian list puts it among the «Е»."""
    names = ["Ёлкин", "Абрамов", "Ежов", "Жуков", "Дёмин", "Ёжиков", "Дьяков"]
    expected = ["Абрамов", "Дёмин", "Дьяков", "Ёжиков", "Ежов", "Ёлкин", "Жуков"]
    assert expected.index("Ёлкин") > expected.index("Ежов") > expected.index("Абрамов")
    with app.app_context():
        klass = factories.school_class(grade=7, letter="Е")
        for name in names:
            factories.student(name, "Иван", klass=klass)
            db.session.add(User(login=f"u{names.index(name)}", full_name=f"{name} Иван Петрович",
                                roles_text="deputy", active=True))
        db.session.commit()
    students = login_as("secretary").get("/admin/student/").get_data(as_text=True)
    assert [n for n in re.findall(r"<td class=\"col-last_name\">\s*(\S+?)\s*</td>", students)] == expected
    users = login_as("admin").get("/admin/user/").get_data(as_text=True)
    listed = [n for n in re.findall(r"([А-ЯЁ][а-яё]+) Иван Петрович", users)]
    assert listed == expected
    by_name_desc = login_as("admin").get("/admin/user/?sort=1&desc=1").get_data(as_text=True)
    assert re.findall(r"([А-ЯЁ][а-яё]+) Иван Петрович", by_name_desc) == expected[::-1]
    by_surname_desc = login_as("secretary").get("/admin/student/?sort=0&desc=1").get_data(as_text=True)
    assert re.findall(r"<td class=\"col-last_name\">\s*(\S+?)\s*</td>", by_surname_desc) == expected[::-1]
    # The commission picker of a destruction act and the custodian picker of a carrier: the same order.
    with app.app_context():
        from admin.carriers import _active_users

        picked = [u.full_name.split()[0] for u in _active_users() if u.full_name.endswith("Иван Петрович")]
    assert picked == expected

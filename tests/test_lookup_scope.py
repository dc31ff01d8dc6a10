"""A look-up answers only what the user's role may list, whichever register's form it is reached through."""
import json

import factories


def _answer(panel, url):
    response = panel.get(url)
    return response.status_code, response.get_data(as_text=True)


def _two_classes(session):
    teacher = factories.user("teacher", "class_teacher")
    own = factories.school_class(grade=7, letter="В", teacher=teacher)
    other = factories.school_class(grade=8, letter="Г")
    mine = factories.student("Орлов", "Глеб", klass=own)
    factories.guardian("Орлова", "Анна", students=[mine])
    for number in range(12):
        pupil = factories.student("Чужов", f"Ученик{number}", klass=other)
        factories.guardian("Чужова", f"Мать{number}", students=[pupil])
    session.commit()


def test_class_teacher_cannot_page_guardians_through_the_pupil_form(app, login_as, session):
    _two_classes(session)
    panel = login_as("class_teacher", login="teacher")
    for term in ("а", "чужова", "орлова"):
        status, body = _answer(panel, f"/admin/student/ajax/lookup/?name=guardians&query={term}&offset=0&limit=50")
        assert status == 403  # the role may not fill the pupil form in at all
        assert "Чужова" not in body and "Орлова" not in body
    # Where the class teacher does fill a form in, the classes offered are the own one only.
    status, body = _answer(panel, "/admin/portfolio/ajax/lookup/?name=school_class&query=%D0%B3")  # «г»
    assert status == 200 and json.loads(body) == []
    status, body = _answer(panel, "/admin/portfolio/ajax/lookup/?name=school_class&query=7")
    assert status == 200 and [label.split(" (")[0] for _id, label in json.loads(body)] == ["7В"]
    # The secretary, who keeps the pupils register, still finds every guardian.
    status, body = _answer(login_as("secretary"), "/admin/student/ajax/lookup/?name=guardians&query=чужова&limit=50")
    assert status == 200 and len(json.loads(body)) == 12


def test_administrator_cannot_page_pupils_through_another_register(app, login_as, session):
    _two_classes(session)
    admin = login_as("admin")
    assert admin.get("/admin/student/").status_code == 403
    status, body = _answer(admin, "/admin/ejournal_copy/ajax/lookup/?name=student&query=чужов&limit=50")
    assert status == 403
    assert "Чужов" not in body and "2014" not in body
    # The classes, which the administrator may list, are still looked up on the copy's form.
    status, body = _answer(admin, "/admin/ejournal_copy/ajax/lookup/?name=school_class&query=8")
    assert status == 200 and [label.split(" (")[0] for _id, label in json.loads(body)] == ["8Г"]

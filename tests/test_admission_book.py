"""The alphabetical book of pupils: filled by admission, leaving, return, graduation and import; numbered within a
letter without races; corrected only with a reason; printed by letter and by year."""
import io
import threading
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from conftest import RACE_WINDOW
import factories
from leaving_seed import pupil_with_carriers
from models import AuditLog, Order, PersonalFile, Student, db
from models import admission_book
from models.admission_book import AdmissionBookEntry, readmit_student
from models.leaving import leave_school, promote_classes, reverse_leaving
from models.people import current_year

LEFT = date(2025, 6, 10)


def lines(session, student_id):
    session.expire_all()
    return session.scalars(select(AdmissionBookEntry).where(AdmissionBookEntry.student_id == student_id)
                           .order_by(AdmissionBookEntry.id)).all()


def pdf_text(data):
    # Cells wrap: compare words, not lines.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_admission_through_the_form_writes_a_line_and_the_personal_file_takes_its_number(app, login_as, session):
    klass = factories.school_class(grade=5, letter="А")
    factories.student(last_name="Белкин", klass=klass)  # Б-1 already taken by another pupil
    order = Order(number="112-о", issued_on=date(2025, 8, 27), kind="enrolment", title="О зачислении")
    session.add(order)
    session.commit()
    klass_id, order_id = klass.id, order.id
    panel = login_as("secretary")
    response = panel.post("/admin/student/new/", {
        "last_name": "Борисова", "first_name": "Анна", "middle_name": "Олеговна", "birth_date": "03.05.2014",
        "sex": "female", "school_class": str(klass_id), "enrolled_on": "01.09.2025",
        "enrolment_order": str(order_id), "came_from": "МБОУ «Школа № 3», г. Казань"})
    assert response.status_code == 302, response.get_data(as_text=True)
    anna = session.scalar(select(Student).where(Student.last_name == "Борисова"))
    [line] = lines(session, anna.id)
    assert (line.number, line.admitted_on, line.admitted_class, line.came_from) == (
        "Б-2", date(2025, 9, 1), "5А", "МБОУ «Школа № 3», г. Казань")
    assert line.admission_order_id == order_id and str(line.admission_order) == "№ 112-о от 27.08.2025"
    # The order lists whom it concerns: the same record the book points to.
    assert [s.full_name for s in session.get(Order, order_id).students] == ["Борисова Анна Олеговна"]
    kind = session.scalar(select(PersonalFile.kind_id).limit(1)) or factories.db.session.scalar(
        select(__import__("models").CarrierKind.id).where(__import__("models").CarrierKind.code == "personal_file"))
    response = panel.post("/admin/personal_file/new/", {"kind": str(kind), "student": str(anna.id),
                                                         "created_on": "01.09.2025", "status": "kept"})
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(PersonalFile.number).where(PersonalFile.student_id == anna.id)) == "Б-2"
    assert lines(session, anna.id)[0].personal_file_number == "Б-2"


def test_numbering_is_within_the_letter(session):
    klass = factories.school_class()
    made = [factories.student(last_name=name, klass=klass) for name in ("Белов", "Алексеев", "Быков", "ёлкин",
                                                                          "Бойко")]
    session.commit()
    numbers = [lines(session, s.id)[0].number for s in made]
    assert numbers == ["Б-1", "А-1", "Б-2", "Ё-1", "Б-3"]


def test_transfer_reversal_return_and_graduation_keep_the_book(app, session):
    pupil, _, _ = pupil_with_carriers(last_name="Ёлкина")
    session.commit()
    pupil_id = pupil.id
    [first] = lines(session, pupil_id)
    assert first.number == "Ё-1" and first.left_on is None
    act = leave_school(session, pupil_id, reason="transfer", left_on=LEFT, order_number="45-у", order_date=LEFT,
                       destination="МБОУ «Школа № 5», г. Казань", items={}, today=LEFT)
    session.commit()
    [first] = lines(session, pupil_id)
    assert (first.left_on, first.leaving_reason, first.left_to) == (LEFT, "transfer", "МБОУ «Школа № 5», г. Казань")
    assert first.leaving_order_id == act.order_id == session.get(Student, pupil_id).leaving_order_id
    assert [s.id for s in act.order.students] == [pupil_id]
    # A leaving by mistake, reversed: the line is as before.
    reverse_leaving(session, act.id, reason="ошибка в приказе")
    session.commit()
    [first] = lines(session, pupil_id)
    assert first.left_on is None and first.leaving_order_id is None
    act = leave_school(session, pupil_id, reason="transfer", left_on=LEFT, order_number="46-у", order_date=LEFT,
                       destination="Лицей № 1", items={}, today=LEFT)
    session.commit()
    # Back a year later: a new line; the old one keeps the leaving.
    klass = factories.school_class(grade=10, letter="Б")
    back = readmit_student(session, session.get(Student, pupil_id), enrolled_on=date(2026, 9, 1),
                           school_class=klass, came_from="Лицей № 1")
    session.commit()
    first, second = lines(session, pupil_id)
    assert first.number == "Ё-1" and first.left_to == "Лицей № 1" and first.left_on == LEFT
    assert second.id == back.id and second.number == "Ё-2" and second.left_on is None
    assert (second.admitted_on, second.admitted_class, second.came_from) == (date(2026, 9, 1), "10Б", "Лицей № 1")


def _next_year(session):
    from models import AcademicYear

    now = current_year(session)
    start = now.starts_on.year + 1
    year = AcademicYear(name=f"{start}/{start + 1}", starts_on=date(start, 9, 1), ends_on=date(start + 1, 8, 31))
    session.add(year)
    session.flush()
    return year


def test_graduation_by_promotion_writes_the_graduation_order_on_every_graduate_line(app, session):
    eleven = factories.school_class(grade=11, letter="А")
    one, _, _ = pupil_with_carriers(last_name="Выпускникова", klass=eleven, number=3, certificate=False)
    two, _, _ = pupil_with_carriers(last_name="Выходцева", klass=eleven, number=4, certificate=False)
    ten = factories.student(last_name="Десятов", klass=factories.school_class(grade=10, letter="А"))
    year = _next_year(session)
    session.commit()
    promote_classes(session, current_year(session).id, year.id, order_number="90-у", order_date=LEFT, left_on=LEFT,
                    today=LEFT)
    session.commit()
    order = session.scalar(select(Order).where(Order.number == "90-у"))
    assert order.kind == "graduation" and {s.id for s in order.students} == {one.id, two.id}
    for pupil in (one, two):
        [line] = lines(session, pupil.id)
        assert (line.left_on, line.leaving_reason, line.leaving_order_id) == (LEFT, "graduation", order.id)
    [line] = lines(session, ten.id)
    assert line.left_on is None  # promoted, still studying: one line, unchanged


def test_import_keeps_the_schools_numbers_and_continues_after_them(app, login_as, session):
    from test_people_import import _row, _upload, _xlsx

    factories.school_class(grade=6, letter="А")
    session.commit()
    panel = login_as("secretary")
    data = _xlsx([_row() + ["МБОУ «СОШ № 9», г. Энск", "12-о", "28.08.2021"],
                  _row(last="Борисов", first="Иван", sex="м", number="", guardian="Борисов Олег", kind="отец")
                  + ["", "12-о", "28.08.2021"]])
    half = _upload(panel, _xlsx([_row(last="Быкова", first="Ольга", number="") + ["", "13-о", ""]]), "п.xlsx", "check")
    assert "укажите и номер, и дату приказа о зачислении" in half.get_data(as_text=True)
    done = _upload(panel, data, "ученики.xlsx", "import")
    assert "Импорт выполнен" in done.get_data(as_text=True)
    anna = session.scalar(select(Student).where(Student.last_name == "Белова"))
    ivan = session.scalar(select(Student).where(Student.last_name == "Борисов"))
    assert lines(session, anna.id)[0].number == "Б-15"
    assert lines(session, anna.id)[0].personal_file_number == "Б-15"
    assert lines(session, anna.id)[0].came_from == "МБОУ «СОШ № 9», г. Энск"
    order = session.scalar(select(Order).where(Order.number == "12-о"))
    assert order.kind == "enrolment" and {s.id for s in order.students} == {anna.id, ivan.id}
    assert lines(session, ivan.id)[0].admission_order_id == order.id
    # The next pupil of the letter continues after the school's numbers, whatever the order of the rows.
    assert lines(session, ivan.id)[0].number == "Б-16"
    later = factories.student(last_name="Бобров", klass=None)
    session.commit()
    assert lines(session, later.id)[0].number == "Б-17"
    # A number the book already holds is refused by the import, in Russian, with nothing saved.
    again = _upload(panel, _xlsx([_row(last="Брагина", first="Юлия", number="Б-16")]), "ещё.xlsx", "check")
    assert "уже есть" in again.get_data(as_text=True)


def test_a_number_in_the_book_is_refused_for_another_personal_file(app, session, login_as):
    from models.registers import personal_file_errors

    klass = factories.school_class()
    first = factories.student(last_name="Белкин", klass=klass)
    second = factories.student(last_name="Быстров", klass=klass)
    session.commit()
    errors = personal_file_errors(session, number="Б-1", student_id=second.id)
    assert "алфавитной книге" in errors["number"] and first.id


def test_correction_needs_a_reason_is_audited_and_a_line_is_never_deleted(app, login_as, session):
    pupil = factories.student(last_name="Семёнов", klass=factories.school_class())
    session.commit()
    [line] = lines(session, pupil.id)
    panel = login_as("secretary")
    url = f"/admin/admission_book/edit/?id={line.id}"
    form = {"last_name": "Семенов", "first_name": "Пётр", "middle_name": "Сергеевич", "birth_date": "05.03.2014",
            "came_from": "", "left_to": "", "personal_file_number": "С-1", "correction_reason": "",
            "loaded_version": str(line.version)}
    refused = panel.post(url, form)
    assert "только с указанием причины" in refused.get_data(as_text=True)
    bad_number = panel.post(url, dict(form, correction_reason="опечатка", personal_file_number="15Б"))
    assert "например «Б-15»" in bad_number.get_data(as_text=True)
    assert lines(session, pupil.id)[0].last_name == "Семёнов"
    form["correction_reason"] = "ошибка в фамилии по свидетельству о рождении"
    assert panel.post(url, form).status_code == 302
    [line] = lines(session, pupil.id)
    assert line.last_name == "Семенов" and line.correction_reason.startswith("ошибка в фамилии")
    audit = session.scalar(select(AuditLog).where(AuditLog.table_name == "admission_book_entry",
                                                  AuditLog.action == "update"))
    assert audit is not None and "Семенов" in audit.changes
    gone = panel.post("/admin/admission_book/delete/", {"id": str(line.id)}, follow_redirects=True)
    assert lines(session, pupil.id), gone.get_data(as_text=True)
    # Nobody creates a line by hand: it comes from an admission.
    assert panel.get("/admin/admission_book/new/").status_code in (302, 403)


def test_book_prints_by_letter_and_by_year_in_its_columns(app, login_as, session):
    klass = factories.school_class(grade=2, letter="В")
    order = Order(number="7-о", issued_on=date(2026, 8, 28), kind="enrolment")
    session.add(order)
    session.flush()
    for n in range(30):
        factories.student(last_name=f"Галкин{n:02d}", first_name="Олег", klass=klass, enrolled_on=date(2026, 9, 1),
                          enrolment_order=order)
    factories.student(last_name="Давыдов", klass=klass, enrolled_on=date(2019, 9, 1))
    session.commit()
    year_id = current_year(session).id
    panel = login_as("secretary")
    listing = panel.get("/admin/admission_book/").get_data(as_text=True)
    assert "Галкин00" in listing and "Г-1" in listing and "Печать книги" in listing
    response = panel.get("/admin/admission_book/pdf/?letter=Г")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Алфавитная книга записи обучающихся" in text and "буква «Г»" in text
    for header in ("Дата рождения", "Откуда прибыл", "№ личного"):
        assert header in text
    assert "Г-30" in text and "Галкин29 Олег" in text and "№ 7-о" in text and "Давыдов" not in text
    by_year = pdf_text(panel.get(f"/admin/admission_book/pdf/?year={year_id}").data)
    assert "Галкин05" in by_year and "Давыдов" not in by_year
    bad = panel.get("/admin/admission_book/pdf/?letter=Z", follow_redirects=True)
    assert bad.status_code == 200 and "русского алфавита" in bad.get_data(as_text=True)
    assert login_as("class_teacher").get("/admin/admission_book/pdf/?letter=Г").status_code == 403


def test_two_secretaries_admit_pupils_of_one_letter_at_the_same_moment(app, monkeypatch):
    """Threads with their own sessions take lines of the same letter at once: each line once, none skipped."""
    with app.app_context():
        klass_id = factories.school_class().id
        factories.student(last_name="Жуков", klass=db.session.get(factories.SchoolClass, klass_id))
        db.session.commit()
    original = admission_book._upsert_counter
    gate = threading.Barrier(4, timeout=RACE_WINDOW)

    def slow(session, letter, at_least=None):
        value = original(session, letter, at_least)
        try:
            gate.wait()  # hold the transaction open: without the lock the others would take the same line
        except threading.BrokenBarrierError:
            pass
        return value

    monkeypatch.setattr(admission_book, "_upsert_counter", slow)
    errors, start = [], threading.Barrier(4)

    def secretary(n):
        with app.app_context():
            try:
                start.wait()
                for k in range(3):
                    db.session.add(Student(last_name=f"Жаров{n}{k}", first_name="Иван", birth_date=date(2014, 1, 1),
                                           sex="male", school_class_id=klass_id, status="studying"))
                    db.session.commit()
            except Exception as exc:  # reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=secretary, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    with app.app_context():
        numbers = sorted(db.session.scalars(select(AdmissionBookEntry.line_number).where(
            AdmissionBookEntry.letter == "Ж")))
        assert numbers == list(range(1, 14))


def test_a_pupil_deleted_as_a_mistake_leaves_an_annulled_line_and_the_number_is_not_given_again(app, login_as,
                                                                                                 session):
    klass = factories.school_class()
    mistake = factories.student(last_name="Ошибкин", klass=klass)
    session.commit()
    mistake_id = mistake.id
    [line] = lines(session, mistake_id)
    panel = login_as("secretary")
    assert panel.post("/admin/student/delete/", {"id": str(mistake_id)}).status_code == 302
    session.expire_all()
    assert session.get(Student, mistake_id) is None
    kept = session.get(AdmissionBookEntry, line.id)
    assert kept.number == "О-1" and kept.annulled and "по ошибке" in kept.annul_reason and kept.student_id is None
    again = factories.student(last_name="Орлов", klass=klass)
    session.commit()
    assert lines(session, again.id)[0].number == "О-2"
    text = pdf_text(panel.get("/admin/admission_book/pdf/?letter=О").data)
    assert "АННУЛИРОВАНА" in text and "Ошибкин" in text


def test_admission_corrected_in_the_pupils_card_is_corrected_on_the_line(app, login_as, session):
    klass = factories.school_class()
    pupil = factories.student(last_name="Уваров", klass=klass, enrolled_on=date(2026, 9, 1))
    session.commit()
    panel = login_as("secretary")
    form = {"last_name": "Уваров", "first_name": "Пётр", "middle_name": "Сергеевич", "birth_date": "05.03.2014",
            "sex": "male", "school_class": str(klass.id), "enrolled_on": "02.09.2026",
            "came_from": "из семейного образования", "loaded_version": str(pupil.version)}
    assert panel.post(f"/admin/student/edit/?id={pupil.id}", form).status_code == 302
    [line] = lines(session, pupil.id)
    assert (line.admitted_on, line.came_from) == (date(2026, 9, 2), "из семейного образования")
    assert "карточке обучающегося" in line.correction_reason


def test_a_pupil_who_left_is_admitted_again_through_the_leaving_page(app, login_as, session):
    pupil, _, _ = pupil_with_carriers(last_name="Ёлкина")
    session.commit()
    pupil_id = pupil.id
    leave_school(session, pupil_id, reason="transfer", left_on=LEFT, order_number="45-у", order_date=LEFT,
                 destination="Лицей № 1", items={}, today=LEFT)
    klass = factories.school_class(grade=10, letter="Б")
    session.commit()
    klass_id = klass.id
    panel = login_as("secretary")
    page = panel.get(f"/admin/leaving/student/{pupil_id}").get_data(as_text=True)
    assert "Возвращение в школу" in page and "10Б" in page
    url = f"/admin/leaving/student/{pupil_id}/return"
    form = {"enrolled_on": LEFT.isoformat(), "school_class_id": "", "order_number": "", "order_date": "",
            "came_from": "Лицей № 1"}
    refused = panel.post(url, form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Выберите класс текущего учебного года" in text
    assert "Укажите номер и дату приказа о зачислении" in text
    form.update(school_class_id=str(klass_id), order_number="3-о", order_date=LEFT.isoformat())
    refused = panel.post(url, form)
    assert refused.status_code == 400 and "позже даты выбытия" in refused.get_data(as_text=True)
    assert len(lines(session, pupil_id)) == 1 and session.get(Student, pupil_id).status == "left"
    assert session.scalar(select(Order).where(Order.number == "3-о")) is None
    back_on = date(2026, 9, 1)
    form.update(enrolled_on=back_on.isoformat(), order_date=back_on.isoformat())
    done = panel.post(url, form, follow_redirects=True)
    assert "строка алфавитной книги Ё-2" in done.get_data(as_text=True)
    first, second = lines(session, pupil_id)
    assert first.left_to == "Лицей № 1" and second.came_from == "Лицей № 1" and second.admitted_class == "10Б"
    order = session.scalar(select(Order).where(Order.number == "3-о"))
    assert order.kind == "enrolment" and second.admission_order_id == order.id
    assert [s.id for s in order.students] == [pupil_id]
    assert login_as("deputy").post(url, form).status_code == 403

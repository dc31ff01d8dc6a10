"""Certificate issuance: consecutive numbers under concurrency, duplicates, annulment, blanks, bad input, PDFs."""
import io
import threading
from datetime import date, timedelta

import pytest
from conftest import RACE_WINDOW
from pypdf import PdfReader
from sqlalchemy import func, select

import factories
import issuance_seed as seed
from pdf_pages import page_image, rightmost_ink
from models import Order, Student, db
from models import issuance
from models.issuance import (BlankReceipt, CertificateBookEntry, CertificateMark, IssuanceError, SpoiledBlank,
                             annul_entry, issue_duplicate, issue_study_certificate,
                             record_spoiled_blank, register_class, remaining_blanks)

TODAY = date.today()
ORDER = {"order_number": "45-в", "order_date": TODAY - timedelta(days=2), "issued_on": TODAY}


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def register(ids, graduates, **extra):
    args = dict(ORDER, book_id=ids["book"], class_id=ids["class"], graduates_data=graduates)
    args.update(extra)
    return register_class(db.session, **args)


@pytest.fixture
def ids(app, session):
    return seed.everything()


def students(ids):
    return [db.session.get(Student, i) for i in ids["students"]]


def test_register_class_numbers_entries_and_copies_the_marks(session, ids):
    klass = session.get(issuance.SchoolClass, ids["class"])
    graduates = seed.rows(klass, students(ids), honours={ids["students"][0]})
    entries = register(ids, graduates)
    session.commit()
    assert [e.reg_number for e in entries] == [1, 2, 3]
    first = session.scalar(select(CertificateBookEntry).where(CertificateBookEntry.reg_number == 1))
    assert first.full_name == "Ёлкина Анастасия Сергеевна" and first.birth_date == date(2010, 4, 12)
    assert first.honours and first.order_number == "45-в" and first.blank_number == seed.blank(1)
    assert {m.subject_name: m.value for m in first.marks} == seed.EXPECTED["Ёлкина"]
    order = session.scalar(select(Order).where(Order.number == "45-в"))
    assert order.kind == "issuance" and first.order_id == order.id
    # The book keeps what was written at issue time even if the student's record changes later.
    first.student.last_name = "Петрова"
    session.commit()
    session.refresh(first)
    assert first.last_name == "Ёлкина"


def test_numbering_continues_in_the_book_and_a_second_register_is_refused(session, ids):
    klass = session.get(issuance.SchoolClass, ids["class"])
    pupils = students(ids)
    register(ids, seed.rows(klass, pupils[:1]))
    session.commit()
    entries = register(ids, seed.rows(klass, pupils[1:], start=2))
    session.commit()
    assert [e.reg_number for e in entries] == [2, 3]
    with pytest.raises(IssuanceError) as error:
        register(ids, seed.rows(klass, pupils[:1], start=10))
    assert "аттестат этого уровня уже выдан" in str(error.value)
    session.rollback()
    assert count(CertificateBookEntry) == 3


def _concurrent_registration(app, monkeypatch):
    """Two officers, two threads, two app contexts, the same book: numbers 1..6 once each."""
    with app.app_context():
        ids = seed.everything()
        klass_b, pupils_b = seed.graduating_class(letter="Б", file_prefix="b")
        db.session.commit()
        # Different orders, so nothing but the book's lock stands between the two transactions.
        jobs = [(ids["class"], students(ids), 1, "45-в"), (klass_b.id, pupils_b, 20, "46-в")]
        plans = [(klass_id, seed.rows(db.session.get(issuance.SchoolClass, klass_id), pupils, start=start), order)
                 for klass_id, pupils, start, order in jobs]
        book_id = ids["book"]

    original = issuance.next_registration_number

    def slow_next(session, book_id):
        # Widen the window between reading the highest number and inserting: without the lock both would
        # read the same number here.
        value = original(session, book_id)
        barrier_wait()
        return value

    gate = threading.Barrier(2, timeout=RACE_WINDOW)

    def barrier_wait():
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass  # the other officer is waiting for the lock: this one goes on alone, as it should

    monkeypatch.setattr(issuance, "next_registration_number", slow_next)
    errors, start = [], threading.Barrier(2)

    def officer(klass_id, graduates, order_number):
        with app.app_context():
            try:
                start.wait()
                register_class(db.session, book_id=book_id, class_id=klass_id, graduates_data=graduates,
                               **dict(ORDER, order_number=order_number))
                db.session.commit()
            except Exception as exc:  # reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=officer, args=plan) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    with app.app_context():
        numbers = sorted(db.session.scalars(select(CertificateBookEntry.reg_number)))
        assert numbers == [1, 2, 3, 4, 5, 6]
        by_class = {}
        for entry in db.session.scalars(select(CertificateBookEntry)):
            by_class.setdefault(entry.school_class_id, []).append(entry.reg_number)
        # Each registration took one unbroken run of numbers.
        for run in by_class.values():
            run.sort()
            assert run == list(range(run[0], run[0] + 3))


def test_two_officers_register_at_the_same_moment(app, monkeypatch):
    _concurrent_registration(app, monkeypatch)


def test_unique_constraint_guards_the_number(session, ids):
    klass = session.get(issuance.SchoolClass, ids["class"])
    register(ids, seed.rows(klass, students(ids)[:1]))
    session.commit()
    entry = session.scalar(select(CertificateBookEntry))
    clone = CertificateBookEntry(book_id=entry.book_id, reg_number=entry.reg_number, student_id=entry.student_id,
                                 last_name="X", first_name="Y", birth_date=entry.birth_date, issued_on=TODAY)
    session.add(clone)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("case, change, message", [
    ("blank form", lambda r: r[0].update(blank_number="12345"), "14 цифр"),
    ("blank not received", lambda r: r[0].update(blank_number="03224000009999"), "не поступал"),
    ("appendix not received", lambda r: r[0].update(appendix_number="03225000009999"), "не поступал"),
    ("blank twice", lambda r: r[1].update(blank_number=r[0]["blank_number"]), "уже использован"),
    ("mark outside scale", lambda r: r[1]["marks"].update({k: "7" for k in list(r[1]["marks"])[:1]}), "вне шкалы"),
    ("mark two", lambda r: r[1]["marks"].update({k: "2" for k in list(r[1]["marks"])[:1]}), "вне шкалы"),
    ("mark missing", lambda r: r[1]["marks"].update({list(r[1]["marks"])[0]: ""}), "нет итоговой отметки"),
    ("honours without fives", lambda r: r[1].update(honours=True), "с отличием"),
    ("proxy without document", lambda r: r[0].update(recipient={"kind": "proxy", "name": "Иванова А. П."}),
     "доверенность"),
    ("post without number", lambda r: r[0].update(recipient={"kind": "post"}), "почтового отправления"),
])
def test_bad_rows_are_refused_and_nothing_is_saved(session, ids, case, change, message):
    klass = session.get(issuance.SchoolClass, ids["class"])
    graduates = seed.rows(klass, students(ids))
    change(graduates)
    with pytest.raises(IssuanceError) as error:
        register(ids, graduates)
    assert message in str(error.value), str(error.value)
    session.rollback()
    assert count(CertificateBookEntry) == 0 and count(CertificateMark) == 0
    assert session.scalar(select(func.count(Order.id)).where(Order.number == "45-в")) == 0


def test_issue_date_before_the_order_and_wrong_class_are_refused(session, ids):
    klass = session.get(issuance.SchoolClass, ids["class"])
    graduates = seed.rows(klass, students(ids))
    with pytest.raises(IssuanceError) as error:
        register(ids, graduates, issued_on=ORDER["order_date"] - timedelta(days=1))
    assert "раньше даты приказа" in error.value.errors["issued_on"]
    other, _ = seed.graduating_class(grade=8, letter="В", pupils=seed.PUPILS[:1], file_prefix="c")
    with pytest.raises(IssuanceError) as error:
        register(ids, graduates, class_id=other.id)
    assert "9-х классов" in error.value.errors["school_class"]
    session.rollback()
    assert count(CertificateBookEntry) == 0


def test_closed_book_is_refused(session, ids):
    book = session.get(issuance.RegisterBook, ids["book"])
    book.closed_on = TODAY
    session.commit()
    klass = session.get(issuance.SchoolClass, ids["class"])
    with pytest.raises(IssuanceError) as error:
        register(ids, seed.rows(klass, students(ids)))
    assert "закрыта" in error.value.errors["book"]


def _issued(session, ids):
    klass = session.get(issuance.SchoolClass, ids["class"])
    entries = register(ids, seed.rows(klass, students(ids)))
    session.commit()
    return entries


def test_duplicate_is_a_new_entry_and_flags_the_original(session, ids):
    original = _issued(session, ids)[1]
    duplicate = issue_duplicate(session, original_id=original.id, reason="name_change", blank_series="",
                                blank_number=seed.blank(30), appendix_series="", appendix_number=seed.blank(30, "03225"),
                                recipient={"kind": "post", "postal_number": "80089912345678",
                                           "postal_date": TODAY}, new_names={"last_name": "Смирнов"}, **ORDER)
    session.commit()
    assert duplicate.reg_number == 4 and duplicate.entry_kind == "duplicate"
    assert duplicate.duplicate_of_id == original.id and duplicate.last_name == "Смирнов"
    assert [m.value for m in duplicate.marks] == [m.value for m in original.marks]
    session.refresh(original)
    assert original.duplicate_issued and original.last_name == "Иванов"
    assert "почтовое отправление № 80089912345678" in duplicate.recipient_text
    # A duplicate is not a «second certificate»; an unknown reason and a used blank are refused.
    with pytest.raises(IssuanceError) as error:
        issue_duplicate(session, original_id=original.id, reason="whim", blank_series="",
                        blank_number=seed.blank(30), appendix_series="", appendix_number=seed.blank(31, "03225"),
                        recipient={"kind": "graduate"}, **ORDER)
    assert "причину" in error.value.errors["reason"] and "уже использован" in error.value.errors["blank_number"]
    session.rollback()
    assert count(CertificateBookEntry) == 4


def test_annulled_entry_keeps_its_number_and_cannot_be_deleted_or_restored(session, ids):
    entries = _issued(session, ids)
    with pytest.raises(IssuanceError):
        annul_entry(session, entry_id=entries[0].id, reason="  ")
    annul_entry(session, entry_id=entries[0].id, reason="ошибка в дате рождения", blanks_spoiled=True)
    session.commit()
    entry = session.get(CertificateBookEntry, entries[0].id)
    assert entry.annulled and entry.reg_number == 1 and entry.annulled_at is not None
    spoiled = set(session.scalars(select(SpoiledBlank.number)))
    assert spoiled == {seed.blank(1), seed.blank(1, "03225")}
    with pytest.raises(IssuanceError) as error:
        annul_entry(session, entry_id=entry.id, reason="ещё раз")
    assert "уже аннулирована" in str(error.value)
    # The annulled student can now get a certificate again, with the next number; the spoiled blank is refused.
    klass = session.get(issuance.SchoolClass, ids["class"])
    row = seed.rows(klass, students(ids)[:1])
    with pytest.raises(IssuanceError) as error:
        register(ids, row)
    assert "испорченный" in str(error.value)
    session.rollback()
    row[0].update(blank_number=seed.blank(10), appendix_number=seed.blank(10, "03225"))
    again = register(ids, row)
    session.commit()
    assert again[0].reg_number == 4
    assert session.scalar(select(func.max(CertificateBookEntry.reg_number))) == 4


def test_blank_accounting_and_the_remaining_report(session, ids):
    _issued(session, ids)
    record_spoiled_blank(session, blank_kind="certificate", level="basic", series="", number=seed.blank(5),
                         spoiled_on=TODAY, reason="помарка при заполнении")
    session.commit()
    for number, message in ((seed.blank(5), "испорченный"), (seed.blank(1), "уже использован"),
                            ("03224000000999", "не поступал"), ("0322400000000X", "14 цифр")):
        with pytest.raises(IssuanceError) as error:
            record_spoiled_blank(session, blank_kind="certificate", level="basic", series="", number=number,
                                 spoiled_on=TODAY, reason="порча")
        assert message in str(error.value)
    session.rollback()
    report = {row["receipt"].blank_kind: row for row in remaining_blanks(session)}
    cert = report["certificate"]
    assert (cert["received"], cert["used"], cert["spoiled"], cert["left"]) == (40, 3, 1, 36)
    assert cert["free_ranges"] == [(seed.blank(4), seed.blank(4)), (seed.blank(6), seed.blank(40))]
    assert report["appendix"]["left"] == 37
    overlap = issuance.blank_receipt_errors(session, blank_kind="certificate", level="basic", series="",
                                            number_from=seed.blank(40), number_to=seed.blank(50),
                                            received_on=TODAY, received_from="РУО")
    assert "пересекается" in overlap["number_from"]


def test_study_certificate_has_its_own_book_and_numbers(session, ids):
    _issued(session, ids)
    pupil = students(ids)[2]
    recipient = {"kind": "guardian", "name": "Щукина Мария Ивановна"}
    first = issue_study_certificate(session, book_id=ids["study_book"], student_id=pupil.id, issued_on=TODAY,
                                    studied_from=date(2016, 9, 1), studied_to=TODAY, recipient=recipient)
    second = issue_study_certificate(session, book_id=ids["study_book"], student_id=pupil.id, issued_on=TODAY,
                                     studied_from=date(2016, 9, 1), studied_to=TODAY, recipient=recipient)
    session.commit()
    assert (first.reg_number, second.reg_number) == (1, 2) and first.book_id == ids["study_book"]
    assert {(m.subject_name, m.value) for m in first.marks} >= {("История", "4")}
    with pytest.raises(IssuanceError) as error:
        issue_study_certificate(session, book_id=ids["book"], student_id=pupil.id, issued_on=TODAY,
                                studied_from=TODAY, studied_to=TODAY - timedelta(days=1), recipient={"kind": "x"})
    assert set(error.value.errors) >= {"book", "studied_to", "recipient_kind"}
    annul_entry(session, entry_id=second.id, reason="выдана по ошибке")
    session.commit()
    assert session.get(CertificateBookEntry, second.id).reg_number == 2


# --- the page ----------------------------------------------------------------------------------------

def _form(ids, klass_students, order_date=None, issued_on=None, start=1):
    """The register form as the page posts it: every graduate picked, marks as prefilled."""
    from models.issuance import curriculum, prefill

    klass = db.session.get(issuance.SchoolClass, ids["class"])
    subjects, marks = curriculum(db.session, klass), prefill(db.session, klass)
    data = {"book_id": ids["book"], "class_id": ids["class"], "order_number": "45-в",
            "order_date": (order_date or ORDER["order_date"]).isoformat(),
            "issued_on": (issued_on or ORDER["issued_on"]).isoformat()}
    for offset, pupil in enumerate(klass_students):
        sid = pupil.id
        data[f"pick_{sid}"] = "1"
        for subject in subjects:
            data[f"mark_{sid}_{subject.id}"] = marks[sid].get(subject.id, "")
        data.update({f"bn_{sid}": seed.blank(start + offset), f"an_{sid}": seed.blank(start + offset, "03225"),
                     f"rk_{sid}": "graduate"})
    return data


def test_page_rights(app, ids, login_as):
    # The secretary sees the page (she issues справки об обучении) but registers no attestat.
    secretary = login_as("secretary")
    assert secretary.get("/admin/issuance/").status_code == 200
    with app.app_context():
        secretary_data = _form(ids, students(ids))
    assert secretary.post("/admin/issuance/register", data=secretary_data).status_code == 403
    assert login_as("class_teacher").get("/admin/issuance/").status_code == 403
    director = login_as("director")
    assert director.get("/admin/issuance/").status_code == 200
    with app.app_context():
        data = _form(ids, students(ids))
    assert director.post("/admin/issuance/register", data=data).status_code == 403
    assert director.get("/admin/blank_receipt/new/").status_code == 403
    assert login_as("officer").get("/admin/certificate_entry/new/").status_code == 403
    with app.app_context():
        assert count(CertificateBookEntry) == 0


def test_officer_registers_a_class_through_the_page(app, ids, login_as):
    officer = login_as("officer")
    page = officer.get(f"/admin/issuance/?book_id={ids['book']}&class_id={ids['class']}").get_data(as_text=True)
    assert "Ёлкина Анастасия Сергеевна" in page and 'value="5"' in page
    with app.app_context():
        data = _form(ids, students(ids))
    response = officer.post("/admin/issuance/register", data=data)
    assert response.status_code == 302
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "регистрационные номера 1–3" in page
    with app.app_context():
        assert sorted(db.session.scalars(select(CertificateBookEntry.reg_number))) == [1, 2, 3]
    # The read-only register finds the entry by a Cyrillic name in either case and by the number.
    listing = officer.get("/admin/certificate_entry/?search=ёлкина").get_data(as_text=True)
    assert "Ёлкина" in listing and "Иванов" not in listing
    listing = officer.get("/admin/certificate_entry/?search=ЩУКИН").get_data(as_text=True)
    assert "Щукин" in listing and "Ёлкина" not in listing
    listing = officer.get(f"/admin/certificate_entry/?search={seed.blank(2)}").get_data(as_text=True)
    assert "Иванов" in listing and "Щукин" not in listing


@pytest.mark.parametrize("case", ["bad date", "date before order", "mark out of scale", "blank not received"])
def test_page_refuses_bad_input_in_russian(app, ids, login_as, case):
    officer = login_as("officer")
    with app.app_context():
        data = _form(ids, students(ids))
        first = ids["students"][0]
        subject = next(k for k in data if k.startswith(f"mark_{first}_"))
    expected = {"bad date": "не распознана", "date before order": "раньше даты приказа",
                "mark out of scale": "вне шкалы", "blank not received": "не поступал"}[case]
    if case == "bad date":
        data["issued_on"] = "31.02.2025"
    elif case == "date before order":
        data["issued_on"] = (ORDER["order_date"] - timedelta(days=3)).isoformat()
    elif case == "mark out of scale":
        data[subject] = "6"
    else:
        data[f"bn_{first}"] = "03224000000777"
    response = officer.post("/admin/issuance/register", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ничего не сохранено" in page and expected in page
    with app.app_context():
        assert count(CertificateBookEntry) == 0
        assert db.session.scalar(select(func.count(Order.id)).where(Order.number == "45-в")) == 0


def _text(data):
    """The PDF's text with line breaks inside table cells folded to single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def test_pdfs_read_back_and_are_entered_in_the_disclosure_register(app, ids, login_as, tmp_path):
    from models.disclosure import PdDisclosure

    officer = login_as("officer")
    with app.app_context():
        from models import School
        card = db.session.scalar(select(School))
        card.full_name = "МБОУ «Средняя школа № 7»"
        # Enough graduates for the book to run over several pages.
        four = {"Русский язык": "4", "Математика": "4", "История": "5", "Биология": "4"}
        many = [(f"Выпускник{n:02d}", "Иван", "Иванович", date(2010, 1, 1), four, four, "5") for n in range(40)]
        klass, pupils = seed.graduating_class(letter="Г", pupils=many, file_prefix="g")
        ids_many = dict(ids, **{"class": klass.id})
        db.session.commit()
        register(ids, seed.rows(db.session.get(issuance.SchoolClass, ids["class"]), students(ids)))
        db.session.get(Student, ids["students"][2]).sex = "male"
        study = issue_study_certificate(db.session, book_id=ids["study_book"], student_id=ids["students"][2],
                                        issued_on=TODAY, studied_from=date(2016, 9, 1), studied_to=TODAY,
                                        recipient={"kind": "graduate"})
        db.session.commit()
        entry = db.session.scalar(select(CertificateBookEntry).where(CertificateBookEntry.reg_number == 1,
                                                                     CertificateBookEntry.book_id == ids["book"]))
        entry_id, study_id = entry.id, study.id
        many_rows = seed.rows(klass, pupils, start=0)
        for row in many_rows:  # blanks beyond the seeded range
            row.update(blank_number=None, appendix_number=None)
        for n, row in enumerate(many_rows):
            row.update(blank_number=f"03224100000{n:03d}", appendix_number=f"03225100000{n:03d}")
        db.session.add_all([BlankReceipt(blank_kind=k, level="basic", series="", number_from=f"{p}100000000",
                                         number_to=f"{p}100000099", received_on=date(2024, 5, 1), received_from="РУО")
                            for k, p in (("certificate", "03224"), ("appendix", "03225"))])
        register(ids_many, many_rows)
        db.session.commit()
        before = count(PdDisclosure)

    response = officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 2
    for page in reader.pages:  # the header row is repeated on every page with entries
        page_text = page.extract_text()
        # A class's certification block (class teacher, director, М.П.) and the verification code under the last
        # class may be carried over to a page of their own.
        assert "Рег. №" in page_text or (page_text.count("\n") <= 8 and "Классный руководитель" in page_text)
    text = _text(response.data)
    assert "МБОУ «Средняя школа № 7»" in text and "Ёлкина Анастасия Сергеевна" in text
    assert "(основное общее, ООО)" in text and "ООО))" not in text  # the book's title, brackets once
    assert "Русский язык — 5" in text and seed.blank(1) in text and "12.04.2010" in text

    _assert_table_fits(page_image(response.data, dpi=40))

    appendix = officer.get(f"/admin/issuance/appendix.pdf?entry_id={entry_id}")
    text = _text(appendix.data)
    assert "Ёлкина Анастасия Сергеевна" in text and "Регистрационный номер" in text and "Математика" in text
    receipt = _text(officer.get(f"/admin/issuance/receipt.pdf?entry_id={entry_id}").data)
    assert "РАСПИСКА" in receipt and seed.blank(1) in receipt and "Ёлкина" in receipt
    study_text = _text(officer.get(f"/admin/issuance/study.pdf?entry_id={study_id}").data)
    assert "СПРАВКА ОБ ОБУЧЕНИИ" in study_text and "История" in study_text
    # The name in the dative and the verbs agree with the pupil's sex.
    study_line = " ".join(study_text.split())
    assert "Выдана Щукину Данияру" in study_line and "в том, что он обучался" in study_line
    assert "получил по учебным" in study_line and "(ась)" not in study_line
    with app.app_context():
        added = list(db.session.scalars(select(PdDisclosure).where(PdDisclosure.id > 0).order_by(PdDisclosure.id)))[before:]
        # The book's pages are one line of the register naming whose entries it holds, then one per document.
        assert len(added) == 1 + 3
        book_line = added[0]
        assert book_line.document_kind == "certificate_book" and book_line.student_id is None
        assert "43 чел., рег. № 1–43" in book_line.description and "Ёлкина Анастасия Сергеевна" in book_line.description
        assert "Выпускник39 Иван Иванович" in book_line.description or "и ещё" in book_line.description
        assert added[-1].document_kind == "study_certificate" and added[-1].student_id == ids["students"][2]


def test_book_pdf_shows_duplicates_annulments_and_post_with_markup_printed_as_text(app, ids, login_as):
    officer = login_as("officer")
    with app.app_context():
        entries = _issued(db.session, ids)
        issue_duplicate(db.session, original_id=entries[1].id, reason="name_change", blank_series="",
                        blank_number=seed.blank(30), appendix_series="", appendix_number=seed.blank(30, "03225"),
                        recipient={"kind": "post", "postal_number": "80089912345678", "postal_date": TODAY},
                        new_names={"last_name": "Смирнов"}, **ORDER)
        annul_entry(db.session, entry_id=entries[2].id, reason="ошибка в дате <b>рождения</b> & отчестве")
        db.session.commit()
    response = officer.get(f"/admin/issuance/book.pdf?book_id={ids['book']}&class_id={ids['class']}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    assert "выдан дубликат" in text and "дубликат аттестата, рег. № 2" in text
    assert f"почтовое отправление № 80089912345678 от {TODAY:%d.%m.%Y}" in text
    assert "АННУЛИРОВАНА: ошибка в дате <b>рождения</b> & отчестве" in text
    assert text.count("Рег. №") == len(PdfReader(io.BytesIO(response.data)).pages)


def _assert_table_fits(image):
    """The rendered page's ink stays inside the page with a margin on the right: the table is not cut off."""
    width, height = image.size
    assert width > height  # landscape
    rightmost = rightmost_ink(image)
    assert width * 0.5 < rightmost < width * 0.98, (rightmost, width)


def test_frdo_export(app, ids, login_as):
    from openpyxl import load_workbook

    with app.app_context():
        register(ids, seed.rows(db.session.get(issuance.SchoolClass, ids["class"]), students(ids)))
        db.session.commit()
    response = login_as("officer").get("/admin/issuance/frdo.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Название документа", "Вид документа", "Статус документа")
    assert len(rows) == 4
    first = dict(zip(rows[0], rows[1]))
    assert first["Номер документа"] == seed.blank(1) and first["Фамилия получателя"] == "Ёлкина"
    assert first["Регистрационный номер"] == "1" and first["Вид документа"] == "Оригинал"


def test_blank_receipt_register_refuses_a_bad_range(app, ids, login_as):
    officer = login_as("officer")
    response = officer.post("/admin/blank_receipt/new/", data={
        "blank_kind": "certificate", "level": "basic", "series": "", "number_from": "03224000000050",
        "number_to": "03224000000040", "received_on": "01.05.2024", "received_from": "РУО"})
    assert "меньше первого" in response.get_data(as_text=True)
    response = officer.post("/admin/blank_receipt/new/", data={
        "blank_kind": "certificate", "level": "basic", "series": "", "number_from": "03224000000041",
        "number_to": "03224000000060", "received_on": "01.05.2024", "received_from": "РУО"})
    assert response.status_code == 302
    with app.app_context():
        assert count(BlankReceipt) == 3
    assert officer.post("/admin/blank_receipt/delete/", data={"id": "1"}).status_code == 403


def test_page_annuls_issues_a_duplicate_records_a_spoiled_blank_and_a_study_certificate(app, ids, login_as):
    officer = login_as("officer")
    with app.app_context():
        entries = _issued(db.session, ids)
        first_id, second_id = entries[0].id, entries[1].id
    back = {"book_id": ids["book"], "class_id": ids["class"]}
    page = officer.post("/admin/issuance/annul", data=dict(back, entry_id=first_id, reason=""))
    assert "Укажите причину аннулирования" in page.get_data(as_text=True)
    response = officer.post("/admin/issuance/annul", data=dict(back, entry_id=first_id, reason="опечатка в ФИО"))
    assert response.status_code == 302
    duplicate = dict(back, original_id=second_id, reason="lost", bn=seed.blank(9),
                     an=seed.blank(9, "03225"), order_number="50-в", order_date=TODAY.isoformat(),
                     issued_on=TODAY.isoformat(), rk="guardian", rn="Иванова Анна Петровна")
    response = officer.post("/admin/issuance/duplicate", data=duplicate)
    assert response.status_code == 302
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Дубликат зарегистрирован под № 4" in page and "аннулирована: опечатка в ФИО" in page
    response = officer.post("/admin/issuance/spoiled", data={"blank_kind": "certificate", "level": "basic",
                                                             "number": seed.blank(9), "spoiled_on": TODAY.isoformat(),
                                                             "reason": "помарка"})
    assert "уже использован" in response.get_data(as_text=True)
    response = officer.post("/admin/issuance/study", data={
        "study_book_id": ids["study_book"], "student_id": ids["students"][2], "studied_from": "01.09.2016",
        "studied_to": TODAY.isoformat(), "issued_on": TODAY.isoformat(), "rk": "graduate"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CertificateBookEntry, first_id).annulled
        kinds = sorted(db.session.scalars(select(CertificateBookEntry.entry_kind)))
        assert kinds == ["certificate"] * 3 + ["duplicate", "study_certificate"]
        assert count(SpoiledBlank) == 0


def test_book_entries_and_blank_receipts_are_never_deleted(app, session):
    from models.carriers import StrictAccountabilityError
    from models.issuance import BlankReceipt, CertificateBookEntry

    factories.seed_everything()
    for model in (CertificateBookEntry, BlankReceipt):
        record = session.scalar(select(model))
        session.delete(record)
        with pytest.raises(StrictAccountabilityError, match="не удаляется"):
            session.flush()
        session.rollback()
        assert session.get(model, record.id) is not None


def _leavers(session, count):
    """`count` pupils who left, one a month from 2000 on; the oldest is «Старов»."""
    pupils = []
    for n in range(count):
        pupil = factories.student("Старов" if n == 0 else f"Выбывший{n:03d}", "Иван", birth_date=date(1990, 1, 1))
        pupil.status, pupil.left_on = "left", date(2000 + n // 12, n % 12 + 1, 15)
        pupils.append(pupil)
    session.commit()
    return pupils


def test_study_certificate_candidates_are_latest_leavers_or_found_by_name(app, session, ids, login_as):
    from models import AnnualMark, CarrierKind, PersonalFile, Subject
    from models.issuance import STUDY_CANDIDATES_SHOWN, study_candidates
    from models.people import current_year

    year = current_year(session)
    leavers = _leavers(session, STUDY_CANDIDATES_SHOWN + 10)
    failing = factories.student("Двоечкин", "Пётр")
    kind = session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
    subject = session.scalar(select(Subject)) or Subject(name="Математика", position=1)
    session.add(PersonalFile(kind=kind, number="Д-1", student=failing, created_on=date(2020, 9, 1), annual_marks=[
        AnnualMark(academic_year=year, subject=subject, grade=5, value="2")]))
    session.commit()

    shown = study_candidates(session)
    assert len(shown) == STUDY_CANDIDATES_SHOWN
    # The studying pupil with a «2» first, then the leavers newest first; the oldest leaver is not offered.
    assert shown[0].id == failing.id and shown[1].id == leavers[-1].id and leavers[0] not in shown
    assert [s.id for s in study_candidates(session, "старов иван")] == [leavers[0].id]
    assert study_candidates(session, "Нетакого") == []

    officer = login_as("officer")
    page = officer.get("/admin/issuance/").get_data(as_text=True)
    assert f'<option value="{leavers[0].id}">' not in page and "последние выбывшие" in page
    page = officer.get("/admin/issuance/?study_query=Старов").get_data(as_text=True)
    assert f'<option value="{leavers[0].id}">Старов Иван Сергеевич (выбыл)</option>' in page
    assert "Найдено по запросу «Старов»" in page
    page = officer.get("/admin/issuance/?study_query=Нетакого").get_data(as_text=True)
    assert "никого нет" in page

"""Certificate issuance: consecutive numbers under concurrency, duplicates, annulment, blanks, bad input, PDFs."""
import io
import subprocess
import threading
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

import issuance_seed as seed
from models import Order, Student, db
from models import issuance
from models.issuance import (BlankReceipt, CertificateBookEntry, CertificateMark, IssuanceError, SpoiledBlank,
                             annul_entry, honours_allowed, issue_duplicate, issue_study_certificate,
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


def test_honours_rule():
    assert honours_allowed(["5", "5", "зачтено"])
    assert not honours_allowed(["5", "4"])
    assert not honours_allowed(["зачтено"])
    assert not honours_allowed([])


def test_register_class_numbers_entries_and_copies_the_marks(session, ids):
    klass = session.get(issuance.SchoolClass, ids["class"])
    graduates = seed.rows(klass, students(ids), honours={ids["students"][0]})
    entries = register(ids, graduates)
    session.commit()
    assert [e.reg_number for e in entries] == [1, 2, 3]
    first = session.scalar(select(CertificateBookEntry).where(CertificateBookEntry.reg_number == 1))
    assert first.full_name == "Ёлкина Анастасия Сергеевна" and first.birth_date == date(2010, 4, 12)
    assert first.honours and first.order_number == "45-в" and first.blank_number == seed.blank(1)
    assert {m.subject_name: m.value for m in first.marks} == {"Русский язык": "5", "Математика": "5", "История": "5"}
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

    gate = threading.Barrier(2, timeout=3)

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
    with pytest.raises(Exception):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("case, change, message", [
    ("blank form", lambda r: r[0].update(blank_number="12345"), "14 цифр"),
    ("blank not received", lambda r: r[0].update(blank_number="03224000009999"), "не поступал"),
    ("appendix not received", lambda r: r[0].update(appendix_number="03225000009999"), "не поступал"),
    ("blank twice", lambda r: r[1].update(blank_number=r[0]["blank_number"]), "уже использован"),
    ("mark outside scale", lambda r: r[1]["marks"].update({k: "7" for k in list(r[1]["marks"])[:1]}), "вне шкалы"),
    ("mark two", lambda r: r[1]["marks"].update({k: "2" for k in list(r[1]["marks"])[:1]}), "вне шкалы"),
    ("mark missing", lambda r: r[1]["marks"].pop(list(r[1]["marks"])[0]), "нет итоговой отметки"),
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

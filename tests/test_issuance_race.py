"""Two officers at the same instant cannot give one pupil two originals, nor one blank to two pupils: the database
refuses it (partial unique indexes) and the workflow reads the book again under its lock."""
import threading
from datetime import date, timedelta

import issuance_seed as seed
import pytest
from conftest import RACE_WINDOW
from sqlalchemy import func, select, text

from models import Student, db, issuance
from models.issuance import (
    CertificateBookEntry,
    IssuanceError,
    annul_entry,
    register_class,
)

TODAY = date.today()
ORDER = {"order_number": "45-в", "order_date": TODAY - timedelta(days=2), "issued_on": TODAY}


def _race(app, monkeypatch, jobs):
    """Run register_class once per job in its own thread and session; both pass their checks before either takes
    the book's lock. Returns (successes, Russian refusals)."""
    original_lock = issuance.lock_book
    gate = threading.Barrier(len(jobs), timeout=RACE_WINDOW)

    def lock_after_both_checked(session, book_id):
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass  # SQLite: the other officer waits for the database's write lock, as it should
        return original_lock(session, book_id)

    monkeypatch.setattr(issuance, "lock_book", lock_after_both_checked)
    start = threading.Barrier(len(jobs))
    done, refused, crashed = [], [], []

    def officer(kwargs):
        with app.app_context():
            try:
                start.wait()
                register_class(db.session, **dict(ORDER, **kwargs))
                db.session.commit()
                done.append(kwargs)
            except IssuanceError as exc:
                db.session.rollback()
                refused.append(exc)
            except Exception as exc:  # an SQL error shown to the officer is a failure of its own
                db.session.rollback()
                crashed.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=officer, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not crashed, crashed
    return done, refused


def _setup():
    ids = seed.everything()
    second_book = seed.book(number="2")  # a second open book of the same level: its lock is another row
    klass_b, pupils_b = seed.graduating_class(letter="Б", file_prefix="b")
    db.session.commit()
    klass = db.session.get(issuance.SchoolClass, ids["class"])
    pupils = [db.session.get(Student, i) for i in ids["students"]]
    return ids, second_book.id, klass, pupils, klass_b, pupils_b


def _valid_originals(student_id):
    return db.session.scalar(select(func.count(CertificateBookEntry.id)).where(
        CertificateBookEntry.student_id == student_id, CertificateBookEntry.entry_kind == "certificate",
        CertificateBookEntry.annulled.is_(False)))


@pytest.mark.parametrize("books", ["same book", "two books"])
def test_one_pupil_two_officers_two_blanks_one_original(app, monkeypatch, books):
    with app.app_context():
        ids, other_book, klass, pupils, _, _ = _setup()
        first = seed.rows(klass, pupils[:1], start=1)
        second = seed.rows(klass, pupils[:1], start=5)  # other blanks
        jobs = [{"book_id": ids["book"], "class_id": klass.id, "graduates_data": first},
                {"book_id": ids["book"] if books == "same book" else other_book, "class_id": klass.id,
                 "graduates_data": second}]
        pupil_id = pupils[0].id
    done, refused = _race(app, monkeypatch, jobs)
    assert len(done) == 1 and len(refused) == 1
    message = str(refused[0]).lower()
    assert "аттестат этого уровня" in message and "insert" not in message, message
    with app.app_context():
        assert _valid_originals(pupil_id) == 1


def test_one_blank_two_pupils_two_officers_one_use(app, monkeypatch):
    with app.app_context():
        ids, other_book, klass, pupils, klass_b, pupils_b = _setup()
        mine = seed.rows(klass, pupils[:1], start=3)
        theirs = seed.rows(klass_b, pupils_b[1:2], start=3)  # the same blank and appendix numbers
        jobs = [{"book_id": ids["book"], "class_id": klass.id, "graduates_data": mine},
                {"book_id": other_book, "class_id": klass_b.id, "graduates_data": theirs}]
    done, refused = _race(app, monkeypatch, jobs)
    assert len(done) == 1 and len(refused) == 1
    message = str(refused[0]).lower()
    assert "бланк" in message and "уже использован" in message or "только что использован" in message, message
    assert "insert" not in message
    with app.app_context():
        holders = db.session.scalar(select(func.count(CertificateBookEntry.id)).where(
            CertificateBookEntry.blank_number == seed.blank(3), CertificateBookEntry.annulled.is_(False)))
        assert holders == 1


def test_the_database_itself_refuses_a_second_original_and_a_reused_blank(app, session):
    """Past every check (a script, a future page): the partial unique indexes stand; an annulled entry frees both."""
    ids, other_book, klass, pupils, _, _ = _setup()
    first = register_class(session, book_id=ids["book"], class_id=klass.id, graduates_data=seed.rows(klass, pupils[:1]),
                           **ORDER)[0]
    session.commit()

    def clone(**changes):
        values = dict(book_id=other_book, reg_number=1, entry_kind="certificate", level="basic",
                      student_id=first.student_id, last_name="Ёлкина", first_name="Анастасия",
                      birth_date=first.birth_date, issued_on=TODAY, blank_series="", blank_number=seed.blank(9),
                      appendix_series="", appendix_number=seed.blank(9, "03225"))
        values.update(changes)
        return CertificateBookEntry(**values)

    for changes in ({}, {"student_id": pupils[1].id, "blank_number": first.blank_number},
                    {"student_id": pupils[1].id, "appendix_number": first.appendix_number}):
        session.add(clone(**changes))
        with pytest.raises(IssuanceError) as refused:
            issuance.flush_entries(session, "graduates")
        assert "только что" in refused.value.errors["graduates"]
        session.rollback()
    # Annulled with a reason, the original no longer blocks a new one, and its blanks are free again.
    annul_entry(session, entry_id=first.id, reason="ошибка в фамилии")
    session.commit()
    session.add(clone(blank_number=first.blank_number, appendix_number=first.appendix_number))
    issuance.flush_entries(session, "graduates")
    session.commit()
    assert _valid_originals(first.student_id) == 1


def _revision_before(revision):
    # Read from the migration itself: the chain before it may grow, and only its own step is undone here.
    import re
    from pathlib import Path

    path = next((Path(__file__).resolve().parent.parent / "migrations" / "versions").glob(f"{revision}_*.py"))
    return re.search(r"^down_revision = '(\w+)'", path.read_text(encoding="utf-8"), re.M).group(1)


BEFORE_UNIQUE_INDEXES = _revision_before("bd85ce1c8a0f")


def test_upgrading_a_book_that_already_holds_two_originals_names_them_and_changes_nothing(app, session, capfd):
    """A database where the race already happened: the migration stops with the entries to annul, not an SQL error;
    annulled with a reason, the upgrade goes through."""
    from flask_migrate import downgrade, upgrade

    ids, other_book, klass, pupils, _, _ = _setup()
    first = register_class(session, book_id=ids["book"], class_id=klass.id, graduates_data=seed.rows(klass, pupils[:1]),
                           **ORDER)[0]
    session.commit()
    student_id, born = first.student_id, first.birth_date
    session.remove()
    downgrade(revision=BEFORE_UNIQUE_INDEXES)
    try:
        db.session.add(CertificateBookEntry(
            book_id=other_book, reg_number=1, entry_kind="certificate", level="basic", student_id=student_id,
            last_name="Ёлкина", first_name="Анастасия", birth_date=born, issued_on=TODAY,
            blank_series="", blank_number=seed.blank(9), appendix_series="", appendix_number=seed.blank(9, "03225")))
        db.session.commit()
        db.session.remove()
        capfd.readouterr()
        with pytest.raises(SystemExit):  # Flask-Migrate prints the error and exits, as `flask init-db` would
            upgrade()
        said = capfd.readouterr().err  # alembic's own logging set-up writes to the console, past caplog
        assert "два действующих аттестата" in said and "аннулируйте" in said, said
        db.session.remove()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == BEFORE_UNIQUE_INDEXES
        db.session.remove()
    finally:
        # Whatever happened above, the database goes back to the newest schema for the tests after this one.
        db.session.rollback()
        newest = db.session.scalar(select(CertificateBookEntry.id).where(CertificateBookEntry.book_id == other_book))
        if newest is not None:
            annul_entry(db.session, entry_id=newest, reason="второй подлинник, выданный по ошибке")
            db.session.commit()
        db.session.remove()
        upgrade()
    assert _valid_originals(student_id) == 1

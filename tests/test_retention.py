"""Retention review: every rule with a fixed «today», drafting, approval rights, all-or-nothing marking, the PDF."""
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

import models.retention as retention
from conftest import make_user, sql_statements
from models import AcademicYear, AuditLog, Carrier, CarrierKind, Student, db
from models.registers import CopyMedium, EjournalCopy, PersonalFile, StoredCertificate
from models.retention import (DestructionAct, RetentionError, approve_act, clear_hold, draft_act, number_to_words,
                              plural, return_act, review_groups, review_notices, send_act, set_hold, update_act)

TODAY = date(2026, 3, 15)


def kind(code):
    return db.session.scalar(select(CarrierKind).where(CarrierKind.code == code))


def pupil(last_name, status="left", left_on=date(2019, 5, 31)):
    record = Student(last_name=last_name, first_name="Иван", birth_date=date(2005, 1, 1), sex="male", status=status,
                     left_on=left_on if status != "studying" else None)
    db.session.add(record)
    db.session.flush()
    return record


def carrier(code, model=Carrier, student=None, academic_year=None, **values):
    # Ids, not relationships: the retention hook reads the foreign keys before the flush sets them.
    record = model(kind_id=kind(code).id, student_id=student.id if student else None,
                   academic_year_id=academic_year.id if academic_year else None, **values)
    db.session.add(record)
    db.session.flush()
    return record


@pytest.fixture
def staff(app):
    with app.app_context():
        users = {"deputy": make_user("deputy", ["deputy"], "Завучева Ольга Петровна"),
                 "director": make_user("director", ["director"], "Директоров Павел Ильич"),
                 "both": make_user("both", ["director", "deputy"], "Совмещенко Анна Юрьевна"),
                 "secretary": make_user("secretary", ["secretary"], "Секретарёва Нина Львовна")}
        return {k: u.id for k, u in users.items()}


@pytest.fixture
def world(app, staff):
    """Carriers of every clock start, with those that must never be proposed beside them."""
    with app.app_context():
        year = AcademicYear(name="2014/2015", starts_on=date(2014, 9, 1), ends_on=date(2015, 8, 31))
        db.session.add(year)
        db.session.flush()
        left = pupil("Ушедшев")
        studying = pupil("Учащийся", status="studying")
        ids = dict(
            # student_leaves, 3 years: 31.05.2019 + 3 = 31.05.2022
            personal=carrier("personal_file", PersonalFile, number="У-1", student=left, created_on=date(2010, 9, 1)).id,
            # exam_date, 1 year, leap day: 29.02.2024 + 1 = 01.03.2025
            gia=carrier("gia_protocol", title="ОГЭ математика", event_on=date(2024, 2, 29)).id,
            # created, 5 years: 10.06.2019 + 5 = 10.06.2024
            copy=carrier("ejournal_copy", EjournalCopy, title="Копия 9А", created_on=date(2019, 6, 10)).id,
            # year_end, 25 years: 31.08.2015 + 25 = 31.08.2040 — not expired
            sheet=carrier("summary_sheet", title="Сводная 2014/2015", academic_year=year).id,
            # closed, 50 years: 20.06.2020 + 50 — not expired
            book=carrier("certificate_book", title="Книга ООО", closed_on=date(2020, 6, 20)).id,
            # never proposed: the student still studies (expired by its own clock)
            studying_gia=carrier("gia_protocol", title="ГИА учащегося", student=studying,
                                 event_on=date(2020, 6, 1)).id,
            # never proposed: kept until handed over
            stored=carrier("stored_certificate", StoredCertificate, series_number="03224000012345", student=left,
                           created_on=date(2012, 9, 1)).id,
            # never proposed: under a hold
            held=carrier("gia_protocol", title="ГИА под запретом", event_on=date(2020, 6, 1), on_hold=True,
                         hold_reason="запрос прокуратуры").id,
        )
        db.session.commit()
        return ids


def get(model, ident):
    return db.session.get(model, ident)


def user(ident):
    from models import User

    return db.session.get(User, ident)


def test_retention_end_of_every_clock_start(app, world):
    with app.app_context():
        assert get(Carrier, world["personal"]).retention_end == date(2022, 5, 31)
        assert get(Carrier, world["gia"]).retention_end == date(2025, 3, 1)  # 29.02 + 1 year in a non-leap year
        assert get(Carrier, world["copy"]).retention_end == date(2024, 6, 10)
        assert get(Carrier, world["sheet"]).retention_end == date(2040, 8, 31)
        assert get(Carrier, world["book"]).retention_end == date(2070, 6, 20)
        assert get(Carrier, world["stored"]).retention_end is None


def test_review_groups_expired_and_due(app, world):
    with app.app_context():
        expired, due = review_groups(db.session, TODAY, months=12)
        by_code = {g["kind"].code: g for g in expired}
        assert set(by_code) == {"personal_file", "gia_protocol", "ejournal_copy"}
        # The studying student's and the held protocols are not proposed: only the leap-day one counts.
        assert by_code["gia_protocol"]["count"] == 1
        assert by_code["gia_protocol"]["rule"] == kind("gia_protocol").rule_text()
        assert by_code["personal_file"]["earliest_end"] == date(2022, 5, 31)
        assert due == []
        # The leap-day protocol is kept through 01.03.2025 and expires the day after.
        on_first = {g["kind"].code for g in review_groups(db.session, date(2025, 3, 1))[0]}
        on_second = {g["kind"].code for g in review_groups(db.session, date(2025, 3, 2))[0]}
        assert "gia_protocol" not in on_first and "gia_protocol" in on_second
        # Due soon: on 01.01.2025 the protocol falls due within 12 months, not within 1 month.
        assert "gia_protocol" in {g["kind"].code for g in review_groups(db.session, date(2025, 1, 1), months=12)[1]}
        assert "gia_protocol" not in {g["kind"].code for g in review_groups(db.session, date(2025, 1, 1), months=1)[1]}
        # Filters narrow the groups.
        only = review_groups(db.session, TODAY, kind_id=kind("ejournal_copy").id)[0]
        assert [g["kind"].code for g in only] == ["ejournal_copy"]


def test_rule_changed_after_creation_moves_retention_end(app, world):
    with app.app_context():
        summary = kind("summary_sheet")
        summary.retention_years = 5
        db.session.commit()
        assert get(Carrier, world["sheet"]).retention_end == date(2020, 8, 31)
        assert "summary_sheet" in {g["kind"].code for g in review_groups(db.session, TODAY)[0]}
        # A kind turned into «kept until handed over» is no longer proposed at all.
        personal = kind("personal_file")
        personal.retention_kind = "until_handover"
        db.session.commit()
        assert get(Carrier, world["personal"]).retention_end is None
        assert "personal_file" not in {g["kind"].code for g in review_groups(db.session, TODAY)[0]}


def test_must_store_false_is_never_proposed(app, world):
    with app.app_context():
        kind("ejournal_copy").must_store = False
        db.session.commit()
        assert "ejournal_copy" not in {g["kind"].code for g in review_groups(db.session, TODAY)[0]}


def _refused(call, *fragments):
    before = db.session.scalar(select(func.count(DestructionAct.id)))
    with pytest.raises(RetentionError) as info:
        call()
    db.session.rollback()
    for fragment in fragments:
        assert fragment in str(info.value)
    assert db.session.scalar(select(func.count(DestructionAct.id))) == before
    return str(info.value)


def test_bad_carriers_are_refused_and_nothing_is_saved(app, world, staff):
    with app.app_context():
        deputy = user(staff["deputy"])
        act_on = date(2026, 3, 15)
        _refused(lambda: draft_act(db.session, carrier_ids=[], user=deputy, act_date=act_on), "без строк")
        _refused(lambda: draft_act(db.session, carrier_ids=[world["sheet"]], user=deputy, act_date=act_on),
                 "срок хранения истекает 31.08.2040: в акт — с 01.01.2041")
        _refused(lambda: draft_act(db.session, carrier_ids=[world["held"]], user=deputy, act_date=act_on),
                 "запрет на уничтожение", "запрос прокуратуры")
        _refused(lambda: draft_act(db.session, carrier_ids=[world["studying_gia"]], user=deputy, act_date=act_on),
                 "ещё учится")
        _refused(lambda: draft_act(db.session, carrier_ids=[world["stored"]], user=deputy, act_date=act_on),
                 "не уничтожается по акту")
        # One bad carrier among good ones: the whole draft is refused.
        _refused(lambda: draft_act(db.session, carrier_ids=[world["copy"], world["sheet"]], user=deputy,
                                   act_date=act_on), "срок хранения истекает 31.08.2040")
        # A carrier already in another (not returned) act.
        first = draft_act(db.session, carrier_ids=[world["copy"]], user=deputy, act_date=act_on)
        db.session.commit()
        _refused(lambda: draft_act(db.session, carrier_ids=[world["copy"]], user=deputy, act_date=act_on),
                 f"уже включён в Акт № {first.number}")
        assert "ejournal_copy" not in {g["kind"].code for g in review_groups(db.session, TODAY)[0]}


def test_strict_first_of_january_setting(app, world, staff):
    with app.app_context():
        deputy = user(staff["deputy"])
        # The leap-day protocol's period ends 01.03.2025: not expired by 01.01.2025.
        _refused(lambda: draft_act(db.session, carrier_ids=[world["gia"]], user=deputy, act_date=date(2025, 6, 1)),
                 "срок хранения истёк 01.03.2025: в акт — с 01.01.2026")
        # With the setting off, the act's own date is the limit.
        act = draft_act(db.session, carrier_ids=[world["gia"]], user=deputy, act_date=date(2025, 6, 1),
                        strict_year_start=False)
        assert act.total_items == 1
        db.session.rollback()
        # A year later the strict rule lets it in as well.
        act = draft_act(db.session, carrier_ids=[world["gia"]], user=deputy, act_date=date(2026, 2, 1))
        assert act.total_items == 1
        db.session.commit()
        # The act is never deleted.
        db.session.delete(act)
        with pytest.raises(RetentionError, match="не удаляется"):
            db.session.flush()
        db.session.rollback()
        assert get(DestructionAct, act.id) is not None


def test_setting_is_read_by_the_page(app, world, login_as):
    app.config["RETENTION_STRICT_YEAR_START"] = False
    panel = login_as("deputy")
    with app.app_context():
        gia = kind("gia_protocol").id
    response = panel.post("/admin/retention_review/draft", data={"kind_ids": [gia], "act_date": "2025-06-01"})
    assert response.status_code == 302 and "/act/" in response.headers["Location"]
    with app.app_context():
        act = db.session.scalar(select(DestructionAct))
        assert act.total_items == 1


def _sent_act(staff, world, drafter="deputy", expert_protocol=None):
    act = draft_act(db.session, carrier_ids=[world["personal"], world["gia"], world["copy"]],
                    user=user(staff[drafter]), act_date=TODAY)
    update_act(db.session, act, number=act.number, act_date=TODAY, basis=act.basis, expert_protocol=expert_protocol,
               chairman_id=staff["deputy"], member_ids=[staff["secretary"]])
    send_act(db.session, act, user(staff[drafter]))
    db.session.commit()
    return act


def _carrier_states(world):
    db.session.expire_all()
    return {key: (get(Carrier, ident).status, get(Carrier, ident).destroyed_on)
            for key, ident in world.items() if key in ("personal", "gia", "copy")}


def test_approval_rights(app, world, staff):
    with app.app_context():
        act = _sent_act(staff, world)
        for who, message in (("deputy", "только директор"), ("secretary", "только директор")):
            _refused(lambda who=who: approve_act(db.session, act, user(staff[who]), TODAY), message)
        assert _carrier_states(world)["copy"] == ("kept", None)

        # A director who is also the deputy cannot approve the act they drafted.
        own = draft_act(db.session, carrier_ids=[world["book"]], user=user(staff["both"]),
                        act_date=date(2072, 3, 1))
        update_act(db.session, own, number=own.number, act_date=own.act_date, basis=own.basis, expert_protocol=None,
                   chairman_id=staff["deputy"], member_ids=[staff["secretary"]])
        send_act(db.session, own, user(staff["both"]))
        db.session.commit()
        _refused(lambda: approve_act(db.session, own, user(staff["both"]), date(2072, 3, 2)), "Составитель акта")
        assert not retention.may_approve(user(staff["both"]), own)

        approve_act(db.session, act, user(staff["director"]), TODAY)
        db.session.commit()
        states = _carrier_states(world)
        assert set(states.values()) == {("destroyed", TODAY)}
        assert {get(Carrier, world[k]).destruction_act_id for k in ("personal", "gia", "copy")} == {act.id}
        assert act.approved_by_id == staff["director"] and act.approved_on == TODAY
        # Nothing was deleted; every change is in the audit log.
        assert db.session.scalar(select(func.count(Carrier.id))) == len(world)
        assert db.session.scalar(select(func.count(AuditLog.id)).where(
            AuditLog.action == "update", AuditLog.changes.like('%"destroyed"%'))) == 3
        _refused(lambda: approve_act(db.session, act, user(staff["director"]), TODAY), "уже утверждён")


def test_return_frees_carriers_and_needs_a_comment(app, world, staff):
    with app.app_context():
        act = _sent_act(staff, world)
        _refused(lambda: return_act(db.session, act, user(staff["director"]), "  "), "Укажите, почему")
        _refused(lambda: return_act(db.session, act, user(staff["deputy"]), "нет"), "только директор")
        return_act(db.session, act, user(staff["director"]), "Уточните заголовки")
        db.session.commit()
        assert act.status == "returned" and act.return_comment == "Уточните заголовки"
        # The returned act's carriers may be proposed again; the returned act itself can be corrected and resent.
        again = draft_act(db.session, carrier_ids=[world["copy"]], user=user(staff["deputy"]), act_date=TODAY)
        db.session.commit()
        assert again.total_items == 1
        _refused(lambda: send_act(db.session, act, user(staff["deputy"])), "уже включён")


def test_send_needs_lines_and_commission(app, world, staff):
    with app.app_context():
        act = draft_act(db.session, carrier_ids=[world["copy"]], user=user(staff["deputy"]), act_date=TODAY)
        db.session.commit()
        _refused(lambda: send_act(db.session, act, user(staff["deputy"])), "Укажите комиссию")
        update_act(db.session, act, number=act.number, act_date=TODAY, basis=None, expert_protocol=None,
                   chairman_id=staff["deputy"], member_ids=[staff["secretary"]],
                   remove_line_ids=[line.id for line in act.lines])
        db.session.commit()
        _refused(lambda: send_act(db.session, act, user(staff["deputy"])), "нет ни одной строки")


def test_approval_is_all_or_nothing(app, world, staff, monkeypatch):
    """A carrier handed over behind the approval's back, after its check: with batches of one carrier, those
    before it are already marked when the approval fails, and the rollback must undo them."""
    from sqlalchemy import update

    table = Carrier.__table__
    with app.app_context():
        act = _sent_act(staff, world)
        monkeypatch.setattr(retention, "IN_CHUNK", 1)
        real_check = retention._check_carriers

        def check_then_hand_over(session, carriers, cutoff, act=None):
            held = real_check(session, carriers, cutoff, act)
            session.execute(update(table).where(table.c.id == world["copy"]).values(status="handed_over"))
            return held

        monkeypatch.setattr(retention, "_check_carriers", check_then_hand_over)
        _refused(lambda: approve_act(db.session, act, user(staff["director"]), TODAY), "изменились")
        db.session.rollback()
        assert set(_carrier_states(world).values()) == {("kept", None)}
        assert get(DestructionAct, act.id).status == "sent"
        assert db.session.scalar(select(func.count(Carrier.id)).where(Carrier.destruction_act_id.is_not(None))) == 0
        assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.changes.like('%"destroyed"%'))) == 0


def test_approval_writes_each_carriers_audit_entry_and_raises_its_version(app, world, staff):
    import json

    from models.audit import _cli_actor, acting_as

    with app.app_context():
        act = _sent_act(staff, world)
        before = {key: get(Carrier, world[key]).version for key in ("personal", "gia", "copy")}
        director = user(staff["director"])
        token = acting_as(director.id, director.login)
        try:
            approve_act(db.session, act, director, TODAY)
            db.session.commit()
        finally:
            _cli_actor.reset(token)
        db.session.expire_all()
        # An editor holding the old version is refused, as after any other change.
        assert {key: get(Carrier, world[key]).version for key in before} == {k: v + 1 for k, v in before.items()}
        entry = db.session.scalar(select(AuditLog).where(AuditLog.record_id == str(world["personal"]),
                                                         AuditLog.changes.like('%"destroyed"%')))
        assert (entry.action, entry.table_name, entry.user_id, entry.user_login) == (
            "update", "personal_file", director.id, director.login)
        assert entry.record_repr == "Личное дело обучающегося, № У-1, Ушедшев Иван"
        assert json.loads(entry.changes) == {"status": ["kept", "destroyed"], "destroyed_on": [None, "2026-03-15"],
                                             "destruction_act_id": [None, act.id]}


def test_holds_need_a_reason(app, world):
    with app.app_context():
        copy = get(Carrier, world["copy"])
        with pytest.raises(RetentionError, match="причину"):
            set_hold(db.session, copy, " ")
        db.session.rollback()
        set_hold(db.session, copy, "судебный запрос")
        db.session.commit()
        assert "ejournal_copy" not in {g["kind"].code for g in review_groups(db.session, TODAY)[0]}
        clear_hold(db.session, copy, "запрос исполнен")
        db.session.commit()
        assert "ejournal_copy" in {g["kind"].code for g in review_groups(db.session, TODAY)[0]}


def test_number_to_words():
    assert number_to_words(0) == "ноль"
    assert number_to_words(1, "n") == "одно"
    assert number_to_words(21, "n") == "двадцать одно"
    assert number_to_words(2, "f") == "две"
    assert number_to_words(112) == "сто двенадцать"
    assert number_to_words(1000) == "одна тысяча"
    assert number_to_words(2345, "n") == "две тысячи триста сорок пять"
    assert number_to_words(11000) == "одиннадцать тысяч"
    assert number_to_words(1_000_001) == "один миллион один"
    assert [plural(n, ("дело", "дела", "дел")) for n in (1, 2, 5, 11, 21, 104)] == \
        ["дело", "дела", "дел", "дел", "дело", "дела"]


def test_home_notices(app, world, staff):
    with app.app_context():
        left = get(Student, get(Carrier, world["personal"]).student_id)
        copy = get(EjournalCopy, world["copy"])
        copy.media.append(CopyMedium(location="сейф 1", sha256="a" * 64))
        db.session.commit()
        notices = {text: (count, url) for text, count, url in review_notices(db.session, ["deputy"], TODAY)}
        texts = " | ".join(notices)
        assert "истёкшим сроком" in texts and "электронного журнала" in texts
        assert "Аттестаты выбывших" in texts and "более 3 лет" in texts
        assert notices[next(t for t in notices if "истёкшим" in t)][0] == 3
        assert review_notices(db.session, ["secretary"], TODAY) == []
        assert left.status == "left"


def test_home_notice_leaves_out_carriers_in_a_live_act(app, world, staff):
    def due():
        notices = {text: count for text, count, url in review_notices(db.session, ["deputy"], TODAY)}
        return notices.get("Носители с истёкшим сроком хранения ждут экспертизы", 0)

    with app.app_context():
        assert due() == retention.count_expired(db.session, TODAY) == 3  # the studying pupil's protocol is not
        act = draft_act(db.session, carrier_ids=[world["personal"], world["gia"]], user=user(staff["deputy"]),
                        act_date=TODAY)
        db.session.commit()
        assert due() == retention.count_expired(db.session, TODAY) == 1
        retention.clear_hold(db.session, get(Carrier, world["held"]), "запрос отозван")
        db.session.commit()
        assert due() == retention.count_expired(db.session, TODAY) == 2
        assert act.status == "draft"


def test_pages_and_rights(app, world, staff, login_as):
    deputy = login_as("deputy")
    page = deputy.get("/admin/retention_review/?date=2026-03-15")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Экспертиза сроков хранения" in text and "Личное дело обучающегося" in text
    assert "Сводная ведомость" not in text.split("Истекают в ближайшие")[0]
    assert login_as("secretary").get("/admin/retention_review/").status_code == 403
    with app.app_context():
        personal_kind = kind("personal_file").id
    group = deputy.get(f"/admin/retention_review/group?kind={personal_kind}&date=2026-03-15").get_data(as_text=True)
    assert "№ У-1" in group and "Ушедшев" in group and "31.05.2022" in group
    director = login_as("director")
    assert director.get("/admin/retention_review/").status_code == 200
    # The director reads but does not draft.
    with app.app_context():
        copy_kind = kind("ejournal_copy").id
    assert director.post("/admin/retention_review/draft", data={"kind_ids": [copy_kind],
                                                                "act_date": "2026-03-15"}).status_code == 403
    # An act with no lines is refused with a Russian message and nothing saved.
    response = deputy.post("/admin/retention_review/draft", data={"act_date": "2026-03-15"},
                           follow_redirects=True)
    assert "Акт без строк не составляется" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(DestructionAct.id))) == 0
    # The home page shows the notices with links.
    home = deputy.get("/admin/").get_data(as_text=True)
    assert "Носители с истёкшим сроком хранения ждут экспертизы" in home
    assert "/admin/retention_review/" in home
    assert "Носители с истёкшим" not in login_as("secretary").get("/admin/").get_data(as_text=True)


def test_hold_page(app, world, login_as):
    deputy = login_as("deputy")
    url = f"/admin/retention_review/hold/{world['copy']}"
    assert deputy.get(url).status_code == 200
    response = deputy.post(url, data={"op": "set", "reason": ""}, follow_redirects=True)
    assert "Укажите причину" in response.get_data(as_text=True)
    deputy.post(url, data={"op": "set", "reason": "запрос суда"})
    assert login_as("secretary").post(url, data={"op": "clear", "reason": "x"}).status_code == 403
    with app.app_context():
        assert get(Carrier, world["copy"]).on_hold and get(Carrier, world["copy"]).hold_reason == "запрос суда"


def test_pdf_of_the_act(app, world, staff, login_as, tmp_path):
    from models import School

    with app.app_context():
        kind("personal_file").list_article = "ст. 683 Перечня 2019"
        card = db.session.scalar(select(School))
        card.full_name = ("Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная "
                          "школа № 7 имени Героя Советского Союза И. И. Иванова»")
        db.session.commit()
        # Typed as the form's old label invited: the words «протокол ЭК» must still print once.
        act = _sent_act(staff, world, expert_protocol="протокол ЭК от 01.12.2026 № 3")
        act_id, number = act.id, act.number
        titles = [line.title for line in act.lines]
    deputy = login_as("deputy")
    response = deputy.get(f"/admin/retention_review/act/{act_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = re.sub(r"\s+", " ", text)
    # Column 7: the kind's article of the retention list, never a clause of a school's regulation.
    assert "ст. 683 Перечня 2019" in flat and "§" not in flat
    assert flat.lower().count("протокол эк") == 1 and "от 01.12.2026 № 3" in flat
    # The school's long name keeps its distance from «УТВЕРЖДАЮ»: on that line a wide gap separates them.
    layout = PdfReader(io.BytesIO(response.data)).pages[0].extract_text(extraction_mode="layout")
    line = next(ln for ln in layout.splitlines() if "УТВЕРЖДАЮ" in ln)
    assert re.search(r"\S {6,}УТВЕРЖДАЮ", line), line
    assert f"АКТ № {number}" in flat
    assert "о выделении к уничтожению документов, не подлежащих хранению" in flat
    assert "УТВЕРЖДАЮ" in flat
    for title in titles:
        assert title in flat, title
    assert "Итого 3 (три) дела" in flat
    assert "Председатель комиссии" in flat and "СОГЛАСОВАНО" in flat
    assert login_as("secretary").get(f"/admin/retention_review/act/{act_id}/pdf").status_code == 403


def test_register_is_read_only_and_never_deleted(app, world, staff, login_as):
    with app.app_context():
        act_id = _sent_act(staff, world).id
    director = login_as("director")
    assert director.get("/admin/destruction_act/").status_code == 200
    assert director.get(f"/admin/destruction_act/details/?id={act_id}").status_code == 200
    assert director.get("/admin/destruction_act/new/").status_code == 403
    assert director.get(f"/admin/destruction_act/edit/?id={act_id}").status_code == 403
    assert director.post("/admin/destruction_act/delete/", data={"id": act_id}).status_code == 403
    assert login_as("secretary").get("/admin/destruction_act/").status_code == 403
    with app.app_context():
        assert get(DestructionAct, act_id) is not None


def test_long_act_repeats_the_table_header_on_every_page(app, world, staff, login_as):
    from models.retention import DestructionActLine

    with app.app_context():
        act = draft_act(db.session, carrier_ids=[world["copy"]], user=user(staff["deputy"]), act_date=TODAY)
        for n in range(70):
            act.lines.append(DestructionActLine(position=n + 2, title=f"Групповой заголовок {n}", item_count=1))
        db.session.commit()
        act_id = act.id
    response = login_as("deputy").get(f"/admin/retention_review/act/{act_id}/pdf")
    pages = PdfReader(io.BytesIO(response.data)).pages
    assert len(pages) >= 2
    for page in pages:
        text = re.sub(r"\s+", " ", page.extract_text())
        if "Групповой заголовок" in text:
            assert "Заголовок дела или групповой заголовок дел" in text
    assert "Итого 71 (семьдесят одно) дело" in re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages))


def _expired_files(count):
    """`count` personal files of pupils who left in 2019, each file expired since 2022."""
    return [carrier("personal_file", PersonalFile, number=f"В-{n}", created_on=date(2010, 9, 1),
                    student=pupil(f"Выбывшев{n}")).id for n in range(count)]


def _statements_of(call):
    with sql_statements() as statements:
        result = call()
    return result, len(statements)


def test_act_of_whole_groups_checks_its_carriers_in_batches(app, world, staff, monkeypatch):
    """A district's act of whole groups lists 80,000 carriers: checked in a few queries per batch, never one per
    carrier, and never in one IN list longer than PostgreSQL's 65,535 parameters."""
    from models.retention import draft_from_groups

    monkeypatch.setattr(retention, "IN_CHUNK", 7)  # small batches, so that a few files cross several of them
    with app.app_context():
        few = _expired_files(5)
        db.session.commit()
        act, small = _statements_of(lambda: draft_from_groups(
            db.session, kind_ids=[kind("personal_file").id], user=user(staff["deputy"]), act_date=TODAY))
        assert sorted(c.id for ln in act.lines for c in ln.carriers) == sorted(few + [world["personal"]])
        db.session.rollback()

        many = few + _expired_files(30)
        db.session.commit()
        act, large = _statements_of(lambda: draft_from_groups(
            db.session, kind_ids=[kind("personal_file").id], user=user(staff["deputy"]), act_date=TODAY))
        assert sorted(c.id for ln in act.lines for c in ln.carriers) == sorted(many + [world["personal"]])
        assert act.lines[0].item_count == len(many) + 1
        # Six times the files, five more batches of 7: the queries grow by the batches, not by the files.
        assert large - small <= 5 * 4
        db.session.rollback()


def test_home_pages_say_which_act_waits_for_whom(app, world, staff, login_as):
    from models.issuance import BlankReceipt

    director, deputy = login_as("director"), login_as("deputy")
    assert "ждёт вашего утверждения" not in director.get("/admin/").get_data(as_text=True)
    with app.app_context():
        act = _sent_act(staff, world)
        act_id, name = act.id, f"Акт об уничтожении № {act.number} от {TODAY:%d.%m.%Y}"
    home = director.get("/admin/").get_data(as_text=True)
    assert f"{name} ждёт вашего утверждения" in home and f"/admin/retention_review/act/{act_id}" in home
    assert "ждёт вашего утверждения" not in deputy.get("/admin/").get_data(as_text=True)
    with app.app_context():
        return_act(db.session, get(DestructionAct, act_id), user(staff["director"]), "Уточните заголовки")
        db.session.commit()
    home = deputy.get("/admin/").get_data(as_text=True)
    assert f"{name} возвращён директором на доработку: Уточните заголовки" in home
    assert "ждёт вашего утверждения" not in director.get("/admin/").get_data(as_text=True)
    # The officer sees how many blanks remain, per kind and level.
    officer = login_as("officer")
    assert "Бланки аттестатов не поступали" in officer.get("/admin/").get_data(as_text=True)
    with app.app_context():
        db.session.add(BlankReceipt(blank_kind="certificate", level="basic", series="", number_from="03224000000001",
                                    number_to="03224000000025", received_on=date(2024, 5, 1), received_from="РУО"))
        db.session.commit()
    home = " ".join(officer.get("/admin/").get_data(as_text=True).split())
    assert re.search(r"Осталось бланков аттестатов \(основное общее, ООО\)</a>: <span[^>]*>25</span>", home), home
    with app.app_context():
        from models.issuance import SpoiledBlank

        db.session.add_all([SpoiledBlank(blank_kind="certificate", level="basic", series="", number=number,
                                         spoiled_on=date(2024, 5, 2), reason="опечатка")
                            for number in ("03224000000003", "03224999999999")])  # the second is not in the receipt
        db.session.commit()
    home = " ".join(officer.get("/admin/").get_data(as_text=True).split())
    assert re.search(r"Осталось бланков аттестатов \(основное общее, ООО\)</a>: <span[^>]*>24</span>", home), home


def test_review_says_why_a_carrier_cannot_join_an_act_yet(app, world, staff, login_as):
    with app.app_context():
        # 01.02.2025 + 1 year: expired on the review date, but after 1 January of the act's year.
        young = carrier("gia_protocol", title="ОГЭ русский язык", event_on=date(2025, 2, 1)).id
        db.session.commit()
        gia_kind = kind("gia_protocol").id
    deputy = login_as("deputy")
    page = deputy.get(f"/admin/retention_review/group?kind={gia_kind}&date=2026-03-15").get_data(as_text=True)
    notes = re.findall(r'data-testid="not-yet">([^<]+)<', page)
    assert notes == ["срок хранения истёк 01.02.2026: в акт — с 01.01.2027 (в акт входят сроки, истёкшие до "
                     "1 января года акта)."]
    response = deputy.post("/admin/retention_review/draft", data={"carrier_ids": [young, world["gia"]],
                                                                  "act_date": "2026-03-15"}, follow_redirects=True)
    assert "в акт — с 01.01.2027" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(DestructionAct.id))) == 0


def test_a_destroyed_carriers_card_names_its_act(app, world, staff, login_as):
    with app.app_context():
        act = _sent_act(staff, world)
        approve_act(db.session, act, user(staff["director"]), TODAY)
        db.session.commit()
        act_id, number = act.id, act.number
    card = login_as("director").get(f"/admin/personal_file/details/?id={world['personal']}").get_data(as_text=True)
    assert "Destruction Act" not in card
    assert (f'<a href="/admin/retention_review/act/{act_id}">Акт об уничтожении № {number} от '
            f'{TODAY:%d.%m.%Y}</a>') in card

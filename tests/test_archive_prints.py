"""The e-journal archive as a control, the class prints made from the imported marks, and every print verifiable."""
import hashlib
import io
import re
from datetime import date, timedelta
from urllib.parse import unquote

from pypdf import PdfReader
from sqlalchemy import func, select

import marks_fixtures as fx
from models import (AcademicYear, ClassRecord, CopyCheck, CopyMedium, EjournalCopy, IssuedDocument, PdDisclosure,
                    PersonalFile, School, SchoolClass, Student, User, db)
from models.archive import archive_slots
from models.carriers import CarrierKind
from models.copies import verify_copies
from models.marks_import import apply_import
from models.year_end import apply_year_marks, certify_year
from pdf_pages import page_image

ARCHIVE = "/admin/ejournal_archive"


def import_marks(ids, rows, name):
    year = db.session.get(AcademicYear, ids["year"])
    apply_import(db.session, fx.xlsx({"Лист1": rows}), original_name=name, stored_name=name, year=year)
    db.session.commit()


def final_marks(ids, sidorov_russian="н/а"):
    """Year marks of 9А as the e-journal's «Итоговые отметки» export has them."""
    import_marks(ids, [("Итоговые отметки",), ("Класс: 9А",),
                       ("Ученик", "Алгебра", None, None, "Русский язык", None, None),
                       (None, "I", "II", "Год", "I", "II", "Год"),
                       ("Иванов Иван Иванович", 4, 5, 5, 4, 4, 4),
                       ("Петрова Алёна Сергеевна", 5, 5, 5, 5, 4, 5),
                       ("Сидоров Пётр", 3, 2, 2, 3, 3, sidorov_russian)], "итоговые.xlsx")


def current_marks(ids):
    y0 = ids["y0"]
    import_marks(ids, [("Ученик", "Класс", "Предмет", "Дата", "Отметка", "Вид", "Период"),
                       ("Иванов Иван Иванович", "9А", "Алгебра", f"02.09.{y0}", "5", "", ""),
                       ("Иванов Иван Иванович", "9А", "Алгебра", f"09.09.{y0}", "3/4", "", ""),
                       ("Петрова Алёна Сергеевна", "9А", "Алгебра", f"09.09.{y0}", "н", "", ""),
                       ("Сидоров Пётр", "9А", "Русский язык", f"16.09.{y0}", "2", "", "")], "журнал.xlsx")


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def printed_code(text):
    match = re.search(r"Код проверки документа: ([0-9A-Z]{5}-[0-9A-Z]{5})", text)
    assert match, text[-400:]
    return match.group(1)


def media_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path), hashlib.sha256(content).hexdigest()


# --- 1. completeness ------------------------------------------------------------------------------

def test_gaps_found_then_closed_by_a_verified_copy_and_a_printout(session, tmp_path):
    ids = fx.school()
    year = db.session.get(AcademicYear, ids["year"])
    after = year.ends_on + timedelta(days=1)
    a = db.session.get(SchoolClass, ids["a"])

    slots = [s for s in archive_slots(db.session, year, after) if s.school_class.id == a.id]
    # archived by term (the default): two quarters and the year
    assert [(s.period, s.copy_state, s.printout_state) for s in slots] == [
        ("1 четверть", "missing", "none"), ("2 четверть", "missing", "none"), ("учебный год", "missing", "missing")]
    assert all(s.has_gap for s in slots)

    kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "ejournal_copy"))
    one, sha = media_file(tmp_path, "9a.xlsx", b"journal 9A")
    copy = EjournalCopy(kind=kind, school_class=a, academic_year=year, created_on=year.ends_on,
                        media=[CopyMedium(location="Сейф 1", file_path=one, sha256=sha)])
    db.session.add(copy)
    db.session.commit()
    assert archive_slots(db.session, year, after)[2].copy_state == "few_media"

    two, _ = media_file(tmp_path, "9a-copy.xlsx", b"journal 9A")
    copy.media.append(CopyMedium(location="Сейф 2", file_path=two, sha256=sha))
    db.session.commit()
    assert archive_slots(db.session, year, after)[2].copy_state == "unverified"

    checked = verify_copies(db.session)
    db.session.commit()
    assert checked["ok"] == 2
    year_slot = archive_slots(db.session, year, after)[2]
    assert (year_slot.copy_state, year_slot.printout_state) == ("ok", "missing")

    # a damaged file is found at the next check, and the history keeps both dates
    (tmp_path / "9a-copy.xlsx").write_bytes(b"damaged")
    verify_copies(db.session)
    db.session.commit()
    assert archive_slots(db.session, year, after)[2].copy_state == "mismatch"
    results = [c.result for c in db.session.scalars(select(CopyCheck).order_by(CopyCheck.id))]
    assert results == ["ok", "ok", "ok", "mismatch"]

    # archived by year only: the quarters are no longer asked for
    db.session.scalar(select(School)).ejournal_copy_period = "year"
    db.session.commit()
    assert [s.period for s in archive_slots(db.session, year, after) if s.school_class.id == a.id] == ["учебный год"]


def test_gaps_on_the_home_pages_of_the_administrator_and_the_deputy(app, login_as):
    with app.app_context():
        ids = fx.school()
        # last year, ended whatever today's date: one class and nothing archived
        from factories import other_year

        db.session.add(SchoolClass(academic_year=other_year(), grade=5, letter="В"))
        db.session.commit()
    for role in ("admin", "deputy"):
        page = login_as(role).get("/admin/").get_data(as_text=True)
        assert "без полной проверенной копии электронного журнала" in page, role
    assert "копии электронного журнала" not in login_as("secretary").get("/admin/").get_data(as_text=True)

    report = login_as("deputy").get(f"{ARCHIVE}/?year={ids['year']}")
    assert report.status_code == 200
    page = report.get_data(as_text=True)
    assert "9А" in page and "9Б" in page
    assert "Журнал за год (PDF)" in page  # the deputy prints
    assert "копии нет" in page


# --- 2. the class prints ---------------------------------------------------------------------------

def test_summary_sheet_printed_registered_and_verifiable(app, login_as):
    with app.app_context():
        ids = fx.school()
        final_marks(ids)
    deputy = login_as("deputy")
    response = deputy.post(f"{ARCHIVE}/summary", {"class_id": ids["a"]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.data
    text = pdf_text(data)
    assert "СВОДНАЯ ВЕДОМОСТЬ ИТОГОВЫХ ОТМЕТОК" in text
    assert "9А класса" in text
    assert "Иванов Иван" in text and "Сидоров Пётр" in text
    assert "н/а" in text
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    code = printed_code(text)

    with app.app_context():
        records = list(db.session.scalars(select(ClassRecord).where(ClassRecord.school_class_id == ids["a"])))
        assert [(r.kind.code, r.pages) for r in records] == [("summary_sheet", 1)]
        document = db.session.scalar(select(IssuedDocument))
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        assert document.grouped_code == code

    # printed again: the same carrier is updated, not a second one
    deputy.post(f"{ARCHIVE}/summary", {"class_id": ids["a"]})
    with app.app_context():
        assert db.session.scalar(select(func.count(ClassRecord.id))) == 1

    # the QR code on the page leads to the verification page of this code
    import zxingcpp

    found = zxingcpp.read_barcodes(page_image(data, page=0, dpi=200))
    assert [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode] == [f"http://localhost/check/{code}"]

    public = app.test_client().get(f"/check/{code}")
    assert public.status_code == 200
    page = public.get_data(as_text=True)
    assert "Документ действителен" in page
    assert "сводная ведомость итоговых отметок" in page
    assert "Иванов" not in page  # no personal data


def test_summary_sheet_without_marks_is_refused_in_russian(app, login_as):
    with app.app_context():
        ids = fx.school()
    deputy = login_as("deputy")
    response = deputy.post(f"{ARCHIVE}/summary", {"class_id": ids["a"]})
    assert response.status_code == 302
    page = deputy.get(response.headers["Location"]).get_data(as_text=True)
    assert "нет годовых отметок" in page
    for bad in ({"class_id": "abc"}, {"class_id": "999999999999"}, {}):
        assert deputy.post(f"{ARCHIVE}/summary", bad).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(ClassRecord.id))) == 0
        assert db.session.scalar(select(func.count(IssuedDocument.id))) == 0


def test_class_journal_pages_with_dates_marks_and_certification(app, login_as):
    with app.app_context():
        ids = fx.school()
        current_marks(ids)
        final_marks(ids)
    response = login_as("admin").post(f"{ARCHIVE}/journal", {"class_id": ids["a"]})
    assert response.status_code == 200
    data = response.data
    text = pdf_text(data)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert "ЭЛЕКТРОННЫЙ ЖУРНАЛ: 9А КЛАСС" in text
    assert "Алгебра" in text and "Русский язык" in text
    assert "02.09" in text and "09.09" in text and "3/4" in text
    assert "Итоговая (годовая)" in text
    assert f"Прошито, пронумеровано и скреплено печатью {pages}" in text
    assert "М. П." in text and "Директор" in text
    with app.app_context():
        record = db.session.scalar(select(ClassRecord))
        assert (record.kind.code, record.pages) == ("class_journal_print", pages)
        year = db.session.get(AcademicYear, ids["year"])
        slot = [s for s in archive_slots(db.session, year, year.ends_on + timedelta(days=1))
                if s.school_class.id == ids["a"] and s.term is None][0]
        assert slot.printout_state == "ok"


def test_personal_card_page_of_the_year(app, login_as):
    with app.app_context():
        ids = fx.school()
        final_marks(ids, sidorov_russian=3)
        teacher = User(login="kl", full_name="Смирнова Ольга Петровна", active=True)
        teacher.roles = ["class_teacher"]
        teacher.set_password("test-password-1")
        db.session.add(teacher)
        a = db.session.get(SchoolClass, ids["a"])
        a.class_teacher = teacher
        kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "personal_file"))
        for number, sid in (("И-1", ids["ivanov"]), ("П-1", ids["petrova"]), ("С-1", ids["sidorov"])):
            db.session.add(PersonalFile(kind=kind, number=number, student_id=sid, created_on=date(2020, 9, 1)))
        db.session.commit()
        apply_year_marks(db.session, ids["a"], ids["year"], teacher)
        db.session.commit()
    from conftest import PanelClient

    panel = PanelClient(app)
    assert panel.login("kl").status_code == 302
    listing = panel.get(f"/admin/personal_cards/?year={ids['year']}&class_id={ids['a']}").get_data(as_text=True)
    assert "Петрова Алёна" in listing
    response = panel.post("/admin/personal_cards/print", {"student_id": ids["petrova"], "year_id": ids["year"]})
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "ЛИЧНАЯ КАРТА ОБУЧАЮЩЕГОСЯ" in text and "П-1" in text
    assert "Петрова Алёна Сергеевна" in text
    assert "Алгебра" in text and "Русский язык" in text
    assert "ещё не заверены" in text
    pages = len(PdfReader(io.BytesIO(response.data)).pages)
    # The card's sheets are recorded on the personal file; the file name says how many the file holds.
    assert f"(в деле {pages} л.)" in unquote(response.headers["Content-Disposition"])
    with app.app_context():
        assert db.session.scalar(select(PersonalFile.card_pages).where(PersonalFile.number == "П-1")) == pages
        file_id = db.session.scalar(select(PersonalFile.id).where(PersonalFile.number == "П-1"))
    with app.app_context():
        teacher = db.session.scalar(select(User).where(User.login == "kl"))
        certify_year(db.session, ids["a"], ids["year"], teacher, date.today())
        db.session.commit()
    text = pdf_text(panel.post("/admin/personal_cards/print",
                               {"student_id": ids["petrova"], "year_id": ids["year"]}).data)
    assert f"заверены {date.today():%d.%m.%Y}" in text and "Смирнова Ольга Петровна" in text
    with app.app_context():  # a reprint of the same year replaces its sheets, it does not add to them
        assert db.session.get(PersonalFile, file_id).card_pages == pages
    secretary = login_as("secretary")
    details = secretary.get(f"/admin/personal_file/details/?id={file_id}").get_data(as_text=True)
    assert "Листов личных карт (напечатано из панели)" in details
    # another class's pupil is not the class teacher's
    assert panel.post("/admin/personal_cards/print",
                      {"student_id": ids["kuznetsova"], "year_id": ids["year"]}).status_code == 403


# --- 3. verification ------------------------------------------------------------------------------

def test_verification_valid_annulled_unknown_and_rate_limited(app, login_as):
    with app.app_context():
        ids = fx.school()
        final_marks(ids)
    data = login_as("deputy").post(f"{ARCHIVE}/summary", {"class_id": ids["a"]}).data
    code = printed_code(pdf_text(data))
    guest = app.test_client()
    assert "Документ действителен" in guest.get(f"/check/?code={code.lower()}").get_data(as_text=True)

    director = login_as("director")
    with app.app_context():
        doc_id = db.session.scalar(select(IssuedDocument.id))
    refused = director.post(f"/admin/issued_document/edit/?id={doc_id}", {"annulled": "y", "annul_reason": ""})
    assert "Укажите причину аннулирования" in refused.get_data(as_text=True)
    director.post(f"/admin/issued_document/edit/?id={doc_id}", {"annulled": "y", "annul_reason": "опечатка"})
    page = guest.get(f"/check/{code}").get_data(as_text=True)
    assert "АННУЛИРОВАН" in page and "опечатка" not in page

    unknown = guest.get("/check/0000000000")
    assert unknown.status_code == 404 and "не выдавался" in unknown.get_data(as_text=True)
    malformed = guest.get("/check/абв")
    assert malformed.status_code == 400 and "Код записан неверно" in malformed.get_data(as_text=True)

    app.config["VERIFY_RATE_LIMIT"] = "3 per hour"  # an hour's fixed window: a minute's could turn over between the requests
    other = app.test_client()
    answers = [other.get("/check/0000000000", environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code
               for _ in range(4)]
    assert answers[-1] == 429
    assert "Слишком много проверок" in other.get("/check/0000000000",
                                                 environ_base={"REMOTE_ADDR": "10.0.0.7"}).get_data(as_text=True)


def test_verification_rate_limit_holds_across_server_processes_sharing_the_database(app, database_url, tmp_path):
    """gunicorn -w 4 runs four apps on one database: the limit is the address's, not each process's."""
    from app import create_app
    from conftest import _base_config

    second = create_app({**_base_config(tmp_path / "second", database_url), "VERIFY_RATE_LIMIT": "5 per day"})
    app.config["VERIFY_RATE_LIMIT"] = "5 per day"
    try:
        clients = [app.test_client(), second.test_client()]
        guesser = {"REMOTE_ADDR": "10.0.0.9"}
        answers = [clients[n % 2].get(f"/check/000000000{n}", environ_base=guesser).status_code for n in range(8)]
        # Five look-ups in all, whichever process answered; each process alone would have let five through.
        assert answers == [404] * 5 + [429] * 3
        refused = clients[1].get("/check/0000000000", environ_base=guesser)
        assert refused.status_code == 429 and "Слишком много проверок" in refused.get_data(as_text=True)
        # Another address is counted apart.
        assert clients[1].get("/check/0000000000", environ_base={"REMOTE_ADDR": "10.0.0.10"}).status_code == 404
    finally:
        with second.app_context():
            db.engine.dispose()


def test_progress_report_disclosure_keeps_the_pdf_hash(app, login_as):
    from models import Guardian, Student

    with app.app_context():
        ids = fx.school()
        final_marks(ids)
        # Results go only to a registered legal representative (acts 002 §5.1).
        mother = Guardian(last_name="Иванова", first_name="Анна", kind="mother",
                          students=[db.session.get(Student, ids["ivanov"])])
        db.session.add(mother)
        db.session.commit()
        mother_key = f"guardian:{mother.id}"
    response = login_as("deputy").post(f"/marks/progress/{ids['ivanov']}",
                                       {"year": ids["year"], "recipient": mother_key,
                                        "purpose": "по месту требования"})
    assert response.status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(PdDisclosure))
        assert entry.document is not None
        assert entry.document.sha256 == hashlib.sha256(response.data).hexdigest()
        assert entry.document.document_kind == "progress_report"
        code = entry.document.grouped_code
    assert printed_code(pdf_text(response.data)) == code
    # the HTML-template prints carry the same QR code as the drawn ones
    import zxingcpp

    found = zxingcpp.read_barcodes(page_image(response.data, page=0, dpi=200))
    assert [b.text for b in found] == [f"http://localhost/check/{code}"]


# --- 4. optional signing ----------------------------------------------------------------------------

def school_certificate(tmp_path, password="secret"):
    """A self-signed certificate in a PKCS#12 file, as a school gets one from its provider."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "МБОУ СОШ № 1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = tmp_path / "school.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"school", key, cert, None,
                                                           serialization.BestAvailableEncryption(password.encode())))
    return path, cert


def test_signed_pdf_verifies_with_pyhanko_and_on_the_page(app, login_as, tmp_path):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from views.signing import outside_event_loop
    from pyhanko_certvalidator import ValidationContext

    from conftest import PanelClient

    path, cert = school_certificate(tmp_path)
    app.config.update(SIGNING_PKCS12=str(path), SIGNING_PKCS12_PASSWORD="secret")
    with app.app_context():
        ids = fx.school()
        final_marks(ids)
    data = login_as("deputy").post(f"{ARCHIVE}/summary", {"class_id": ids["a"]}).data

    root = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    # pyHanko runs asyncio.run: outside the event loop a browser test's Playwright leaves running in this process.
    status = outside_event_loop(validate_pdf_signature, signature,
                                ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted
    assert "СВОДНАЯ ВЕДОМОСТЬ ИТОГОВЫХ ОТМЕТОК" in pdf_text(data)
    with app.app_context():
        document = db.session.scalar(select(IssuedDocument))
        assert document.signed and document.sha256 == hashlib.sha256(data).hexdigest()
        code = document.grouped_code

    guest = PanelClient(app)
    page = guest.get(f"/check/{code}").get_data(as_text=True)
    assert "подписан электронной подписью школы" in page
    checked = guest.post(f"/check/{code}", {"file": (io.BytesIO(data), "ведомость.pdf")}).get_data(as_text=True)
    assert "Файл совпадает с выданным" in checked and "Электронная подпись действительна" in checked
    forged = data.replace(b"%%EOF", b"%%EOF\n% changed", 1)
    checked = guest.post(f"/check/{code}", {"file": (io.BytesIO(forged), "ведомость.pdf")}).get_data(as_text=True)
    assert "Файл не совпадает" in checked
    refused = guest.post(f"/check/{code}", {"file": (io.BytesIO(b"hello"), "x.pdf")})
    assert refused.status_code == 400 and "Это не файл PDF" in refused.get_data(as_text=True)


def test_without_a_certificate_nothing_is_signed_and_a_broken_one_stops_printing(app, login_as, tmp_path):
    with app.app_context():
        ids = fx.school()
        final_marks(ids)
    deputy = login_as("deputy")
    data = deputy.post(f"{ARCHIVE}/summary", {"class_id": ids["a"]}).data
    assert b"/ByteRange" not in data
    with app.app_context():
        assert db.session.scalar(select(IssuedDocument.signed)) is False

    path, _ = school_certificate(tmp_path)
    app.config.update(SIGNING_PKCS12=str(path), SIGNING_PKCS12_PASSWORD="wrong")
    response = deputy.post(f"{ARCHIVE}/summary", {"class_id": ids["a"]})
    assert response.status_code == 503
    assert "Сертификат подписи не открывается" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(IssuedDocument.id))) == 1


def test_certificate_book_pages_carry_the_code_and_qr(app, login_as):
    from datetime import timedelta as days

    import issuance_seed as seed
    import zxingcpp

    from models.issuance import CertificateBookEntry, register_class

    with app.app_context():
        ids = seed.everything()
        klass = db.session.get(SchoolClass, ids["class"])
        pupils = [db.session.get(Student, i) for i in ids["students"]]
        register_class(db.session, book_id=ids["book"], class_id=ids["class"], graduates_data=seed.rows(klass, pupils),
                       order_number="45-в", order_date=date.today() - days(days=2), issued_on=date.today())
        db.session.commit()
    response = login_as("officer").get(f"/admin/issuance/book.pdf?book_id={ids['book']}")
    assert response.status_code == 200
    text = pdf_text(response.data)
    code = printed_code(text)
    reader = PdfReader(io.BytesIO(response.data))
    last = len(reader.pages) - 1
    assert f"код проверки {code}" in reader.pages[0].extract_text()
    found = zxingcpp.read_barcodes(page_image(response.data, page=last, dpi=200))
    assert [b.text for b in found] == [f"http://localhost/check/{code}"]
    page = app.test_client().get(f"/check/{code}").get_data(as_text=True)
    assert "страницы книги регистрации выданных аттестатов" in page and "Документ действителен" in page
    with app.app_context():
        document = db.session.scalar(select(IssuedDocument))
        assert document.sha256 == hashlib.sha256(response.data).hexdigest()
        assert {d.document_id for d in db.session.scalars(select(PdDisclosure))} == {document.id}
        entry = db.session.scalar(select(CertificateBookEntry).order_by(CertificateBookEntry.reg_number.desc()))

    # one graduate's checking sheet: its registration number is on the verification page
    appendix = login_as("officer").get(f"/admin/issuance/appendix.pdf?entry_id={entry.id}")
    page = app.test_client().get(f"/check/{printed_code(pdf_text(appendix.data))}").get_data(as_text=True)
    assert "приложение к аттестату (лист для сверки)" in page
    assert re.search(rf"<th>Номер</th><td>{entry.reg_number}</td>", page)
    assert entry.last_name not in page


def test_printed_address_follows_the_configured_public_name(app, login_as):
    app.config["VERIFY_BASE_URL"] = "https://archive.school.example/"
    with app.app_context():
        ids = fx.school()
        final_marks(ids)
    text = pdf_text(login_as("deputy").post(f"{ARCHIVE}/summary", {"class_id": ids["a"]}).data)
    assert f"https://archive.school.example/check/{printed_code(text)}" in text


def test_copy_card_lists_each_check_with_its_date(app, login_as, tmp_path):
    with app.app_context():
        ids = fx.school()
        year = db.session.get(AcademicYear, ids["year"])
        kind = db.session.scalar(select(CarrierKind).where(CarrierKind.code == "ejournal_copy"))
        path, sha = media_file(tmp_path, "9a.xlsx", b"journal 9A")
        copy = EjournalCopy(kind=kind, school_class_id=ids["a"], academic_year=year, created_on=year.starts_on,
                            media=[CopyMedium(location="Сейф 1", file_path=path, sha256=sha),
                                   CopyMedium(location="Сейф 2", file_path=str(tmp_path / "нет.xlsx"), sha256=sha)])
        db.session.add(copy)
        db.session.commit()
        verify_copies(db.session)
        db.session.commit()
        copy_id = copy.id
        checked_at = db.session.scalar(select(CopyCheck.checked_at))
    page = login_as("admin").get(f"/admin/ejournal_copy/details/?id={copy_id}").get_data(as_text=True)
    assert f"Сейф 1: {checked_at:%d.%m.%Y %H:%M}: совпадает" in page
    assert f"Сейф 2: {checked_at:%d.%m.%Y %H:%M}: файл недоступен" in page

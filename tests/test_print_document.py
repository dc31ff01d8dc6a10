"""One way to hand out a print: views/pdf.print_document renders, records the disclosure, commits and sends.

A route that sent a PDF or recorded a release itself would again record a disclosure before a print that then
failed, or a print nobody registered."""
import ast
import hashlib
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select

import factories
import marks_fixtures as fx
from models import Guardian, IssuedDocument, PdDisclosure, Student, db
from views.pdf import document_printed

ROOT = Path(__file__).resolve().parent.parent
# Releases of personal data that are not prints: recorded where the file is made.
NOT_PRINTS = {("views/backups.py", "download"): "резервная копия базы",
              ("views/issuance.py", "frdo"): "выгрузка XLSX для ФИС ФРДО",
              ("admin/base.py", "export"): "выгрузка списка реестра в CSV/XLSX"}


def _calls(path):
    """(function the call is in, what is called, the call) for every call of the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    yield function.name, name, node


def test_no_route_sends_a_pdf_or_records_a_disclosure_itself():
    problems = []
    for path in sorted([*ROOT.glob("views/*.py"), *ROOT.glob("admin/*.py")]):
        where = path.relative_to(ROOT).as_posix()
        if where == "views/pdf.py":
            continue
        for function, name, node in _calls(path):
            if name == "record_disclosure" and (where, function) not in NOT_PRINTS:
                problems.append(f"{where}:{node.lineno} {function}: record_disclosure — через print_document")
            if name == "pdf_response":
                problems.append(f"{where}:{node.lineno} {function}: pdf_response — через print_document")
            if any(isinstance(c, ast.Constant) and c.value == "application/pdf" for c in ast.walk(node)):
                problems.append(f"{where}:{node.lineno} {function}: PDF отдан мимо print_document")
    assert not problems, "\n".join(problems)


@contextmanager
def printed():
    """The PDFs print_document handed out while the block runs."""
    sent = []

    def remember(app, data):
        sent.append(data)

    document_printed.connect(remember)
    try:
        yield sent
    finally:
        document_printed.disconnect(remember)


def _report_request(app):
    with app.app_context():
        ids = fx.school()
        mother = Guardian(last_name="Иванова", first_name="Анна", kind="mother",
                          students=[db.session.get(Student, ids["ivanov"])])
        db.session.add(mother)
        db.session.commit()
        return f"/marks/progress/{ids['ivanov']}", {"year": ids["year"], "recipient": f"guardian:{mother.id}",
                                                    "purpose": "по месту требования"}


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(PdDisclosure.id))),
                db.session.scalar(select(func.count(IssuedDocument.id))))


def test_a_print_with_personal_data_records_one_disclosure_naming_the_very_pdf(app, login_as):
    url, form = _report_request(app)
    with app.app_context():
        factories.student("Гаврилов", "Олег")
        db.session.commit()
    deputy, secretary = login_as("deputy"), login_as("secretary")
    with printed() as sent:
        report = deputy.post(url, form)
        book = secretary.get("/admin/admission_book/pdf/?letter=Г")
    assert report.mimetype == book.mimetype == "application/pdf"
    assert sent == [report.data, book.data]
    with app.app_context():
        entries = list(db.session.scalars(select(PdDisclosure).order_by(PdDisclosure.id)))
        assert [e.document_kind for e in entries] == ["progress_report", "other"]
        assert entries[0].document.sha256 == hashlib.sha256(report.data).hexdigest()
        assert entries[0].recipient == "Иванова Анна (законный представитель)"
        assert "Алфавитная книга" in entries[1].description


def test_a_failed_print_records_nothing(app, login_as, tmp_path):
    """A certificate that cannot be used stops the print after it is drawn: no disclosure, no register entry."""
    url, form = _report_request(app)
    broken = tmp_path / "school.p12"
    broken.write_bytes(b"not a certificate")
    app.config.update(SIGNING_PKCS12=str(broken), SIGNING_PKCS12_PASSWORD="secret")
    with printed() as sent:
        response = login_as("deputy").post(url, form)
    assert response.status_code == 503
    assert "Сертификат подписи не открывается" in response.get_data(as_text=True)
    assert sent == [] and _counts(app) == (0, 0)
    app.config.update(SIGNING_PKCS12=None)
    assert login_as("deputy").post(url, form).mimetype == "application/pdf"
    assert _counts(app) == (1, 1)

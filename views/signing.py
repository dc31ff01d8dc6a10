"""Optional electronic signature of issued PDFs (PAdES, through pyHanko) with the school's PKCS#12 certificate.

Configured in instance/config.py: SIGNING_PKCS12 (the .p12/.pfx file) and SIGNING_PKCS12_PASSWORD. Without them
nothing is signed and nothing else changes."""
import io
from pathlib import Path

from flask import current_app


def outside_event_loop(function, *args, **kwargs):
    """Call `function` (pyHanko's signing and validation call asyncio.run) in a thread of its own when this thread
    already runs an event loop (a server or a test driving a browser through Playwright), else right here."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


class SigningError(Exception):
    """The certificate is configured but cannot be used; the message is Russian."""


def _signer():
    """The signer of this app, loaded once (reading a PKCS#12 file and its key takes tens of milliseconds)."""
    path = current_app.config.get("SIGNING_PKCS12")
    if not path:
        return None
    cached = current_app.extensions.get("pdf_signer")
    if cached is not None and cached[0] == path:
        return cached[1]
    from pyhanko.sign import signers

    password = current_app.config.get("SIGNING_PKCS12_PASSWORD") or ""
    if not Path(path).is_file():
        raise SigningError(f"Файл сертификата подписи не найден: {path}. Проверьте настройку SIGNING_PKCS12.")
    signer = signers.SimpleSigner.load_pkcs12(pfx_file=str(path), passphrase=password.encode("utf-8") or None)
    if signer is None:
        raise SigningError("Сертификат подписи не открывается: проверьте файл и пароль (SIGNING_PKCS12_PASSWORD).")
    current_app.extensions["pdf_signer"] = (path, signer)
    return signer


def sign_pdf(data):
    """(bytes, signed?): the PDF signed as PAdES when a certificate is configured, else unchanged."""
    signer = _signer()
    if signer is None:
        return data, False
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(field_name="SchoolSignature", subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason="Документ выдан школой")
    out = outside_event_loop(signers.sign_pdf, IncrementalPdfFileWriter(io.BytesIO(data)), meta, signer=signer)
    return out.getvalue(), True


def check_signature(data):
    """A Russian sentence about the PDF's signature, trusting the school's own certificate; None when unsigned."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(data)).embedded_signatures
    except Exception:  # noqa: BLE001 — any unreadable upload is simply «not a PDF of ours»
        return "Файл не читается как PDF."
    if not signatures:
        return None
    signer = _signer_or_none()
    roots = [signer.signing_cert] if signer is not None else []
    status = outside_event_loop(validate_pdf_signature, signatures[0],
                                ValidationContext(trust_roots=roots, allow_fetching=False))
    who = status.signing_cert.subject.human_friendly
    if status.intact and status.valid and status.trusted:
        return f"Электронная подпись действительна: документ не изменялся после подписания ({who})."
    if not status.intact:
        return "Электронная подпись недействительна: документ изменён после подписания."
    return f"Электронная подпись не подтверждена сертификатом школы ({who})."


def _signer_or_none():
    try:
        return _signer()
    except SigningError:
        return None

"""Checking the e-journal archive copies: recompute each reachable file's SHA-256 and record the result."""
import hashlib
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from .registers import CopyCheck, CopyMedium, EjournalCopy
from .users import utcnow

VERIFY_EVERY_DAYS = 365


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_medium(medium, now):
    """Set the medium's result: ok, mismatch or unreachable (no path, or the file is not there)."""
    path = Path(medium.file_path) if medium.file_path else None
    if path is None or not path.is_file():
        medium.verify_result = "unreachable"
    else:
        medium.verify_result = "ok" if file_sha256(path) == (medium.sha256 or "").lower() else "mismatch"
    medium.verified_at = now
    # The medium keeps only the latest result; the history says when each check was made and what it found.
    medium.checks.append(CopyCheck(checked_at=now, result=medium.verify_result))
    return medium.verify_result


def verify_copies(session, now=None):
    """Verify every medium of every copy; return {result: count}. The caller commits."""
    now = now or utcnow()
    counts = {"ok": 0, "mismatch": 0, "unreachable": 0}
    for copy in session.scalars(select(EjournalCopy).where(EjournalCopy.status != "destroyed")):
        for medium in copy.media:
            counts[verify_medium(medium, now)] += 1
        if copy.media:
            copy.last_verified_at = now
    session.flush()
    return counts


# Problems a list filter can show; each is an SQL condition on EjournalCopy, so it works on large registers.
def problem_condition(problem, now=None):
    now = now or utcnow()
    media = select(func.count(CopyMedium.id)).where(CopyMedium.copy_id == EjournalCopy.id).scalar_subquery()
    if problem == "few_media":
        return media < 2
    if problem == "unreachable":
        return EjournalCopy.media.any(CopyMedium.verify_result == "unreachable")
    if problem == "mismatch":
        return EjournalCopy.media.any(CopyMedium.verify_result == "mismatch")
    if problem == "stale":
        since = now - timedelta(days=VERIFY_EVERY_DAYS)
        return (EjournalCopy.last_verified_at.is_(None)) | (EjournalCopy.last_verified_at < since)
    raise ValueError(problem)


PROBLEMS = {"few_media": "меньше двух носителей", "unreachable": "файл недоступен",
            "mismatch": "контрольная сумма не совпадает", "stale": "не проверялась больше года"}

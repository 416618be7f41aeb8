"""Uploaded lists kept between the preview and the confirmation, in the database.

The confirmation names the upload by a random token and the SHA-256 of what was previewed; the
bytes are read again and checked again, never taken from the browser. Uploads are kept for an hour.
They are rows (PendingImport), not files of the instance folder, so that the confirmation may reach
another app server than the preview did (docs/deployment.md)."""

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete

from ..extensions import db
from ..models import PendingImport, utcnow

KEEP = timedelta(hours=1)
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def keep(raw: bytes, filename: str, user) -> tuple[str, str]:
    """Store an upload for `user`; returns its token and SHA-256."""
    _prune()
    token, digest = secrets.token_urlsafe(24), hashlib.sha256(raw).hexdigest()
    db.session.add(
        PendingImport(token=token, user_id=user.id, ward_id=user.ward_id, filename=filename, sha256=digest, data=raw)
    )
    db.session.commit()
    return token, digest


def take(token: str, digest: str, user) -> tuple[str, bytes] | None:
    """The file name and bytes kept under `token` for this user, if they still hash to `digest`."""
    if not TOKEN.fullmatch(token or ""):
        return None
    kept = db.session.get(PendingImport, token)
    if kept is None or kept.created_at < utcnow() - KEEP:
        return None
    if (kept.user_id, kept.ward_id) != (user.id, user.ward_id):
        return None
    actual = hashlib.sha256(kept.data).hexdigest()
    if not (secrets.compare_digest(actual, kept.sha256) and secrets.compare_digest(actual, digest or "")):
        return None
    return kept.filename, kept.data


def discard(token: str) -> None:
    """Forget the upload at once (committed): one confirmation per preview, whatever the import does."""
    if TOKEN.fullmatch(token or ""):
        db.session.execute(delete(PendingImport).where(PendingImport.token == token))
        db.session.commit()


def _prune() -> None:
    db.session.execute(delete(PendingImport).where(PendingImport.created_at < utcnow() - KEEP))

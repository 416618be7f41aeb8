"""Uploaded lists kept between the preview and the confirmation, in the instance folder.

The confirmation names the file by a random token and the SHA-256 of what was previewed; the
file is read again and checked again, never taken from the browser. Files are kept for an hour."""

import hashlib
import json
import re
import secrets
import time
from pathlib import Path

from flask import current_app

KEEP_SECONDS = 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def keep(raw: bytes, filename: str, user) -> tuple[str, str]:
    """Store an upload for `user`; returns its token and SHA-256."""
    _prune()
    token, digest = secrets.token_urlsafe(24), hashlib.sha256(raw).hexdigest()
    folder = _folder()
    (folder / f"{token}.data").write_bytes(raw)
    meta = {"user_id": user.id, "ward_id": user.ward_id, "filename": filename, "sha256": digest}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False))
    for path in (folder / f"{token}.data", folder / f"{token}.json"):
        path.chmod(0o600)
    return token, digest


def take(token: str, digest: str, user) -> tuple[str, bytes] | None:
    """The file name and bytes kept under `token` for this user, if they still hash to `digest`."""
    if not TOKEN.fullmatch(token or ""):
        return None
    folder = _folder()
    try:
        if (folder / f"{token}.json").stat().st_mtime < time.time() - KEEP_SECONDS:
            return None
        meta = json.loads((folder / f"{token}.json").read_text())
        raw = (folder / f"{token}.data").read_bytes()
    except (OSError, ValueError):
        return None
    if (meta.get("user_id"), meta.get("ward_id")) != (user.id, user.ward_id):
        return None
    actual = hashlib.sha256(raw).hexdigest()
    if not (secrets.compare_digest(actual, meta.get("sha256", "")) and secrets.compare_digest(actual, digest or "")):
        return None
    return meta["filename"], raw


def discard(token: str) -> None:
    if TOKEN.fullmatch(token or ""):
        for suffix in (".data", ".json"):
            (_folder() / f"{token}{suffix}").unlink(missing_ok=True)


def _prune() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue

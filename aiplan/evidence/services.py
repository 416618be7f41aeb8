"""Writing evidence (uploads, soft delete and restore, the restricted mark) and reading it for pages.

An upload is streamed into a temporary file while its SHA-256 is computed and checked; then
its blob is put into the store (durably), and only then is it recorded (row and audit event in
one transaction). A crash or a failed commit at any point leaves no row without its bytes: at
worst a blob that no row names, which `evidence check --repair` collects once it is old.
A refusal leaves nothing.
"""

import hashlib
import os
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app

from .. import audit
from ..extensions import db
from ..figures.evidence import (
    live_file_count,
)
from ..models import Activity, ChecklistItem, EvidenceFile, ItemKind, ItemStatus, Resource, School, utcnow
from ..notifications.events import school_changed
from ..storage import get_storage
from . import zipbudget
from .validation import CHUNK, FileRefused, check_file, display_name, policy_from_config

MAX_DESCRIPTION = 500


@dataclass
class Upload:
    """One file as it came in: its stream, the name the client gave it, and what the form said."""

    stream: IO[bytes]  # werkzeug's FileStorage.stream
    filename: str | None
    description: str = ""
    restricted: bool = False


class UploadRefused(Exception):
    """Some files were refused, so none was stored; `problems` lists (file name, reason), and
    `message`, when set, says why the request as a whole was refused."""

    def __init__(self, problems: list[tuple[str, str]], message=None):
        super().__init__(problems)
        self.problems, self.message = problems, message


def save_uploads(
    uploads: list[Upload],
    *,
    school: School | None,
    actor,
    item: ChecklistItem | None = None,
    activity: Activity | None = None,
    resource: Resource | None = None,
) -> list[EvidenceFile]:
    """Store the files for a checklist item or an activity of `school` (None: of the ward's own
    records): all of them, or none (UploadRefused). The caller has checked that the item or
    activity is the school's (or the ward's) and that `actor` may write there. Commits."""
    owners = [owner for owner in (item, activity, resource) if owner is not None]
    if len(owners) != 1:
        raise ValueError("evidence belongs to exactly one checklist item, activity or resource")
    owner = owners[0]
    if owner.school_id != (school.id if school is not None else None):
        raise ValueError("the item or activity is not the school's (or the ward's own)")
    ward_id = school.ward_id if school is not None else owner.plan.ward_id
    temps: list[Path] = []
    try:
        accepted = receive(uploads, temps)
        staged = [
            (
                received.temp,
                EvidenceFile(
                    school_id=school.id if school is not None else None,
                    item_id=item.id if item else None,
                    activity_id=activity.id if activity else None,
                    resource_id=resource.id if resource else None,
                    sha256=received.sha256,
                    size=received.size,
                    content_type=received.content_type,
                    original_name=received.name,
                    description=clean_description(received.upload.description),
                    restricted=bool(received.upload.restricted),
                    uploaded_at=utcnow(),
                    uploaded_by_id=actor.id,
                ),
            )
            for received in accepted
        ]
        keep(accepted)
        db.session.add_all(file for _, file in staged)
        db.session.flush()
        if item is not None:
            school_changed(item, utcnow())
        for _, file in staged:
            audit.record(
                "evidence.upload",
                file,
                actor=actor,
                school_id=file.school_id,
                ward_id=ward_id,
                after={
                    "name": file.original_name,
                    "size": file.size,
                    "sha256": file.sha256,
                    "restricted": file.restricted,
                    "description": file.description,
                    "item_id": file.item_id,
                    "activity_id": file.activity_id,
                    **({"resource_id": file.resource_id} if file.resource_id else {}),
                },
            )
        _pause_before_commit()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        # Blobs already put stay: another upload of the same bytes may be about to commit a row
        # naming one of them. Unnamed ones are collected later, past the age threshold.
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
    return [file for _, file in staged]


@dataclass
class Received:
    """An upload streamed into a temporary file of the store and accepted: what a row records of it."""

    upload: Upload
    temp: Path
    name: str
    content_type: str
    sha256: str
    size: int


def receive(uploads: list[Upload], temps: list[Path]) -> list[Received]:
    """Stream `uploads` into temporary files (listed in `temps`, for the caller to remove when it
    is done, whatever happens) and check them all against the evidence policy: every one is
    accepted, or UploadRefused says which were not. Used by every feature that takes files (the
    evidence of items and activities, the files sent with a problem), so that one set of rules
    applies to all of them."""
    policy = policy_from_config(current_app.config)
    storage = get_storage()
    streamed = [
        (upload, display_name(upload.filename), *_stream_to_temp(upload.stream, storage, temps)) for upload in uploads
    ]
    try:
        zipbudget.check_request([temp for _, _, temp, _, _ in streamed], policy)  # before inflating any
    except FileRefused as refused:
        raise UploadRefused([], message=refused.reason) from None
    accepted, problems = [], []
    for upload, name, temp, sha256, size in streamed:
        try:
            checked = check_file(temp, name, policy)
        except FileRefused as refused:
            problems.append((name, refused.reason))
            continue
        accepted.append(Received(upload, temp, checked.name, checked.content_type, sha256, size))
    if problems:
        raise UploadRefused(problems)
    return accepted


def keep(received: list[Received]) -> None:
    """Put the accepted files' bytes into the store (durably), before their rows are committed."""
    storage = get_storage()
    for one in received:
        storage.put(one.temp, one.sha256)


def _pause_before_commit() -> None:
    """TEST ONLY (tests/test_evidence_crash.py): with EVIDENCE_TEST_PAUSE_FILE set, write this
    process's id there and wait, so a test can kill the worker between blob and commit."""
    path = current_app.config.get("EVIDENCE_TEST_PAUSE_FILE")
    if path:
        Path(path).write_text(str(os.getpid()))
        time.sleep(60)


def _stream_to_temp(stream: IO[bytes], storage, temps: list[Path]) -> tuple[Path, str, int]:
    """Copy an upload into a temporary file of the store chunk by chunk, hashing as it goes (not
    synced yet: `put` does that for the files that are kept)."""
    out, path = storage.new_temp()
    temps.append(path)
    digest, size = hashlib.sha256(), 0
    with out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return path, digest.hexdigest(), size


def clean_description(text: str | None) -> str:
    """A description as typed, without control characters (line breaks stay), at most 500 characters."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    return re.sub(r"\n{3,}", "\n\n", text.replace("\r", "")).strip()[:MAX_DESCRIPTION]


def delete_file(file: EvidenceFile, actor) -> bool:
    """Soft-delete: the row is marked, the bytes stay. Idempotent; True if something changed. Commits."""
    if file.deleted_at is not None:
        return False
    file.deleted_at, file.deleted_by_id = utcnow(), actor.id
    if file.item is not None:
        school_changed(file.item, file.deleted_at)
        _reopen_if_unproven(file.item, actor)
    _record(
        "evidence.delete",
        file,
        actor,
        {"name": file.original_name, "deleted": False},
        {"name": file.original_name, "deleted": True},
    )
    db.session.commit()
    return True


def _reopen_if_unproven(item: ChecklistItem, actor) -> None:
    """An evidence item cannot stay done once its last file is gone: it goes back to in progress."""
    db.session.flush()
    if item.kind is not ItemKind.EVIDENCE or item.status is not ItemStatus.DONE or live_file_count(item.id):
        return
    item.status, item.completed_at = ItemStatus.IN_PROGRESS, None
    item.updated_at, item.updated_by_id = utcnow(), actor.id
    audit.record(
        "item.update",
        item,
        school_id=item.school_id,
        actor=actor,
        before={"status": ItemStatus.DONE.value},
        after={"status": ItemStatus.IN_PROGRESS.value, "note": "Tệp minh chứng cuối cùng đã bị xóa"},
    )


def restore_file(file: EvidenceFile, actor) -> bool:
    """Undo a soft delete (a ward admin's decision). Idempotent; True if something changed. Commits."""
    if file.deleted_at is None:
        return False
    file.deleted_at, file.deleted_by_id = None, None
    _record(
        "evidence.restore",
        file,
        actor,
        {"name": file.original_name, "deleted": True},
        {"name": file.original_name, "deleted": False},
    )
    db.session.commit()
    return True


def set_restricted(file: EvidenceFile, restricted: bool, actor) -> bool:
    """Mark a file as showing pupils (or not). Idempotent; True if something changed. Commits."""
    if file.restricted == restricted:
        return False
    file.restricted = restricted
    _record(
        "evidence.restrict",
        file,
        actor,
        {"name": file.original_name, "restricted": not restricted},
        {"name": file.original_name, "restricted": restricted},
    )
    db.session.commit()
    return True


def _record(action, file, actor, before, after):
    audit.record(action, file, actor=actor, before=before, after=after, school_id=file.school_id, ward_id=file.ward_id)


# -- reading -----------------------------------------------------------------------------------

"""Taking a backup while the app runs (docs/security.md §20); restore.py puts one back.

A backup is one moment of the database (SQLite's backup API, or pg_dump in one snapshot) plus
the evidence blobs that moment refers to. Blobs are content-addressed and never change once
stored, so copying them after the snapshot gives exactly the bytes its rows name; uploads
committed later are simply not part of this backup.
"""

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from ..documents.archive import DATABASE_MEMBERS, FORMAT, FORMAT_VERSION, MANIFEST, ArchiveWriter, blob_member
from ..extensions import db
from ..models.types import utcnow
from ..storage import Storage, get_storage
from ..timeutil import LOCAL_TZ
from . import postgres, sqlite
from .snapshot import Contents

# Versions before issue 12 committed an upload's row a moment before moving its blob into the
# store; uploads now put the blob first, so a blob missing here is truly missing and the wait
# only delays the report. Kept for a store still written by an older app server.
BLOB_WAIT_SECONDS = 10.0
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup or restore that cannot go on; `title` and `problems` are shown to the operator."""

    def __init__(self, title: str, problems: list[str] | None = None):
        super().__init__(title, problems)
        self.title, self.problems = title, problems or []


@dataclass
class BackupReport:
    path: Path
    size: int
    manifest: dict
    seconds: float
    problems: list[str] = field(default_factory=list)  # blobs missing or damaged in the live store


def take_backup(directory: Path, blob_wait: float | None = None) -> BackupReport:
    """Write DIRECTORY/aiplan-backup-YYYYMMDD-HHMMSS.tar (Hà Nội time), complete or not at all."""
    blob_wait = BLOB_WAIT_SECONDS if blob_wait is None else blob_wait
    started, now = time.monotonic(), utcnow()
    kind = db.engine.dialect.name
    if kind not in DATABASE_MEMBERS:
        raise BackupError(f"không sao lưu được cơ sở dữ liệu {kind}")
    directory.mkdir(parents=True, exist_ok=True)
    # Inside DIRECTORY, so the final rename is atomic and never crosses file systems; a dot folder,
    # so no half-written file ever matches aiplan-backup-*.tar.
    staging = Path(tempfile.mkdtemp(prefix=".aiplan-backup-", dir=directory))
    try:
        return _write(directory, staging, now, started, kind, blob_wait)
    except OSError as error:  # a full disk, above all
        raise BackupError("lỗi đọc hoặc ghi tệp; không có bản sao lưu nào được ghi", [str(error)]) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write(directory: Path, staging: Path, now: datetime, started: float, kind: str, blob_wait: float) -> BackupReport:
    """Snapshot the database into `staging`, write the archive there, then rename it into `directory`."""
    engine = db.engine
    dump = staging / DATABASE_MEMBERS[kind]
    try:
        if kind == "sqlite":
            contents, schema = sqlite.snapshot(engine, dump), None
        else:
            contents, schema = postgres.snapshot(engine, dump)
    except (sqlite.SqliteError, postgres.PostgresError) as error:
        raise BackupError(*error.args) from None
    partial = staging / "archive.tar"
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        writer = ArchiveWriter(out)
        with dump.open("rb") as f:
            dump_sha = writer.add(dump.name, f, dump.stat().st_size)
        files, missing, problems = _copy_blobs(writer, contents.blobs, get_storage(), blob_wait)
        manifest = _manifest(now, kind, schema, contents, dump.name, dump_sha, dump.stat().st_size, files, missing)
        writer.add_bytes(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
        writer.close()
        out.flush()
        os.fsync(out.fileno())
    path = _free_name(directory, now)
    os.replace(partial, path)
    _fsync_dir(directory)
    return BackupReport(
        path=path, size=path.stat().st_size, manifest=manifest, seconds=time.monotonic() - started, problems=problems
    )


def _copy_blobs(writer: ArchiveWriter, shas: list[str], storage: Storage, wait: float):
    """Add every blob to the archive, hashing as it is copied. A blob not in the store is tried
    again for `wait` seconds (see BLOB_WAIT_SECONDS)."""
    files: list[dict] = []
    problems: list[str] = []
    pending = [sha for sha in shas if not _copy_blob(writer, storage, sha, files, problems)]
    deadline = time.monotonic() + wait
    while pending and time.monotonic() < deadline:
        time.sleep(0.2)
        pending = [sha for sha in pending if not _copy_blob(writer, storage, sha, files, problems)]
    problems += [f"tệp minh chứng {sha} có trong cơ sở dữ liệu nhưng không có trong kho" for sha in pending]
    return files, pending, problems


def _copy_blob(writer: ArchiveWriter, storage: Storage, sha256: str, files: list, problems: list) -> bool:
    try:
        blob = storage.open(sha256)
    except FileNotFoundError:
        return False
    with blob, _sized(blob) as (stream, size):
        actual = writer.add(blob_member(sha256), stream, size)
    entry = {"path": blob_member(sha256), "sha256": actual, "size": size}
    if actual != sha256:
        # Kept in the archive for whoever investigates, but marked: a restore leaves it out.
        entry["damaged"] = True
        problems.append(f"tệp minh chứng {sha256} trong kho đã hỏng (nội dung có SHA-256 {actual})")
    files.append(entry)
    return True


class _sized:
    """The blob and its size: from the file itself, as the store tells it (S3), or (another kind
    of store) by spooling it."""

    def __init__(self, blob):
        self.blob, self.spool = blob, None

    def __enter__(self):
        if isinstance(getattr(self.blob, "size", None), int):
            return self.blob, self.blob.size
        try:
            return self.blob, os.fstat(self.blob.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            self.spool = tempfile.TemporaryFile()
            shutil.copyfileobj(self.blob, self.spool)
            size = self.spool.tell()
            self.spool.seek(0)
            return self.spool, size

    def __exit__(self, *exc):
        if self.spool is not None:
            self.spool.close()


def _manifest(
    now: datetime,
    kind: str,
    schema: str | None,
    contents: Contents,
    dump_name: str,
    dump_sha: str,
    dump_size: int,
    files: list[dict],
    missing: list[str],
) -> dict:
    try:
        version = metadata.version("aiplan")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": version,
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_at_hanoi": now.astimezone(LOCAL_TZ).isoformat(timespec="seconds"),
        "database": {
            "kind": kind,
            "path": dump_name,
            "sha256": dump_sha,
            "size": dump_size,
            "schema": schema,
            "revision": contents.revision,
        },
        "tables": contents.tables,
        "audit_heads": contents.audit_heads,
        "files": files,
        "missing_files": missing,
    }


def _free_name(directory: Path, now: datetime) -> Path:
    stem = f"aiplan-backup-{now.astimezone(LOCAL_TZ):%Y%m%d-%H%M%S}"
    path, n = directory / f"{stem}.tar", 1
    while path.exists():  # two backups in the same second
        n += 1
        path = directory / f"{stem}-{n}.tar"
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

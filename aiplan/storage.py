"""Where the bytes of evidence files live: a small interface, and the local folder behind it.

Blobs are named by their SHA-256 alone (`ab/cd/<sha256>`), never by anything a client sent,
so the same file uploaded twice is stored once. A blob is put (durably) BEFORE the row that
names it commits, so a crash at any moment leaves at worst a blob without a row, never a row
without its bytes. Deleting evidence only marks its row, so a ward admin's restore always finds
the bytes; the only removal is `collect`, of a blob no row names that is older than an age
threshold (younger ones may belong to an upload whose row has not committed yet). A shared
object store (S3-compatible, for several app servers: aiplan/s3storage.py) implements the same
methods; EVIDENCE_STORE chooses it.
"""

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

from .storage_common import SHA256
from .storage_common import StoreUnavailable as StoreUnavailable  # for the callers: one place to import from


class Storage(Protocol):
    def new_temp(self) -> tuple[BinaryIO, Path]:
        """A fresh temporary file to stream an upload into, and its path."""

    def put(self, temp_path: Path, sha256: str) -> bool:
        """Move a temporary file into place as the blob `sha256`, durably (before its row commits);
        False if that blob was already stored (the temporary file is then removed, and the blob's
        age starts again, so that `collect` leaves it to the row about to name it)."""

    def open(self, sha256: str) -> BinaryIO:
        """The blob's bytes, for reading; FileNotFoundError if it is missing."""

    def exists(self, sha256: str) -> bool: ...

    def looks_stored(self, sha256: str) -> bool:
        """`exists`, or as good as: for marking lost files in a list, a store may answer from what
        it has already seen (a blob is never overwritten, and only an unnamed one is collected)."""

    def blobs(self, older_than_seconds: float = 0) -> Iterator[str]:
        """Every stored blob's SHA-256 (for the orphan check), or those put at least this long ago."""

    def collect(self, sha256: str, older_than_seconds: float) -> bool:
        """Remove a blob that no row names, unless it was put (or put again) within this many
        seconds; True if removed. The caller has checked that no row names it."""

    def strays(self) -> list[str]:
        """Anything in the store that is neither a blob nor a temporary file."""

    def temps(self, older_than_seconds: float = 0) -> list[Path]:
        """Temporary files left at least this long ago (an upload in progress is younger)."""


class LocalStorage:
    """Blobs in a folder on this machine (EVIDENCE_DIR, outside `static/`), temporary files in
    its `tmp/`, on the same file system so that moving one into place is atomic."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def _path(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def new_temp(self) -> tuple[BinaryIO, Path]:
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, prefix="upload-", suffix=".part")
        return os.fdopen(fd, "wb"), Path(name)

    def put(self, temp_path: Path, sha256: str) -> bool:
        target = self._path(sha256)
        if target.exists():
            try:
                os.utime(target)  # young again: `collect` must not take it before our row commits
            except FileNotFoundError:
                pass  # collected this very moment: put ours instead
            else:
                temp_path.unlink(missing_ok=True)
                return False
        _fsync(temp_path)
        self._make_dirs(target.parent)
        os.replace(temp_path, target)  # atomic; a concurrent upload of the same bytes changes nothing
        _fsync(target.parent)
        return True

    def _make_dirs(self, path: Path) -> None:
        """Create `ab/cd/` with each new folder's entry made durable in its parent."""
        missing = []
        while not path.is_dir():
            missing.append(path)
            path = path.parent
        for folder in reversed(missing):
            folder.mkdir(exist_ok=True)
            _fsync(folder.parent)

    def collect(self, sha256: str, older_than_seconds: float) -> bool:
        # Moved aside first (atomic), then its age looked at again: an upload that refreshed the
        # blob before the move is seen here and the blob goes back; one that comes after the move
        # no longer finds it and puts its own bytes. Either way its row never lacks them.
        target = self._path(sha256)
        self.tmp.mkdir(parents=True, exist_ok=True)
        aside = self.tmp / f"collect-{sha256}.part"
        try:
            os.replace(target, aside)
        except FileNotFoundError:
            return False
        if aside.stat().st_mtime > time.time() - older_than_seconds:
            try:
                os.link(aside, target)  # back, unless an upload has put the same bytes meanwhile
            except FileExistsError:
                pass
            aside.unlink()
            return False
        aside.unlink()
        _fsync(target.parent)
        return True

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def looks_stored(self, sha256: str) -> bool:
        return self.exists(sha256)  # one stat: nothing to save

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and self.tmp not in path.parents:
                yield path

    def blobs(self, older_than_seconds: float = 0) -> Iterator[str]:
        cutoff = time.time() - older_than_seconds
        for path in self._files():
            if self._is_blob(path) and (not older_than_seconds or path.stat().st_mtime <= cutoff):
                yield path.name

    def strays(self) -> list[str]:
        return [str(path.relative_to(self.root)) for path in self._files() if not self._is_blob(path)]

    def _is_blob(self, path: Path) -> bool:
        name = path.name
        return bool(SHA256.fullmatch(name)) and path == self.root / name[:2] / name[2:4] / name

    def temps(self, older_than_seconds: float = 0) -> list[Path]:
        if not self.tmp.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        return sorted(path for path in self.tmp.iterdir() if path.is_file() and path.stat().st_mtime <= cutoff)


def _fsync(path: Path) -> None:
    """Make a file's bytes, or a folder's entries (a rename into it), durable: the bytes must be on
    disk before the rename that names them, and the rename before the row that names the blob."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def get_storage() -> Storage:
    """The app's evidence store, made once per app: an S3 bucket when EVIDENCE_STORE is
    `s3://bucket/prefix` (temporary files still in EVIDENCE_DIR/tmp on this machine), otherwise
    LocalStorage on EVIDENCE_DIR."""
    extensions = current_app.extensions
    if "evidence_storage" not in extensions:
        config = current_app.config
        store = config.get("EVIDENCE_STORE") or ""
        if store.startswith("s3://"):
            # Not at the top: boto3 takes a good part of a second to load, and only an S3 store needs it.
            from .s3storage import S3Storage, make_client, parse_store_url

            bucket, prefix = parse_store_url(store)
            storage: Storage = S3Storage(make_client(config), bucket, prefix, Path(config["EVIDENCE_DIR"]) / "tmp")
        else:
            storage = LocalStorage(config["EVIDENCE_DIR"])
        extensions["evidence_storage"] = storage
    return extensions["evidence_storage"]

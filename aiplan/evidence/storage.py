"""Where the bytes of evidence files live: a small interface, and the local folder behind it.

Blobs are named by their SHA-256 alone (`ab/cd/<sha256>`), never by anything a client sent,
so the same file uploaded twice is stored once. There is deliberately no delete: deleting
evidence only marks its row, so a ward admin's restore always finds the bytes. A shared
object store (S3-compatible, for several app servers) can replace LocalStorage by
implementing the same methods and being set as `app.extensions["evidence_storage"]`.
"""
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

SHA256 = re.compile(r"[0-9a-f]{64}")


class Storage(Protocol):
    def new_temp(self) -> tuple[BinaryIO, Path]:
        """A fresh temporary file to stream an upload into, and its path."""

    def put(self, temp_path: Path, sha256: str) -> bool:
        """Move a temporary file into place as the blob `sha256`; False if that blob was already
        stored (the temporary file is then simply removed)."""

    def open(self, sha256: str) -> BinaryIO:
        """The blob's bytes, for reading; FileNotFoundError if it is missing."""

    def exists(self, sha256: str) -> bool: ...

    def blobs(self) -> Iterator[str]:
        """Every stored blob's SHA-256 (for the orphan check)."""

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
            temp_path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp_path, target)  # atomic; a concurrent upload of the same bytes changes nothing
        _fsync_dir(target.parent)
        return True

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and self.tmp not in path.parents:
                yield path

    def blobs(self) -> Iterator[str]:
        for path in self._files():
            if self._is_blob(path):
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


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable, so a power cut cannot lose a file whose row committed."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def get_storage() -> Storage:
    """The app's evidence store: LocalStorage on EVIDENCE_DIR unless another was installed."""
    extensions = current_app.extensions
    if "evidence_storage" not in extensions:
        extensions["evidence_storage"] = LocalStorage(current_app.config["EVIDENCE_DIR"])
    return extensions["evidence_storage"]

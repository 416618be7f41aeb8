"""Does the evidence store agree with the database? Shared by `evidence check` and `verify`."""
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import EvidenceFile
from .storage import Storage, get_storage
from .validation import CHUNK


@dataclass
class StoreCheck:
    """What `compare_store` found; empty lists mean the store and the database agree."""

    storage: Storage
    blob_count: int
    rows: dict[str, list[tuple[int, str]]]  # sha256 → [(file id, original name)], deleted rows included
    orphans: list[str] = field(default_factory=list)  # blobs no row refers to
    missing: list[tuple[int, str, str]] = field(default_factory=list)  # (file id, sha256, name)
    damaged: list[str] = field(default_factory=list)  # blobs whose bytes no longer hash to their name
    temps: list[Path] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.rows.values())


def compare_store(quick: bool = False, temp_age_seconds: float = 0) -> StoreCheck:
    """Compare every stored blob with every EvidenceFile row; unless `quick`, re-read each blob
    to check its bytes still hash to its SHA-256. Changes nothing."""
    storage = get_storage()
    rows = defaultdict(list)
    for file_id, sha256, name in db.session.execute(
            select(EvidenceFile.id, EvidenceFile.sha256, EvidenceFile.original_name).order_by(EvidenceFile.id)):
        rows[sha256].append((file_id, name))
    blobs = set(storage.blobs())
    return StoreCheck(
        storage=storage,
        blob_count=len(blobs),
        rows=dict(rows),
        orphans=sorted(blobs - set(rows)),
        missing=sorted((file_id, sha256, name) for sha256 in set(rows) - blobs for file_id, name in rows[sha256]),
        damaged=[] if quick else [sha256 for sha256 in sorted(blobs) if blob_sha256(storage, sha256) != sha256],
        temps=storage.temps(older_than_seconds=temp_age_seconds),
        strays=storage.strays(),
    )


def blob_sha256(storage: Storage, sha256: str) -> str:
    """The SHA-256 of the blob's bytes as they are now."""
    digest = hashlib.sha256()
    with storage.open(sha256) as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

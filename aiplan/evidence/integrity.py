"""Does the evidence store agree with the database, and mending what a crash left.

`compare_store` is shared by `evidence check` and `verify`; `repair_store` is `check --repair`.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..figures.inspections import decision_blobs
from ..figures.problems import problem_blobs
from ..models import EvidenceFile
from ..storage import Storage, get_storage
from .validation import CHUNK


@dataclass
class StoreCheck:
    """What `compare_store` found; empty lists mean the store and the database agree."""

    storage: Storage
    blob_count: int
    rows: dict[str, list[tuple[int, str]]]  # sha256 → [(file id, original name)], deleted rows included
    orphans: list[str] = field(default_factory=list)  # blobs no row refers to, older than the threshold
    missing: list[tuple[int, str, str]] = field(default_factory=list)  # (file id, sha256, name)
    damaged: list[str] = field(default_factory=list)  # blobs whose bytes no longer hash to their name
    temps: list[Path] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.rows.values())


def compare_store(quick: bool = False, temp_age_seconds: float = 0) -> StoreCheck:
    """Compare every stored blob with every EvidenceFile row; unless `quick`, re-read each blob
    to check its bytes still hash to its SHA-256. Changes nothing. Temporary files and blobs
    without a row younger than `temp_age_seconds` are not reported: they may be an upload in
    progress (its blob is put just before its row commits)."""
    storage = get_storage()
    rows = defaultdict(list)
    for file_id, sha256, name in db.session.execute(
        select(EvidenceFile.id, EvidenceFile.sha256, EvidenceFile.original_name).order_by(EvidenceFile.id)
    ):
        rows[sha256].append((file_id, name))
    blobs = set(storage.blobs())
    old_blobs = set(storage.blobs(older_than_seconds=temp_age_seconds)) & blobs
    return StoreCheck(
        storage=storage,
        blob_count=len(blobs),
        rows=dict(rows),
        orphans=sorted(old_blobs - set(rows) - decision_blobs() - problem_blobs()),
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


@dataclass
class Repair:
    """What `repair_store` did."""

    recovered: list[tuple[int, str, str]] = field(default_factory=list)  # rows whose blob came back from a temp
    temps_removed: list[Path] = field(default_factory=list)
    blobs_removed: list[str] = field(default_factory=list)


def repair_store(age_seconds: float) -> Repair:
    """Finish or clean up what a crash or a failed upload left: put back the missing blob of a
    row from a leftover temporary file holding exactly its bytes, then remove temporary files
    and blobs that no row names, older than `age_seconds`. Rows are never touched: a row whose
    bytes cannot be found stays, for the school to upload the file again."""
    storage = get_storage()
    found = compare_store(quick=True)
    done = Repair()
    missing = {sha256 for _, sha256, _ in found.missing}
    # Any temporary file, however young, may serve: bytes that hash to the row's SHA-256 are its bytes.
    for temp in storage.temps() if missing else []:
        sha256 = _file_sha256(temp)
        if sha256 in missing and not storage.exists(sha256):
            storage.put(temp, sha256)
            done.recovered += [row for row in found.missing if row[1] == sha256]
    for temp in storage.temps(older_than_seconds=age_seconds):
        temp.unlink(missing_ok=True)
        done.temps_removed.append(temp)
    named = set(found.rows) | decision_blobs() | problem_blobs()
    for sha256 in storage.blobs(older_than_seconds=age_seconds):
        if sha256 not in named and not _named_now(sha256) and storage.collect(sha256, age_seconds):
            done.blobs_removed.append(sha256)
    return done


def _named_now(sha256: str) -> bool:
    """A row that committed since the store was compared (belt and braces: its blob is young)."""
    db.session.rollback()
    return db.session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == sha256).limit(1)) is not None


def _file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    except FileNotFoundError:  # an upload in progress finished with it meanwhile
        return None
    return digest.hexdigest()

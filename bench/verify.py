"""After a load run: is every write the app acknowledged really in the database?

Three checks, read straight from the database with SQL (no app code involved):
- every acknowledged status change and verdict has its own audit event (written in the same
  transaction as the change), counted per item and value;
- every acknowledged upload has its evidence row on that item and its blob in the store;
- each item's status and verdict are now the last acknowledged value (by the version the app
  returned). This one is exact only when the run had no errors: a write whose answer was lost
  is not acknowledged but may well be stored.
"""

import json
from collections import Counter
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text


def audit_seq(url: str) -> int:
    """The last audit event's id now; events after it belong to the run. (Its id, not its `seq`:
    each ward has a chain of its own, numbered from 1, since issue 18.)"""
    engine = create_engine(url)
    with engine.connect() as connection:
        seq = connection.execute(text("SELECT COALESCE(MAX(id), 0) FROM audit_event")).scalar()
    engine.dispose()
    return int(seq)


def _json(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def check(url: str, evidence_dir: Path, writes: list[dict], since_seq: int, blob_exists=None) -> dict:
    """The three checks; `blob_exists(sha256)` asks another store than the folder (the city part's S3)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        events = connection.execute(
            text(
                "SELECT action, object_id, after FROM audit_event WHERE id > :seq AND action IN "
                "('item.update', 'item.verdict')"
            ),
            {"seq": since_seq},
        ).all()
        item_ids = sorted({w["item"] for w in writes})
        items = {}
        if item_ids:
            items = {
                row[0]: row
                for row in connection.execute(
                    text("SELECT id, status, verdict, version FROM checklist_item WHERE id IN :ids").bindparams(
                        bindparam("ids", expanding=True)
                    ),
                    {"ids": item_ids},
                )
            }
        uploads = [w for w in writes if w["kind"] == "upload"]
        stored = set()
        if uploads:
            stored = {
                (row[0], row[1])
                for row in connection.execute(
                    text("SELECT sha256, item_id FROM evidence_file WHERE sha256 IN :shas").bindparams(
                        bindparam("shas", expanding=True)
                    ),
                    {"shas": sorted({w["sha256"] for w in uploads})},
                )
            }
    engine.dispose()

    found = Counter()
    for action, object_id, after in events:
        after = _json(after)
        if action == "item.update":
            found[("status", object_id, after.get("status"))] += 1
        else:
            found[("verdict", object_id, after.get("verdict"))] += 1
    acknowledged = Counter((w["kind"], w["item"], w["value"]) for w in writes if w["kind"] != "upload")
    missing_changes = sum(max(0, n - found[key]) for key, n in acknowledged.items())

    missing_rows = [w for w in uploads if (w["sha256"], w["item"]) not in stored]
    blob_exists = blob_exists or (lambda sha256: _blob(evidence_dir, sha256).is_file())
    missing_blobs = [w for w in uploads if not blob_exists(w["sha256"])]

    last: dict[tuple[str, int], tuple[int, int, str]] = {}
    for order, w in enumerate(writes):
        if w["kind"] == "upload":
            continue
        key, rank = (w["kind"], w["item"]), (w.get("version") or -1, order)
        if key not in last or rank > last[key][:2]:
            last[key] = (*rank, w["value"])
    mismatched = []
    for (kind, item_id), (_version, _order, value) in last.items():
        row = items.get(item_id)
        actual = None if row is None else (row[1] if kind == "status" else row[2])
        if actual != value:
            mismatched.append({"item": item_id, "field": kind, "acknowledged": value, "in_database": actual})
    lost = missing_changes + len(missing_rows) + len(missing_blobs)
    return {
        "acknowledged_writes": len(writes),
        "by_kind": dict(Counter(w["kind"] for w in writes)),
        "audit_events_in_run": len(events),
        "missing_changes": missing_changes,
        "missing_upload_rows": len(missing_rows),
        "missing_upload_blobs": len(missing_blobs),
        "final_state_mismatches": len(mismatched),
        "mismatch_examples": mismatched[:5],
        "lost_writes": lost,
    }


def _blob(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256

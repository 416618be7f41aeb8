"""The audit log: who changed what, when and from where. Rows are only ever added.

The log is several hash chains, one per ward, so that a write in one ward never waits for a
write in another (the head each writer locks is its ward's own). Each event carries the hash
of the one before it in its chain (`prev_hash`) and its own (`hash`), in the order of `seq`,
numbered 1, 2, 3… within the chain; `AuditHead` holds each chain's end, signed with a key kept
outside the database (aiplan/audit_mac.py). Changing, removing or reordering any event breaks
its chain, and removing the newest ones and setting the head back breaks the head's signature;
both are what `flask --app aiplan verify` reports, naming the ward.

The chains (`AuditHead.scope`):
- "ward:<id>": the events of one ward, of its schools, and of its accounts (their sign-ins);
- "system": events that belong to no ward (commands, jobs, and the city level's, later);
- "legacy": the single chain every event was written to before the log was split (migration
  0022). It is closed: nothing is added to it, and `verify` checks it exactly as before.

A new chain does not start from GENESIS but from an anchor, sha256("aiplan audit chain v1|
<scope>|<the legacy chain's last hash>"), which is the first event's `prev_hash`. It ties the
chain to its scope (a ward's events cannot be passed off as another's) and to the history
written before the split (deleting or rewriting the legacy chain breaks every later chain's
first link, not only the legacy chain's own head).
"""

import hashlib
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

GENESIS = "0" * 64  # the prev_hash of the legacy chain's first event
LEGACY = "legacy"
SYSTEM = "system"


def ward_scope(ward_id: int) -> str:
    return f"ward:{ward_id}"


def chain_anchor(scope: str, legacy_hash: str) -> str:
    """The `prev_hash` of a new chain's first event (see above); GENESIS for the legacy chain."""
    if scope == LEGACY:
        return GENESIS
    return hashlib.sha256(f"aiplan audit chain v1|{scope}|{legacy_hash}".encode()).hexdigest()


class AuditHead(Model):
    """The end of one chain, locked while an event is added to it so that concurrent writers
    of the same ward line up instead of forking the chain (other wards' writers do not)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), unique=True)  # "ward:12", "system", "legacy"
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"), unique=True)  # for "ward:<id>"
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    # HMAC-SHA256 of (seq, hash) under AUDIT_KEY, and which key: see aiplan/audit_mac.py.
    mac: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))


class AuditEvent(Model):
    __table_args__ = (UniqueConstraint("chain_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("audit_head.id"))  # the chain (head) it belongs to
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… with no gaps, within its chain
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(80))  # kept even if the account is renamed
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)  # "plan.load", "user.create"…
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str] = mapped_column(String(45), default="")
    request_id: Mapped[str] = mapped_column(String(32), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

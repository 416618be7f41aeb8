"""The audit log: who changed what, when and from where. Rows are only ever added.

Each event carries the hash of the one before it (`prev_hash`) and its own (`hash`), in the
order of `seq`; `AuditHead` holds the chain's end, signed with a key kept outside the
database (aiplan/audit_mac.py). Changing, removing or reordering any event breaks the chain,
and removing the newest ones and setting the head back breaks the head's signature; both are
what `flask --app aiplan verify` reports.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

GENESIS = "0" * 64  # the prev_hash of the first event


class AuditEvent(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)  # 1, 2, 3… with no gaps
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


class AuditHead(Model):
    """The end of the chain: one row (id 1), locked while an event is added so that
    concurrent writers line up instead of forking the chain."""

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    # HMAC-SHA256 of (seq, hash) under AUDIT_KEY, and which key: see aiplan/audit_mac.py.
    mac: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(16))

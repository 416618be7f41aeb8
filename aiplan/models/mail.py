"""E-mail reminders: an account's choice of digest, and the outbox of digests (aiplan/mailing/).

A digest is built once for an account and a period (`period_key`, unique per account:
"daily:2026-12-06", "weekly:2026-W49", "immediate:<first notification id>") and carries the
notifications it names (`digest_notification`, where a notification appears at most once, so that
no event is mailed twice). It is then sent, retried with backoff, or given up on in plain view
(`status`); its Message-ID is chosen when it is built and kept for every attempt.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .plan import str_enum
from .types import UTCDateTime, utcnow
from .user import DigestFrequency, User
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .notification import Notification

__all__ = ["Digest", "DigestFrequency", "DigestKind", "DigestStatus", "digest_notification"]


class DigestKind(Vocabulary):
    IMMEDIATE = "immediate", _l("Gửi ngay")
    DAILY = "daily", _l("Thư hằng ngày")
    WEEKLY = "weekly", _l("Thư hằng tuần")


class DigestStatus(Vocabulary):
    QUEUED = "queued", _l("Đang chờ gửi")
    SENT = "sent", _l("Đã gửi")
    FAILED = "failed", _l("Gửi không được")
    CANCELLED = "cancelled", _l("Đã hủy")


digest_notification = Table(
    "digest_notification",
    Model.metadata,
    Column("digest_id", Integer, ForeignKey("digest.id", ondelete="CASCADE"), nullable=False, index=True),
    # The primary key alone: a notification is carried by one digest at most.
    Column("notification_id", Integer, ForeignKey("notification.id", ondelete="CASCADE"), primary_key=True),
)


class Digest(Model):
    __table_args__ = (
        UniqueConstraint("user_id", "period_key"),
        Index("ix_digest_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(254))  # where it goes; the account's address when built
    kind: Mapped[DigestKind] = mapped_column(str_enum(DigestKind))
    period_key: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[DigestStatus] = mapped_column(str_enum(DigestStatus), default=DigestStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    notifications: Mapped[list["Notification"]] = relationship(
        secondary=digest_notification, order_by="Notification.id"
    )

    def __repr__(self) -> str:
        return f"<Digest {self.user_id} {self.period_key} {self.status}>"

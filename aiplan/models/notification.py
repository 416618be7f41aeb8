"""What the app tells an account: one row per event per recipient (the bell, the "Thông báo" page and
the e-mail digests read the same rows).

A row is made once for an event: `event_key` names the event ("late:item:123",
"needs_more:verdict:45", …) and is unique per recipient, so that making the notifications again for
the same state (the scheduled scan, a second `send-reminders`) adds nothing.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .plan import str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .user import User
    from .ward import School


class NotificationKind(Vocabulary):
    DUE_SOON = "due_soon", _l("Sắp đến hạn")
    LATE = "late", _l("Quá hạn")
    NEEDS_MORE = "needs_more", _l("Cần bổ sung")
    FIX_WAITING = "fix_waiting", _l("Chờ kiểm tra lại")
    REPORT_DUE = "report_due", _l("Báo cáo đến hạn")
    VISIT_UPCOMING = "visit_upcoming", _l("Sắp có đoàn kiểm tra")
    SELF_EVALUATION = "self_evaluation", _l("Đã nộp tự đánh giá")
    PROBLEM = "problem", _l("Vướng mắc")

    @property
    def immediate(self) -> bool:
        """Sent by e-mail as soon as it happens, not in the daily or weekly digest: what someone asked
        of the reader (a "cần bổ sung", a fix to check again, a problem raised or answered)."""
        return self in (NotificationKind.NEEDS_MORE, NotificationKind.FIX_WAITING, NotificationKind.PROBLEM)


class Notification(Model):
    __table_args__ = (
        UniqueConstraint("user_id", "event_key"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind))
    event_key: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))  # one line: "Mốc 3 quá hạn: Xây dựng kế hoạch…"
    body: Mapped[str] = mapped_column(Text, default="")  # the reason, the due date, who asked
    url: Mapped[str] = mapped_column(String(500))  # the app path where the recipient acts
    # The day the event is about: the item's or the report's due date, the visit's day (the digests list it).
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User"] = relationship()
    school: Mapped["School | None"] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.user_id} {self.event_key}>"

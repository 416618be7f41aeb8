"""Problems a school raises with the ward (Kế hoạch: "nếu có những vấn đề vướng mắc, đề nghị các đơn
vị báo cáo kịp thời về UBND phường (qua phòng Văn hóa - Xã hội bộ phận Giáo dục và Đào tạo)"): the
problem, its thread of messages between the school and the Phòng VHXH, and the files sent with it."""

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .plan import str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .checklist import ChecklistItem
    from .plan import Plan
    from .user import User
    from .ward import School


class ProblemStatus(Vocabulary):
    OPEN = "dang_mo", _l("Đang xử lý"), "●"
    CLOSED = "da_dong", _l("Đã đóng"), "✓"


class Problem(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    # The checklist item it is about, if any (one of the school's own). A plan reload deletes only
    # items nobody worked on; the problem then stays, about no item.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_item.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProblemStatus] = mapped_column(str_enum(ProblemStatus), default=ProblemStatus.OPEN)
    # The ward admin (Phòng VHXH) who handles it.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped["Plan"] = relationship()
    school: Mapped["School"] = relationship()
    item: Mapped["ChecklistItem | None"] = relationship()
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id])
    raised_by: Mapped["User | None"] = relationship(foreign_keys=[raised_by_id])
    closed_by: Mapped["User | None"] = relationship(foreign_keys=[closed_by_id])
    messages: Mapped[list["ProblemMessage"]] = relationship(
        back_populates="problem", order_by="ProblemMessage.id", cascade="all, delete-orphan"
    )
    files: Mapped[list["ProblemFile"]] = relationship(order_by="ProblemFile.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status is ProblemStatus.OPEN


class ProblemMessage(Model):
    """One message of the thread: an answer, a question back, or what a change of state said."""

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text, default="")

    problem: Mapped[Problem] = relationship(back_populates="messages")
    author: Mapped["User | None"] = relationship()
    files: Mapped[list["ProblemFile"]] = relationship(order_by="ProblemFile.id", viewonly=True)


class ProblemFile(Model):
    """A file sent with a problem or one of its messages. Its bytes live in the evidence store
    under their SHA-256 (stored and checked by the evidence machinery: evidence.services.receive)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("problem_message.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    uploaded_by: Mapped["User | None"] = relationship()

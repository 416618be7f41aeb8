"""Who does what (Kế hoạch: "phân công rõ trách nhiệm của tập thể, cá nhân"): the school staff
account answering for a checklist item, and the colleagues who share it."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Integer, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .types import UTCDateTime

if TYPE_CHECKING:
    from .checklist import ChecklistItem
    from .user import User


duty_co_owner = Table(
    "duty_co_owner",
    db.metadata,
    Column("duty_id", ForeignKey("item_duty.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, index=True),
)


class ItemDuty(Model):
    """One school item's assignment: one row per item at most, made at the first assignment.
    Its own version (not the item's): giving an item an owner is not a change to the school's
    work on it, so it neither sends the item back to the supervisors nor races a status save."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id", ondelete="CASCADE"), unique=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    item: Mapped["ChecklistItem"] = relationship()
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id])
    updated_by: Mapped["User | None"] = relationship(foreign_keys=[updated_by_id])
    co_owners: Mapped[list["User"]] = relationship(secondary=duty_co_owner, order_by="User.full_name")

    __mapper_args__ = {"version_id_col": version}

    @property
    def owned(self) -> bool:
        return self.assignee_id is not None

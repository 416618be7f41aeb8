"""The yearly survey of a school's equipment for AI lessons (plan, section III.3: "rà soát, trang bị
phòng máy tính có kết nối Internet ổn định… Xây dựng lộ trình, kế hoạch đầu tư, nâng cấp hạ tầng").

One survey per school per school year (plan): each year starts fresh, and the years side by side
show the roadmap's progress."""

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .plan import Plan
    from .ward import School


class EquipmentSurvey(Model):
    __table_args__ = (UniqueConstraint("school_id", "plan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    computer_rooms: Mapped[int] = mapped_column(Integer, default=0)  # phòng máy tính
    rooms_online: Mapped[int] = mapped_column(Integer, default=0)  # of which with a stable Internet connection
    working_machines: Mapped[int] = mapped_column(Integer, default=0)  # máy tính đang dùng được
    # The app keeps no pupil count per school, so the survey asks for it; pupils per machine is computed.
    pupils: Mapped[int] = mapped_column(Integer, default=0)
    bandwidth_mbps: Mapped[int] = mapped_column(Integer, default=0)  # băng thông Internet
    ai_devices: Mapped[int] = mapped_column(Integer, default=0)  # robot, bộ kit, máy tính bảng… for AI lessons
    ai_devices_note: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")  # what the school plans to invest in next
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    school: Mapped["School"] = relationship()
    plan: Mapped["Plan"] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def pupils_per_machine(self) -> float | None:
        """Pupils per working machine; None when there is no machine (or no pupil count) to divide by."""
        if not self.working_machines or not self.pupils:
            return None
        return self.pupils / self.working_machines


class EquipmentGap(Vocabulary):
    """What a survey shows is still missing, against the thresholds of figures.equipment."""

    NO_SURVEY = "no_survey", _l("Chưa gửi số liệu rà soát")
    NO_ROOM = "no_room", _l("Chưa có phòng máy tính dùng được")
    NO_INTERNET = "no_internet", _l("Phòng máy chưa có Internet ổn định")
    CROWDED = "crowded", _l("Quá nhiều học sinh trên một máy")
    SLOW = "slow", _l("Băng thông Internet thấp")

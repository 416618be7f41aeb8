"""Pilot-class results (issue 17, part 8): for each pilot class (an activity of form 2.2) its
teaching plan, its lessons by content area and the result of its assessment, as levels and the
number of pupils at each (no pupil is named). The pupils' products are evidence files on the
class's activity (restricted by default there). A result belongs to its year's activity, so each
year starts with none."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .activity import Activity
from .plan import ContentArea, str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary


class PilotLevel(Vocabulary):
    """The levels a pilot class's assessment gives its pupils (as Thông tư 27 words them)."""

    HOAN_THANH_TOT = "hoan_thanh_tot", _l("Hoàn thành tốt")
    HOAN_THANH = "hoan_thanh", _l("Hoàn thành")
    CHUA_HOAN_THANH = "chua_hoan_thanh", _l("Chưa hoàn thành")


class PilotResult(Model):
    """What a pilot class planned, taught and achieved; one per class activity."""

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    class_plan: Mapped[str] = mapped_column(Text, default="")  # kế hoạch dạy học của lớp
    assessment: Mapped[str] = mapped_column(Text, default="")  # how it was assessed, what it showed
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    activity: Mapped[Activity] = relationship()
    lessons: Mapped[list["PilotLessons"]] = relationship(cascade="all, delete-orphan")
    levels: Mapped[list["PilotLevelCount"]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    def lessons_of(self, area_id: int) -> int:
        return next((row.lessons for row in self.lessons if row.content_area_id == area_id), 0)

    def pupils_at(self, level: PilotLevel) -> int:
        return next((row.pupils for row in self.levels if row.level is level), 0)

    @property
    def assessed(self) -> int:
        return sum(row.pupils for row in self.levels)


class PilotLessons(Model):
    """How many lessons (tiết) a pilot class gave to one content area."""

    result_id: Mapped[int] = mapped_column(ForeignKey("pilot_result.id", ondelete="CASCADE"), primary_key=True)
    content_area_id: Mapped[int] = mapped_column(ForeignKey("content_area.id"), primary_key=True)
    lessons: Mapped[int] = mapped_column(Integer, default=0)

    content_area: Mapped[ContentArea] = relationship()


class PilotLevelCount(Model):
    """How many of a pilot class's pupils reached one level."""

    result_id: Mapped[int] = mapped_column(ForeignKey("pilot_result.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[PilotLevel] = mapped_column(str_enum(PilotLevel), primary_key=True)
    pupils: Mapped[int] = mapped_column(Integer, default=0)

"""The ward's inspections of its schools (milestone 6, and the monitoring the plan asks for all
year), the decisions forming the inspection team, and the verdicts given."""

from datetime import date, datetime, time
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .checklist import Verdict
from .plan import Plan, str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .checklist import ChecklistItem
    from .user import User
    from .ward import School

inspection_member = Table(
    "inspection_member",
    db.metadata,
    Column("inspection_id", ForeignKey("inspection.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
)


class InspectionStatus(Vocabulary):
    PLANNED = "planned", _l("Đã lên lịch")
    CLOSED = "closed", _l("Đã kết thúc")


class InspectionKind(Vocabulary):
    """Why the team visits. The plan asks the ward to "theo dõi, kiểm tra, giám sát" through the
    year (section V.1), names the mid-HK II visit in its timeline (milestone 6), and has the UBND
    phường "kiểm tra, giám sát, đánh giá tổng thể" as the basis of the summing-up (Phụ lục I.2)."""

    MIDTERM = "giua_ky", _l("Giữa kỳ")
    UNANNOUNCED = "dot_xuat", _l("Đột xuất")
    YEAR_END = "tong_the_cuoi_nam", _l("Đánh giá tổng thể cuối năm")


class InspectionDecision(Model):
    """A decision (quyết định) forming an inspection team, which the minutes cite ("Căn cứ Quyết
    định số …"). Its scanned or typed file, if any, lives in the evidence store under its SHA-256
    like an evidence file (aiplan/storage.py), and only the ward's admins and supervisors read it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[str] = mapped_column(String(80))  # "12/QĐ-UBND"
    signed_on: Mapped[date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(200), default="")  # name, title; optional
    # The file, all four set or none.
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(120))
    original_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    plan: Mapped[Plan] = relationship()

    @property
    def has_file(self) -> bool:
        return self.sha256 is not None


class Inspection(Model):
    """A visit of the inspection team to one school, with its conclusion and minutes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    visit_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[InspectionKind] = mapped_column(str_enum(InspectionKind), default=InspectionKind.MIDTERM)
    # When the visit began and ended that day, as the minutes record them; unset until known.
    starts_at: Mapped[time | None] = mapped_column(Time)
    ends_at: Mapped[time | None] = mapped_column(Time)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_decision.id"), index=True)
    status: Mapped[InspectionStatus] = mapped_column(str_enum(InspectionStatus), default=InspectionStatus.PLANNED)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # trưởng đoàn
    minutes_number: Mapped[str] = mapped_column(String(80), default="")  # số biên bản
    school_representative: Mapped[str] = mapped_column(String(200), default="")  # name, title
    conclusion: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    school: Mapped["School"] = relationship()
    lead: Mapped["User | None"] = relationship(foreign_keys=[lead_id])
    decision: Mapped[InspectionDecision | None] = relationship()
    members: Mapped[list["User"]] = relationship(secondary=inspection_member, order_by="User.full_name")
    verdicts: Mapped[list["VerdictRecord"]] = relationship(back_populates="inspection", order_by="VerdictRecord.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_closed(self) -> bool:
        return self.status is InspectionStatus.CLOSED


class VerdictRecord(Model):
    """Every verdict ever given on an item, during a visit or later from the re-verification queue.
    The item itself carries the latest one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspection.id"), index=True)
    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The school's own status when the verdict was given, as the minutes record it.
    school_status: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # False once a later verdict on the same item replaces it.
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)

    item: Mapped["ChecklistItem"] = relationship()
    inspection: Mapped[Inspection | None] = relationship(back_populates="verdicts")
    given_by: Mapped["User | None"] = relationship()

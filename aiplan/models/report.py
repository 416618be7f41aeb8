"""The parts of a report that the app cannot know: difficulties, proposals, number and signer."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .plan import Plan, str_enum
from .types import UTCDateTime

if TYPE_CHECKING:
    from .user import User
    from .ward import School


class ReportKind(enum.StrEnum):
    SCHOOL = "school"  # a school's report to the UBND phường (via the Phòng VHXH), before 15/6
    WARD = "ward"  # the Phòng VHXH's consolidated report to the UBND phường, before 12/6


class ReportText(Model):
    """What people write into a report, kept between generations; the figures are computed each time.

    One row per school report (school_id set) and one per ward report (school_id NULL) of a plan.
    """

    __table_args__ = (
        UniqueConstraint("plan_id", "school_id", "kind"),
        # NULLs are distinct in a unique constraint: the ward's own report needs this index.
        Index(
            "uq_report_text_ward_kind",
            "plan_id",
            "kind",
            unique=True,
            sqlite_where=db.text("school_id IS NULL"),
            postgresql_where=db.text("school_id IS NULL"),
        ),
        CheckConstraint("(kind = 'ward') = (school_id IS NULL)", name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind))
    number: Mapped[str] = mapped_column(String(80), default="")  # số/ký hiệu: "12", "12/BC-THĐK"
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")  # "KT. HIỆU TRƯỞNG / PHÓ HIỆU TRƯỞNG"
    difficulties: Mapped[str] = mapped_column(Text, default="")  # Khó khăn, vướng mắc
    proposals: Mapped[str] = mapped_column(Text, default="")  # Đề xuất, kiến nghị
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    school: Mapped["School | None"] = relationship()
    updated_by: Mapped["User | None"] = relationship()

    __mapper_args__ = {"version_id_col": version}

"""The parts of a report that the app cannot know: difficulties, proposals, number and signer; and
the ward's own reports upward to the Sở GD&ĐT (UpwardReport)."""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .plan import Plan, str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

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


class UpwardKind(Vocabulary):
    """Which report the UBND phường sends the Sở GD&ĐT (Kế hoạch V.1, Phụ lục I.1 mốc 9).

    Sơ kết (after a semester) and tổng kết (after the year) are two kinds: a ward makes both in
    one year, and the Sở files them apart; they share the review layout (lessons, next year)."""

    PERIODIC = "periodic", _l("Báo cáo định kỳ")
    AD_HOC = "ad_hoc", _l("Báo cáo đột xuất")
    INTERIM = "interim", _l("Báo cáo sơ kết")
    FINAL = "final", _l("Báo cáo tổng kết")

    @property
    def is_review(self) -> bool:
        """Sơ kết and tổng kết weigh the year: lessons learnt and the roadmap of Phụ lục I.3."""
        return self in (UpwardKind.INTERIM, UpwardKind.FINAL)


class UpwardReport(Model):
    """A report of the UBND phường to the Sở GD&ĐT: its period, subject, number and signer, and the
    narrative people write, kept between generations; the figures are the rollup's, computed each time.

    Many per plan: periodic reports, ad-hoc ones the Sở asks for, the sơ kết and the tổng kết."""

    __table_args__ = (CheckConstraint("period_end >= period_start", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    kind: Mapped[UpwardKind] = mapped_column(str_enum(UpwardKind))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(500))  # trích yếu: "Kết quả triển khai … học kỳ I"
    number: Mapped[str] = mapped_column(String(80), default="")  # "12", "12/BC-UBND"
    signer_title: Mapped[str] = mapped_column(String(200), default="")  # "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / …"
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    highlights: Mapped[str] = mapped_column(Text, default="")  # Kết quả nổi bật
    shortcomings: Mapped[str] = mapped_column(Text, default="")  # Tồn tại, hạn chế
    causes: Mapped[str] = mapped_column(Text, default="")  # Nguyên nhân
    lessons: Mapped[str] = mapped_column(Text, default="")  # Bài học kinh nghiệm (sơ kết, tổng kết)
    directions: Mapped[str] = mapped_column(Text, default="")  # Phương hướng, nhiệm vụ thời gian tới
    proposals: Mapped[str] = mapped_column(Text, default="")  # Đề xuất, kiến nghị với Sở
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship()
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped["User | None"] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}

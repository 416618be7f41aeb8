"""The register of resources for AI education, a school's or the ward's own (plan, section V.1:
"Rà soát và đề xuất bố trí nguồn lực cần thiết theo phân cấp; đồng thời huy động các nguồn lực
xã hội hóa hợp pháp…"), and for each contribution the four conditions of section IV."""

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .plan import str_enum
from .types import UTCDateTime, utcnow
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .plan import Plan
    from .user import User
    from .ward import School


class ResourceKind(Vocabulary):
    BUDGET = "ngan_sach", _l("Ngân sách nhà nước (theo phân cấp)")
    CONTRIBUTION = "xa_hoi_hoa", _l("Xã hội hóa (tài trợ, đóng góp)")


class Condition(Vocabulary):
    """Section IV's conditions on every contribution, each confirmed one by one (the columns of Resource)."""

    VOLUNTARY = "voluntary", _l("Bảo đảm tự nguyện")
    NOT_TIED = "not_tied", _l("Không gắn với điều kiện học tập")
    NOT_COMMERCIAL = "not_commercial", _l("Không thương mại hóa")
    NOT_COERCED = "not_coerced", _l("Không ép buộc")

    @property
    def column(self) -> str:
        return f"cond_{self.value}"


class Resource(Model):
    """One budget line or contribution. A school's has its school; the ward's own has none (its
    ward is its plan's). In money (`amount_vnd`), in kind (`in_kind`), or both."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind))
    source: Mapped[str] = mapped_column(String(300))  # the budget line, or who gave it
    amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    in_kind: Mapped[str] = mapped_column(Text, default="")  # what was given in kind
    purpose: Mapped[str] = mapped_column(Text, default="")
    received_on: Mapped[date | None] = mapped_column(Date)
    cond_voluntary: Mapped[bool] = mapped_column(Boolean, default=False)
    cond_not_tied: Mapped[bool] = mapped_column(Boolean, default=False)
    cond_not_commercial: Mapped[bool] = mapped_column(Boolean, default=False)
    cond_not_coerced: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the four conditions were confirmed together, cleared if one is unticked.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped["Plan"] = relationship()
    school: Mapped["School | None"] = relationship()
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_contribution(self) -> bool:
        return self.kind is ResourceKind.CONTRIBUTION

    @property
    def missing_conditions(self) -> list[Condition]:
        """The conditions not confirmed yet (a budget line has none to confirm)."""
        if not self.is_contribution:
            return []
        return [c for c in Condition if not getattr(self, c.column)]

    @property
    def confirmed(self) -> bool:
        return self.is_contribution and self.confirmed_at is not None and not self.missing_conditions

"""The city's plan as data: the indicators (mốc, chỉ tiêu) every ward of the city reports on to the
Sở GD&ĐT, each with a stable code that the wards' plans name (`city_indicator = "HN-T05"`).

The wards' milestones and targets keep the code as text (Milestone.city_indicator,
Target.city_indicator) rather than a key: a ward's plan may be loaded before its city's, and the
city rollup groups by (ward, code) in one query either way."""

import enum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .plan import str_enum
from .ward import City


class IndicatorKind(enum.StrEnum):
    """What a ward maps to an indicator: one of its plan's milestones, or one of its targets."""

    MILESTONE = "milestone"
    TARGET = "target"


class CityPlan(Model):
    """The Sở's plan for a school year, as far as the wards report on it (one per city)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id"), unique=True)
    school_year: Mapped[str] = mapped_column(String(9))  # "2025-2026": the wards' plans of that year
    number: Mapped[str] = mapped_column(String(100))  # "3706/KH-SGDĐT"
    title: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text, default="")  # the plans it rests on, one per line
    signer: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    source_name: Mapped[str] = mapped_column(String(200), default="")
    source_sha256: Mapped[str] = mapped_column(String(64), default="")

    city: Mapped[City] = relationship()
    indicators: Mapped[list["CityIndicator"]] = relationship(
        back_populates="city_plan", order_by="CityIndicator.position", cascade="all, delete-orphan"
    )

    @property
    def basis_lines(self) -> list[str]:
        return [line for line in self.basis.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<CityPlan {self.number}>"


class CityIndicator(Model):
    """One indicator of the city's plan: HN-M03 (a milestone) or HN-T05 (a target)."""

    __table_args__ = (UniqueConstraint("city_plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_plan_id: Mapped[int] = mapped_column(ForeignKey("city_plan.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[IndicatorKind] = mapped_column(str_enum(IndicatorKind))
    title: Mapped[str] = mapped_column(Text)
    # The Sở's document the indicator comes from ("75/KH-SGDĐT, Phụ lục II"), as printed.
    basis: Mapped[str] = mapped_column(String(200), default="")

    city_plan: Mapped[CityPlan] = relationship(back_populates="indicators")

    @property
    def is_target(self) -> bool:
        return self.kind is IndicatorKind.TARGET

    def __repr__(self) -> str:
        return f"<CityIndicator {self.code}>"

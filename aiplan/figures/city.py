"""The city rollup: each of the city plan's indicators, ward by ward, for the Sở GD&ĐT.

Built on the ward rollup's definitions (the checklist items' own rules, ChecklistItem's hybrids,
as figures/items.py counts them): an indicator's "target" is the required items of the milestone
or target it maps to (one per school that owes it, and the ward's own for the ward's milestones),
"done" those done (for a target, the schools whose activities meet it: a target item is computed),
"on time" those done by their due date, "late" those past due and not done, "verified" those a
supervisor passed by inspection and the school has not changed since. Only the wards' plans of the
city plan's school year, and their active schools, count.

A fixed number of queries whatever the number of wards: the city plan and its indicators, the
wards with their schools, the codes of the wards' milestones and targets, and one grouped count
of items by milestone and target.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    ChecklistItem,
    City,
    CityIndicator,
    CityPlan,
    ItemKind,
    Milestone,
    Plan,
    School,
    SchoolYear,
    Target,
    Ward,
    utcnow,
)
from ..timeutil import local_today
from .readmodel import DoneShares

C = ChecklistItem
COUNTS = ("required", "done", "on_time", "late", "verified")


@dataclass
class Cell(DoneShares):
    """One indicator in one ward (or summed over the city): its required items counted."""

    required: int = 0
    done: int = 0  # of the required items
    on_time: int = 0  # of those done
    late: int = 0
    verified: int = 0  # of the required items

    @property
    def verified_percent(self) -> int:
        return round(100 * self.verified / self.required) if self.required else 0

    def add(self, other: "Cell") -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class WardLine:
    """A ward of the city with each indicator's cell (a missing code: the ward reports nothing on it)."""

    ward: Ward
    schools: int
    has_plan: bool  # a plan of the city plan's school year
    cells: dict[str, Cell] = field(default_factory=dict)
    total: Cell = field(default_factory=Cell)
    ordered: list[Cell] = field(default_factory=list)  # one per indicator, in the city plan's order

    def cell(self, code: str) -> Cell:
        return self.cells.get(code) or Cell()

    @property
    def unmapped(self) -> bool:
        """A plan that names none of the city's codes (loaded before the city plan was)."""
        return self.has_plan and not self.cells


@dataclass
class IndicatorTotal:
    indicator: CityIndicator
    cell: Cell
    wards_late: int  # wards with at least one late item on it


@dataclass
class CityRollup:
    city: City
    plan: CityPlan | None
    today: date
    generated_at: datetime
    wards: list[WardLine]  # most late first
    indicators: list[IndicatorTotal]
    total: Cell

    @property
    def schools(self) -> int:
        return sum(line.schools for line in self.wards)

    @property
    def wards_late(self) -> int:
        return sum(1 for line in self.wards if line.total.late)


def city_rollup(city: City, ward_ids, today: date | None = None) -> CityRollup:
    """The city's rollup over the wards `ward_ids` (a subquery: access.visible_ward_ids) in five
    queries, whatever the number of wards."""
    today = today or local_today()
    plan = db.session.scalar(select(CityPlan).filter_by(city_id=city.id).options(selectinload(CityPlan.indicators)))
    year = plan.school_year if plan else None
    has_plan = (
        select(Plan.id)
        .join(SchoolYear, SchoolYear.id == Plan.school_year_id)
        .where(Plan.ward_id == Ward.id, SchoolYear.name == year)
        .exists()
    )
    wards = db.session.execute(
        select(Ward, func.count(School.id), has_plan)
        .outerjoin(School, (School.ward_id == Ward.id) & School.is_active.is_(True))
        .where(Ward.city_id == city.id, Ward.id.in_(ward_ids))
        .group_by(Ward.id)
        .order_by(Ward.name)
    ).all()
    lines = {ward.id: WardLine(ward, int(schools), bool(planned)) for ward, schools, planned in wards}
    indicators = plan.indicators if plan else []
    totals = {indicator.code: IndicatorTotal(indicator, Cell(), 0) for indicator in indicators}
    if plan is not None and lines:
        plans = (
            select(Plan.id)
            .join(SchoolYear, SchoolYear.id == Plan.school_year_id)
            .join(Ward, Ward.id == Plan.ward_id)
            .where(Ward.city_id == city.id, Ward.id.in_(ward_ids), SchoolYear.name == plan.school_year)
        )
        codes = _codes(plans)
        for milestone_id, target_id, *numbers in _counts(plans, today):
            ward_id, code = codes.get(("m", milestone_id) if target_id is None else ("t", target_id), (None, None))
            if code in totals and ward_id in lines:
                lines[ward_id].cells.setdefault(code, Cell()).add(Cell(*map(int, numbers)))
    everything = Cell()
    for line in lines.values():
        for code, cell in line.cells.items():
            line.total.add(cell)
            totals[code].cell.add(cell)
            totals[code].wards_late += bool(cell.late)
        line.ordered = [line.cell(code) for code in totals]
        everything.add(line.total)
    ordered = sorted(
        lines.values(), key=lambda line: (-line.total.late, line.total.done - line.total.required, line.ward.name)
    )
    return CityRollup(city, plan, today, utcnow(), ordered, list(totals.values()), everything)


def _codes(plans) -> dict[tuple[str, int], tuple[int, str | None]]:
    """("m", milestone id) or ("t", target id) -> (ward id, the indicator code it maps to), for the
    milestones and targets of `plans`; one query."""
    rows = db.session.execute(
        union_all(
            select(literal("m"), Milestone.id, Plan.ward_id, Milestone.city_indicator)
            .join(Plan, Plan.id == Milestone.plan_id)
            .where(Milestone.plan_id.in_(plans)),
            select(literal("t"), Target.id, Plan.ward_id, Target.city_indicator)
            .join(Plan, Plan.id == Target.plan_id)
            .where(Target.plan_id.in_(plans)),
        )
    )
    return {(kind, row_id): (ward_id, code) for kind, row_id, ward_id, code in rows}


def _counts(plans, today: date):
    """(milestone id, target id, required, done, on time, late, verified) of the required milestone
    and target items of `plans` (the schools', active ones, and the wards' own), grouped by their
    milestone or target; one query over checklist_item alone, mapped to (ward, code) by _codes:
    grouping on the codes themselves, through four joins, took four times as long at 126 wards."""
    count = func.count
    inactive = select(School.id).where(School.is_active.is_(False))
    return db.session.execute(
        select(
            C.milestone_id,
            C.target_id,
            count(),
            count().filter(C.is_done),
            count().filter(C.is_on_time),
            count().filter(C.is_late(today)),
            count().filter(C.is_verified),
        )
        .where(
            C.plan_id.in_(plans),
            C.retired.is_(False),
            C.required,
            C.kind.in_((ItemKind.MILESTONE, ItemKind.TARGET)),
            or_(C.school_id.is_(None), C.school_id.not_in(inactive)),
        )
        .group_by(C.milestone_id, C.target_id)
    ).all()

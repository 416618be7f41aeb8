"""The city rollup: each of the city plan's indicators, ward by ward, for the Sở GD&ĐT.

Built on the ward rollup's definitions (the checklist items' own rules, ChecklistItem's hybrids,
as figures/items.py counts them): an indicator's "target" is the required items of the milestone
or target it maps to (one per school that owes it, and the ward's own for the ward's milestones),
"done" those done (for a target, the schools whose activities meet it: a target item is computed),
"on time" those done by their due date, "late" those past due and not done, "verified" those a
supervisor passed by inspection and the school has not changed since. Only the wards' plans of the
city plan's school year, and their active schools, count.

A fixed number of queries whatever the number of wards: the city plan and its indicators, the
wards with their schools, and one grouped count of items by (ward, indicator code).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, func, or_, select
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

C = ChecklistItem
COUNTS = ("required", "done", "on_time", "late", "verified")


@dataclass
class Cell:
    """One indicator in one ward (or summed over the city): its required items counted."""

    required: int = 0
    done: int = 0  # of the required items
    on_time: int = 0  # of those done
    late: int = 0
    verified: int = 0  # of the required items

    @property
    def percent(self) -> int:
        """Completion, as the ward rollup's: done out of required."""
        return round(100 * self.done / self.required) if self.required else 0

    @property
    def on_time_percent(self) -> int | None:
        """Of what is done, how much was done by its due date (None: nothing done yet)."""
        return round(100 * self.on_time / self.done) if self.done else None

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
    """The city's rollup over the wards `ward_ids` (a subquery: access.visible_ward_ids) in three
    queries (four with the indicators), whatever the number of wards."""
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
    known = {indicator.code for indicator in indicators}
    if plan is not None and lines:
        for ward_id, code, *numbers in _counts(city, ward_ids, plan.school_year, today):
            if code in known and ward_id in lines:
                lines[ward_id].cells[code] = Cell(*map(int, numbers))
    totals = {indicator.code: IndicatorTotal(indicator, Cell(), 0) for indicator in indicators}
    everything = Cell()
    for line in lines.values():
        for code, cell in line.cells.items():
            line.total.add(cell)
            totals[code].cell.add(cell)
            totals[code].wards_late += bool(cell.late)
        everything.add(line.total)
    ordered = sorted(
        lines.values(), key=lambda line: (-line.total.late, -line.total.required + line.total.done, line.ward.name)
    )
    return CityRollup(city, plan, today, utcnow(), ordered, list(totals.values()), everything)


def _counts(city: City, ward_ids, school_year: str, today: date):
    """(ward id, indicator code, required, done, on time, late, verified) for every (ward, code):
    the required milestone and target items of the wards' plans of `school_year`, the schools'
    (active ones) and the wards' own; one grouped query."""
    code = case((C.kind == ItemKind.MILESTONE, Milestone.city_indicator), else_=Target.city_indicator)
    count = func.count
    return db.session.execute(
        select(
            Plan.ward_id,
            code.label("code"),
            count(),
            count().filter(C.is_done),
            count().filter(C.is_on_time),
            count().filter(C.is_late(today)),
            count().filter(C.is_verified),
        )
        .select_from(C)
        .join(Plan, Plan.id == C.plan_id)
        .join(SchoolYear, SchoolYear.id == Plan.school_year_id)
        .join(Ward, Ward.id == Plan.ward_id)
        .outerjoin(Milestone, Milestone.id == C.milestone_id)
        .outerjoin(Target, Target.id == C.target_id)
        .outerjoin(School, School.id == C.school_id)
        .where(
            Ward.city_id == city.id,
            Plan.ward_id.in_(ward_ids),
            SchoolYear.name == school_year,
            C.retired.is_(False),
            C.required,
            C.kind.in_((ItemKind.MILESTONE, ItemKind.TARGET)),
            or_(C.school_id.is_(None), School.is_active.is_(True)),
        )
        .group_by(Plan.ward_id, code)
    ).all()

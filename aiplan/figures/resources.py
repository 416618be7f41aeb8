"""The resources register read across the ward: totals by school and by kind (budget lines,
contributions), the ward's own, and the contributions whose four conditions (plan, section IV) are
not confirmed yet. For the rollup section, the export sheet and key, the ward's page and the ward
report. A fixed number of queries whatever the number of schools."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..database import among
from ..extensions import db
from ..models import Plan, Resource, ResourceKind, School


def vnd(amount: int | None) -> str:
    """1.500.000 đ, as Vietnamese offices write sums of money ("—" for none)."""
    if amount is None:
        return "—"
    return f"{amount:,}".replace(",", ".") + " đ"


@dataclass
class Totals:
    """The sums of a set of register entries."""

    entries: int = 0
    vnd: dict[ResourceKind, int] = field(default_factory=lambda: dict.fromkeys(ResourceKind, 0))
    in_kind: dict[ResourceKind, int] = field(default_factory=lambda: dict.fromkeys(ResourceKind, 0))  # entries in kind
    unconfirmed: int = 0  # contributions whose four conditions are not all confirmed

    def add(self, resource: Resource) -> None:
        self.entries += 1
        self.vnd[resource.kind] += resource.amount_vnd or 0
        self.in_kind[resource.kind] += bool(resource.in_kind)
        self.unconfirmed += resource.is_contribution and not resource.confirmed

    @property
    def total_vnd(self) -> int:
        return sum(self.vnd.values())

    def json(self) -> dict:
        return {
            "entries": self.entries,
            "vnd": {kind.value: self.vnd[kind] for kind in ResourceKind},
            "in_kind_entries": {kind.value: self.in_kind[kind] for kind in ResourceKind},
            "total_vnd": self.total_vnd,
            "unconfirmed_contributions": self.unconfirmed,
        }


@dataclass
class ResourceSummary:
    """The section of the rollup (key "resources", sheet "Nguồn lực")."""

    plan: Plan
    schools: list[tuple[School, Totals]]
    ward: Totals | None  # the ward's own entries; None where they are not shown (a school's export)
    all: Totals
    key: str = "resources"
    sheet_name: str = "Nguồn lực"
    template: str = "resources/_rollup.html"

    @property
    def title(self) -> str:
        return f"Nguồn lực và xã hội hóa — năm học {self.plan.school_year.name}"

    def json(self) -> dict:
        return {
            "school_year": self.plan.school_year.name,
            "totals": self.all.json(),
            "ward": self.ward.json() if self.ward is not None else None,
            "schools": [{"slug": school.slug, "name": school.name, **totals.json()} for school, totals in self.schools],
        }

    def table(self) -> tuple[list[str], list[list]]:
        headers = [
            "Đơn vị",
            "Số khoản",
            "Ngân sách (đồng)",
            "Xã hội hóa (đồng)",
            "Tổng (đồng)",
            "Khoản hiện vật",
            "Đóng góp chưa xác nhận đủ 4 điều kiện",
        ]
        units = list(self.schools) + ([(None, self.ward)] if self.ward is not None else [])
        rows = [
            [
                school.name if school is not None else self.plan.ward.authority,
                t.entries,
                t.vnd[ResourceKind.BUDGET],
                t.vnd[ResourceKind.CONTRIBUTION],
                t.total_vnd,
                sum(t.in_kind.values()),
                t.unconfirmed,
            ]
            for school, t in units
        ]
        return headers, rows


def register_entries(plan: Plan, school: School | None) -> list[Resource]:
    """A school's register for the plan's year, or the ward's own (school None), oldest first."""
    query = select(Resource).where(Resource.plan_id == plan.id, Resource.deleted_at.is_(None))
    query = query.where(Resource.school_id == school.id if school else Resource.school_id.is_(None))
    return list(
        db.session.scalars(
            query.options(selectinload(Resource.confirmed_by)).order_by(Resource.received_on, Resource.id)
        )
    )


def resource_summary(plan: Plan, schools: list[School], include_ward: bool = True) -> ResourceSummary:
    """Totals per school, the ward's own, and over all: one query."""
    ids = [school.id for school in schools]
    owner = among(Resource.school_id, ids)
    if include_ward:
        owner = or_(owner, Resource.school_id.is_(None))
    by_school: defaultdict[int | None, Totals] = defaultdict(Totals)
    everything = Totals()
    for resource in db.session.scalars(
        select(Resource).where(Resource.plan_id == plan.id, Resource.deleted_at.is_(None), owner)
    ):
        by_school[resource.school_id].add(resource)
        everything.add(resource)
    return ResourceSummary(
        plan,
        [(school, by_school.get(school.id, Totals())) for school in schools],
        by_school.get(None, Totals()) if include_ward else None,
        everything,
    )

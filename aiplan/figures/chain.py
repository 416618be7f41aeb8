"""The reporting chain's state for a plan: per link (schools → UBND phường through the Phòng VHXH,
Phòng VHXH → UBND phường, UBND phường → Sở GD&ĐT, and the yearly rule), its deadline and how many
of its senders have reported or are late. Shown on the rollup page and the ward's own checklist.

Every link is a `Deadline` row. The schools' link is the one the reporting milestone (mốc 8) names
as its school deadline: its senders are the schools, counted from their milestone items (one
grouped query, `items.milestone_counts`). The other dated links are the ward's own (UBND phường,
Phòng VHXH): they are reported when the ward's item of that milestone is done. A link without a
date this year (the yearly 09/6 rule while the year has a one-off date) applies from the following
years and is shown as a rule only.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import ChecklistItem, Deadline, ItemKind, Milestone, Plan, School
from ..schoolyear import is_closed, plan_schools_query
from .items import milestone_counts
from .readmodel import Rollup

NO_SENDER = _l("Kế hoạch không ghi đơn vị thực hiện")


@dataclass(frozen=True)
class ChainLink:
    """One report of the chain and where it stands on `today`."""

    deadline: Deadline
    sender: str  # who reports, as the plan prints it (or says that it names nobody)
    owed: int  # how many senders owe it this year: the schools that must report, or 1 (the ward)
    reported: int
    late: int
    due_on: date | None  # the last day to report ("trước ngày X": the day before X); None: yearly rule
    by_schools: bool

    @property
    def applies(self) -> bool:
        """Whether the link has a date this year (the yearly rule applies from the following years)."""
        return self.due_on is not None

    @property
    def is_late(self) -> bool:
        return self.late > 0

    @property
    def is_done(self) -> bool:
        return self.applies and self.owed > 0 and self.reported >= self.owed


@dataclass(frozen=True)
class Chain:
    links: list[ChainLink]
    milestone: Milestone | None
    today: date
    editable: bool = True  # the plan's year is not past: a ward admin may still change its dates

    @property
    def late_links(self) -> list[ChainLink]:
        return [link for link in self.links if link.is_late]


def reporting_milestone(plan: Plan) -> Milestone | None:
    """The milestone the chain ends in: the first that names a school or ward deadline (mốc 8)."""
    return next((m for m in plan.milestones if m.school_deadline_key or m.ward_deadline_key), None)


def chain_state(plan: Plan, today: date) -> Chain:
    """The chain's links in the plan's order, with their counts; three small queries in all."""
    milestone = reporting_milestone(plan)
    if milestone is None:
        return chain_of(plan, None, today, {}, ward_done=False)
    school_ids = list(db.session.scalars(plan_schools_query(plan).with_only_columns(School.id)))
    ward_item = db.session.scalar(
        select(ChecklistItem).where(
            ChecklistItem.plan_id == plan.id,
            ChecklistItem.school_id.is_(None),
            ChecklistItem.milestone_id == milestone.id,
            ChecklistItem.kind == ItemKind.MILESTONE,
        )
    )
    counts = milestone_counts(plan, school_ids, today, only=milestone.id).get(milestone.id, {})
    return chain_of(plan, milestone, today, counts, ward_done=bool(ward_item and ward_item.is_done))


def chain_of_rollup(r: Rollup) -> Chain:
    """The chain from the counts a rollup has already read: no query of its own."""
    milestone = reporting_milestone(r.plan)
    summary = next((s for s in r.milestones if milestone and s.milestone.id == milestone.id), None)
    if summary is None:
        return chain_of(r.plan, milestone, r.today, {}, ward_done=False)
    counts = {"required": summary.required, "done": summary.done, "late": summary.late}
    ward_done = bool(summary.ward_item and summary.ward_item.done)
    return chain_of(r.plan, milestone, r.today, counts, ward_done=ward_done)


def chain_of(plan: Plan, milestone: Milestone | None, today: date, counts: dict, *, ward_done: bool) -> Chain:
    """The links, given the schools' counts of the reporting milestone (required, done, late) and
    whether the ward's own item of it is done."""
    school_key = milestone.school_deadline_key if milestone else None
    links = []
    for deadline in plan.deadlines:
        sender = deadline.owner_text or str(NO_SENDER)
        due_on = deadline.last_day
        if deadline.key == school_key:
            owed, reported, late = counts.get("required", 0), counts.get("done", 0), counts.get("late", 0)
            links.append(ChainLink(deadline, sender, owed, reported, late, due_on, by_schools=True))
        elif due_on is not None and deadline.sender is not None:
            late = 1 if not ward_done and due_on < today else 0
            links.append(ChainLink(deadline, sender, 1, int(ward_done), late, due_on, by_schools=False))
        else:
            links.append(ChainLink(deadline, sender, 0, 0, 0, due_on, by_schools=False))
    return Chain(links=links, milestone=milestone, today=today, editable=not is_closed(plan))

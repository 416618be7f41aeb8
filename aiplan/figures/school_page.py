"""What one school's checklist page shows, read in a fixed number of queries: its current items
with their files, targets and self-evaluation, its progress, and what needs attention first.

The page and the htmx answer to an item's update read the same view model (the answer a leaner
one: only the changed item's files, and a target's figures or the self-evaluation only when that
item shows them), so the progress bar and "Cần chú ý" never disagree with the page."""

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import ChecklistItem, EvidenceFile, ItemKind, Plan, Role, School, SelfEvaluation
from ..timeutil import local_today
from .activities import TargetActual, target_actuals
from .duties import duties_for_items, school_staff
from .evaluations import get_self_evaluation
from .evidence import files_for_items
from .items import Progress


def checklist(plan: Plan, school: School | None, authors: bool = True) -> list[ChecklistItem]:
    """A school's (or, with None, the ward's) current items, with what the page shows, in one query.
    Without `authors`, who last updated each item is not read along: an item's answer shows it for
    that one item only (after a change, the account already loaded; else one lazy load)."""
    owner = ChecklistItem.school_id.is_(None) if school is None else ChecklistItem.school_id == school.id
    loads = [
        joinedload(ChecklistItem.milestone),
        joinedload(ChecklistItem.target),
        joinedload(ChecklistItem.evidence_requirement),
    ]
    if authors:
        loads.append(joinedload(ChecklistItem.updated_by))
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.plan_id == plan.id, owner, ChecklistItem.retired.is_(False))
            .options(*loads)
            .order_by(ChecklistItem.position)
        )
    )


@dataclass
class SchoolPage:
    """One school's checklist under a plan, as its page (or an item's htmx answer) shows it."""

    plan: Plan
    school: School
    today: date  # the day "late" and "due soon" are counted from, in Hà Nội
    items: list[ChecklistItem]
    files_by_item: dict[int, list[EvidenceFile]] = field(default_factory=dict)
    actuals: dict[tuple[int, int], TargetActual] = field(default_factory=dict)
    evaluation: SelfEvaluation | None = None
    duties_by_item: dict = field(default_factory=dict)  # who does what (figures/duties.py)
    staff: list = field(default_factory=list)

    @property
    def progress(self) -> Progress:
        return Progress.of(self.items, self.today)

    @property
    def milestone_items(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.kind is ItemKind.MILESTONE]

    @property
    def target_groups(self) -> list[list[ChecklistItem]]:
        """Each target of Phụ lục II with its evidence items, in the plan's order."""
        others = (item for item in self.items if item.kind is not ItemKind.MILESTONE)
        return [list(group) for _, group in groupby(others, key=lambda item: item.target_id)]

    @property
    def late(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.is_late(self.today)]

    @property
    def due_soon(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.is_due_soon(self.today)]

    @property
    def needs_more(self) -> list[ChecklistItem]:
        """What a supervisor asked the school to add and the school has not yet changed: the first
        thing "Cần chú ý" says (once the school changes it, it waits for the supervisors instead)."""
        return [item for item in self.items if item.awaiting_school]

    def context(self) -> dict:
        """The page's template context (what checklists/_item.html and its neighbours read)."""
        return dict(
            plan=self.plan,
            school=self.school,
            today=self.today,
            files_by_item=self.files_by_item,
            actuals=self.actuals,
            evaluation=self.evaluation,
            progress=self.progress,
            milestone_items=self.milestone_items,
            target_groups=self.target_groups,
            late=self.late,
            due_soon=self.due_soon,
            needs_more=self.needs_more,
            duties_by_item=self.duties_by_item,
            staff=self.staff,
        )


def school_page(plan: Plan, school: School, user) -> SchoolPage:
    """The whole page for `user` (who sees restricted files or not); a fixed number of queries."""
    items = checklist(plan, school)
    return SchoolPage(
        plan,
        school,
        local_today(),
        items,
        files_by_item=files_for_items([item.id for item in items], user),
        actuals=target_actuals(plan, [school]),
        evaluation=get_self_evaluation(plan, school),
        duties_by_item=duties_for_items([item.id for item in items]),
        staff=_owners_offered(school, user),
    )


def item_answer(plan: Plan, school: School, item: ChecklistItem, user) -> SchoolPage:
    """What the answer to an update of `item` renders: the item, and the progress and attention list
    out of band; the other items' files, targets and self-evaluation are not read."""
    page = SchoolPage(plan, school, local_today(), checklist(plan, school, authors=False))
    page.files_by_item = files_for_items([item.id], user)
    page.duties_by_item, page.staff = duties_for_items([item.id]), _owners_offered(school, user)
    if item.kind is ItemKind.TARGET:
        page.actuals = target_actuals(plan, [school])
    if item.milestone is not None and item.milestone.tracks == "self_evaluation":
        page.evaluation = get_self_evaluation(plan, school)
    return page


def _owners_offered(school: School, user) -> list:
    """The school's staff, whom its own staff may give an item to; read only for them (the others
    see who owns an item, not the form)."""
    if user.role is not Role.SCHOOL_STAFF or user.school_id != school.id:
        return []
    return school_staff(school)

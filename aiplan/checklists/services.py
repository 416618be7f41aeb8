"""Generating checklists from the plan, and reading them back for the pages."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..activities.services import refresh_target_items
from ..database import commit_keeping_loaded
from ..extensions import db
from ..figures.evidence import live_file_count
from ..models import ChecklistItem, EvidenceFile, ItemKind, ItemStatus, Plan, RequiredOf, School, utcnow
from ..notifications.events import school_changed
from ..workdays import WorkCalendar


@dataclass(frozen=True)
class ItemSpec:
    """What a checklist item should be, according to the plan and the school's category."""

    key: str
    kind: ItemKind
    position: int
    required: bool
    due_on: date
    planned_due_on: date | None = None  # the plan's date when due_on was moved to a working day
    milestone_id: int | None = None
    target_id: int | None = None
    evidence_requirement_id: int | None = None


def items_for_school(plan: Plan, school: School, workdays: WorkCalendar | None = None) -> list[ItemSpec]:
    """The items a school owes under the plan: its milestones, its target row and that row's evidence.
    `workdays`: the year's working days, if the caller computed them once for many schools."""
    year = plan.school_year
    workdays = workdays or year.work_calendar()
    specs = []
    for milestone in plan.milestones:
        if not milestone.for_schools:
            continue
        required = milestone.required_of is RequiredOf.ALL or plan.is_pilot(school)
        specs.append(
            ItemSpec(
                f"m{milestone.number}",
                ItemKind.MILESTONE,
                milestone.number,
                required,
                *_working_due(workdays, _milestone_due(plan, milestone, milestone.school_deadline_key)),
                milestone_id=milestone.id,
            )
        )
    for target in plan.targets:
        if not target.applies_to(school):
            continue
        base = 1000 + 100 * target.stt
        specs.append(
            ItemSpec(
                f"t{target.stt}",
                ItemKind.TARGET,
                base,
                True,
                *_working_due(workdays, year.window(target.timing)[1]),
                target_id=target.id,
            )
        )
        for evidence in target.evidence:
            specs.append(
                ItemSpec(
                    f"t{target.stt}/{evidence.key}",
                    ItemKind.EVIDENCE,
                    base + evidence.position,
                    True,
                    *_working_due(workdays, year.window(evidence.timing)[1]),
                    target_id=target.id,
                    evidence_requirement_id=evidence.id,
                )
            )
    return specs


def items_for_ward(plan: Plan, workdays: WorkCalendar | None = None) -> list[ItemSpec]:
    """The ward's own checklist: the milestones the UBND phường or the Phòng VHXH carry out."""
    workdays = workdays or plan.school_year.work_calendar()
    return [
        ItemSpec(
            f"m{milestone.number}",
            ItemKind.MILESTONE,
            milestone.number,
            True,
            *_working_due(workdays, _milestone_due(plan, milestone, milestone.ward_deadline_key)),
            milestone_id=milestone.id,
        )
        for milestone in plan.milestones
        if milestone.for_ward
    ]


def _milestone_due(plan: Plan, milestone, deadline_key: str | None) -> date:
    """The day before the milestone's deadline if it names one, else the end of its timing's window."""
    deadline = plan.deadline(deadline_key) if deadline_key else None
    if deadline and deadline.last_day:
        return deadline.last_day
    return plan.school_year.window(milestone.timing)[1]


def _working_due(workdays: WorkCalendar, raw: date) -> tuple[date, date | None]:
    """The one place where a date the plan gives becomes a due date: the last working day on or
    before it (so "trước ngày X", whose last day is X-1, lands on the last working day before X).
    Returns (due_on, planned_due_on), planned_due_on being `raw` if it moved, else None."""
    return workdays.due(raw)


def sync_checklists(plan: Plan, schools: Sequence[School] | None = None) -> int:
    """Bring checklists in line with the plan without touching recorded progress.

    Missing items are added; required flags, due dates and positions follow the plan;
    an item that no longer applies is deleted if nobody worked on it, otherwise kept as
    retired. Returns how many items were added. Does not commit.
    """
    if schools is None:
        schools = db.session.scalars(select(School).filter_by(ward_id=plan.ward_id, is_active=True)).all()
    school_ids = [school.id for school in schools]
    existing = {
        (item.school_id, item.key): item
        for item in db.session.scalars(
            select(ChecklistItem).where(
                ChecklistItem.plan_id == plan.id,
                ChecklistItem.school_id.in_(school_ids) | ChecklistItem.school_id.is_(None),
            )
        )
    }
    workdays = plan.school_year.work_calendar()  # once for all the schools
    wanted: dict[tuple[int | None, str], ItemSpec] = {(None, spec.key): spec for spec in items_for_ward(plan, workdays)}
    for school in schools:
        wanted.update({(school.id, spec.key): spec for spec in items_for_school(plan, school, workdays)})

    added = 0
    new_targets: set[int | None] = set()  # school ids; None: the ward's own items
    for (school_id, key), spec in wanted.items():
        item = existing.get((school_id, key))
        fields = dict(
            kind=spec.kind,
            position=spec.position,
            required=spec.required,
            due_on=spec.due_on,
            planned_due_on=spec.planned_due_on,
            milestone_id=spec.milestone_id,
            target_id=spec.target_id,
            evidence_requirement_id=spec.evidence_requirement_id,
            retired=False,
        )
        if item is None:
            db.session.add(ChecklistItem(plan_id=plan.id, school_id=school_id, key=key, **fields))
            added += 1
            if spec.kind is ItemKind.TARGET:
                new_targets.add(school_id)
            continue
        for attr, value in fields.items():
            if getattr(item, attr) != value:
                setattr(item, attr, value)
    gone = [item for (school_id, key), item in existing.items() if (school_id, key) not in wanted]
    with_files = items_with_files([item.id for item in gone])
    for item in gone:
        if item.has_progress or item.id in with_files:
            item.retired = True
        else:
            db.session.delete(item)
    db.session.flush()
    if new_targets:
        # A target item is computed from the school's activities, which may already meet it.
        for school in schools:
            if school.id in new_targets:
                refresh_target_items(plan, school)
    return added


def items_with_files(item_ids: list[int]) -> set[int]:
    """Items that hold evidence files, deleted ones included (a file is never lost with its item)."""
    if not item_ids:
        return set()
    return set(db.session.scalars(select(EvidenceFile.item_id).where(EvidenceFile.item_id.in_(item_ids)).distinct()))


class StaleItem(Exception):
    """The item changed since the user loaded it; `item` holds its current state."""

    def __init__(self, item: ChecklistItem):
        self.item = item
        super().__init__(f"item {item.id} is at version {item.version}")


class ItemRuleError(ValueError):
    """A change the plan's rules do not allow; the message is for the user."""


def _snapshot(item: ChecklistItem) -> dict:
    return {"status": item.status.value, "note": item.note}


def update_item(
    item: ChecklistItem, *, version: int, actor, status: ItemStatus | None = None, note: str | None = None
) -> ChecklistItem:
    """Set the school's own status and/or note of an item, with its audit record, and commit.

    Setting a status is idempotent. A change based on a stale `version` raises StaleItem, and
    so does one that loses a race with a concurrent save; nothing is ever overwritten unseen.
    """
    if item.version != version:
        raise StaleItem(item)
    if status is not None and item.kind is ItemKind.TARGET:
        raise ItemRuleError("Chỉ tiêu được tính từ các hoạt động AI đã ghi nhận, không đánh dấu bằng tay.")
    if status is not None and item.tracks_self_evaluation:
        raise ItemRuleError(
            "Mốc này hoàn thành khi nhà trường nộp bản tự đánh giá (trang “Tự đánh giá”), không đánh dấu bằng tay."
        )
    if status is ItemStatus.DONE and item.kind is ItemKind.EVIDENCE and not live_file_count(item.id):
        raise ItemRuleError("Cần tải lên ít nhất một tệp minh chứng trước khi đánh dấu “Đã hoàn thành”.")
    before = _snapshot(item)
    if status is not None:
        item.status = status
        item.completed_at = (item.completed_at or utcnow()) if status is ItemStatus.DONE else None
    if note is not None:
        item.note = note.strip()
    after = _snapshot(item)
    if after == before:
        return item
    item.updated_at, item.updated_by_id = utcnow(), actor.id
    if school_changed(item, item.updated_at):
        after["resubmitted"] = True
    audit.record("item.update", item, before=before, after=after, school_id=item.school_id, actor=actor)
    return commit_item(item)


def commit_item(item: ChecklistItem) -> ChecklistItem:
    """Commit a change to an item; losing a race with a concurrent save raises StaleItem (409).
    What was loaded stays loaded for the answer that shows the item (commit_keeping_loaded)."""
    try:
        commit_keeping_loaded()
    except StaleDataError:
        db.session.rollback()
        current = db.session.get(ChecklistItem, item.id)
        # Only a plan sync deletes items, and only those nobody had worked on; a save racing such
        # a delete is not handled (it fails here).
        assert current is not None
        raise StaleItem(current) from None
    return item

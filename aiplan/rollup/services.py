"""The ward rollup: one read model for the page and every export, so that they can never disagree.

`rollup()` reads in a fixed number of queries whatever the number of schools: the plan's own
rows, every checklist item in scope in one query, the targets computed by
`activities.services.target_actuals`, and grouped counts of activities, pilot-class content
areas, evidence files and inspected schools. Nothing is loaded lazily per school.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select

from ..activities.services import ELECTIVE, target_actuals
from ..extensions import db
from ..models import (
    Activity,
    ChecklistItem,
    DeliveryForm,
    EvidenceFile,
    EvidenceRequirement,
    Inspection,
    InspectionStatus,
    ItemKind,
    ItemStatus,
    Plan,
    School,
    SchoolLevel,
    Target,
    activity_content_area,
    utcnow,
)
from ..timeutil import LOCAL_TZ, local_today
from .readmodel import (
    AreaCoverage,
    FormTotals,
    ItemState,
    LateGroup,
    MilestoneSummary,
    Rollup,
    SchoolRow,
    SchoolTarget,
    TargetSummary,
    WeekPoint,
)

LEVEL_ORDER = {SchoolLevel.TIEU_HOC: 0, SchoolLevel.THCS: 1, SchoolLevel.LIEN_CAP: 2}


# -- the matrix filter ---------------------------------------------------------------------------

ROW_STATUS = {
    "chua_hoan_thanh": lambda row: row.done < row.required,
    "da_hoan_thanh": lambda row: row.required > 0 and row.done == row.required,
    "cho_kiem_tra": lambda row: row.awaiting_check > 0,
    "can_bo_sung": lambda row: row.needs_more > 0,
    "da_xac_minh": lambda row: row.required > 0 and row.verified == row.required,
}


@dataclass(frozen=True)
class MatrixFilter:
    """Which schools the matrix shows; read from the query string, unknown values ignored."""

    level: SchoolLevel | None = None
    pilot: bool | None = None
    status: str = ""
    late: bool = False

    @classmethod
    def from_args(cls, args) -> "MatrixFilter":
        level, status = args.get("level", ""), args.get("status", "")
        return cls(level=SchoolLevel(level) if level in {lv.value for lv in SchoolLevel} else None,
                   pilot={"1": True, "0": False}.get(args.get("pilot", "")),
                   status=status if status in ROW_STATUS else "", late=args.get("late") == "1")

    @property
    def active(self) -> bool:
        return self != MatrixFilter()

    def matches(self, row: SchoolRow) -> bool:
        school = row.school
        return ((self.level is None or school.level is self.level)
                and (self.pilot is None or row.pilot == self.pilot)
                and (not self.status or ROW_STATUS[self.status](row))
                and (not self.late or row.late > 0))

    def rows(self, rollup: Rollup) -> list[SchoolRow]:
        return [row for row in rollup.rows if self.matches(row)]


# -- reading -------------------------------------------------------------------------------------

def school_order(plan: Plan):
    """Pilot schools (of the plan's year) first, then by level and name, as on the school list."""
    return lambda school: (not plan.is_pilot(school), LEVEL_ORDER[school.level], school.name)


def rollup(plan: Plan, schools: list[School], *, include_ward: bool = True, today: date | None = None,
           single_school: School | None = None) -> Rollup:
    """Everything the rollup page and its exports show about `schools` under `plan`, plus the
    ward's own items when `include_ward`, in a fixed number of queries."""
    today = today or local_today()
    schools = sorted(schools, key=school_order(plan))
    ids = [school.id for school in schools]
    evidence = {e.id: e for e in db.session.scalars(
        select(EvidenceRequirement).join(Target).where(Target.plan_id == plan.id))}
    by_school: dict[int | None, list[ItemState]] = defaultdict(list)
    for item in _items(plan, ids, include_ward, today):
        by_school[item.school_id].append(item)
    actuals = target_actuals(plan, schools)
    activity_totals = _activity_totals(plan, ids)
    files = _evidence_counts(plan, ids)
    inspected = _inspected(plan, ids)

    rows = []
    for school in schools:
        items = by_school.get(school.id, [])
        target_items = {i.target_id: i for i in items if i.kind is ItemKind.TARGET}
        total_files, restricted = files.get(school.id, (0, 0))
        rows.append(SchoolRow(
            school=school, pilot=plan.is_pilot(school), items=items, evidence_files=total_files,
            restricted_files=restricted,
            inspected=school.id in inspected,
            forms={form.code: FormTotals(form, *activity_totals.get((school.id, form.id), (0, 0, 0)))
                   for form in plan.delivery_forms},
            targets=[SchoolTarget(t, actuals[(school.id, t.id)], target_items.get(t.id))
                     for t in plan.targets if (school.id, t.id) in actuals]))

    ward_items = by_school.get(None, []) if include_ward else []
    ward_by_milestone = {i.milestone_id: i for i in ward_items}
    return Rollup(
        plan=plan, today=today, generated_at=utcnow(), rows=rows, ward_items=ward_items,
        single_school=single_school,
        targets=[TargetSummary(t, [(row.school, st) for row in rows for st in row.targets if st.target.id == t.id])
                 for t in plan.targets],
        milestones=[MilestoneSummary(
            m, [(row.school, row.by_milestone[m.id]) for row in rows if m.id in row.by_milestone],
            ward_by_milestone.get(m.id), len(inspected) if m.tracks == "inspections" else None)
            for m in plan.milestones],
        forms=_ward_forms(plan, rows),
        coverage=_coverage(plan, ids),
        late=_late_groups(plan, rows, ward_items, evidence),
        weeks=weekly_progress(plan.school_year, [i for row in rows for i in row.required_items], today))


def _local_date(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment else None


def _items(plan: Plan, school_ids: list[int], include_ward: bool, today: date) -> list[ItemState]:
    """The current items of the schools (and of the ward), as plain rows, in one query."""
    c = ChecklistItem
    owner = c.school_id.in_(school_ids)
    if include_ward:
        owner = or_(owner, c.school_id.is_(None))
    rows = db.session.execute(
        select(c.id, c.school_id, c.key, c.kind, c.milestone_id, c.target_id, c.evidence_requirement_id,
               c.required, c.due_on, c.status, c.completed_at, c.verdict, c.verdict_reason, c.resubmitted_at,
               c.verified_at)
        .where(c.plan_id == plan.id, c.retired.is_(False), owner)
        .order_by(c.position, c.id))
    items = []
    for (id_, school_id, key, kind, milestone_id, target_id, evidence_id, required, due_on, status, completed_at,
         verdict, reason, resubmitted_at, verified_at) in rows:
        done = status is ItemStatus.DONE
        items.append(ItemState(
            id=id_, school_id=school_id, key=key, kind=kind, milestone_id=milestone_id, target_id=target_id,
            evidence_requirement_id=evidence_id, required=required, due_on=due_on, status=status,
            completed_on=_local_date(completed_at) if done else None, verdict=verdict, verdict_reason=reason,
            resubmitted=resubmitted_at is not None, verified_on=_local_date(verified_at),
            late=required and not done and due_on < today))
    return items


def _activity_totals(plan: Plan, school_ids: list[int]) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(school id, form id) -> (activities, participants, lessons), in one grouped query."""
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(Activity.school_id, Activity.form_id, func.count(Activity.id),
               func.coalesce(func.sum(Activity.participants), 0), func.coalesce(func.sum(Activity.lessons), 0))
        .where(Activity.plan_id == plan.id, Activity.school_id.in_(school_ids), Activity.deleted_at.is_(None))
        .group_by(Activity.school_id, Activity.form_id))
    return {(school_id, form_id): (int(count), int(participants), int(lessons))
            for school_id, form_id, count, participants, lessons in rows}


def _ward_forms(plan: Plan, rows: list[SchoolRow]) -> list[FormTotals]:
    totals = [FormTotals(form) for form in plan.delivery_forms]
    for total in totals:
        for row in rows:
            school = row.forms[total.form.code]
            total.activities += school.activities
            total.participants += school.participants
            total.lessons += school.lessons
    return totals


def _coverage(plan: Plan, school_ids: list[int]) -> list[AreaCoverage]:
    """Each content area with the number of pilot classes (form 2.2) that covered it; one query."""
    counts = {}
    if school_ids:
        counts = dict(db.session.execute(
            select(activity_content_area.c.content_area_id, func.count(func.distinct(Activity.id)))
            .join(Activity, Activity.id == activity_content_area.c.activity_id)
            .join(DeliveryForm, DeliveryForm.id == Activity.form_id)
            .where(Activity.plan_id == plan.id, Activity.school_id.in_(school_ids), Activity.deleted_at.is_(None),
                   DeliveryForm.code == ELECTIVE)
            .group_by(activity_content_area.c.content_area_id)).all())
    return [AreaCoverage(area, counts.get(area.id, 0)) for area in plan.content_areas]


def _evidence_counts(plan: Plan, school_ids: list[int]) -> dict[int, tuple[int, int]]:
    """school id -> (live files on this plan's items and activities, of which restricted); one
    query. Restricted files are counted here and never named anywhere in the rollup."""
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(EvidenceFile.school_id, func.count(EvidenceFile.id),
               func.count(EvidenceFile.id).filter(EvidenceFile.restricted))
        .outerjoin(ChecklistItem, ChecklistItem.id == EvidenceFile.item_id)
        .outerjoin(Activity, Activity.id == EvidenceFile.activity_id)
        .where(EvidenceFile.school_id.in_(school_ids), EvidenceFile.deleted_at.is_(None),
               or_(ChecklistItem.plan_id == plan.id, Activity.plan_id == plan.id))
        .group_by(EvidenceFile.school_id))
    return {school_id: (int(total), int(restricted)) for school_id, total, restricted in rows}


def _inspected(plan: Plan, school_ids: list[int]) -> set[int]:
    """Schools with a closed inspection visit under the plan (milestone 6); one query."""
    if not school_ids:
        return set()
    return set(db.session.scalars(
        select(Inspection.school_id).where(Inspection.plan_id == plan.id, Inspection.school_id.in_(school_ids),
                                           Inspection.status == InspectionStatus.CLOSED).distinct()))


def _late_groups(plan: Plan, rows: list[SchoolRow], ward_items: list[ItemState],
                 evidence: dict[int, EvidenceRequirement]) -> list[LateGroup]:
    """Late items, one group per item of the plan and due date, oldest due date first."""
    milestones = {m.id: m for m in plan.milestones}
    targets = {t.id: t for t in plan.targets}
    groups: dict[tuple, LateGroup] = {}

    def group_of(item: ItemState, ward: bool) -> LateGroup:
        key = (item.due_on, ward, item.key)
        if key not in groups:
            groups[key] = LateGroup(item.due_on, item.kind, milestones.get(item.milestone_id),
                                    targets.get(item.target_id), evidence.get(item.evidence_requirement_id), ward)
        return groups[key]

    for item in ward_items:
        if item.late:
            group_of(item, True)
    for row in rows:
        for item in row.items:
            if item.late:
                group_of(item, False).schools.append(row.school)
    return sorted(groups.values(), key=lambda group: group.order)


def weekly_progress(year, items: list[ItemState], today: date) -> list[WeekPoint]:
    """Items done and verified by the end of each week (Monday to Sunday), from the start of the
    school year to today, or to its close (or its last recorded date) once it is over. What was
    done or verified before the first week counts in the first week."""
    first = year.hk1_start - timedelta(days=year.hk1_start.weekday())
    events = [day for i in items for day in (i.completed_on, i.verified_on if i.verified else None) if day]
    end = min(today, max([year.closes_on, *events]))
    if end < year.hk1_start:
        return []
    count = (end - first).days // 7 + 1

    def week(day: date | None) -> int:
        return min(max((day - first).days // 7, 0), count - 1) if day else 0

    done = Counter(week(i.completed_on) for i in items if i.done)
    verified = Counter(week(i.verified_on) for i in items if i.verified)
    points, done_total, verified_total = [], 0, 0
    for index in range(count):
        done_total += done[index]
        verified_total += verified[index]
        starts_on = first + timedelta(weeks=index)
        points.append(WeekPoint(starts_on, starts_on + timedelta(days=6), done_total, verified_total))
    return points

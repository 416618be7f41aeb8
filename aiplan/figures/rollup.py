"""The ward rollup: one read model for the page and every export, so that they can never disagree.

`rollup()` reads in a fixed number of queries whatever the number of schools: the plan's own
rows, grouped counts of the schools' checklist items (items.py), the ward's own items, the
targets computed by `figures.activities.target_actuals`, and grouped counts of activities,
pilot-class content areas, evidence files and inspected schools. The schools' items themselves
are read by `load_items()`, in one more query, only for the rows a page shows or an export lists.
"""

import heapq
from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import func, or_, select

from ..database import among
from ..extensions import db
from ..models import (
    Activity,
    ChecklistItem,
    DeliveryForm,
    EvidenceFile,
    EvidenceRequirement,
    ItemKind,
    Plan,
    School,
    SchoolLevel,
    Target,
    activity_content_area,
    utcnow,
)
from ..timeutil import local_today
from . import items as queries
from .activities import ELECTIVE, target_actuals
from .inspections import inspected_schools
from .readmodel import (
    TRAINING,
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

LIST_LIMIT = 40  # schools named under a target or a late item; the matrix shows the rest
LEVEL_ORDER = {SchoolLevel.TIEU_HOC: 0, SchoolLevel.THCS: 1, SchoolLevel.LIEN_CAP: 2}


def school_order(plan: Plan):
    """Pilot schools (of the plan's year) first, then by level and name, as on the school list."""
    return lambda school: (not plan.is_pilot(school), LEVEL_ORDER[school.level], school.name, school.id)


def rollup(
    plan: Plan,
    schools: list[School],
    *,
    include_ward: bool = True,
    late_and_weekly: bool = True,
    weekly: bool = True,
    late_names: int | None = None,
    today: date | None = None,
    single_school: School | None = None,
) -> Rollup:
    """Everything the rollup page and its exports show about `schools` under `plan`, plus the
    ward's own items when `include_ward`, in a fixed number of queries. The late items and the
    weekly series, which only the page shows, are left out (None) without `late_and_weekly` (the
    weekly series alone without `weekly`). A late item names its first LIST_LIMIT schools, or
    `late_names`. The rows' own items are not read: see load_items()."""
    today = today or local_today()
    schools = sorted(schools, key=school_order(plan))
    ids = [school.id for school in schools]
    counts = queries.item_counts(plan, ids, today)
    actuals = target_actuals(plan, schools)
    activity_totals = _activity_totals(plan, ids)
    files = _evidence_counts(plan, ids)
    inspected = inspected_schools(plan, ids)

    activity: defaultdict[int, dict] = defaultdict(dict)
    for (school_id, form_id), numbers in activity_totals.items():
        activity[school_id][form_id] = numbers
    reach = _reach(plan)
    targets = [(target.id, target) for target in plan.targets]
    rows = []
    for school in schools:
        school_id = school.id
        total_files, restricted = files.get(school_id, (0, 0))
        own = activity.get(school_id, {})
        rows.append(
            SchoolRow(
                school=school,
                pilot=plan.is_pilot(school),
                **counts.get(school_id, {}),
                evidence_files=total_files,
                restricted_files=restricted,
                inspected=school_id in inspected,
                activity=own,
                **reach(own),
                targets=[
                    SchoolTarget(target, actuals[(school_id, target_id)])
                    for target_id, target in targets
                    if (school_id, target_id) in actuals
                ],
            )
        )

    ward_items = queries.item_states(plan, None, today) if include_ward else []
    ward_by_milestone = {i.milestone_id: i for i in ward_items}
    milestone_counts = queries.milestone_counts(plan, ids, today)
    late = weeks = None
    if late_and_weekly:
        late = _late_groups(plan, schools, ward_items, today, late_names or LIST_LIMIT)
    if late_and_weekly and weekly:
        weeks = weekly_progress(plan.school_year, *queries.completion_days(plan, ids), today)
    return Rollup(
        plan=plan,
        today=today,
        generated_at=utcnow(),
        rows=rows,
        ward_items=ward_items,
        single_school=single_school,
        targets=_target_summaries(plan, rows),
        milestones=[
            MilestoneSummary(
                m,
                **milestone_counts.get(m.id, {}),
                ward_item=ward_by_milestone.get(m.id),
                inspected=len(inspected) if m.tracks == "inspections" else None,
            )
            for m in plan.milestones
        ],
        forms=_ward_forms(plan, activity_totals),
        coverage=_coverage(plan, ids),
        late=late,
        weeks=weeks,
    )


def load_items(r: Rollup, rows: list[SchoolRow], kinds: tuple[ItemKind, ...] | None = None) -> None:
    """Read the items (of `kinds`, or all) of `rows` — the matrix page's, or every school's for an
    export — into the rows; one query."""
    by_school: dict[int, list[ItemState]] = defaultdict(list)
    for item in queries.item_states(r.plan, [row.school.id for row in rows], r.today, kinds):
        assert item.school_id is not None  # read for these schools, so none is the ward's own
        by_school[item.school_id].append(item)
    for row in rows:
        row.items = by_school[row.school.id]


def _activity_totals(plan: Plan, school_ids: list[int]) -> dict[tuple[int, int], tuple[int, int, int]]:
    """(school id, form id) -> (activities, participants, lessons), in one grouped query."""
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(
            Activity.school_id,
            Activity.form_id,
            func.count(Activity.id),
            func.coalesce(func.sum(Activity.participants), 0),
            func.coalesce(func.sum(Activity.lessons), 0),
        )
        .where(Activity.plan_id == plan.id, among(Activity.school_id, school_ids), Activity.deleted_at.is_(None))
        .group_by(Activity.school_id, Activity.form_id)
    )
    return {
        (school_id, form_id): (int(count), int(participants), int(lessons))
        for school_id, form_id, count, participants, lessons in rows
        if school_id is not None and form_id is not None  # always: schools' activities only
    }


def _reach(plan: Plan):
    """school's activity -> its pupils, lessons taught and teachers trained, as SchoolRow fields."""
    teaching = {form.id for form in plan.delivery_forms if form.teaches_pupils}
    training = {form.id for form in plan.delivery_forms if form.code == TRAINING}

    def reach(activity: dict[int, tuple[int, int, int]]) -> dict[str, int]:
        pupils = lessons = teachers = 0
        for form_id, (_count, participants, lessons_of_form) in activity.items():
            if form_id in teaching:
                pupils += participants
                lessons += lessons_of_form
            if form_id in training:
                teachers += participants
        return {"pupils": pupils, "lessons_taught": lessons, "teachers_trained": teachers}

    return reach


def _target_summaries(plan: Plan, rows: list[SchoolRow]) -> list[TargetSummary]:
    by_target = {target.id: TargetSummary(target, []) for target in plan.targets}
    for row in rows:
        for school_target in row.targets:
            by_target[school_target.target.id].schools.append((row.school, school_target))
    return list(by_target.values())


def _ward_forms(plan: Plan, activity_totals: dict[tuple[int, int], tuple[int, int, int]]) -> list[FormTotals]:
    """Every form of the plan with the activities of all the schools (those of _activity_totals)
    and how many schools ran it."""
    totals = {form.id: FormTotals(form) for form in plan.delivery_forms}
    for (_school_id, form_id), (activities, participants, lessons) in activity_totals.items():
        total = totals.get(form_id)
        if total is None:
            continue
        total.schools += 1
        total.activities += activities
        total.participants += participants
        total.lessons += lessons
    return list(totals.values())


def _coverage(plan: Plan, school_ids: list[int]) -> list[AreaCoverage]:
    """Each content area with the number of pilot classes (form 2.2) that covered it; one query."""
    counts: dict[int, int] = {}
    if school_ids:
        counts = dict(
            db.session.execute(
                select(activity_content_area.c.content_area_id, func.count(func.distinct(Activity.id)))
                .join(Activity, Activity.id == activity_content_area.c.activity_id)
                .join(DeliveryForm, DeliveryForm.id == Activity.form_id)
                .where(
                    Activity.plan_id == plan.id,
                    among(Activity.school_id, school_ids),
                    Activity.deleted_at.is_(None),
                    DeliveryForm.code == ELECTIVE,
                )
                .group_by(activity_content_area.c.content_area_id)
            ).all()
        )
    return [AreaCoverage(area, counts.get(area.id, 0)) for area in plan.content_areas]


def _evidence_counts(plan: Plan, school_ids: list[int]) -> dict[int, tuple[int, int]]:
    """school id -> (live files on this plan's items and activities, of which restricted); one
    query. Restricted files are counted here and never named anywhere in the rollup."""
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(
            EvidenceFile.school_id,
            func.count(EvidenceFile.id),
            func.count(EvidenceFile.id).filter(EvidenceFile.restricted),
        )
        .outerjoin(ChecklistItem, ChecklistItem.id == EvidenceFile.item_id)
        .outerjoin(Activity, Activity.id == EvidenceFile.activity_id)
        .where(
            among(EvidenceFile.school_id, school_ids),
            EvidenceFile.deleted_at.is_(None),
            or_(ChecklistItem.plan_id == plan.id, Activity.plan_id == plan.id),
        )
        .group_by(EvidenceFile.school_id)
    )
    return {
        school_id: (int(total), int(restricted))
        for school_id, total, restricted in rows
        if school_id is not None  # always: schools' files only
    }


def _late_groups(
    plan: Plan, schools: list[School], ward_items: list[ItemState], today: date, names: int
) -> list[LateGroup]:
    """Late items, one group per item of the plan and due date, oldest due date first; each names
    its first `names` schools in the matrix's order."""
    milestones = {m.id: m for m in plan.milestones}
    targets = {t.id: t for t in plan.targets}
    evidence = {
        e.id: e for e in db.session.scalars(select(EvidenceRequirement).join(Target).where(Target.plan_id == plan.id))
    }
    place = {school.id: (index, school) for index, school in enumerate(schools)}  # `schools` are in order

    def group(due_on, kind, milestone_id, target_id, evidence_id, ward, count=1) -> LateGroup:
        return LateGroup(
            due_on, kind, milestones.get(milestone_id), targets.get(target_id), evidence.get(evidence_id), ward, count
        )

    groups = [
        group(i.due_on, i.kind, i.milestone_id, i.target_id, i.evidence_requirement_id, True)
        for i in ward_items
        if i.late
    ]
    for _key, due_on, kind, milestone_id, target_id, evidence_id, school_ids in queries.late_items(
        plan, list(place), today
    ):
        late = group(due_on, kind, milestone_id, target_id, evidence_id, False, len(school_ids))
        late.schools = [school for _, school in heapq.nsmallest(names, map(place.__getitem__, school_ids))]
        groups.append(late)
    return sorted(groups, key=lambda late: late.order)


def weekly_progress(year, done_days: Counter, verified_days: Counter, today: date) -> list[WeekPoint]:
    """Items done and verified by the end of each week (Monday to Sunday), from the start of the
    school year to today, or to its close (or its last recorded date) once it is over, from the
    number done and verified on each day. What was done or verified before the first week, or on
    no recorded day, counts in the first week."""
    first = year.hk1_start - timedelta(days=year.hk1_start.weekday())
    events = [day for day in (*done_days, *verified_days) if day]
    end = min(today, max([year.closes_on, *events]))
    if end < year.hk1_start:
        return []
    count = (end - first).days // 7 + 1

    def week(day: date | None) -> int:
        return min(max((day - first).days // 7, 0), count - 1) if day else 0

    done: Counter[int] = Counter()  # by week
    verified: Counter[int] = Counter()
    for day, number in done_days.items():
        done[week(day)] += number
    for day, number in verified_days.items():
        verified[week(day)] += number
    points, done_total, verified_total = [], 0, 0
    for index in range(count):
        done_total += done[index]
        verified_total += verified[index]
        starts_on = first + timedelta(weeks=index)
        points.append(WeekPoint(starts_on, starts_on + timedelta(days=6), done_total, verified_total))
    return points

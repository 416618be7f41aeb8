"""The scheduled scan: what is due, late or coming up, told to whoever must act.

`make_due_notifications` is run by `flask --app aiplan notify-scan`, by `send-reminders` before it
sends the digests, and by the job worker's periodic task. It makes, for the current year of every
ward (the latest opened one; past years are read-only and a year in preparation is not started):

- an item of a school due within NOTIFY_DUE_DAYS days, or late → the school's staff;
- a report of the reporting chain (figures/chain.py) due within those days or late, to whoever must
  send it: the school's staff for the school's report (the reporting milestone's item, mốc 8, which
  is told as a report rather than as an item), the ward's admins for the Phòng VHXH's and the UBND
  phường's reports while the ward's own item of that milestone is not done;
- a visit of the team planned within those days → the school's staff and the visit's team.

Only what the school must do (required items), active schools and enabled accounts. Each event's
key holds what makes it distinct (the item and its due date, the visit and its day), so a rerun
makes nothing new while a moved due date is a new event. The reads are a fixed number of queries
whatever the number of schools; the rows go in one INSERT per 1,000.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..extensions import db
from ..figures.chain import reporting_milestone
from ..models import (
    ChecklistItem,
    Inspection,
    InspectionStatus,
    ItemKind,
    Owner,
    Plan,
    Role,
    School,
    SchoolYear,
    User,
    utcnow,
)
from ..timeutil import local_day
from .events import due_message, report_message, visit_message
from .services import Message, app_path, notify_many

DEFAULT_DUE_DAYS = 7
# The ward's own reports of the chain, and the page where each is prepared.
WARD_REPORT_PAGES = {Owner.PHONG_VHXH: "reports.ward", Owner.UBND_PHUONG: "reports.upward_list"}


def make_due_notifications(now: datetime | None = None) -> int:
    """Make the notifications of what is due, late or coming up at `now` (default: now); returns how
    many rows were made (0 on a rerun). Commits."""
    now = now or utcnow()
    today = local_day(now)
    horizon = today + timedelta(days=int(current_app.config.get("NOTIFY_DUE_DAYS", DEFAULT_DUE_DAYS)))
    plans = current_plans()
    if not plans:
        return 0
    plan_ids = [plan.id for plan in plans]
    ward_ids = [plan.ward_id for plan in plans]
    staff = _staff_by_school(ward_ids)
    admins = _admins_by_ward(ward_ids)
    reporting = {plan.id: reporting_milestone(plan) for plan in plans}

    pairs: list[tuple[int, Message]] = []
    for item in _items_due(plan_ids, horizon):
        school = item.school
        assert school is not None  # _items_due joins the school
        milestone = reporting[item.plan_id]
        if milestone is not None and item.milestone_id == milestone.id and milestone.school_deadline_key:
            deadline = item.plan.deadline(milestone.school_deadline_key)
            if deadline is not None:
                message = report_message(
                    f"school:{school.id}:{deadline.key}",
                    school.name,
                    deadline.title,
                    deadline.document,
                    deadline.receiver,
                    item.due_on,
                    today,
                    app_path("reports.school", slug=school.slug),
                    school.id,
                )
                pairs += [(user_id, message) for user_id in staff.get(school.id, ())]
                continue
        message = due_message(item, school, today)
        pairs += [(user_id, message) for user_id in staff.get(school.id, ())]

    ward_done = _ward_reporting_done(plans, reporting)
    for plan in plans:
        milestone = reporting[plan.id]
        if milestone is None or ward_done.get(plan.id, False):
            continue
        for deadline in plan.deadlines:
            due_on, sender = deadline.last_day, deadline.sender
            if (
                deadline.key == milestone.school_deadline_key
                or due_on is None
                or due_on > horizon
                or sender not in WARD_REPORT_PAGES
            ):
                continue
            message = report_message(
                f"ward:{plan.id}:{deadline.key}",
                deadline.owner_text,
                deadline.title,
                deadline.document,
                deadline.receiver,
                due_on,
                today,
                app_path(WARD_REPORT_PAGES[sender]),
            )
            pairs += [(user_id, message) for user_id in admins.get(plan.ward_id, ())]

    for visit in _visits_coming(plan_ids, today, horizon):
        school = visit.school
        to_school = visit_message(visit, school, app_path("schools.school", slug=school.slug))
        to_team = visit_message(visit, school, app_path("inspections.show", inspection_id=visit.id))
        pairs += [(user_id, to_school) for user_id in staff.get(school.id, ())]
        pairs += [(member.id, to_team) for member in visit.members if member.is_enabled]

    made = notify_many(pairs, now)
    db.session.commit()
    return made


def current_plans() -> list[Plan]:
    """Each ward's current plan (its latest opened school year), with its milestones and deadlines;
    three queries whatever the number of wards."""
    plans = db.session.scalars(
        select(Plan)
        .join(SchoolYear)
        .where(SchoolYear.opened_at.is_not(None))
        .options(contains_eager(Plan.school_year), selectinload(Plan.milestones), selectinload(Plan.deadlines))
        .order_by(Plan.ward_id, SchoolYear.name.desc())
    ).all()
    current: dict[int, Plan] = {}
    for plan in plans:
        current.setdefault(plan.ward_id, plan)
    return list(current.values())


def _items_due(plan_ids: list[int], horizon: date) -> list[ChecklistItem]:
    """The required, not done, not retired items of active schools due by `horizon` (late ones
    included), with what their names need; one query."""
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .join(School, ChecklistItem.school_id == School.id)
            .where(
                ChecklistItem.plan_id.in_(plan_ids),
                School.is_active.is_(True),
                ChecklistItem.retired.is_(False),
                ChecklistItem.required.is_(True),
                ~ChecklistItem.is_done,
                ChecklistItem.due_on <= horizon,
            )
            .options(
                contains_eager(ChecklistItem.school),
                joinedload(ChecklistItem.milestone),
                joinedload(ChecklistItem.target),
                joinedload(ChecklistItem.evidence_requirement),
            )
            .order_by(ChecklistItem.school_id, ChecklistItem.position)
        ).unique()
    )


def _ward_reporting_done(plans: list[Plan], reporting: dict) -> dict[int, bool]:
    """plan id -> whether the ward's own item of the reporting milestone is done; one query."""
    milestone_ids = [m.id for m in reporting.values() if m is not None]
    if not milestone_ids:
        return {}
    rows = db.session.execute(
        select(ChecklistItem.plan_id, ChecklistItem.is_done).where(
            ChecklistItem.plan_id.in_([plan.id for plan in plans]),
            ChecklistItem.school_id.is_(None),
            ChecklistItem.kind == ItemKind.MILESTONE,
            ChecklistItem.milestone_id.in_(milestone_ids),
        )
    )
    return {plan_id: bool(done) for plan_id, done in rows}


def _visits_coming(plan_ids: list[int], today: date, horizon: date) -> list[Inspection]:
    """Planned visits to active schools from today to `horizon`, with their schools and teams; two queries."""
    return list(
        db.session.scalars(
            select(Inspection)
            .join(School, Inspection.school_id == School.id)
            .where(
                Inspection.plan_id.in_(plan_ids),
                Inspection.status == InspectionStatus.PLANNED,
                Inspection.visit_on.between(today, horizon),
                School.is_active.is_(True),
            )
            .options(contains_eager(Inspection.school), selectinload(Inspection.members))
            .order_by(Inspection.visit_on, Inspection.id)
        )
    )


def _staff_by_school(ward_ids: list[int]) -> dict[int, list[int]]:
    """school id -> its enabled staff accounts, for the active schools of the wards; one query."""
    found: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        select(User.id, User.school_id)
        .join(School, User.school_id == School.id)
        .where(
            User.role == Role.SCHOOL_STAFF,
            User.is_enabled.is_(True),
            School.is_active.is_(True),
            School.ward_id.in_(ward_ids),
        )
        .order_by(User.id)
    )
    for user_id, school_id in rows:
        if school_id is not None:  # joined to its school: always set
            found[school_id].append(user_id)
    return found


def _admins_by_ward(ward_ids: list[int]) -> dict[int, list[int]]:
    """ward id -> its enabled ward admins (the Phòng VHXH); one query."""
    found: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        select(User.id, User.ward_id)
        .where(User.role == Role.WARD_ADMIN, User.is_enabled.is_(True), User.ward_id.in_(ward_ids))
        .order_by(User.id)
    )
    for user_id, ward_id in rows:
        if ward_id is not None:  # always, by the filter: said for the type checker
            found[ward_id].append(user_id)
    return found

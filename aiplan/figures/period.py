"""What happened within a reporting period: the activities that ran and the inspection visits made
between two dates, for the ward's reports to the Sở GD&ĐT (reports/upward.py).

The counts (targets, milestones, schools) stay the rollup's (figures.rollup); this only lists the
records dated inside a period, over the same schools, one query each.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..database import among
from ..extensions import db
from ..models import Activity, DeliveryForm, Inspection, Plan, School


@dataclass(frozen=True)
class PeriodRecords:
    """The activities and inspection visits dated within [start, end], oldest first."""

    start: date
    end: date
    activities: list[Activity]
    inspections: list[Inspection]
    undated: int  # activities with no dates, which no period can claim: said, not silently dropped
    ward_activities: list[Activity] = field(default_factory=list)  # what the ward itself organised


def period_records(plan: Plan, school_ids: list[int], start: date, end: date) -> PeriodRecords:
    """The plan's activities that ran at some point in the period (an activity without an end date
    runs on its start date), and its inspection visits in the period, for `school_ids`; and the
    activities the ward itself organised in the period (its conference, outreach, training)."""
    if not school_ids:
        return PeriodRecords(start, end, [], [], 0)
    current = (Activity.plan_id == plan.id, among(Activity.school_id, school_ids), Activity.deleted_at.is_(None))
    activities = db.session.scalars(
        select(Activity)
        .join(Activity.school)
        .join(Activity.form)
        .where(
            *current,
            Activity.starts_on <= end,
            func.coalesce(Activity.ends_on, Activity.starts_on) >= start,
        )
        .options(contains_eager(Activity.school), contains_eager(Activity.form))
        .order_by(Activity.starts_on, School.name, DeliveryForm.position, Activity.id)
    ).all()
    undated = db.session.scalar(select(func.count(Activity.id)).where(*current, Activity.starts_on.is_(None)))
    inspections = db.session.scalars(
        select(Inspection)
        .join(Inspection.school)
        .where(
            Inspection.plan_id == plan.id,
            among(Inspection.school_id, school_ids),
            Inspection.visit_on.between(start, end),
        )
        .options(contains_eager(Inspection.school))
        .order_by(Inspection.visit_on, School.name, Inspection.id)
    ).all()
    ward_activities = db.session.scalars(
        select(Activity)
        .where(
            Activity.plan_id == plan.id,
            Activity.school_id.is_(None),
            Activity.deleted_at.is_(None),
            Activity.starts_on <= end,
            func.coalesce(Activity.ends_on, Activity.starts_on) >= start,
        )
        .order_by(Activity.starts_on, Activity.id)
    ).all()
    return PeriodRecords(start, end, list(activities), list(inspections), undated or 0, list(ward_activities))

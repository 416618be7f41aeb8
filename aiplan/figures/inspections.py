"""Inspection visits as figures: which schools the ward has inspected (milestone 6)."""

from sqlalchemy import select

from ..database import among
from ..extensions import db
from ..models import Inspection, InspectionStatus, Plan
from ..schoolyear import plan_schools


def inspected_schools(plan: Plan, school_ids: list[int]) -> set[int]:
    """Those of the schools with a closed inspection visit under the plan; one query."""
    if not school_ids:
        return set()
    return set(
        db.session.scalars(
            select(Inspection.school_id)
            .where(
                Inspection.plan_id == plan.id,
                among(Inspection.school_id, school_ids),
                Inspection.status == InspectionStatus.CLOSED,
            )
            .distinct()
        )
    )


def inspected_count(plan: Plan) -> tuple[int, int]:
    """(schools inspected, schools the plan's figures cover): milestone 6 at a glance, over the same
    schools as the rollup and the ward report (schoolyear.plan_schools)."""
    ids = [school.id for school in plan_schools(plan)]
    return len(inspected_schools(plan, ids)), len(ids)

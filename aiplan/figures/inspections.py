"""Inspection visits as figures: which schools the ward has inspected (milestone 6).

Every kind of visit counts: a "giữa kỳ", "đột xuất" or "đánh giá tổng thể cuối năm" visit closed
under the plan is the ward monitoring that school (plan section V.1), so milestone 6 counts the
schools with at least one closed visit of any kind, as it did when every visit was mid-HK II."""

from sqlalchemy import func, select

from ..database import among
from ..extensions import db
from ..models import Inspection, InspectionDecision, InspectionStatus, Plan, School
from ..schoolyear import plan_schools_query


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
    schools as the rollup and the ward report (schoolyear.plan_schools); two counts in the database."""
    covered = plan_schools_query(plan).with_only_columns(School.id)
    total = db.session.scalar(select(func.count()).select_from(covered.subquery()))
    inspected = db.session.scalar(
        select(func.count(func.distinct(Inspection.school_id))).where(
            Inspection.plan_id == plan.id,
            Inspection.status == InspectionStatus.CLOSED,
            Inspection.school_id.in_(covered),
        )
    )
    return inspected or 0, total or 0


def decision_blobs() -> set[str]:
    """The evidence store's blobs that decisions forming inspection teams name: not orphans, though
    no evidence file names them (aiplan/evidence/integrity.py)."""
    return set(db.session.scalars(select(InspectionDecision.sha256).where(InspectionDecision.sha256.is_not(None))))

"""Inspection visits as figures: which schools the ward has inspected (milestone 6).

Every kind of visit counts: a "giữa kỳ", "đột xuất" or "đánh giá tổng thể cuối năm" visit closed
under the plan is the ward monitoring that school (plan section V.1), so milestone 6 counts the
schools with at least one closed visit of any kind, as it did when every visit was mid-HK II."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..database import among
from ..extensions import db
from ..models import ChecklistItem, Inspection, InspectionDecision, InspectionStatus, Plan, School
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


@dataclass
class NeedsMore:
    """What a school has been asked to add and has not changed yet: how many items, and the one
    asked longest ago (its title and the supervisor's reason), for the ward's list of schools."""

    count: int
    first: ChecklistItem


def needs_more_by_school(plan: Plan, school_ids: list[int]) -> dict[int, NeedsMore]:
    """school id -> NeedsMore, for those of the schools with an item marked "Cần bổ sung" and not
    changed since (once changed it waits in the supervisors' queue instead); one query."""
    if not school_ids:
        return {}
    items = db.session.scalars(
        select(ChecklistItem)
        .where(
            ChecklistItem.plan_id == plan.id,
            among(ChecklistItem.school_id, school_ids),
            ChecklistItem.retired.is_(False),
            ChecklistItem.awaiting_school,
        )
        .options(
            joinedload(ChecklistItem.milestone),
            joinedload(ChecklistItem.target),
            joinedload(ChecklistItem.evidence_requirement),
        )
        .order_by(ChecklistItem.school_id, ChecklistItem.verified_at, ChecklistItem.position)
    ).all()
    found: dict[int, NeedsMore] = {}
    for item in items:
        assert item.school_id is not None  # among() named schools
        if item.school_id in found:
            found[item.school_id].count += 1
        else:
            found[item.school_id] = NeedsMore(1, item)
    return found

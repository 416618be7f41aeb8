"""The self-evaluations (Phụ lục I.2): a school's own, and how many the schools submitted with the
ratings given on each criterion."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import among
from ..extensions import db
from ..models import (
    Plan,
    Rating,
    School,
    SelfEvaluation,
)


@dataclass
class EvaluationSummary:
    """The schools' self-evaluations: how many were submitted, and the ratings given on each criterion."""

    schools: int
    by_school: dict[int, SelfEvaluation]
    counts: dict[int, dict[Rating, int]]  # criterion id -> rating -> submitted evaluations giving it

    @property
    def submitted(self) -> int:
        return sum(1 for evaluation in self.by_school.values() if evaluation.submitted_at is not None)

    @property
    def drafts(self) -> int:
        return len(self.by_school) - self.submitted

    @property
    def not_begun(self) -> int:
        return self.schools - len(self.by_school)


def evaluation_summary(plan: Plan, school_ids: list[int]) -> EvaluationSummary:
    """The self-evaluations of these schools; only submitted ones are counted in the ratings. Two queries."""
    evaluations = (
        list(
            db.session.scalars(
                select(SelfEvaluation)
                .where(SelfEvaluation.plan_id == plan.id, among(SelfEvaluation.school_id, school_ids))
                .options(selectinload(SelfEvaluation.ratings))
            )
        )
        if school_ids
        else []
    )
    counts = {criterion.id: dict.fromkeys(Rating, 0) for criterion in plan.criteria}
    for evaluation in evaluations:
        if evaluation.submitted_at is None:
            continue
        for row in evaluation.ratings:
            if row.rating is not None and row.criterion_id in counts:
                counts[row.criterion_id][row.rating] += 1
    return EvaluationSummary(len(school_ids), {e.school_id: e for e in evaluations}, counts)


def get_self_evaluation(plan: Plan, school: School) -> SelfEvaluation | None:
    """The school's self-evaluation under the plan with its ratings (two queries), or None if not begun.

    Its state: None → not begun; `submitted_at` None → draft; otherwise submitted (locked).
    """
    return db.session.scalar(
        select(SelfEvaluation)
        .filter_by(plan_id=plan.id, school_id=school.id)
        .options(selectinload(SelfEvaluation.ratings))
    )

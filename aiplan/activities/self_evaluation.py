"""The school's yearly self-evaluation on the criteria of Phụ lục I.2 (milestone 7): drafts, submission,
and reopening by the ward. Each write commits together with its audit record."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..database import committing
from ..extensions import db
from ..figures.evaluations import get_self_evaluation
from ..models import (
    ChecklistItem,
    CriterionRating,
    ItemKind,
    ItemStatus,
    Milestone,
    Plan,
    Rating,
    School,
    SelfEvaluation,
    utcnow,
)
from ..notifications.events import school_changed, self_evaluation_submitted


class EvaluationRefused(Exception):
    """A change to the self-evaluation that was not made; nothing was changed."""


class StaleEvaluation(EvaluationRefused):
    """Someone saved the evaluation after this form was loaded."""


class EvaluationLocked(EvaluationRefused):
    """The evaluation was submitted: only a ward admin's reopening makes it editable again."""


class SubmitNotConfirmed(EvaluationRefused):
    """ "Nộp" locks the evaluation: the form asks once more before it does; nothing was saved."""


class IncompleteEvaluation(EvaluationRefused):
    def __init__(self, errors: dict[int, str]):
        self.errors = errors  # criterion id -> message
        super().__init__(f"missing ratings for criteria {sorted(errors)}")


def current_version(evaluation: SelfEvaluation | None) -> int:
    """The version a form must carry to save; 0 while nothing has been saved."""
    return evaluation.version if evaluation is not None else 0


def save_self_evaluation(
    plan: Plan,
    school: School,
    values: dict[int, tuple[Rating | None, str]],
    version: int,
    *,
    submit: bool = False,
    confirmed: bool = True,
    actor=None,
) -> SelfEvaluation:
    """Save the ratings and texts (criterion id -> (rating, text)) as a draft, or submit them.

    Refuses a stale `version`, a submitted evaluation, and a submission missing a rating. A complete
    submission not `confirmed` (the form's first "Nộp") raises SubmitNotConfirmed and saves nothing.
    Submitting marks the school's milestone 7 item done, in the same transaction. Commits.
    """
    evaluation = get_self_evaluation(plan, school)
    if evaluation is not None and evaluation.submitted_at is not None:
        raise EvaluationLocked()
    if version != current_version(evaluation):
        raise StaleEvaluation()
    if submit:
        missing = {
            c.id: _l("Chọn mức đánh giá cho tiêu chí này trước khi nộp.")
            for c in plan.criteria
            if not values.get(c.id, (None, ""))[0]
        }
        if missing:
            raise IncompleteEvaluation(missing)
        if not confirmed:
            raise SubmitNotConfirmed()
    before = describe(plan, evaluation) if evaluation is not None else None
    with _transaction():
        if evaluation is None:
            evaluation = SelfEvaluation(school_id=school.id, plan_id=plan.id)
            db.session.add(evaluation)
        rows = {row.criterion_id: row for row in evaluation.ratings}
        for criterion in plan.criteria:
            rating, text = values.get(criterion.id, (None, ""))
            row = rows.get(criterion.id)
            if row is None:
                row = CriterionRating(criterion_id=criterion.id, text="")
                evaluation.ratings.append(row)
            row.rating, row.text = rating, text
        if submit:
            evaluation.submitted_at, evaluation.submitted_by_id = utcnow(), getattr(actor, "id", None)
        after = describe(plan, evaluation)
        if after == before:
            db.session.rollback()
            unchanged = get_self_evaluation(plan, school)
            assert unchanged is not None  # it was saved before: `before` described it
            return unchanged
        evaluation.updated_at, evaluation.updated_by_id = utcnow(), getattr(actor, "id", None)
        db.session.flush()
        audit.record(
            "self_evaluation.submit" if submit else "self_evaluation.save",
            evaluation,
            before=before,
            after=after,
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
        # Milestone 7 is the evaluation itself, as targets are their activities: a saved draft
        # starts it, a submission completes it (the school does not tick it by hand).
        if submit:
            _set_milestone_status(plan, school, ItemStatus.DONE, actor)
            self_evaluation_submitted(evaluation, plan, school, actor)
        else:
            _set_milestone_status(plan, school, ItemStatus.IN_PROGRESS, actor, only_from=ItemStatus.NOT_STARTED)
    return evaluation


def reopen_self_evaluation(plan: Plan, school: School, actor=None) -> bool:
    """Make a submitted evaluation editable again (the ward admin's decision). Returns whether it was
    submitted. Commits."""
    evaluation = get_self_evaluation(plan, school)
    if evaluation is None or evaluation.submitted_at is None:
        return False
    before = describe(plan, evaluation)
    with _transaction():
        evaluation.submitted_at = evaluation.submitted_by_id = None
        evaluation.updated_at, evaluation.updated_by_id = utcnow(), getattr(actor, "id", None)
        audit.record(
            "self_evaluation.reopen",
            evaluation,
            before=before,
            after=describe(plan, evaluation),
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
        # Milestone 7 is the submitted evaluation: reopened, it is being worked on again until the
        # school submits anew (which then sends a checked item back to the supervisors' queue).
        _set_milestone_status(plan, school, ItemStatus.IN_PROGRESS, actor)
    return True


def _set_milestone_status(
    plan: Plan, school: School, status: ItemStatus, actor, only_from: ItemStatus | None = None
) -> None:
    """Set the school's self-evaluation milestone item (the milestone that `tracks` it, mốc 7) to
    `status`, as the school's own "item.update" would record it: the same audit action, and a change
    after a verdict sends it to the re-check queue. With `only_from`, only an item in that status
    changes. Does not commit (the caller's transaction)."""
    items = db.session.scalars(
        select(ChecklistItem)
        .join(Milestone, ChecklistItem.milestone_id == Milestone.id)
        .where(
            ChecklistItem.plan_id == plan.id,
            ChecklistItem.school_id == school.id,
            ChecklistItem.kind == ItemKind.MILESTONE,
            ChecklistItem.retired.is_(False),
            Milestone.tracks == "self_evaluation",
        )
        .with_for_update()
    ).all()
    now = utcnow()
    for item in items:
        if item.status is status or (only_from is not None and item.status is not only_from):
            continue
        before = {"status": item.status.value, "note": item.note}
        item.status = status
        item.completed_at = now if status is ItemStatus.DONE else None
        item.updated_at, item.updated_by_id = now, getattr(actor, "id", None)
        after: dict = {"status": status.value, "note": item.note}
        if status is ItemStatus.DONE and school_changed(item, now):
            after["resubmitted"] = True
        audit.record(
            "item.update",
            item,
            before=before,
            after=after,
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )


def describe(plan: Plan, evaluation: SelfEvaluation) -> dict:
    """The evaluation as the audit log keeps it: each criterion by its number in the plan."""
    rows = {row.criterion_id: row for row in evaluation.ratings}
    criteria = {}
    for criterion in plan.criteria:
        row = rows.get(criterion.id)
        criteria[str(criterion.position)] = {
            "rating": row.rating.value if row is not None and row.rating else None,
            "text": row.text if row is not None else "",
        }
    return {"criteria": criteria, "submitted": evaluation.submitted_at is not None}


def _transaction():
    return committing(StaleEvaluation, IntegrityError)

"""Writing problems: a school raises one (with files, stored and checked by the evidence machinery),
both sides write in its thread, the Phòng VHXH assigns, closes and reopens it. Every write is
audited in the same transaction; changes to the problem itself are version-checked."""

from pathlib import Path

from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..evidence.services import Upload, keep, receive
from ..extensions import db
from ..models import (
    ChecklistItem,
    Plan,
    Problem,
    ProblemFile,
    ProblemMessage,
    ProblemStatus,
    Role,
    School,
    User,
    utcnow,
)
from ..notifications.events import problem_answered, problem_raised


class StaleProblem(Exception):
    """The problem changed since the form was loaded."""


class ProblemRuleError(ValueError):
    """A change the rules do not allow; the message is for the user."""


def _with_files(problem: Problem, message: ProblemMessage | None, uploads: list[Upload], actor, action, after):
    """Store the files, add their rows and the audit record, and commit; all or nothing."""
    temps: list[Path] = []
    try:
        accepted = receive(uploads, temps)
        keep(accepted)
        db.session.flush()
        files = [
            ProblemFile(
                problem_id=problem.id,
                message_id=message.id if message is not None else None,
                sha256=one.sha256,
                size=one.size,
                content_type=one.content_type,
                original_name=one.name,
                uploaded_at=utcnow(),
                uploaded_by_id=actor.id,
            )
            for one in accepted
        ]
        db.session.add_all(files)
        after = after | ({"files": [file.original_name for file in files]} if files else {})
        audit.record(action, message or problem, after=after, school_id=problem.school_id, actor=actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise


def raise_problem(
    plan: Plan, school: School, *, subject: str, details: str, item: ChecklistItem | None, uploads, actor
) -> Problem:
    """A school's problem for the ward, with its files (UploadRefused: none stored). Commits."""
    if item is not None and (item.school_id != school.id or item.plan_id != plan.id or item.retired):
        raise ProblemRuleError("Mục việc liên quan phải là một mục của nhà trường trong năm học này.")
    problem = Problem(
        plan_id=plan.id,
        school_id=school.id,
        item_id=item.id if item else None,
        subject=subject.strip(),
        details=details.strip(),
        raised_at=utcnow(),
        raised_by_id=actor.id,
    )
    db.session.add(problem)
    db.session.flush()
    after: dict = {"title": problem.subject, "description": problem.details}
    if item is not None:
        after["item_id"] = item.id
    problem_raised(problem, school, actor)
    _with_files(problem, None, uploads, actor, "problem.raise", after)
    return problem


def add_message(problem: Problem, *, body: str, uploads, actor) -> ProblemMessage:
    """A message in the thread, by the school or the Phòng VHXH (the view checks who), with its files."""
    if not problem.is_open:
        raise ProblemRuleError("Vấn đề này đã đóng. Phòng VHXH mở lại nếu cần trao đổi tiếp.")
    message = ProblemMessage(problem_id=problem.id, author_id=actor.id, at=utcnow(), body=body.strip())
    db.session.add(message)
    db.session.flush()
    problem_answered(problem, problem.school, message, actor)
    _with_files(problem, message, uploads, actor, "problem.message", {"problem": problem.id, "body": message.body})
    return message


def assign(problem: Problem, *, version: int, assignee: User | None, actor) -> Problem:
    """Name the ward admin who handles the problem (None: nobody). Commits."""
    if problem.version != version:
        raise StaleProblem()
    if assignee is not None and (assignee.role is not Role.WARD_ADMIN or assignee.ward_id != problem.school.ward_id):
        raise ProblemRuleError("Chỉ giao cho cán bộ Phòng VHXH của phường.")
    before = {"assignee": problem.assignee.display_name if problem.assignee else None}
    problem.assignee = assignee
    after = {"assignee": assignee.display_name if assignee else None}
    if before == after:
        return problem
    audit.record("problem.assign", problem, before=before, after=after, school_id=problem.school_id, actor=actor)
    return _commit(problem)


def set_status(problem: Problem, *, version: int, status: ProblemStatus, actor) -> Problem:
    """Close or reopen (idempotent). Commits."""
    if problem.version != version:
        raise StaleProblem()
    if problem.status is status:
        return problem
    before = {"status": problem.status.value}
    problem.status = status
    if status is ProblemStatus.CLOSED:
        problem.closed_at, problem.closed_by_id = utcnow(), actor.id
    else:
        problem.closed_at, problem.closed_by_id = None, None
    action = "problem.close" if status is ProblemStatus.CLOSED else "problem.reopen"
    audit.record(
        action, problem, before=before, after={"status": status.value}, school_id=problem.school_id, actor=actor
    )
    return _commit(problem)


def _commit(problem: Problem) -> Problem:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleProblem() from None
    return problem

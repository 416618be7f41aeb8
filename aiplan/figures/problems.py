"""Problems raised by the schools, as figures: the lists the pages show, the counts per school the
rollup and its exports give (open, closed, the oldest open one's age), and what the reports list in
their "khó khăn, vướng mắc". Fixed numbers of queries, whatever the number of schools."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..database import among
from ..extensions import db
from ..models import Plan, Problem, ProblemFile, ProblemMessage, ProblemStatus, School
from ..timeutil import local_day

PLAN_LINE = (
    "nếu có những vấn đề vướng mắc, đề nghị các đơn vị báo cáo kịp thời về UBND phường "
    "(qua phòng Văn hóa - Xã hội bộ phận Giáo dục và Đào tạo)"
)


def problem_blobs() -> set[str]:
    """The evidence store's blobs that files sent with problems name: not orphans, though no
    evidence file names them (aiplan/evidence/integrity.py)."""
    return set(db.session.scalars(select(ProblemFile.sha256).distinct()))


def _listed():
    return select(Problem).options(
        joinedload(Problem.school), joinedload(Problem.assignee), joinedload(Problem.raised_by)
    )


def school_problems(plan: Plan, school: School) -> list[Problem]:
    """A school's problems under the plan, open ones first, newest first; one query."""
    return list(
        db.session.scalars(
            _listed()
            .where(Problem.plan_id == plan.id, Problem.school_id == school.id)
            .order_by(Problem.status.desc(), Problem.raised_at.desc(), Problem.id.desc())
        )
    )


def ward_problems(plan: Plan, status: ProblemStatus | None = None) -> list[Problem]:
    """Every school's problems under the plan (or those of one status), oldest open first; one query."""
    query = _listed().where(Problem.plan_id == plan.id)
    if status is not None:
        query = query.where(Problem.status == status)
    return list(db.session.scalars(query.order_by(Problem.status.desc(), Problem.raised_at, Problem.id)))


def thread(problem_id: int) -> Problem | None:
    """One problem with its messages, their authors and files; three queries."""
    return db.session.scalar(
        _listed()
        .where(Problem.id == problem_id)
        .options(
            joinedload(Problem.item),
            selectinload(Problem.messages).joinedload(ProblemMessage.author),
            selectinload(Problem.files),
        )
    )


@dataclass(frozen=True)
class ProblemCounts:
    open: int = 0
    closed: int = 0
    oldest_open_days: int | None = None  # days since the oldest open one was raised

    @property
    def total(self) -> int:
        return self.open + self.closed


def counts_by_school(plan: Plan, school_ids: list[int], today: date) -> dict[int, ProblemCounts]:
    """Each school's open and closed problems and the age of its oldest open one (every id is a
    key); one grouped query."""
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(Problem.school_id, Problem.status, func.count(), func.min(Problem.raised_at))
        .where(Problem.plan_id == plan.id, among(Problem.school_id, school_ids))
        .group_by(Problem.school_id, Problem.status)
    )
    found: dict[int, dict] = {}
    for school_id, status, count, oldest in rows:
        mine = found.setdefault(school_id, {})
        if status is ProblemStatus.OPEN:
            mine["open"] = count
            mine["oldest_open_days"] = (today - local_day(oldest)).days if oldest else None
        else:
            mine["closed"] = count
    return {school_id: ProblemCounts(**found.get(school_id, {})) for school_id in school_ids}


def open_count(plan: Plan) -> int:
    """How many problems of the plan's schools wait for the ward; one query."""
    return (
        db.session.scalar(select(func.count()).where(Problem.plan_id == plan.id, Problem.status == ProblemStatus.OPEN))
        or 0
    )

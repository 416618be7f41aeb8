"""The rollup's reads of checklist items, counted in the database.

At 3,000 schools a ward has some 27,000 current items; turning each into a Python object costs
most of a second, so the page's figures are grouped counts here (a row per school, milestone,
day or late item) and only the schools on the matrix page, or the milestone items an export
lists, are read item by item (`item_states`).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import and_, case, func, literal, select, true, union_all

from ..database import among, id_list, local_date
from ..extensions import db
from ..models import ChecklistItem, ItemKind, Plan, Verdict
from .readmodel import ItemState

# The rules themselves (done, late, on time, verified, awaiting a check) are ChecklistItem's
# hybrids: the same rule a loaded item answers, as SQL.
C = ChecklistItem
DONE = C.is_done
VERIFIED = C.is_verified
AWAITING_CHECK = C.awaiting_check
NEEDS_MORE = C.verdict == Verdict.NEEDS_MORE
EVIDENCE = C.kind == ItemKind.EVIDENCE
late = C.is_late


def _school_items(plan: Plan, school_ids: list[int]):
    return and_(C.plan_id == plan.id, C.retired.is_(False), among(C.school_id, school_ids))


def _keyed(result) -> dict:
    """{first column: {the other columns by label}} for grouped rows."""
    _, *labels = result.keys()
    return {key: dict(zip(labels, values)) for key, *values in result}


# -- grouped counts --------------------------------------------------------------------------------


def item_counts(
    plan: Plan, school_ids: list[int], today: date, fields: tuple[str, ...] | None = None
) -> dict[int, dict[str, int]]:
    """school id -> the SchoolRow counts of its current items (required, done, …), or only those
    named in `fields`; one query."""
    if not school_ids:
        return {}
    count = func.count
    counts = {
        "required": count().filter(C.required),
        "done": count().filter(C.required, DONE),
        "verified": count().filter(C.required, VERIFIED),
        "late": count().filter(late(today)),
        "needs_more": count().filter(NEEDS_MORE),
        "awaiting_check": count().filter(AWAITING_CHECK),
        "evidence_total": count().filter(EVIDENCE),
        "evidence_done": count().filter(EVIDENCE, DONE),
        "evidence_verified": count().filter(EVIDENCE, VERIFIED),
        "evidence_needs_more": count().filter(EVIDENCE, NEEDS_MORE),
    }
    rows = db.session.execute(
        select(C.school_id, *(counts[name].label(name) for name in fields or counts))
        .where(_school_items(plan, school_ids))
        .group_by(C.school_id)
    )
    return _keyed(rows)


def milestone_counts(plan: Plan, school_ids: list[int], today: date, only: int | None = None) -> dict[int, dict]:
    """milestone id -> the MilestoneSummary counts of the schools' milestone items (of milestone
    `only` if given); one query."""
    if not school_ids:
        return {}
    which = C.milestone_id == only if only is not None else true()
    count, optional = func.count, ~C.required
    on_time = C.is_on_time
    rows = db.session.execute(
        select(
            C.milestone_id,
            count().filter(C.required).label("required"),
            count().filter(C.required, DONE).label("done"),
            count().filter(C.required, on_time).label("on_time"),
            count().filter(late(today)).label("late"),
            count().filter(C.required, VERIFIED).label("verified"),
            count().filter(optional).label("encouraged"),
            count().filter(optional, DONE).label("encouraged_done"),
            func.min(C.due_on).label("due_on"),
        )
        .where(_school_items(plan, school_ids), C.kind == ItemKind.MILESTONE, which)
        .group_by(C.milestone_id)
    )
    return _keyed(rows)


def completion_days(plan: Plan, school_ids: list[int]) -> tuple[Counter, Counter]:
    """How many of the schools' required items were done, and verified, on each local date (None:
    no date recorded); one query, a row per day."""
    done: Counter[date] = Counter()
    verified: Counter[date] = Counter()
    if not school_ids:
        return done, verified
    scope = _school_items(plan, school_ids) & C.required
    done_on, verified_on = local_date(C.completed_at), local_date(C.verified_at)
    rows = db.session.execute(
        union_all(
            select(literal(True).label("done"), done_on.label("day"), func.count())
            .where(scope, DONE)
            .group_by(done_on),
            select(literal(False), verified_on, func.count()).where(scope, VERIFIED).group_by(verified_on),
        )
    )
    for is_done, day, number in rows:
        (done if is_done else verified)[day] += number
    return done, verified


def late_items(plan: Plan, school_ids: list[int], today: date) -> list[tuple]:
    """The schools' late items grouped by item and due date: (key, due date, kind, milestone id,
    target id, evidence requirement id, [school ids]); one query, a row per group."""
    if not school_ids:
        return []
    rows = db.session.execute(
        select(C.key, C.due_on, C.kind, C.milestone_id, C.target_id, C.evidence_requirement_id, id_list(C.school_id))
        .where(_school_items(plan, school_ids), late(today))
        .group_by(C.key, C.due_on, C.kind, C.milestone_id, C.target_id, C.evidence_requirement_id)
    )
    return [(*group, [int(school_id) for school_id in ids.split(",")]) for *group, ids in rows]


# -- items one by one ------------------------------------------------------------------------------


def item_states(
    plan: Plan, school_ids: list[int] | None, today: date, kinds: tuple[ItemKind, ...] | None = None
) -> list[ItemState]:
    """The current items of the schools (all kinds, or `kinds`), or of the ward with None, in the
    plan's order; one query, whose columns are ItemState's fields in order."""
    owner = C.school_id.is_(None) if school_ids is None else among(C.school_id, school_ids)
    wanted = [C.plan_id == plan.id, C.retired.is_(False), owner] + ([C.kind.in_(kinds)] if kinds else [])
    rows = db.session.execute(
        select(
            C.id,
            C.school_id,
            C.key,
            C.kind,
            C.milestone_id,
            C.target_id,
            C.evidence_requirement_id,
            C.required,
            C.due_on,
            C.status,
            case((DONE, local_date(C.completed_at))),
            C.verdict,
            C.verdict_reason,
            C.resubmitted_at.is_not(None),
            local_date(C.verified_at),
            C.is_done,
            C.is_late(today),
            C.is_on_time,
            C.is_verified,
            C.awaiting_check,
        )
        .where(*wanted)
        .order_by(C.position, C.id)
    )
    # A Row is a Sequence of its columns; mypy (2.4) cannot spread a row typed as ten known columns
    # and then "any number more" into positional parameters, so it is read as a plain sequence.
    return [ItemState(*cast(Sequence[Any], row)) for row in rows]


@dataclass
class Progress:
    """A school's standing: required items done out of all required, how many are late, and how
    many a supervisor passed (and the school has not changed since)."""

    required: int = 0
    done: int = 0
    late: int = 0
    verified: int = 0
    needs_more: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.required) if self.required else 0

    @property
    def verified_percent(self) -> int:
        return round(100 * self.verified / self.required) if self.required else 0

    @classmethod
    def of(cls, items: list[ChecklistItem], today: date) -> "Progress":
        """The same figures from one school's loaded items (the school page has them already)."""
        required = [item for item in items if item.required]
        return cls(
            required=len(required),
            done=sum(item.is_done for item in required),
            late=sum(item.is_late(today) for item in required),
            verified=sum(item.is_verified for item in required),
            needs_more=sum(item.verdict is Verdict.NEEDS_MORE for item in items),
        )


def progress_by_school(plan: Plan, school_ids: list[int], today: date) -> dict[int, Progress]:
    """Every school's Progress (each id is a key), from the rollup's grouped count; one query."""
    counts = item_counts(plan, school_ids, today, PROGRESS_FIELDS)
    return {
        school_id: Progress(**{name: counts.get(school_id, {}).get(name, 0) for name in PROGRESS_FIELDS})
        for school_id in school_ids
    }


PROGRESS_FIELDS = ("required", "done", "late", "verified", "needs_more")


def checklist_sizes(plan: Plan) -> dict[str, int]:
    """How many current checklist items the plan gives the schools and the ward; one query."""
    rows = db.session.execute(
        select(C.school_id.is_(None), func.count())
        .where(C.plan_id == plan.id, C.retired.is_(False))
        .group_by(C.school_id.is_(None))
    )
    counts = {"schools": 0, "ward": 0}
    for is_ward, count in rows:
        counts["ward" if is_ward else "schools"] += count
    return counts

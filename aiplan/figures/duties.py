"""Who does what, as figures: each item's owner and co-owners, the items without an owner per school,
and one staff member's own items ("Việc của tôi"). Fixed numbers of queries, whatever the size."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..database import among
from ..extensions import db
from ..models import ChecklistItem, ItemDuty, Plan, Role, School, User, duty_co_owner
from .problems import ProblemCounts, counts_by_school

PLAN_LINE = "phân công rõ trách nhiệm của tập thể, cá nhân"


def duties_for_items(item_ids: list[int]) -> dict[int, ItemDuty]:
    """The assignment of each of the items that has one, owner and co-owners loaded; two queries."""
    if not item_ids:
        return {}
    duties = db.session.scalars(
        select(ItemDuty)
        .where(among(ItemDuty.item_id, item_ids))
        .options(joinedload(ItemDuty.assignee), selectinload(ItemDuty.co_owners))
    )
    return {duty.item_id: duty for duty in duties}


def school_staff(school: School) -> list[User]:
    """The accounts that may own the school's items: its enabled school staff, by name; one query."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.school_id == school.id, User.role == Role.SCHOOL_STAFF, User.is_enabled)
            .order_by(User.full_name, User.username)
        )
    )


def unowned_by_school(plan: Plan, school_ids: list[int]) -> dict[int, int]:
    """How many of each school's current items have nobody answering for them (every id is a key);
    one grouped query."""
    if not school_ids:
        return {}
    rows = db.session.execute(
        select(ChecklistItem.school_id, func.count())
        .outerjoin(ItemDuty, ItemDuty.item_id == ChecklistItem.id)
        .where(
            ChecklistItem.plan_id == plan.id,
            among(ChecklistItem.school_id, school_ids),
            ChecklistItem.retired.is_(False),
            ItemDuty.assignee_id.is_(None),
        )
        .group_by(ChecklistItem.school_id)
    )
    counts = dict.fromkeys(school_ids, 0)
    counts.update({school_id: count for school_id, count in rows if school_id is not None})
    return counts


def my_items(plan: Plan, user: User) -> list[tuple[ChecklistItem, ItemDuty]]:
    """The items of `plan` that `user` owns or shares, by due date; two queries."""
    shared = select(duty_co_owner.c.duty_id).where(duty_co_owner.c.user_id == user.id)
    duties = db.session.scalars(
        select(ItemDuty)
        .join(ItemDuty.item)
        .where(
            ChecklistItem.plan_id == plan.id,
            ChecklistItem.retired.is_(False),
            or_(ItemDuty.assignee_id == user.id, ItemDuty.id.in_(shared)),
        )
        .options(
            joinedload(ItemDuty.item).joinedload(ChecklistItem.milestone),
            joinedload(ItemDuty.item).joinedload(ChecklistItem.target),
            joinedload(ItemDuty.item).joinedload(ChecklistItem.evidence_requirement),
            joinedload(ItemDuty.item).joinedload(ChecklistItem.school),
            joinedload(ItemDuty.assignee),
            selectinload(ItemDuty.co_owners),
        )
        .order_by(ChecklistItem.due_on, ChecklistItem.position)
    )
    return [(duty.item, duty) for duty in duties]


@dataclass(frozen=True)
class DutyRow:
    """One school's line of the rollup's "Phân công và vướng mắc": items without an owner, and its problems."""

    school: School
    unowned: int
    problems: ProblemCounts


def duty_rows(plan: Plan, schools: list[School], today: date) -> list[DutyRow]:
    """The rollup's and the exports' figures of who does what and of the problems raised, per school
    in the order given; two grouped queries."""
    ids = [school.id for school in schools]
    unowned = unowned_by_school(plan, ids)
    problems = counts_by_school(plan, ids, today)
    return [DutyRow(school, unowned.get(school.id, 0), problems.get(school.id, ProblemCounts())) for school in schools]


def duties_json(rows: list[DutyRow]) -> dict:
    """The exports' JSON key "duties": per school and in total (existing keys are not touched)."""
    opened = [row.problems.oldest_open_days for row in rows if row.problems.oldest_open_days is not None]
    return {
        "schools": [
            {
                "slug": row.school.slug,
                "items_without_owner": row.unowned,
                "problems_open": row.problems.open,
                "problems_closed": row.problems.closed,
                "oldest_open_problem_days": row.problems.oldest_open_days,
            }
            for row in rows
        ],
        "totals": {
            "items_without_owner": sum(row.unowned for row in rows),
            "problems_open": sum(row.problems.open for row in rows),
            "problems_closed": sum(row.problems.closed for row in rows),
            "oldest_open_problem_days": max(opened) if opened else None,
        },
    }


def duties_table(rows: list[DutyRow]) -> tuple[list[str], list[list]]:
    """The exports' sheet "Phân công, vướng mắc": headers and one line per school, numbers as numbers."""
    headers = [
        "STT",
        "Mã trường",
        "Tên trường",
        "Mục việc chưa phân công",
        "Vướng mắc đang mở",
        "Vướng mắc đã đóng",
        "Vướng mắc mở lâu nhất (ngày)",
    ]
    lines = [
        [
            number,
            row.school.slug,
            row.school.name,
            row.unowned,
            row.problems.open,
            row.problems.closed,
            row.problems.oldest_open_days,
        ]
        for number, row in enumerate(rows, start=1)
    ]
    return headers, lines

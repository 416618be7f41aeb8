"""What the reports say: the text people write into them (saved with a version check and an audit
record), the evidence they list, and the deadlines they answer to.

The figures come from the services every other page uses (checklists, activities, the
self-evaluation), so a report never says something the checklist or the rollup does not.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..extensions import db
from ..models import (
    Activity,
    ChecklistItem,
    Deadline,
    DeliveryForm,
    ItemKind,
    ItemStatus,
    Milestone,
    Plan,
    ReportKind,
    ReportText,
    School,
    utcnow,
)
from ..timeutil import LOCAL_TZ

TEXT_FIELDS = {"number": 80, "signer_name": 200, "signer_title": 200, "difficulties": 5000, "proposals": 5000}


class StaleReportText(Exception):
    """Someone saved the report's text after this form was loaded; nothing was changed."""


# -- the text people write ---------------------------------------------------------------------


def get_report_text(plan: Plan, school: School | None) -> ReportText | None:
    """The saved text of a school's report, or with None of the ward's report; None if never saved."""
    owner = ReportText.school_id.is_(None) if school is None else ReportText.school_id == school.id
    return db.session.scalar(select(ReportText).where(ReportText.plan_id == plan.id, owner))


def current_version(text: ReportText | None) -> int:
    """The version a form must carry to save; 0 while nothing has been saved."""
    return text.version if text is not None else 0


def clean_text(value: str | None, limit: int) -> str:
    """Text as typed, in NFC, without control characters (line breaks stay), trimmed to `limit`."""
    value = unicodedata.normalize("NFC", value or "").replace("\r", "")
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()[:limit]


def describe(text: ReportText | None) -> dict:
    """The text as the audit log keeps it."""
    return {name: getattr(text, name) if text is not None else "" for name in TEXT_FIELDS}


def save_report_text(plan: Plan, school: School | None, values: dict, version: int, actor=None) -> bool:
    """Save what people wrote into the report (`values`: the fields of TEXT_FIELDS), if nobody saved
    since `version`; a change and its audit record commit together. Returns whether anything changed."""
    text = get_report_text(plan, school)
    if version != current_version(text):
        raise StaleReportText()
    cleaned = {name: clean_text(values.get(name), limit) for name, limit in TEXT_FIELDS.items()}
    before = describe(text)
    if cleaned == before:
        return False
    try:
        if text is None:
            kind = ReportKind.WARD if school is None else ReportKind.SCHOOL
            text = ReportText(plan_id=plan.id, school_id=school.id if school else None, kind=kind)
            db.session.add(text)
        for name, value in cleaned.items():
            setattr(text, name, value)
        text.updated_at, text.updated_by_id = utcnow(), getattr(actor, "id", None)
        db.session.flush()
        audit.record(
            "report_text.save",
            text,
            before=before,
            after=cleaned,
            actor=actor,
            school_id=school.id if school else None,
            ward_id=plan.ward_id,
        )
        db.session.commit()
    except (StaleDataError, IntegrityError):
        # Another request saved (or first created) the same text between our read and our write.
        db.session.rollback()
        raise StaleReportText() from None
    except BaseException:
        db.session.rollback()
        raise
    return True


def paragraphs(text: str | None) -> list[str]:
    """Typed text as paragraphs, one per non-blank line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# -- deadlines ---------------------------------------------------------------------------------


def report_deadline(plan: Plan, kind: ReportKind) -> Deadline | None:
    """The plan's deadline for this report: the one its reporting milestone (Phụ lục I.1, mốc 8) names
    for the schools (15/6) or for the Phòng VHXH (12/6)."""
    attr = "school_deadline_key" if kind is ReportKind.SCHOOL else "ward_deadline_key"
    for milestone in plan.milestones:
        deadline = plan.deadline(getattr(milestone, attr) or "")
        if deadline is not None and deadline.before:
            return deadline
    return None


# -- the evidence a school holds ---------------------------------------------------------------


def size_text(size: int) -> str:
    """A file size as people read it, Vietnamese style: "850 B", "12,4 KB", "3,1 MB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".replace(".", ",") + f" {unit}"
    return f"{size} B"


# -- the ward's figures, in a fixed number of queries whatever the number of schools -----------


@dataclass
class MilestoneProgress:
    """A milestone of Phụ lục I.1 across the schools that owe it, and the ward's own item for it."""

    milestone: Milestone
    required: int = 0  # schools that must do it
    done: int = 0  # of those, done
    on_time: int = 0  # of those, done by the item's due date (Hà Nội time)
    encouraged_done: int = 0  # schools it is only encouraged for, that did it anyway
    ward_item: ChecklistItem | None = None


def milestone_progress(plan: Plan, school_ids: list[int], ward_items: list[ChecklistItem]) -> list[MilestoneProgress]:
    """Every milestone of the plan, in its order, with the schools' completion and on-time counts; one query."""
    rows = {milestone.id: MilestoneProgress(milestone) for milestone in plan.milestones}
    for item in ward_items:
        if item.milestone_id in rows:
            rows[item.milestone_id].ward_item = item
    if school_ids:
        items = db.session.execute(
            select(
                ChecklistItem.milestone_id,
                ChecklistItem.required,
                ChecklistItem.status,
                ChecklistItem.completed_at,
                ChecklistItem.due_on,
            ).where(
                ChecklistItem.plan_id == plan.id,
                ChecklistItem.school_id.in_(school_ids),
                ChecklistItem.kind == ItemKind.MILESTONE,
                ChecklistItem.retired.is_(False),
            )
        )
        for milestone_id, required, status, completed_at, due_on in items:
            row = rows[milestone_id]
            done = status is ItemStatus.DONE
            if not required:
                row.encouraged_done += done
                continue
            row.required += 1
            row.done += done
            row.on_time += done and completed_at is not None and completed_at.astimezone(LOCAL_TZ).date() <= due_on
    return list(rows.values())


def late_items(plan: Plan, school_ids: list[int], today: date) -> list[ChecklistItem]:
    """Required items past their due date and not done, of these schools and of the ward itself,
    oldest first (the ward's own first on the same day); one query."""
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .outerjoin(School, ChecklistItem.school_id == School.id)
            .where(
                ChecklistItem.plan_id == plan.id,
                ChecklistItem.retired.is_(False),
                ChecklistItem.required,
                ChecklistItem.status != ItemStatus.DONE,
                ChecklistItem.due_on < today,
                or_(ChecklistItem.school_id.is_(None), ChecklistItem.school_id.in_(school_ids)),
            )
            .options(
                contains_eager(ChecklistItem.school),
                joinedload(ChecklistItem.milestone),
                joinedload(ChecklistItem.target),
                joinedload(ChecklistItem.evidence_requirement),
            )
            .order_by(ChecklistItem.due_on, ChecklistItem.school_id.is_not(None), School.name, ChecklistItem.position)
        )
    )


@dataclass
class FormTotal:
    """One delivery form across the schools: activities, schools running them, people reached, lessons."""

    form: DeliveryForm
    activities: int = 0
    schools: int = 0
    participants: int = 0
    lessons: int = 0


def activity_totals(plan: Plan, school_ids: list[int]) -> list[FormTotal]:
    """Every delivery form of the plan, in its order, with its totals over these schools; one query."""
    totals = {form.id: FormTotal(form) for form in plan.delivery_forms}
    if school_ids:
        rows = db.session.execute(
            select(
                Activity.form_id,
                func.count(Activity.id),
                func.count(func.distinct(Activity.school_id)),
                func.coalesce(func.sum(Activity.participants), 0),
                func.coalesce(func.sum(Activity.lessons), 0),
            )
            .where(Activity.plan_id == plan.id, Activity.school_id.in_(school_ids), Activity.deleted_at.is_(None))
            .group_by(Activity.form_id)
        )
        for form_id, count, schools, participants, lessons in rows:
            if form_id in totals:
                totals[form_id] = FormTotal(totals[form_id].form, count, schools, int(participants), int(lessons))
    return list(totals.values())

"""Scheduling visits, giving verdicts, closing a visit; the queues and shares supervisors read."""

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..checklists.services import StaleItem, commit_item
from ..extensions import db
from ..models import (
    AuditEvent,
    ChecklistItem,
    Inspection,
    InspectionStatus,
    Plan,
    Role,
    School,
    User,
    Verdict,
    VerdictRecord,
    utcnow,
)


class InspectionError(ValueError):
    """Input that cannot be accepted; `errors` maps a form field to its message (Vietnamese)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class StaleInspection(Exception):
    """The visit changed since the page was loaded."""


class VisitClosed(Exception):
    """The visit is closed: its verdicts and minutes are locked until a ward admin reopens it."""


class VisitOpen(Exception):
    """The visit is not closed, so there is nothing to reopen."""


def lock_visit(inspection: Inspection) -> None:
    """Reload the visit FOR UPDATE (before the audit head, as every writer does), so that a verdict
    and the closing of its visit happen one after the other and a closed visit stays closed."""
    db.session.refresh(inspection, with_for_update=True)


def schedule(plan: Plan, school: School, visit_on: date, members: list[User], lead: User | None, actor) -> Inspection:
    """Plan a visit of the team to a school inside the mid-HK II window. Commits."""
    year = plan.school_year
    errors = {}
    if not school.is_active or school.ward_id != plan.ward_id:
        errors["school"] = "Chỉ lên lịch kiểm tra cho trường đang hoạt động của phường."
    if not (year.midterm_start <= visit_on <= year.midterm_end):
        errors["visit_on"] = (
            f"Ngày kiểm tra phải trong đợt kiểm tra giữa HK II: "
            f"{year.midterm_start:%d/%m/%Y} – {year.midterm_end:%d/%m/%Y}."
        )
    if not members:
        errors["members"] = "Chọn ít nhất một thành viên đoàn kiểm tra."
    elif any(m.role is not Role.SUPERVISOR or m.ward_id != plan.ward_id or not m.is_enabled for m in members):
        errors["members"] = "Thành viên đoàn phải là tài khoản đoàn kiểm tra của phường."
    if lead is not None and lead not in members:
        errors["lead"] = "Trưởng đoàn phải là một thành viên của đoàn."
    if errors:
        raise InspectionError(errors)
    inspection = Inspection(
        plan=plan,
        school=school,
        visit_on=visit_on,
        members=list(members),
        lead=lead or members[0],
        created_by_id=actor.id,
    )
    db.session.add(inspection)
    db.session.flush()
    audit.record(
        "inspection.create",
        inspection,
        school_id=school.id,
        ward_id=school.ward_id,
        actor=actor,
        after=describe(inspection),
    )
    db.session.commit()
    return inspection


def give_verdict(
    item: ChecklistItem, verdict: Verdict, reason: str, *, version: int, actor, inspection: Inspection | None = None
) -> ChecklistItem:
    """Record a supervisor's verdict on a school's item (and close its resubmission). Commits.

    "Cần bổ sung" needs a reason. The school's own status is never touched. A verdict based
    on a stale version of the item raises StaleItem, as the school's own changes do.
    """
    reason = (reason or "").strip()
    if inspection is not None:
        if item.plan_id != inspection.plan_id or item.school_id != inspection.school_id:
            raise ValueError("the item is not one the visit inspects")
        lock_visit(inspection)
        if inspection.is_closed:
            raise VisitClosed()
    if verdict is Verdict.NEEDS_MORE and not reason:
        raise InspectionError({"reason": "Ghi rõ cần bổ sung gì để nhà trường biết và làm tiếp."})
    if item.version != version:
        raise StaleItem(item)
    before = {"verdict": item.verdict.value, "reason": item.verdict_reason}
    now = utcnow()
    item.verdict, item.verdict_reason = verdict, reason if verdict is Verdict.NEEDS_MORE else ""
    item.verified_at, item.verified_by_id, item.resubmitted_at = now, actor.id, None
    db.session.execute(
        update(VerdictRecord).where(VerdictRecord.item_id == item.id, VerdictRecord.is_current).values(is_current=False)
    )
    db.session.add(
        VerdictRecord(
            item_id=item.id,
            inspection_id=inspection.id if inspection else None,
            verdict=verdict,
            reason=item.verdict_reason,
            school_status=item.status.value,
            given_at=now,
            given_by_id=actor.id,
        )
    )
    audit.record(
        "item.verdict",
        item,
        school_id=item.school_id,
        actor=actor,
        before=before,
        after={
            "verdict": verdict.value,
            "reason": item.verdict_reason,
            "inspection": inspection.id if inspection else None,
        },
    )
    return commit_item(item)


def close(
    inspection: Inspection,
    *,
    version: int,
    conclusion: str,
    recommendations: str,
    school_representative: str,
    minutes_number: str,
    actor,
) -> Inspection:
    """Write the visit's conclusion and close it (its minutes can then be signed): from then on its
    verdicts and minutes are locked. Commits."""
    lock_visit(inspection)
    if inspection.is_closed:
        raise VisitClosed()
    if inspection.version != version:
        raise StaleInspection()
    if not conclusion.strip():
        raise InspectionError({"conclusion": "Ghi kết luận của đoàn kiểm tra trước khi kết thúc."})
    before = describe(inspection)
    inspection.conclusion, inspection.recommendations = conclusion.strip(), recommendations.strip()
    inspection.school_representative, inspection.minutes_number = (
        school_representative.strip(),
        minutes_number.strip(),
    )
    inspection.status, inspection.closed_at = InspectionStatus.CLOSED, utcnow()
    audit.record(
        "inspection.close",
        inspection,
        school_id=inspection.school_id,
        actor=actor,
        before=before,
        after=describe(inspection),
    )
    _commit_visit()
    return inspection


def reopen(inspection: Inspection, *, version: int, reason: str, actor) -> Inspection:
    """Reopen a closed visit (a ward admin's decision, with its reason in the audit log) so that its
    team can change verdicts and minutes again; it counts as inspected once closed again. Commits."""
    reason = (reason or "").strip()
    if not reason:
        raise InspectionError({"reason": "Ghi lý do mở lại biên bản."})
    lock_visit(inspection)
    if not inspection.is_closed:
        raise VisitOpen()
    if inspection.version != version:
        raise StaleInspection()
    before = describe(inspection)
    inspection.status, inspection.closed_at = InspectionStatus.PLANNED, None
    audit.record(
        "inspection.reopen",
        inspection,
        school_id=inspection.school_id,
        actor=actor,
        before=before,
        after=describe(inspection) | {"reason": reason},
    )
    _commit_visit()
    return inspection


def _commit_visit() -> None:
    """Commit a change to a visit; someone else's change committed first is a StaleInspection."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleInspection() from None


def last_reopening(inspection: Inspection):
    """The latest reopening of the visit (the audit event: who, when, why), or None."""
    return db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == "inspection.reopen",
            AuditEvent.object_type == "Inspection",
            AuditEvent.object_id == inspection.id,
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def describe(inspection: Inspection) -> dict:
    return {
        "school": inspection.school.slug,
        "visit_on": inspection.visit_on.isoformat(),
        "members": [m.username for m in inspection.members],
        "lead": inspection.lead.username if inspection.lead else None,
        "status": inspection.status.value,
        "conclusion": inspection.conclusion,
        "recommendations": inspection.recommendations,
    }


def inspections(plan: Plan, supervisor: User | None = None) -> list[Inspection]:
    """The plan's visits, soonest first; only a supervisor's own when one is given."""
    query = (
        select(Inspection)
        .where(Inspection.plan_id == plan.id)
        .options(joinedload(Inspection.school), joinedload(Inspection.lead), selectinload(Inspection.members))
        .order_by(Inspection.visit_on, Inspection.id)
    )
    if supervisor is not None:
        query = query.where(Inspection.members.any(User.id == supervisor.id))
    return list(db.session.scalars(query).unique())


def resubmitted_queue(plan: Plan) -> list[ChecklistItem]:
    """Items the schools changed after a verdict, oldest first: what supervisors check next."""
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .join(School)
            .where(
                ChecklistItem.plan_id == plan.id,
                ChecklistItem.resubmitted_at.is_not(None),
                ChecklistItem.retired.is_(False),
                School.is_active,
            )
            .options(
                joinedload(ChecklistItem.school),
                joinedload(ChecklistItem.milestone),
                joinedload(ChecklistItem.target),
                joinedload(ChecklistItem.evidence_requirement),
            )
            .order_by(ChecklistItem.resubmitted_at)
        )
    )

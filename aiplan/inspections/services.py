"""Scheduling visits, giving verdicts, closing a visit; the decisions forming the team; the queues
and shares supervisors read."""

import dataclasses
from datetime import date, time
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..checklists.services import StaleItem, commit_item
from ..evidence.services import _stream_to_temp
from ..evidence.validation import FileRefused, check_file, display_name, policy_from_config
from ..extensions import db
from ..models import (
    AuditEvent,
    ChecklistItem,
    Inspection,
    InspectionDecision,
    InspectionKind,
    InspectionStatus,
    Plan,
    Role,
    School,
    User,
    Verdict,
    VerdictRecord,
    utcnow,
)
from ..notifications.events import verdict_needs_more
from ..storage import get_storage

# A decision is a signed paper, scanned or typed: PDF, Word, or a photo of it.
DECISION_TYPES = frozenset({"pdf", "doc", "docx", "jpg", "jpeg", "png", "webp"})


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


class NotDoneYet(Exception):
    """ "Đạt" on an item the school has not marked done: given only once the supervisor confirms."""


def lock_visit(inspection: Inspection) -> None:
    """Reload the visit FOR UPDATE (before the audit head, as every writer does), so that a verdict
    and the closing of its visit happen one after the other and a closed visit stays closed."""
    db.session.refresh(inspection, with_for_update=True)


def schedule(
    plan: Plan,
    school: School,
    visit_on: date,
    members: list[User],
    lead: User | None,
    actor,
    *,
    kind: InspectionKind = InspectionKind.MIDTERM,
    decision: InspectionDecision | None = None,
    starts_at: time | None = None,
    ends_at: time | None = None,
) -> Inspection:
    """Plan a visit of the team to a school on any day of the school year, its summing-up period
    included: the plan asks the ward to monitor all year, and the mid-HK II window is only where a
    "giữa kỳ" visit usually falls (the form suggests it). Commits."""
    errors = {}
    if not school.is_active or school.ward_id != plan.ward_id:
        errors["school"] = "Chỉ lên lịch kiểm tra cho trường đang hoạt động của phường."
    if not members:
        errors["members"] = "Chọn ít nhất một thành viên đoàn kiểm tra."
    elif any(m.role is not Role.SUPERVISOR or m.ward_id != plan.ward_id or not m.is_enabled for m in members):
        errors["members"] = "Thành viên đoàn phải là tài khoản đoàn kiểm tra của phường."
    if lead is not None and lead not in members:
        errors["lead"] = "Trưởng đoàn phải là một thành viên của đoàn."
    errors |= visit_errors(plan, visit_on, decision, starts_at, ends_at)
    if errors:
        raise InspectionError(errors)
    inspection = Inspection(
        plan=plan,
        school=school,
        visit_on=visit_on,
        kind=kind,
        decision=decision,
        starts_at=starts_at,
        ends_at=ends_at,
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


def visit_errors(
    plan: Plan, visit_on: date, decision: InspectionDecision | None, starts_at: time | None, ends_at: time | None
) -> dict[str, str]:
    """What is wrong with a visit's day, decision and times, by form field: the day must fall in the
    school year (its summing-up period included), the decision be the plan's and signed by then."""
    year = plan.school_year
    errors = {}
    if not (year.hk1_start <= visit_on <= year.closes_on):
        errors["visit_on"] = (
            f"Ngày kiểm tra phải trong năm học {year.name}: từ {year.hk1_start:%d/%m/%Y} "
            f"đến {year.closes_on:%d/%m/%Y} (kể cả thời gian sơ kết, tổng kết sau năm học)."
        )
    if decision is not None and decision.plan_id != plan.id:
        errors["decision"] = "Chọn một quyết định thành lập đoàn của kế hoạch này."
    elif decision is not None and decision.signed_on > visit_on:
        # The minutes say "Căn cứ Quyết định … ngày …": the team must exist on the day it visits.
        errors["decision"] = (
            f"Quyết định {decision.number} ký ngày {decision.signed_on:%d/%m/%Y}, sau ngày kiểm tra: "
            "đoàn chưa được thành lập vào ngày đó."
        )
    return errors | time_errors(starts_at, ends_at)


def update_details(
    inspection: Inspection,
    *,
    version: int,
    kind: InspectionKind,
    visit_on: date,
    decision: InspectionDecision | None,
    starts_at: time | None,
    ends_at: time | None,
    actor,
) -> Inspection:
    """A ward admin changes an open visit's kind, day, times or the decision it cites (a visit
    scheduled before its decision was signed, or before decisions were recorded at all). A closed
    visit is locked, as for its team. Commits."""
    lock_visit(inspection)
    if inspection.is_closed:
        raise VisitClosed()
    if inspection.version != version:
        raise StaleInspection()
    errors = visit_errors(inspection.plan, visit_on, decision, starts_at, ends_at)
    if errors:
        raise InspectionError(errors)
    before = describe(inspection)
    inspection.kind, inspection.visit_on, inspection.decision = kind, visit_on, decision
    inspection.starts_at, inspection.ends_at = starts_at, ends_at
    audit.record(
        "inspection.update",
        inspection,
        school_id=inspection.school_id,
        actor=actor,
        before=before,
        after=describe(inspection),
    )
    _commit_visit()
    return inspection


def time_errors(starts_at: time | None, ends_at: time | None) -> dict[str, str]:
    """The minutes print when the visit began and ended: an end needs its start, and comes after it."""
    if ends_at is not None and starts_at is None:
        return {"starts_at": "Nhập giờ bắt đầu trước khi nhập giờ kết thúc."}
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        return {"ends_at": f"Giờ kết thúc phải sau giờ bắt đầu ({starts_at:%H:%M})."}
    return {}


def record_decision(
    plan: Plan,
    *,
    number: str,
    signed_on: date,
    signer: str,
    stream: IO[bytes] | None,
    filename: str | None,
    actor,
) -> InspectionDecision:
    """Record a decision forming the inspection team, with its file if one was sent (a PDF, Word
    file or photo, checked against its own bytes as evidence is). The file's blob is put durably
    before the row commits, as for evidence; a refusal leaves no row. Commits."""
    number = number.strip()
    errors = {}
    if not number:
        errors["number"] = "Nhập số quyết định, ví dụ 12/QĐ-UBND."
    if errors:
        raise InspectionError(errors)
    decision = InspectionDecision(
        plan=plan, number=number, signed_on=signed_on, signer=signer.strip(), created_by_id=actor.id
    )
    temps: list[Path] = []
    storage = get_storage()
    try:
        if stream is not None:
            temp, sha256, size = _stream_to_temp(stream, storage, temps)
            policy = policy_from_config(current_app.config)
            policy = dataclasses.replace(policy, allowed=policy.allowed & DECISION_TYPES)
            try:
                accepted = check_file(temp, display_name(filename), policy)
            except FileRefused as refused:
                raise InspectionError({"file": str(refused.reason)}) from None
            storage.put(temp, sha256)
            decision.sha256, decision.size = sha256, size
            decision.content_type, decision.original_name = accepted.content_type, accepted.name
        db.session.add(decision)
        db.session.flush()
        audit.record(
            "inspection.decision",
            decision,
            ward_id=plan.ward_id,
            actor=actor,
            after=describe_decision(decision),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
    return decision


def describe_decision(decision: InspectionDecision) -> dict:
    return {
        "number": decision.number,
        "signed_on": decision.signed_on.isoformat(),
        "signer": decision.signer,
        "file": decision.original_name,
        "sha256": decision.sha256,
        "size": decision.size,
    }


def decisions(plan: Plan) -> list[InspectionDecision]:
    """The plan's decisions forming inspection teams, latest signed first."""
    return list(
        db.session.scalars(
            select(InspectionDecision)
            .where(InspectionDecision.plan_id == plan.id)
            .order_by(InspectionDecision.signed_on.desc(), InspectionDecision.id.desc())
        )
    )


def give_verdict(
    item: ChecklistItem,
    verdict: Verdict,
    reason: str,
    *,
    version: int,
    actor,
    inspection: Inspection | None = None,
    confirmed: bool = False,
) -> ChecklistItem:
    """Record a supervisor's verdict on a school's item (and close its resubmission). Commits.

    "Cần bổ sung" needs a reason. "Đạt" on an item the school has not marked done raises NotDoneYet
    unless `confirmed` (the team may have seen the work itself; the verdict record keeps the
    school's status, and the audit record says it was confirmed). The school's own status is never
    touched. A verdict based on a stale version of the item raises StaleItem, as the school's own
    changes do.
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
    passed_not_done = verdict is Verdict.PASSED and not item.is_done
    if passed_not_done and not confirmed:
        raise NotDoneYet()
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
        }
        | ({"school_status": item.status.value, "confirmed_not_done": True} if passed_not_done else {}),
    )
    verdict_needs_more(item, actor)  # the school's staff are told in the same transaction
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
    starts_at: time | None = None,
    ends_at: time | None = None,
) -> Inspection:
    """Write the visit's conclusion and close it (its minutes can then be signed): from then on its
    verdicts and minutes are locked. Commits."""
    lock_visit(inspection)
    if inspection.is_closed:
        raise VisitClosed()
    if inspection.version != version:
        raise StaleInspection()
    errors = close_errors(conclusion, starts_at, ends_at)
    if errors:
        raise InspectionError(errors)
    before = describe(inspection)
    inspection.starts_at, inspection.ends_at = starts_at, ends_at
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


def close_errors(conclusion: str, starts_at: time | None, ends_at: time | None) -> dict[str, str]:
    """What stops a visit from closing, by form field: its times, and a conclusion written."""
    errors = time_errors(starts_at, ends_at)
    if not conclusion.strip():
        errors["conclusion"] = "Ghi kết luận của đoàn kiểm tra trước khi kết thúc."
    return errors


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
        .order_by(AuditEvent.id.desc())  # seq counts within a ward's chain; id grows across them
        .limit(1)
    )


def describe(inspection: Inspection) -> dict:
    return {
        "school": inspection.school.slug,
        "visit_on": inspection.visit_on.isoformat(),
        # A visit not flushed yet (the demo's) has no kind until the column default fills it in.
        "kind": (inspection.kind or InspectionKind.MIDTERM).value,
        "starts_at": inspection.starts_at.strftime("%H:%M") if inspection.starts_at else None,
        "ends_at": inspection.ends_at.strftime("%H:%M") if inspection.ends_at else None,
        "decision": inspection.decision.number if inspection.decision else None,
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
        .options(
            joinedload(Inspection.school),
            joinedload(Inspection.lead),
            joinedload(Inspection.decision),
            selectinload(Inspection.members),
        )
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

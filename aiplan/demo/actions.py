"""What happened in a demo ward, one event at a time, written as the app's own services write it:
the same rows, the same rules and the same audit records, but dated in the past and without a
commit per event (the generator commits once per ward).

Audit events are recorded through `aiplan.audit.record`, so the hash chain stays valid; their
time is the moment the generator ran (the chain's `at` is not ours to set), while the rows they
describe carry the dates of the school year.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .. import audit
from ..activities.self_evaluation import describe as describe_evaluation
from ..activities.services import describe as describe_activity
from ..activities.services import refresh_target_items
from ..evidence.validation import check_file, policy_from_config
from ..extensions import db
from ..figures.activities import ELECTIVE, INTEGRATION
from ..inspections.services import describe as describe_inspection
from ..models import (
    Activity,
    ChecklistItem,
    CriterionRating,
    EvidenceFile,
    Inspection,
    InspectionStatus,
    ItemStatus,
    Plan,
    Rating,
    School,
    SelfEvaluation,
    User,
    Verdict,
    VerdictRecord,
    Ward,
)
from ..storage import Storage
from . import files


@dataclass
class Counts:
    accounts: int = 0
    schools: int = 0
    items: int = 0
    activities: int = 0
    evaluations: int = 0
    inspections: int = 0
    verdicts: int = 0
    files: int = 0
    bytes: int = 0
    audit_events: int = 0

    def add(self, other: "Counts") -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class WardContext:
    """What the events of one ward share while it is generated."""

    ward: Ward
    plan: Plan
    admin: User
    supervisors: list[User]
    storage: Storage  # the evidence store
    config: dict
    max_file_kb: int
    counts: Counts = field(default_factory=Counts)
    staged: list[tuple[Path, str]] = field(default_factory=list)  # (temporary file, sha256) to store after commit
    current_verdicts: dict[int, VerdictRecord] = field(default_factory=dict)
    evaluations: dict[int, SelfEvaluation] = field(default_factory=dict)
    minutes: int = 0  # inspection minutes numbered in the ward

    @property
    def policy(self):
        return policy_from_config(self.config)


@dataclass
class ActivityHolder:
    """An activity that will exist once its event has run (files and targets refer to it)."""

    values: dict
    row: Activity | None = None

    @property
    def created(self) -> Activity:
        """The row, once its event has run (the timeline runs it before any event that uses it)."""
        assert self.row is not None
        return self.row


@dataclass
class InspectionHolder:
    visit_on: date
    row: Inspection | None = None

    @property
    def created(self) -> Inspection:
        """The row, once its event has run (the timeline runs it before any event that uses it)."""
        assert self.row is not None
        return self.row


def set_status(
    ctx: WardContext, when: datetime, item: ChecklistItem, actor: User, status: ItemStatus, note: str | None = None
) -> None:
    """As checklists.services.update_item: status and/or note, resubmission after a verdict."""
    before = {"status": item.status.value, "note": item.note}
    if status is ItemStatus.DONE and item.status is not ItemStatus.DONE:
        item.completed_at = when
    elif status is not ItemStatus.DONE:
        item.completed_at = None
    item.status = status
    if note is not None:
        item.note = note
    after: dict[str, object] = {"status": item.status.value, "note": item.note}
    if after == before:
        return
    item.updated_at, item.updated_by_id = when, actor.id
    if item.note_school_change(when):
        after["resubmitted"] = True
    audit.record(
        "item.update", item, before=before, after=after, school_id=item.school_id, ward_id=ctx.ward.id, actor=actor
    )


def create_activity(ctx: WardContext, when: datetime, school: School, actor: User, holder: ActivityHolder) -> None:
    """As activities.services.create_activity, then the school's targets computed again."""
    values = dict(holder.values)
    form, areas = values.pop("form"), values.pop("content_areas")
    activity = Activity(
        school=school, plan=ctx.plan, form=form, content_areas=areas, created_at=when, created_by_id=actor.id, **values
    )
    db.session.add(activity)
    holder.row = activity
    audit.record(
        "activity.create",
        activity,
        after=describe_activity(activity),
        school_id=school.id,
        ward_id=ctx.ward.id,
        actor=actor,
    )
    ctx.counts.activities += 1
    if form.code in (INTEGRATION, ELECTIVE):
        # record() has just flushed everything but its own event, so the count sees this activity;
        # skipping the autoflush saves a flush per activity (a third of them in a ward).
        with db.session.no_autoflush:
            changed = refresh_target_items(ctx.plan, school, actor)
        for item in changed:
            item.updated_at = when
            if item.status is ItemStatus.DONE:
                item.completed_at = when


@dataclass
class FileSpec:
    kind: str  # pdf, jpg, docx
    name: str  # as the school would have called it, with its extension
    title: str
    lines: list[str]
    description: str
    restricted: bool
    seed: str  # the file's own random stream: its bytes do not depend on anything else


def upload(
    ctx: WardContext,
    when: datetime,
    school: School,
    actor: User,
    spec: FileSpec,
    item: ChecklistItem | None = None,
    activity: ActivityHolder | None = None,
) -> None:
    """As evidence.services.save_uploads: checked by the store's own rules, recorded, and moved
    into the store just before the ward's commit."""
    rng = random.Random(spec.seed)
    size = files.file_size(spec.kind, rng, ctx.max_file_kb)
    data = files.make_file(spec.kind, size, spec.title, spec.lines, rng)
    out, temp = ctx.storage.new_temp()
    with out:
        out.write(data)
    sha256 = hashlib.sha256(data).hexdigest()
    ctx.staged.append((temp, sha256))
    accepted = check_file(temp, spec.name, ctx.policy)  # a generator bug should fail loudly, not store junk
    file = EvidenceFile(
        school_id=school.id,
        item_id=item.id if item else None,
        activity_id=activity.created.id if activity else None,
        sha256=sha256,
        size=len(data),
        content_type=accepted.content_type,
        original_name=accepted.name,
        description=spec.description,
        restricted=spec.restricted,
        uploaded_at=when,
        uploaded_by_id=actor.id,
    )
    db.session.add(file)
    if item is not None:
        item.note_school_change(when)
    audit.record(
        "evidence.upload",
        file,
        actor=actor,
        school_id=school.id,
        ward_id=ctx.ward.id,
        after={
            "name": file.original_name,
            "size": file.size,
            "sha256": file.sha256,
            "restricted": file.restricted,
            "description": file.description,
            "item_id": file.item_id,
            "activity_id": file.activity_id,
        },
    )
    ctx.counts.files += 1
    ctx.counts.bytes += len(data)


def schedule_inspection(ctx: WardContext, when: datetime, school: School, holder: InspectionHolder) -> None:
    """As inspections.services.schedule, by the ward admin, with both supervisors."""
    inspection = Inspection(
        plan=ctx.plan,
        school=school,
        visit_on=holder.visit_on,
        members=list(ctx.supervisors),
        lead=ctx.supervisors[0],
        status=InspectionStatus.PLANNED,
        conclusion="",
        recommendations="",
        created_at=when,
        created_by_id=ctx.admin.id,
    )
    db.session.add(inspection)
    holder.row = inspection
    audit.record(
        "inspection.create",
        inspection,
        school_id=school.id,
        ward_id=ctx.ward.id,
        actor=ctx.admin,
        after=describe_inspection(inspection),
    )
    ctx.counts.inspections += 1


def give_verdict(
    ctx: WardContext,
    when: datetime,
    item: ChecklistItem,
    actor: User,
    verdict: Verdict,
    reason: str,
    inspection: InspectionHolder | None = None,
) -> None:
    """As inspections.services.give_verdict: the item carries the latest verdict, every one is kept."""
    before = {"verdict": item.verdict.value, "reason": item.verdict_reason}
    item.verdict, item.verdict_reason = verdict, reason if verdict is Verdict.NEEDS_MORE else ""
    item.verified_at, item.verified_by_id, item.resubmitted_at = when, actor.id, None
    previous = ctx.current_verdicts.get(item.id)
    if previous is not None:
        previous.is_current = False
    inspection_id = inspection.created.id if inspection else None
    record = VerdictRecord(
        item_id=item.id,
        inspection_id=inspection_id,
        verdict=verdict,
        reason=item.verdict_reason,
        school_status=item.status.value,
        given_at=when,
        given_by_id=actor.id,
    )
    db.session.add(record)
    ctx.current_verdicts[item.id] = record
    audit.record(
        "item.verdict",
        item,
        school_id=item.school_id,
        ward_id=ctx.ward.id,
        actor=actor,
        before=before,
        after={"verdict": verdict.value, "reason": item.verdict_reason, "inspection": inspection_id},
    )
    ctx.counts.verdicts += 1


def close_inspection(
    ctx: WardContext,
    when: datetime,
    holder: InspectionHolder,
    conclusion: str,
    recommendations: str,
    representative: str,
) -> None:
    """As inspections.services.close, by the team's lead."""
    inspection = holder.created
    before = describe_inspection(inspection)
    ctx.minutes += 1
    inspection.conclusion, inspection.recommendations = conclusion, recommendations
    inspection.school_representative = representative
    inspection.minutes_number = f"{ctx.minutes:02d}/BB-ĐKT"
    inspection.status, inspection.closed_at = InspectionStatus.CLOSED, when
    audit.record(
        "inspection.close",
        inspection,
        school_id=inspection.school_id,
        ward_id=ctx.ward.id,
        actor=inspection.lead,
        before=before,
        after=describe_inspection(inspection),
    )


def save_evaluation(
    ctx: WardContext, when: datetime, school: School, actor: User, ratings: list[tuple[Rating, str]], submit: bool
) -> None:
    """As activities.self_evaluation.save_self_evaluation: a draft, or the submitted evaluation."""
    evaluation = ctx.evaluations.get(school.id)
    before = describe_evaluation(ctx.plan, evaluation) if evaluation is not None else None
    if evaluation is None:
        evaluation = SelfEvaluation(school_id=school.id, plan_id=ctx.plan.id)
        evaluation.ratings = [
            CriterionRating(criterion_id=criterion.id, rating=rating, text=text)
            for criterion, (rating, text) in zip(ctx.plan.criteria, ratings)
        ]
        db.session.add(evaluation)
        ctx.evaluations[school.id] = evaluation
        ctx.counts.evaluations += 1
    if submit:
        evaluation.submitted_at, evaluation.submitted_by_id = when, actor.id
    evaluation.updated_at, evaluation.updated_by_id = when, actor.id
    db.session.flush()
    audit.record(
        "self_evaluation.submit" if submit else "self_evaluation.save",
        evaluation,
        before=before,
        after=describe_evaluation(ctx.plan, evaluation),
        school_id=school.id,
        ward_id=ctx.ward.id,
        actor=actor,
    )

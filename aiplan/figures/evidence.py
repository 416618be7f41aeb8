"""Evidence files as people may see them: who may see which file (restricted files showing pupils are
hidden from viewers and other schools), the files on items and activities, and a school's evidence in
the plan's numbering, as its report lists it and its bundle files it."""

from dataclasses import dataclass, field

from flask import g
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..access import can_read_file, can_see_restricted_file
from ..extensions import db
from ..models import (
    Activity,
    ChecklistItem,
    DeliveryForm,
    EvidenceFile,
    ItemKind,
    Plan,
    Resource,
    School,
)
from ..storage import StoreUnavailable, get_storage
from .labels import capitalised, item_code, item_label


def may_see(user, file: EvidenceFile) -> bool:
    """Whether `user` may see a live file in a list: their school's (or their ward's own), and not
    restricted from them."""
    return can_read_file(user, file) and (not file.restricted or can_see_restricted_file(user, file))


def _live_files():
    return (
        select(EvidenceFile)
        .where(EvidenceFile.deleted_at.is_(None))
        .options(joinedload(EvidenceFile.school), joinedload(EvidenceFile.uploaded_by))
        .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
    )


def files_for_items(item_ids: list[int], user) -> dict[int, list[EvidenceFile]]:
    """The files `user` may see on each of these checklist items (every id is a key), in one query."""
    by_item: dict[int, list[EvidenceFile]] = {item_id: [] for item_id in item_ids}
    if not by_item:
        return by_item
    for file in db.session.scalars(_live_files().where(EvidenceFile.item_id.in_(list(by_item)))).unique():
        if may_see(user, file):
            by_item[file.item_id].append(_note_lost(file))
    return by_item


def files_for_activity(activity_id: int, user) -> list[EvidenceFile]:
    """The files `user` may see on an activity, in one query."""
    files = db.session.scalars(_live_files().where(EvidenceFile.activity_id == activity_id)).unique()
    return [_note_lost(file) for file in files if may_see(user, file)]


def files_for_resource(resource_id: int, user) -> list[EvidenceFile]:
    """The files `user` may see on an entry of the resources register, in one query."""
    files = db.session.scalars(_live_files().where(EvidenceFile.resource_id == resource_id)).unique()
    return [_note_lost(file) for file in files if may_see(user, file)]


def _note_lost(file: EvidenceFile) -> EvidenceFile:
    """Mark a file whose bytes are not in the store (lost before uploads were crash-safe, or to a
    disk fault; `evidence check` names it): the list shows it, says it must be uploaded again,
    and offers no download. One stat per listed file (an S3 store remembers the blobs it has
    seen). A store that cannot be reached marks nothing lost, and is not asked again for the rest
    of the request: the page shows, and a download says the store is unavailable."""
    file.lost = False
    if g.get("evidence_store_down"):
        return file
    try:
        file.lost = not get_storage().looks_stored(file.sha256)
    except StoreUnavailable:
        g.evidence_store_down = True
    return file


def live_file_count(item_id: int) -> int:
    """How many files (not deleted, restricted or not) an item has: evidence it can be marked done with."""
    return db.session.execute(
        select(func.count())
        .select_from(EvidenceFile)
        .where(EvidenceFile.item_id == item_id, EvidenceFile.deleted_at.is_(None))
    ).scalar_one()


def deleted_files(ward_id: int, limit: int = 500) -> list[EvidenceFile]:
    """The ward's deleted files, its schools' and its own records' alike, most recently deleted
    first, with what the restore page shows."""
    ward_items = (
        select(ChecklistItem.id)
        .join(Plan, ChecklistItem.plan_id == Plan.id)
        .where(Plan.ward_id == ward_id, ChecklistItem.school_id.is_(None))
    )
    ward_activities = (
        select(Activity.id)
        .join(Plan, Activity.plan_id == Plan.id)
        .where(Plan.ward_id == ward_id, Activity.school_id.is_(None))
    )
    ward_resources = (
        select(Resource.id)
        .join(Plan, Resource.plan_id == Plan.id)
        .where(Plan.ward_id == ward_id, Resource.school_id.is_(None))
    )
    return list(
        db.session.scalars(
            select(EvidenceFile)
            .outerjoin(School)
            .where(
                or_(
                    School.ward_id == ward_id,
                    EvidenceFile.item_id.in_(ward_items),
                    EvidenceFile.activity_id.in_(ward_activities),
                    EvidenceFile.resource_id.in_(ward_resources),
                ),
                EvidenceFile.deleted_at.is_not(None),
            )
            .options(
                joinedload(EvidenceFile.school),
                joinedload(EvidenceFile.uploaded_by),
                joinedload(EvidenceFile.activity).joinedload(Activity.plan),
                joinedload(EvidenceFile.resource).joinedload(Resource.plan),
                joinedload(EvidenceFile.item).joinedload(ChecklistItem.plan),
                joinedload(EvidenceFile.item).joinedload(ChecklistItem.milestone),
                joinedload(EvidenceFile.item).joinedload(ChecklistItem.target),
                joinedload(EvidenceFile.item).joinedload(ChecklistItem.evidence_requirement),
            )
            .order_by(EvidenceFile.deleted_at.desc(), EvidenceFile.id.desc())
            .limit(limit)
        ).unique()
    )


@dataclass
class EvidenceGroup:
    """The files of one checklist item or one activity, as the report lists them and the bundle files them."""

    code: str  # "03", "PL2-STT1.2", "HD01": folder prefix in the bundle, in the plan's numbering
    label: str  # "Mốc 3: Xây dựng kế hoạch…", in the plan's own words
    title: str  # "Xây dựng kế hoạch…": the item's or activity's own title
    files: list[EvidenceFile] = field(default_factory=list)


@dataclass
class SchoolEvidence:
    groups: list[EvidenceGroup]
    restricted: int  # restricted files: counted, never named

    @property
    def files(self) -> list[EvidenceFile]:
        return [file for group in self.groups for file in group.files]


def school_evidence(plan: Plan, school: School) -> SchoolEvidence:
    """The school's live, non-restricted evidence files of the plan, by item and activity in the plan's
    order, and how many restricted files were left out; one query.

    Files stay in even when their checklist item was retired or their activity deleted: deleting an
    activity leaves its files live, and the rollup counts them too (figures.rollup._evidence_counts)."""
    files = (
        db.session.scalars(
            select(EvidenceFile)
            .outerjoin(ChecklistItem, EvidenceFile.item_id == ChecklistItem.id)
            .outerjoin(Activity, EvidenceFile.activity_id == Activity.id)
            .outerjoin(DeliveryForm, Activity.form_id == DeliveryForm.id)
            .where(
                EvidenceFile.school_id == school.id,
                EvidenceFile.deleted_at.is_(None),
                or_(ChecklistItem.plan_id == plan.id, Activity.plan_id == plan.id),
            )
            .options(
                contains_eager(EvidenceFile.item).options(
                    joinedload(ChecklistItem.milestone),
                    joinedload(ChecklistItem.target),
                    joinedload(ChecklistItem.evidence_requirement),
                ),
                contains_eager(EvidenceFile.activity).contains_eager(Activity.form),
            )
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)
        )
        .unique()
        .all()
    )
    shown = [file for file in files if not file.restricted]
    activities = sorted(
        {file.activity for file in shown if file.activity is not None},
        key=lambda a: (a.form.position if a.form else 0, a.starts_on or a.created_at.date(), a.id),
    )
    activity_codes = {activity.id: f"HD{n:02d}" for n, activity in enumerate(activities, start=1)}
    groups: dict[tuple, EvidenceGroup] = {}
    for file in shown:  # milestones, then activities, then Phụ lục II: the order of their codes
        item, activity = file.item, file.activity
        key: tuple[int, int | str, int]
        if item is not None:
            key = (0 if item.kind is ItemKind.MILESTONE else 2, item.position, item.id)
            if key not in groups:
                groups[key] = EvidenceGroup(item_code(item), item_label(item), capitalised(item.title))
        else:
            assert activity is not None  # a file belongs to an item or an activity (check constraint "attached")
            key = (1, activity_codes[activity.id], activity.id)
            if key not in groups:
                kind = "Hoạt động đã xóa" if activity.deleted_at is not None else "Hoạt động"
                groups[key] = EvidenceGroup(activity_codes[activity.id], f"{kind}: {activity.title}", activity.title)
        groups[key].files.append(file)
    return SchoolEvidence([groups[key] for key in sorted(groups)], restricted=len(files) - len(shown))

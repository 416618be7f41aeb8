"""Partners: the rules, recording, editing and deleting them, their agreement files, and carrying
them into the next school year. Every write commits together with its audit record."""

from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..database import committing
from ..evidence.services import Upload, UploadRefused, _stream_to_temp, clean_description
from ..evidence.validation import FileRefused, check_file, display_name, policy_from_config
from ..extensions import db
from ..inputs import BadEmail, clean_email
from ..models import Activity, EvidenceFile, Partner, PartnerKind, Plan, School, utcnow
from ..storage import get_storage

TEXT_FIELDS = ("name", "contact_person", "phone", "notes")


class PartnerRefused(Exception):
    """A write the services would not carry out; nothing was changed."""


class InvalidPartner(PartnerRefused):
    def __init__(self, errors: dict):
        self.errors = errors  # field name -> message
        super().__init__(f"rules broken: {', '.join(errors)}")


class StalePartner(PartnerRefused):
    """The partner changed after the form was loaded."""


def check_partner(values: dict, activities: list[Activity]) -> dict:
    """field name -> message for each rule `values` break; `activities` are those that may be picked."""
    errors = {}
    if not values.get("name"):
        errors["name"] = _l("Nhập tên đối tác.")
    if values.get("kind") not in {kind.value for kind in PartnerKind}:
        errors["kind"] = _l("Chọn loại đối tác trong danh sách.")
    try:
        values["email"] = clean_email(values.get("email"))
    except BadEmail as bad:
        errors["email"] = str(bad)
    starts, ends = values.get("agreement_from"), values.get("agreement_to")
    if starts and ends and ends < starts:
        errors["agreement_to"] = _l("Ngày kết thúc thỏa thuận không được trước ngày bắt đầu.")
    if not set(values.get("activity_ids", [])) <= {activity.id for activity in activities}:
        errors["activity_ids"] = _l("Chọn hoạt động trong danh sách.")
    return errors


def create_partner(plan: Plan, school: School | None, values: dict, activities: list[Activity], actor) -> Partner:
    """Record a partner of `school` (None: of the ward) under `plan`, both from the URL. Commits."""
    errors = check_partner(values, activities)
    if errors:
        raise InvalidPartner(errors)
    with _transaction():
        partner = Partner(plan_id=plan.id, school_id=school.id if school else None, created_by_id=actor.id)
        _assign(partner, values, activities)
        db.session.add(partner)
        db.session.flush()
        audit.record(
            "partner.create",
            partner,
            after=describe(partner),
            school_id=partner.school_id,
            ward_id=plan.ward_id,
            actor=actor,
        )
    return partner


def update_partner(partner: Partner, values: dict, version: int, activities: list[Activity], actor) -> bool:
    """Apply an edit made on `version`; StalePartner if it changed since. Whether anything changed. Commits."""
    if version != partner.version:
        raise StalePartner()
    errors = check_partner(values, activities)
    if errors:
        raise InvalidPartner(errors)
    before = describe(partner)
    _assign(partner, values, activities)
    after = describe(partner)
    if after == before:
        db.session.rollback()
        return False
    with _transaction():
        partner.updated_at, partner.updated_by_id = utcnow(), actor.id
        audit.record(
            "partner.update",
            partner,
            before=before,
            after=after,
            school_id=partner.school_id,
            ward_id=partner.plan.ward_id,
            actor=actor,
        )
    return True


def delete_partner(partner: Partner, version: int, actor) -> None:
    """Mark the partner deleted (the row, its files and its history stay). Commits."""
    if version != partner.version:
        raise StalePartner()
    before = describe(partner)
    with _transaction():
        partner.deleted_at = partner.updated_at = utcnow()
        partner.updated_by_id = actor.id
        audit.record(
            "partner.delete",
            partner,
            before=before,
            after=describe(partner),
            school_id=partner.school_id,
            ward_id=partner.plan.ward_id,
            actor=actor,
        )


def describe(partner: Partner) -> dict:
    """The partner as the audit log keeps it."""
    return {
        "name": partner.name,
        "kind": partner.kind.value if partner.kind else None,
        "contact_person": partner.contact_person,
        "phone": partner.phone,
        "email": partner.email,
        "agreement_from": _iso(partner.agreement_from),
        "agreement_to": _iso(partner.agreement_to),
        "notes": partner.notes,
        "activities": sorted(activity.id for activity in partner.activities),
        "deleted": partner.deleted_at is not None,
    }


def _assign(partner: Partner, values: dict, activities: list[Activity]) -> None:
    for name in TEXT_FIELDS:
        setattr(partner, name, values[name])
    partner.kind = PartnerKind(values["kind"])
    partner.email = values["email"]
    partner.agreement_from, partner.agreement_to = values["agreement_from"], values["agreement_to"]
    wanted = set(values["activity_ids"])
    partner.activities = [activity for activity in activities if activity.id in wanted]


def _transaction():
    return committing(StalePartner)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# -- agreement files ---------------------------------------------------------------------------


def save_agreement(partner: Partner, uploads: list[Upload], actor) -> list[EvidenceFile]:
    """Store the partner's agreement files as evidence files of the partner: all of them, or none
    (UploadRefused). Checked against their own bytes and stored as evidence is (the blob durably
    before its row). Commits."""
    policy = policy_from_config(current_app.config)
    storage = get_storage()
    temps: list[Path] = []
    staged, problems = [], []
    try:
        for upload in uploads:
            name = display_name(upload.filename)
            temp, sha256, size = _stream_to_temp(upload.stream, storage, temps)
            try:
                accepted = check_file(temp, name, policy)
            except FileRefused as refused:
                problems.append((name, refused.reason))
                continue
            staged.append(
                (
                    temp,
                    EvidenceFile(
                        school_id=partner.school_id,
                        partner_id=partner.id,
                        sha256=sha256,
                        size=size,
                        content_type=accepted.content_type,
                        original_name=accepted.name,
                        description=clean_description(upload.description),
                        restricted=bool(upload.restricted),
                        uploaded_at=utcnow(),
                        uploaded_by_id=actor.id,
                    ),
                )
            )
        if problems:
            raise UploadRefused(problems)
        for temp, file in staged:
            storage.put(temp, file.sha256)
        db.session.add_all(file for _, file in staged)
        db.session.flush()
        for _, file in staged:
            audit.record(
                "evidence.upload",
                file,
                actor=actor,
                school_id=file.school_id,
                ward_id=partner.plan.ward_id,
                after={
                    "name": file.original_name,
                    "size": file.size,
                    "sha256": file.sha256,
                    "restricted": file.restricted,
                    "description": file.description,
                    "partner_id": partner.id,
                },
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
    return [file for _, file in staged]


# -- the year rollover -------------------------------------------------------------------------


def carry_over(source: Plan, target: Plan, actor=None) -> int:
    """Copy the live partners of `source`'s year (the schools' still active, and the ward's) into
    `target`'s, with their agreement files (the same blobs) but not their activities, which stay
    with their year. Does not commit: the rollover commits it with the new year. The count."""
    partners = db.session.scalars(
        select(Partner).where(Partner.plan_id == source.id, Partner.deleted_at.is_(None)).order_by(Partner.id)
    ).all()
    files = db.session.scalars(
        select(EvidenceFile).where(
            EvidenceFile.partner_id.in_([p.id for p in partners]), EvidenceFile.deleted_at.is_(None)
        )
    ).all()
    copies = []
    for old in partners:
        if old.school is not None and not old.school.is_active:
            continue
        new = Partner(
            plan=target,
            school_id=old.school_id,
            name=old.name,
            kind=old.kind,
            contact_person=old.contact_person,
            phone=old.phone,
            email=old.email,
            agreement_from=old.agreement_from,
            agreement_to=old.agreement_to,
            notes=old.notes,
            carried_from_id=old.id,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(new)
        copies.append((old, new))
    db.session.flush()
    by_old = {old.id: new for old, new in copies}
    for file in files:
        copy = by_old.get(file.partner_id) if file.partner_id is not None else None
        if copy is None:
            continue
        db.session.add(
            EvidenceFile(
                school_id=file.school_id,
                partner_id=copy.id,
                sha256=file.sha256,
                size=file.size,
                content_type=file.content_type,
                original_name=file.original_name,
                description=file.description,
                restricted=file.restricted,
                uploaded_at=file.uploaded_at,
                uploaded_by_id=file.uploaded_by_id,
            )
        )
    if copies:
        audit.record(
            "partner.carry_over",
            target,
            ward_id=target.ward_id,
            actor=actor,
            after={"from": source.school_year.name, "partners": len(copies)},
        )
    return len(copies)

"""Writing the resources register: entries of a school or of the ward, each change audited with what
was there before, the four conditions of a contribution confirmed only together (by whom, when)."""

from .. import audit
from ..database import committing
from ..extensions import db
from ..models import Condition, Plan, Resource, School, utcnow

FIELDS = ("kind", "source", "amount_vnd", "in_kind", "purpose", "received_on", *(c.column for c in Condition))


class StaleResource(Exception):
    """The entry changed since the form was loaded."""


def describe(resource: Resource) -> dict:
    data = {name: getattr(resource, name) for name in FIELDS}
    data["kind"] = resource.kind.value
    data["received_on"] = resource.received_on.isoformat() if resource.received_on else None
    data["confirmed"] = resource.confirmed_at is not None
    data["resource_source"] = data.pop("source")  # "source" is the plan file's in the audit log's labels
    return data


def _assign(resource: Resource, values: dict, actor) -> None:
    for name in FIELDS:
        setattr(resource, name, values[name])
    if not values["confirm"] or resource.missing_conditions:
        resource.confirmed_at = resource.confirmed_by_id = None
    elif resource.confirmed_at is None:
        resource.confirmed_at, resource.confirmed_by_id = utcnow(), actor.id


def _ward_id(plan: Plan, school: School | None) -> int:
    return school.ward_id if school is not None else plan.ward_id


def create_resource(plan: Plan, school: School | None, values: dict, actor) -> Resource:
    """Add an entry to a school's register (or the ward's own, school None). Commits."""
    resource = Resource(plan_id=plan.id, school_id=school.id if school else None, created_by_id=actor.id)
    resource.created_at = utcnow()
    _assign(resource, values, actor)
    db.session.add(resource)
    with _transaction():
        audit.record(
            "resource.create",
            resource,
            after=describe(resource),
            school_id=resource.school_id,
            ward_id=_ward_id(plan, school),
            actor=actor,
        )
    return resource


def update_resource(resource: Resource, values: dict, version: int, actor) -> bool:
    """Apply an edit made on `version`; StaleResource if the entry changed since. Commits."""
    if version != resource.version:
        raise StaleResource()
    before = describe(resource)
    _assign(resource, values, actor)
    after = describe(resource)
    if after == before:
        db.session.rollback()
        return False
    with _transaction():
        resource.updated_at, resource.updated_by_id = utcnow(), actor.id
        audit.record(
            "resource.update",
            resource,
            before=before,
            after=after,
            school_id=resource.school_id,
            ward_id=_ward_id(resource.plan, resource.school),
            actor=actor,
        )
    return True


def delete_resource(resource: Resource, version: int, actor) -> None:
    """Mark the entry deleted (the row and its history stay). Commits."""
    if version != resource.version:
        raise StaleResource()
    before = describe(resource)
    with _transaction():
        resource.deleted_at = resource.updated_at = utcnow()
        resource.updated_by_id = actor.id
        audit.record(
            "resource.delete",
            resource,
            before=before,
            after={"deleted": True},
            school_id=resource.school_id,
            ward_id=_ward_id(resource.plan, resource.school),
            actor=actor,
        )


def _transaction():
    return committing(StaleResource)

"""The ward's own activities: its conference (milestone 2) with who attended, its outreach to parents
and residents, the training it organises, and anything else it does under the plan.

They are Activity rows without a school (see models.activity): a kind instead of a delivery form,
the ward checklist item they prove, and files through the same evidence pipeline as the schools'.
Every write commits together with its audit record, and an edit made on an older version is refused
(StaleActivity), as for a school's activities.
"""

from flask_babel import lazy_gettext as _l

from .. import audit
from ..extensions import db
from ..models import Activity, Attendee, ChecklistItem, Plan, WardActivityKind, utcnow
from .services import MAX_COUNT, InvalidActivity, StaleActivity, _id, _iso, _transaction

FIELDS = ("title", "participants", "starts_on", "ends_on", "place", "notes")


def check_ward_activity(plan: Plan, items: list[ChecklistItem], values: dict) -> dict:
    """The rules for a ward activity: field name -> message for each one broken. `items` are the
    ward's current checklist items, the only ones an activity may prove."""
    errors = {}
    if values.get("ward_kind") not in {kind.value for kind in WardActivityKind}:
        errors["ward_kind"] = _l("Chọn loại hoạt động trong danh sách.")
    if not values.get("title"):
        errors["title"] = _l("Nhập tên hoạt động.")
    participants = values.get("participants", 0)
    if not 0 <= participants <= MAX_COUNT:
        errors["participants"] = _l("Nhập một số từ %(min)d đến %(max)d.", min=0, max=MAX_COUNT)
    if not set(values.get("attendees", [])) <= {member.value for member in Attendee}:
        errors["attendees"] = _l("Chọn thành phần trong danh sách.")
    item_id = values.get("item_id")
    if item_id and item_id not in {item.id for item in items if item.plan_id == plan.id and item.school_id is None}:
        errors["item_id"] = _l("Chọn một mốc trong danh sách.")
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on is None:
        errors["starts_on"] = _l("Nhập ngày bắt đầu.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _l("Ngày kết thúc không được trước ngày bắt đầu.")
    return errors


def create_ward_activity(plan: Plan, items: list[ChecklistItem], values: dict, actor) -> Activity:
    """Record an activity of the ward itself under `plan` (from the request, never from the form). Commits."""
    errors = check_ward_activity(plan, items, values)
    if errors:
        raise InvalidActivity(errors)
    with _transaction():
        activity = Activity(school_id=None, plan_id=plan.id, created_by_id=_id(actor))
        _assign(activity, values)
        db.session.add(activity)
        db.session.flush()
        audit.record("activity.create", activity, after=describe(activity), ward_id=plan.ward_id, actor=actor)
    return activity


def update_ward_activity(activity: Activity, items: list[ChecklistItem], values: dict, version: int, actor) -> bool:
    """Apply an edit made on `version`; refuse it if the activity changed since. Returns whether
    anything changed. Commits."""
    if version != activity.version:
        raise StaleActivity()
    errors = check_ward_activity(activity.plan, items, values)
    if errors:
        raise InvalidActivity(errors)
    before = describe(activity)
    _assign(activity, values)
    after = describe(activity)
    if after == before:
        db.session.rollback()
        return False
    with _transaction():
        activity.updated_at, activity.updated_by_id = utcnow(), _id(actor)
        audit.record(
            "activity.update", activity, before=before, after=after, ward_id=activity.plan.ward_id, actor=actor
        )
    return True


def delete_ward_activity(activity: Activity, version: int, actor) -> None:
    """Mark the activity deleted (the row, its files and its history stay). Commits."""
    if version != activity.version:
        raise StaleActivity()
    before = describe(activity)
    with _transaction():
        activity.deleted_at = activity.updated_at = utcnow()
        activity.updated_by_id = _id(actor)
        audit.record(
            "activity.delete",
            activity,
            before=before,
            after=describe(activity),
            ward_id=activity.plan.ward_id,
            actor=actor,
        )


def describe(activity: Activity) -> dict:
    """The ward activity as the audit log keeps it."""
    return {
        "kind": activity.ward_kind.value if activity.ward_kind else None,
        "title": activity.title,
        "item_id": activity.item_id,
        "participants": activity.participants,
        "attendees": activity.attendees,
        "starts_on": _iso(activity.starts_on),
        "ends_on": _iso(activity.ends_on),
        "place": activity.place,
        "notes": activity.notes,
        "deleted": activity.deleted_at is not None,
    }


def _assign(activity: Activity, values: dict) -> None:
    activity.ward_kind = WardActivityKind(values["ward_kind"])
    activity.item_id = values.get("item_id") or None
    wanted = set(values.get("attendees", []))
    activity.attendees = ",".join(member.value for member in Attendee if member.value in wanted)
    for name in FIELDS:
        setattr(activity, name, values[name])

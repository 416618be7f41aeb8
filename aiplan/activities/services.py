"""AI activities: the rules they follow, recording them, and the targets of Phụ lục II computed from them.

Every write here commits together with its audit record and with the target items it moves.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit
from ..database import committing
from ..extensions import db
from ..figures.activities import (
    ELECTIVE,
    INTEGRATION,
    target_actuals,
    target_status,
)
from ..models import Activity, ChecklistItem, ItemKind, ItemStatus, Plan, School, utcnow

MAX_COUNT = 100_000


class ActivityRefused(Exception):
    """A write the services would not carry out; nothing was changed."""


class InvalidActivity(ActivityRefused):
    def __init__(self, errors: dict):
        self.errors = errors  # field name -> message
        super().__init__(f"rules broken: {', '.join(errors)}")  # the messages are translated where shown


class StaleActivity(ActivityRefused):
    """The activity changed after the form was loaded: the change would overwrite someone else's."""


# -- reading ---------------------------------------------------------------------------------


def date_warnings(plan: Plan, activity: Activity) -> list[str]:
    """Dates outside the plan's school year: allowed (summer training happens) but worth a second look."""
    year = plan.school_year
    outside = [
        day for day in (activity.starts_on, activity.ends_on) if day and not year.hk1_start <= day <= year.closes_on
    ]
    return [
        _l(
            "Ngày %(date)s nằm ngoài năm học %(year)s (%(start)s – %(end)s); hãy kiểm tra lại.",
            date=day.strftime("%d/%m/%Y"),
            year=year.name,
            start=year.hk1_start.strftime("%d/%m/%Y"),
            end=year.closes_on.strftime("%d/%m/%Y"),
        )
        for day in outside
    ]


# -- rules and writes ------------------------------------------------------------------------


def check_activity(plan: Plan, values: dict) -> dict:
    """The plan's rules for an activity: field name -> message for each one broken."""
    errors = {}
    form = next((f for f in plan.delivery_forms if f.id == values.get("form_id")), None)
    if form is None:
        errors["form_id"] = _l("Chọn một hình thức trong danh sách.")
    elif form.code == INTEGRATION and not values.get("subject"):
        errors["subject"] = _l("Hình thức 2.1 (lồng ghép trong môn học) cần ghi môn học, ví dụ Tin học.")
    elif form.code == ELECTIVE and not values.get("class_name"):
        errors["class_name"] = _l("Lớp thí điểm (hình thức 2.2) cần ghi tên lớp, ví dụ 4A1.")
    if not values.get("title"):
        errors["title"] = _l("Nhập tên hoạt động.")
    for name in ("participants", "lessons"):
        if not 0 <= values.get(name, 0) <= MAX_COUNT:
            errors[name] = _l("Nhập một số từ %(min)d đến %(max)d.", min=0, max=MAX_COUNT)
    area_ids = {area.id for area in plan.content_areas}
    if not set(values.get("content_area_ids", [])) <= area_ids:
        errors["content_area_ids"] = _l("Chọn nội dung trong danh sách.")
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if starts_on is None:
        errors["starts_on"] = _l("Nhập ngày bắt đầu.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _l("Ngày kết thúc không được trước ngày bắt đầu.")
    return errors


def create_activity(plan: Plan, school: School, values: dict, actor=None) -> Activity:
    """Record a new activity of `school` under `plan` (both from the URL, never from the form). Commits."""
    errors = check_activity(plan, values)
    if errors:
        raise InvalidActivity(errors)
    with _transaction():
        activity = Activity(school_id=school.id, plan_id=plan.id, created_by_id=_id(actor))
        _assign(activity, plan, values)
        db.session.add(activity)
        db.session.flush()
        audit.record(
            "activity.create",
            activity,
            after=describe(activity),
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
        refresh_target_items(plan, school, actor)
    return activity


def update_activity(activity: Activity, values: dict, version: int, actor=None) -> bool:
    """Apply an edit made on `version` of the activity; refuse it if the activity changed since.

    Returns whether anything changed. Commits.
    """
    if version != activity.version:
        raise StaleActivity()
    errors = check_activity(activity.plan, values)
    if errors:
        raise InvalidActivity(errors)
    before = describe(activity)
    _assign(activity, activity.plan, values)
    after = describe(activity)
    if after == before:
        db.session.rollback()
        return False
    with _transaction():
        activity.updated_at, activity.updated_by_id = utcnow(), _id(actor)
        audit.record(
            "activity.update",
            activity,
            before=before,
            after=after,
            school_id=activity.school_id,
            ward_id=school_of(activity).ward_id,
            actor=actor,
        )
        refresh_target_items(activity.plan, school_of(activity), actor)
    return True


def delete_activity(activity: Activity, version: int, actor=None) -> None:
    """Mark the activity deleted (the row and its history stay), if nobody changed it since `version`. Commits."""
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
            school_id=activity.school_id,
            ward_id=school_of(activity).ward_id,
            actor=actor,
        )
        refresh_target_items(activity.plan, school_of(activity), actor)


def school_of(activity: Activity) -> School:
    """The school of one of the schools' activities (the ward's own are written by activities.ward)."""
    assert activity.school is not None
    return activity.school


def describe(activity: Activity) -> dict:
    """The activity as the audit log keeps it."""
    assert activity.form is not None  # a school's activity (constraint "owner")
    return {
        "form": activity.form.code,
        "title": activity.title,
        "subject": activity.subject,
        "grade": activity.grade,
        "class_name": activity.class_name,
        "participants": activity.participants,
        "lessons": activity.lessons,
        "content_areas": [area.code for area in activity.content_areas],
        "starts_on": _iso(activity.starts_on),
        "ends_on": _iso(activity.ends_on),
        "products": activity.products,
        "notes": activity.notes,
        "deleted": activity.deleted_at is not None,
    }


def _assign(activity: Activity, plan: Plan, values: dict) -> None:
    activity.form = next(f for f in plan.delivery_forms if f.id == values["form_id"])
    for name in (
        "title",
        "subject",
        "grade",
        "class_name",
        "participants",
        "lessons",
        "starts_on",
        "ends_on",
        "products",
        "notes",
    ):
        setattr(activity, name, values[name])
    wanted = set(values["content_area_ids"])
    activity.content_areas = [area for area in plan.content_areas if area.id in wanted]


def _transaction():
    return committing(StaleActivity)


def _id(actor):
    return getattr(actor, "id", None)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# -- targets computed from activities ----------------------------------------------------------


def refresh_target_items(plan: Plan, school: School, actor=None) -> list[ChecklistItem]:
    """Set the status of the school's target items (ItemKind.TARGET) from its activities. Does not commit.

    Target items are computed, never ticked: done when the target is met, in progress when
    something counts but not enough, not started otherwise. They must not be set by hand;
    the status-setting view refuses them. Every activity write calls this in its own
    transaction; each status change gets an audit record. Returns the items that changed.
    """
    # Lock the items first, so two writes for the same school count one after the other.
    items = db.session.scalars(
        select(ChecklistItem)
        .where(
            ChecklistItem.plan_id == plan.id,
            ChecklistItem.school_id == school.id,
            ChecklistItem.kind == ItemKind.TARGET,
            ChecklistItem.retired.is_(False),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if not items:
        return []
    actuals = target_actuals(plan, [school])
    changed = []
    for item in items:
        assert item.target_id is not None  # a TARGET item names its target
        actual = actuals.get((school.id, item.target_id))
        if actual is None:
            continue  # the target no longer applies; the next checklist sync retires the item
        status = target_status(actual)
        if item.status is status:
            continue
        before = {"status": item.status.value}
        item.status = status
        item.completed_at = utcnow() if status is ItemStatus.DONE else None
        item.updated_at, item.updated_by_id = utcnow(), _id(actor)
        audit.record(
            "item.target_computed",
            item,
            before=before,
            after={"status": status.value},
            school_id=school.id,
            ward_id=school.ward_id,
            actor=actor,
        )
        changed.append(item)
    return changed

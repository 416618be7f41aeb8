"""AI activities: the rules they follow, recording them, and the targets of Phụ lục II computed from them.

Every write here commits together with its audit record and with the target items it moves.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..database import among
from ..extensions import db
from ..models import Activity, ChecklistItem, DeliveryForm, ItemKind, ItemStatus, Plan, School, utcnow

# The delivery forms the rules and targets depend on, by their code in the plan file.
INTEGRATION = "2.1"  # lồng ghép trong môn học: names its subject; proves target STT 5
ELECTIVE = "2.2"  # chuyên đề học tập lựa chọn: a pilot class; counts for targets STT 1 and 4
MAX_COUNT = 100_000


def N_(message: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return message


def _translate(message: str, **params) -> str:
    """In the reader's language during a request; in the plan's Vietnamese elsewhere (CLI, exports)."""
    if has_request_context():
        return gettext(message, **params)
    return message % params if params else message


class ActivityRefused(Exception):
    """A write the services would not carry out; nothing was changed."""


class InvalidActivity(ActivityRefused):
    def __init__(self, errors: dict):
        self.errors = errors  # field name -> message
        super().__init__(f"rules broken: {', '.join(errors)}")  # the messages are translated where shown


class StaleActivity(ActivityRefused):
    """The activity changed after the form was loaded: the change would overwrite someone else's."""


# -- reading ---------------------------------------------------------------------------------


def school_activities(plan: Plan, school: School) -> list[Activity]:
    """The school's current activities under the plan, with their form and content areas (two queries)."""
    return list(
        db.session.scalars(
            select(Activity)
            .join(Activity.form)
            .where(Activity.plan_id == plan.id, Activity.school_id == school.id, Activity.deleted_at.is_(None))
            .options(contains_eager(Activity.form), selectinload(Activity.content_areas))
            .order_by(DeliveryForm.position, Activity.starts_on, Activity.id)
        )
    )


@dataclass
class FormGroup:
    """The activities of one delivery form with their totals."""

    form: DeliveryForm
    activities: list[Activity] = field(default_factory=list)

    @property
    def teaching(self) -> bool:
        """A form of section II.2 reaches pupils; the others reach teachers, parents or the community."""
        return bool(self.form.section)

    @property
    def participants(self) -> int:
        return sum(a.participants for a in self.activities)

    @property
    def lessons(self) -> int:
        return sum(a.lessons for a in self.activities)


def group_by_form(plan: Plan, activities: list[Activity]) -> list[FormGroup]:
    """Every delivery form of the plan, in the plan's order, with its activities (possibly none)."""
    groups = {form.id: FormGroup(form) for form in plan.delivery_forms}
    for activity in activities:
        groups[activity.form_id].activities.append(activity)
    return list(groups.values())


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
            ward_id=activity.school.ward_id,
            actor=actor,
        )
        refresh_target_items(activity.plan, activity.school, actor)
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
            ward_id=activity.school.ward_id,
            actor=actor,
        )
        refresh_target_items(activity.plan, activity.school, actor)


def describe(activity: Activity) -> dict:
    """The activity as the audit log keeps it."""
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


@contextmanager
def _transaction():
    """Commit what the block adds, or roll all of it back; a concurrent save of the row is StaleActivity."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        # Another request saved the same row between our read and our write.
        db.session.rollback()
        raise StaleActivity() from None
    except BaseException:
        db.session.rollback()
        raise


def _id(actor):
    return getattr(actor, "id", None)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# -- targets computed from activities ----------------------------------------------------------


@dataclass(frozen=True)
class TargetActual:
    """A target of Phụ lục II for one school, against what its activities show."""

    value: int
    minimum: int
    unit: str
    met: bool
    text: str  # for people, e.g. "2/1 lớp"
    activities: int = 0  # how many activities count towards it


def target_actuals(plan: Plan, schools: list[School]) -> dict[tuple[int, int], TargetActual]:
    """Each target that applies to each school, keyed (school_id, target_id), in at most two queries
    whatever the number of schools (the plan's targets if not loaded yet, then one grouped count).

    - "elective_classes" (STT 1, 4): the school's activities of form 2.2 (pilot classes); met at
      `measure_min` or more.
    - "integration_share" (STT 5): per school, 1 when it has at least one activity of form 2.1, else 0;
      met at 1. The ward-wide share is `integration_share`.
    """
    counts = _form_counts(plan, [school.id for school in schools])
    actuals = {}
    same = {}  # (target id, count): the TargetActual, worded once, shared by every school with that count
    targets = [(target, set(target.levels)) for target in plan.targets]  # as Target.applies_to, read once
    for school in schools:
        pilot = plan.is_pilot(school)
        for target, levels in targets:
            if school.level in levels and (target.pilot is None or target.pilot == pilot):
                count = counts.get((school.id, _FORM_OF.get(target.measure)), 0)
                key = (target.id, count)
                if key not in same:
                    same[key] = _actual(target, count)
                actuals[(school.id, target.id)] = same[key]
    return actuals


_FORM_OF = {"elective_classes": ELECTIVE, "integration_share": INTEGRATION}


def _actual(target, count: int) -> TargetActual:
    """The target against `count`: the school's pilot classes or integration activities."""
    if target.measure == "elective_classes":
        value = count
        unit = _translate(N_("lớp"))
        return TargetActual(
            value,
            target.measure_min,
            unit,
            value >= target.measure_min,
            _translate(N_("%(value)d/%(minimum)d lớp"), value=value, minimum=target.measure_min),
            activities=value,
        )
    if target.measure == "integration_share":
        found = count
        text = (
            _translate(N_("Số hoạt động lồng ghép: %(num)d"), num=found)
            if found
            else _translate(N_("Chưa có hoạt động lồng ghép"))
        )
        return TargetActual(1 if found else 0, 1, _translate(N_("trường")), bool(found), text, activities=found)
    return TargetActual(0, target.measure_min, "", False, _translate(N_("Chưa có cách tính chỉ tiêu này")))


def _form_counts(plan: Plan, school_ids: list[int]) -> dict[tuple[int, str], int]:
    """(school_id, form code) -> how many count towards the targets: distinct classes for the
    elective module (two records of one class are one class), activities for integration."""
    if not school_ids:
        return {}
    classes = func.count(func.distinct(func.lower(func.trim(Activity.class_name))))
    rows = db.session.execute(
        select(Activity.school_id, DeliveryForm.code, func.count(Activity.id), classes)
        .join(DeliveryForm, Activity.form_id == DeliveryForm.id)
        .where(
            Activity.plan_id == plan.id,
            among(Activity.school_id, school_ids),
            Activity.deleted_at.is_(None),
            DeliveryForm.code.in_((INTEGRATION, ELECTIVE)),
        )
        .group_by(Activity.school_id, DeliveryForm.code)
    )
    return {
        (school_id, code): (class_count if code == ELECTIVE else count) for school_id, code, count, class_count in rows
    }


def integration_share(plan: Plan, schools: list[School]) -> tuple[int, int]:
    """(schools with an integration activity, schools owing it) among `schools`, in one query (plus the
    plan's targets if not loaded yet).

    The schools owing it are those an "integration_share" target of the plan applies to (STT 5:
    the primary and lower-secondary schools outside the pilot); (0, 0) when the plan has none.
    """
    owing = [s.id for s in schools if any(t.measure == "integration_share" and t.applies_to(s) for t in plan.targets)]
    if not owing:
        return 0, 0
    found = db.session.scalar(
        select(func.count(func.distinct(Activity.school_id)))
        .join(DeliveryForm, Activity.form_id == DeliveryForm.id)
        .where(
            Activity.plan_id == plan.id,
            Activity.school_id.in_(owing),
            Activity.deleted_at.is_(None),
            DeliveryForm.code == INTEGRATION,
        )
    )
    return found or 0, len(owing)


def target_status(actual: TargetActual) -> ItemStatus:
    if actual.met:
        return ItemStatus.DONE
    return ItemStatus.IN_PROGRESS if actual.value > 0 else ItemStatus.NOT_STARTED


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

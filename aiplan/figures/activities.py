"""What the schools' activities add up to: each school's activities by delivery form, and the
targets of Phụ lục II computed from them (pilot classes, integration in subjects)."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..database import among
from ..extensions import db
from ..i18n import N_, translate
from ..models import Activity, ChecklistItem, DeliveryForm, ItemStatus, Plan, School

# The delivery forms the rules and targets depend on, by their code in the plan file.
INTEGRATION = "2.1"  # lồng ghép trong môn học: names its subject; proves target STT 5
ELECTIVE = "2.2"  # chuyên đề học tập lựa chọn: a pilot class; counts for targets STT 1 and 4


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


def ward_activities(plan: Plan) -> list[Activity]:
    """The ward's own current activities under the plan (its conference, outreach, training…), by date,
    with the ward item each proves; one query."""
    return list(
        db.session.scalars(
            select(Activity)
            .where(Activity.plan_id == plan.id, Activity.school_id.is_(None), Activity.deleted_at.is_(None))
            .options(joinedload(Activity.item).joinedload(ChecklistItem.milestone))
            .order_by(Activity.starts_on, Activity.id)
        )
    )


@dataclass
class FormGroup:
    """The activities of one delivery form with their totals."""

    form: DeliveryForm
    activities: list[Activity] = field(default_factory=list)

    @property
    def teaching(self) -> bool:
        return self.form.teaches_pupils

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
        assert activity.form_id is not None  # a school's activity has its delivery form (constraint "owner")
        groups[activity.form_id].activities.append(activity)
    return list(groups.values())


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
    for school in schools:
        pilot = plan.is_pilot(school)
        for target in plan.targets:
            if target.applies(school.level, pilot):
                form = _FORM_OF.get(target.measure)
                count = counts.get((school.id, form), 0) if form else 0
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
        unit = translate(N_("lớp"))
        return TargetActual(
            value,
            target.measure_min,
            unit,
            value >= target.measure_min,
            translate(N_("%(value)d/%(minimum)d lớp"), value=value, minimum=target.measure_min),
            activities=value,
        )
    if target.measure == "integration_share":
        found = count
        text = (
            translate(N_("Số hoạt động lồng ghép: %(num)d"), num=found)
            if found
            else translate(N_("Chưa có hoạt động lồng ghép"))
        )
        return TargetActual(1 if found else 0, 1, translate(N_("trường")), bool(found), text, activities=found)
    return TargetActual(0, target.measure_min, "", False, translate(N_("Chưa có cách tính chỉ tiêu này")))


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
        (school_id, code): (class_count if code == ELECTIVE else count)
        for school_id, code, count, class_count in rows
        if school_id is not None  # never: only the given schools' rows are read (the ward's have none)
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
            among(Activity.school_id, owing),
            Activity.deleted_at.is_(None),
            DeliveryForm.code == INTEGRATION,
        )
    )
    return found or 0, len(owing)


def target_status(actual: TargetActual) -> ItemStatus:
    if actual.met:
        return ItemStatus.DONE
    return ItemStatus.IN_PROGRESS if actual.value > 0 else ItemStatus.NOT_STARTED

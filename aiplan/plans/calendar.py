"""The year's working days in the calendar editor: the ward's own days off (added and removed with
their audit record and a checklist sync, as every plan edit), and the review of the due dates the
calendar gives, with the ones that moved to a working day and why, before the year opens and after.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from ..models import DayOff, Plan, Timing
from ..workdays import WorkCalendar
from .editing import PlanEdit, PlanEditError, empty_windows, line, plan_timings, record_change


def days_off_values(plan: Plan) -> dict:
    """What the days-off forms stand for (their fingerprint) and what the audit compares."""
    return {"days_off": [f"{d.day.isoformat()} {d.reason}" for d in plan.school_year.days_off]}


def add_day_off(plan: Plan, day: date | None, reason: str | None, *, version: str, actor) -> bool:
    """Close the ward on `day` for `reason`: due dates on it move back to a working day. Commits.
    Refused (PlanEditError) outside the year, on a day already off, or when it would leave a timing
    window of the plan without a working day."""
    year = plan.school_year
    reason = line(reason)
    errors = {}
    if day is None:
        errors["day"] = _("Nhập ngày dạng ngày/tháng/năm, ví dụ 02/01/2026.")
    elif not year.hk1_start <= day <= year.closes_on:
        errors["day"] = _(
            "Ngày nghỉ phải trong năm học %(name)s (%(start)s – %(end)s).",
            name=year.name,
            start=f"{year.hk1_start:%d/%m/%Y}",
            end=f"{year.closes_on:%d/%m/%Y}",
        )
    else:
        already = year.work_calendar().reason(day)
        if already:
            errors["day"] = _("Ngày %(day)s đã là ngày nghỉ (%(reason)s).", day=f"{day:%d/%m/%Y}", reason=already)
    if not reason:
        errors["reason"] = _("Nhập lý do nghỉ, ví dụ: nghỉ bù theo quyết định của UBND thành phố.")
    elif len(reason) > 200:
        errors["reason"] = _("Tối đa 200 ký tự.")
    if errors:
        raise PlanEditError(errors)
    assert day is not None
    with PlanEdit(plan, version, days_off_values) as edit:
        year.days_off.append(DayOff(day=day, reason=reason))
        _refuse_empty_windows(plan, "day")
        return record_change("plan.day_off_add", year, plan, edit.before, days_off_values(plan), actor)


def remove_day_off(plan: Plan, day: date, *, version: str, actor) -> bool:
    """Open the ward again on `day`: due dates follow. Commits. Returns whether a day off was removed."""
    year = plan.school_year
    with PlanEdit(plan, version, days_off_values) as edit:
        for day_off in [d for d in year.days_off if d.day == day]:
            year.days_off.remove(day_off)
        return record_change("plan.day_off_remove", year, plan, edit.before, days_off_values(plan), actor)


def _refuse_empty_windows(plan: Plan, field: str) -> None:
    message = empty_windows(plan, plan.school_year.work_calendar())
    if message:
        raise PlanEditError({field: message})


@dataclass(frozen=True)
class DueReview:
    """One date the plan gives in the year (the end of a timing's window, or the last day before a
    deadline) and the due date it becomes."""

    label: str
    used_by: str  # which milestones follow it
    start: date | None  # the window's first day; None for a deadline
    planned: date
    due: date
    why: str | None  # None when the planned date is a working day


def due_review(plan: Plan) -> list[DueReview]:
    """The year's computed due dates for the calendar editor: each timing the plan uses, then each
    dated deadline, with the moved ones and why."""
    year = plan.school_year
    workdays = year.work_calendar()
    rows = []
    for timing in plan_timings(plan):
        start, end = year.window(timing)
        rows.append(_row(workdays, str(timing.label), _milestones(plan, timing=timing), start, end))
    for deadline in plan.deadlines:
        if deadline.last_day:
            label = _("Trước ngày %(day)s: %(title)s", day=f"{deadline.before:%d/%m/%Y}", title=deadline.title)
            keys = frozenset({deadline.key})
            rows.append(_row(workdays, label, _milestones(plan, keys=keys), None, deadline.last_day))
    return rows


def _row(workdays: WorkCalendar, label: str, used_by: str, start: date | None, planned: date) -> DueReview:
    due, moved = workdays.due(planned)
    return DueReview(label, used_by, start, planned, due, workdays.why(planned, due) if moved else None)


def _milestones(plan: Plan, timing: Timing | None = None, keys: frozenset[str] = frozenset()) -> str:
    """The milestones whose due date follows `timing` (for an owner without a deadline) or a deadline in `keys`."""
    numbers = [
        str(m.number)
        for m in plan.milestones
        if (m.timing is timing and not (m.school_deadline_key and m.ward_deadline_key))
        or {m.school_deadline_key, m.ward_deadline_key} & keys
    ]
    return _("Mốc %(numbers)s", numbers=", ".join(numbers)) if numbers else ""

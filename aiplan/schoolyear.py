"""Which school year is which: the current one (latest opened), past ones (read-only) and
the one the ward is preparing (not opened yet, seen by ward admins only); and which of them a
request sees (`viewed_plan`, from the year selector) or writes to (`current_plan`)."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from flask import abort, g, has_request_context, request, session
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from .extensions import db
from .models import AuditEvent, ChecklistItem, Plan, Role, School, SchoolYear
from .timeutil import LOCAL_TZ


def ward_plans(ward_id: int) -> list[Plan]:
    """Every plan of the ward, newest year first."""
    return list(
        db.session.scalars(
            select(Plan).join(SchoolYear).where(Plan.ward_id == ward_id).order_by(SchoolYear.name.desc())
        )
    )


def current_plan_or_none(ward_id: int) -> Plan | None:
    """The plan of the ward's latest opened school year (looked up once per request), with its
    year read from the same join (nearly every page then reads the year's name or calendar)."""
    cache = g.setdefault("current_plans", {}) if has_request_context() else {}
    if ward_id not in cache:
        cache[ward_id] = db.session.scalar(
            select(Plan)
            .join(SchoolYear)
            .options(contains_eager(Plan.school_year))
            .where(Plan.ward_id == ward_id, SchoolYear.opened_at.is_not(None))
            .order_by(SchoolYear.name.desc())
            .limit(1)
        )
    return cache[ward_id]


def forget_current_plans() -> None:
    """After opening a year, within the same request."""
    if has_request_context():
        g.pop("current_plans", None)


def is_closed(plan: Plan) -> bool:
    """A past year: opened once, and a later year has been opened since."""
    if plan.school_year.opened_at is None:
        return False
    current = current_plan_or_none(plan.ward_id)
    return current is not None and current.id != plan.id


def past_closing(plan: Plan, today: date) -> bool:
    """The current year after its closing date (hạn sơ kết, tổng kết, in the year's calendar).
    Schools still record late work in it until the ward opens the next year, which makes it
    read-only: late reports are real, and the ward sees them marked as late."""
    return plan.school_year.opened_at is not None and not is_closed(plan) and today > plan.school_year.closes_on


# The audit actions that record a school's own work on its year (not sign-ins, accounts or the
# ward's verdicts): these are the ones a late report consists of.
SCHOOL_WORK = (
    "item.update",
    "item.target_computed",
    "activity.",
    "evidence.",
    "self_evaluation.save",
    "self_evaluation.submit",
    "report_text.",
)


def written_after_closing(ward_id: int, events: Sequence[AuditEvent]) -> dict[int, SchoolYear]:
    """The school's work recorded while the ward's current year was past its closing date (from
    the next day, Hà Nội time, until the next year was opened), each with that year; one query."""
    years = [
        year
        for year in db.session.scalars(
            select(SchoolYear).where(SchoolYear.ward_id == ward_id).order_by(SchoolYear.name)
        )
        if year.opened_at is not None
    ]
    windows = [
        (
            year,
            datetime.combine(year.closes_on + timedelta(days=1), time(), LOCAL_TZ),
            later.opened_at if later else None,
        )
        for year, later in zip(years, [*years[1:], None])
    ]
    return {
        event.id: year
        for event in events
        if event.action.startswith(SCHOOL_WORK)
        for year, start, end in windows
        if start <= event.at and (end is None or event.at < end)
    }


def open_plans(ward_id: int) -> list[Plan]:
    """The plans that may still change: the current one and any year in preparation."""
    return [plan for plan in ward_plans(ward_id) if not is_closed(plan)]


def plan_schools(plan: Plan) -> list[School]:
    """The schools a plan's figures cover: the ward's active schools, or for a past year the
    schools that took part in it (had a checklist), as they were."""
    return list(db.session.scalars(plan_schools_query(plan)))


def plan_schools_query(plan: Plan) -> Select[School]:
    """plan_schools as a query, for counting them in the database."""
    query = select(School).where(School.ward_id == plan.ward_id)
    if is_closed(plan):
        return query.where(School.id.in_(select(ChecklistItem.school_id).where(ChecklistItem.plan_id == plan.id)))
    return query.where(School.is_active)


def closed_year_message() -> str:
    return gettext("Năm học này đã kết thúc; dữ liệu chỉ còn để xem.")


def current_plan(ward_id: int) -> Plan:
    """The plan of the ward's current school year (the latest opened): the one schools work on."""
    plan = current_plan_or_none(ward_id)
    if plan is None:
        abort(404, description="Chưa có kế hoạch nào được nạp. Chạy: flask --app aiplan setup")
    return plan


def viewed_plan(ward_id: int) -> Plan:
    """The plan of the year the reader chose with the year selector (`?nam=2025-2026`, kept in
    the session), else the current one. A year in preparation is shown to ward admins only.
    Writes always go to the current year, whatever is being viewed."""
    wanted = request.args.get("nam") or session.get("nam")
    current = current_plan(ward_id)
    if not wanted or wanted == current.school_year.name or request.method not in ("GET", "HEAD"):
        return current
    plan = db.session.scalar(select(Plan).join(SchoolYear).where(Plan.ward_id == ward_id, SchoolYear.name == wanted))
    if plan is None or (plan.school_year.opened_at is None and current_user.role is not Role.WARD_ADMIN):
        if "nam" in request.args:
            abort(404, description=gettext("Không có năm học %(name)s.", name=wanted))
        session.pop("nam", None)
        return current
    return plan

"""The school years: the selector, starting next year from this one, widening the pilot, opening it."""

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import timeutil
from ..access import login_required_any, roles_required, viewed_ward_id, viewed_ward_id_or_none
from ..extensions import db
from ..figures.items import checklist_sizes
from ..models import Plan, Role, School, SchoolYear
from ..redirects import safe_next
from ..schoolyear import current_plan, current_plan_or_none, is_closed, past_closing, ward_plans
from . import services
from .forms import CALENDAR_LABELS, ConfirmForm, PilotForm, StartYearForm

bp = Blueprint("years", __name__)


@bp.post("/year")
@login_required_any
def select_year():
    """Remember which school year the reader looks at (pages also take `?nam=`), then go back."""
    names = {plan.school_year.name for plan in visible_plans()}
    name = request.form.get("nam", "")
    if name in names and name != current_plan(viewed_ward_id()).school_year.name:
        session["nam"] = name
    else:
        session.pop("nam", None)
    return redirect(safe_next(request.form.get("next")) or url_for("core.home"))


def visible_plans() -> list[Plan]:
    """The years the current user may look at: opened ones, and for ward admins the one in preparation."""
    return [
        plan
        for plan in ward_plans(viewed_ward_id())
        if plan.school_year.opened_at is not None or current_user.role is Role.WARD_ADMIN
    ]


@bp.get("/years")
@roles_required(Role.WARD_ADMIN)
def index():
    """Every school year of the ward, and starting the next one."""
    plans = ward_plans(viewed_ward_id())
    current = current_plan(viewed_ward_id())
    preparing = services.year_in_preparation(viewed_ward_id())
    form = None
    if preparing is None and plans[0] is current:
        form = StartYearForm(data=services.proposed_calendar(current.school_year))
    return render_template(
        "years/index.html",
        plans=plans,
        current=current,
        preparing=preparing,
        form=form,
        next_name=services.next_year_name(current.school_year.name),
        labels=CALENDAR_LABELS,
        is_closed=is_closed,
    )


@bp.post("/years")
@roles_required(Role.WARD_ADMIN)
def start():
    """Start the next school year from the current one (in preparation until opened)."""
    current = current_plan(viewed_ward_id())
    form = StartYearForm()
    problems = []
    if form.validate():
        try:
            rollover = services.start_next_year(
                current, {name: form[name].data for name in CALENDAR_LABELS}, actor=current_user
            )
        except services.YearError as error:
            problems = error.problems
        else:
            flash(
                _(
                    "Đã tạo năm học %(name)s với %(items)d mục việc mới. Hãy xem lại, mở rộng thí điểm rồi mở năm học.",
                    name=rollover.plan.school_year.name,
                    items=rollover.items_added,
                ),
                "success",
            )
            return redirect(url_for(".prepare", name=rollover.plan.school_year.name))
    return render_template(
        "years/index.html",
        plans=ward_plans(viewed_ward_id()),
        current=current,
        preparing=None,
        form=form,
        problems=problems,
        labels=CALENDAR_LABELS,
        next_name=services.next_year_name(current.school_year.name),
        is_closed=is_closed,
    ), 422


def _year_plan(name: str) -> Plan:
    plan = db.session.scalar(
        select(Plan).join(SchoolYear).where(Plan.ward_id == viewed_ward_id(), SchoolYear.name == name)
    )
    if plan is None:
        abort(404)
    return plan


def _preparing(name: str) -> Plan:
    plan = _year_plan(name)
    if plan.school_year.opened_at is not None:
        abort(409, description=_("Năm học %(name)s đã được mở.", name=name))
    return plan


@bp.get("/years/<name>")
@roles_required(Role.WARD_ADMIN)
def prepare(name):
    """A year in preparation: its calendar and deadlines, the pilot schools, and opening it."""
    plan = _year_plan(name)
    return _prepare_page(plan, PilotForm(data={"schools": sorted(plan.pilot_ids)}))


def _prepare_page(plan: Plan, pilot_form: PilotForm, status: int = 200):
    schools = db.session.scalars(
        select(School).filter_by(ward_id=plan.ward_id, is_active=True).order_by(School.name)
    ).all()
    pilot_form.schools.choices = [(school.id, f"{school.name} ({school.level.label})") for school in schools]
    counts = checklist_sizes(plan)
    return render_template(
        "years/prepare.html",
        plan=plan,
        year=plan.school_year,
        pilot_form=pilot_form,
        open_form=ConfirmForm(),
        labels=CALENDAR_LABELS,
        counts=counts,
        previous=services.previous_plan(plan),
    ), status


@bp.post("/years/<name>/pilots")
@roles_required(Role.WARD_ADMIN)
def set_pilots(name):
    """Widen (or narrow) the pilot of a year in preparation."""
    plan = _preparing(name)
    form = PilotForm()
    schools = db.session.scalars(select(School.id).filter_by(ward_id=plan.ward_id, is_active=True)).all()
    form.schools.choices = [(school_id, "") for school_id in schools]
    if not form.validate():
        return _prepare_page(plan, form, 422)
    try:
        services.set_pilots(plan, set(form.schools.data), actor=current_user)
    except services.YearError as error:
        abort(409, description=" ".join(error.problems))
    flash(_("Đã lưu %(n)d trường thí điểm của năm học %(name)s.", n=len(form.schools.data), name=name), "success")
    return redirect(url_for(".prepare", name=name))


@bp.post("/years/<name>/open")
@roles_required(Role.WARD_ADMIN)
def open_year(name):
    """Open the year: schools start working on it; the previous year becomes read-only."""
    plan = _preparing(name)
    if not ConfirmForm().validate():
        abort(400)
    previous = current_plan(viewed_ward_id())
    try:
        services.open_year(plan, actor=current_user)
    except services.YearError as error:
        abort(409, description=" ".join(error.problems))
    session.pop("nam", None)
    flash(
        _("Đã mở năm học %(name)s. Năm học %(old)s chỉ còn để xem.", name=name, old=previous.school_year.name),
        "success",
    )
    return redirect(url_for("schools.index"))


@bp.app_context_processor
def year_bar_context():
    return {"year_bar": year_bar, "year_closing": year_closing}


def year_closing() -> dict | None:
    """The notice on every page of the current year once it is past its closing date: what is
    still possible (late work, marked as late) and until when (the next year's opening)."""
    if not current_user.is_authenticated:
        return None
    ward_id = viewed_ward_id_or_none()
    plan = current_plan_or_none(ward_id) if ward_id is not None else None
    # timeutil.local_today is looked up at each call, so that a test can set "today".
    if plan is None or not past_closing(plan, timeutil.local_today()):
        return None
    wanted = request.args.get("nam") or session.get("nam")
    if wanted and wanted != plan.school_year.name:
        return None
    return {"year": plan.school_year}


def year_bar() -> dict | None:
    """The header's year selector: the years this user may look at, the one shown, and whether it
    is the current one. None when there is nothing to choose (one year) or nobody signed in."""
    ward_id = viewed_ward_id_or_none() if current_user.is_authenticated else None
    if ward_id is None:
        return None
    years = db.session.scalars(
        select(SchoolYear).where(SchoolYear.ward_id == ward_id).order_by(SchoolYear.name.desc())
    ).all()
    years = [y for y in years if y.opened_at is not None or current_user.role is Role.WARD_ADMIN]
    opened = [y for y in years if y.opened_at is not None]
    if len(years) < 2 or not opened:
        return None
    current = opened[0]
    wanted = request.args.get("nam") or session.get("nam")
    shown = next((y for y in years if y.name == wanted), current)
    state = {
        y.name: (_("đang chuẩn bị") if y.opened_at is None else _("hiện tại") if y is current else _("đã kết thúc"))
        for y in years
    }
    return {"years": years, "current": current, "shown": shown, "state": state}

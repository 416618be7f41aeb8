"""The plan itself: Phụ lục I's timeline with concrete dates, Phụ lục II's targets."""
from flask import render_template
from flask_login import current_user

from ..access import current_plan, login_required_any
from ..models import Role
from . import bp
from .services import plan_warnings


@bp.get("/plan")
@login_required_any
def show():
    """The plan's timeline, deadlines, evaluation criteria, roadmap and targets."""
    plan = current_plan(current_user.ward_id)
    warnings = plan_warnings(plan) if current_user.role is Role.WARD_ADMIN else []
    return render_template("plans/show.html", plan=plan, year=plan.school_year, warnings=warnings)

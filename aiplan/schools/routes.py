"""The ward's list of schools with their progress."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from ..access import login_required_any
from ..checklists.services import progress_by_school
from ..extensions import db
from ..models import Role, School, SchoolLevel
from ..schoolyear import viewed_plan
from ..timeutil import local_today
from . import bp

LEVEL_ORDER = {SchoolLevel.TIEU_HOC: 0, SchoolLevel.THCS: 1, SchoolLevel.LIEN_CAP: 2}


@bp.get("/schools")
@login_required_any
def index():
    """Every active school of the ward with its progress bar; school staff see only their own."""
    plan = viewed_plan(current_user.ward_id)
    query = select(School).filter_by(ward_id=current_user.ward_id, is_active=True)
    if current_user.role is Role.SCHOOL_STAFF:
        query = query.filter_by(id=current_user.school_id)
    schools = sorted(db.session.scalars(query), key=lambda s: (not s.is_pilot, LEVEL_ORDER[s.level], s.name))
    progress = progress_by_school(plan, [s.id for s in schools], local_today())
    return render_template("schools/index.html", plan=plan, schools=schools, progress=progress)

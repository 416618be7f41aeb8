"""A school's checklist, and the ward's own."""
from itertools import groupby

from flask import render_template
from flask_login import current_user

from ..access import WARD_ROLES, current_plan, get_school, roles_required
from ..models import ItemKind, Role
from ..timeutil import local_today
from . import bp
from .services import checklist, progress_by_school


@bp.get("/schools/<slug>")
@roles_required(*Role)
def school(slug):
    """One school's checklist: what is due soon and late first, then every item by milestone and target."""
    school = get_school(slug)
    plan = current_plan(school.ward_id)
    items = checklist(plan, school)
    today = local_today()
    return render_template(
        "checklists/school.html", plan=plan, school=school, today=today,
        progress=progress_by_school(plan, [school.id], today)[school.id],
        milestone_items=[i for i in items if i.kind is ItemKind.MILESTONE],
        target_groups=[list(group) for _, group in groupby(
            (i for i in items if i.kind is not ItemKind.MILESTONE), key=lambda i: i.target_id)],
        late=[i for i in items if i.is_late(today)],
        due_soon=[i for i in items if not i.is_done and 0 <= (i.due_on - today).days <= 14],
    )


@bp.get("/ward")
@roles_required(*WARD_ROLES)
def ward():
    """The ward's own checklist: the milestones the UBND phường and the Phòng VHXH carry out."""
    plan = current_plan(current_user.ward_id)
    today = local_today()
    return render_template("checklists/ward.html", plan=plan, items=checklist(plan, None), today=today)

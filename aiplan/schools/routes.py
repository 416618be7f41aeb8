"""The schools as their users see them: the ward's list with each school's progress, one school's
checklist page (its items are changed through the checklists feature), and its history."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ..access import (
    can_see_restricted,
    can_write_record,
    get_school,
    login_required_any,
    roles_required,
    viewed_ward_id,
)
from ..extensions import db
from ..figures.duties import unowned_by_school
from ..figures.history import entries, school_events
from ..figures.inspections import needs_more_by_school
from ..figures.items import progress_by_school
from ..figures.pilot import pilot_by_school
from ..figures.rollup import school_order
from ..figures.school_page import school_page
from ..inputs import parse_digits
from ..models import EvidenceFile, Role, School
from ..schoolyear import viewed_plan, written_after_closing
from ..timeutil import local_today

bp = Blueprint("schools", __name__)

HISTORY_PAGE_SIZE = 50


@bp.get("/schools")
@login_required_any
def index():
    """Every active school of the ward with its progress bar and what it was asked to add; school
    staff see only their own."""
    plan = viewed_plan(viewed_ward_id())
    query = select(School).filter_by(ward_id=viewed_ward_id(), is_active=True)
    if current_user.role is Role.SCHOOL_STAFF:
        query = query.filter_by(id=current_user.school_id)
    schools = sorted(db.session.scalars(query), key=school_order(plan))
    ids = [s.id for s in schools]
    return render_template(
        "schools/index.html",
        plan=plan,
        schools=schools,
        progress=progress_by_school(plan, ids, local_today()),
        needs_more=needs_more_by_school(plan, ids),
        unowned=unowned_by_school(plan, ids),
    )


@bp.get("/schools/<slug>")
@roles_required(*Role)
def school(slug):
    """One school's checklist: what is due soon and late first, then every item by milestone and target."""
    school = get_school(slug)
    plan = viewed_plan(school.ward_id)
    page = school_page(plan, school, current_user)
    return render_template(
        "schools/school.html",
        can_write=can_write_record(school, plan.id),
        pilot_numbers=pilot_by_school(plan, [school]).schools[0][1],  # shown beside milestone 7
        **page.context(),
    )


@bp.get("/schools/<slug>/history")
@roles_required(*Role)
def history(slug):
    """The school's audit log in words, newest first: who changed what, when, and from what to what;
    sign-ins only when asked for (`?logins=1`)."""
    school = get_school(slug)
    page = min(max(parse_digits(request.args.get("page")) or 1, 1), 100_000)
    with_logins = request.args.get("logins") == "1"
    events, has_more = school_events(school.id, page, HISTORY_PAGE_SIZE, with_logins)
    return render_template(
        "schools/history.html",
        school=school,
        entries=entries(events),
        active="history",
        page=page,
        has_more=has_more,
        with_logins=with_logins,
        hidden_files=_hidden_files(school, events),
        late=written_after_closing(school.ward_id, events),
        show_ip=current_user.role is Role.WARD_ADMIN,
    )


def _hidden_files(school, events) -> set[int]:
    """Ids of restricted files whose names and descriptions this user may not read in the log."""
    if can_see_restricted(current_user, school):
        return set()
    file_ids = {e.object_id for e in events if e.object_type == "EvidenceFile" and e.object_id}
    if not file_ids:
        return set()
    return set(
        db.session.scalars(select(EvidenceFile.id).where(EvidenceFile.id.in_(file_ids), EvidenceFile.restricted))
    )

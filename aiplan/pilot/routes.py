"""Pilot-class results: each pilot class's plan, lessons by content area, pupils' products and
assessment (the school's staff write, the ward reads)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_write_record, get_pilot_class, get_school, roles_required
from ..figures import pilot as figures
from ..figures.evidence import files_for_activity
from ..inputs import posted_version
from ..models import PilotLevel, Role
from ..schoolyear import viewed_plan
from . import services
from .forms import PilotResultForm, result_data

bp = Blueprint("pilot", __name__)
# The levels, for every template that lists them (the school page, self-evaluation, reports, rollup).
bp.record_once(lambda state: state.app.jinja_env.globals.update(PilotLevel=PilotLevel))

UNPROCESSABLE, CONFLICT = 422, 409


@bp.get("/schools/<slug>/pilot")
@roles_required(*Role)
def index(slug):
    """The school's pilot classes (activities of form 2.2) with what each has recorded."""
    school = get_school(slug)
    plan = viewed_plan(school.ward_id)
    return render_template(
        "pilot/index.html",
        school=school,
        plan=plan,
        classes=figures.pilot_classes(plan, school),
        numbers=figures.pilot_by_school(plan, [school]).schools[0][1],
        can_write=can_write_record(school, plan.id),
    )


@bp.route("/schools/<slug>/pilot/<int:activity_id>", methods=["GET", "POST"])
@roles_required(*Role)
def result(slug, activity_id):
    """One pilot class: its plan, lessons, products (evidence files, restricted by default) and result."""
    school, activity = get_pilot_class(slug, activity_id, write=request.method == "POST")
    areas = list(activity.plan.content_areas)
    record = figures.result_of(activity)
    form = PilotResultForm.for_areas(areas, data=None if request.method == "POST" else result_data(record, areas))
    status, conflict = 200, False
    if request.method == "POST":
        version = posted_version()
        if form.validate():
            try:
                changed = services.save_result(activity, record, form.values(), version, actor=current_user)
            except services.StaleResult:
                conflict = True
            else:
                flash(_("Đã lưu kết quả lớp thí điểm.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".result", slug=school.slug, activity_id=activity.id))
        status = CONFLICT if conflict else UNPROCESSABLE
        record = figures.result_of(activity)
        form.version.data = record.version if record else 0
    return render_template(
        "pilot/result.html",
        school=school,
        plan=activity.plan,
        activity=activity,
        result=record,
        form=form,
        conflict=conflict,
        can_write=can_write_record(school, activity.plan_id),
        files=files_for_activity(activity.id, current_user),
    ), status

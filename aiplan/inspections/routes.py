"""Inspections: the supervisors' home, scheduling, inspection mode, verdicts, closing and minutes."""
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import can_read_school, closed_year_message, current_plan, get_item, roles_required
from ..activities.services import target_actuals
from ..checklists.services import StaleItem, checklist, progress_by_school
from ..evidence.services import files_for_items
from ..extensions import db, htmx
from ..fields import error_text
from ..models import Inspection, Role, School, User, Verdict
from ..years.state import is_closed
from ..timeutil import local_today
from . import bp, services
from .forms import CloseForm, ScheduleForm, VerdictForm
from .minutes import minutes_context, minutes_filename, render_minutes_docx

SUPERVISING = (Role.SUPERVISOR, Role.WARD_ADMIN, Role.VIEWER)


def get_inspection(inspection_id: int, school_staff_may_read: bool = False) -> Inspection:
    """A visit of the user's ward; 404 otherwise. School staff read only their own school's minutes."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None or inspection.plan.ward_id != current_user.ward_id:
        abort(404)
    if current_user.role is Role.SCHOOL_STAFF and not (
            school_staff_may_read and can_read_school(current_user, inspection.school)):
        abort(403)
    return inspection


@bp.get("/inspections")
@roles_required(*SUPERVISING)
def index():
    """Upcoming visits (a supervisor's own), the resubmitted queue, and each school's verified share."""
    plan = current_plan(current_user.ward_id)
    mine = current_user if current_user.role is Role.SUPERVISOR else None
    schools = db.session.scalars(select(School).filter_by(ward_id=plan.ward_id, is_active=True)
                                 .order_by(School.name)).all()
    inspected, total = services.inspected_count(plan)
    return render_template(
        "inspections/index.html", plan=plan, visits=services.inspections(plan, mine), today=local_today(),
        queue=services.resubmitted_queue(plan), schools=schools, inspected=inspected, total=total,
        shares=services.verified_share(plan, [s.id for s in schools]))


@bp.route("/inspections/new", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def new():
    """Schedule a visit: a school, a date inside the mid-HK II window, the team."""
    plan = current_plan(current_user.ward_id)
    form = ScheduleForm()
    schools = db.session.scalars(select(School).filter_by(ward_id=plan.ward_id, is_active=True)
                                 .order_by(School.name)).all()
    supervisors = db.session.scalars(select(User).filter_by(ward_id=plan.ward_id, role=Role.SUPERVISOR,
                                                            is_enabled=True).order_by(User.full_name)).all()
    form.school.choices = [(0, _("— Chọn trường —"))] + [(s.id, s.name) for s in schools]
    form.members.choices = [(u.id, u.display_name) for u in supervisors]
    form.lead.choices = [(0, _("— Thành viên đầu tiên —"))] + [(u.id, u.display_name) for u in supervisors]
    status = 200
    if form.validate_on_submit():
        by_id = {u.id: u for u in supervisors}
        school = next((s for s in schools if s.id == form.school.data), None)
        try:
            if school is None:
                raise services.InspectionError({"school": _("Chọn một trường trong danh sách.")})
            inspection = services.schedule(plan, school, form.visit_on.data,
                                           [by_id[i] for i in form.members.data if i in by_id],
                                           by_id.get(form.lead.data), actor=current_user)
        except services.InspectionError as refused:
            for field, message in refused.errors.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
        else:
            flash(_("Đã lên lịch kiểm tra %(school)s ngày %(day)s.", school=school.name,
                    day=inspection.visit_on.strftime("%d/%m/%Y")), "success")
            return redirect(url_for(".index"))
    if request.method == "POST":
        status = 422
    return render_template("inspections/new.html", form=form, plan=plan, year=plan.school_year), status


@bp.get("/inspections/<int:inspection_id>")
@roles_required(*SUPERVISING)
def show(inspection_id):
    """Inspection mode: the school's items with their status, note, files and a verdict each."""
    inspection = get_inspection(inspection_id)
    return render_template("inspections/show.html", **_mode_context(inspection))


def _mode_context(inspection: Inspection, close_form: CloseForm | None = None) -> dict:
    plan, school = inspection.plan, inspection.school
    items = checklist(plan, school)
    today = local_today()
    if close_form is None:
        close_form = CloseForm(obj=inspection)
    return dict(inspection=inspection, plan=plan, school=school, items=items, today=today,
                can_verify=current_user.role is Role.SUPERVISOR and plan.id == current_plan(plan.ward_id).id,
                files_by_item=files_for_items([i.id for i in items], current_user),
                actuals=target_actuals(plan, [school]), close_form=close_form,
                progress=progress_by_school(plan, [school.id], today)[school.id],
                checked=sum(1 for i in items if i.verdict is not Verdict.UNCHECKED))


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/verdict")
@roles_required(Role.SUPERVISOR)
def verdict_in_visit(inspection_id, item_id):
    """Give a verdict during a visit; htmx gets the item back."""
    inspection = get_inspection(inspection_id)
    _, item = get_item(inspection.school.slug, item_id)
    return _give_verdict(item, inspection)


@bp.post("/schools/<slug>/items/<int:item_id>/verdict")
@roles_required(Role.SUPERVISOR)
def verdict(slug, item_id):
    """Give a verdict outside a visit, from the resubmitted queue."""
    _, item = get_item(slug, item_id)
    return _give_verdict(item, None)


def _give_verdict(item, inspection):
    if item.plan_id != current_plan(item.school.ward_id).id:
        abort(403, description=_("Năm học này đã kết thúc; dữ liệu chỉ còn để xem."))
    form = VerdictForm()
    error, code = None, 200
    if not form.validate_on_submit():
        error, code = error_text(form), 422
    else:
        try:
            services.give_verdict(item, Verdict(form.verdict.data), form.reason.data, version=form.version.data,
                                  actor=current_user, inspection=inspection)
        except StaleItem as stale:
            item = stale.item
            error, code = _("Mục này vừa thay đổi (nhà trường hoặc thành viên khác của đoàn vừa cập nhật). "
                            "Đây là nội dung mới nhất; hãy xem lại rồi chọn lại."), 409
        except services.InspectionError as refused:
            error, code = " ".join(refused.errors.values()), 422
    if htmx and htmx.target == f"verdict-{item.id}":
        return render_template("inspections/_item.html", item=item, inspection=inspection, school=item.school,
                               can_verify=True, error=error, today=local_today(),
                               files_by_item=files_for_items([item.id], current_user),
                               actuals=target_actuals(item.plan, [item.school])), code
    if error:
        flash(error, "error")
    else:
        flash(_("Đã ghi kết luận: %(verdict)s — %(title)s", verdict=item.verdict.label, title=item.title), "success")
    back = (url_for(".show", inspection_id=inspection.id, _anchor=f"verdict-{item.id}") if inspection
            else url_for(".index", _anchor="queue"))
    return redirect(back, 303)


@bp.post("/inspections/<int:inspection_id>/close")
@roles_required(Role.SUPERVISOR)
def close(inspection_id):
    """Write the conclusion and close the visit; its minutes are then ready to print and sign."""
    inspection = get_inspection(inspection_id)
    if is_closed(inspection.plan):
        abort(403, description=closed_year_message())
    form = CloseForm()
    if form.validate_on_submit():
        try:
            services.close(inspection, version=form.version.data, conclusion=form.conclusion.data or "",
                           recommendations=form.recommendations.data or "",
                           school_representative=form.school_representative.data or "",
                           minutes_number=form.minutes_number.data or "", actor=current_user)
        except services.StaleInspection:
            db.session.refresh(inspection)
            flash(_("Biên bản vừa được người khác cập nhật; đây là nội dung mới nhất."), "error")
            return render_template("inspections/show.html", **_mode_context(inspection)), 409
        except services.InspectionError as refused:
            for field, message in refused.errors.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
        else:
            flash(_("Đã kết thúc đợt kiểm tra; biên bản sẵn sàng để in và ký."), "success")
            return redirect(url_for(".minutes", inspection_id=inspection.id), 303)
    return render_template("inspections/show.html", **_mode_context(inspection, form)), 422


@bp.get("/inspections/<int:inspection_id>/minutes")
@roles_required(*Role)
def minutes(inspection_id):
    """The inspection minutes (biên bản kiểm tra) as a page to print."""
    inspection = get_inspection(inspection_id, school_staff_may_read=True)
    return render_template("inspections/minutes.html", **minutes_context(inspection),
                           docx_url=url_for(".minutes_docx", inspection_id=inspection.id),
                           back_url=url_for(".show", inspection_id=inspection.id)
                           if current_user.role is not Role.SCHOOL_STAFF else None)


@bp.get("/inspections/<int:inspection_id>/minutes.docx")
@roles_required(*Role)
def minutes_docx(inspection_id):
    """The inspection minutes as a DOCX laid out per Nghị định 30/2020, ready to sign."""
    from urllib.parse import quote

    inspection = get_inspection(inspection_id, school_staff_may_read=True)
    response = make_response(render_minutes_docx(inspection))
    name = minutes_filename(inspection)
    response.headers["Content-Type"] = ("application/vnd.openxmlformats-officedocument."
                                        "wordprocessingml.document")
    response.headers["Content-Disposition"] = f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"
    return response


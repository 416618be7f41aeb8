"""Inspections: the supervisors' home, scheduling and changing a visit, the decisions forming the
team and their files, inspection mode, verdicts, closing and minutes."""

from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import (
    can_change_visit,
    get_inspection,
    get_item,
    get_item_to_recheck,
    recheck_school_ids,
    roles_required,
    viewed_ward_id,
)
from ..checklists.services import StaleItem
from ..database import done_writing
from ..extensions import db, htmx
from ..fields import error_text
from ..figures.activities import target_actuals
from ..figures.evidence import files_for_items
from ..figures.inspections import inspected_count
from ..figures.items import progress_by_school
from ..figures.school_page import checklist
from ..models import CITY_ROLES, Inspection, InspectionDecision, InspectionKind, ItemKind, Role, School, User, Verdict
from ..schoolyear import current_plan
from ..storage import get_storage
from ..timeutil import local_today
from . import services
from .forms import CloseForm, DecisionForm, ReopenForm, ScheduleForm, VerdictForm, VisitDetailsForm, VisitFieldsMixin
from .minutes import minutes_context, minutes_filename, render_minutes_docx

bp = Blueprint("inspections", __name__)

SUPERVISING = (Role.SUPERVISOR, Role.WARD_ADMIN, Role.VIEWER, *CITY_ROLES)


@bp.get("/inspections")
@roles_required(*SUPERVISING)
def index():
    """Upcoming visits (a supervisor's own), the resubmitted queue, and each school's verified share."""
    plan = current_plan(viewed_ward_id())
    mine = current_user if current_user.role is Role.SUPERVISOR else None
    schools = db.session.scalars(
        select(School).filter_by(ward_id=plan.ward_id, is_active=True).order_by(School.name)
    ).all()
    inspected, total = inspected_count(plan)
    visits = services.inspections(plan, mine)
    return render_template(
        "inspections/index.html",
        plan=plan,
        visits=visits,
        today=local_today(),
        queue=services.resubmitted_queue(plan),
        recheck=recheck_school_ids(current_user, plan),
        # A supervisor's open visit to a school is where its queued items get their verdict (the
        # visit's record); otherwise the item's own re-check page (get_item_to_recheck).
        open_visits={v.school_id: v.id for v in visits if mine is not None and not v.is_closed},
        schools=schools,
        inspected=inspected,
        total=total,
        shares=progress_by_school(plan, [s.id for s in schools], local_today()),
    )


@bp.route("/inspections/new", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def new():
    """Schedule a visit: a school, its kind, a day of the school year (the mid-HK II window
    suggested for a "giữa kỳ" visit), the decision forming the team, the team."""
    plan = current_plan(viewed_ward_id())
    year = plan.school_year
    form = ScheduleForm()
    if request.method == "GET" and local_today() <= year.midterm_end:
        # A suggestion, not a wall: the next day of the mid-HK II window, where "giữa kỳ" visits fall.
        form.visit_on.data = max(local_today(), year.midterm_start)
    decisions = _decision_choices(form, plan)
    schools = db.session.scalars(
        select(School).filter_by(ward_id=plan.ward_id, is_active=True).order_by(School.name)
    ).all()
    supervisors = db.session.scalars(
        select(User).filter_by(ward_id=plan.ward_id, role=Role.SUPERVISOR, is_enabled=True).order_by(User.full_name)
    ).all()
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
            assert form.visit_on.data is not None  # a required VnDateField (fields.py) validated it
            inspection = services.schedule(
                plan,
                school,
                form.visit_on.data,
                [by_id[i] for i in form.members.data if i in by_id],
                by_id.get(form.lead.data),
                actor=current_user,
                kind=InspectionKind(form.kind.data),
                decision=decisions.get(form.decision.data or 0),
                starts_at=form.starts_at.data,
                ends_at=form.ends_at.data,
            )
        except services.InspectionError as refused:
            for field, message in refused.errors.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
        else:
            flash(
                _(
                    "Đã lên lịch kiểm tra %(school)s ngày %(day)s.",
                    school=school.name,
                    day=inspection.visit_on.strftime("%d/%m/%Y"),
                ),
                "success",
            )
            return redirect(url_for(".index"))
    if request.method == "POST":
        status = 422
    return render_template("inspections/new.html", form=form, plan=plan, year=year), status


def _decision_choices(form: VisitFieldsMixin, plan) -> dict[int, InspectionDecision]:
    """Offer the plan's decisions in the form's select; they are returned by id for the view."""
    decisions = {d.id: d for d in services.decisions(plan)}
    form.decision.choices = [(0, _("— Chưa có / không dẫn quyết định —"))] + [
        (d.id, _("Quyết định số %(number)s ngày %(day)s", number=d.number, day=d.signed_on.strftime("%d/%m/%Y")))
        for d in decisions.values()
    ]
    return decisions


@bp.post("/inspections/<int:inspection_id>/details")
@roles_required(Role.WARD_ADMIN)
def update_details(inspection_id):
    """Change an open visit's kind, day, times or the decision it cites (a ward admin)."""
    inspection = get_inspection(inspection_id, write=True)
    form = VisitDetailsForm()
    decisions = _decision_choices(form, inspection.plan)
    if form.validate_on_submit():
        assert form.visit_on.data is not None  # a required VnDateField validated it
        try:
            services.update_details(
                inspection,
                version=form.version.valid_data,
                kind=InspectionKind(form.kind.data),
                visit_on=form.visit_on.data,
                decision=decisions.get(form.decision.data or 0),
                starts_at=form.starts_at.data,
                ends_at=form.ends_at.data,
                actor=current_user,
            )
        except services.StaleInspection:
            db.session.refresh(inspection)
            flash(_("Đợt kiểm tra vừa được người khác cập nhật; đây là nội dung mới nhất."), "error")
            return render_template("inspections/show.html", **_mode_context(inspection)), 409
        except services.VisitClosed:
            return _refused(inspection, closed_visit_message())
        except services.InspectionError as refused:
            db.session.rollback()
            for field, message in refused.errors.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
        else:
            flash(_("Đã lưu thông tin đợt kiểm tra."), "success")
            return redirect(url_for(".show", inspection_id=inspection.id), 303)
    return render_template("inspections/show.html", **_mode_context(inspection, details_form=form)), 422


@bp.get("/inspections/decisions")
@roles_required(Role.WARD_ADMIN, Role.SUPERVISOR)
def decisions():
    """The decisions forming the inspection teams; a ward admin records a new one here."""
    return _decisions_page(DecisionForm())


@bp.post("/inspections/decisions")
@roles_required(Role.WARD_ADMIN)
def record_decision():
    """Record a decision forming the team (number, date, signer, its file): 422 and nothing saved
    when something is wrong."""
    plan = current_plan(viewed_ward_id())
    form = DecisionForm()
    if form.validate_on_submit():
        upload = form.file.data
        chosen = upload is not None and bool(upload.filename)
        try:
            assert form.signed_on.data is not None  # a required VnDateField validated it
            decision = services.record_decision(
                plan,
                number=form.number.data or "",
                signed_on=form.signed_on.data,
                signer=form.signer.data or "",
                stream=upload.stream if chosen else None,
                filename=upload.filename if chosen else None,
                actor=current_user,
            )
        except services.InspectionError as refused:
            for field, message in refused.errors.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
        else:
            flash(_("Đã ghi Quyết định số %(number)s.", number=decision.number), "success")
            return redirect(url_for(".decisions"), 303)
    return _decisions_page(form), 422


def _decisions_page(form: DecisionForm):
    plan = current_plan(viewed_ward_id())
    return render_template(
        "inspections/decisions.html",
        plan=plan,
        decisions=services.decisions(plan),
        form=form,
        can_record=current_user.role is Role.WARD_ADMIN,
    )


@bp.get("/inspections/decisions/<int:decision_id>/file")
@roles_required(Role.WARD_ADMIN, Role.SUPERVISOR)
def decision_file(decision_id):
    """A decision's file, for the ward's admins and supervisors, sent as evidence is: as an
    attachment, with its real type, never rendered by the browser."""
    decision = db.session.get(InspectionDecision, decision_id)
    if decision is None or decision.plan.ward_id != viewed_ward_id() or decision.sha256 is None:
        abort(404)
    try:
        stream = get_storage().open(decision.sha256)
    except FileNotFoundError:
        current_app.logger.error("Decision %s has no blob %s in the store", decision.id, decision.sha256)
        abort(404, description="Không tìm thấy nội dung của tệp trong kho lưu trữ; hãy báo cho quản trị.")
    assert decision.size is not None and decision.content_type is not None  # set with sha256 (the model)
    response = send_file(
        stream, as_attachment=True, download_name=decision.original_name, etag=decision.sha256, conditional=True
    )
    response.headers["Content-Type"] = decision.content_type
    if response.status_code == 200:
        response.content_length = decision.size
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/inspections/<int:inspection_id>")
@roles_required(*SUPERVISING)
def show(inspection_id):
    """Inspection mode: the school's items with their status, note, files and a verdict each."""
    inspection = get_inspection(inspection_id)
    return render_template("inspections/show.html", **_mode_context(inspection))


def _mode_context(
    inspection: Inspection,
    close_form: CloseForm | None = None,
    reopen_form: ReopenForm | None = None,
    details_form: VisitDetailsForm | None = None,
) -> dict:
    plan, school = inspection.plan, inspection.school
    may_change = can_change_visit(current_user, inspection)
    can_edit_details = may_change and current_user.role is Role.WARD_ADMIN and not inspection.is_closed
    if details_form is None and can_edit_details:
        # The visit as stored, whatever form was posted to get here.
        details_form = VisitDetailsForm(
            formdata=None, obj=inspection, kind=inspection.kind.value, decision=inspection.decision_id or 0
        )
        _decision_choices(details_form, plan)
    items = checklist(plan, school)
    today = local_today()
    return dict(
        inspection=inspection,
        plan=plan,
        school=school,
        items=items,
        today=today,
        # The team acts while the visit is open; once closed, only a ward admin reopens it.
        can_verify=may_change and current_user.role is Role.SUPERVISOR and not inspection.is_closed,
        can_reopen=may_change and current_user.role is Role.WARD_ADMIN and inspection.is_closed,
        can_edit_details=can_edit_details,
        details_form=details_form,
        close_form=close_form or CloseForm(obj=inspection),
        reopen_form=reopen_form or ReopenForm(),
        reopened=services.last_reopening(inspection),
        files_by_item=files_for_items([i.id for i in items], current_user),
        actuals=target_actuals(plan, [school]),
        progress=progress_by_school(plan, [school.id], today)[school.id],
        checked=sum(1 for i in items if i.verdict is not Verdict.UNCHECKED),
    )


@bp.post("/inspections/<int:inspection_id>/items/<int:item_id>/verdict")
@roles_required(Role.SUPERVISOR)
def verdict_in_visit(inspection_id, item_id):
    """Give a verdict during a visit (its team only); htmx gets the item back."""
    inspection = get_inspection(inspection_id, write=True)
    _, item = get_item(inspection.school.slug, item_id)
    if item.plan_id != inspection.plan_id:
        abort(404)
    return _give_verdict(item, inspection)


@bp.post("/schools/<slug>/items/<int:item_id>/verdict")
@roles_required(Role.SUPERVISOR)
def verdict(slug, item_id):
    """Check a resubmitted item again outside a visit (the teams that visited the school)."""
    _, item = get_item_to_recheck(slug, item_id)
    return _give_verdict(item, None)


@bp.get("/schools/<slug>/items/<int:item_id>/recheck")
@roles_required(Role.SUPERVISOR)
def recheck(slug, item_id):
    """A resubmitted item with what the school recorded and the verdict buttons: where the queue's
    link leads a supervisor whose team visited the school (the same rule as giving the verdict)."""
    _, item = get_item_to_recheck(slug, item_id)
    return render_template("inspections/recheck.html", **_item_context(item, None))


def _item_context(item, inspection, **extra) -> dict:
    """What inspections/_item.html reads for one item, in a visit or (None) from the queue."""
    return dict(
        item=item,
        inspection=inspection,
        school=item.school,
        # In a visit while it is open; outside one while the item waits (get_item_to_recheck).
        can_verify=not inspection.is_closed if inspection else item.resubmitted_at is not None,
        today=local_today(),
        files_by_item=files_for_items([item.id], current_user),
        # Only a target's row shows the school's figures (three queries): not read for the others.
        actuals=target_actuals(item.plan, [item.school]) if item.kind is ItemKind.TARGET else {},
        **extra,
    )


def _give_verdict(item, inspection):
    fragment = htmx and htmx.target == f"verdict-{item.id}"
    form = VerdictForm()
    error, code, confirm_pass = None, 200, False
    if not form.validate_on_submit():
        error, code = error_text(form), 422
    else:
        try:
            services.give_verdict(
                item,
                Verdict(form.verdict.data),
                form.reason.data,
                version=form.version.valid_data,
                actor=current_user,
                inspection=inspection,
                confirmed=request.form.get("confirm") == "1",
            )
            done_writing()  # committed; the answer is only read
        except services.NotDoneYet:
            # Nothing was written; the visit's row lock is let go before asking.
            db.session.rollback()
            confirm_pass = True
        except StaleItem as stale:
            item = stale.item
            error, code = (
                _(
                    "Mục này vừa thay đổi (nhà trường hoặc thành viên khác của đoàn vừa cập nhật). "
                    "Đây là nội dung mới nhất; hãy xem lại rồi chọn lại."
                ),
                409,
            )
        except services.InspectionError as refused:
            error, code = " ".join(refused.errors.values()), 422
        except services.VisitClosed:
            if not fragment:
                return _refused(inspection, closed_visit_message())
            db.session.rollback()
            error, code = closed_visit_message(), 409
    if fragment:
        return render_template(
            "inspections/_item.html", **_item_context(item, inspection, error=error, confirm_pass=confirm_pass)
        ), code
    if confirm_pass:
        return render_template(
            "inspections/confirm_pass.html", **_item_context(item, inspection, confirm_pass=True)
        ), code
    if error:
        flash(error, "error")
    else:
        flash(_("Đã ghi kết luận: %(verdict)s — %(title)s", verdict=item.verdict.label, title=item.title), "success")
    back = (
        url_for(".show", inspection_id=inspection.id, _anchor=f"verdict-{item.id}")
        if inspection
        else url_for(".index", _anchor="queue")
    )
    return redirect(back, 303)


@bp.post("/inspections/<int:inspection_id>/close")
@roles_required(Role.SUPERVISOR)
def close(inspection_id):
    """Write the conclusion and close the visit (its team only); its minutes are then ready to print and sign."""
    inspection = get_inspection(inspection_id, write=True)
    form = CloseForm()
    if form.validate_on_submit():
        if request.form.get("confirm") != "1":
            return _ask_before_closing(inspection, form)
        try:
            services.close(
                inspection,
                version=form.version.valid_data,
                conclusion=form.conclusion.data or "",
                recommendations=form.recommendations.data or "",
                school_representative=form.school_representative.data or "",
                minutes_number=form.minutes_number.data or "",
                actor=current_user,
                starts_at=form.starts_at.data,
                ends_at=form.ends_at.data,
            )
        except services.StaleInspection:
            db.session.refresh(inspection)
            flash(_("Biên bản vừa được người khác cập nhật; đây là nội dung mới nhất."), "error")
            return render_template("inspections/show.html", **_mode_context(inspection)), 409
        except services.VisitClosed:
            return _refused(inspection, closed_visit_message())
        except services.InspectionError as refused:
            for field, message in refused.errors.items():
                getattr(form, field).errors = [*getattr(form, field).errors, message]
        else:
            flash(_("Đã kết thúc đợt kiểm tra; biên bản sẵn sàng để in và ký."), "success")
            return redirect(url_for(".minutes", inspection_id=inspection.id), 303)
    return render_template("inspections/show.html", **_mode_context(inspection, form)), 422


def _ask_before_closing(inspection: Inspection, form: CloseForm):
    """Closing locks the verdicts and the minutes: the first POST writes nothing and answers with
    what will be locked and a confirm button (the form's fields, still editable, and confirm=1)."""
    if inspection.is_closed:
        return _refused(inspection, closed_visit_message())
    errors = services.close_errors(form.conclusion.data or "", form.starts_at.data, form.ends_at.data)
    for field, message in errors.items():
        getattr(form, field).errors = [*getattr(form, field).errors, message]
    if errors:
        return render_template("inspections/show.html", **_mode_context(inspection, form)), 422
    return render_template("inspections/close_confirm.html", **_mode_context(inspection, form))


@bp.post("/inspections/<int:inspection_id>/reopen")
@roles_required(Role.WARD_ADMIN)
def reopen(inspection_id):
    """Reopen a closed visit, with a reason kept in the audit log, so its team can change it again."""
    inspection = get_inspection(inspection_id, write=True)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            services.reopen(
                inspection, version=form.version.valid_data, reason=form.reason.data or "", actor=current_user
            )
        except services.StaleInspection:
            db.session.refresh(inspection)
            flash(_("Biên bản vừa được người khác cập nhật; đây là nội dung mới nhất."), "error")
            return render_template("inspections/show.html", **_mode_context(inspection)), 409
        except services.VisitOpen:
            return _refused(inspection, _("Đợt kiểm tra này chưa kết thúc nên không cần mở lại."))
        except services.InspectionError as refused:
            form.reason.errors = [*form.reason.errors, *refused.errors.values()]
        else:
            flash(
                _("Đã mở lại đợt kiểm tra; đoàn kiểm tra có thể sửa kết luận và biên bản, rồi kết thúc lại."), "success"
            )
            return redirect(url_for(".show", inspection_id=inspection.id), 303)
    return render_template("inspections/show.html", **_mode_context(inspection, reopen_form=form)), 422


def closed_visit_message() -> str:
    return _(
        "Đợt kiểm tra đã kết thúc, biên bản đã khóa: không sửa được kết luận hay biên bản. "
        "Nếu cần sửa, đề nghị quản trị phường mở lại đợt kiểm tra."
    )


def _refused(inspection: Inspection, message: str):
    """409: the visit as it is now, with why the change was not made."""
    db.session.rollback()
    flash(message, "error")
    return render_template("inspections/show.html", **_mode_context(inspection)), 409


@bp.get("/inspections/<int:inspection_id>/minutes")
@roles_required(*Role)
def minutes(inspection_id):
    """The inspection minutes (biên bản kiểm tra) as a page to print."""
    inspection = get_inspection(inspection_id, school_staff_may_read=True)
    return render_template(
        "inspections/minutes.html",
        **minutes_context(inspection),
        docx_url=url_for(".minutes_docx", inspection_id=inspection.id),
        back_url=url_for(".show", inspection_id=inspection.id) if current_user.role is not Role.SCHOOL_STAFF else None,
    )


@bp.get("/inspections/<int:inspection_id>/minutes.docx")
@roles_required(*Role)
def minutes_docx(inspection_id):
    """The inspection minutes as a DOCX laid out per Nghị định 30/2020, ready to sign."""
    inspection = get_inspection(inspection_id, school_staff_may_read=True)
    response = make_response(render_minutes_docx(inspection))
    name = minutes_filename(inspection)
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    response.headers["Content-Disposition"] = f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"
    return response

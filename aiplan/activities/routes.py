"""A school's AI activities and its self-evaluation: staff of the school write, the ward reads."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import (
    WARD_READERS,
    can_write_record,
    can_write_ward_record,
    check_ward_writable,
    get_activity,
    get_school,
    get_ward_activity,
    roles_required,
    viewed_ward_id,
)
from ..extensions import db
from ..figures.activities import group_by_form, school_activities, target_actuals, ward_activities
from ..figures.evaluations import get_self_evaluation
from ..figures.evidence import files_for_activity
from ..figures.partners import activity_partners
from ..figures.pilot import pilot_by_school
from ..figures.school_page import checklist
from ..inputs import parse_digits, posted_version
from ..models import Activity, Role, User
from ..schoolyear import current_plan, viewed_plan
from . import self_evaluation as evaluations
from . import services, ward
from .forms import SUBJECTS, ActivityForm, SelfEvaluationForm, WardActivityForm

bp = Blueprint("activities", __name__)

UNPROCESSABLE, CONFLICT = 422, 409


@bp.route("/schools/<slug>/activities", methods=["GET", "POST"])
@roles_required(*Role)
def index(slug):
    """The school's activities by delivery form with their totals, and the form to record a new one."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    form = ActivityForm(plan)
    status = 200
    if request.method == "POST":
        if form.validate_with_rules(plan):
            try:
                activity = services.create_activity(plan, school, form.values(), actor=current_user)
            except services.InvalidActivity as refused:
                form.add_errors(refused.errors)
            else:
                flash(_("Đã ghi nhận hoạt động “%(title)s”.", title=activity.title), "success")
                for warning in services.date_warnings(plan, activity):
                    flash(warning, "warning")
                return redirect(url_for(".index", slug=school.slug) + f"#activity-{activity.id}")
        status = UNPROCESSABLE
    activities = school_activities(plan, school)
    groups = group_by_form(plan, activities)
    shown = request.args.get("form", "")
    return render_template(
        "activities/index.html",
        school=school,
        plan=plan,
        form=form,
        groups=groups,
        shown=shown,
        visible=[g for g in groups if g.activities and (not shown or g.form.code == shown)],
        actuals=target_actuals(plan, [school]),
        can_write=can_write_record(school, plan.id),
        subjects=SUBJECTS,
    ), status


@bp.route("/schools/<slug>/activities/<int:activity_id>", methods=["GET", "POST"])
@roles_required(*Role)
def detail(slug, activity_id):
    """One activity; its staff edit it here, and an edit made on an older version is refused (409)."""
    school, activity = get_activity(slug, activity_id, write=request.method == "POST")
    plan = activity.plan
    form = ActivityForm(plan, data=None if request.method == "POST" else edit_data(activity))
    status, conflict = 200, None
    if request.method == "POST":
        version = posted_version()
        if form.validate_with_rules(plan):
            try:
                changed = services.update_activity(activity, form.values(), version, actor=current_user)
            except services.InvalidActivity as refused:
                form.add_errors(refused.errors)
            except services.StaleActivity:
                conflict = "edit"
            else:
                flash(_("Đã lưu thay đổi.") if changed else _("Không có thay đổi nào để lưu."), "success")
                for warning in services.date_warnings(plan, activity):
                    flash(warning, "warning")
                return redirect(url_for(".detail", slug=school.slug, activity_id=activity.id))
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            # Show what is saved now; the user's own changes stay in the form, on the new version.
            activity = get_activity(slug, activity_id, write=True)[1]
            form.version.data = activity.version
    return _render_detail(school, activity, form, conflict), status


def _render_detail(school, activity, form, conflict):
    return render_template(
        "activities/detail.html",
        school=school,
        plan=activity.plan,
        activity=activity,
        form=form,
        conflict=conflict,
        can_write=can_write_record(activity.school, activity.plan_id),
        people=_people(activity),
        subjects=SUBJECTS,
        files=files_for_activity(activity.id, current_user),
        partners=activity_partners(activity.id),
    )


@bp.post("/schools/<slug>/activities/<int:activity_id>/delete")
@roles_required(*Role)
def delete(slug, activity_id):
    """Delete an activity (kept in the audit log); refused if it changed since the page was loaded."""
    school, activity = get_activity(slug, activity_id, write=True)
    version = posted_version()
    title = activity.title
    try:
        services.delete_activity(activity, version, actor=current_user)
    except services.StaleActivity:
        activity = get_activity(slug, activity_id)[1]
        return _render_detail(
            school, activity, ActivityForm(activity.plan, data=edit_data(activity)), "delete"
        ), CONFLICT
    flash(_("Đã xóa hoạt động “%(title)s”.", title=title), "success")
    return redirect(url_for(".index", slug=school.slug))


@bp.route("/schools/<slug>/self-evaluation", methods=["GET", "POST"])
@roles_required(*Role)
def self_evaluation(slug):
    """The school's self-evaluation on the plan's criteria: drafts, then submission, which locks it."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    evaluation = get_self_evaluation(plan, school)
    form = SelfEvaluationForm.for_criteria(
        plan.criteria, data=None if request.method == "POST" else evaluation_data(evaluation)
    )
    status, refusal, confirm_submit = 200, None, False
    if request.method == "POST":
        version, submit = posted_version(), request.form.get("action") == "submit"
        if form.validate():
            try:
                evaluations.save_self_evaluation(
                    plan,
                    school,
                    form.values(),
                    version,
                    submit=submit,
                    confirmed=request.form.get("confirm") == "1",
                    actor=current_user,
                )
            except evaluations.SubmitNotConfirmed:
                confirm_submit = True  # "Nộp" locks it: the page asks first, nothing saved yet
            except evaluations.IncompleteEvaluation as refused:
                form.add_errors(refused.errors)
            except evaluations.EvaluationLocked:
                refusal = "locked"
            except evaluations.StaleEvaluation:
                refusal = "stale"
            else:
                flash(_("Đã nộp bản tự đánh giá.") if submit else _("Đã lưu bản nháp."), "success")
                return redirect(url_for(".self_evaluation", slug=school.slug))
        status = CONFLICT if refusal else 200 if confirm_submit else UNPROCESSABLE
        if refusal:
            evaluation = get_self_evaluation(plan, school)
            form.version.data = evaluations.current_version(evaluation)
    return render_template(
        "activities/self_evaluation.html",
        school=school,
        plan=plan,
        evaluation=evaluation,
        form=form,
        refusal=refusal,
        confirm_submit=confirm_submit,
        can_write=can_write_record(school, plan.id),
        can_reopen=current_user.role is Role.WARD_ADMIN,
        saved=evaluation_data(evaluation),
        people=_people(evaluation),
        pilot=pilot_by_school(plan, [school]).schools[0][1],  # the evidence shown under criterion 3
    ), status


@bp.post("/schools/<slug>/self-evaluation/reopen")
@roles_required(Role.WARD_ADMIN)
def reopen_self_evaluation(slug):
    """Let the school edit its submitted self-evaluation again (ward admins only)."""
    school = get_school(slug)
    plan = current_plan(school.ward_id)
    if evaluations.reopen_self_evaluation(plan, school, actor=current_user):
        flash(_("Đã mở lại bản tự đánh giá; nhà trường có thể sửa và nộp lại."), "success")
    else:
        flash(_("Bản tự đánh giá chưa được nộp nên không cần mở lại."), "info")
    return redirect(url_for(".self_evaluation", slug=school.slug))


# -- the ward's own activities ----------------------------------------------------------------


@bp.route("/ward/activities", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward_index():
    """The ward's own activities (conference, outreach, training…), and the form to record one."""
    plan = viewed_plan(viewed_ward_id())
    if request.method == "POST":
        check_ward_writable(plan)
    items = checklist(plan, None)
    form = WardActivityForm(items)
    if request.method == "GET" and (proving := parse_digits(request.args.get("item", ""))):
        form.item_id.data = proving  # "Ghi nhận hoạt động cho mốc này" on the ward's checklist
    status = 200
    if request.method == "POST":
        if form.validate_with_rules(plan):
            try:
                activity = ward.create_ward_activity(plan, items, form.values(), actor=current_user)
            except services.InvalidActivity as refused:
                form.add_errors(refused.errors)
            else:
                flash(_("Đã ghi nhận hoạt động “%(title)s”.", title=activity.title), "success")
                for warning in services.date_warnings(plan, activity):
                    flash(warning, "warning")
                return redirect(url_for(".ward_detail", activity_id=activity.id))
        status = UNPROCESSABLE
    return render_template(
        "activities/ward_index.html",
        plan=plan,
        form=form,
        activities=ward_activities(plan),
        can_write=can_write_ward_record(plan),
    ), status


@bp.route("/ward/activities/<int:activity_id>", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward_detail(activity_id):
    """One of the ward's activities with its files; ward admins edit it (an edit on an older version: 409)."""
    activity = get_ward_activity(activity_id, write=request.method == "POST")
    items = checklist(activity.plan, None)
    form = WardActivityForm(items, data=None if request.method == "POST" else ward_edit_data(activity))
    status, conflict = 200, None
    if request.method == "POST":
        version = posted_version()
        if form.validate_with_rules(activity.plan):
            try:
                changed = ward.update_ward_activity(activity, items, form.values(), version, actor=current_user)
            except services.InvalidActivity as refused:
                form.add_errors(refused.errors)
            except services.StaleActivity:
                conflict = "edit"
            else:
                flash(_("Đã lưu thay đổi.") if changed else _("Không có thay đổi nào để lưu."), "success")
                for warning in services.date_warnings(activity.plan, activity):
                    flash(warning, "warning")
                return redirect(url_for(".ward_detail", activity_id=activity.id))
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            activity = get_ward_activity(activity_id, write=True)
            form.version.data = activity.version
    return _render_ward_detail(activity, form, conflict), status


def _render_ward_detail(activity, form, conflict):
    return render_template(
        "activities/ward_detail.html",
        plan=activity.plan,
        activity=activity,
        form=form,
        conflict=conflict,
        can_write=can_write_ward_record(activity.plan),
        people=_people(activity),
        files=files_for_activity(activity.id, current_user),
        partners=activity_partners(activity.id),
    )


@bp.post("/ward/activities/<int:activity_id>/delete")
@roles_required(Role.WARD_ADMIN)
def ward_delete(activity_id):
    """Delete one of the ward's activities (kept, with its files, in the audit log and the store)."""
    activity = get_ward_activity(activity_id, write=True)
    title = activity.title
    try:
        ward.delete_ward_activity(activity, posted_version(), actor=current_user)
    except services.StaleActivity:
        activity = get_ward_activity(activity_id)
        items = checklist(activity.plan, None)
        return _render_ward_detail(activity, WardActivityForm(items, data=ward_edit_data(activity)), "delete"), CONFLICT
    flash(_("Đã xóa hoạt động “%(title)s”.", title=title), "success")
    return redirect(url_for(".ward_index"))


def ward_edit_data(activity: Activity) -> dict:
    return {
        "ward_kind": activity.ward_kind.value if activity.ward_kind else "",
        "title": activity.title,
        "item_id": activity.item_id or 0,
        "participants": activity.participants,
        "attendees": [member.value for member in activity.attendee_groups],
        "starts_on": activity.starts_on,
        "ends_on": activity.ends_on,
        "place": activity.place,
        "notes": activity.notes,
        "version": activity.version,
    }


def edit_data(activity: Activity) -> dict:
    return {
        "form_id": activity.form_id,
        "title": activity.title,
        "subject": activity.subject,
        "grade": activity.grade,
        "class_name": activity.class_name,
        "participants": activity.participants,
        "lessons": activity.lessons,
        "content_area_ids": [a.id for a in activity.content_areas],
        "starts_on": activity.starts_on,
        "ends_on": activity.ends_on,
        "products": activity.products,
        "notes": activity.notes,
        "version": activity.version,
    }


def evaluation_data(evaluation) -> dict:
    data = {"version": evaluations.current_version(evaluation)}
    for row in evaluation.ratings if evaluation is not None else []:
        data[f"rating_{row.criterion_id}"] = row.rating
        data[f"text_{row.criterion_id}"] = row.text
    return data


def _people(record) -> dict[int, User]:
    """The accounts a record names (who created, changed or submitted it), in one query."""
    ids = {getattr(record, name, None) for name in ("created_by_id", "updated_by_id", "submitted_by_id")} - {None}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}

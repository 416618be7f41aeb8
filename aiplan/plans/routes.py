"""The plan itself: Phụ lục I's timeline with concrete dates, Phụ lục II's targets; and for ward
admins, editing it (calendar, deadlines, milestones, targets), exporting it as a plan file and
loading a plan file from the browser."""

import re
from datetime import date
from functools import partial
from urllib.parse import quote

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import login_required_any, roles_required, viewed_ward, viewed_ward_id
from ..audit import field_label
from ..extensions import db
from ..fields import error_text
from ..figures.plan_warnings import plan_warnings
from ..models import Plan, Role, SchoolYear
from ..schoolyear import closed_year_message, is_closed, viewed_plan
from ..timeutil import local_today
from . import calendar, editing, target_editing
from .export import plan_filename, plan_to_toml
from .forms import (
    CalendarForm,
    DayOffForm,
    DeadlineForm,
    HeaderForm,
    MilestoneForm,
    RemoveDayOffForm,
    RemoveEvidenceForm,
    TargetForm,
    UploadForm,
)
from .spec import PlanFileError

bp = Blueprint("plans", __name__)

UNPROCESSABLE, CONFLICT = 422, 409


@bp.get("/plan")
@login_required_any
def show():
    """The plan's timeline, deadlines, evaluation criteria, roadmap and targets."""
    plan = viewed_plan(viewed_ward_id())
    is_admin = current_user.role is Role.WARD_ADMIN
    warnings = plan_warnings(plan) if is_admin else []
    edit_url = url_for(".edit", year=plan.school_year.name) if is_admin and not is_closed(plan) else None
    return render_template("plans/show.html", plan=plan, year=plan.school_year, warnings=warnings, edit_url=edit_url)


def get_plan(year: str, editable: bool = True) -> Plan:
    """The ward's plan of the school year named `year` (404 otherwise); for edits, 403 once the year is past."""
    plan = db.session.scalar(
        select(Plan).join(SchoolYear).where(Plan.ward_id == viewed_ward_id(), SchoolYear.name == year)
    )
    if plan is None:
        abort(404)
    if editable and is_closed(plan):
        abort(403, description=closed_year_message())
    return plan


def _one(rows, attr: str, value):
    """The row of a plan's collection with `attr` == `value`, else 404."""
    row = next((row for row in rows if getattr(row, attr) == value), None)
    if row is None:
        abort(404)
    return row


@bp.get("/admin/plan/<year>")
@roles_required(Role.WARD_ADMIN)
def edit(year):
    """What of the year's plan can be edited, with links to each part, the export and the upload."""
    plan = get_plan(year)
    return render_template(
        "plans/edit.html",
        plan=plan,
        year=plan.school_year,
        warnings=plan_warnings(plan),
        visits_outside=editing.visits_outside_window(plan),
    )


@bp.route("/admin/plan/<year>/calendar", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def edit_calendar(year):
    """The year's term dates, the mid-HK II inspection window, the end of the year and of its summing-up."""
    plan = get_plan(year)
    read = partial(editing.calendar_values, plan)
    form = CalendarForm(data=_initial(read(), dates=editing.CALENDAR_FIELDS))
    done, status = _submit(
        form,
        lambda: editing.update_calendar(plan, form.days(), version=form.version.valid_data, actor=current_user),
        read,
        plan,
        _("Đã lưu lịch năm học; hạn của các mục việc đã được tính lại."),
    )
    if done:
        outside = editing.visits_outside_window(plan)
        if outside:
            flash(
                _(
                    "Lưu ý: %(count)d đợt kiểm tra đã lên lịch nằm ngoài đợt kiểm tra giữa HK II mới; "
                    "hãy xem lại lịch kiểm tra.",
                    count=outside,
                ),
                "warning",
            )
    return done or _calendar_page(plan, form, status, read)


def _calendar_page(plan: Plan, form, status: int, read, day_off_form=None):
    """The calendar editor: the term dates' form, the ward's days off, and the review of the due
    dates they give (moved ones with why) and of the public holidays in the year."""
    year = plan.school_year
    days_off_version = editing.fingerprint(calendar.days_off_values(plan))
    return _page(
        "plans/calendar.html",
        plan,
        form,
        status,
        read,
        day_off_form=day_off_form or DayOffForm(data={"version": days_off_version}),
        remove_form=RemoveDayOffForm(data={"version": days_off_version}),
        review=calendar.due_review(plan),
        holidays=year.work_calendar().holidays_between(year.hk1_start, year.closes_on),
    )


@bp.post("/admin/plan/<year>/days-off")
@roles_required(Role.WARD_ADMIN)
def add_day_off(year):
    """Close the ward on a day besides the public holidays; due dates on it move to a working day."""
    plan = get_plan(year)
    read = partial(editing.calendar_values, plan)
    form = DayOffForm()
    status = UNPROCESSABLE
    if form.validate_on_submit():
        try:
            calendar.add_day_off(
                plan, form.day.data, form.reason.data, version=form.version.valid_data, actor=current_user
            )
        except editing.StaleEdit:
            form.version.data = editing.fingerprint(calendar.days_off_values(plan))
            form.form_errors.append(_("Ngày nghỉ vừa được người khác sửa; hãy xem lại danh sách rồi thêm lại."))
            status = CONFLICT
        except editing.PlanEditError as refused:
            _show_errors(form, refused.errors)
        else:
            flash(
                _(
                    "Đã thêm ngày nghỉ %(day)s; hạn của các mục việc đã được tính lại.",
                    day=f"{form.day.data:%d/%m/%Y}",
                ),
                "success",
            )
            return redirect(url_for(".edit_calendar", year=year), 303)
    calendar_form = CalendarForm(data=_initial(read(), dates=editing.CALENDAR_FIELDS))
    return _calendar_page(plan, calendar_form, status, read, day_off_form=form)


@bp.post("/admin/plan/<year>/days-off/<day>/remove")
@roles_required(Role.WARD_ADMIN)
def remove_day_off(year, day):
    """Open the ward again on a day it had closed; due dates follow."""
    plan = get_plan(year)
    try:
        one = date.fromisoformat(day)
    except ValueError:
        abort(404)
    _one(plan.school_year.days_off, "day", one)
    form = RemoveDayOffForm()
    back = url_for(".edit_calendar", year=year)
    if not form.validate_on_submit():
        abort(400, description=error_text(form))
    try:
        calendar.remove_day_off(plan, one, version=form.version.valid_data, actor=current_user)
    except editing.StaleEdit:
        flash(_("Ngày nghỉ vừa được người khác sửa; chưa bỏ ngày nào. Hãy xem lại rồi thử lại."), "error")
        return redirect(back, 303)
    flash(_("Đã bỏ ngày nghỉ %(day)s; hạn của các mục việc đã được tính lại.", day=f"{one:%d/%m/%Y}"), "success")
    return redirect(back, 303)


@bp.route("/admin/plan/<year>/header", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def edit_header(year):
    """The plan's number, issue date and signer, as every document citing the plan prints them."""
    plan = get_plan(year)
    read = partial(editing.header_values, plan)
    form = HeaderForm(data=_initial(read(), dates=("issued_on",)))
    done, status = _submit(
        form,
        lambda: editing.update_header(plan, form.values(), version=form.version.valid_data, actor=current_user),
        read,
        plan,
        _("Đã lưu số, ngày ban hành và người ký của kế hoạch."),
    )
    return done or _page("plans/header.html", plan, form, status, read)


@bp.route("/admin/plan/<year>/deadlines/<key>", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def edit_deadline(year, key):
    """A deadline of Phụ lục I.2/I.3: its wording, who owes it, and its date (once or every year)."""
    plan = get_plan(year)
    deadline = _one(plan.deadlines, "key", key)
    read = partial(editing.deadline_values, deadline)
    values = read()
    form = DeadlineForm(
        data=_initial(values, dates=("before",)) | {"kind": "yearly" if values["yearly_before"] else "before"}
    )
    done, status = _submit(
        form,
        lambda: editing.update_deadline(
            plan, deadline, form.values(), version=form.version.valid_data, actor=current_user
        ),
        read,
        plan,
        _("Đã lưu thời hạn; hạn của các mục việc đã được tính lại."),
    )
    return done or _page("plans/deadline.html", plan, form, status, read, deadline=deadline)


@bp.route("/admin/plan/<year>/milestones/<int:number>", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def edit_milestone(year, number):
    """A milestone of Phụ lục I.1: its title, timing and owners, and which deadlines it follows."""
    plan = get_plan(year)
    milestone = _one(plan.milestones, "number", number)
    read = partial(editing.milestone_values, milestone)
    values = read()
    form = MilestoneForm(
        data=_initial(values)
        | {"school_deadline": values["school_deadline"] or "", "ward_deadline": values["ward_deadline"] or ""}
    )
    form.set_deadlines(plan)
    done, status = _submit(
        form,
        lambda: editing.update_milestone(
            plan,
            milestone,
            form.values(),
            version=form.version.valid_data,
            actor=current_user,
            confirm=form.confirm.data,
        ),
        read,
        plan,
        _("Đã lưu mốc %(number)d; danh mục việc của các trường đã được cập nhật.", number=number),
    )
    return done or _page("plans/milestone.html", plan, form, status, read, milestone=milestone)


@bp.route("/admin/plan/<year>/targets/<int:stt>", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def edit_target(year, stt):
    """A target row of Phụ lục II with its evidence requirements (edit each, add one)."""
    plan = get_plan(year)
    target = _one(plan.targets, "stt", stt)
    read = partial(target_editing.target_state, target)
    values = target_editing.target_values(target)
    form = TargetForm(
        data=_initial(values, version_of=read())
        | {
            "pilot": {True: "1", False: "0"}.get(values["pilot"], ""),
            "evidence": [{"key": e.key, "title": e.title, "timing": e.timing.value} for e in target.evidence],
        }
    )
    done, status = _submit(
        form,
        lambda: target_editing.update_target(
            plan,
            target,
            form.values(),
            form.evidence_rows(),
            form.new_evidence(),
            version=form.version.valid_data,
            actor=current_user,
            confirm=form.confirm.data,
        ),
        read,
        plan,
        _("Đã lưu chỉ tiêu STT %(stt)d; danh mục việc của các trường đã được cập nhật.", stt=stt),
    )
    return done or _page(
        "plans/target.html",
        plan,
        form,
        status,
        read,
        target=target,
        remove_form=RemoveEvidenceForm(data={"version": editing.fingerprint(read())}),
    )


@bp.post("/admin/plan/<year>/targets/<int:stt>/evidence/<key>/remove")
@roles_required(Role.WARD_ADMIN)
def remove_evidence(year, stt, key):
    """Drop an evidence requirement that no school has worked on."""
    plan = get_plan(year)
    target = _one(plan.targets, "stt", stt)
    _one(target.evidence, "key", key)
    form = RemoveEvidenceForm()
    back = url_for(".edit_target", year=year, stt=stt)
    try:
        if not form.validate_on_submit():
            abort(400, description=error_text(form))
        removed = target_editing.remove_evidence(plan, target, key, version=form.version.data or "", actor=current_user)
    except editing.StaleEdit:
        flash(_("Chỉ tiêu vừa được người khác sửa; minh chứng chưa bị bỏ. Hãy xem lại rồi thử lại."), "error")
        return redirect(back, 303)
    except editing.PlanEditError as refused:
        flash(" ".join(refused.errors.values()), "error")
        return redirect(back, 303)
    flash(_("Đã bỏ minh chứng “%(title)s” khỏi chỉ tiêu STT %(stt)d.", title=removed.title, stt=stt), "success")
    return redirect(back, 303)


@bp.get("/admin/plan/<year>.toml")
@roles_required(Role.WARD_ADMIN)
def export(year):
    """The year's plan as a plan file (TOML), to keep, review or load again."""
    plan = get_plan(year, editable=False)
    response = make_response(plan_to_toml(plan, exported_on=local_today()))
    name = plan_filename(plan)
    response.headers["Content-Type"] = "application/toml; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/admin/plan/upload", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def upload():
    """Load a plan file from the browser, checked and reported as `flask load-plan` does."""
    form = UploadForm()
    report, refused = None, None
    if form.validate_on_submit():
        chosen = form.file.data
        if chosen is None or not chosen.filename:
            refused = PlanFileError(_("(chưa chọn tệp)"), [_("Chọn một tệp kế hoạch .toml để nạp.")])
        else:
            source = editing.upload_name(chosen.filename)
            try:
                report = editing.load_uploaded(
                    chosen.stream.read(editing.UPLOAD_LIMIT + 1),
                    source,
                    ward=viewed_ward(),
                    replace_calendar=form.replace_calendar.data,
                    actor=current_user,
                )
            except PlanFileError as error:
                refused = error
    status = UNPROCESSABLE if refused is not None or (request.method == "POST" and report is None) else 200
    return render_template(
        "plans/upload.html",
        form=form,
        report=report,
        refused=refused,
        closed=report is not None and is_closed(report.plan),
    ), status


def _initial(values: dict, dates: tuple = (), version_of: dict | None = None) -> dict:
    """A form's first values: the stored ones (`dates` as dates) and the fingerprint of what it shows."""
    data = {name: date.fromisoformat(value) if name in dates and value else value for name, value in values.items()}
    return data | {"version": editing.fingerprint(values if version_of is None else version_of)}


def _submit(form, save, read, plan: Plan, saved: str):
    """Save a posted form: (redirect, None) once saved; (None, status) to show the form again with
    its messages — 422 for bad input or an unconfirmed retirement, 409 when someone saved first."""
    if request.method != "POST":
        return None, 200
    if form.validate_on_submit():
        try:
            changed = save()
        except editing.StaleEdit:
            form.version.data = editing.fingerprint(read())
            return None, CONFLICT
        except editing.PlanEditError as refused:
            _show_errors(form, refused.errors)
        else:
            flash(saved if changed else _("Không có thay đổi nào để lưu."), "success")
            return redirect(url_for(".edit", year=plan.school_year.name), 303), None
    return None, UNPROCESSABLE


def _show_errors(form, errors: dict[str, str]) -> None:
    rows = {row.form.key.data: row.form for row in getattr(form, "evidence", [])}
    for name, message in errors.items():
        if name.startswith("evidence:") and name[9:] in rows:
            field = rows[name[9:]].title
        else:
            field = getattr(form, {"new_evidence": "new_evidence_title"}.get(name, name), None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _page(template: str, plan: Plan, form, status: int, read, **context):
    """An edit page; after a conflict it also shows what is stored now."""
    stored = None
    if status == CONFLICT:
        stored = [
            (form[name].label.text if name in form else field_label(name), _shown(form, name, value))
            for name, value in read().items()
            if name != "evidence"
        ]
    return render_template(template, plan=plan, year=plan.school_year, form=form, stored=stored, **context), status


def _shown(form, name: str, value) -> str:
    """A stored value in the words of the form: choices by their labels, dates as dd/mm/yyyy."""
    choices = getattr(form[name], "choices", None) or [] if name in form else []
    labels = dict((c.value, c.label) if hasattr(c, "value") else c for c in choices)
    values = value if isinstance(value, list) else [value]
    shown = []
    for one in values:
        if isinstance(one, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", one):
            one = f"{date.fromisoformat(one):%d/%m/%Y}"
        elif name == "pilot":
            one = {True: "1", False: "0"}.get(one, "")
        shown.append(str(labels.get(one, one) if one not in (None, "") or one in labels else "—"))
    return ", ".join(shown)

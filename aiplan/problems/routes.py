"""Problems raised (vướng mắc): a school reports one to the UBND phường through the Phòng VHXH, both
sides write in its thread, the Phòng VHXH assigns, closes and reopens it; supervisors and viewers read."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import (
    WARD_READERS,
    can_write_record,
    check_writable,
    get_problem,
    get_school,
    roles_required,
    viewed_ward_id,
)
from ..evidence.services import Upload, UploadRefused
from ..extensions import db
from ..fields import error_text
from ..figures.problems import PLAN_LINE, school_problems, thread, ward_problems
from ..figures.school_page import checklist
from ..inputs import parse_digits
from ..models import ChecklistItem, ProblemFile, ProblemStatus, Role, User
from ..schoolyear import current_plan, viewed_plan
from ..storage import get_storage
from ..timeutil import local_today
from .forms import AssignForm, MessageForm, ProblemForm, StatusForm
from .services import ProblemRuleError, StaleProblem, add_message, assign, raise_problem, set_status

bp = Blueprint("problems", __name__)


@bp.get("/schools/<slug>/problems")
@roles_required(*Role)
def school(slug):
    """The school's problems and, for its staff, the form to raise one."""
    school = get_school(slug)
    plan = viewed_plan(school.ward_id)
    return _school_page(school, plan, ProblemForm())


@bp.post("/schools/<slug>/problems")
@roles_required(Role.SCHOOL_STAFF)
def report(slug):
    """Raise a problem with the ward: subject, details, files, the item it is about."""
    school = get_school(slug, write=True)
    plan = current_plan(school.ward_id)
    check_writable(school, plan.id)
    form = ProblemForm()
    items = _offered_items(plan, school, form)
    errors: list[tuple[str, str]] = []
    if form.validate_on_submit():
        item = items.get(parse_digits(form.item.data) or 0) if form.item.data else None
        if form.item.data and item is None:
            errors.append(("item", _("Mục việc liên quan phải là một mục của nhà trường trong năm học này.")))
        else:
            try:
                problem = raise_problem(
                    plan,
                    school,
                    subject=form.subject.data,
                    details=form.details.data,
                    item=item,
                    uploads=_uploads(form.file.name),
                    actor=current_user,
                )
            except UploadRefused as refused:
                errors += _refusals(refused)
            except ProblemRuleError as rule:
                errors.append(("item", str(rule)))
            else:
                flash(_("Đã gửi vướng mắc tới Phòng VHXH: %(subject)s", subject=problem.subject), "success")
                return redirect(url_for("problems.show", problem_id=problem.id), 303)
    return _school_page(school, plan, form, errors), 422


@bp.get("/problems")
@roles_required(*WARD_READERS)
def ward():
    """Every school's problems, open first (oldest first): what the Phòng VHXH has to answer."""
    plan = viewed_plan(viewed_ward_id())
    wanted = request.args.get("trang_thai")
    status = ProblemStatus(wanted) if wanted in {s.value for s in ProblemStatus} else None
    return render_template(
        "problems/ward.html",
        plan=plan,
        problems=ward_problems(plan, status),
        ProblemStatus=ProblemStatus,
        status=status,
        today=local_today(),
        plan_line=PLAN_LINE,
    )


@bp.get("/problems/<int:problem_id>")
@roles_required(*Role)
def show(problem_id):
    """One problem and its thread: who wrote what, when, with which files."""
    return _thread_page(get_problem(problem_id))


@bp.post("/problems/<int:problem_id>/messages")
@roles_required(Role.SCHOOL_STAFF, Role.WARD_ADMIN)
def reply(problem_id):
    """A message in the thread, by the school's staff or the Phòng VHXH."""
    problem = get_problem(problem_id, write=True)
    form = MessageForm()
    errors: list[tuple[str, str]] = []
    code = 422
    if form.validate_on_submit():
        try:
            add_message(problem, body=form.body.data, uploads=_uploads(form.file.name), actor=current_user)
        except UploadRefused as refused:
            errors += _refusals(refused)
        except ProblemRuleError as rule:
            errors.append(("", str(rule)))
            code = 409
        else:
            flash(_("Đã gửi trả lời."), "success")
            return redirect(url_for("problems.show", problem_id=problem.id, _anchor="thread-end"), 303)
    return _thread_page(get_problem(problem_id), message_form=form, errors=errors), code


@bp.post("/problems/<int:problem_id>/assign")
@roles_required(Role.WARD_ADMIN)
def assign_to(problem_id):
    """Name the Phòng VHXH officer who handles the problem."""
    problem = get_problem(problem_id, write=True)
    form = AssignForm()
    _offer_admins(form)
    error, code = None, 422
    if form.validate_on_submit():
        user_id = parse_digits(form.assignee.data) if form.assignee.data else None
        assignee = db.session.get(User, user_id) if user_id else None
        if form.assignee.data and assignee is None:
            error = _("Chỉ giao cho cán bộ Phòng VHXH của phường.")
        else:
            try:
                assign(problem, version=form.version.valid_data, assignee=assignee, actor=current_user)
            except StaleProblem:
                error, code = _stale(), 409
            except ProblemRuleError as rule:
                error = str(rule)
            else:
                flash(_("Đã giao xử lý."), "success")
                return redirect(url_for("problems.show", problem_id=problem.id), 303)
    else:
        error = error_text(form)
    return _thread_page(get_problem(problem_id), errors=[("assignee", error)]), code


@bp.post("/problems/<int:problem_id>/status")
@roles_required(Role.WARD_ADMIN)
def set_state(problem_id):
    """Close the problem, or reopen it (status=da_dong / dang_mo; idempotent)."""
    problem = get_problem(problem_id, write=True)
    form = StatusForm()
    if not form.validate_on_submit():
        return _thread_page(problem, errors=[("", error_text(form))]), 422
    status = ProblemStatus(form.status.data)
    try:
        set_status(problem, version=form.version.valid_data, status=status, actor=current_user)
    except StaleProblem:
        return _thread_page(get_problem(problem_id), errors=[("", _stale())]), 409
    flash(_("Đã đóng vấn đề.") if status is ProblemStatus.CLOSED else _("Đã mở lại vấn đề."), "success")
    return redirect(url_for("problems.show", problem_id=problem.id), 303)


@bp.get("/problems/<int:problem_id>/files/<int:file_id>")
@roles_required(*Role)
def download(problem_id, file_id):
    """A file sent with the problem, as an attachment with its real type."""
    problem = get_problem(problem_id)
    file = db.session.get(ProblemFile, file_id)
    if file is None or file.problem_id != problem.id:
        abort(404)
    try:
        stream = get_storage().open(file.sha256)
    except FileNotFoundError:
        current_app.logger.error("Problem file %s has no blob %s in the store", file.id, file.sha256)
        abort(404, description=_("Không tìm thấy nội dung của tệp trong kho lưu trữ; hãy báo cho quản trị."))
    response = send_file(stream, as_attachment=True, download_name=file.original_name, etag=file.sha256)
    response.headers["Content-Type"] = file.content_type
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _school_page(school, plan, form, errors=()):
    can_write = can_write_record(school, plan.id)
    if can_write:
        _offered_items(plan, school, form)
    return render_template(
        "problems/school.html",
        school=school,
        plan=plan,
        problems=school_problems(plan, school),
        form=form,
        errors=list(errors),
        can_write=can_write,
        active="problems",
        plan_line=PLAN_LINE,
    )


def _thread_page(problem, message_form=None, errors=()):
    problem = thread(problem.id)
    current = problem.plan_id == current_plan(problem.school.ward_id).id
    may_reply = current and (
        (current_user.role is Role.SCHOOL_STAFF and current_user.school_id == problem.school_id)
        or current_user.role is Role.WARD_ADMIN
    )
    manage = current and current_user.role is Role.WARD_ADMIN
    assign_form = AssignForm()
    if manage:
        _offer_admins(assign_form)
        assign_form.assignee.data = str(problem.assignee_id or "")
    return render_template(
        "problems/show.html",
        problem=problem,
        school=problem.school,
        message_form=message_form or MessageForm(formdata=None),
        assign_form=assign_form,
        errors=[error for error in errors if error[1]],
        may_reply=may_reply and problem.is_open,
        manage=manage,
        today=local_today(),
        plan_line=PLAN_LINE,
        ProblemStatus=ProblemStatus,
    )


def _offered_items(plan, school, form) -> dict[int, ChecklistItem]:
    items = {item.id: item for item in checklist(plan, school)}
    form.item.choices = [("", _("— Không gắn với mục nào —"))] + [
        (str(item.id), (item.title[:1].upper() + item.title[1:])[:120]) for item in items.values()
    ]
    return items


def _offer_admins(form) -> None:
    admins = db.session.scalars(
        select(User)
        .where(User.ward_id == viewed_ward_id(), User.role == Role.WARD_ADMIN, User.is_enabled)
        .order_by(User.full_name, User.username)
    )
    form.assignee.choices = [("", _("— Chưa giao —"))] + [(str(user.id), user.display_name) for user in admins]


def _uploads(field: str) -> list[Upload]:
    chosen = [f for f in request.files.getlist(field) if f and f.filename]
    if len(chosen) > current_app.config["EVIDENCE_MAX_FILES"]:
        raise UploadRefused(
            [], message=_("Mỗi lần gửi tối đa %(max)s tệp.", max=current_app.config["EVIDENCE_MAX_FILES"])
        )
    return [Upload(f.stream, f.filename) for f in chosen]


def _refusals(refused: UploadRefused) -> list[tuple[str, str]]:
    if refused.message:
        return [("file", str(refused.message))]
    return [("file", f"{name}: {reason}") for name, reason in refused.problems]


def _stale() -> str:
    return _("Người khác vừa thay đổi vấn đề này; đây là nội dung mới nhất. Hãy xem lại rồi làm lại.")

"""Teacher training: the school's roster, training plan and sessions (its staff write, the ward
reads), each teacher's history, and the ward's own training plan with every school's figures."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import (
    WARD_READERS,
    can_write_record,
    can_write_ward_record,
    check_ward_writable,
    check_writable,
    get_school,
    get_teacher,
    get_training_session,
    roles_required,
    viewed_ward_id,
)
from ..figures import training as figures
from ..inputs import posted_version
from ..models import Role
from ..schoolyear import current_plan, plan_schools, viewed_plan
from . import services
from .forms import SessionForm, TeacherForm, TrainingPlanForm

bp = Blueprint("training", __name__)

UNPROCESSABLE, CONFLICT = 422, 409


def _plan_form(record):
    return TrainingPlanForm(
        data=None if request.method == "POST" else {"text": record.text if record else "", "version": _v(record)}
    )


def _v(record) -> int:
    return record.version if record is not None else 0


@bp.route("/schools/<slug>/training", methods=["GET", "POST"])
@roles_required(*Role)
def index(slug):
    """The school's training: its plan (written here), the figures, and the sessions of the year."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    record = figures.training_plan(plan, school)
    form, status, conflict = _plan_form(record), 200, False
    if request.method == "POST":
        plan = current_plan(school.ward_id)
        check_writable(school, plan.id)
        if form.validate():
            try:
                changed = services.save_training_plan(
                    plan, school, (form.text.data or "").strip(), posted_version(), actor=current_user
                )
            except services.Stale:
                conflict = True
            else:
                flash(_("Đã lưu kế hoạch tập huấn.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".index", slug=school.slug))
        status = CONFLICT if conflict else UNPROCESSABLE
        record = figures.training_plan(plan, school)
        form.version.data = _v(record)
    return render_template(
        "training/index.html",
        school=school,
        plan=plan,
        record=record,
        form=form,
        conflict=conflict,
        sessions=figures.sessions(plan, school),
        numbers=figures.training_by_school(plan, [school]).schools[0][1],
        can_write=can_write_record(school, plan.id),
    ), status


@bp.route("/schools/<slug>/training/teachers", methods=["GET", "POST"])
@roles_required(*Role)
def roster(slug):
    """The school's roster of teachers, and the form to add one."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    form, status = TeacherForm(), 200
    if request.method == "POST":
        plan = current_plan(school.ward_id)
        check_writable(school, plan.id)
        if form.validate():
            teacher = services.add_teacher(plan, school, form.values(), actor=current_user)
            flash(_("Đã thêm giáo viên %(name)s vào danh sách.", name=teacher.name), "success")
            return redirect(url_for(".roster", slug=school.slug) + f"#teacher-{teacher.id}")
        status = UNPROCESSABLE
    teachers = figures.roster(plan, school)
    return render_template(
        "training/roster.html",
        school=school,
        plan=plan,
        teachers=teachers,
        form=form,
        can_write=can_write_record(school, plan.id),
    ), status


@bp.route("/schools/<slug>/training/teachers/<int:teacher_id>", methods=["GET", "POST"])
@roles_required(*Role)
def teacher(slug, teacher_id):
    """One teacher: the sessions they attended, this year and before; staff edit them here (409 if stale)."""
    school, teacher = get_teacher(slug, teacher_id, write=request.method == "POST")
    data = {"name": teacher.name, "subject": teacher.subject, "email": teacher.email, "version": teacher.version}
    form, status, conflict = TeacherForm(data=None if request.method == "POST" else data), 200, None
    if request.method == "POST":
        version = posted_version()
        if form.validate():
            try:
                changed = services.update_teacher(teacher, form.values(), version, actor=current_user)
            except services.Stale:
                conflict = "edit"
            else:
                flash(_("Đã lưu thay đổi.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".teacher", slug=school.slug, teacher_id=teacher.id))
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            school, teacher = get_teacher(slug, teacher_id, write=True)
            form.version.data = teacher.version
    return _render_teacher(school, teacher, form, conflict), status


def _render_teacher(school, teacher, form, conflict):
    return render_template(
        "training/teacher.html",
        school=school,
        teacher=teacher,
        form=form,
        conflict=conflict,
        history=figures.teacher_history(teacher),
        can_write=can_write_record(school, teacher.plan_id),
    )


@bp.post("/schools/<slug>/training/teachers/<int:teacher_id>/delete")
@roles_required(Role.SCHOOL_STAFF)
def teacher_delete(slug, teacher_id):
    """Take a teacher off the roster; the sessions they attended keep them (refused if changed since)."""
    school, teacher = get_teacher(slug, teacher_id, write=True)
    name = teacher.name
    try:
        services.delete_teacher(teacher, posted_version(), actor=current_user)
    except services.Stale:
        school, teacher = get_teacher(slug, teacher_id)
        data = {"name": teacher.name, "subject": teacher.subject, "email": teacher.email, "version": teacher.version}
        return _render_teacher(school, teacher, TeacherForm(data=data), "delete"), CONFLICT
    flash(_("Đã xóa %(name)s khỏi danh sách giáo viên.", name=name), "success")
    return redirect(url_for(".roster", slug=school.slug))


@bp.route("/schools/<slug>/training/sessions/new", methods=["GET", "POST"])
@roles_required(Role.SCHOOL_STAFF)
def session_new(slug):
    """Record a training session and the school's teachers who attended it."""
    school = get_school(slug, write=True)
    plan = current_plan(school.ward_id)
    check_writable(school, plan.id)
    teachers = figures.roster(plan, school)
    form, status = SessionForm(plan, teachers), 200
    if request.method == "POST":
        if form.validate():
            try:
                session = services.create_session(plan, school, teachers, form.values(), actor=current_user)
            except services.Invalid as refused:
                for name, message in refused.errors.items():
                    getattr(form, name).errors = [*getattr(form, name).errors, message]
            else:
                flash(_("Đã ghi nhận buổi bồi dưỡng “%(title)s”.", title=session.title), "success")
                return redirect(url_for(".index", slug=school.slug) + f"#session-{session.id}")
        status = UNPROCESSABLE
    return render_template(
        "training/session.html", school=school, plan=plan, form=form, session=None, teachers=teachers, conflict=None
    ), status


@bp.route("/schools/<slug>/training/sessions/<int:session_id>", methods=["GET", "POST"])
@roles_required(*Role)
def session(slug, session_id):
    """One session with its attendees; the school's staff edit it here (409 if it changed since)."""
    school, record = get_training_session(slug, session_id, write=request.method == "POST")
    teachers = figures.roster(record.plan, school)
    form = SessionForm(record.plan, teachers, data=None if request.method == "POST" else _session_data(record))
    status, conflict = 200, None
    if request.method == "POST":
        version = posted_version()
        if form.validate():
            try:
                changed = services.update_session(record, school, teachers, form.values(), version, actor=current_user)
            except services.Invalid as refused:
                for name, message in refused.errors.items():
                    getattr(form, name).errors = [*getattr(form, name).errors, message]
            except services.Stale:
                conflict = "edit"
            else:
                flash(_("Đã lưu thay đổi.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".session", slug=school.slug, session_id=record.id))
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            school, record = get_training_session(slug, session_id, write=True)
            form.version.data = record.version
    return render_template(
        "training/session.html",
        school=school,
        plan=record.plan,
        form=form,
        session=record,
        teachers=teachers,
        conflict=conflict,
        can_write=can_write_record(school, record.plan_id),
    ), status


def _session_data(record) -> dict:
    return {
        "held_on": record.held_on,
        "title": record.title,
        "content_area_id": record.content_area_id,
        "organiser": record.organiser.value,
        "organiser_name": record.organiser_name,
        "teacher_ids": [t.id for t in record.teachers],
        "notes": record.notes,
        "version": record.version,
    }


@bp.post("/schools/<slug>/training/sessions/<int:session_id>/delete")
@roles_required(Role.SCHOOL_STAFF)
def session_delete(slug, session_id):
    """Delete a session (kept in the audit log); refused if it changed since the page was loaded."""
    school, record = get_training_session(slug, session_id, write=True)
    try:
        services.delete_session(record, school, posted_version(), actor=current_user)
    except services.Stale:
        school, record = get_training_session(slug, session_id)
        teachers = figures.roster(record.plan, school)
        return render_template(
            "training/session.html",
            school=school,
            plan=record.plan,
            form=SessionForm(record.plan, teachers, data=_session_data(record)),
            session=record,
            teachers=teachers,
            conflict="delete",
            can_write=True,
        ), CONFLICT
    flash(_("Đã xóa buổi bồi dưỡng “%(title)s”.", title=record.title), "success")
    return redirect(url_for(".index", slug=school.slug))


@bp.route("/ward/training", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward():
    """The ward's training plan (its admins write it) and every school's training figures."""
    plan = viewed_plan(viewed_ward_id())
    record = figures.training_plan(plan, None)
    form, status, conflict = _plan_form(record), 200, False
    if request.method == "POST":
        check_ward_writable(plan)
        if form.validate():
            try:
                changed = services.save_training_plan(
                    plan, None, (form.text.data or "").strip(), posted_version(), actor=current_user
                )
            except services.Stale:
                conflict = True
            else:
                flash(_("Đã lưu kế hoạch tập huấn.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".ward"))
        status = CONFLICT if conflict else UNPROCESSABLE
        record = figures.training_plan(plan, None)
        form.version.data = _v(record)
    return render_template(
        "training/ward.html",
        plan=plan,
        record=record,
        form=form,
        conflict=conflict,
        training=figures.training_by_school(plan, plan_schools(plan)),
        can_write=can_write_ward_record(plan),
    ), status

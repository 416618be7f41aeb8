"""The resources register: a school's budget lines and contributions, the ward's own, and the ward's
totals across its schools. Staff of a school write their school's; the ward's admins the ward's."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import (
    WARD_READERS,
    can_write_record,
    can_write_ward_record,
    check_ward_writable,
    check_writable,
    get_resource,
    get_school,
    get_ward_resource,
    roles_required,
    viewed_ward_id,
)
from ..figures.evidence import files_for_resource
from ..figures.resources import register_entries, resource_summary, vnd
from ..inputs import posted_version
from ..models import Condition, Resource, ResourceKind, Role
from ..schoolyear import plan_schools, viewed_plan
from . import services
from .forms import ResourceForm

bp = Blueprint("resources", __name__)

UNPROCESSABLE, CONFLICT = 422, 409


@bp.app_template_filter("vnd")
def vnd_filter(amount: int | None) -> str:
    return vnd(amount)


@bp.route("/schools/<slug>/resources", methods=["GET", "POST"])
@roles_required(*Role)
def index(slug):
    """The school's register for the year with its totals, and the form to add an entry."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    if request.method == "POST":
        check_writable(school, plan.id)  # a past year, chosen in the year selector, is read-only
    form = ResourceForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            resource = services.create_resource(plan, school, form.values(), current_user)
            flash(_("Đã ghi nhận nguồn lực “%(source)s”.", source=resource.source), "success")
            return redirect(url_for(".detail", slug=school.slug, resource_id=resource.id))
        status = UNPROCESSABLE
    entries = register_entries(plan, school)
    return render_template(
        "resources/index.html",
        school=school,
        plan=plan,
        form=form,
        entries=entries,
        totals=resource_summary(plan, [school], include_ward=False).all,
        can_write=can_write_record(school, plan.id),
        action=url_for(".index", slug=school.slug) + "#new",
        **_words(),
    ), status


@bp.route("/schools/<slug>/resources/<int:resource_id>", methods=["GET", "POST"])
@roles_required(*Role)
def detail(slug, resource_id):
    """One entry with its documents; the school's staff edit it (an edit on an older version: 409)."""
    resource = get_resource(slug, resource_id, write=request.method == "POST")[1]
    return _detail(resource, lambda write=False: get_resource(slug, resource_id, write=write)[1])


@bp.post("/schools/<slug>/resources/<int:resource_id>/delete")
@roles_required(Role.SCHOOL_STAFF)
def delete(slug, resource_id):
    """Delete an entry (kept in the audit log); refused if it changed since the page was loaded."""
    school, resource = get_resource(slug, resource_id, write=True)
    return _delete(resource, url_for(".index", slug=school.slug), lambda: get_resource(slug, resource_id)[1])


@bp.route("/ward/resources", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward():
    """The ward's totals across its schools, its own register, and (ward admins) the form to add to it."""
    plan = viewed_plan(viewed_ward_id())
    if request.method == "POST":
        check_ward_writable(plan)
    form = ResourceForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            resource = services.create_resource(plan, None, form.values(), current_user)
            flash(_("Đã ghi nhận nguồn lực “%(source)s”.", source=resource.source), "success")
            return redirect(url_for(".ward_detail", resource_id=resource.id))
        status = UNPROCESSABLE
    return render_template(
        "resources/ward.html",
        plan=plan,
        form=form,
        entries=register_entries(plan, None),
        summary=resource_summary(plan, plan_schools(plan)),
        can_write=can_write_ward_record(plan),
        action=url_for(".ward") + "#new",
        **_words(),
    ), status


@bp.route("/ward/resources/<int:resource_id>", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward_detail(resource_id):
    """One entry of the ward's own register; ward admins edit it."""
    get_ward_resource(resource_id, write=request.method == "POST")
    return _detail(get_ward_resource(resource_id), lambda write=False: get_ward_resource(resource_id, write=write))


@bp.post("/ward/resources/<int:resource_id>/delete")
@roles_required(Role.WARD_ADMIN)
def ward_delete(resource_id):
    """Delete an entry of the ward's own register (kept in the audit log)."""
    resource = get_ward_resource(resource_id, write=True)
    return _delete(resource, url_for(".ward"), lambda: get_ward_resource(resource_id))


def _detail(resource: Resource, reload):
    form = ResourceForm(data=None if request.method == "POST" else edit_data(resource))
    status, conflict = 200, None
    if request.method == "POST":
        version = posted_version()
        if form.validate():
            try:
                changed = services.update_resource(resource, form.values(), version, current_user)
            except services.StaleResource:
                conflict = "edit"
            else:
                flash(_("Đã lưu thay đổi.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(request.path)
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            resource = reload(write=True)
            form.version.data = resource.version
    return _render_detail(resource, form, conflict), status


def _render_detail(resource, form, conflict):
    school = resource.school
    return render_template(
        "resources/detail.html",
        school=school,
        plan=resource.plan,
        resource=resource,
        form=form,
        conflict=conflict,
        can_write=can_write_record(school, resource.plan_id) if school else can_write_ward_record(resource.plan),
        files=files_for_resource(resource.id, current_user),
        action=request.path + "#edit",
        **_words(),
    )


def _delete(resource: Resource, back: str, reload):
    source = resource.source
    try:
        services.delete_resource(resource, posted_version(), current_user)
    except services.StaleResource:
        resource = reload()
        return _render_detail(resource, ResourceForm(data=edit_data(resource)), "delete"), CONFLICT
    flash(_("Đã xóa nguồn lực “%(source)s”.", source=source), "success")
    return redirect(back)


def _words() -> dict:
    return {"kinds": list(ResourceKind), "conditions": list(Condition), "CONTRIBUTION": ResourceKind.CONTRIBUTION}


def edit_data(resource: Resource) -> dict:
    data = {name: getattr(resource, name) for name in services.FIELDS}
    data["kind"] = resource.kind.value
    data["confirm"] = resource.confirmed_at is not None
    data["version"] = resource.version
    return data

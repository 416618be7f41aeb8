"""Partners of a school (its staff write, the ward reads) and of the ward itself (its admins write);
the ward's overview of which schools work with whom."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..access import (
    WARD_READERS,
    can_write_record,
    can_write_ward_record,
    check_ward_writable,
    get_partner,
    get_school,
    get_ward_partner,
    roles_required,
    viewed_ward_id,
)
from ..evidence.forms import UploadForm
from ..evidence.services import Upload, UploadRefused
from ..fields import error_text
from ..figures.activities import school_activities, ward_activities
from ..figures.partners import PLAN_LINES, partner_figures, partner_files, school_partners, ward_partners
from ..inputs import posted_version
from ..models import Partner, Role
from ..schoolyear import plan_schools, viewed_plan
from . import services
from .forms import PartnerForm, edit_data

bp = Blueprint("partners", __name__)

UNPROCESSABLE, CONFLICT = 422, 409


def _activities(plan, school):
    return school_activities(plan, school) if school is not None else ward_activities(plan)


def _list_page(plan, school, form, status, can_write):
    partners = school_partners(plan, school) if school is not None else ward_partners(plan)
    context = dict(
        plan=plan,
        school=school,
        form=form,
        partners=partners,
        files=partner_files([p.id for p in partners], current_user),
        can_write=can_write,
        plan_lines=PLAN_LINES,
    )
    if school is None:
        context["figures"] = partner_figures(plan, plan_schools(plan))
    return render_template("partners/index.html", **context), status


def _create(plan, school, form, back):
    """The POST of a list page: record the partner, or say what is wrong (422)."""
    activities = _activities(plan, school)
    if form.validate():
        try:
            partner = services.create_partner(plan, school, form.values(), activities, actor=current_user)
        except services.InvalidPartner as refused:
            _add_errors(form, refused.errors)
        else:
            flash(_("Đã ghi nhận đối tác “%(name)s”.", name=partner.name), "success")
            return redirect(back(partner))
    return None


@bp.route("/schools/<slug>/partners", methods=["GET", "POST"])
@roles_required(*Role)
def index(slug):
    """The school's partners with the activities they took part in, and the form to record one."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    form = PartnerForm(_activities(plan, school))
    if request.method == "POST":
        done = _create(plan, school, form, lambda p: url_for(".detail", slug=school.slug, partner_id=p.id))
        if done:
            return done
    return _list_page(
        plan, school, form, UNPROCESSABLE if request.method == "POST" else 200, can_write_record(school, plan.id)
    )


@bp.route("/ward/partners", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward_index():
    """Every partner across the ward and which schools work with whom; the ward's own partners."""
    plan = viewed_plan(viewed_ward_id())
    if request.method == "POST":
        check_ward_writable(plan)
    form = PartnerForm(_activities(plan, None))
    if request.method == "POST":
        done = _create(plan, None, form, lambda p: url_for(".ward_detail", partner_id=p.id))
        if done:
            return done
    return _list_page(plan, None, form, UNPROCESSABLE if request.method == "POST" else 200, can_write_ward_record(plan))


@bp.route("/schools/<slug>/partners/<int:partner_id>", methods=["GET", "POST"])
@roles_required(*Role)
def detail(slug, partner_id):
    """One partner; the school's staff edit it here (an edit on an older version: 409)."""
    partner = get_partner(slug, partner_id, write=request.method == "POST")[1]
    return _detail(partner, lambda: get_partner(slug, partner_id, write=True)[1])


@bp.route("/ward/partners/<int:partner_id>", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward_detail(partner_id):
    """One of the ward's own partners; the ward's admins edit it here."""
    partner = get_ward_partner(partner_id, write=request.method == "POST")
    return _detail(partner, lambda: get_ward_partner(partner_id, write=True))


def _detail(partner: Partner, reload):
    activities = _activities(partner.plan, partner.school)
    form = PartnerForm(activities, data=None if request.method == "POST" else edit_data(partner))
    status, conflict = 200, None
    if request.method == "POST":
        version = posted_version()
        if form.validate():
            try:
                changed = services.update_partner(partner, form.values(), version, activities, actor=current_user)
            except services.InvalidPartner as refused:
                _add_errors(form, refused.errors)
            except services.StalePartner:
                conflict = "edit"
            else:
                flash(_("Đã lưu thay đổi.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(detail_url(partner))
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            partner = reload()
            form.version.data = partner.version
    return _render_detail(partner, form, conflict), status


def _render_detail(partner: Partner, form, conflict=None, upload_error=None, upload_problems=()):
    school = partner.school
    can_write = can_write_record(school, partner.plan_id) if school else can_write_ward_record(partner.plan)
    return render_template(
        "partners/detail.html",
        plan=partner.plan,
        school=school,
        partner=partner,
        form=form,
        conflict=conflict,
        can_write=can_write,
        files=partner_files([partner.id], current_user)[partner.id],
        upload_error=upload_error,
        upload_problems=upload_problems,
        plan_lines=PLAN_LINES,
    )


@bp.post("/schools/<slug>/partners/<int:partner_id>/delete")
@roles_required(Role.SCHOOL_STAFF)
def delete(slug, partner_id):
    """Delete a partner (kept in the audit log); refused if it changed since the page was loaded."""
    school, partner = get_partner(slug, partner_id, write=True)
    return _delete(partner, url_for(".index", slug=school.slug))


@bp.post("/ward/partners/<int:partner_id>/delete")
@roles_required(Role.WARD_ADMIN)
def ward_delete(partner_id):
    """Delete one of the ward's partners (kept in the audit log)."""
    return _delete(get_ward_partner(partner_id, write=True), url_for(".ward_index"))


def _delete(partner: Partner, back: str):
    name = partner.name
    try:
        services.delete_partner(partner, posted_version(), actor=current_user)
    except services.StalePartner:
        form = PartnerForm(_activities(partner.plan, partner.school), data=edit_data(partner))
        return _render_detail(partner, form, "delete"), CONFLICT
    flash(_("Đã xóa đối tác “%(name)s”.", name=name), "success")
    return redirect(back)


@bp.post("/schools/<slug>/partners/<int:partner_id>/files")
@roles_required(Role.SCHOOL_STAFF)
def upload(slug, partner_id):
    """Attach the agreement (thỏa thuận hợp tác) to a school's partner."""
    return _upload(get_partner(slug, partner_id, write=True)[1])


@bp.post("/ward/partners/<int:partner_id>/files")
@roles_required(Role.WARD_ADMIN)
def ward_upload(partner_id):
    """Attach the agreement to one of the ward's partners."""
    return _upload(get_ward_partner(partner_id, write=True))


def _upload(partner: Partner):
    form = UploadForm()
    chosen = [f for f in request.files.getlist(form.file.name) if f.filename]
    error, problems = None, []
    if not form.validate_on_submit():
        error = error_text(form)
    elif not chosen:
        error = _("Hãy chọn ít nhất một tệp.")
    else:
        uploads = [Upload(f.stream, f.filename, form.description.data, form.restricted.data) for f in chosen]
        try:
            saved = services.save_agreement(partner, uploads, actor=current_user)
        except UploadRefused as refused:
            error = refused.message or _("Chưa lưu tệp nào: có tệp không được nhận. Hãy bỏ tệp đó rồi gửi lại.")
            problems = refused.problems
        else:
            flash(ngettext("Đã tải lên %(num)d tệp.", "Đã tải lên %(num)d tệp.", len(saved)), "success")
            return redirect(detail_url(partner) + "#agreement")
    form = PartnerForm(_activities(partner.plan, partner.school), data=edit_data(partner))
    return _render_detail(partner, form, upload_error=error, upload_problems=problems), UNPROCESSABLE


def detail_url(partner: Partner) -> str:
    if partner.school is None:
        return url_for("partners.ward_detail", partner_id=partner.id)
    return url_for("partners.detail", slug=partner.school.slug, partner_id=partner.id)


def _add_errors(form, errors: dict) -> None:
    for name, message in errors.items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]


@bp.app_template_global()
def partner_url(partner: Partner) -> str:
    return detail_url(partner)

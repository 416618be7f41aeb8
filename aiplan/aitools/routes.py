"""A school's register of the AI tools used with its pupils and its parental consents on file (its
staff write, the ward reads); the ward's tool × schools view and the gaps it shows."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import (
    WARD_READERS,
    can_write_record,
    get_ai_tool,
    get_consent,
    get_school,
    roles_required,
    viewed_ward_id,
)
from ..evidence.services import Upload, UploadRefused
from ..figures.activities import school_activities
from ..figures.aitools import PLAN_LINE, consented_tool_ids, school_consents, school_tools, tool_figures
from ..figures.evidence import may_see
from ..inputs import posted_version
from ..models import Role
from ..schoolyear import plan_schools, viewed_plan
from . import services
from .forms import ConsentForm, ToolForm, tool_data

bp = Blueprint("aitools", __name__)

UNPROCESSABLE, CONFLICT = 422, 409


def _page(school, plan, tool_form=None, consent_form=None, status=200, consent_problems=()):
    tools = school_tools(plan, school)
    consents = school_consents(plan, school)
    activities = school_activities(plan, school)
    return render_template(
        "aitools/index.html",
        school=school,
        plan=plan,
        tools=tools,
        consents=consents,
        consented=consented_tool_ids(consents),
        visible_files={c.id for c in consents if c.file is not None and may_see(current_user, c.file)},
        tool_form=tool_form or ToolForm(),
        consent_form=consent_form or ConsentForm(activities, tools),
        consent_problems=consent_problems,
        can_write=can_write_record(school, plan.id),
        plan_line=PLAN_LINE,
    ), status


@bp.route("/schools/<slug>/ai-tools", methods=["GET", "POST"])
@roles_required(*Role)
def index(slug):
    """The school's register of AI tools and its consents on file; the form to add a tool."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    form = ToolForm()
    if request.method == "POST":
        if form.validate():
            try:
                tool = services.create_tool(plan, school, form.values(), actor=current_user)
            except services.InvalidEntry as refused:
                _add_errors(form, refused.errors)
            else:
                flash(_("Đã thêm “%(name)s” vào danh mục công cụ AI.", name=tool.name), "success")
                return redirect(url_for(".index", slug=school.slug) + f"#tool-{tool.id}")
        return _page(school, plan, tool_form=form, status=UNPROCESSABLE)
    return _page(school, plan)


@bp.route("/schools/<slug>/ai-tools/<int:tool_id>", methods=["GET", "POST"])
@roles_required(*Role)
def tool(slug, tool_id):
    """One tool of the register; the school's staff edit it here (an edit on an older version: 409)."""
    school, entry = get_ai_tool(slug, tool_id, write=request.method == "POST")
    form = ToolForm(data=None if request.method == "POST" else tool_data(entry))
    status, conflict = 200, None
    if request.method == "POST":
        version = posted_version()
        if form.validate():
            try:
                changed = services.update_tool(entry, form.values(), version, actor=current_user)
            except services.InvalidEntry as refused:
                _add_errors(form, refused.errors)
            except services.StaleEntry:
                conflict = "edit"
            else:
                flash(_("Đã lưu thay đổi.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".index", slug=school.slug) + f"#tool-{entry.id}")
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            entry = get_ai_tool(slug, tool_id, write=True)[1]
            form.version.data = entry.version
    return _tool_page(school, entry, form, conflict), status


def _tool_page(school, entry, form, conflict):
    return render_template(
        "aitools/tool.html",
        school=school,
        plan=entry.plan,
        tool=entry,
        form=form,
        conflict=conflict,
        can_write=can_write_record(school, entry.plan_id),
    )


@bp.post("/schools/<slug>/ai-tools/<int:tool_id>/delete")
@roles_required(Role.SCHOOL_STAFF)
def delete_tool(slug, tool_id):
    """Take a tool off the register (kept in the audit log)."""
    school, entry = get_ai_tool(slug, tool_id, write=True)
    name = entry.name
    try:
        services.delete_tool(entry, posted_version(), actor=current_user)
    except services.StaleEntry:
        entry = get_ai_tool(slug, tool_id)[1]
        return _tool_page(school, entry, ToolForm(data=tool_data(entry)), "delete"), CONFLICT
    flash(_("Đã xóa “%(name)s” khỏi danh mục.", name=name), "success")
    return redirect(url_for(".index", slug=school.slug))


@bp.post("/schools/<slug>/consents")
@roles_required(Role.SCHOOL_STAFF)
def new_consent(slug):
    """Record parents' consent for a class or pupil group, with its form (kept restricted)."""
    school = get_school(slug, write=True)
    plan = viewed_plan(school.ward_id)
    activities, tools = school_activities(plan, school), school_tools(plan, school)
    form = ConsentForm(activities, tools)
    chosen = form.file.data if form.file.data and form.file.data.filename else None
    upload = Upload(chosen.stream, chosen.filename, _("Bản đồng ý của cha mẹ học sinh")) if chosen else None
    problems: list = []
    if form.validate():
        try:
            services.create_consent(plan, school, form.values(), upload, activities, tools, actor=current_user)
        except services.InvalidEntry as refused:
            _add_errors(form, refused.errors)
        except UploadRefused as refused:
            form.file.errors = [refused.message or _("Tệp không được nhận.")]
            problems = refused.problems
        else:
            flash(_("Đã lưu bản đồng ý của cha mẹ học sinh (tệp được đánh dấu hạn chế)."), "success")
            return redirect(url_for(".index", slug=school.slug) + "#consents")
    elif upload is None:
        form.file.errors = [_("Chọn tệp bản đồng ý (ảnh chụp hoặc bản quét).")]
    return _page(school, plan, consent_form=form, status=UNPROCESSABLE, consent_problems=problems)


@bp.post("/schools/<slug>/consents/<int:consent_id>/delete")
@roles_required(Role.SCHOOL_STAFF)
def delete_consent(slug, consent_id):
    """Take a consent off file; its form stays, restricted, on the class's activity."""
    school, consent = get_consent(slug, consent_id, write=True)
    try:
        services.delete_consent(consent, posted_version(), actor=current_user)
    except services.StaleEntry:
        flash(_("Bản đồng ý vừa được thay đổi; hãy xem lại rồi thử lại."), "warning")
        return _page(school, consent.plan, status=CONFLICT)
    flash(_("Đã gỡ bản đồng ý của %(group)s.", group=consent.group_name), "success")
    return redirect(url_for(".index", slug=school.slug) + "#consents")


@bp.get("/ward/ai-tools")
@roles_required(*WARD_READERS)
def ward_index():
    """Which schools use which tool, and the tools that receive pupil data without consent on file."""
    plan = viewed_plan(viewed_ward_id())
    return render_template(
        "aitools/ward.html", plan=plan, figures=tool_figures(plan, plan_schools(plan)), plan_line=PLAN_LINE
    )


def _add_errors(form, errors: dict) -> None:
    for name, message in errors.items():
        field = getattr(form, name)
        field.errors = [*field.errors, message]

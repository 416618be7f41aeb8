"""The school's report and the ward's consolidated report (a page with the parts people write, and the
DOCX), the UBND phường's reports to the Sở GD&ĐT, and a school's evidence bundle (ZIP)."""

from urllib.parse import quote

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import WARD_READERS, can_write_record, get_school, roles_required, viewed_ward_id
from ..documents.admin_doc import render
from ..inputs import posted_version
from ..models import Plan, Role, School, UpwardKind, UpwardReport
from ..schoolyear import is_closed, viewed_plan
from . import services
from .bundle import build_bundle, bundle_filename
from .forms import ReportTextForm, UpwardNewForm, UpwardReportForm
from .parts import preview
from .school_report import SchoolReport, build_school_report, school_report, school_report_filename
from .upward import build_upward_report, default_subject, upward_report_filename, upward_view
from .ward_report import WardReport, build_ward_report, ward_report, ward_report_filename

bp = Blueprint("reports", __name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
UNPROCESSABLE, CONFLICT = 422, 409


@bp.route("/schools/<slug>/report", methods=["GET", "POST"])
@roles_required(*Role)
def school(slug):
    """The school's report as it will print, and the parts its staff write (difficulties, proposals, signer)."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    return _report_page(plan, school, can_write_record(school, plan.id))


@bp.get("/schools/<slug>/report.docx")
@roles_required(*Role)
def school_docx(slug):
    """The school's report as a DOCX laid out per Nghị định 30/2020, ready to sign."""
    school = get_school(slug)
    plan = viewed_plan(school.ward_id)
    return _docx(render(build_school_report(school_report(plan, school))), school_report_filename(plan, school))


@bp.route("/ward/report", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def ward():
    """The ward's consolidated report as it will print; ward admins write its difficulties and proposals."""
    if request.method == "POST" and current_user.role is not Role.WARD_ADMIN:
        abort(403)
    plan = viewed_plan(viewed_ward_id())
    return _report_page(plan, None, current_user.role is Role.WARD_ADMIN and not is_closed(plan))


@bp.get("/ward/report.docx")
@roles_required(*WARD_READERS)
def ward_docx():
    """The ward's consolidated report as a DOCX laid out per Nghị định 30/2020, ready to sign."""
    plan = viewed_plan(viewed_ward_id())
    return _docx(render(build_ward_report(ward_report(plan))), ward_report_filename(plan))


@bp.get("/ward/reports-up")
@roles_required(*WARD_READERS)
def upward_list():
    """The UBND phường's reports to the Sở GD&ĐT of the viewed year: periodic, ad-hoc, sơ kết, tổng kết."""
    plan = viewed_plan(viewed_ward_id())
    return render_template(
        "reports/upward_list.html",
        plan=plan,
        reports=services.upward_reports(plan),
        can_write=_can_write_upward(plan),
    )


@bp.route("/ward/reports-up/new", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def upward_new():
    """Start a report to the Sở: its kind, period and trích yếu; the rest is written on its own page."""
    plan = viewed_plan(viewed_ward_id())
    if not _can_write_upward(plan):
        abort(403)
    form = UpwardNewForm()
    if request.method == "GET":
        form.subject.data = default_subject(plan, UpwardKind.PERIODIC)
    elif form.validate():
        report = services.create_upward_report(plan, form.values(), actor=current_user)
        flash(_("Đã tạo báo cáo. Hãy viết phần đánh giá, phương hướng và kiến nghị rồi tải DOCX."), "success")
        return redirect(url_for(".upward", report_id=report.id), 303)
    status = UNPROCESSABLE if request.method == "POST" else 200
    return render_template("reports/upward_new.html", plan=plan, form=form), status


@bp.route("/ward/reports-up/<int:report_id>", methods=["GET", "POST"])
@roles_required(*WARD_READERS)
def upward(report_id: int):
    """One report to the Sở as it will print; ward admins write its period, subject, signer and narrative.
    A stale version answers 409 with the saved report shown and the user's own text still in the form."""
    report = _get_upward(report_id)
    can_write = _can_write_upward(report.plan)
    if request.method == "POST" and not can_write:
        abort(403)
    form = UpwardReportForm(data=None if request.method == "POST" else _upward_data(report))
    status, stale = 200, False
    if request.method == "POST":
        if form.validate():
            try:
                changed = services.save_upward_report(
                    report, form.values(), form.version.valid_data, actor=current_user
                )
            except services.StaleReportText:
                stale = True
            else:
                flash(_("Đã lưu nội dung báo cáo.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".upward", report_id=report.id), 303)
        status = CONFLICT if stale else UNPROCESSABLE
        if stale:
            form.version.data = report.version
    view = upward_view(report)
    return render_template(
        "reports/upward.html",
        plan=report.plan,
        report=report,
        view=view,
        document=preview(build_upward_report(view)),
        form=form,
        can_write=can_write,
        stale=stale,
    ), status


@bp.get("/ward/reports-up/<int:report_id>.docx")
@roles_required(*WARD_READERS)
def upward_docx(report_id: int):
    """A report to the Sở as a DOCX laid out per Nghị định 30/2020, ready to sign for the UBND."""
    report = _get_upward(report_id)
    return _docx(render(build_upward_report(upward_view(report))), upward_report_filename(report))


def _get_upward(report_id: int) -> UpwardReport:
    """The report, if it is one of the reader's ward (else 404, as for another ward's school)."""
    report = services.get_upward_report(report_id)
    if report is None or report.plan.ward_id != viewed_ward_id():
        abort(404)
    return report


def _can_write_upward(plan: Plan) -> bool:
    return current_user.role is Role.WARD_ADMIN and not is_closed(plan)


def _upward_data(report: UpwardReport) -> dict:
    data = {name: getattr(report, name) for name in services.UPWARD_TEXT}
    data.update(
        kind=report.kind.value,
        period_start=report.period_start,
        period_end=report.period_end,
        version=report.version,
    )
    return data


@bp.get("/schools/<slug>/evidence.zip")
@roles_required(*Role)
def evidence_bundle(slug):
    """The school's non-restricted evidence of the current plan as a ZIP, one folder per item, with an index."""
    school = get_school(slug)
    plan = viewed_plan(school.ward_id)
    archive, size = build_bundle(plan, school)
    response = send_file(
        archive, mimetype="application/zip", as_attachment=True, download_name=bundle_filename(plan, school)
    )
    response.content_length = size
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _report_page(plan: Plan, school: School | None, can_write: bool):
    """GET shows the report; POST saves its text: a stale version answers 409 with the saved text shown
    and the user's own still in the form."""
    text = services.get_report_text(plan, school)
    form = ReportTextForm(data=None if request.method == "POST" else _form_data(text))
    status, stale = 200, False
    if request.method == "POST":
        version = posted_version()
        if form.validate():
            try:
                changed = services.save_report_text(plan, school, form.values(), version, actor=current_user)
            except services.StaleReportText:
                stale = True
            else:
                flash(_("Đã lưu nội dung báo cáo.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(_page_url(school), 303)
        status = CONFLICT if stale else UNPROCESSABLE
        text = services.get_report_text(plan, school)
        if stale:
            form.version.data = services.current_version(text)
    report: WardReport | SchoolReport
    if school is None:
        report = ward_report(plan)
        document = build_ward_report(report)
    else:
        report = school_report(plan, school)
        document = build_school_report(report)
    return render_template(
        "reports/ward.html" if school is None else "reports/school.html",
        plan=plan,
        school=school,
        report=report,
        document=preview(document),
        form=form,
        text=text,
        can_write=can_write,
        stale=stale,
        docx_url=_page_url(school, docx=True),
        bundle_url=url_for(".evidence_bundle", slug=school.slug) if school is not None else None,
    ), status


def _form_data(text) -> dict:
    data = services.describe(text)
    data["version"] = services.current_version(text)
    return data


def _page_url(school: School | None, docx: bool = False) -> str:
    if school is None:
        return url_for(".ward_docx" if docx else ".ward")
    return url_for(".school_docx" if docx else ".school", slug=school.slug)


def _docx(data: bytes, name: str):
    response = make_response(data)
    response.headers["Content-Type"] = DOCX_TYPE
    response.headers["Content-Disposition"] = f"attachment; filename={name}; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""The equipment survey: each school's answers for the year, the ward's summary with its gaps and
the year before beside it, and the ward's import of every school's answers from a CSV/XLSX list."""

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
    roles_required,
    viewed_ward_id,
)
from ..documents.tables import MAX_BYTES, ImportFileError, read_tables
from ..figures.equipment import (
    FIELDS,
    MAX_PUPILS_PER_MACHINE,
    MIN_BANDWIDTH_MBPS,
    equipment_summary,
    previous_plan,
    ratio_text,
    school_survey,
    thresholds_text,
)
from ..models import EquipmentGap, Role
from ..schoolyear import plan_schools, viewed_plan
from . import services
from .forms import SurveyForm
from .samples import sample_csv, sample_xlsx

bp = Blueprint("equipment", __name__)

UNPROCESSABLE, CONFLICT = 422, 409
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/schools/<slug>/equipment", methods=["GET", "POST"])
@roles_required(*Role)
def school(slug):
    """The school's survey for the year; its staff fill it in (last year's answers offered as a start)."""
    school = get_school(slug, write=request.method == "POST")
    plan = viewed_plan(school.ward_id)
    survey = school_survey(plan, school)
    before = previous_plan(plan)
    last_year = school_survey(before, school) if before else None
    start_from = survey or last_year
    form = SurveyForm(data=None if request.method == "POST" else _data(start_from, survey))
    status, conflict = 200, False
    if request.method == "POST":
        check_writable(school, plan.id)
        if form.validate():
            try:
                changed = services.save_survey(plan, school, form.values(), form.version.valid_data, current_user)
            except services.StaleSurvey:
                conflict = True
            else:
                flash(_("Đã lưu số liệu rà soát.") if changed else _("Không có thay đổi nào để lưu."), "success")
                return redirect(url_for(".school", slug=school.slug))
        status = CONFLICT if conflict else UNPROCESSABLE
        if conflict:
            survey = school_survey(plan, school)
            form.version.data = survey.version if survey else 0
    return render_template(
        "equipment/school.html",
        school=school,
        plan=plan,
        survey=survey,
        last_year=last_year,
        previous_plan=before,
        offered=survey is None and last_year is not None,
        form=form,
        conflict=conflict,
        can_write=can_write_record(school, plan.id),
        fields=FIELDS,
        ratio_text=ratio_text,
        thresholds=thresholds_text(),
    ), status


def _data(start_from, survey) -> dict:
    """The form's values: the saved survey, else last year's answers as a start (at version 0)."""
    if start_from is None:
        return {"version": 0}
    data = services.describe(start_from)
    data["version"] = survey.version if survey else 0
    return data


@bp.get("/ward/equipment")
@roles_required(*WARD_READERS)
def ward():
    """Every school's survey for the year, the gaps it shows, and the ward's totals beside last year's."""
    plan = viewed_plan(viewed_ward_id())
    summary = equipment_summary(plan, plan_schools(plan))
    return render_template(
        "equipment/ward.html",
        plan=plan,
        s=summary,
        fields=FIELDS,
        gaps=list(EquipmentGap),
        ratio_text=ratio_text,
        thresholds=thresholds_text(),
        max_ratio=MAX_PUPILS_PER_MACHINE,
        min_mbps=MIN_BANDWIDTH_MBPS,
        can_import=can_write_ward_record(plan),
    )


@bp.route("/ward/equipment/import", methods=["GET", "POST"])
@roles_required(Role.WARD_ADMIN)
def import_file():
    """The ward's import of every school's answers from one CSV or XLSX list: every row, or none."""
    plan = viewed_plan(viewed_ward_id())
    if request.method == "GET":
        return _import_page(plan, [], 200)
    check_ward_writable(plan)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(plan, [_("Chọn tệp CSV hoặc XLSX để tải lên.")], UNPROCESSABLE)
    raw = upload.stream.read(MAX_BYTES + 1)
    schools = plan_schools(plan)
    try:
        found, problems = services.read_import(read_tables(upload.filename[-180:], raw), schools)
    except ImportFileError as refused:
        return _import_page(plan, refused.problems, UNPROCESSABLE)
    if problems or not found:
        return _import_page(plan, problems or [_("Tệp không có dòng số liệu nào.")], UNPROCESSABLE)
    try:
        result = services.apply_import(plan, schools, found, current_user)
    except services.StaleSurvey:
        return _import_page(
            plan, [_("Chưa nhập gì: số liệu vừa thay đổi trong lúc nhập; hãy tải tệp lên lại.")], CONFLICT
        )
    return _import_page(plan, [], 200, result=result)


def _import_page(plan, problems, status, result=None):
    return render_template(
        "equipment/import.html", plan=plan, problems=problems, result=result, max_mb=MAX_BYTES // (1024 * 1024)
    ), status


@bp.get("/ward/equipment/mau.csv")
@roles_required(Role.WARD_ADMIN)
def sample_list_csv():
    """The sample list to fill in, as CSV."""
    return sample_csv(), 200, _attachment("mau-ra-soat-thiet-bi.csv", "text/csv; charset=utf-8")


@bp.get("/ward/equipment/mau.xlsx")
@roles_required(Role.WARD_ADMIN)
def sample_list_xlsx():
    """The sample list to fill in, as XLSX."""
    return sample_xlsx(), 200, _attachment("mau-ra-soat-thiet-bi.xlsx", XLSX)


def _attachment(filename: str, mimetype: str) -> dict:
    return {"Content-Type": mimetype, "Content-Disposition": f'attachment; filename="{filename}"'}

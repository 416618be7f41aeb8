"""The ward rollup page and its exports. Everything here only reads: there is no POST route."""

from urllib.parse import quote

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import format_decimal
from flask_login import current_user

from ..access import WARD_READERS, login_required_any, roles_required, viewed_ward_id
from ..extensions import htmx
from ..figures import rollup as services
from ..figures.chain import chain_of_rollup
from ..figures.duties import duty_rows
from ..figures.equipment import equipment_summary
from ..figures.pilot import pilot_by_school
from ..figures.resources import resource_summary
from ..figures.training import training_by_school
from ..models import ItemKind, Role
from ..schoolyear import plan_schools, viewed_plan
from . import aitools as tools_export
from . import exports
from . import partners as partners_export
from .chart import progress_chart
from .labels import matrix_labels
from .matrix import MatrixFilter, MatrixPage
from .xlsx import to_xlsx

bp = Blueprint("rollup", __name__)

MATRIX_ID = "rollup-matrix"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable_rollup(parts: bool = True, **options):
    """The rollup the current user may read: the ward's, or for school staff their own school's
    row only (and not the ward's own items); with `parts`, the sections of the registers beside it."""
    plan = viewed_plan(viewed_ward_id())
    if current_user.role is Role.SCHOOL_STAFF:
        school = current_user.school
        if school is None or school.ward_id != viewed_ward_id():
            abort(403)
        rollup = services.rollup(plan, [school], include_ward=False, single_school=school, **options)
        if parts:
            rollup.parts = [equipment_summary(plan, [school]), resource_summary(plan, [school], include_ward=False)]
        return rollup
    rollup = services.rollup(plan, plan_schools(plan), **options)
    if parts:
        rollup.parts = [equipment_summary(plan, rollup_schools(rollup)), resource_summary(plan, rollup_schools(rollup))]
    return rollup


def rollup_schools(rollup):
    """The rollup's schools in its own order (pilot schools first)."""
    return [row.school for row in rollup.rows]


def exported_rollup():
    """The readable rollup with every row's milestone items, which the exports list school by school
    (and without the late items and weekly series, which they do not)."""
    rollup = readable_rollup(late_and_weekly=False)
    services.load_items(rollup, rollup.rows, kinds=(ItemKind.MILESTONE,))
    return rollup


@bp.get("/rollup")
@roles_required(*WARD_READERS)
def index():
    """Where the plan stands: targets, milestones, the school matrix, counts, late items, progress."""
    matrix_alone = bool(htmx) and htmx.target == MATRIX_ID  # a filter or a page link, through htmx
    rollup = readable_rollup(late_and_weekly=not matrix_alone, parts=not matrix_alone)
    matrix = MatrixPage.of(rollup, MatrixFilter.from_args(request.args), request.args.get("trang"))
    services.load_items(rollup, matrix.rows)
    context = dict(r=rollup, matrix=matrix, labels=matrix_labels(), number=format_decimal)
    if matrix_alone:
        return render_template("rollup/_matrix.html", **context, oob=True)
    return render_template(
        "rollup/index.html",
        **context,
        chain=chain_of_rollup(rollup),
        matrix_id=MATRIX_ID,
        list_limit=services.LIST_LIMIT,
        chart=progress_chart(rollup.weeks, rollup.total("required")),
        duties=duty_rows(rollup.plan, [row.school for row in rollup.rows], rollup.today),
        partners=partners_export.figures_of(rollup),
        ai_tools=tools_export.figures_of(rollup),
        training=training_by_school(rollup.plan, [row.school for row in rollup.rows]),
        pilot=pilot_by_school(rollup.plan, [row.school for row in rollup.rows]),
    )


@bp.get("/rollup.json")
@login_required_any
def export_json():
    """The rollup as JSON for other systems; school staff get their own school's row only."""
    rollup = exported_rollup()
    return _attachment(exports.json_chunks(rollup), "application/json", exports.download_name(rollup, "json"))


@bp.get("/rollup.csv")
@login_required_any
def export_csv():
    """One row per school as CSV (UTF-8 with BOM, for Excel); school staff get their own row only."""
    rollup = exported_rollup()
    return _attachment(exports.csv_chunks(rollup), "text/csv; charset=utf-8", exports.download_name(rollup, "csv"))


@bp.get("/rollup.xlsx")
@login_required_any
def export_xlsx():
    """Phụ lục II with each school's results and a sheet per milestone; staff get their own school only."""
    rollup = exported_rollup()
    return _attachment(to_xlsx(rollup), XLSX, exports.download_name(rollup, "xlsx"))


def _attachment(body, content_type: str, names: tuple[str, str]):
    """A download: `body` is bytes, or chunks written as they are sent. Those run after the view has
    returned, outside its request and session: everything they read is read before."""
    name, fallback = names
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    # RFC 6266/5987: old clients take the ASCII name, the others the Vietnamese one.
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    return response

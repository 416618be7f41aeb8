"""The ward rollup page and its exports. Everything here only reads: there is no POST route."""
import json
from urllib.parse import quote

from flask import abort, make_response, render_template, request
from flask_login import current_user

from ..access import WARD_ROLES, login_required_any, roles_required, viewed_plan
from ..years.state import plan_schools
from ..extensions import htmx
from ..models import Role
from ..plans.services import plan_warnings
from . import bp, exports, services
from .chart import progress_chart
from .labels import matrix_labels

MATRIX_ID = "rollup-matrix"
LIST_LIMIT = 40  # schools named under a target or a late item; the matrix shows the rest
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable_rollup():
    """The rollup the current user may read: the ward's, or for school staff their own school's
    row only (and not the ward's own items)."""
    plan = viewed_plan(current_user.ward_id)
    if current_user.role is Role.SCHOOL_STAFF:
        school = current_user.school
        if school is None or school.ward_id != current_user.ward_id:
            abort(403)
        return services.rollup(plan, [school], include_ward=False, single_school=school)
    return services.rollup(plan, plan_schools(plan))


@bp.get("/rollup")
@roles_required(*WARD_ROLES)
def index():
    """Where the plan stands: targets, milestones, the school matrix, counts, late items, progress."""
    rollup = readable_rollup()
    matrix_filter = services.MatrixFilter.from_args(request.args)
    context = dict(r=rollup, matrix_filter=matrix_filter, rows=matrix_filter.rows(rollup), labels=matrix_labels())
    if htmx and htmx.target == MATRIX_ID:
        return render_template("rollup/_matrix.html", **context, oob=True)
    warnings = plan_warnings(rollup.plan) if current_user.role is Role.WARD_ADMIN else []
    return render_template("rollup/index.html", **context, warnings=warnings, matrix_id=MATRIX_ID,
                           list_limit=LIST_LIMIT, chart=progress_chart(rollup.weeks, rollup.total("required")))


@bp.get("/rollup.json")
@login_required_any
def export_json():
    """The rollup as JSON for other systems; school staff get their own school's row only."""
    rollup = readable_rollup()
    body = json.dumps(exports.to_json(rollup), ensure_ascii=False, separators=(",", ":"))
    return _attachment(body.encode("utf-8"), "application/json", exports.download_name(rollup, "json"))


@bp.get("/rollup.csv")
@login_required_any
def export_csv():
    """One row per school as CSV (UTF-8 with BOM, for Excel); school staff get their own row only."""
    rollup = readable_rollup()
    return _attachment(exports.to_csv(rollup), "text/csv; charset=utf-8", exports.download_name(rollup, "csv"))


@bp.get("/rollup.xlsx")
@login_required_any
def export_xlsx():
    """Phụ lục II with each school's results and a sheet per milestone; staff get their own school only."""
    rollup = readable_rollup()
    return _attachment(exports.to_xlsx(rollup), XLSX, exports.download_name(rollup, "xlsx"))


def _attachment(body: bytes, content_type: str, names: tuple[str, str]):
    name, fallback = names
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    # RFC 6266/5987: old clients take the ASCII name, the others the Vietnamese one.
    response.headers["Content-Disposition"] = (f'attachment; filename="{fallback}"; '
                                               f"filename*=UTF-8''{quote(name, safe='')}")
    return response

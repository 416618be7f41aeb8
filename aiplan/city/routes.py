"""The Sở's pages: the city rollup (each indicator of the city plan, ward by ward, most late first)
with its exports and consolidated report, and the way into one ward's pages (the drill-down).
Everything here only reads: there is no POST route."""

from urllib.parse import quote

from flask import Blueprint, abort, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ..access import roles_required, view_ward, visible_ward_ids
from ..documents.admin_doc import render
from ..extensions import db
from ..figures.city import CityRollup, city_rollup
from ..models import CITY_ROLES, Ward
from . import exports
from .report import build_city_report, city_report_filename

bp = Blueprint("city", __name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def readable_city_rollup() -> CityRollup:
    """The rollup of the current account's city, over the wards it may read."""
    city = current_user.city
    if city is None:  # a city account always has one; a broken account reads nothing
        abort(404)
    return city_rollup(city, visible_ward_ids(current_user))


@bp.get("/city")
@roles_required(*CITY_ROLES)
def index():
    """Where the city stands: each indicator over the city, then each ward (most late first), each
    leading to the ward's own rollup."""
    return render_template("city/index.html", r=readable_city_rollup())


@bp.get("/city.json")
@roles_required(*CITY_ROLES)
def export_json():
    r = readable_city_rollup()
    return _attachment(exports.to_json(r).encode("utf-8"), "application/json", exports.download_name(r, "json"))


@bp.get("/city.csv")
@roles_required(*CITY_ROLES)
def export_csv():
    r = readable_city_rollup()
    return _attachment(exports.to_csv(r), "text/csv; charset=utf-8", exports.download_name(r, "csv"))


@bp.get("/city.xlsx")
@roles_required(*CITY_ROLES)
def export_xlsx():
    r = readable_city_rollup()
    return _attachment(exports.to_xlsx(r), XLSX, exports.download_name(r, "xlsx"))


@bp.get("/city/report.docx")
@roles_required(*CITY_ROLES)
def report_docx():
    """The Sở's consolidated report on its wards (Nghị định 30), from the figures of /city."""
    r = readable_city_rollup()
    name = city_report_filename(r)
    return _attachment(render(build_city_report(r)), DOCX_TYPE, (name, name))


@bp.get("/city/wards/<slug>")
@roles_required(*CITY_ROLES)
def ward(slug: str):
    """Look at one ward of the city: its pages (rollup, schools, reports) answer for that ward from
    now on, read-only. Another city's ward, or none, is 404."""
    chosen = db.session.scalar(select(Ward).filter_by(slug=slug))
    if chosen is None:
        abort(404)
    view_ward(chosen)
    return redirect(url_for("rollup.index"))


def _attachment(body: bytes, content_type: str, names: tuple[str, str]):
    name, fallback = names
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response

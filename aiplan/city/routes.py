"""The Sở's pages: the city's wards, and the way into one ward's pages (the drill-down)."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..access import roles_required, view_ward, visible_ward_ids
from ..extensions import db
from ..models import CITY_ROLES, School, Ward

bp = Blueprint("city", __name__)


@bp.get("/city")
@roles_required(*CITY_ROLES)
def index():
    """The city's wards, each with its number of schools, each leading to the ward's own pages."""
    rows = db.session.execute(
        select(Ward, func.count(School.id))
        .outerjoin(School, (School.ward_id == Ward.id) & School.is_active.is_(True))
        .where(Ward.id.in_(visible_ward_ids(current_user)))
        .group_by(Ward.id)
        .order_by(Ward.name)
    ).all()
    return render_template("city/index.html", city=current_user.city, wards=rows)


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

"""Home, health check and the language switch."""

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import text

from ..access import login_required_any
from ..extensions import db
from ..models import CITY_ROLES, Role
from ..redirects import safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
@login_required_any
def home():
    """Send each role to where it works."""
    if current_user.role is Role.SCHOOL_STAFF:
        return redirect(url_for("schools.school", slug=current_user.school.slug))
    if current_user.role is Role.SUPERVISOR:
        return redirect(url_for("inspections.index"))
    if current_user.role in CITY_ROLES:
        return redirect(url_for("city.index"))
    return redirect(url_for("schools.index"))


@bp.get("/healthz")
def healthz():
    """200 when the database answers; 503 otherwise (for load balancers and monitoring)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("Health check failed")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/lang")
def set_language():
    """Remember the chosen interface language in a cookie, then go back."""
    lang = request.form.get("lang", "vi")
    response = redirect(safe_next(request.form.get("next")) or url_for("core.home"))
    response.set_cookie(
        "lang",
        lang if lang in current_app.config["LANGUAGES"] else "vi",
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response

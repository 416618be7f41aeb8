"""Milestone 6: the ward's mid-semester inspections, verdicts on items, and the minutes."""

from flask import Blueprint

bp = Blueprint("inspections", __name__)

from . import routes  # noqa: E402,F401

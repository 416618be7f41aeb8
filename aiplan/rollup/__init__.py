"""The ward rollup: where the plan stands, school by school and target by target, and its exports."""

from flask import Blueprint

bp = Blueprint("rollup", __name__)

from . import routes  # noqa: E402,F401

"""School years: the year selector, starting the next year from this one, opening it."""

from flask import Blueprint

bp = Blueprint("years", __name__)

from . import routes  # noqa: E402,F401

from flask import Blueprint

bp = Blueprint("plans", __name__)

from . import routes  # noqa: E402,F401

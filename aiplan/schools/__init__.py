from flask import Blueprint

bp = Blueprint("schools", __name__)

from . import routes  # noqa: E402,F401

"""Ward administration: schools and accounts, one by one or imported from CSV/XLSX."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import import_routes, routes  # noqa: E402,F401

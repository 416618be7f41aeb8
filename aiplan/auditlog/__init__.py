"""The audit log viewer, and `flask --app aiplan verify` that shows the log and the files are intact."""

from flask import Blueprint

bp = Blueprint("auditlog", __name__)

from . import routes  # noqa: E402,F401

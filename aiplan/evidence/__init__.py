"""Evidence files (minh chứng): uploads, downloads, soft delete and restore, the store's check."""
import os

from flask import Blueprint

from . import validation

bp = Blueprint("evidence", __name__)
bp.cli.help = "The evidence store (minh chứng): `check` compares it with the database."


@bp.record_once
def _configure(state) -> None:
    """Evidence settings: the app's own (or test) config wins, then the environment, then defaults."""
    allowed = os.environ.get("EVIDENCE_ALLOWED_TYPES")
    defaults = {
        "EVIDENCE_ALLOWED_TYPES": (allowed.replace(",", " ").split() if allowed
                                   else list(validation.DEFAULT_ALLOWED_TYPES)),
        "EVIDENCE_ZIP_MAX_BYTES": int(os.environ.get("EVIDENCE_ZIP_MAX_MB", "256")) * validation.MB,
        "EVIDENCE_ZIP_MAX_ENTRIES": int(os.environ.get("EVIDENCE_ZIP_MAX_ENTRIES", "5000")),
        "EVIDENCE_MAX_FILES": 20,
    }
    for key, value in defaults.items():
        state.app.config.setdefault(key, value)
    unknown = {ext.lower().lstrip(".") for ext in state.app.config["EVIDENCE_ALLOWED_TYPES"]} - set(validation.TYPES)
    if unknown:
        state.app.logger.warning("EVIDENCE_ALLOWED_TYPES names types the store cannot check, ignored: %s",
                                 ", ".join(sorted(unknown)))


from . import cli, routes  # noqa: E402,F401

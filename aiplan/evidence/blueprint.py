"""The evidence feature's blueprint, and its settings with their defaults (read once, at registration)."""

import os

from flask import Blueprint

from . import validation

bp = Blueprint("evidence", __name__)
bp.cli.help = (
    "The evidence store (minh chứng): `check` compares it with the database, "
    "`check --repair` finishes or cleans up what a crash left."
)


@bp.record_once
def _configure(state) -> None:
    """Evidence settings: the app's own (or test) config wins, then the environment, then defaults."""
    allowed = os.environ.get("EVIDENCE_ALLOWED_TYPES")
    defaults = {
        "EVIDENCE_ALLOWED_TYPES": (
            allowed.replace(",", " ").split() if allowed else list(validation.DEFAULT_ALLOWED_TYPES)
        ),
        "EVIDENCE_ZIP_MAX_BYTES": int(os.environ.get("EVIDENCE_ZIP_MAX_MB", "256")) * validation.MB,
        "EVIDENCE_ZIP_MAX_ENTRIES": int(os.environ.get("EVIDENCE_ZIP_MAX_ENTRIES", "5000")),
        "EVIDENCE_ZIP_REQUEST_MAX_BYTES": int(os.environ.get("EVIDENCE_ZIP_REQUEST_MAX_MB", "512")) * validation.MB,
        "EVIDENCE_ZIP_REQUEST_MAX_ENTRIES": int(os.environ.get("EVIDENCE_ZIP_REQUEST_MAX_ENTRIES", "10000")),
        "EVIDENCE_MAX_FILES": 20,
        # Test only: tests/test_evidence_crash.py makes a real worker stop just before an upload's
        # commit, to kill it there. Never set in production.
        "EVIDENCE_TEST_PAUSE_FILE": os.environ.get("EVIDENCE_TEST_PAUSE_FILE") or None,
    }
    for key, value in defaults.items():
        state.app.config.setdefault(key, value)
    unknown = {ext.lower().lstrip(".") for ext in state.app.config["EVIDENCE_ALLOWED_TYPES"]} - set(validation.TYPES)
    if unknown:
        state.app.logger.warning(
            "EVIDENCE_ALLOWED_TYPES names types the store cannot check, ignored: %s", ", ".join(sorted(unknown))
        )

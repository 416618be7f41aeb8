"""The app's languages: Vietnamese first, English by choice; and text translated where it is shown."""

from flask import has_request_context, request
from flask_babel import gettext


def select_locale():
    """Vietnamese unless the visitor chose English with the language switch (and outside a request,
    in the CLI, where a label is read in an app context)."""
    chosen = request.cookies.get("lang") if has_request_context() else None
    return chosen if chosen in ("vi", "en") else "vi"


def N_(message: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return message


def translate(message: str, **params) -> str:
    """In the reader's language during a request; in the plan's Vietnamese elsewhere (CLI, exports)."""
    if has_request_context():
        return gettext(message, **params)
    return message % params if params else message

"""The app's languages: Vietnamese first, English by choice; and text translated where it is shown."""

from flask import Flask, g, has_request_context, request
from flask_babel import get_translations, gettext


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


def template_translations():
    """flask_babel's get_translations(), kept for the rest of the app context while the locale
    stays the same object. Templates call _() some 300 times on a checklist page, and each of
    flask_babel's own look-ups goes through its domain, its locale and the context three times
    (about a tenth of the page's CPU). force_locale() and refresh() put another locale object (or
    none) in place, so a template rendered under them is translated afresh, as before."""
    try:
        context = g._flask_babel  # flask_babel's own per-context namespace
    except (AttributeError, RuntimeError):  # its first look-up in this context; no app context
        return get_translations()
    kept = getattr(context, "template_translations", None)
    locale = getattr(context, "babel_locale", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()  # chooses the locale if none is chosen yet
    context.template_translations = (getattr(context, "babel_locale", None), translations)
    return translations


def install_template_gettext(app: Flask) -> None:
    """Jinja's _(), ngettext() and their context forms, as flask_babel installs them, reading
    template_translations() instead of looking the translations up again on every call."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: template_translations().ugettext(s),
        ngettext=lambda s, p, n: template_translations().ungettext(s, p, n),
        pgettext=lambda c, s: template_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: template_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

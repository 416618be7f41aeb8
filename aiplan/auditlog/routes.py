"""Routes of the audit log viewer."""

from collections.abc import Sequence

from flask import Blueprint, render_template, request, url_for

from ..access import roles_required, viewed_ward_id
from ..extensions import htmx
from ..inputs import parse_digits
from ..models import AuditEvent, Role
from .services import (
    MAX_ID,
    SYSTEM,
    action_groups,
    changes,
    events_page,
    object_names,
    object_type_label,
    parse_filter,
    ward_schools,
    ward_users,
)

bp = Blueprint("auditlog", __name__)

# Shown only behind "Chi tiết kỹ thuật": what `verify` checks, not what office staff read.
TECHNICAL_FIELDS = ("sha256", "size", "key_id", "signature")


@bp.get("/audit")
@roles_required(Role.WARD_ADMIN)
def index():
    """The ward's audit log, newest first, filtered by school, account, kind of change and dates."""
    ward_id = viewed_ward_id()
    schools, users = ward_schools(ward_id), ward_users(ward_id)
    found = parse_filter(request.args, schools, users)
    events: Sequence[AuditEvent]
    events, has_newer, has_older = [], False, False  # a bad date is explained rather than ignored
    if not found.errors:
        events, has_newer, has_older = events_page(
            ward_id, found, older_than=_cursor("truoc"), newer_than=_cursor("sau")
        )
    context = dict(
        events=events,
        found=found,
        **_pager(events, found, has_newer, has_older),
        schools=schools,
        users=users,
        system=SYSTEM,
        action_groups=action_groups(),
        school_names={s.id: s.name for s in schools},
        names=object_names(events, schools, users),
        changes=changes,
        technical_fields=TECHNICAL_FIELDS,
        object_type_label=object_type_label,
    )
    template = "auditlog/_results.html" if htmx and htmx.target == "audit-results" else "auditlog/index.html"
    response = render_template(template, **context)
    return response, 200, {"Vary": "HX-Request"}


def _cursor(name: str) -> int | None:
    """A page cursor (an event's id) from the URL; one no event can have is ignored, so an edited
    or stale link shows the newest page rather than failing in the database."""
    cursor = parse_digits(request.args.get(name))  # the app's own digits: not "١" read as 1
    return cursor if cursor is not None and 1 <= cursor <= MAX_ID else None


def _pager(events, found, has_newer: bool, has_older: bool) -> dict:
    """Links to the next newer and older pages, keeping the filter; the newest page has no `sau`."""
    params = found.params()
    newer_url = older_url = None
    if has_newer:
        newer_url = url_for(".index", sau=events[0].id, **params) if events else url_for(".index", **params)
    if has_older:
        if events:
            truoc = events[-1].id
        else:  # only a page read upwards from a `sau` cursor can be empty with older events
            sau = _cursor("sau")
            assert sau is not None
            truoc = sau + 1
        older_url = url_for(".index", truoc=truoc, **params)
    return dict(newer_url=newer_url, older_url=older_url)

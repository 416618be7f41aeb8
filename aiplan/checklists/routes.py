"""Checklist items: a school's staff setting an item's status or note, and the ward's own checklist."""

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import (
    WARD_READERS,
    can_write_record,
    can_write_ward_record,
    get_item,
    get_ward_item,
    roles_required,
    viewed_ward_id,
)
from ..database import done_writing
from ..extensions import htmx
from ..fields import error_text
from ..figures.activities import ward_activities
from ..figures.chain import chain_state
from ..figures.evidence import files_for_items
from ..figures.inspections import inspected_count
from ..figures.problems import open_count
from ..figures.school_page import checklist, item_answer, school_page
from ..models import ItemStatus, Role
from ..schoolyear import viewed_plan
from ..timeutil import LOCAL_TZ, local_today
from .forms import ItemForm
from .services import ItemRuleError, StaleItem, update_item

bp = Blueprint("checklists", __name__)


@bp.post("/schools/<slug>/items/<int:item_id>")
@roles_required(Role.SCHOOL_STAFF)
def update(slug, item_id):
    """Set an item's status (idempotent) or note; htmx gets the item back, a plain form a redirect."""
    school, item = get_item(slug, item_id, write=True)
    item, error, code = _save(item)
    if htmx and htmx.target == f"item-{item.id}":
        return render_template(
            "checklists/_item_update.html",
            item=item,
            error=error,
            can_write=can_write_record(school, item.plan_id),
            **_answer(error),
            **item_answer(item.plan, school, item, current_user).context(),
        ), code
    if error:
        flash(error, "error")
        page = school_page(item.plan, school, current_user)
        return render_template(
            "schools/school.html",
            can_write=can_write_record(school, item.plan_id),
            error_item_id=item.id,
            **_answer(error),
            **page.context(),
        ), code
    flash(_("Đã lưu: %(title)s", title=item.title), "success")
    return redirect(url_for("schools.school", slug=slug, _anchor=f"item-{item.id}"), 303)


def _save(item):
    """Apply the posted status or note to `item` (a school's or the ward's: same rules, audit and
    optimistic locking). Returns the item to show (the newest one after a conflict), the error
    message if any, and the status code."""
    form = ItemForm()
    if not form.validate_on_submit():
        return item, error_text(form), 422
    try:
        update_item(
            item,
            version=form.version.valid_data,
            actor=current_user,
            status=ItemStatus(form.status.data) if form.status.data else None,
            note=form.note.data if "note" in request.form else None,
        )
        done_writing()  # committed; the answer is only read
    except StaleItem as stale:
        if "note" in request.form:
            message = _(
                "Người khác vừa cập nhật mục này; đây là nội dung mới nhất. Ghi chú bạn vừa nhập vẫn ở trong ô: "
                "hãy xem lại rồi bấm “Lưu ghi chú”."
            )
        else:
            message = _("Người khác vừa cập nhật mục này; đây là nội dung mới nhất. Hãy xem lại rồi lưu lại.")
        return stale.item, message, 409
    except ItemRuleError as rule:
        return item, str(rule), 422
    return item, None, 200


@bp.get("/ward")
@roles_required(*WARD_READERS)
def ward():
    """The ward's own checklist: the milestones the UBND phường and the Phòng VHXH carry out, each
    with the ward's activities and files that prove it; the ward's admins tick them."""
    return _ward_page(viewed_plan(viewed_ward_id()))


@bp.post("/ward/items/<int:item_id>")
@roles_required(Role.WARD_ADMIN)
def update_ward_item(item_id):
    """Set the ward's own status or note of one of its items, as a school does for its own (same
    rules, audit and optimistic locking); htmx gets the item back, a plain form a redirect."""
    item = get_ward_item(item_id, write=True)
    item, error, code = _save(item)
    if htmx and htmx.target == f"item-{item.id}":
        return render_template(
            "checklists/_item.html",
            item=item,
            error=error,
            today=local_today(),
            can_write=can_write_ward_record(item.plan),
            inspected=inspected_count(item.plan),
            **_answer(error),
            **_ward_records(item.plan, [item]),
        ), code
    if error:
        flash(error, "error")
        return _ward_page(item.plan, error_item_id=item.id, **_answer(error)), code
    flash(_("Đã lưu: %(title)s", title=item.title), "success")
    return redirect(url_for("checklists.ward", _anchor=f"item-{item.id}"), 303)


def _answer(error: str | None) -> dict:
    """What an item's answer adds to the item: on an error, the note the person typed (kept in the
    textarea, ready to send again, never thrown away); on success, the time it was saved."""
    if error:
        return dict(typed_note=request.form.get("note"))
    return dict(saved_at=datetime.now(LOCAL_TZ).strftime("%H:%M"))


def _ward_page(plan, **extra):
    items = checklist(plan, None)
    return render_template(
        "checklists/ward.html",
        plan=plan,
        items=items,
        today=local_today(),
        can_write=can_write_ward_record(plan),
        inspected=inspected_count(plan),
        chain=chain_state(plan, local_today()),
        open_problems=open_count(plan),
        **_ward_records(plan, items),
        **extra,
    )


def _ward_records(plan, items) -> dict:
    """The files and the ward's activities shown under each of the ward's items."""
    activities_by_item: dict[int, list] = {item.id: [] for item in items}
    for activity in ward_activities(plan):
        if activity.item_id in activities_by_item:
            activities_by_item[activity.item_id].append(activity)
    return dict(
        files_by_item=files_for_items([item.id for item in items], current_user),
        ward_activities_by_item=activities_by_item,
    )

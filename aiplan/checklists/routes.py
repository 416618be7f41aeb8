"""A school's checklist and its updates, the school's history, and the ward's own checklist."""

from itertools import groupby

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import WARD_ROLES, can_see_restricted, can_write_record, get_item, get_school, roles_required
from ..activities.self_evaluation import get_self_evaluation
from ..activities.services import target_actuals
from ..database import done_writing
from ..evidence.services import files_for_items
from ..extensions import db, htmx
from ..fields import error_text
from ..inputs import parse_digits
from ..models import AuditEvent, EvidenceFile, ItemKind, ItemStatus, Role
from ..schoolyear import viewed_plan, written_after_closing
from ..timeutil import local_today
from . import bp
from .forms import ItemForm
from .services import ItemRuleError, Progress, StaleItem, checklist, progress_by_school, update_item

HISTORY_PAGE_SIZE = 50


def _school_context(school, plan):
    """What the checklist page and its item fragments need, in a fixed number of queries."""
    today = local_today()
    items = checklist(plan, school)
    return dict(
        plan=plan,
        school=school,
        today=today,
        can_write=can_write_record(school, plan.id),
        **_item_extras(plan, school, items),
        progress=progress_by_school(plan, [school.id], today)[school.id],
        milestone_items=[i for i in items if i.kind is ItemKind.MILESTONE],
        target_groups=[
            list(group)
            for _, group in groupby((i for i in items if i.kind is not ItemKind.MILESTONE), key=lambda i: i.target_id)
        ],
        late=[i for i in items if i.is_late(today)],
        due_soon=[i for i in items if not i.is_done and 0 <= (i.due_on - today).days <= 14],
    )


def _item_answer_context(school, plan, item) -> dict:
    """What the htmx answer to an item update renders: the item, and the progress bar and
    attention list out of band. Leaner than the page: one query for the items, the item's
    own files, and a target's figures or the self-evaluation only when the item shows them."""
    today = local_today()
    items = checklist(plan, school)
    required = [i for i in items if i.required]
    extras = {"files_by_item": files_for_items([item.id], current_user)}
    if item.kind is ItemKind.TARGET:
        extras["actuals"] = target_actuals(plan, [school])
    if item.milestone is not None and item.milestone.tracks == "self_evaluation":
        extras["evaluation"] = get_self_evaluation(plan, school)
    return dict(
        plan=plan,
        school=school,
        today=today,
        can_write=can_write_record(school, plan.id),
        **extras,
        progress=Progress(len(required), sum(i.is_done for i in required), sum(i.is_late(today) for i in required)),
        late=[i for i in items if i.is_late(today)],
        due_soon=[i for i in items if not i.is_done and 0 <= (i.due_on - today).days <= 14],
    )


def _item_extras(plan, school, items) -> dict:
    """What items show beside their own fields: evidence files, computed targets, the self-evaluation."""
    return dict(
        files_by_item=files_for_items([i.id for i in items], current_user),
        actuals=target_actuals(plan, [school]),
        evaluation=get_self_evaluation(plan, school),
    )


@bp.get("/schools/<slug>")
@roles_required(*Role)
def school(slug):
    """One school's checklist: what is due soon and late first, then every item by milestone and target."""
    school = get_school(slug)
    return render_template("checklists/school.html", **_school_context(school, viewed_plan(school.ward_id)))


@bp.post("/schools/<slug>/items/<int:item_id>")
@roles_required(Role.SCHOOL_STAFF)
def update(slug, item_id):
    """Set an item's status (idempotent) or note; htmx gets the item back, a plain form a redirect."""
    school, item = get_item(slug, item_id, write=True)
    form = ItemForm()
    error, code = None, 200
    if not form.validate_on_submit():
        error, code = error_text(form), 422
    else:
        try:
            update_item(
                item,
                version=form.version.data,
                actor=current_user,
                status=ItemStatus(form.status.data) if form.status.data else None,
                note=form.note.data if "note" in request.form else None,
            )
            done_writing()  # committed; the answer is only read
        except StaleItem as stale:
            item = stale.item
            error, code = _("Người khác vừa cập nhật mục này; đây là nội dung mới nhất. Hãy xem lại rồi lưu lại."), 409
        except ItemRuleError as rule:
            error, code = str(rule), 422
    if htmx and htmx.target == f"item-{item.id}":
        return render_template(
            "checklists/_item_update.html", item=item, error=error, **_item_answer_context(school, item.plan, item)
        ), code
    if error:
        flash(error, "error")
        context = _school_context(school, item.plan)
        return render_template("checklists/school.html", **context, error_item_id=item.id), code
    flash(_("Đã lưu: %(title)s", title=item.title), "success")
    return redirect(url_for(".school", slug=slug, _anchor=f"item-{item.id}"), 303)


@bp.get("/schools/<slug>/history")
@roles_required(*Role)
def history(slug):
    """The school's audit log, newest first: who changed what, when, and from what to what."""
    school = get_school(slug)
    page = min(max(parse_digits(request.args.get("page")) or 1, 1), 100_000)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.school_id == school.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * HISTORY_PAGE_SIZE)
        .limit(HISTORY_PAGE_SIZE + 1)
    ).all()
    has_more = len(events) > HISTORY_PAGE_SIZE
    events = events[:HISTORY_PAGE_SIZE]
    return render_template(
        "checklists/history.html",
        school=school,
        events=events,
        active="history",
        page=page,
        has_more=has_more,
        hidden_files=_hidden_files(school, events),
        late=written_after_closing(school.ward_id, events),
        show_ip=current_user.role is Role.WARD_ADMIN,
    )


def _hidden_files(school, events) -> set[int]:
    """Ids of restricted files whose names and descriptions this user may not read in the log."""
    if can_see_restricted(current_user, school):
        return set()
    file_ids = {e.object_id for e in events if e.object_type == "EvidenceFile" and e.object_id}
    if not file_ids:
        return set()
    return set(
        db.session.scalars(select(EvidenceFile.id).where(EvidenceFile.id.in_(file_ids), EvidenceFile.restricted))
    )


@bp.get("/ward")
@roles_required(*WARD_ROLES)
def ward():
    """The ward's own checklist: the milestones the UBND phường and the Phòng VHXH carry out."""
    from ..inspections.services import inspected_count

    plan = viewed_plan(current_user.ward_id)
    return render_template(
        "checklists/ward.html",
        plan=plan,
        items=checklist(plan, None),
        today=local_today(),
        can_write=False,
        inspected=inspected_count(plan),
    )

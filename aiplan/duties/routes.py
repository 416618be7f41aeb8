"""Who does what: a school's staff give a checklist item its owner and co-owners, and each staff
member sees the items that are theirs ("Việc của tôi")."""

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import can_write_record, get_item, roles_required, viewed_ward_id
from ..database import done_writing
from ..extensions import db, htmx
from ..fields import error_text
from ..figures.duties import PLAN_LINE, my_items
from ..figures.school_page import item_answer
from ..inputs import parse_digits
from ..models import Role, User
from ..schoolyear import viewed_plan
from ..timeutil import LOCAL_TZ, local_today
from .forms import DutyForm
from .services import DutyRuleError, StaleDuty, set_duty

bp = Blueprint("duties", __name__)


@bp.post("/schools/<slug>/items/<int:item_id>/duty")
@roles_required(Role.SCHOOL_STAFF)
def assign(slug, item_id):
    """Set an item's owner and co-owners; htmx gets the item back, a plain form a redirect."""
    school, item = get_item(slug, item_id, write=True)
    form = DutyForm()  # the choices are checked by the service (the school's own staff), not listed here
    error, code = None, 200
    if not form.validate_on_submit():
        error, code = error_text(form), 422
    else:
        try:
            set_duty(
                item,
                version=form.version.valid_data,
                assignee=_account(form.assignee.data),
                co_owners=[user for user in map(_account, form.co_owners.data or []) if user is not None],
                actor=current_user,
            )
            done_writing()
        except StaleDuty:
            error, code = _("Người khác vừa đổi phân công của mục này; đây là phân công mới nhất. Hãy xem lại."), 409
        except DutyRuleError as rule:
            error, code = str(rule), 422
    page = item_answer(item.plan, school, item, current_user)
    if htmx and htmx.target == f"item-{item.id}":
        return render_template(
            "checklists/_item_update.html",
            item=item,
            can_write=can_write_record(school, item.plan_id),
            duty_error=error,
            duty_posted=form if code == 422 else None,
            **({} if error else {"saved_at": datetime.now(LOCAL_TZ).strftime("%H:%M")}),
            **page.context(),
        ), code
    if error:
        return render_template(
            "duties/assign.html",
            item=item,
            error=error,
            form=form,
            duty_posted=form if code == 422 else None,
            **page.context(),
        ), code
    flash(_("Đã lưu phân công: %(title)s", title=item.title), "success")
    return redirect(url_for("schools.school", slug=slug, _anchor=f"item-{item.id}"), 303)


@bp.get("/my-items")
@roles_required(Role.SCHOOL_STAFF)
def mine():
    """The checklist items the signed-in staff member owns or shares, by due date."""
    plan = viewed_plan(viewed_ward_id())
    return render_template(
        "duties/mine.html", plan=plan, rows=my_items(plan, current_user), today=local_today(), plan_line=PLAN_LINE
    )


def _account(value: str | None) -> User | None:
    """The account a choice names (None for "nobody"); anything that names no account is refused."""
    if not value:
        return None
    user_id = parse_digits(value)
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise DutyRuleError(_("Người được chọn không phải cán bộ của nhà trường."))
    return user

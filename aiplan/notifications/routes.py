"""The bell in the header and the "Thông báo" page: an account's own notifications, read and unread."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_notification, login_required_any
from ..inputs import parse_digits
from ..redirects import safe_next
from . import services

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def bell():
    """`unread_notifications()` for the header: counted once per page, only when a page asks."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = services.unread_count(current_user.id)
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@login_required_any
def index():
    """The account's notifications, newest first, PAGE_SIZE at a time ("Xem thêm" for older ones)."""
    before = parse_digits(request.args.get("truoc"))
    notifications, more = services.page_of(current_user.id, before)
    return render_template(
        "notifications/index.html",
        notifications=notifications,
        more=more,
        older=notifications[-1].id if more else None,
        first_page=before is None,
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required_any
def open_notification(notification_id):
    """Mark the notification read and go where it says to act (an app path, else back to the list)."""
    notification = get_notification(notification_id)
    services.mark_read(notification)
    return redirect(safe_next(notification.url) or url_for(".index"), 303)


@bp.post("/notifications/read-all")
@login_required_any
def read_all():
    """Mark every notification of the account read."""
    count = services.mark_all_read(current_user.id)
    if count:
        flash(_("Đã đánh dấu %(count)s thông báo là đã đọc.", count=count), "success")
    else:
        flash(_("Không có thông báo chưa đọc."), "info")
    return redirect(url_for(".index"), 303)

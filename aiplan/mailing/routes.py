"""The pages of the mail feature: the one-click opt-out reached from a mail without signing in,
and the ward admin's view of the outbox. (The account's own choice is saved by auth/routes.py,
on the account page.)"""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..access import roles_required, viewed_ward_id
from ..extensions import csrf, db
from ..models import Digest, DigestFrequency, DigestStatus, Role, User
from .reminders import MAX_ATTEMPTS, RETRY_DELAYS_MINUTES
from .services import set_frequency
from .settings import NEEDED, NOT_CONFIGURED, OPTIONAL, MailConfigError, mail_settings
from .tokens import read_unsubscribe_token

bp = Blueprint("mailing", __name__)

BAD_TOKEN = _l(
    "Liên kết hủy nhận thư không hợp lệ: có thể nó đã bị cắt mất một phần khi sao chép, hoặc đã bị sửa. "
    "Hãy mở lại liên kết ở cuối thư, hoặc đăng nhập rồi chọn cách nhận thư ở trang Tài khoản."
)
UNSUBSCRIBED = _l("Đã tắt thư nhắc việc cho tài khoản này.")


def _token_user(token: str) -> User | None:
    user_id = read_unsubscribe_token(token)
    return db.session.get(User, user_id) if user_id is not None else None


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """The link at the foot of every mail: a page with one button (POST) that turns the mail off."""
    user = _token_user(token)
    if user is None:
        return render_template("mail/unsubscribe.html", error=str(BAD_TOKEN)), 400
    if request.method == "POST":
        set_frequency(user, DigestFrequency.OFF, actor=user, how="unsubscribe_link")
        return render_template("mail/unsubscribe.html", user=user, done=True)
    return render_template("mail/unsubscribe.html", user=user, done=False)


@bp.post("/mail/unsubscribe/<token>/one-click")
@csrf.exempt  # RFC 8058: the mail program posts "List-Unsubscribe=One-Click" with no page; the token is the proof
def unsubscribe_one_click(token):
    user = _token_user(token)
    if user is None:
        return str(BAD_TOKEN), 400, {"Content-Type": "text/plain; charset=utf-8"}
    set_frequency(user, DigestFrequency.OFF, actor=user, how="one_click")
    return str(UNSUBSCRIBED), 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/admin/mail")
@roles_required(Role.WARD_ADMIN)
def admin_status():
    """Whether mail is set up, what it is set to, and how the outbox of this ward stands."""
    error = None
    try:
        settings = mail_settings()
    except MailConfigError as refused:
        settings, error = None, str(refused)
    ward_users = select(User.id).where(User.ward_id == viewed_ward_id())
    counts = dict(
        db.session.execute(
            select(Digest.status, func.count(Digest.id)).where(Digest.user_id.in_(ward_users)).group_by(Digest.status)
        ).all()
    )
    last_error = db.session.scalars(
        select(Digest)
        .where(
            Digest.user_id.in_(ward_users),
            Digest.last_error.is_not(None),
            Digest.status != DigestStatus.CANCELLED,
        )
        .order_by(Digest.next_attempt_at.desc(), Digest.id.desc())
        .limit(1)
    ).first()
    failed = db.session.scalars(
        select(Digest)
        .where(Digest.user_id.in_(ward_users), Digest.status == DigestStatus.FAILED)
        .order_by(Digest.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "mail/admin.html",
        settings=settings,
        config_error=error,
        not_configured=NOT_CONFIGURED,
        needed=NEEDED,
        optional=OPTIONAL,
        counts={status: counts.get(status, 0) for status in DigestStatus},
        last_error=last_error,
        failed=failed,
        delays=RETRY_DELAYS_MINUTES,
        max_attempts=MAX_ATTEMPTS,
    )

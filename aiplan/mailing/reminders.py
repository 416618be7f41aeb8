"""`send_reminders`: make the notifications that are due, build the digests that are due, send
the digests whose time has come. What `flask --app aiplan send-reminders` and the job worker run
(every minute); running it again sends nothing twice.

Building (one transaction per account):
- only enabled accounts with an e-mail address whose digest frequency is not "off";
- a digest carries the account's notifications that are unread and in no digest yet; a notification
  is carried by one digest at most (the primary key of digest_notification), so that running this
  twice, or two runners at once, never mail an event twice;
- "cần bổ sung" and "chờ kiểm tra lại" (NotificationKind.immediate) go at once, in a digest keyed
  "immediate:<first notification id>", whatever the frequency;
- the others wait for the account's daily digest ("daily:2026-12-06", built at the first run of
  the Hà Nội day from DIGEST_HOUR on) or weekly one ("weekly:2026-W49", built at the first run of the
  ISO week from Monday DIGEST_HOUR on); a period's digest is built once, so what comes later in
  the day (the week) waits for the next one.

Sending (one transaction per digest): a queued digest whose next attempt time has come is claimed
(its next attempt moved SEND_LEASE ahead, so that a second runner leaves it alone), the account is
read again — disabled, without an address, or opted out since: the digest is cancelled, not sent —
and the channel is given the message. Sent: marked so at once. Refused or unanswered: one more
attempt counted, the error kept and logged, and the next attempt put off by RETRY_DELAYS_MINUTES
(1, 4, 16, 64, 256 minutes, then 12 hours); after MAX_ATTEMPTS (8, about 30 hours of trying) it is
marked failed, and stays on the admin page with its error. When the server cannot be reached or
does not answer, the rest of the run's digests wait for the next run instead of each waiting out
the timeout. A crash between the server's "OK" and the commit can send one digest again after the
lease (at least once, never silently lost).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import uuid4

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Digest,
    DigestFrequency,
    DigestKind,
    DigestStatus,
    Notification,
    User,
    digest_notification,
    utcnow,
)
from ..notifications.scan import make_due_notifications
from ..timeutil import LOCAL_TZ, format_datetime
from .bodies import Body, absolute, render_digest
from .channels import Channel, OutgoingMessage, SendError, configured_channel
from .settings import MailSettings, mail_settings
from .tokens import app_path, unsubscribe_token

RETRY_DELAYS_MINUTES = (1, 4, 16, 64, 256, 720, 720)  # after the 1st, 2nd, … failed attempt
MAX_ATTEMPTS = len(RETRY_DELAYS_MINUTES) + 1  # the 8th failure marks the digest failed
SEND_LEASE = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return timedelta(minutes=RETRY_DELAYS_MINUTES[min(attempts, len(RETRY_DELAYS_MINUTES)) - 1])


@dataclass
class DigestLine:
    """One digest of a run, as the command prints it."""

    recipient: str
    subject: str
    items: list[str]
    result: str


@dataclass
class Report:
    configured: bool
    dry_run: bool = False
    notifications_made: int = 0
    built: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    waiting: int = 0  # left for the next run (the server was down)
    lines: list[DigestLine] = field(default_factory=list)

    def summary(self) -> str:
        if self.dry_run:
            return f"Chạy thử: sẽ tạo {self.built} thư mới, sẽ gửi {len(self.lines)} thư; không có gì được tạo hay gửi."
        return (
            f"Thông báo mới: {self.notifications_made}. Thư mới: {self.built}. Đã gửi: {self.sent}. "
            f"Sẽ thử lại: {self.retrying + self.waiting}. Gửi không được: {self.failed}. Đã hủy: {self.cancelled}."
        )


@dataclass
class _Plan:
    """A digest to build, in plain values: holding no rows, it keeps each commit of the build from
    expiring every notification of the run again (a 300-account run spent most of its time so)."""

    user_id: int
    address: str
    kind: DigestKind
    period_key: str
    notification_ids: list[int]
    body: Body


def send_reminders(now: datetime | None = None, *, dry_run: bool = False) -> Report:
    """Make, build and send what is due at `now` (default: the present). MailConfigError when the
    mail settings are set but wrong (after the notifications are made). Without MAIL_SERVER the
    notifications are still made (the bell needs them) and nothing is built or sent. A dry run
    makes no notifications either: it writes nothing."""
    now = now or utcnow()
    made = 0
    if not dry_run:  # first, so that a wrong mail setting does not stop the bell's notifications
        made = make_due_notifications(now)
        db.session.commit()
    settings = mail_settings()
    report = Report(configured=settings is not None, dry_run=dry_run, notifications_made=made)
    channel = configured_channel(settings)
    if settings is None or channel is None:
        return report
    plans = _plans(now, settings)
    if dry_run:
        report.built = len(plans)
        for plan in plans:
            report.lines.append(DigestLine(plan.address, plan.body.subject, plan.body.items, "sẽ gửi"))
        for digest in _due(now):
            report.lines.append(
                DigestLine(digest.address, digest.subject, _items(digest), f"sẽ gửi (lần thử {digest.attempts + 1})")
            )
        db.session.rollback()
        return report
    for plan in plans:
        report.built += _build(plan, settings, now)
    try:
        _send_due(now, settings, channel, report)
    finally:
        channel.close()
    return report


# -- building -----------------------------------------------------------------------------------


def _period_key(user: User, now: datetime, hour: int) -> tuple[DigestKind, str] | None:
    """The period whose digest is due for the account's non-urgent notifications, if one is."""
    local = now.astimezone(LOCAL_TZ)
    if user.digest_frequency is DigestFrequency.DAILY:
        return (DigestKind.DAILY, f"daily:{local.date().isoformat()}") if local.hour >= hour else None
    if user.digest_frequency is DigestFrequency.WEEKLY:
        year, week, weekday = local.isocalendar()
        if weekday == 1 and local.hour < hour:
            return None
        return DigestKind.WEEKLY, f"weekly:{year}-W{week:02d}"
    return None


def _plans(now: datetime, settings: MailSettings) -> list[_Plan]:
    """The digests to build now, rendered but not written."""
    carried = exists().where(digest_notification.c.notification_id == Notification.id)
    pending = db.session.scalars(
        select(Notification)
        .join(User, Notification.user_id == User.id)
        .where(
            User.is_enabled.is_(True),
            User.email.is_not(None),
            User.email != "",
            User.digest_frequency != DigestFrequency.OFF,
            Notification.read_at.is_(None),
            ~carried,
        )
        .options(selectinload(Notification.school), selectinload(Notification.user))
        .order_by(Notification.user_id, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notification in pending:
        by_user[notification.user_id].append(notification)
    built_keys = set()
    if by_user:
        built_keys = set(
            db.session.execute(select(Digest.user_id, Digest.period_key).where(Digest.user_id.in_(list(by_user)))).all()
        )
    plans = []
    for notifications in by_user.values():
        user = notifications[0].user
        urgent = [n for n in notifications if n.kind.immediate]
        rest = [n for n in notifications if not n.kind.immediate]
        wanted: list[tuple[DigestKind, str, list[Notification]]] = []
        if urgent:
            wanted.append((DigestKind.IMMEDIATE, f"immediate:{urgent[0].id}", urgent))
        period = _period_key(user, now, settings.digest_hour) if rest else None
        if period is not None and (user.id, period[1]) not in built_keys:
            wanted.append((period[0], period[1], rest))
        for kind, key, carried_now in wanted:
            body = render_digest(user, kind, carried_now, settings)
            plans.append(_Plan(user.id, user.email or "", kind, key, [n.id for n in carried_now], body))
    return plans


def _build(plan: _Plan, settings: MailSettings, now: datetime) -> int:
    """Write one digest and what it carries, committed; 0 when another runner built it first."""
    digest = Digest(
        user_id=plan.user_id,
        address=plan.address,
        kind=plan.kind,
        period_key=plan.period_key,
        subject=plan.body.subject,
        text_body=plan.body.text,
        html_body=plan.body.html,
        message_id=f"<{uuid4().hex}.digest@{settings.host_name}>",
        status=DigestStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    try:
        db.session.add(digest)
        db.session.flush()
        db.session.execute(
            digest_notification.insert(),
            [{"digest_id": digest.id, "notification_id": notification_id} for notification_id in plan.notification_ids],
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        current_app.logger.info("Digest %s for user %s was built by another run", plan.period_key, plan.user_id)
        return 0
    return 1


# -- sending ------------------------------------------------------------------------------------


def _due(now: datetime) -> Sequence[Digest]:
    return db.session.scalars(
        select(Digest)
        .where(Digest.status == DigestStatus.QUEUED, Digest.next_attempt_at <= now)
        .order_by(Digest.next_attempt_at, Digest.id)
    ).all()


def _items(digest: Digest) -> list[str]:
    return [f"{n.school.name + ': ' if n.school else ''}{n.kind.label} — {n.title}" for n in digest.notifications]


def _claim(digest_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(Digest)
        .where(Digest.id == digest_id, Digest.status == DigestStatus.QUEUED, Digest.next_attempt_at <= now)
        .values(next_attempt_at=now + SEND_LEASE)
    )
    db.session.commit()
    return claimed.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's result has a row count


def _why_not(user: User) -> str | None:
    if not user.is_enabled:
        return "Tài khoản đã bị khóa."
    if not user.email:
        return "Tài khoản không còn địa chỉ e-mail."
    if user.digest_frequency is DigestFrequency.OFF:
        return "Người nhận đã tắt thư nhắc việc."
    return None


def message_for(digest: Digest, settings: MailSettings) -> OutgoingMessage:
    unsubscribe = absolute(settings, app_path("mailing.unsubscribe_one_click", token=unsubscribe_token(digest.user_id)))
    return OutgoingMessage(
        recipient=digest.address,
        subject=digest.subject,
        text=digest.text_body,
        html=digest.html_body,
        headers={
            "Message-ID": digest.message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
            "Auto-Submitted": "auto-generated",
        },
    )


def _send_due(now: datetime, settings: MailSettings, channel: Channel, report: Report) -> None:
    due_ids = [digest.id for digest in _due(now)]
    db.session.rollback()
    for position, digest_id in enumerate(due_ids):
        if not _claim(digest_id, now):
            continue
        digest = db.session.get(Digest, digest_id)
        assert digest is not None  # claimed just now
        user = digest.user
        line = DigestLine(digest.address, digest.subject, _items(digest), "")
        report.lines.append(line)
        reason = _why_not(user)
        if reason is not None:
            digest.status, digest.last_error = DigestStatus.CANCELLED, reason
            digest.next_attempt_at = now
            db.session.commit()
            report.cancelled += 1
            line.result = f"đã hủy: {reason}"
            continue
        digest.address = line.recipient = user.email or digest.address  # the address it has now
        try:
            channel.send(message_for(digest, settings))
        except SendError as error:
            digest.attempts += 1
            digest.last_error = f"{format_datetime(now)} · lần thử {digest.attempts}: {error}"
            if digest.attempts >= MAX_ATTEMPTS:
                digest.status = DigestStatus.FAILED
                digest.next_attempt_at = now
                report.failed += 1
                line.result = f"gửi không được sau {digest.attempts} lần, đã dừng: {error}"
            else:
                digest.next_attempt_at = now + retry_delay(digest.attempts)
                report.retrying += 1
                line.result = (
                    f"lỗi, sẽ thử lại sau {retry_delay(digest.attempts) // timedelta(minutes=1)} phút: {error}"
                )
            current_app.logger.warning(
                "Digest %s to %s, attempt %s failed: %s", digest.id, digest.address, digest.attempts, error
            )
            db.session.commit()
            if error.server_down:
                report.waiting += len(due_ids) - position - 1
                break
        else:
            digest.attempts += 1
            digest.status, digest.sent_at = DigestStatus.SENT, utcnow()  # an earlier error stays, for the record
            digest.next_attempt_at = now
            db.session.commit()
            report.sent += 1
            line.result = "đã gửi"

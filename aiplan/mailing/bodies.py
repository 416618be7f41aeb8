"""What a digest says: its subject, plain text and HTML (templates/mail/), in Vietnamese.

Each item names its school, what it is (the notification's title), its due date (dd/mm/yyyy, from
the checklist item its event names, when it names one), the reason or note the notification carries
(the reason for "cần bổ sung"), and an absolute link (AIPLAN_BASE_URL + the notification's path).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale

from ..models import DigestKind, Notification, NotificationKind, User
from ..timeutil import format_date
from .settings import MailSettings
from .tokens import app_path, unsubscribe_token

SUBJECT_MAX = 300
# How a count of each kind reads in a subject, most urgent first.
PHRASES = {
    NotificationKind.NEEDS_MORE: "việc cần bổ sung",
    NotificationKind.FIX_WAITING: "việc chờ kiểm tra lại",
    NotificationKind.LATE: "việc quá hạn",
    NotificationKind.DUE_SOON: "việc sắp đến hạn",
    NotificationKind.REPORT_DUE: "báo cáo đến hạn",
    NotificationKind.VISIT_UPCOMING: "đợt kiểm tra sắp tới",
    NotificationKind.SELF_EVALUATION: "bản tự đánh giá đã nộp",
    NotificationKind.PROBLEM: "tin về vướng mắc",
}
ORDER = list(PHRASES)
INTRO = {
    DigestKind.IMMEDIATE: "Có việc cần anh/chị xử lý ngay:",
    DigestKind.DAILY: "Các việc cần chú ý hôm nay:",
    DigestKind.WEEKLY: "Các việc cần chú ý trong tuần:",
}


@dataclass(frozen=True)
class Item:
    kind: str
    title: str
    note: str
    due: str  # dd/mm/yyyy, or "" when the event names no checklist item (or the note already says it)
    link: str


@dataclass(frozen=True)
class Body:
    subject: str
    text: str
    html: str
    items: list[str]  # one line per item, for the command's report


def absolute(settings: MailSettings, path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return settings.base_url + (path if path.startswith("/") else "/" + path)


def _place(user: User, notifications: Sequence[Notification]) -> str:
    schools = {n.school.name for n in notifications if n.school is not None}
    if len(schools) == 1:
        return schools.pop()
    if len(schools) > 1:
        return f"{len(schools)} trường"
    return user.place_name


def subject_for(user: User, notifications: Sequence[Notification]) -> str:
    counts = {kind: sum(1 for n in notifications if n.kind is kind) for kind in ORDER}
    parts = ", ".join(f"{count} {PHRASES[kind]}" for kind, count in counts.items() if count)
    subject = f"[aiplan] {parts} — {_place(user, notifications)}"
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


def render_digest(user: User, kind: DigestKind, notifications: Sequence[Notification], settings: MailSettings) -> Body:
    groups: dict[str, list[Item]] = {}
    ordered = sorted(notifications, key=lambda n: (ORDER.index(n.kind), n.school.name if n.school else "", n.id))
    with force_locale("vi"):
        for n in ordered:
            due_on = format_date(n.due_on) if n.due_on else ""
            if due_on and (due_on in n.title or due_on in n.body):
                due_on = ""  # the notification says it already
            school = n.school.name if n.school is not None else user.place_name
            groups.setdefault(school, []).append(
                Item(str(n.kind.label), n.title, n.body.strip(), due_on, absolute(settings, n.url))
            )
        context = dict(
            user=user,
            intro=INTRO[kind],
            groups=groups,
            kind=kind,
            account_url=absolute(settings, app_path("auth.account")),
            unsubscribe_url=absolute(settings, app_path("mailing.unsubscribe", token=unsubscribe_token(user.id))),
            app_url=settings.base_url + "/",
        )
        text = render_template("mail/digest.txt", **context)
        html = render_template("mail/digest.html", **context)
    lines = [
        f"{school}: {item.kind} — {item.title}" + (f" (hạn {item.due})" if item.due else "")
        for school, items in groups.items()
        for item in items
    ]
    return Body(subject_for(user, notifications), text, html, lines)

"""A real SMTP server on 127.0.0.1 for the mail tests (aiosmtpd in a thread of its own), one that
never answers, and the rows the mail tests start from. No sending is mocked."""

import socket
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import ChecklistItem, Notification, NotificationKind, School, User

BASE_URL = "https://giaoduc-ai.longbien.example"
SENDER = "Giáo dục AI <khonghoi@longbien.example>"
# Monday 07/12/2026, 08:00 in Hà Nội (01:00 UTC): after the default DIGEST_HOUR (7).
MONDAY_8AM = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd's handler: keeps what it accepts; `refuse` makes it answer 550 to the message."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []
        self.refuse = False
        self.unknown: set[str] = set()  # addresses answered "550 no such mailbox" at RCPT

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "550 5.7.1 Mailbox unavailable (test refusal)"
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for _, raw in self.received]  # type: ignore[misc]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class SilentServer:
    """Accepts connections (the kernel does) and never says a word: the client waits out its timeout."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]

    def close(self) -> None:
        self.socket.close()
        time.sleep(0.05)


def mail_config(port: int, **more) -> dict:
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DEFAULT_SENDER": SENDER,
        "AIPLAN_BASE_URL": BASE_URL,
        "MAIL_TIMEOUT": "10",  # a loaded test machine may be slow; the silent server's test sets its own
    } | more


def account(username: str) -> User:
    user = db.session.scalar(select(User).filter_by(username=username))
    assert user is not None
    return user


def give_email(username: str, email: str | None) -> User:
    user = account(username)
    user.email = email
    db.session.commit()
    return user


def items_of(slug: str, count: int) -> list[ChecklistItem]:
    school = db.session.scalar(select(School).filter_by(slug=slug))
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.school_id == school.id, ChecklistItem.required.is_(True))
            .order_by(ChecklistItem.due_on, ChecklistItem.id)
            .limit(count)
        )
    )


def notify(
    user: User, item: ChecklistItem, kind: NotificationKind = NotificationKind.LATE, body: str = ""
) -> Notification:
    """A notification as the scan would make it (aiplan/notifications/events.py), made here directly."""
    notification = Notification(
        user_id=user.id,
        kind=kind,
        event_key=f"{kind.value}:item:{item.id}",
        school_id=item.school_id,
        title=item.title,
        body=body,
        url=f"/schools/{item.school.slug}#item-{item.id}",
        due_on=item.due_on,
    )
    db.session.add(notification)
    db.session.commit()
    return notification


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def later(moment: datetime, **delta) -> datetime:
    return moment + timedelta(**delta)

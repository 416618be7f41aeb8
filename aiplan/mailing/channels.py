"""How a reminder leaves the app: one small interface, `Channel.send(message)`.

The digests (aiplan/mailing/reminders.py) build an OutgoingMessage — recipient, subject, plain
text, HTML, headers — and hand it to the channel the configuration chooses (`configured_channel`).
Today that is EmailChannel, SMTP through Flask-Mailman with Flask-Mail's setting names. A Zalo
Official Account channel would be one more class with a `send` of the same shape (it would read
the text, and find the account's Zalo id from the recipient) and one more branch in
`configured_channel`: the notifications (aiplan/notifications/) and the digests do not change.

`send` returns when the channel has taken the message and raises SendError when it has not; the
digests count the attempt and retry later (see reminders.RETRY_DELAYS_MINUTES).
"""

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.header import Header
from typing import Protocol

from flask_mailman import EmailMultiAlternatives, Mail

from .settings import MailSettings

mail = Mail()


@dataclass(frozen=True)
class OutgoingMessage:
    recipient: str
    subject: str
    text: str
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class SendError(Exception):
    """The channel did not take the message; str() says why. `server_down`: the server could not
    be reached or did not answer (so the other messages of this run would fail the same way)."""

    def __init__(self, message: str, *, server_down: bool = False):
        super().__init__(message)
        self.server_down = server_down


class Channel(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> None: ...

    def close(self) -> None:
        """Let go of what the sends of one run shared (a connection); nothing for a stateless channel."""


class _Email(EmailMultiAlternatives):
    """Flask-Mailman's message, with a Vietnamese subject folded as mail programs expect: its own
    encoding leaves the folded subject starting with a line break, which some programs show as a
    leading space. A Header that knows its field's name folds after "Subject: " instead. (A long
    Message-ID or List-Unsubscribe is folded before its "<", which RFC 5322 allows there.)"""

    def message(self):
        built = super().message()
        built.replace_header("Subject", Header(self.subject, "utf-8", header_name="Subject"))
        return built


class EmailChannel:
    """SMTP through Flask-Mailman's SMTP backend. One connection serves the messages of a run (a
    handshake per message cost ~0.3 s each on a busy machine); it is dropped after any failure, and
    a connection the server closed while idle is opened again once before the message counts as
    failed. `close()` ends it (the caller's run does, at its end)."""

    name = "email"

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._connection = None

    def _open(self):
        s = self.settings
        connection = mail.get_connection(
            backend="smtp",
            host=s.server,
            port=s.port,
            username=s.username or "",
            password=s.password or "",
            use_tls=s.use_tls,
            use_ssl=s.use_ssl,
            timeout=s.timeout,
            fail_silently=False,
        )
        connection.open()  # opened here, so that sending leaves it open for the next message
        return connection

    def send(self, message: OutgoingMessage) -> None:
        reused = self._connection is not None
        try:
            try:
                self._send(message)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                self.close()  # the server closed an idle connection: once more, on a new one
                self._send(message)
        except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError) as error:
            self.close()
            raise SendError(_describe(error), server_down=True) from error
        except smtplib.SMTPException as error:
            self.close()
            raise SendError(_describe(error)) from error
        except OSError as error:  # refused, unreachable, timed out
            self.close()
            raise SendError(_describe(error), server_down=True) from error

    def _send(self, message: OutgoingMessage) -> None:
        if self._connection is None:
            self._connection = self._open()
        email = _Email(
            subject=message.subject,
            body=message.text,
            from_email=self.settings.sender,
            to=[message.recipient],
            headers=dict(message.headers),
            connection=self._connection,
        )
        if message.html is not None:
            email.attach_alternative(message.html, "text/html")
        email.send()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except (OSError, smtplib.SMTPException):
                pass


def _describe(error: Exception) -> str:
    """One line for the outbox and the admin page: what the server said, or what went wrong."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [f"{address}: {code} {_text(reply)}" for address, (code, reply) in error.recipients.items()]
        return "Máy chủ từ chối người nhận: " + "; ".join(answers)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"Máy chủ trả lời {error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        return "Máy chủ thư không trả lời (hết thời gian chờ)."
    if isinstance(error, ConnectionRefusedError):
        return "Máy chủ thư từ chối kết nối."
    return f"{type(error).__name__}: {error}"


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def configured_channel(settings: MailSettings | None) -> Channel | None:
    """The channel the settings choose; None when nothing is configured (nothing is sent)."""
    if settings is None:
        return None
    return EmailChannel(settings)

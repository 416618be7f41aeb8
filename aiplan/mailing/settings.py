"""The mail settings, read from the app's configuration (aiplan/config.py reads the environment)
and checked once: `mail_settings()` gives None when no MAIL_SERVER is set (nothing is sent, the app
works as before), or MailConfigError naming, in Vietnamese, every setting that is wrong."""

from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

NOT_CONFIGURED = _l("Chưa cấu hình máy chủ thư")
# What an operator sets to turn mail on (shown on the admin page and by `send-reminders`).
NEEDED = (
    ("MAIL_SERVER", _l("tên hoặc địa chỉ máy chủ SMTP của phường")),
    ("MAIL_DEFAULT_SENDER", _l("địa chỉ người gửi, ví dụ “Giáo dục AI <khonghoi@longbien.gov.vn>”")),
    (
        "AIPLAN_BASE_URL",
        _l("địa chỉ của ứng dụng, ví dụ https://giaoduc-ai.longbien.gov.vn, cho các liên kết trong thư"),
    ),
)
OPTIONAL = (
    ("MAIL_PORT", _l("cổng, mặc định 25")),
    ("MAIL_USE_TLS / MAIL_USE_SSL", _l("1 để mã hóa (STARTTLS / SSL), không bật cả hai")),
    ("MAIL_USERNAME / MAIL_PASSWORD", _l("khi máy chủ yêu cầu đăng nhập")),
    ("MAIL_TIMEOUT", _l("số giây chờ máy chủ, mặc định 30")),
    ("DIGEST_HOUR", _l("giờ gửi thư hằng ngày / hằng tuần (giờ Hà Nội), mặc định 7")),
)


class MailConfigError(ValueError):
    """The mail settings cannot be used; str() says which and why, in Vietnamese."""


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    timeout: float
    base_url: str  # without a trailing slash
    digest_hour: int

    @property
    def host_name(self) -> str:
        """The app's host name, the right half of each digest's Message-ID."""
        return urlsplit(self.base_url).hostname or "aiplan.invalid"


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _number(config, name: str, problems: list[str], low: float, high: float, kind=int):
    raw = config.get(name)
    try:
        value = kind(str(raw).strip())
    except ValueError:
        problems.append(f"{name} phải là một số (đang là “{raw}”).")
        return None
    if not low <= value <= high:
        problems.append(f"{name} phải từ {low:g} đến {high:g} (đang là “{raw}”).")
        return None
    return value


def digest_hour(config=None) -> int:
    """DIGEST_HOUR (0–23, Hà Nội time), or MailConfigError."""
    problems: list[str] = []
    hour = _number(config if config is not None else current_app.config, "DIGEST_HOUR", problems, 0, 23)
    if problems:
        raise MailConfigError(" ".join(problems))
    assert hour is not None
    return hour


def mail_settings(config=None) -> MailSettings | None:
    """The checked settings; None when MAIL_SERVER is not set; MailConfigError when it is set and
    something else is missing or malformed (all of it said at once)."""
    config = config if config is not None else current_app.config
    server = str(config.get("MAIL_SERVER") or "").strip()
    if not server:
        return None
    problems: list[str] = []
    port = _number(config, "MAIL_PORT", problems, 1, 65535)
    timeout = _number(config, "MAIL_TIMEOUT", problems, 0.1, 600, float)
    hour = _number(config, "DIGEST_HOUR", problems, 0, 23)
    use_tls, use_ssl = _flag(config.get("MAIL_USE_TLS")), _flag(config.get("MAIL_USE_SSL"))
    if use_tls and use_ssl:
        problems.append("Chỉ bật một trong MAIL_USE_TLS và MAIL_USE_SSL.")
    sender = str(config.get("MAIL_DEFAULT_SENDER") or "").strip()
    if not sender:
        problems.append("Thiếu MAIL_DEFAULT_SENDER (địa chỉ người gửi).")
    elif "@" not in parseaddr(sender)[1]:
        problems.append(f"MAIL_DEFAULT_SENDER không phải một địa chỉ e-mail (đang là “{sender}”).")
    base_url = str(config.get("AIPLAN_BASE_URL") or "").strip().rstrip("/")
    parts = urlsplit(base_url)
    if not base_url:
        problems.append("Thiếu AIPLAN_BASE_URL (địa chỉ của ứng dụng, cho các liên kết trong thư).")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"AIPLAN_BASE_URL phải bắt đầu bằng http:// hoặc https:// (đang là “{base_url}”).")
    if problems:
        raise MailConfigError(" ".join(problems))
    assert port is not None and timeout is not None and hour is not None
    return MailSettings(
        server=server,
        port=port,
        use_tls=use_tls,
        use_ssl=use_ssl,
        username=str(config.get("MAIL_USERNAME") or "") or None,
        password=str(config.get("MAIL_PASSWORD") or "") or None,
        sender=sender,
        timeout=timeout,
        base_url=base_url,
        digest_hour=hour,
    )

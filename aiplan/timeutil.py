"""Dates and times as the ward reads them: Asia/Ho_Chi_Minh, dd/mm/yyyy."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_today() -> date:
    """Today in Hà Nội, which decides what is late (the server may run on UTC)."""
    return datetime.now(LOCAL_TZ).date()


def local_day(moment: datetime) -> date:
    """The Hà Nội calendar date of a moment (SQL: database.local_date)."""
    return moment.astimezone(LOCAL_TZ).date()


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") if value else ""


def machine_datetime(value: datetime | None) -> str:
    """A moment for `<time datetime>`: Hà Nội time to the second (HTML allows at most three
    digits of a second's fraction, and a person never needs them)."""
    if not value:
        return ""
    return (value.astimezone(LOCAL_TZ) if value.tzinfo else value).isoformat(timespec="seconds")

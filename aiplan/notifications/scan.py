from datetime import datetime


def make_due_notifications(now: datetime | None = None) -> int:
    """Placeholder on the `mail` branch, replaced by the `notif` branch's scan (which makes the
    Notification rows that are due at `now` and returns how many it added). Here it adds none."""
    return 0

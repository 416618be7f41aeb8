"""Making notifications and keeping each account's read state.

`notify` is the one way a notification is made, for the immediate events (events.py, inside the
transaction of the write that causes them) and the scheduled scan (scan.py) alike. It never makes
a row twice for one event: the (user_id, event_key) unique constraint decides, through an INSERT
that skips the keys already there (ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike), so no
IntegrityError ever aborts the caller's transaction.

Reading and marking read are not audited: a notification is the account's own inbox, not a record
of the plan's work (as a session's last_seen_at is not), and the write it tells of is audited already.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from flask import current_app
from sqlalchemy import Select, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Notification, NotificationKind, Role, User, utcnow

TABLE = cast(Table, Notification.__table__)  # a mapped class's table (typed as any FromClause)
# Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters (9 a row).
BATCH = 1000
# Set on the session when it made a notification that is mailed at once (NotificationKind.immediate).
SOON_FLAG = "aiplan.mail_soon"


@dataclass(frozen=True)
class Message:
    """What one event tells its recipients: the same words for each, one row per recipient."""

    kind: NotificationKind
    event_key: str
    title: str
    body: str
    url: str
    school_id: int | None = None
    due_on: date | None = None  # the day the event is about (a due date, a visit's day)


def notify(recipient_ids: Iterable[int], message: Message, now: datetime | None = None) -> int:
    """Make `message` for each recipient that has not had its event yet; returns how many rows were
    made. Joins the caller's transaction (does not commit); one INSERT."""
    return notify_many([(user_id, message) for user_id in dict.fromkeys(recipient_ids)], now)


def notify_many(pairs: Sequence[tuple[int, Message]], now: datetime | None = None) -> int:
    """`notify` for many (recipient, message) pairs at once: one INSERT per BATCH rows. Pending ORM
    changes are not flushed first, so that a lost race still surfaces at the caller's commit (a 409)."""
    now = now or utcnow()
    rows = [
        {
            "user_id": user_id,
            "kind": m.kind,
            "event_key": m.event_key[:200],
            "school_id": m.school_id,
            "title": _line(m.title, 300),
            "body": m.body,
            "url": m.url[:500],
            "due_on": m.due_on,
            "created_at": now,
            "read_at": None,
        }
        for user_id, m in {(user_id, m.event_key): (user_id, m) for user_id, m in pairs}.values()
    ]
    made = 0
    with db.session.no_autoflush:
        for start in range(0, len(rows), BATCH):
            statement = _insert_skipping_existing().values(rows[start : start + BATCH]).returning(TABLE.c.id)
            made += len(db.session.execute(statement).all())
    if made and any(m.kind.immediate for _, m in pairs):
        # Mailed as soon as the transaction commits (aiplan/jobs/schedule.py, SOON), not at the
        # worker's next minute.
        db.session.info[SOON_FLAG] = True
    return made


def _insert_skipping_existing():
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(TABLE).on_conflict_do_nothing(index_elements=["user_id", "event_key"])
    if dialect == "sqlite":
        return sqlite.insert(TABLE).on_conflict_do_nothing(index_elements=["user_id", "event_key"])
    raise NotImplementedError(f"notifications need SQLite or PostgreSQL, not {dialect}")


def _line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def app_path(endpoint: str, anchor: str | None = None, **values) -> str:
    """The app path of a page, in a request or not (the scan runs from the command line and the
    job worker, where url_for has no request to build against)."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    path = adapter.build(endpoint, values)
    return f"{path}#{anchor}" if anchor else path


# -- who receives what ---------------------------------------------------------------------------


def _enabled(role: Role) -> Select:
    return select(User.id).where(User.role == role, User.is_enabled.is_(True))


def school_staff_ids(school_id: int) -> list[int]:
    """The enabled staff accounts of one school."""
    return list(db.session.scalars(_enabled(Role.SCHOOL_STAFF).where(User.school_id == school_id)))


def ward_admin_ids(ward_id: int) -> list[int]:
    """The enabled ward admins (Phòng VHXH) of one ward."""
    return list(db.session.scalars(_enabled(Role.WARD_ADMIN).where(User.ward_id == ward_id)))


# -- read state ----------------------------------------------------------------------------------

PAGE_SIZE = 30


def unread_count(user_id: int) -> int:
    """The bell's number: one COUNT on the (user_id, read_at) index."""
    return (
        db.session.scalar(select(func.count(TABLE.c.id)).where(TABLE.c.user_id == user_id, TABLE.c.read_at.is_(None)))
        or 0
    )


def page_of(user_id: int, before: int | None = None) -> tuple[list[Notification], bool]:
    """The account's notifications newest first, PAGE_SIZE of them (older than id `before` if given),
    and whether there are more; one query."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def mark_read(notification: Notification) -> None:
    """Mark one notification read (idempotent: the first reading's time stays). Commits."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the account read; returns how many. Commits."""
    result = db.session.execute(
        update(TABLE).where(TABLE.c.user_id == user_id, TABLE.c.read_at.is_(None)).values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE's result has a rowcount

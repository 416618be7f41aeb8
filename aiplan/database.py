"""How the app talks to its database beyond the ORM: SQLite's transaction policy (WAL, write lock
taken up front by writing requests), a write's commit-or-roll-back (`committing`), read-only
snapshots, `among` for long id lists, and the SQL functions that the two databases spell
differently (`local_date`, `id_list`)."""

import sqlite3
from contextlib import contextmanager
from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import Date, Integer, String, any_, event, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.functions import FunctionElement

from .extensions import db
from .timeutil import LOCAL_TZ


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """WAL, enforced foreign keys and a busy timeout on every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy emit BEGIN itself (below) instead of the driver's implicit, deferred one.
    dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection):
    """Writing requests take SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes cannot wait for the lock: SQLite fails
    it at once with "database is locked" when another writer got there first. Taking the
    lock at BEGIN lets the busy timeout queue writers instead; reads stay deferred, and WAL
    keeps them from ever waiting on a writer.
    """
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get("read_only"):
        connection.exec_driver_sql("BEGIN")
        return
    writing = not has_request_context() or (
        request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("done_writing")
    )
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def done_writing() -> None:
    """The request has committed its writes: what it still reads (to render its answer) need
    not hold SQLite's write lock, which would keep the next writer waiting."""
    g.done_writing = True


def commit_keeping_loaded() -> None:
    """Commit, keeping the objects the session holds as they are instead of expiring them.

    For a write whose request then only renders its answer (an item's htmx fragment): after an
    ordinary commit every object read is reloaded on first use, one query each (the item, the
    account, the school, the plan), to read back what this transaction itself wrote or read
    under its write lock. What is kept is the database's state at this commit; a reload could
    only add another request's later change, which the next page load shows anyway. Objects
    with server-generated values SQLAlchemy expires at the flush still reload them."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


@contextmanager
def committing(stale: type[Exception], *also: type[Exception]):
    """Commit what the block writes, or roll all of it back. Another request saving the same
    versioned row between our read and our write (StaleDataError, and any of `also`) becomes
    `stale()`, which the views answer with 409 and the form as it was typed."""
    concurrent: tuple[type[Exception], ...] = (StaleDataError, *also)
    try:
        yield
        db.session.commit()
    except concurrent:
        db.session.rollback()
        raise stale() from None
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def read_snapshot():
    """Run the block's reads in one consistent snapshot that takes no write lock: REPEATABLE READ
    on PostgreSQL, a deferred transaction on SQLite (WAL). For long checks such as `verify`,
    which must neither block the app's writers nor see half of a later change."""
    db.session.rollback()
    options: dict[str, bool | str] = {"read_only": True}
    if db.engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    db.session.connection(execution_options=options)
    try:
        yield
    finally:
        db.session.rollback()


# Up to this many ids, `among` is a plain IN: one school's items, a ward's few dozen schools.
SHORT_LIST = 64


def among(column, ids: list[int]):
    """`column IN ids` for a long list of integer ids (a ward's 3,000 schools) as ONE parameter:
    an IN list of 3,000 bound parameters costs SQLAlchemy tens of milliseconds to compile on
    every query. PostgreSQL gets an int[] (`= ANY`), SQLite a JSON array (`IN json_each`).
    A short list stays a plain IN (one parameter each): its statement is built and run about a
    quarter of a millisecond faster, and most pages ask for one school or one ward."""
    ids = [int(i) for i in ids]
    if len(ids) <= SHORT_LIST:
        return column.in_(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        # A real array, whose length the planner sees. Text cast to int[] is cheaper to send, but
        # the cast is re-run for every row of a scan, and a subquery over unnest() of it is guessed
        # at 100 rows and planned badly: both measured several times slower at 3,000 schools.
        return column == any_(literal(ids, ARRAY(Integer)))
    numbers = ",".join(str(i) for i in ids)
    return column.in_(select(func.json_each(literal("[" + numbers + "]")).table_valued("value").c.value))


class local_date(FunctionElement):
    """The Hà Nội calendar date of a moment stored as naive UTC (Viet Nam keeps one offset all year)."""

    type = Date()
    inherit_cache = True


_offset = datetime(2025, 1, 1, tzinfo=LOCAL_TZ).utcoffset()
assert _offset is not None  # an aware datetime always has its offset
OFFSET_HOURS = int(_offset.total_seconds()) // 3600


@compiles(local_date)  # SQLite, the default
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+{OFFSET_HOURS} hours')"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} + INTERVAL '{OFFSET_HOURS} hours' AS DATE)"


class id_list(FunctionElement):
    """The ids of a group as text, "3,17,42": an aggregate both databases have (SQLite has no arrays)."""

    type = String()
    inherit_cache = True


@compiles(id_list)  # SQLite, the default
def _id_list_sqlite(element, compiler, **kw):
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


@compiles(id_list, "postgresql")
def _id_list_postgresql(element, compiler, **kw):
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"

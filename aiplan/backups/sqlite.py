"""SQLite: an online copy with the backup API, and putting a copy in place of an empty database."""

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import cast

from sqlalchemy.engine import Engine

from .snapshot import Contents, SqliteFileReader, describe


class SqliteError(Exception):
    pass


def database_path(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise SqliteError(f"cơ sở dữ liệu SQLite phải là một tệp (đang cấu hình: {engine.url})")
    return Path(name).resolve()


def snapshot(engine: Engine, target: Path) -> Contents:
    """Copy the live database into `target` and return what the copy holds.

    The backup API copies every page in one step (pages=-1) inside a single read transaction,
    so the copy is one consistent moment even while others write: under WAL they never wait
    for it, nor it for them. The copy is switched out of WAL so that it is one self-contained file.
    """
    raw = engine.raw_connection()
    try:
        with closing(sqlite3.connect(target)) as copy:
            cast(sqlite3.Connection, raw.driver_connection).backup(copy)  # an engine on SQLite
            copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        raw.close()
    with closing(sqlite3.connect(f"file:{target}?mode=ro", uri=True)) as copy:
        return describe(SqliteFileReader(copy))


def read(path: Path) -> Contents | None:
    """What an existing database file holds, without writing to it; None when there is no file."""
    if not path.exists():
        return None
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return describe(SqliteFileReader(connection), blobs=False)


def put_in_place(engine: Engine, staged: Path, target: Path) -> None:
    """Replace the (empty) database file by the staged copy, before any connection opens it.

    `staged` was written beside `target`, so the rename is atomic; the empty database's WAL and
    shared-memory files go first, so SQLite cannot replay them over the restored file.
    """
    engine.dispose()
    with staged.open("rb+") as f:
        os.fsync(f.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

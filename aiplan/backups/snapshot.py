"""What a database holds, read the same way from a backup's snapshot and from a restored database:
row counts per table, the audit chains' heads, the migration revision, the evidence blobs."""

import sqlite3
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

HEAD_COLUMNS = ("seq", "hash", "mac", "key_id")
LEGACY = "legacy"  # models/audit.py's LEGACY: this module reads databases without the models


class Reader(Protocol):
    def table_names(self) -> list[str]: ...

    def rows(self, sql: str) -> list[tuple]: ...

    def columns(self, table: str) -> list[str]: ...


class ConnectionReader:
    """A SQLAlchemy connection, inside whatever transaction (snapshot) the caller opened."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def table_names(self) -> list[str]:
        return sorted(inspect(self.connection).get_table_names())

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(row) for row in self.connection.execute(text(sql))]

    def columns(self, table: str) -> list[str]:
        return [column["name"] for column in inspect(self.connection).get_columns(table)]


class SqliteFileReader:
    """A database file read with the bare driver, so nothing (WAL mode included) is written to it."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def table_names(self) -> list[str]:
        return [
            name
            for (name,) in self.connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]

    def rows(self, sql: str) -> list[tuple]:
        return self.connection.execute(sql).fetchall()

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.connection.execute(f'PRAGMA table_info("{_quoted(table)}")')]


@dataclass
class Contents:
    tables: dict[str, int]
    # {scope: {"seq": …, "hash": …, "mac": …, "key_id": …}}, one per chain (models/audit.py): empty
    # before the chain existed (migration 0005), without the signature before it was signed
    # (0007), {"legacy": the one head} before the log was split by ward (0022)
    audit_heads: dict[str, dict]
    revision: str | None
    # SHA-256 of every evidence file row, deleted ones included (they can be restored), and of every
    # decision file of an inspection team
    blobs: list[str]


def describe(reader: Reader, blobs: bool = True) -> Contents:
    names = reader.table_names()
    tables = {name: reader.rows(f'SELECT count(*) FROM "{_quoted(name)}"')[0][0] for name in names}
    head_columns = [c for c in HEAD_COLUMNS if c in reader.columns("audit_head")] if "audit_head" in names else []
    heads: dict[str, dict] = {}
    if head_columns and "scope" in reader.columns("audit_head"):
        for row in reader.rows(f"SELECT scope, {', '.join(head_columns)} FROM audit_head ORDER BY id"):
            heads[row[0]] = dict(zip(head_columns, row[1:]))
    elif head_columns:  # before migration 0022: the one chain, which became the legacy one
        for values in reader.rows(f"SELECT {', '.join(head_columns)} FROM audit_head WHERE id = 1"):
            heads[LEGACY] = dict(zip(head_columns, values))
    revision = reader.rows("SELECT version_num FROM alembic_version") if "alembic_version" in names else []
    shas = []
    if blobs and "evidence_file" in names:
        shas = [sha for (sha,) in reader.rows("SELECT DISTINCT sha256 FROM evidence_file ORDER BY sha256")]
    if blobs and "inspection_decision" in names:  # the file of a decision forming an inspection team
        named = "SELECT DISTINCT sha256 FROM inspection_decision WHERE sha256 IS NOT NULL"
        shas = sorted(set(shas) | {sha for (sha,) in reader.rows(named)})
    return Contents(
        tables=tables,
        audit_heads=heads,
        revision=revision[0][0] if revision else None,
        blobs=shas,
    )


def holds_data(tables: dict[str, int], heads: dict[str, dict]) -> dict[str, int]:
    """The tables that make a database not empty. The migrations themselves write the revision
    and audit heads at #0, so those alone leave a database empty."""
    ignored = {"alembic_version"} | ({"audit_head"} if all(h["seq"] == 0 for h in heads.values()) else set())
    return {name: count for name, count in tables.items() if count and name not in ignored}


def _quoted(name: str) -> str:
    return name.replace('"', '""')

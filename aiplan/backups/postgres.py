"""PostgreSQL: pg_dump of the configured schema, and restoring that dump into another, empty schema.

The dump and our own reads (row counts, audit head, evidence list) share one snapshot: a
REPEATABLE READ transaction exports it and pg_dump runs with --snapshot while it stays open.

pg_dump qualifies every name with the schema it came from, and the archive's schema (say
`aiplan`) may differ from the target's (say `aiplan_restore`), or be a schema that still
exists in the same database, so restoring and then renaming cannot work in general. Instead
pg_restore turns the dump into SQL, the schema-qualified names in its statements are renamed
(COPY data is copied through untouched, so no user data can be altered by the renaming), and
psql runs it all in one transaction: a failure leaves the target as it was.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from .snapshot import ConnectionReader, Contents, describe

PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*(\S+)")
# TOC entries of the schema itself (CREATE SCHEMA, its comment): the target schema is ours to make.
SCHEMA_ENTRY = re.compile(r"^\s*\d+;\s+\d+\s+\d+\s+(SCHEMA|COMMENT)\s+-\s+")
DROP = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}


class PostgresError(Exception):
    def __init__(self, title: str, problems: list[str]):
        super().__init__(title, problems)
        self.title, self.problems = title, problems


def client_args(url) -> tuple[str, dict]:
    """A libpq connection string for the app's database URL, and a clean environment for the
    client programs (only PATH, and PGPASSWORD when the URL has a password)."""
    url = make_url(url)
    params = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    for key, value in url.query.items():
        params[key] = value[-1] if isinstance(value, tuple) else value
    conninfo = " ".join(f"{key}={_libpq_quote(str(value))}" for key, value in params.items() if value not in (None, ""))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "PGAPPNAME": "aiplan-backup"}
    if url.password:
        env["PGPASSWORD"] = url.password
    return conninfo, env


def _libpq_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def configured_schema(url) -> str | None:
    """The first schema of the search_path set in the URL (`?options=-csearch_path%3Dname`), if any."""
    options = make_url(url).query.get("options")
    match = SEARCH_PATH.search(options[-1] if isinstance(options, tuple) else options or "")
    if not match:
        return None
    first = match.group(1).split(",")[0].strip()
    return first[1:-1].replace('""', '"') if first.startswith('"') else first.lower()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _program(name: str, env: dict) -> str:
    found = shutil.which(name, path=env["PATH"])
    if not found:
        raise PostgresError(
            f"không tìm thấy chương trình {name}",
            ["cài gói postgresql-client cùng phiên bản chính với máy chủ (ví dụ apt-get install postgresql-client-15)"],
        )
    return found


def _run(args: list[str], env: dict, what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()][-10:]
        raise PostgresError(f"{what} không thành công (mã {result.returncode})", lines or ["(không có thông báo)"])
    return result


def snapshot(engine: Engine, target: Path) -> tuple[Contents, str]:
    """pg_dump the app's schema into `target` (custom format) and return what that snapshot holds,
    with the schema's name."""
    conninfo, env = client_args(engine.url)
    pg_dump = _program("pg_dump", env)
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            schema = connection.execute(text("SELECT current_schema()")).scalar_one_or_none()
            if schema is None:
                raise PostgresError("không có schema nào trong search_path của cơ sở dữ liệu", [str(engine.url)])
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    f"--schema={_quoted(schema)}",
                    f"--file={target}",
                    f"--dbname={conninfo}",
                ],
                env,
                "pg_dump",
            )
            contents = describe(ConnectionReader(connection))
    return contents, schema


def target_schema(engine: Engine) -> str:
    """The schema a restore writes into: the URL's search_path, else the server's current schema."""
    schema = configured_schema(engine.url)
    if schema is None:
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one_or_none() or "public"
    return schema


def read(engine: Engine) -> Contents | None:
    """What the target schema holds; None when it does not exist yet."""
    schema = target_schema(engine)
    with engine.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema}).first():
            return None
        return describe(ConnectionReader(connection), blobs=False)


def restore(engine: Engine, dump: Path, source_schema: str, workdir: Path) -> None:
    """Load the dump into the (empty) target schema, replacing its empty tables, in one transaction."""
    schema = target_schema(engine)
    for name in (source_schema, schema):
        if not PLAIN_NAME.fullmatch(name or ""):
            raise PostgresError(
                f"tên schema không dùng được để khôi phục: {name!r}", ["chỉ chữ cái không dấu, chữ số, _ và $"]
            )
    conninfo, env = client_args(engine.url)
    pg_restore, psql = _program("pg_restore", env), _program("psql", env)
    toc = _run([pg_restore, "--list", str(dump)], env, "pg_restore --list").stdout
    toc_file, raw, script = workdir / "toc.list", workdir / "dump.sql", workdir / "restore.sql"
    toc_file.write_text("".join(line + "\n" for line in toc.splitlines() if not SCHEMA_ENTRY.match(line)))
    _run(
        [pg_restore, "--no-owner", "--no-privileges", f"--use-list={toc_file}", f"--file={raw}", str(dump)],
        env,
        "pg_restore",
    )
    with script.open("wb") as out, raw.open("rb") as source:
        out.write(_clearing(engine, schema).encode())
        _rename_schema(source, out, source_schema, schema)
    raw.unlink()
    engine.dispose()
    _run(
        [
            psql,
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            f"--file={script}",
            f"--dbname={conninfo}",
            "--output=/dev/null",
        ],
        env,
        "psql (nạp dữ liệu)",
    )


def _clearing(engine: Engine, schema: str) -> str:
    """SQL that makes the target schema exist and hold nothing (its tables were checked empty)."""
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
        objects = (
            connection.execute(
                text(
                    "SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :s AND c.relkind IN ('r', 'p', 'v', 'm', 'S') ORDER BY c.relkind DESC, c.relname"
                ),
                {"s": schema},
            ).all()
            if exists
            else []
        )
        types = (
            connection.scalars(
                text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE n.nspname = :s AND t.typtype IN ('e', 'd')"
                ),
                {"s": schema},
            ).all()
            if exists
            else []
        )
    lines = ["SET client_min_messages = warning;"]
    if not exists:
        lines.append(f"CREATE SCHEMA {_quoted(schema)};")
    lines += [f"DROP {DROP[kind]} IF EXISTS {_quoted(schema)}.{_quoted(name)} CASCADE;" for kind, name in objects]
    lines += [f"DROP TYPE IF EXISTS {_quoted(schema)}.{_quoted(name)} CASCADE;" for name in types]
    return "\n".join(lines) + "\n"


def _rename_schema(source, out, old: str, new: str) -> None:
    """Copy pg_restore's SQL, renaming `old.` to `"new".` in statements but never inside COPY data."""
    forms = [re.escape(_quoted(old).encode())] + ([re.escape(old.encode())] if old == old.lower() else [])
    qualified = re.compile(rb'(?<![\w"$])(?:' + b"|".join(forms) + rb")(?=\.)")
    replacement = _quoted(new).encode()
    in_copy = False
    for line in source:
        if in_copy:
            out.write(line)
            in_copy = line != b"\\.\n"
            continue
        out.write(qualified.sub(replacement, line))
        in_copy = line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;")

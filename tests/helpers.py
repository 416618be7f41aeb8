"""Constants and plain helpers shared by the test files and the fixtures in conftest.py: the
personas, the test settings, seeding the database, signing in, and reading a page as a person
reads it. Test files import from here, never from conftest."""

import html
import os
import re
from datetime import timedelta
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine

from aiplan.admin.schools import import_schools, parse_schools_csv
from aiplan.auth.services import create_user
from aiplan.extensions import db, limiter
from aiplan.models import CITY_ROLES, Inspection, Plan, Role, School, User, Ward
from aiplan.plans.services import BUNDLED_PLAN, BUNDLED_SCHOOLS, load_plan
from aiplan.plans.spec import read_plan_file

ROOT = Path(__file__).resolve().parent.parent
EN_PO = ROOT / "aiplan" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PASSWORD = "mat-khau-thu-nghiem"
AUDIT_KEY = "test-audit-key"  # also given to the servers some tests start in a process of their own
WARD_SLUG = "long-bien"  # the bundled ward
SCHOOL_A = "th-doan-ket"  # pilot primary school
SCHOOL_B = "thcs-thach-ban"  # pilot lower-secondary school
# persona -> (username, role, school slug)
PERSONAS = {
    "ward_admin": ("admin", Role.WARD_ADMIN, None),
    "supervisor": ("giamsat", Role.SUPERVISOR, None),
    "staff_a": ("canbo-a", Role.SCHOOL_STAFF, SCHOOL_A),
    "staff_b": ("canbo-b", Role.SCHOOL_STAFF, SCHOOL_B),
    "viewer": ("lanhdao", Role.VIEWER, None),
    # The Sở GD&ĐT's account, of the city the bundled ward belongs to (Hà Nội).
    "city_admin": ("so-gddt", Role.CITY_ADMIN, None),
}


def base_config(database_url: str, instance: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "AUDIT_KEY": AUDIT_KEY,  # one key for every app of a run, as one server has one
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_FAST": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "EVIDENCE_DIR": os.path.join(instance, "evidence"),
        "JOB_IMMEDIATE": True,  # a job runs in the request that asks for it (tests/test_jobs*.py run a worker too)
        "JOB_DIR": os.path.join(instance, "jobs"),
    }


def db_is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


def reset_database() -> None:
    """Drop every table, including Alembic's, so a run never inherits a schema."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            schema = connection.execute(text("SHOW search_path")).scalar()
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
    else:
        db.metadata.drop_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


# -- rows between tests ---------------------------------------------------------------------
# Between two tests the database is either empty or holds exactly the seed (the bundled plan
# and schools, one account per persona). Every SQL statement any engine of this process sends
# is read for the tables it writes; after a test only those tables, and the tables whose rows
# point at them, are emptied and given their seeded rows back. A test that reads only costs
# nothing to undo. Then every table's row count is checked against what it should hold: a
# write the statements did not show (another process, a raw connection) empties every table.

_WRITES = re.compile(
    r"\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|COPY)"
    r'\s+(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?',
    re.IGNORECASE,
)
_READS = ("SELECT", "PRAGMA", "SHOW", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET", "EXPLAIN", "WITH")


class _Rows:
    """What the test database holds: `seeded` or empty, less the tables written since."""

    def __init__(self) -> None:
        self.seeded = False
        self.dirty: set[str] = set()
        self.everything = False
        self.snapshot: list[tuple] | None = None  # (table, rows) of the first seed, replayed after
        self.paused = False  # while the rows are being put back

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        """A `before_cursor_execute` listener on every engine: note the tables a statement writes."""
        if self.paused:
            return
        names = {name.lower() for name in _WRITES.findall(statement)}
        tables = names & db.metadata.tables.keys()
        if tables:
            self.dirty |= tables
        elif not statement.lstrip().upper().startswith(_READS) and not names:
            self.everything = True  # DDL, or a statement not understood here: undo everything


ROWS = _Rows()


def _TABLE_NAMES() -> set[str]:
    return set(db.metadata.tables)


def track_writes() -> None:
    event.listen(Engine, "before_cursor_execute", ROWS)


def stop_tracking_writes() -> None:
    event.remove(Engine, "before_cursor_execute", ROWS)


def _with_their_referrers(names: set[str]) -> set[str]:
    """The tables and every table whose foreign keys lead to one of them: emptying a table
    needs the rows pointing at it gone first."""
    closure = set(names)
    grew = True
    while grew:
        grew = False
        for table in db.metadata.sorted_tables:
            if table.name not in closure and any(fk.column.table.name in closure for fk in table.foreign_keys):
                closure.add(table.name)
                grew = True
    return closure


def _sequenced(table) -> bool:
    return "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement in (True, "auto")


def _put_back(names: set[str], seeded: bool) -> None:
    """Empty the tables named, then (when `seeded`) insert their seeded rows, with each id
    sequence where the seed left it (or at 1); in one transaction."""
    tables = [table for table in db.metadata.sorted_tables if table.name in names]
    rows = dict(ROWS.snapshot or []) if seeded else {}
    ROWS.paused = True
    try:
        _delete_and_insert(tables, rows)
    finally:
        ROWS.paused = False


def _delete_and_insert(tables: list, rows: dict) -> None:
    with db.engine.begin() as connection:
        statements = [f'DELETE FROM "{table.name}"' for table in reversed(tables)]
        if db.engine.dialect.name == "postgresql":
            restarts = [
                f"setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                + (f"{max(r['id'] for r in rows[table])}, true)" if rows.get(table) else "1, false)")
                for table in tables
                if _sequenced(table)
            ]
            if restarts:
                statements.append("SELECT " + ", ".join(restarts))
            connection.exec_driver_sql("; ".join(statements))
        else:
            for statement in statements:
                connection.exec_driver_sql(statement)
        for table in tables:
            if rows.get(table):
                connection.execute(table.insert(), rows[table])


def _counts_hold(seeded: bool) -> bool:
    """Does every table hold as many rows as it should (the seed's, or none)? One statement."""
    tables = db.metadata.sorted_tables
    expected = {table: len(rows) for table, rows in ROWS.snapshot or []} if seeded else {}
    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{table.name}")' for table in tables)
    with db.engine.connect() as connection:
        counts = connection.exec_driver_sql(query).one()
    return all(count == expected.get(table, 0) for table, count in zip(tables, counts, strict=True))


def restore_rows(everything: bool = False) -> None:
    """Undo the rows the last test wrote (see above); inside an app context on the test database."""
    names = _TABLE_NAMES() if everything or ROWS.everything else _with_their_referrers(ROWS.dirty)
    ROWS.dirty, ROWS.everything = set(), False
    if names:
        _put_back(names, ROWS.seeded)
    if not _counts_hold(ROWS.seeded):
        clear_rows()


def clear_rows() -> None:
    """Delete every row and start every id sequence again at 1.

    On PostgreSQL a DELETE per table, not TRUNCATE: TRUNCATE gives each table and index a new
    file (and syncs them) whatever its size, ≈0.5-0.8 s per test for 30 nearly empty tables."""
    _put_back(_TABLE_NAMES(), seeded=False)
    ROWS.seeded, ROWS.dirty, ROWS.everything = False, set(), False


def seed() -> None:
    """The bundled plan and schools, and one account per persona.

    The first test of a run builds them through the app's own services and keeps a copy of the
    rows; a later test finds them already there, or has its written tables put back from the
    copy, sequences included."""
    restore_rows()  # what was written since the seed (or since the rows were cleared), if anything
    if ROWS.seeded:
        return
    if ROWS.snapshot is None:
        _seed_through_the_services()
        with db.engine.connect() as connection:
            ROWS.snapshot = [
                (table, [dict(row) for row in connection.execute(table.select()).mappings()])
                for table in db.metadata.sorted_tables
            ]
    else:
        _put_back(_TABLE_NAMES(), seeded=True)
    ROWS.seeded, ROWS.dirty, ROWS.everything = True, set(), False


def empty_rows() -> None:
    """An empty database for a test that builds its own rows (`make_app` without `seeded_app`)."""
    if ROWS.seeded:
        clear_rows()
    else:
        restore_rows()


def _seed_through_the_services() -> None:
    load_plan(read_plan_file(BUNDLED_PLAN))
    ward = db.session.scalar(db.select(Ward))
    import_schools(ward, parse_schools_csv(BUNDLED_SCHOOLS.read_bytes()))
    for username, role, slug in PERSONAS.values():
        if role in CITY_ROLES:
            create_user(username, role, PASSWORD, city=ward.city_unit)
            continue
        school = db.session.scalar(db.select(School).filter_by(slug=slug)) if slug else None
        create_user(username, role, PASSWORD, ward=ward, school=school)


class SharedApp:
    """One app for the tests that need no settings of their own, handed to each as it was built.

    What a test can leave on an app is put back on each checkout: its settings, the evidence
    store it built from them, and the login limits' counters. The login limiter is one object
    for every app of the process (the last app built rebinds its storage), so the shared app's
    own storage is bound again and emptied, as a newly built app's would be."""

    def __init__(self, app):
        self.app = app
        self._config = dict(app.config)
        self._limiter = {name: getattr(limiter, name) for name in ("_storage", "_limiter")}

    def checkout(self):
        app = self.app
        app.config.clear()
        app.config.update(self._config)
        app.extensions.pop("evidence_storage", None)
        for name, value in self._limiter.items():
            setattr(limiter, name, value)
        limiter.reset()
        return app


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, persona: str = "staff_a", password: str = PASSWORD):
        username = PERSONAS[persona][0] if persona in PERSONAS else persona
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


def browser_login(page, persona: str) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(PERSONAS[persona][0])
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def schedule_visit(slug: str = SCHOOL_A, username: str = "giamsat") -> int:
    """A visit to a school in the mid-HK II window, its team the one supervisor (also its lead);
    inside an app context. Returns the visit's id."""
    plan = db.session.scalar(select(Plan))
    supervisor = db.session.scalar(select(User).filter_by(username=username))
    inspection = Inspection(
        plan=plan,
        school=db.session.scalar(select(School).filter_by(slug=slug)),
        visit_on=plan.school_year.midterm_start + timedelta(days=3),
        members=[supervisor],
        lead=supervisor,
    )
    db.session.add(inspection)
    db.session.commit()
    return inspection.id


def read_catalog(path: Path):
    """A .po file as a babel Catalog."""
    with path.open("rb") as f:
        return read_po(f)


def page_text(markup: str) -> str:
    """The words of an HTML page or fragment, as a person reads them: tags dropped, entities
    decoded, runs of white space made one space."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def text_of(response) -> str:
    """The words of a response's page (see page_text)."""
    return page_text(response.get_data(as_text=True))


def open_item(item, files: bool = False):
    """Unfold a checklist item's "Cập nhật" (its status buttons, note and files), and with `files`
    its "Thêm tệp minh chứng"; what is open already stays open. Returns the item."""
    work = item.locator(".item-work")
    if work.get_attribute("open") is None:
        work.locator("> summary").click()
    if files:
        add = item.locator(".evidence-add")
        if add.get_attribute("open") is None:
            add.locator("> summary").click()
    return item


def ward_head(slug: str = SCHOOL_A):
    """The head of the audit chain of the ward the school `slug` is in (models/audit.py)."""
    from aiplan.models import AuditHead  # here, not above: keeps this file's imports as other parts have them

    ward_id = select(School.ward_id).where(School.slug == slug).scalar_subquery()
    return db.session.scalars(select(AuditHead).where(AuditHead.ward_id == ward_id)).one()

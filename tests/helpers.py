"""Constants and plain helpers shared by the test files and the fixtures in conftest.py: the
personas, the test settings, seeding the database, signing in, and reading a page as a person
reads it. Test files import from here, never from conftest."""

import html
import os
import re
from datetime import timedelta
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select, text

from aiplan.admin.schools import import_schools, parse_schools_csv
from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import Inspection, Plan, Role, School, User, Ward
from aiplan.plans.services import BUNDLED_PLAN, BUNDLED_SCHOOLS, load_plan
from aiplan.plans.spec import read_plan_file

ROOT = Path(__file__).resolve().parent.parent
EN_PO = ROOT / "aiplan" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
PASSWORD = "mat-khau-thu-nghiem"
AUDIT_KEY = "test-audit-key"  # also given to the servers some tests start in a process of their own
SCHOOL_A = "th-doan-ket"  # pilot primary school
SCHOOL_B = "thcs-thach-ban"  # pilot lower-secondary school
# persona -> (username, role, school slug)
PERSONAS = {
    "ward_admin": ("admin", Role.WARD_ADMIN, None),
    "supervisor": ("giamsat", Role.SUPERVISOR, None),
    "staff_a": ("canbo-a", Role.SCHOOL_STAFF, SCHOOL_A),
    "staff_b": ("canbo-b", Role.SCHOOL_STAFF, SCHOOL_B),
    "viewer": ("lanhdao", Role.VIEWER, None),
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


def clear_rows() -> None:
    tables = [table.name for table in db.metadata.sorted_tables]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                connection.execute(text(f'DELETE FROM "{table}"'))


_SEEDED_ROWS: list[tuple] | None = None  # (table, rows) of the first seed, replayed for the next tests


def seed() -> None:
    """The bundled plan and schools, and one account per persona.

    The first test of a run builds them through the app's own services; later tests get the
    same rows back by bulk insert (≈100× faster), sequences included."""
    global _SEEDED_ROWS
    if _SEEDED_ROWS is None:
        _seed_through_the_services()
        with db.engine.connect() as connection:
            _SEEDED_ROWS = [
                (table, [dict(row) for row in connection.execute(table.select()).mappings()])
                for table in db.metadata.sorted_tables
            ]
        return
    with db.engine.begin() as connection:
        for table, rows in _SEEDED_ROWS:
            if rows:
                connection.execute(table.insert(), rows)
        if db.engine.dialect.name == "postgresql":
            for table, rows in _SEEDED_ROWS:
                if rows and "id" in table.c and table.c.id.autoincrement in (True, "auto"):
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                            f"{max(r['id'] for r in rows)})"
                        )
                    )


def _seed_through_the_services() -> None:
    load_plan(read_plan_file(BUNDLED_PLAN))
    ward = db.session.scalar(db.select(Ward))
    import_schools(ward, parse_schools_csv(BUNDLED_SCHOOLS.read_bytes()))
    for username, role, slug in PERSONAS.values():
        school = db.session.scalar(db.select(School).filter_by(slug=slug)) if slug else None
        create_user(username, role, PASSWORD, ward=ward, school=school)


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

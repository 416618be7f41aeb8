"""No test sees what another test left: rows (written through the app, through SQLAlchemy, or
past it on a raw connection), id sequences, the shared app's settings and its login limits.

Each check runs twice ("first", "second"): in whatever order pytest-randomly gives, the one
that runs later would see the other's leftovers if the fixtures failed to undo them."""

import pytest
from helpers import PASSWORD, PERSONAS, ROWS, SCHOOL_A, seed
from sqlalchemy import func, select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import Role, School, User, UserSession, Ward

RUNS = ["first", "second"]
_ids: dict[str, int] = {}  # run -> the id the probe account got


@pytest.mark.parametrize("run", RUNS)
def test_rows_written_through_the_app_and_the_orm_are_gone_for_the_next_test(app, as_persona, run):
    with app.app_context():
        assert db.session.scalar(select(User).filter_by(username="tham-do")) is None
        assert db.session.scalar(select(func.count(User.id))) == len(PERSONAS)
        assert db.session.scalar(select(func.count(UserSession.id))) == 0
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        assert school.name == "Trường Tiểu học Đoàn Kết"
        original_name = school.name

        probe = create_user("tham-do", Role.VIEWER, PASSWORD, ward=school.ward)  # INSERT
        school.name = f"Đổi tên ({run})"  # UPDATE of a seeded row
        db.session.commit()
        _ids[run] = probe.id
        assert original_name != school.name
    assert as_persona("staff_a").get("/").status_code in (200, 302)  # a login writes its session

    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 1
    # The id sequence starts where the seed left it, in both runs (PostgreSQL's too).
    assert len(set(_ids.values())) == 1, _ids


@pytest.mark.parametrize("run", RUNS)
def test_rows_written_past_sqlalchemy_are_gone_for_the_next_test(app, run):
    """A raw DB-API cursor sends no SQLAlchemy event: the row counts checked after the test
    catch what it wrote, and every table is emptied and seeded again."""
    with app.app_context():
        assert [w.slug for w in db.session.scalars(select(Ward))] == ["long-bien"]
        db.session.rollback()  # its read transaction would lock SQLite against the write
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(
                "INSERT INTO ward (slug, name, city, authority, office) "
                f"VALUES ('tham-do-{run}', 'Phường Thăm Dò', 'Hà Nội', 'UBND', 'Phòng')"
            )
            connection.commit()
        finally:
            connection.close()
        assert db.session.scalar(select(func.count(Ward.id))) == 2


@pytest.fixture
def seeded_just_before(_shared_app):
    """The seed in place, as a test that used `app` leaves it."""
    with _shared_app.app.app_context():
        seed()
        assert db.session.scalar(select(func.count(School.id))) > 0


@pytest.mark.parametrize("run", RUNS)
def test_a_test_without_the_seed_starts_on_an_empty_database(seeded_just_before, make_app, run):
    app = make_app()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            assert db.session.scalar(select(func.count()).select_from(table)) == 0, table.name
        db.session.add(Ward(slug=f"trong-{run}", name="Phường", city="Hà Nội", authority="UBND", office="Phòng"))
        db.session.commit()


@pytest.mark.parametrize("run", RUNS)
def test_the_shared_apps_settings_and_login_limits_start_as_built(app, run):
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"] == "5 per 15 minutes"
    assert "tham-do" not in app.config
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "canbo-a", "password": "sai"}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]  # five wrong passwords, then refused for a while
    app.config["LOGIN_LIMIT_PER_ACCOUNT_ADDRESS"] = "1 per 15 minutes"
    app.config["tham-do"] = run


@pytest.mark.parametrize(
    ("statement", "written", "everything"),
    [
        ('INSERT INTO "user" (username) VALUES (?)', {"user"}, False),
        ("INSERT OR IGNORE INTO school (slug) VALUES (?)", {"school"}, False),
        ("UPDATE school SET name=? WHERE school.id = ?", {"school"}, False),
        ('DELETE FROM "audit_event" WHERE id = ?', {"audit_event"}, False),
        ("WITH moved AS (UPDATE plan SET x = 1 RETURNING id) SELECT id FROM moved", {"plan"}, False),
        ("INSERT INTO ward (slug) VALUES (%s) ON CONFLICT (slug) DO UPDATE SET name = 'x'", {"ward"}, False),
        ("SELECT school.id FROM school WHERE school.id = ? FOR UPDATE", set(), False),
        ("  select count(*) from checklist_item", set(), False),
        ("INSERT INTO alembic_version (version_num) VALUES ('x')", set(), False),
        ("PRAGMA foreign_keys=ON", set(), False),
        ("BEGIN IMMEDIATE", set(), False),
        ('CREATE TABLE "tam" (id INTEGER)', set(), True),
        ("VACUUM", set(), True),
    ],
)
def test_the_listener_reads_which_tables_a_statement_writes(statement, written, everything):
    saved = (ROWS.dirty, ROWS.everything)
    ROWS.dirty, ROWS.everything = set(), False
    try:
        ROWS(None, None, statement, None, None, False)
        assert (ROWS.dirty, ROWS.everything) == (written, everything)
    finally:
        ROWS.dirty, ROWS.everything = saved


@pytest.mark.parametrize("run", RUNS)
def test_a_test_that_takes_the_database_url_has_every_table_put_back(app, database_url, run):
    """A test that takes the database's URL may write from another process, unseen, and without
    changing a row count (an UPDATE): every table is put back after it. Here the UPDATE goes
    through a raw DB-API cursor, which sends SQLAlchemy no event."""
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        assert school.name == "Trường Tiểu học Đoàn Kết"
        db.session.rollback()
        connection = db.engine.raw_connection()
        try:
            connection.cursor().execute(f"UPDATE school SET name = 'Đổi ngoài ({run})' WHERE slug = '{SCHOOL_A}'")
            connection.commit()
        finally:
            connection.close()
        assert db.session.scalar(select(School.name).filter_by(slug=SCHOOL_A)) == f"Đổi ngoài ({run})"

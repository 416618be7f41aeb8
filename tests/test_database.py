"""docs/security.md line 19: SQLite runs with WAL, enforced foreign keys and a busy timeout."""

import pytest
from helpers import PASSWORD
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from aiplan.extensions import db
from aiplan.models import School, SchoolLevel


@pytest.fixture
def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite settings; this run is on another database")


def test_every_sqlite_connection_uses_wal_foreign_keys_and_a_busy_timeout(app, sqlite_only):
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_a_row_pointing_at_nothing_is_refused(app):
    with app.app_context():
        db.session.add(School(ward_id=999_999, slug="mo-coi", name="Trường mồ côi", level=SchoolLevel.THCS))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_concurrent_writes_never_fail_with_database_is_locked(live_server):
    """Logins read the account, then write last_login_at and an audit record: the pattern
    that fails at once under SQLite's deferred transactions when two writers meet."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.error import HTTPError
    from urllib.parse import urlencode
    from urllib.request import HTTPRedirectHandler, build_opener

    class NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def login(_):
        opener = build_opener(NoRedirect)
        data = urlencode({"username": "canbo-a", "password": PASSWORD}).encode()
        try:
            return opener.open(f"{live_server}/login", data=data, timeout=30).status
        except HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(login, range(48)))
    assert statuses.count(302) == 48, statuses


def test_a_login_checks_the_password_without_holding_the_write_lock(app, sqlite_only, monkeypatch):
    """Argon2 takes tens of milliseconds: while it runs, other writers (other logins, a school
    ticking an item) must be able to write at once, not queue behind the login."""
    import sqlite3

    from sqlalchemy.engine import make_url

    from aiplan.auth import services

    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    real_hasher = services._hasher
    others = []

    class Hasher:
        def __init__(self):
            self._real = real_hasher()

        def verify(self, hash_, password):
            other = sqlite3.connect(path, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                others.append("wrote")
            except sqlite3.OperationalError as error:
                others.append(str(error))
            finally:
                other.close()
            return self._real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(self._real, name)

    monkeypatch.setattr(services, "_hasher", Hasher)
    response = app.test_client().post("/login", data={"username": "canbo-a", "password": PASSWORD})
    assert response.status_code == 302
    assert others == ["wrote"]


def test_a_password_changed_during_the_check_does_not_sign_in_with_the_old_one(app, monkeypatch):

    from aiplan.auth import services
    from aiplan.models import User

    real_hasher = services._hasher

    class Hasher:
        def __init__(self):
            self._real = real_hasher()

        def verify(self, hash_, password):
            result = self._real.verify(hash_, password)
            with app.app_context():  # an admin resets the password meanwhile, in another session
                db.session.execute(
                    db.update(User)
                    .where(User.username == "canbo-a")
                    .values(password_hash=self._real.hash("mot-mat-khau-moi-hoan-toan"))
                )
                db.session.commit()
            return result

        def __getattr__(self, name):
            return getattr(self._real, name)

    monkeypatch.setattr(services, "_hasher", Hasher)
    response = app.test_client().post("/login", data={"username": "canbo-a", "password": PASSWORD})
    assert response.status_code == 401


def test_among_selects_exactly_the_given_ids_from_a_long_list(app):
    """The rollup's `IN` for a ward's thousands of schools, sent as one parameter."""
    from sqlalchemy import select

    from aiplan.database import among

    with app.app_context():
        ids = list(db.session.scalars(select(School.id).order_by(School.id)))
        wanted = ids[::2] + [10_000_000 + n for n in range(3000)]  # most of them match nothing
        found = db.session.scalars(select(School.id).where(among(School.id, wanted)).order_by(School.id)).all()
        assert found == ids[::2]
        assert db.session.scalars(select(School.id).where(among(School.id, []))).all() == []

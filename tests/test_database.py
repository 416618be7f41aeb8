"""SECURITY.md line 19: SQLite runs with WAL, enforced foreign keys and a busy timeout."""
import pytest
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

    from conftest import PASSWORD

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

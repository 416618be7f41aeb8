"""Fixtures in the manner of flaskr's conftest: `app`, `client`, `runner`, and a login helper.

The same suite runs on SQLite (default: a temporary file) and on PostgreSQL when
TEST_DATABASE_URL is set, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test.
The schema is built once per run from the Alembic migrations; each test starts from the
bundled Long Biên plan and schools, plus one account per persona.
"""

import os

import pytest
import s3server
from babel.messages.mofile import write_mo
from flask_babel import get_domain
from flask_migrate import upgrade
from helpers import (
    EN_PO,
    WARD_SLUG,
    AuthActions,
    QueryCounter,
    SharedApp,
    base_config,
    db_is_postgresql,
    empty_rows,
    read_catalog,
    reset_database,
    restore_rows,
    seed,
    stop_tracking_writes,
    track_writes,
)
from sqlalchemy import text

from aiplan import create_app
from aiplan.extensions import db


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A temporary SQLite file, or TEST_DATABASE_URL. On PostgreSQL each run works in a schema
    of its own, so that two runs against the same server never drop each other's tables."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'aiplan-test.sqlite3'}"
    if url.startswith("postgresql"):
        schema = f"test_{os.getpid()}"
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}options=-csearch_path%3D{schema}"
    return url


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Build the schema once, from the migrations, on an empty database."""
    instance = str(tmp_path_factory.mktemp("instance"))
    os.environ["AIPLAN_INSTANCE"] = instance
    app = create_app(base_config(database_url, instance))
    with app.app_context():
        reset_database()
        upgrade()
        db.engine.dispose()
    track_writes()
    yield instance
    stop_tracking_writes()
    if db_is_postgresql(database_url):
        with app.app_context():
            with db.engine.begin() as connection:
                schema = connection.execute(text("SHOW search_path")).scalar()
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            db.engine.dispose()


@pytest.fixture(scope="session")
def _shared_app(_schema, database_url):
    """The app with the test defaults, built once for the run: building one costs ≈0.1 s (werkzeug
    compiles every URL rule), and a new app's engine and Jinja start with cold caches of compiled
    SQL and templates. `make_app()` hands it out with its settings and login limits as built."""
    app = create_app(base_config(database_url, _schema))
    pristine = SharedApp(app)
    yield pristine
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A SeaweedFS S3 server on 127.0.0.1 for the run, started by the first test that asks for it
    (tests/s3server.py); `s3_server.settings(prefix)` are the app's settings for a store there."""
    server = s3server.start(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture
def make_app(request, _schema, database_url, _shared_app):
    """Build an app on the test database; extra settings override the test defaults. Without
    any, the run's shared app, as it was built (settings, extensions, login limits).

    The database is empty for a test that does not seed it (`seeded_app`, `app`); afterwards the
    rows the test wrote are put back as they were (see helpers.restore_rows)."""
    apps = []
    if "seeded_app" not in request.fixturenames:
        with _shared_app.app.app_context():
            empty_rows()

    def factory(**overrides):
        if overrides:
            app = create_app(base_config(database_url, _schema) | overrides)
        else:
            app = _shared_app.checkout()
        apps.append(app)
        return app

    yield factory
    with (apps[0] if apps else _shared_app.app).app_context():
        db.session.remove()
        restore_rows(everything=_may_write_out_of_band(request))
        db.engine.dispose()


def _may_write_out_of_band(request) -> bool:
    """Does the test, or a fixture of its own module, take the database's URL (to reach it from
    another process or connection, whose writes the SQL listener cannot see)?"""
    info = request.node._fixtureinfo
    if "database_url" in info.argnames:
        return True
    return any(
        "database_url" in fixturedef.argnames and fixturedef.func.__module__ != __name__
        for fixturedefs in info.name2fixturedefs.values()
        for fixturedef in fixturedefs
    )


@pytest.fixture
def seeded_app(make_app):
    """Build an app with extra settings, seeded like `app`: `seeded_app(WTF_CSRF_ENABLED=True)`."""

    def factory(**overrides):
        app = make_app(**overrides)
        with app.app_context():
            seed()
        return app

    return factory


@pytest.fixture
def app(seeded_app):
    return seeded_app()


@pytest.fixture
def fresh_translations(app):
    """Flask-Babel caches loaded catalogs per locale for the whole process, whatever the
    app or directory; start and end each test here with an empty cache."""
    with app.app_context():
        cache = get_domain().cache
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english_app(app, make_app, tmp_path, fresh_translations):
    """An app on the seeded test database whose English catalog is compiled here, from the .po
    (the .mo files are build output, absent from a checkout): the `lang=en` cookie gives English."""
    mo = tmp_path / "en" / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as f:
        write_mo(f, read_catalog(EN_PO))
    return make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path))  # `app` has seeded the database


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def as_persona(app):
    """A fresh client signed in as the given persona, or anonymous for None."""

    def signed_in(persona: str | None):
        client = app.test_client()
        if persona is not None:
            response = AuthActions(client).login(persona)
            assert response.status_code == 302, f"{persona} could not sign in"
            if persona == "city_admin":  # the Sở's account looks at the bundled ward, chosen on /city
                assert client.get(f"/city/wards/{WARD_SLUG}").status_code == 302
        return client

    return signed_in


@pytest.fixture
def count_queries(app):
    """Count the SQL statements a block runs: `with count_queries() as counter: ...`."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


# -- browser journeys: a real Chromium (Debian's), driven by Playwright ---------------------
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = (
            f"Chromium not found at {CHROMIUM}; the browser journeys need it "
            "(apt-get install chromium, or set CHROMIUM_PATH)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on a free port of 127.0.0.1, in a thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context: `new_page(width=360, height=740)`."""
    contexts = []

    def opener(width: int = 1280, height: int = 800, javascript: bool = True):
        context = browser.new_context(
            base_url=live_server,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield opener
    for context in contexts:
        context.close()

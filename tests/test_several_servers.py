"""Details of serving from several app servers (docs/deployment.md; tests/test_two_servers.py runs the
whole layout): what they share (Redis: the login limits, the job queue) may be unreachable for a
while, and the app stays up meanwhile with nothing asked for lost; servers upgraded one by one never
make browsers keep an old style sheet under a new name; the production server's settings
(gunicorn.conf.py): a process per core, and a warning for each setting that holds for one process or
host only."""

import logging
import os
import re
import runpy
from pathlib import Path

from helpers import PASSWORD, SCHOOL_A, AuthActions

from aiplan.extensions import db
from aiplan.jobs import services
from aiplan.models import Job, JobStatus, Plan

ROOT = Path(__file__).resolve().parent.parent
NOTHING_THERE = "redis://127.0.0.1:1/0"  # a port nothing listens on


def test_with_the_shared_login_counters_unreachable_people_still_sign_in_and_guessing_still_stops(seeded_app):
    app = seeded_app(RATELIMIT_STORAGE_URI=NOTHING_THERE, LOGIN_LIMIT_PER_ACCOUNT_ADDRESS="3 per 15 minutes")
    client = app.test_client()

    assert client.post("/login", data={"username": "canbo-a", "password": PASSWORD}).status_code == 302
    for _ in range(3):
        assert client.post("/login", data={"username": "canbo-b", "password": "sai"}).status_code == 401
    assert client.post("/login", data={"username": "canbo-b", "password": PASSWORD}).status_code == 429


def test_a_job_asked_for_while_the_queue_is_unreachable_waits_and_is_put_back_later(seeded_app, tmp_path):
    app = seeded_app(JOB_IMMEDIATE=False, JOB_QUEUE_URL=NOTHING_THERE, JOB_DIR=str(tmp_path / "jobs"))
    client = app.test_client()
    AuthActions(client).login("staff_a")
    with app.app_context():
        plan_id = db.session.query(Plan.id).order_by(Plan.id.desc()).first()[0]

    asked = client.post("/jobs", data={"kind": "evidence_zip", "plan": plan_id, "school": SCHOOL_A})

    assert asked.status_code == 303
    page = client.get(asked.location)
    assert page.status_code == 200 and "Đang chờ" in page.get_data(as_text=True)
    with app.app_context():
        job = db.session.scalars(db.select(Job)).one()
        assert job.status is JobStatus.QUEUED
        # The worker's start (or its run every minute, once the job is old enough) finds it again.
        put_back = []
        app.extensions["aiplan.jobs"].enqueue = put_back.append
        services.recover(everything=True)
        assert put_back == [job.id]


def gunicorn_settings(monkeypatch, **environment) -> dict:
    for name in ("WEB_CONCURRENCY", "AIPLAN_BIND", "SECRET_KEY", "AUDIT_KEY", "RATELIMIT_STORAGE_URI", "JOB_QUEUE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


class FakeServer:
    def __init__(self):
        self.log = logging.getLogger("test.gunicorn")


def test_gunicorn_runs_a_process_per_core_and_warns_of_each_setting_left_to_one_host(monkeypatch, caplog):
    settings = gunicorn_settings(monkeypatch)
    assert settings["workers"] == os.cpu_count() and settings["worker_class"] == "gthread"
    assert settings["bind"] == ["127.0.0.1:8000"]
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        settings["on_starting"](FakeServer())
    warned = caplog.text
    for name in ("SECRET_KEY", "AUDIT_KEY", "RATELIMIT_STORAGE_URI", "JOB_QUEUE_URL"):
        assert f"{name} is not set for several processes or hosts" in warned


def test_gunicorn_is_quiet_when_everything_shared_is_set(monkeypatch, caplog):
    settings = gunicorn_settings(
        monkeypatch,
        WEB_CONCURRENCY="3",
        AIPLAN_BIND="10.0.0.11:8000",
        SECRET_KEY="k",
        AUDIT_KEY="a",
        RATELIMIT_STORAGE_URI="redis://10.0.0.10:6379/0",
        JOB_QUEUE_URL="redis://10.0.0.10:6379/1",
    )
    assert settings["workers"] == 3 and settings["bind"] == ["10.0.0.11:8000"]
    with caplog.at_level(logging.WARNING, logger="test.gunicorn"):
        settings["on_starting"](FakeServer())
    assert "is not set" not in caplog.text


def test_a_static_file_is_kept_a_year_only_when_it_is_the_version_the_page_asked_for(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    current = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page).group(1)

    kept = client.get(current)
    assert kept.status_code == 200 and "max-age=31536000" in kept.headers["Cache-Control"]
    # A page from a server already upgraded asks for a version this one does not have.
    other = client.get("/static/css/app.css?v=0123456789ab")
    assert other.status_code == 200 and other.headers["Cache-Control"] == "no-store"

"""Issue 16's "done when", through the worker as `make run` starts it: a supervisor's "cần bổ
sung" is on the school's bell at once and in its inbox (a real SMTP server on 127.0.0.1) within a
minute, carried by a real `flask worker` process; running the reminders again sends it no second
time."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import AUDIT_KEY, SCHOOL_A, AuthActions, schedule_visit
from mail_helpers import SmtpServer, give_email, mail_config, text_part
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import ChecklistItem, School

ROOT = Path(__file__).resolve().parent.parent
ADDRESS = "hieutruong@th-doan-ket.example"
REASON = "Thiếu biên bản họp tổ chuyên môn"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def worker(seeded_app, database_url, tmp_path, smtp):
    """The web app and a worker process sharing the test database and a SQLite queue file."""
    instance = tmp_path / "instance"
    instance.mkdir()
    queue = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    settings = mail_config(smtp.port)
    app = seeded_app(JOB_IMMEDIATE=False, JOB_QUEUE_URL=queue, JOB_DIR=str(instance / "jobs"), **settings)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AIPLAN_INSTANCE": str(instance),
        "SECRET_KEY": "test-secret",
        "AUDIT_KEY": AUDIT_KEY,
        "JOB_QUEUE_URL": queue,
        "JOB_IMMEDIATE": "0",
        **settings,
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 — closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "aiplan", "worker", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield app
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _needs_more_mails(smtp) -> list:
    return [m for m in smtp.inbox.to(ADDRESS) if "cần bổ sung" in m["Subject"]]


def test_a_cần_bổ_sung_reaches_the_bell_at_once_and_the_inbox_within_a_minute(worker, smtp):
    app = worker
    with app.app_context():
        give_email("canbo-a", ADDRESS)
        visit = schedule_visit()
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        item = db.session.scalar(select(ChecklistItem).filter_by(school_id=school.id, key="m3"))
        item_id, version = item.id, item.version

    supervisor = app.test_client()
    AuthActions(supervisor).login("supervisor")
    started = time.monotonic()
    response = supervisor.post(
        f"/inspections/{visit}/items/{item_id}/verdict",
        data={"verdict": "can_bo_sung", "reason": REASON, "version": str(version)},
    )
    assert response.status_code == 303

    staff = app.test_client()
    AuthActions(staff).login("staff_a")
    assert "Thông báo, 1 chưa đọc" in staff.get(f"/schools/{SCHOOL_A}").get_data(as_text=True)

    while not _needs_more_mails(smtp) and time.monotonic() - started < 60:
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    [mail] = _needs_more_mails(smtp)
    assert elapsed < 60
    text = text_part(mail)
    assert REASON in text and "Trường Tiểu học Đoàn Kết" in text
    assert f"/schools/{SCHOOL_A}#item-{item_id}" in text

    # The reminders run again (by hand, as the worker does every minute): nothing is sent twice.
    again = app.test_cli_runner().invoke(args=["send-reminders"])
    assert again.exit_code == 0, again.output
    assert len(_needs_more_mails(smtp)) == 1

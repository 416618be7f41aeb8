"""Background jobs with a real worker process (`flask --app aiplan worker`) on the test database and
a SQLite queue file, as `make run` runs it: jobs survive the worker being killed and started again,
and in Chromium the job page polls (htmx) or refreshes itself (no JavaScript) until the link shows."""

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from helpers import AUDIT_KEY, AuthActions, browser_login
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from aiplan.extensions import db
from aiplan.models import Job, JobKind, JobStatus, Plan, User, utcnow

ROOT = Path(__file__).resolve().parent.parent
STALE_SECONDS = 2


@pytest.fixture
def worker_app(seeded_app, database_url, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    queue = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    app = seeded_app(
        JOB_IMMEDIATE=False, JOB_QUEUE_URL=queue, JOB_DIR=str(instance / "jobs"), JOB_STALE_SECONDS=STALE_SECONDS
    )
    app.worker_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AIPLAN_INSTANCE": str(instance),
        "SECRET_KEY": "test-secret",
        "AUDIT_KEY": AUDIT_KEY,
        "JOB_QUEUE_URL": queue,
        "JOB_STALE_SECONDS": str(STALE_SECONDS),
        "JOB_IMMEDIATE": "0",
    }
    return app


@pytest.fixture
def start_worker(worker_app, tmp_path):
    started = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 — closed with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "aiplan", "worker", "--threads", "2"],
            cwd=ROOT,
            env=worker_app.worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def wait_for(app, job_id: int, status: JobStatus, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while True:
        with app.app_context():
            job = db.session.get(Job, job_id)
            db.session.expunge(job)
        if job.status is status or time.monotonic() > deadline:
            assert job.status is status, (job.status, job.error)
            return job
        time.sleep(0.2)


def ask(client, app, kind: str) -> int:
    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id))
    response = client.post("/jobs", data={"kind": kind, "plan": plan_id})
    assert response.status_code == 303
    return int(response.location.rsplit("/", 1)[1])


def test_jobs_survive_the_worker_being_killed_and_started_again(worker_app, start_worker):
    client = worker_app.test_client()
    AuthActions(client).login("ward_admin")
    worker = start_worker()
    first = ask(client, worker_app, "ward_report")
    assert wait_for(worker_app, first, JobStatus.DONE).size > 1000
    assert client.get(f"/jobs/{first}/file").status_code == 200

    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    # While no worker runs: a job is asked for (it waits in the queue file), and a job is left
    # "running" by the killed worker (its heartbeat stopped), its message already taken off the queue.
    waiting = ask(client, worker_app, "rollup_xlsx")
    with worker_app.app_context():
        orphan = Job(
            kind=JobKind.ROLLUP_CSV,
            params={"plan_id": db.session.scalar(select(Plan.id))},
            user_id=db.session.scalar(select(User.id).filter_by(username="admin")),
            ward_id=db.session.scalar(select(Plan.ward_id)),
            status=JobStatus.RUNNING,
            attempts=1,
            started_at=utcnow() - timedelta(seconds=30),
            heartbeat_at=utcnow() - timedelta(seconds=30),
        )
        db.session.add(orphan)
        db.session.commit()
        orphan_id = orphan.id
    time.sleep(1)
    assert wait_for(worker_app, waiting, JobStatus.QUEUED).started_at is None

    start_worker()
    assert wait_for(worker_app, waiting, JobStatus.DONE).attempts == 1
    recovered = wait_for(worker_app, orphan_id, JobStatus.DONE)
    assert recovered.attempts == 2
    csv = client.get(f"/jobs/{orphan_id}/file")
    assert csv.status_code == 200 and csv.data.count(b"\r\n") == 9  # headers and the 8 schools
    assert wait_for(worker_app, first, JobStatus.DONE).finished_at  # the first one was not run again


@pytest.fixture
def served(worker_app):
    server = make_server("127.0.0.1", 0, worker_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_the_ward_docx_comes_from_a_job_whose_page_follows_it_to_the_download_link(
    browser, served, worker_app, start_worker, javascript
):
    context = browser.new_context(base_url=served, java_script_enabled=javascript, locale="vi-VN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    polls = []
    page.on("request", lambda request: polls.append(request.url) if request.headers.get("hx-request") else None)
    try:
        browser_login(page, "ward_admin")
        page.goto("/ward/report")
        page.get_by_role("button", name="Tải báo cáo (DOCX)").click()
        expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Báo cáo tổng hợp của phường (DOCX)")
        expect(page.locator("#job-progress")).to_contain_text("Đang chờ")  # no worker yet
        if javascript:
            page.evaluate("window.notReloaded = true")
        else:
            expect(page.get_by_role("link", name="Tải lại trang để xem tiến độ")).to_be_visible()

        start_worker()
        link = page.get_by_role("link", name=re.compile(r"^Tải về \(\d+ KB\)$"))
        expect(link).to_be_visible(timeout=60_000)
        if javascript:
            assert page.evaluate("window.notReloaded") is True, "the page reloaded instead of polling"
            assert polls and all(re.search(r"/jobs/\d+$", url) for url in polls)
        else:
            assert not polls
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename.endswith(".docx")
        document = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
        assert "Trường Tiểu học Đoàn Kết" in "\n".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        ) + "\n".join(p.text for p in document.paragraphs)
        page.goto("/jobs")
        expect(page.get_by_role("link", name="Báo cáo tổng hợp của phường (DOCX)")).to_be_visible()
    finally:
        context.close()

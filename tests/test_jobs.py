"""Background jobs (aiplan/jobs) in one process: a job's life, who may fetch its file, a job that
never runs twice, a job whose input vanished, the pages with JavaScript off, and the GET downloads
that other tools use, unchanged. tests/test_jobs_worker.py runs a real worker process."""

import io
import re
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from helpers import PASSWORD, SCHOOL_A, AuthActions, text_of
from sqlalchemy import func, select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.jobs import kinds, runner, services
from aiplan.jobs.queue import make_huey
from aiplan.models import Job, JobKind, JobStatus, Plan, Role, School, User, Ward, utcnow

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def plan_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Plan.id))


def ask(client, app, kind: str, **fields):
    return client.post("/jobs", data={"kind": kind, "plan": plan_id(app), **fields})


def job_of(app, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def job_id_of(response) -> int:
    return int(re.fullmatch(r"/jobs/(\d+)", response.location).group(1))


def test_a_jobs_life_queued_running_with_progress_done_downloaded_then_expired_and_cleaned(
    app, as_persona, monkeypatch
):
    seen = []  # the job's row, read from another connection, each time its builder reports progress
    write = runner.Progress.__call__

    def watched(self, done, total, step=""):
        write(self, done, total, step)
        with db.engine.connect() as connection:
            row = select(Job.status, Job.progress_total, Job.step).where(Job.id == self.job_id)
            seen.append(connection.execute(row).one())

    monkeypatch.setattr(runner.Progress, "__call__", watched)
    monkeypatch.setattr(runner.Progress, "__init__", lambda self, *a, **k: _no_throttle(self, *a))
    client = as_persona("ward_admin")

    page = client.get("/ward/report")
    assert 'name="kind" value="ward_report"' in page.get_data(as_text=True)  # 8 schools >= JOB_MIN_SCHOOLS
    asked = ask(client, app, "ward_report")

    assert asked.status_code == 303
    job_id = job_id_of(asked)
    assert seen and all(status is JobStatus.RUNNING for status, _, _ in seen)
    assert any(total > 1 for _, total, _ in seen)
    assert "Đang tổng hợp số liệu các trường" in {step for _, _, step in seen}
    assert any(step.startswith("Đang viết văn bản: phần") for _, _, step in seen)

    shown = client.get(asked.location)
    text = text_of(shown)
    job = job_of(app, job_id)
    assert job.status is JobStatus.DONE and job.size > 1000 and job.stored_path
    assert "Đã xong" in text and re.search(r"Tải về \(\d+ KB\)", text)
    assert 'hx-trigger="every' not in shown.get_data(as_text=True)  # nothing left to poll
    assert job.expires_at - job.finished_at == timedelta(hours=24)

    file = client.get(f"/jobs/{job_id}/file")
    assert file.status_code == 200 and file.mimetype == DOCX
    assert "attachment" in file.headers["Content-Disposition"]
    body = "\n".join(p.text for p in Document(io.BytesIO(file.data)).paragraphs)
    assert "BÁO CÁO" in body.upper()

    listed = text_of(client.get("/jobs"))
    assert "Báo cáo tổng hợp của phường (DOCX)" in listed and "Đã xong" in listed

    with app.app_context():
        stored = Path(app.config["JOB_DIR"]) / job.stored_path
        assert stored.is_file()
        assert services.cleanup_expired(now=utcnow() + timedelta(hours=23)) == 0
        assert services.cleanup_expired(now=utcnow() + timedelta(hours=25)) == 1
    assert not stored.exists()
    assert job_of(app, job_id).status is JobStatus.EXPIRED
    assert client.get(f"/jobs/{job_id}/file").status_code == 404
    expired = text_of(client.get(asked.location))
    assert "Tệp đã hết thời gian lưu giữ và đã được xoá." in expired and "Thử lại" in expired

    again = client.post(f"/jobs/{job_id}/retry")
    assert again.status_code == 303 and job_id_of(again) != job_id
    assert job_of(app, job_id_of(again)).status is JobStatus.DONE


def _no_throttle(progress, engine, job_id, attempt, every=0.0):
    progress.engine, progress.job_id, progress.attempt, progress.every, progress.last = (
        engine,
        job_id,
        attempt,
        0.0,
        0.0,
    )


def test_the_file_is_its_askers_alone_other_accounts_and_other_wards_get_404(app, as_persona):
    admin = as_persona("ward_admin")
    job_id = job_id_of(ask(admin, app, "ward_report"))
    assert admin.get(f"/jobs/{job_id}/file").status_code == 200

    with app.app_context():
        other = Ward(
            slug="phuong-khac", name="Phường Khác", city="Hà Nội", authority="UBND phường Khác", office="Phòng VHXH"
        )
        db.session.add(other)
        db.session.flush()
        create_user("quantri-khac", Role.WARD_ADMIN, PASSWORD, ward=other)
        db.session.commit()
    outsider = app.test_client()
    AuthActions(outsider).login("quantri-khac")
    for client in (as_persona("supervisor"), as_persona("viewer"), as_persona("staff_a"), outsider):
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/file"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/jobs/{job_id}/retry").status_code == 404
        assert f"/jobs/{job_id}" not in client.get("/jobs").get_data(as_text=True)

    # The asker's rights are read again at each download: moved to a school's staff, the file is gone.
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username="admin"))
        user.role = Role.SCHOOL_STAFF
        user.school_id = db.session.scalar(select(School.id).filter_by(slug=SCHOOL_A))
        db.session.commit()
    assert admin.get(f"/jobs/{job_id}/file").status_code == 404


def test_only_those_who_may_read_it_ask_for_a_file(app, as_persona):
    staff = as_persona("staff_a")
    assert ask(staff, app, "ward_report").status_code == 403
    assert ask(staff, app, "rollup_xlsx").status_code == 403
    assert ask(as_persona("staff_b"), app, "evidence_zip", school=SCHOOL_A).status_code == 403
    assert ask(staff, app, "no_such_kind").status_code == 404
    assert staff.post("/jobs", data={"kind": "ward_report", "plan": 99999}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    done = ask(staff, app, "evidence_zip", school=SCHOOL_A)
    archive = zipfile.ZipFile(io.BytesIO(staff.get(f"/jobs/{job_id_of(done)}/file").data))
    assert "index.html" in archive.namelist()


@pytest.fixture
def queued_app(make_app, seeded_app, tmp_path):
    """The app with a queue on disk and no worker: a job waits until a test runs it."""
    return seeded_app(
        JOB_IMMEDIATE=False, JOB_QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}", JOB_DIR=str(tmp_path / "jobs")
    )


def queue_job(app, kind=JobKind.WARD_REPORT, **keys) -> int:
    with app.test_request_context():
        plan = db.session.scalar(select(Plan))
        user = db.session.scalar(select(User).filter_by(username="admin"))
        return services.create_job(user, kind, plan, **keys).id


def test_a_job_never_runs_twice_even_when_two_workers_take_it_at_once(queued_app, monkeypatch):
    builds = []
    real = kinds.BUILDERS[JobKind.WARD_REPORT]

    def counted(*args):
        builds.append(threading.get_ident())
        return real(*args)

    monkeypatch.setitem(kinds.BUILDERS, JobKind.WARD_REPORT, counted)
    job_id = queue_job(queued_app)
    assert job_of(queued_app, job_id).status is JobStatus.QUEUED

    def work():
        with queued_app.app_context():
            runner.run(job_id)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)
    work()  # and once more, afterwards (a duplicate message on the queue)

    assert len(builds) == 1
    job = job_of(queued_app, job_id)
    assert job.status is JobStatus.DONE and job.attempts == 1
    assert [path.name for path in Path(queued_app.config["JOB_DIR"]).glob(f"{job_id}-*")] == [job.stored_path]


def test_a_running_job_whose_worker_died_is_taken_again_after_its_heartbeat_stops(queued_app):
    job_id = queue_job(queued_app)
    with queued_app.app_context():
        stale = runner.stale_after()
        assert runner.claim(db.engine, job_id, stale) == 1  # a worker takes it, then dies
        assert runner.claim(db.engine, job_id, stale) is None  # alive for all anyone knows
        db.session.execute(
            Job.__table__.update().where(Job.id == job_id).values(heartbeat_at=utcnow() - stale - timedelta(seconds=1))
        )
        db.session.commit()
        assert services.recover() == [job_id]
        runner.run(job_id)
    job = job_of(queued_app, job_id)
    assert job.status is JobStatus.DONE and job.attempts == 2


def test_a_job_whose_school_was_deactivated_fails_with_a_clear_message_and_can_be_retried(queued_app):
    with queued_app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
    job_id = queue_job(queued_app, JobKind.EVIDENCE_ZIP, school=school)
    with queued_app.app_context():
        db.session.get(School, school.id).is_active = False
        db.session.commit()
        runner.run(job_id)
    job = job_of(queued_app, job_id)
    assert job.status is JobStatus.FAILED and job.stored_path is None
    assert job.error == "Trường Tiểu học Đoàn Kết đã ngừng hoạt động; không thể lập gói minh chứng của trường."
    client = queued_app.test_client()
    AuthActions(client).login("ward_admin")
    shown = text_of(client.get(f"/jobs/{job_id}"))
    assert "Không chuẩn bị được tệp." in shown and job.error in shown and "Thử lại" in shown
    assert client.get(f"/jobs/{job_id}/file").status_code == 404


def test_a_job_whose_year_is_gone_fails_with_a_clear_message(queued_app):
    job_id = queue_job(queued_app)
    with queued_app.app_context():
        db.session.get(Job, job_id).params = {"plan_id": 99999}
        db.session.commit()
        runner.run(job_id)
    job = job_of(queued_app, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error == "Năm học của yêu cầu này không còn trong hệ thống; không thể chuẩn bị tệp."


def test_a_builder_that_breaks_fails_the_job_with_a_message_not_a_traceback(queued_app, monkeypatch):
    def broken(*args):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(kinds.BUILDERS, JobKind.ROLLUP_CSV, broken)
    job_id = queue_job(queued_app, JobKind.ROLLUP_CSV)
    with queued_app.app_context():
        runner.run(job_id)
    job = job_of(queued_app, job_id)
    assert job.status is JobStatus.FAILED and job.error == runner.FAILED_MESSAGE and "disk" not in job.error


def test_the_get_downloads_other_tools_use_stay_synchronous_and_make_no_job(app, as_persona):
    admin = as_persona("ward_admin")
    with app.app_context():
        from aiplan.models import UpwardKind, UpwardReport

        report = UpwardReport(
            plan=db.session.scalar(select(Plan)),
            kind=UpwardKind.PERIODIC,
            period_start=utcnow().date().replace(year=2025, month=9, day=5),
            period_end=utcnow().date().replace(year=2025, month=12, day=31),
            subject="Báo cáo định kỳ",
        )
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    for url, mimetype in (
        ("/ward/report.docx", DOCX),
        (f"/ward/reports-up/{report_id}.docx", DOCX),
        ("/rollup.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("/rollup.csv", "text/csv"),
        ("/rollup.json", "application/json"),
        (f"/schools/{SCHOOL_A}/evidence.zip", "application/zip"),
    ):
        response = admin.get(url)
        assert response.status_code == 200 and response.mimetype == mimetype, url
        assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_below_job_min_schools_the_ward_downloads_stay_plain_links(seeded_app):
    app = seeded_app(JOB_MIN_SCHOOLS=50)
    client = app.test_client()
    AuthActions(client).login("ward_admin")
    report = client.get("/ward/report").get_data(as_text=True)
    assert 'href="/ward/report.docx"' in report and 'value="ward_report"' not in report
    rollup = client.get("/rollup").get_data(as_text=True)
    assert 'href="/rollup.xlsx"' in rollup and 'value="rollup_xlsx"' not in rollup
    # The evidence ZIP grows with every file: always a job.
    school = client.get(f"/schools/{SCHOOL_A}/report").get_data(as_text=True)
    assert 'value="evidence_zip"' in school


def test_the_rollup_csv_job_writes_every_schools_row(app, as_persona):
    admin = as_persona("ward_admin")
    job_id = job_id_of(ask(admin, app, "rollup_csv"))
    csv = admin.get(f"/jobs/{job_id}/file")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.startswith("\ufeff".encode()) and csv.data.count(b"\r\n") == 9  # headers and 8 schools
    assert csv.data == admin.get("/rollup.csv").data


def test_job_pages_without_javascript_refresh_themselves_until_the_link_shows(queued_app):
    client = queued_app.test_client()
    AuthActions(client).login("ward_admin")
    asked = client.post("/jobs", data={"kind": "rollup_xlsx", "plan": plan_id(queued_app)})
    waiting = client.get(asked.location).get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting
    assert 'hx-trigger="every 1s"' in waiting and "Đang chờ" in waiting
    assert "Tải lại trang để xem tiến độ" in waiting
    fragment = client.get(asked.location, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="job-progress"') and "<html" not in fragment
    with queued_app.app_context():
        runner.run(job_id_of(asked))
    done = client.get(asked.location).get_data(as_text=True)
    assert "noscript" not in done.split("</head>")[0] and 'hx-trigger="every' not in done
    assert re.search(r'href="/jobs/\d+/file">Tải về \(\d+ KB\)', done)


def test_the_queue_url_chooses_the_storage():
    assert type(make_huey("sqlite:////tmp/aiplan-test-queue.sqlite3")).__name__ == "SqliteHuey"
    assert type(make_huey("redis://127.0.0.1:6379/3")).__name__ == "RedisHuey"
    assert make_huey("", immediate=True).immediate
    with pytest.raises(ValueError, match="JOB_QUEUE_URL"):
        make_huey("amqp://127.0.0.1")


def test_the_periodic_tasks_are_declared_once_and_run_in_the_apps_context(app):
    from aiplan.jobs import schedule

    names = {entry.name for entry in schedule.PERIODIC}
    assert {"jobs.cleanup", "jobs.recover"} <= names
    registered = app.extensions["aiplan.jobs"].huey._registry._registry
    assert all(any(key.endswith(name) for key in registered) for name in names)
    # Called as the worker's scheduler calls it: no app context of its own, none needed.
    schedule._in_app(app, "aiplan.jobs.services:cleanup_expired")()

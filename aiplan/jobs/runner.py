"""Running one job in the worker: claim its row atomically, keep a heartbeat while it runs, let its
builder report progress, store the file (instance/jobs/ or the S3 store: files.py) and record the outcome.

Every change to the job's row is a short statement of its own (not the session that reads the
builder's data), so that the asker's page sees progress while the builder still reads.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import Engine, and_, or_, update

from ..database import read_snapshot
from ..extensions import db
from ..models import Job, JobStatus, utcnow
from . import files, kinds

log = logging.getLogger("aiplan.jobs")

MAX_ATTEMPTS = 3  # a job whose worker died this many times (out of memory, killed) is given up
FAILED_MESSAGE = "Có lỗi khi chuẩn bị tệp. Hãy thử lại; nếu vẫn lỗi, hãy báo cho quản trị hệ thống."
GAVE_UP_MESSAGE = "Máy chạy tác vụ đã dừng giữa chừng {n} lần khi chuẩn bị tệp này. Hãy thử lại sau."


def stale_after() -> timedelta:
    return timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


def claim(engine: Engine, job_id: int, stale: timedelta) -> int | None:
    """Take the job for this worker: queued, or running with a heartbeat older than `stale` (its worker
    died). One UPDATE, so that two workers never both win; the attempt number if this one did."""
    now = utcnow()
    with engine.begin() as connection:
        claimed = connection.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(
                    Job.status == JobStatus.QUEUED,
                    and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < now - stale),
                ),
            )
            .values(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1)
        )
        if claimed.rowcount != 1:
            return None
        return connection.scalar(Job.__table__.select().with_only_columns(Job.attempts).where(Job.id == job_id))


def _ours(job_id: int, attempt: int):
    return and_(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.attempts == attempt)


class Progress:
    """The builders' callback: progress(done, total, step). Written at most every `every` seconds
    (and always for the last step), each write a heartbeat too."""

    def __init__(self, engine: Engine, job_id: int, attempt: int, every: float = 0.5):
        self.engine, self.job_id, self.attempt, self.every = engine, job_id, attempt, every
        self.last = 0.0

    def __call__(self, done: int, total: int, step: str = "") -> None:
        now = time.monotonic()
        if now - self.last < self.every and done < total:
            return
        self.last = now
        with self.engine.begin() as connection:
            connection.execute(
                update(Job)
                .where(_ours(self.job_id, self.attempt))
                .values(progress_done=done, progress_total=total, step=step[:200], heartbeat_at=utcnow())
            )


class Heartbeat(threading.Thread):
    """Marks the job alive every `every` seconds while a builder works through a long step."""

    def __init__(self, engine: Engine, job_id: int, attempt: int, every: float):
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.engine, self.job_id, self.attempt, self.every = engine, job_id, attempt, every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(Job).where(_ours(self.job_id, self.attempt)).values(heartbeat_at=utcnow())
                    )
            except Exception:  # a busy database now and then: the next beat tries again
                log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)


def run(job_id: int) -> None:
    """Run the job if it is this worker's to run; record done or failed. Never raises."""
    engine = db.engine
    attempt = claim(engine, job_id, stale_after())
    if attempt is None:
        log.info("job %s: not claimed (done, running elsewhere or gone)", job_id)
        return
    if attempt > MAX_ATTEMPTS:
        _finish(engine, job_id, attempt, status=JobStatus.FAILED, error=GAVE_UP_MESSAGE.format(n=attempt - 1))
        return
    beat = Heartbeat(engine, job_id, attempt, every=max(0.5, current_app.config["JOB_STALE_SECONDS"] / 4))
    beat.start()
    try:
        # The builder reads in one snapshot that takes no write lock (its progress is written apart).
        with read_snapshot():
            job = db.session.get(Job, job_id)
            assert job is not None
            output = kinds.build(job, Progress(engine, job_id, attempt))
            stored, size = files.save(job_id, output)
    except kinds.InputGone as gone:
        _finish(engine, job_id, attempt, status=JobStatus.FAILED, error=str(gone))
    except Exception:
        log.exception("job %s failed", job_id)
        _finish(engine, job_id, attempt, status=JobStatus.FAILED, error=FAILED_MESSAGE)
    else:
        done = _finish(
            engine,
            job_id,
            attempt,
            status=JobStatus.DONE,
            result_name=output.name,
            content_type=output.content_type,
            stored_path=stored,
            size=size,
            progress_done=1,
            progress_total=1,
            step="",
        )
        if not done:  # taken over meanwhile (this worker was thought dead): the other one's file counts
            try:
                files.remove(stored)
            except OSError:  # the store is unreachable now: the file is left, unnamed
                log.warning("job %s: a superseded file was not removed", job_id, exc_info=True)
    finally:
        beat.stopped.set()
        db.session.remove()


def _finish(engine: Engine, job_id: int, attempt: int, *, status: JobStatus, **values) -> bool:
    now = utcnow()
    keep = timedelta(hours=current_app.config["JOB_KEEP_HOURS"])
    with engine.begin() as connection:
        result = connection.execute(
            update(Job)
            .where(_ours(job_id, attempt))
            .values(status=status, finished_at=now, heartbeat_at=now, expires_at=now + keep, **values)
        )
    return result.rowcount == 1

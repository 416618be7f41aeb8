"""Jobs: asking for one, who may download it, and the worker's housekeeping (recover, clean up)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from ..database import done_writing
from ..extensions import db
from ..models import Job, JobKind, JobStatus, Plan, School, User, utcnow
from ..schoolyear import plan_schools_query
from . import files, kinds
from .queue import job_queue
from .runner import stale_after

log = logging.getLogger("aiplan.jobs")

RECENT = 20  # jobs listed on /jobs
LOST_AFTER = timedelta(minutes=10)  # a job queued this long was lost from the queue (a flushed Redis…)


def ward_download_is_a_job(plan: Plan) -> bool:
    """Does the ward's DOCX, report to the Sở or rollup export go through a job (JOB_MIN_SCHOOLS)?"""
    count = db.session.scalar(select(func.count()).select_from(plan_schools_query(plan).subquery()))
    return (count or 0) >= current_app.config["JOB_MIN_SCHOOLS"]


def create_job(
    user: User, kind: JobKind, plan: Plan, *, school: School | None = None, report_id: int | None = None
) -> Job:
    """Record the job and put its id on the queue (the caller has checked the user may ask)."""
    params: dict = {"plan_id": plan.id}
    if school is not None:
        params["school_id"] = school.id
    if report_id is not None:
        params["report_id"] = report_id
    return _enqueue(Job(kind=kind, params=params, user_id=user.id, ward_id=plan.ward_id, status=JobStatus.QUEUED))


def retry(job: Job) -> Job:
    """A new job with the same inputs as a failed or expired one."""
    return _enqueue(
        Job(kind=job.kind, params=dict(job.params), user_id=job.user_id, ward_id=job.ward_id, status=JobStatus.QUEUED)
    )


def _enqueue(job: Job) -> Job:
    db.session.add(job)
    db.session.flush()
    job_id = job.id
    db.session.commit()
    # What the request reads from here on needs no write lock (SQLite), and must not hold one while a
    # job runs in this same request (JOB_IMMEDIATE) and writes its progress.
    done_writing()
    job_queue().enqueue(job_id)
    return job


def may_see(user: User, job: Job | None) -> bool:
    """The asker only, and only while the asker may still read what the file holds."""
    if job is None or job.user_id != user.id:
        return False
    return kinds.may_ask(user, job.kind, job.ward_id, kinds.school_of(job))


def recent_jobs(user: User) -> list[Job]:
    return list(
        db.session.scalars(
            select(Job).where(Job.user_id == user.id).order_by(Job.created_at.desc(), Job.id.desc()).limit(RECENT)
        )
    )


def recover(everything: bool = False) -> list[int]:
    """Put back on the queue the jobs whose worker died (running, no heartbeat for JOB_STALE_SECONDS)
    and those queued but lost from the queue (older than LOST_AFTER; with `everything`, as when a
    worker starts, every queued job). A job queued twice still runs once: the first claim wins."""
    now = utcnow()
    queued = Job.status == JobStatus.QUEUED
    if not everything:
        queued = and_(queued, Job.created_at < now - LOST_AFTER)
    stale = and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < now - stale_after())
    ids = list(db.session.scalars(select(Job.id).where(or_(queued, stale)).order_by(Job.id)))
    db.session.rollback()
    for job_id in ids:
        job_queue().enqueue(job_id)
    if ids:
        log.info("jobs put back on the queue: %s", ", ".join(map(str, ids)))
    return ids


def cleanup_expired(now=None) -> int:
    """Remove the files of finished jobs past their expiry and mark them expired; how many."""
    now = now or utcnow()
    jobs = list(
        db.session.scalars(select(Job).where(Job.status.in_((JobStatus.DONE, JobStatus.FAILED)), Job.expires_at < now))
    )
    for job in jobs:
        if job.stored_path:
            try:
                files.remove(job.stored_path)
            except OSError:  # the S3 store is unreachable: marked expired anyway, the file left behind
                log.warning("job %s: its expired file was not removed", job.id, exc_info=True)
    if jobs:
        db.session.execute(
            update(Job)
            .where(Job.id.in_([job.id for job in jobs]), Job.status.in_((JobStatus.DONE, JobStatus.FAILED)))
            .values(status=JobStatus.EXPIRED, stored_path=None),
            execution_options={"synchronize_session": False},
        )
    db.session.commit()
    if jobs:
        log.info("expired jobs cleaned up: %s", ", ".join(str(job.id) for job in jobs))
    return len(jobs)

"""The task queue: Huey, configured by one setting, JOB_QUEUE_URL.

- `sqlite:///PATH` (the default: instance/job-queue.sqlite3): SqliteHuey, a file beside the
  database, so that `make run` needs nothing else and queued jobs survive a restart;
- `redis://HOST:PORT/N`: RedisHuey, when the web servers and workers run on several hosts.

JOB_IMMEDIATE (tests only) runs each task in the caller, in memory, as Huey's immediate mode does.
The queue carries only a job's id: the job itself is its row (aiplan/models/job.py).
"""

from dataclasses import dataclass

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

from . import runner, schedule

NAME = "aiplan"


def make_huey(url: str, *, immediate: bool = False) -> Huey:
    """The Huey for JOB_QUEUE_URL; a ValueError naming the setting if its scheme is unknown."""
    if immediate:
        return MemoryHuey(NAME, immediate=True, results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url, results=False)
    if url.startswith("sqlite:///"):
        return SqliteHuey(NAME, filename=url.removeprefix("sqlite:///"), results=False)
    raise ValueError(f"JOB_QUEUE_URL={url!r}: expected sqlite:///PATH or redis://HOST:PORT/N")


@dataclass
class JobQueue:
    huey: Huey
    run_job: TaskWrapper  # run_job(job_id) enqueues the job's id

    def enqueue(self, job_id: int) -> None:
        self.run_job(job_id)


def init_app(app: Flask) -> None:
    huey = make_huey(app.config["JOB_QUEUE_URL"], immediate=app.config["JOB_IMMEDIATE"])

    def run_job(job_id: int) -> None:
        # A worker thread has no app context; in immediate mode the request's is there, but the job
        # gets its own (and so its own database session), as in the worker.
        with app.app_context():
            runner.run(job_id)

    task = huey.task(name="run_job", retries=0)(run_job)
    schedule.register(huey, app)
    app.extensions["aiplan.jobs"] = JobQueue(huey, task)


def job_queue() -> JobQueue:
    return current_app.extensions["aiplan.jobs"]

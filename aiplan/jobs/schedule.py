"""Periodic tasks, run by the job worker (`flask --app aiplan worker`) in place of cron.

One line per task: a name, when (a Huey crontab, in UTC), and the function to call as
"module:function" (imported when it runs, inside the app's context, without arguments).
"""

from dataclasses import dataclass

from flask import Flask
from huey import Huey, crontab
from werkzeug.utils import import_string


@dataclass(frozen=True)
class Periodic:
    name: str
    when: crontab
    target: str  # "aiplan.jobs.services:cleanup_expired"


PERIODIC = [
    # Finished files past JOB_KEEP_HOURS are removed and their jobs marked expired.
    Periodic("jobs.cleanup", crontab(minute="*/5"), "aiplan.jobs.services:cleanup_expired"),
    # Jobs whose worker died (no heartbeat for JOB_STALE_SECONDS), or lost from the queue, run again.
    Periodic("jobs.recover", crontab(minute="*"), "aiplan.jobs.services:recover"),
]


def register(huey: Huey, app: Flask) -> None:
    for entry in PERIODIC:
        huey.periodic_task(entry.when, name=entry.name)(_in_app(app, entry.target))


def _in_app(app: Flask, target: str):
    def call() -> None:
        with app.app_context():
            import_string(target.replace(":", "."))()

    return call

"""Periodic tasks, run by the job worker (`flask --app aiplan worker`) in place of cron.

One line per task: a name, when (a Huey crontab, in UTC), and the function to call as
"module:function" (imported when it runs, inside the app's context, without arguments).
"""

import logging
from dataclasses import dataclass

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from sqlalchemy import event
from werkzeug.utils import import_string

from ..extensions import db
from ..notifications.services import SOON_FLAG

log = logging.getLogger(__name__)


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
    # The notifications that are due (an item late or coming due, a report, a visit) and the e-mail
    # digests (aiplan/mailing/reminders.py): what `flask send-reminders` does, every minute. Without
    # MAIL_SERVER it still makes the bell's notifications; it never sends a digest twice.
    Periodic("mail.reminders", crontab(minute="*"), "aiplan.mailing.reminders:send_reminders"),
]


# What runs as soon as a transaction that set the flag on its session commits: the e-mail of a "cần
# bổ sung" or of a fix waiting for re-check goes within seconds, not at the next minute's run.
SOON = {
    SOON_FLAG: "aiplan.mailing.reminders:send_reminders",
}


def register(huey: Huey, app: Flask) -> None:
    for entry in PERIODIC:
        huey.periodic_task(entry.when, name=entry.name)(_in_app(app, entry.target))

    def call(target: str) -> None:
        _in_app(app, target)()

    app.extensions["aiplan.jobs.call_soon"] = huey.task(name="call_soon", retries=2, retry_delay=30)(call)
    if not event.contains(db.session, "after_commit", _after_commit):  # one listener for every app
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)


def _after_commit(session) -> None:
    if not has_app_context():
        return
    for flag, target in SOON.items():
        if session.info.pop(flag, False) and current_app.config.get("MAIL_SERVER"):
            try:
                current_app.extensions["aiplan.jobs.call_soon"](target)
            except Exception:
                log.exception("could not queue %s; the periodic run will do it", target)


def _after_rollback(session) -> None:
    for flag in SOON:
        session.info.pop(flag, None)


def _in_app(app: Flask, target: str):
    def call() -> None:
        with app.app_context():
            import_string(target.replace(":", "."))()

    return call

"""`flask --app aiplan worker`: the job worker (a Huey consumer), which `make run` starts beside the
web server (`python wsgi.py --worker`)."""

import logging
import os
import signal
import sys
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import services
from .queue import job_queue


def init_app(app: Flask) -> None:
    app.cli.add_command(worker)


@click.command("worker")
@click.option("--threads", default=2, show_default=True, help="Jobs run at once (threads of one process).")
@click.option("--stop-with-parent", is_flag=True, hidden=True, help="Stop when the process that started it ends.")
@with_appcontext
def worker(threads: int, stop_with_parent: bool) -> None:
    """Run the background jobs: the heavy downloads people ask for (ward and Sở reports, large rollup
    exports, evidence ZIPs) and the periodic tasks of aiplan/jobs/schedule.py (removing expired
    files, re-running the jobs of a worker that died).

    Jobs come through JOB_QUEUE_URL (by default a SQLite file in the instance folder; redis://… when
    the app runs on several hosts). On start, jobs left queued or running by a stopped worker are
    put back on the queue. Ctrl+C (SIGINT) lets the running jobs finish; SIGTERM stops at once, and
    what was running then runs again at the next start. `make run` starts one worker with the web
    server; run more on other hosts against the same database and JOB_QUEUE_URL."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    queue = job_queue()
    if queue.huey.immediate:
        raise click.UsageError("JOB_IMMEDIATE is set: jobs run where they are asked for, not in a worker.")
    recovered = services.recover(everything=True)
    click.echo(
        f"Máy chạy tác vụ: {threads} luồng, hàng đợi {current_app.config['JOB_QUEUE_URL']}; "
        f"đưa lại vào hàng đợi {len(recovered)} tác vụ.",
    )
    sys.stdout.flush()  # before the consumer's own lines (standard error), also when piped to a file
    # An idle SQLite queue is polled at most a second apart (Huey's default backs off to 10 s, which
    # a person waiting for a download would notice); Redis blocks on the queue instead.
    consumer = queue.huey.create_consumer(
        workers=threads, worker_type="thread", periodic=True, max_delay=1.0, shutdown_timeout=30
    )
    if stop_with_parent:
        _watch_parent()
    consumer.run()


def _watch_parent() -> None:
    """Stop (as on SIGTERM) when the parent process is gone, even if it was killed without a word."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="watch-parent").start()

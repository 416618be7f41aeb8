"""How the app is served: waitress, which reads a whole request before a thread sees it.

`make run` and the README's production line both run `python wsgi.py --host … --port …`, which
ends here. A thread-per-request server (gunicorn's gthread) hands a connection to a thread as
soon as it arrives, so twelve clients that send a body one byte a second hold eight threads and
the app stops answering. Waitress reads headers and body in its one I/O thread, spools bodies
over 512 KB to a temporary file, and gives a task thread only a request that has fully arrived:
a slow client ties up a connection, never a thread (tests/test_slow_clients.py).
"""

import argparse
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import waitress
from flask import Flask

THREADS = 8  # as gunicorn's --threads 8 before: one process, so the in-memory login limit holds
FALLBACK_BODY_LIMIT = 50 * 1024 * 1024  # an app without MAX_CONTENT_LENGTH (the benchmark's floor app)

# A child of the app's logger ("aiplan"), so its lines go out through the app's handler and format.
access_log = logging.getLogger("aiplan.access")


def options(app: Flask, threads: int = THREADS) -> dict:
    """Waitress's settings, derived from the app's own configuration."""
    body_limit = app.config.get("MAX_CONTENT_LENGTH") or FALLBACK_BODY_LIMIT
    return {
        "threads": threads,
        # Refused while the headers arrive, before any of the body is read or spooled. Waitress
        # refuses at ">= limit"; a request of exactly MAX_UPLOAD_MB is allowed, as by the app.
        "max_request_body_size": body_limit + 1,
        "max_request_header_size": 64 * 1024,  # cookies and htmx headers need a few KB
        # Browsers keep several connections per tab, and each slow client holds one: room for a
        # ward's users and for slow links, well under the process's file limit (3 files each).
        "connection_limit": 500,
        "channel_timeout": 60,  # an idle connection (no bytes either way) is closed after a minute
        "cleanup_interval": 15,
        "asyncore_use_poll": True,  # select() cannot watch descriptors above 1024
        # X-Forwarded-* are the app's business (TRUSTED_PROXIES → ProxyFix, aiplan/web.py);
        # waitress 3 would otherwise strip them from every request before the app sees them.
        "clear_untrusted_proxy_headers": False,
        "ident": "aiplan",
    }


def with_access_log(wsgi_app):
    """One line per request, as gunicorn's --access-logfile wrote: address, request, status, time."""

    def logged(environ, start_response):
        started = time.perf_counter()
        status: list[str] = []

        def remember(code, headers, exc_info=None):
            status[:] = [code.split(" ", 1)[0]]
            return start_response(code, headers, exc_info)

        try:
            return wsgi_app(environ, remember)
        finally:
            access_log.info(
                '%s "%s %s" %s %.0f ms',
                environ.get("REMOTE_ADDR", "-"),
                environ["REQUEST_METHOD"],
                environ.get("PATH_INFO", ""),
                status[0] if status else "-",
                (time.perf_counter() - started) * 1000,
            )

    return logged


def main(app: Flask, argv: list[str] | None = None) -> None:
    """`python wsgi.py --host 127.0.0.1 --port 5000`: serve `app` until Ctrl+C or SIGTERM."""
    parser = argparse.ArgumentParser(description="Serve the app with waitress.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--no-access-log", action="store_true", help="no line per request on standard error")
    parser.add_argument(
        "--worker",
        action="store_true",
        help="also run the job worker (`flask --app aiplan worker`) as a child process, stopped with the server",
    )
    args = parser.parse_args(argv)
    # waitress.serve() sets up the root logger too; every line goes out once, in the app's format.
    waitress_log = logging.getLogger("waitress")
    waitress_log.handlers[:] = app.logger.handlers  # its start line and errors
    waitress_log.setLevel(logging.INFO)
    waitress_log.propagate = app.logger.propagate = False
    # "Task queue depth is N" is a warning at every burst of more requests than threads: routine here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    served = app.wsgi_app if args.no_access_log else with_access_log(app.wsgi_app)
    settings = options(app, args.threads)
    worker = start_worker() if args.worker else None
    try:
        waitress.serve(served, host=args.host, port=args.port, **settings)
    finally:
        if worker is not None:
            stop_worker(worker)


def start_worker() -> subprocess.Popen:
    """The job worker as a child process, in the same environment (database, instance, JOB_QUEUE_URL).
    It also stops by itself if this process is killed without a chance to stop it."""
    # SIGTERM (a service manager, `kill`) ends the server through the `finally` above, as Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "flask", "--app", "aiplan", "worker", "--stop-with-parent"]
    return subprocess.Popen(command, cwd=root)


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()  # SIGTERM: stop now; a job cut short runs again at the next start
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()

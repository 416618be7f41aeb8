"""gunicorn's settings for production: `.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app`.

Only behind nginx (docs/deployment.md, docs/nginx.conf), which reads each request whole before
passing it on: gunicorn's threads take a connection as soon as it opens, so slow clients straight
on it would hold them all (aiplan/serving.py says why `make run` uses waitress instead).

Several worker processes (one per core) and several such app servers share nothing in memory, so
everything they must agree on is configured to be shared: SECRET_KEY and AUDIT_KEY set alike on
every server, DATABASE_URL on PostgreSQL, RATELIMIT_STORAGE_URI and JOB_QUEUE_URL on Redis, the
evidence store and the jobs' files (docs/deployment.md lists them). At start this file says which
of them are still on a default that holds for one process only.
"""

import multiprocessing
import os

# Where nginx finds this server: a loopback port, or a private address of the app server's host.
bind = [address.strip() for address in os.environ.get("AIPLAN_BIND", "127.0.0.1:8000").split(",")]
# One process per core runs Python on every core; each has threads for requests waiting on the
# database. WEB_CONCURRENCY (gunicorn's own name) sets another number of processes.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("AIPLAN_THREADS", "8"))
# The slowest request made in the request (a large ward's XLSX below JOB_MIN_SCHOOLS) takes seconds.
timeout = 120
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, not all at once): memory that a
# large export left fragmented goes back to the system.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# X-Forwarded-* are the app's business (TRUSTED_PROXIES → ProxyFix, aiplan/web.py); gunicorn trusts
# them only from nginx's address (FORWARDED_ALLOW_IPS when nginx runs on another host).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "aiplan"

# name → what goes wrong across processes or hosts while it is unset (or memory://).
ONE_PROCESS_ONLY = {
    "RATELIMIT_STORAGE_URI": "each process counts failed logins alone",
    "SECRET_KEY": "each host signs sessions with the key of its own instance folder",
    "AUDIT_KEY": "each host signs the audit chain's head with the key of its own instance folder",
    "JOB_QUEUE_URL": "each host queues jobs in a file of its own instance folder, for a worker on that host",
}


def on_starting(server) -> None:
    """Say at start which shared settings are missing, in the log the operator reads."""
    for name, why in ONE_PROCESS_ONLY.items():
        if os.environ.get(name, "") in ("", "memory://"):
            server.log.warning("%s is not set for several processes or hosts: %s (docs/deployment.md)", name, why)

"""The sign-in's idle clock under load: readers GET pages while writers sign in, on one SQLite file.

Usage: .venv/bin/python bench/session_touch.py default|separate|inline [SECONDS]

  default   the code as shipped: last_seen_at written at most every 5 minutes per sign-in
  separate  the shipped write (its own short transaction), forced on every request
  inline    the naive way: written inside the GET's own deferred transaction, every request

Prints GETs served, sign-ins, errors (5xx, or a reader sent back to login) and GET latency.
In one process (threads, the GIL), so the numbers compare the modes, not the server."""

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
mode = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 15
tmp = tempfile.mkdtemp(prefix="aiplan-touch-")
os.environ["AIPLAN_INSTANCE"] = tmp

import helpers  # noqa: E402  (needs AIPLAN_INSTANCE first)
from flask_migrate import upgrade  # noqa: E402

from aiplan import access, create_app  # noqa: E402
from aiplan.extensions import db  # noqa: E402

app = create_app(helpers.base_config(f"sqlite:///{tmp}/touch.sqlite3", tmp) | {"TESTING": False})
with app.app_context():
    upgrade()
    helpers._seed_through_the_services()

if mode in ("separate", "inline"):
    access.TOUCH_EVERY = timedelta(0)
if mode == "inline":

    def inline(record, now):
        record.last_seen_at = now
        db.session.commit()

    access._touch = inline

stop = time.time() + seconds
counts = {"gets": 0, "sign_ins": 0, "errors": 0}
latencies: list[float] = []
lock = threading.Lock()


def reader(persona):
    client = app.test_client()
    assert helpers.AuthActions(client).login(persona).status_code == 302
    while time.time() < stop:
        start = time.perf_counter()
        response = client.get("/plan")
        with lock:
            counts["gets"] += 1
            latencies.append(time.perf_counter() - start)
            counts["errors"] += response.status_code >= 500 or response.status_code == 302


def writer():
    while time.time() < stop:
        response = helpers.AuthActions(app.test_client()).login("staff_b")
        with lock:
            counts["sign_ins"] += 1
            counts["errors"] += response.status_code >= 500


threads = [threading.Thread(target=reader, args=(p,)) for p in ("ward_admin", "viewer", "supervisor", "staff_a") * 2]
threads += [threading.Thread(target=writer) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
latencies.sort()
print(
    f"{mode}: GETs {counts['gets']}, sign-ins {counts['sign_ins']}, errors {counts['errors']}, "
    f"GET median {statistics.median(latencies) * 1000:.0f} ms, "
    f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms"
)
shutil.rmtree(tmp, ignore_errors=True)

"""Server time and SQL statement count of the heavy pages, measured inside the app.

Usage (run by bench/run.py, with the databases it generated):
    python bench/server_time.py --runs N --database SCHOOLS:INSTANCE:URL [--database …] --out FILE
Logs in through the form with Flask's test client (as the staff of the first pilot school,
then as the ward admin) and requests /schools/<slug>, /rollup and /rollup.xlsx: one warm-up,
then N timed runs each. Server time is the whole request inside the app (routing, session,
queries, rendering), without the network and the server; statements are counted with an
SQLAlchemy `before_cursor_execute` listener (on SQLite that includes the BEGIN the app emits).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import htmlparse
from datasets import Dataset, load_accounts


def log_in(app, username: str, password: str):
    client = app.test_client()
    token = htmlparse.csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"login of {username} answered {response.status_code}")
    return client


def measure(client, url: str, runs: int, statements: list) -> dict:
    timings, counts = [], []
    for _ in range(runs + 1):
        statements.clear()
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        counts.append(len(statements))
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    timings, counts = timings[1:], counts[1:]  # the first request warms caches and templates
    return {
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "min_ms": round(min(timings) * 1000, 1),
        "max_ms": round(max(timings) * 1000, 1),
        "queries": counts[-1],
        "queries_stable": len(set(counts)) == 1,
        "bytes": len(response.data),
        "runs": runs,
    }


def measure_database(url: str, runs: int) -> dict:
    """The three pages of one database (its DATABASE_URL and AIPLAN_INSTANCE are in the environment)."""
    from sqlalchemy import event

    from aiplan import create_app
    from aiplan.extensions import db

    accounts = load_accounts(_dataset(url))
    app = create_app()
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    username, slug = accounts["staff"][0]
    staff = log_in(app, username, accounts["password"])
    admin = log_in(app, accounts["ward_admin"][0], accounts["password"])
    results = {
        "checklist": {"url": f"/schools/{slug}", **measure(staff, f"/schools/{slug}", runs, statements)},
        "rollup": {"url": "/rollup", **measure(admin, "/rollup", runs, statements)},
        "rollup_xlsx": {"url": "/rollup.xlsx", **measure(admin, "/rollup.xlsx", runs, statements)},
    }
    with app.app_context():
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--database",
        action="append",
        required=True,
        metavar="SCHOOLS:INSTANCE:URL",
        help="a generated database: its number of schools, instance folder and URL",
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    results = {}
    for spec in args.database:
        schools, instance, url = spec.split(":", 2)
        os.environ.update(DATABASE_URL=url, AIPLAN_INSTANCE=instance)
        results[schools] = measure_database(url, args.runs)
    Path(args.out).write_text(json.dumps(results))


def _dataset(url: str) -> Dataset:
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    return Dataset(dialect, 0, Path("."), url)


if __name__ == "__main__":
    sys.exit(main())

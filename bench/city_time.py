"""Server time and SQL statements of the Sở's pages and of one ward's rollup, measured inside the app.

Usage (run by bench/city.py, with the city databases it generated):
    python bench/city_time.py --runs N --database WARDS:INSTANCE:URL [--database …] --out FILE
Logs in through the form (Flask's test client) as the Sở's city_admin (ha-noi.sogddt) and fetches
/city and /city.json, then as the first ward's admin (d001.phongvhxh, 24 schools) its /rollup:
one warm-up, then N timed runs each, as bench/server_time.py does. A page the app does not have
(404) is recorded as absent rather than failing the run.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from server_time import log_in, measure

CITY_ADMIN = "ha-noi.sogddt"
WARD_ADMIN = "d001.phongvhxh"
PASSWORD = "demo-aiplan-2026"
PAGES = (("city", CITY_ADMIN, "/city"), ("city_json", CITY_ADMIN, "/city.json"), ("rollup", WARD_ADMIN, "/rollup"))


def measure_database(runs: int) -> dict:
    """The pages of one database (its DATABASE_URL and AIPLAN_INSTANCE are in the environment)."""
    from sqlalchemy import event

    from aiplan import create_app
    from aiplan.extensions import db

    app = create_app()
    statements: list = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    clients = {username: log_in(app, username, PASSWORD) for username in (CITY_ADMIN, WARD_ADMIN)}
    results = {}
    for key, username, url in PAGES:
        if clients[username].get(url).status_code == 404:
            results[key] = {"url": url, "absent": True}
            continue
        results[key] = {"url": url, **measure(clients[username], url, runs, statements)}
    with app.app_context():
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", action="append", required=True, metavar="WARDS:INSTANCE:URL")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    results = {}
    for spec in args.database:
        wards, instance, url = spec.split(":", 2)
        os.environ.update(DATABASE_URL=url, AIPLAN_INSTANCE=instance)
        results[wards] = measure_database(args.runs)
    Path(args.out).write_text(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())

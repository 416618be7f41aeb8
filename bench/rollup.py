"""Server time, query count and size of the ward rollup and its exports at a given number of schools.

Usage: cd bench && ../.venv/bin/python rollup.py --schools 30 [--schools 3000] [--database-url URL] [--runs N]
Builds a throw-away database (SQLite in a temporary folder by default) with the bundled plan,
N schools (every seventh a pilot), one activity per school and a verdict on a few items, then
fetches /rollup, /rollup.json, /rollup.csv and /rollup.xlsx as a ward admin. The time runs until
the whole body is read (the CSV and JSON are streamed: they are written while being read).
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import date


def measure(count: int, database_url: str | None, runs: int) -> None:
    workdir = tempfile.mkdtemp(prefix="aiplan-rollup-")
    os.environ["AIPLAN_INSTANCE"] = workdir
    from flask_migrate import upgrade
    from sqlalchemy import event, select

    from aiplan import create_app
    from aiplan.auth.services import create_user
    from aiplan.checklists.services import sync_checklists
    from aiplan.extensions import db
    from aiplan.models import Activity, Plan, Role, School, SchoolLevel, Ward
    from aiplan.plans.services import BUNDLED_PLAN, load_plan
    from aiplan.plans.spec import read_plan_file

    if database_url and database_url.startswith("postgresql"):
        from checklist_page import _fresh_schema

        _fresh_schema(database_url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{workdir}/rollup.sqlite3",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_FAST": True,
        }
    )
    with app.app_context():
        upgrade()
        load_plan(read_plan_file(BUNDLED_PLAN))
        ward, plan = db.session.scalar(select(Ward)), db.session.scalar(select(Plan))
        schools = [
            School(
                ward=ward,
                slug=f"truong-{i:04d}",
                name=f"Trường {'THCS' if i % 2 else 'Tiểu học'} số {i}",
                level=SchoolLevel.THCS if i % 2 else SchoolLevel.TIEU_HOC,
                is_pilot=i % 7 == 0,
            )
            for i in range(count)
        ]
        db.session.add_all(schools)
        db.session.flush()
        sync_checklists(plan, schools)
        forms = {f.code: f for f in plan.delivery_forms}
        for i, school in enumerate(schools):
            form = forms["2.2"] if school.is_pilot else forms["2.1"]
            db.session.add(
                Activity(
                    school=school,
                    plan=plan,
                    form=form,
                    title="Hoạt động AI",
                    subject="Tin học",
                    class_name=f"{i % 5 + 1}A",
                    participants=30,
                    lessons=4,
                    starts_on=date(2026, 2, 2),
                )
            )
        create_user("bench-admin", Role.WARD_ADMIN, "mat-khau-bench-1", ward=ward)
        db.session.commit()
        engine = db.engine
    if engine.dialect.name == "postgresql":
        # Statistics, as autovacuum keeps them on a live database; fresh from a bulk load the planner
        # has none and guesses at a few rows per table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in db.metadata.sorted_tables:  # this schema's tables only, by the search path
                connection.exec_driver_sql(f'ANALYZE "{table.name}"')
    client = app.test_client()
    client.post("/login", data={"username": "bench-admin", "password": "mat-khau-bench-1"})
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for url in ("/rollup", "/rollup.json", "/rollup.csv", "/rollup.xlsx"):
        timings = []
        for _ in range(runs + 1):
            statements.clear()
            start = time.perf_counter()
            response = client.get(url)
            body = response.get_data()
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        timings = timings[1:]
        print(
            f"{engine.dialect.name:<10} {count:>6} {url:<14} {len(statements):>7} "
            f"{statistics.median(timings) * 1000:>9.0f} {min(timings) * 1000:>7.0f} {len(body) / 1024:>9.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, action="append", required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'database':<10} {'schools':>6} {'url':<14} {'queries':>7} {'median ms':>9} {'min ms':>7} {'KB':>9}")
    for count in args.schools:
        measure(count, args.database_url, args.runs)


if __name__ == "__main__":
    main()

"""Server time and query count of one school's checklist page with 40 items and 200 files.

Usage: .venv/bin/python bench/checklist_page.py [--database-url URL] [--runs N]
Builds a throw-away database (SQLite in a temporary folder by default), renders the page
through the app N times as the school's staff, and prints the median and p95 server time
and the number of SQL statements per request.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_plan_with_forty_items() -> bytes:
    """The bundled plan, with 31 more evidence requirements on target STT 1: 9 + 31 = 40 items."""
    text = (ROOT / "aiplan/plans/long-bien-2025-2026.toml").read_text()
    extra = "".join(
        f'    {{ key = "bo-sung-{i}", title = "Minh chứng bổ sung {i}", timing = "cuoi_hk2" }},\n' for i in range(1, 32)
    )
    marker = '    { key = "san-pham-trai-nghiem", title = "sản phẩm trải nghiệm", timing = "cuoi_hk2" },\n'
    return text.replace(marker, marker + extra, 1).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="aiplan-bench-")
    os.environ["AIPLAN_INSTANCE"] = workdir

    from flask_migrate import upgrade
    from sqlalchemy import event, select

    from aiplan import create_app
    from aiplan.admin.schools import import_schools, parse_schools_csv
    from aiplan.auth.services import create_user
    from aiplan.extensions import db
    from aiplan.models import ChecklistItem, EvidenceFile, Role, School, Ward
    from aiplan.plans.services import BUNDLED_SCHOOLS, load_plan
    from aiplan.plans.spec import parse_plan

    if args.database_url and args.database_url.startswith("postgresql"):
        _fresh_schema(args.database_url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{workdir}/bench.sqlite3",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_FAST": True,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade()
        load_plan(parse_plan(build_plan_with_forty_items(), "bench-plan.toml"))
        ward = db.session.scalar(select(Ward))
        import_schools(ward, parse_schools_csv(BUNDLED_SCHOOLS.read_bytes()))
        school = db.session.scalar(select(School).filter_by(slug="th-doan-ket"))
        staff = create_user("bench-staff", Role.SCHOOL_STAFF, "mat-khau-bench-1", ward=ward, school=school)
        items = db.session.scalars(select(ChecklistItem).filter_by(school_id=school.id)).all()
        for i in range(200):
            item = items[i % len(items)]
            db.session.add(
                EvidenceFile(
                    school_id=school.id,
                    item_id=item.id,
                    sha256=f"{i:064x}",
                    size=250_000,
                    content_type="application/pdf",
                    original_name=f"Minh chứng {i}.pdf",
                    uploaded_by_id=staff.id,
                )
            )
        db.session.commit()
        item_count, engine = len(items), db.engine

    client = app.test_client()
    client.post("/login", data={"username": "bench-staff", "password": "mat-khau-bench-1"})
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    timings = []
    for _ in range(args.runs + 5):
        statements.clear()
        start = time.perf_counter()
        response = client.get("/schools/th-doan-ket")
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    timings = sorted(timings[5:])  # the first requests warm caches and templates
    print(f"database: {engine.dialect.name}; items: {item_count}; files: 200; runs: {args.runs}")
    print(f"queries per request: {len(statements)}")
    print(
        f"server time: median {statistics.median(timings) * 1000:.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1] * 1000:.1f} ms; page {len(response.data) / 1024:.0f} KB"
    )


def _fresh_schema(url: str) -> None:
    """An empty schema named by the URL's search_path (e.g. ?options=-csearch_path%3Dbench)."""
    from urllib.parse import unquote

    from sqlalchemy import create_engine, text

    schema = unquote(url).split("search_path=")[1].split("&")[0] if "search_path" in unquote(url) else None
    if schema:
        with create_engine(url).begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))


if __name__ == "__main__":
    main()

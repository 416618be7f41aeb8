"""First-load weight of the main pages: requests and bytes, raw and gzip-compressed.

Usage: .venv/bin/python bench/page_weight.py
Also counts the SQL statements of each page's HTML request (SQLite counts its BEGIN too).
Builds a throw-away SQLite database with the bundled plan and schools, one visit with a
few verdicts, then fetches each page as its user would and every file the page loads
(stylesheets, scripts, icons). Gzip sizes are what a reverse proxy that compresses sends.
"""

import gzip
import os
import re
import tempfile
from datetime import timedelta


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="aiplan-weight-")
    os.environ["AIPLAN_INSTANCE"] = workdir
    from flask_migrate import upgrade
    from sqlalchemy import select

    from aiplan import create_app
    from aiplan.admin.schools import import_schools, parse_schools_csv
    from aiplan.auth.services import create_user
    from aiplan.extensions import db
    from aiplan.models import Inspection, Plan, Role, School, Ward
    from aiplan.plans.services import BUNDLED_PLAN, BUNDLED_SCHOOLS, load_plan
    from aiplan.plans.spec import read_plan_file

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/weight.sqlite3",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_FAST": True,
        }
    )
    with app.app_context():
        upgrade()
        load_plan(read_plan_file(BUNDLED_PLAN))
        ward = db.session.scalar(select(Ward))
        import_schools(ward, parse_schools_csv(BUNDLED_SCHOOLS.read_bytes()))
        school = db.session.scalar(select(School).filter_by(slug="th-doan-ket"))
        staff = create_user("w-staff", Role.SCHOOL_STAFF, "mat-khau-bench-1", ward=ward, school=school)
        supervisor = create_user("w-sup", Role.SUPERVISOR, "mat-khau-bench-1", ward=ward)
        create_user("w-admin", Role.WARD_ADMIN, "mat-khau-bench-1", ward=ward)
        plan = db.session.scalar(select(Plan))
        visit = Inspection(
            plan=plan,
            school=school,
            visit_on=plan.school_year.midterm_start + timedelta(days=1),
            members=[supervisor],
            lead=supervisor,
        )
        db.session.add(visit)
        db.session.commit()
        visit_id = staff.id and visit.id

    pages = [
        ("đăng nhập", None, "/login"),
        ("checklist của trường", "w-staff", "/schools/th-doan-ket"),
        ("chế độ kiểm tra", "w-sup", f"/inspections/{visit_id}"),
        ("danh sách trường", "w-admin", "/schools"),
    ]
    from sqlalchemy import event

    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    print(f"{'page':<22} {'requests':>8} {'raw KB':>8} {'gzip KB':>8} {'queries':>8}")
    for name, username, url in pages:
        client = app.test_client()
        if username:
            client.post("/login", data={"username": username, "password": "mat-khau-bench-1"})
        statements.clear()
        html = client.get(url)
        queries = len(statements)
        assert html.status_code == 200, (url, html.status_code)
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html.get_data(as_text=True))
        bodies = [html.data] + [client.get(asset).data for asset in dict.fromkeys(assets)]
        raw = sum(len(b) for b in bodies)
        packed = sum(len(gzip.compress(b, 6)) for b in bodies)
        print(f"{name:<22} {len(bodies):>8} {raw / 1024:>8.1f} {packed / 1024:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()

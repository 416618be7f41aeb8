"""Time `backup` and `restore` (with its verification) at a given number of schools.

Usage: .venv/bin/python bench/backup.py --schools 3000 [--database-url URL] [--big-files 5]
Builds a throw-away instance (SQLite in a temporary folder by default; with a PostgreSQL URL,
the schema of its search_path, `bench_backup` if none, is emptied first) holding, as
bench/rollup.py does: the bundled plan, N schools in one ward (every seventh a pilot) with
their checklists from the plan sync, one activity per school; and in addition one note per
school and one evidence file per school (random, so incompressible, 4–40 KB), plus a handful
of 1–5 MB files, each change and upload with its audit event (about 2 per school).
Then runs `backup` into a folder, and `restore` of that archive into a fresh, empty
instance (a new SQLite file, or the schema `<schema>_restored`), and prints one row.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import tarfile
import tempfile
import time
from datetime import date
from pathlib import Path


def build(app, count: int, big_files: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from aiplan import audit
    from aiplan.auth.services import create_user
    from aiplan.checklists.services import sync_checklists
    from aiplan.extensions import db
    from aiplan.models import Activity, ChecklistItem, EvidenceFile, Plan, Role, School, SchoolLevel, Ward
    from aiplan.plans.services import BUNDLED_PLAN, load_plan
    from aiplan.plans.spec import read_plan_file
    from aiplan.storage import get_storage

    rng = random.Random(2026)
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
            db.session.add(
                Activity(
                    school=school,
                    plan=plan,
                    form=forms["2.2"] if school.is_pilot else forms["2.1"],
                    title="Hoạt động AI",
                    subject="Tin học",
                    class_name=f"{i % 5 + 1}A",
                    participants=30,
                    lessons=4,
                    starts_on=date(2026, 2, 2),
                )
            )
        staff = create_user("bench-staff", Role.WARD_ADMIN, "mat-khau-bench-1", ward=ward)
        db.session.commit()
        first_items = dict(
            db.session.execute(
                select(ChecklistItem.school_id, ChecklistItem.id)
                .where(ChecklistItem.school_id.is_not(None))
                .order_by(ChecklistItem.school_id, ChecklistItem.position.desc())
            ).all()
        )
        storage = get_storage()
        sizes = [rng.randint(4_000, 40_000) for _ in schools] + [
            rng.randint(1, 5) * 1024 * 1024 for _ in range(big_files)
        ]
        for n, size in enumerate(sizes):
            school = schools[n % count]
            item = db.session.get(ChecklistItem, first_items[school.id])
            if n < count:
                item.note = f"Đã triển khai, lần {n}"
                audit.record(
                    "item.update",
                    item,
                    before={"note": ""},
                    after={"note": item.note},
                    school_id=school.id,
                    actor=staff,
                )
            out, temp = storage.new_temp()
            data = rng.randbytes(size)
            with out:
                out.write(data)
            sha256 = hashlib.sha256(data).hexdigest()
            file = EvidenceFile(
                school_id=school.id,
                item_id=item.id,
                sha256=sha256,
                size=size,
                content_type="application/pdf",
                original_name=f"Minh chứng {n}.pdf",
                uploaded_by_id=staff.id,
            )
            db.session.add(file)
            db.session.flush()
            audit.record(
                "evidence.upload", file, after={"sha256": sha256, "size": size}, school_id=school.id, actor=staff
            )
            storage.put(temp, sha256)
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()


def measure(count: int, database_url: str | None, big_files: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="aiplan-backup-bench-"))
    os.environ["AIPLAN_INSTANCE"] = str(workdir)
    from sqlalchemy.engine import make_url

    from aiplan import create_app
    from aiplan.backups.postgres import configured_schema
    from aiplan.extensions import db

    def config(url: str, name: str) -> dict:
        return {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_FAST": True,
            "EVIDENCE_DIR": str(workdir / name / "evidence"),
        }

    if database_url and database_url.startswith("postgresql"):
        from checklist_page import _fresh_schema

        schema = configured_schema(database_url) or "bench_backup"
        source_url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        target_url = source_url.update_query_dict({"options": f"-csearch_path={schema}_restored"})
        source_url, target_url = (u.render_as_string(hide_password=False) for u in (source_url, target_url))
        _fresh_schema(source_url)
        _fresh_schema(target_url)
    else:
        source_url = f"sqlite:///{workdir / 'source.sqlite3'}"
        target_url = f"sqlite:///{workdir / 'restored.sqlite3'}"
    try:
        source = create_app(config(source_url, "source"))
        start = time.perf_counter()
        build(source, count, big_files)
        built = time.perf_counter() - start

        start = time.perf_counter()
        result = source.test_cli_runner().invoke(args=["backup", str(workdir / "backups")])
        backup_seconds = time.perf_counter() - start
        assert result.exit_code == 0, result.output
        archive = next((workdir / "backups").glob("aiplan-backup-*.tar"))

        target = create_app(config(target_url, "restored"))
        start = time.perf_counter()
        result = target.test_cli_runner().invoke(args=["restore", str(archive)])
        restore_seconds = time.perf_counter() - start
        assert result.exit_code == 0, result.output

        with tarfile.open(archive) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())
        rows = sum(manifest["tables"].values())
        with source.app_context():
            kind = db.engine.dialect.name
            db.engine.dispose()
        with target.app_context():
            db.engine.dispose()
        size = archive.stat().st_size / 1024 / 1024
        print(
            f"{kind:<10} {count:>7} {rows:>8} {len(manifest['files']):>6} {size:>8.1f} {built:>7.1f} "
            f"{backup_seconds:>8.2f} {restore_seconds:>9.2f}"
        )
    finally:
        if database_url and database_url.startswith("postgresql"):
            from sqlalchemy import create_engine, text

            engine = create_engine(source_url)
            with engine.begin() as connection:
                for name in (configured_schema(source_url), configured_schema(target_url)):
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, action="append", required=True)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--big-files", type=int, default=5, help="how many 1–5 MB files to add (default 5)")
    args = parser.parse_args()
    print(
        f"{'database':<10} {'schools':>7} {'rows':>8} {'files':>6} {'MB':>8} {'build s':>7} {'backup s':>8} "
        f"{'restore s':>9}"
    )
    for count in args.schools:
        measure(count, args.database_url, args.big_files)


if __name__ == "__main__":
    main()

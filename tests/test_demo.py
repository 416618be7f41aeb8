"""`flask --app aiplan generate-demo`: realistic demo data, the same for the same seed, that the
app's own pages, rules and integrity checks accept."""

import hashlib
import random
import zipfile

import pytest
from helpers import AuthActions, clear_rows
from sqlalchemy import func, select

from aiplan.auditlog.verify import verify_audit_chain, verify_files
from aiplan.demo import files
from aiplan.evidence.validation import Policy, check_file
from aiplan.extensions import db
from aiplan.models import (
    CITY_ROLES,
    Activity,
    ChecklistItem,
    City,
    DeliveryForm,
    EvidenceFile,
    ItemKind,
    ItemStatus,
    Plan,
    Role,
    School,
    User,
    VerdictRecord,
    Ward,
)
from aiplan.storage import LocalStorage, get_storage

SMALL = ("--wards", "2", "--schools-per-ward", "3", "--files-per-school", "1", "--max-file-kb", "8")
PASSWORD = "mat-khau-demo-1"


def generate(app, *args):
    return app.test_cli_runner().invoke(args=["generate-demo", "--password", PASSWORD, *args])


def fingerprint(app) -> dict:
    """What a user would see of the data, without ids, hashes of the audit chain or password salts."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        rows = lambda query: sorted(tuple(str(v) for v in row) for row in db.session.execute(query))  # noqa: E731
        return {
            "counts": counts,
            "schools": rows(select(School.slug, School.name, School.level, School.is_pilot)),
            "items": rows(
                select(
                    School.slug,
                    ChecklistItem.key,
                    ChecklistItem.status,
                    ChecklistItem.note,
                    ChecklistItem.completed_at,
                    ChecklistItem.verdict,
                    ChecklistItem.verdict_reason,
                    ChecklistItem.resubmitted_at,
                ).join(School)
            ),
            "activities": rows(
                select(
                    School.slug,
                    DeliveryForm.code,
                    Activity.title,
                    Activity.class_name,
                    Activity.participants,
                    Activity.lessons,
                    Activity.starts_on,
                )
                .join(School, Activity.school_id == School.id)
                .join(DeliveryForm)
            ),
            "files": rows(
                select(
                    School.slug,
                    EvidenceFile.original_name,
                    EvidenceFile.sha256,
                    EvidenceFile.size,
                    EvidenceFile.restricted,
                    EvidenceFile.uploaded_at,
                ).join(School)
            ),
            "verdicts": rows(
                select(VerdictRecord.verdict, VerdictRecord.reason, VerdictRecord.given_at, VerdictRecord.is_current)
            ),
        }


def test_the_same_seed_gives_the_same_rows_and_the_same_file_bytes(make_app, tmp_path):
    first = make_app(EVIDENCE_DIR=str(tmp_path / "a"))
    assert generate(first, *SMALL, "--seed", "7").exit_code == 0
    before = fingerprint(first)
    with first.app_context():
        clear_rows()
    second = make_app(EVIDENCE_DIR=str(tmp_path / "b"))
    result = generate(second, *SMALL, "--seed", "7")

    assert result.exit_code == 0, result.output
    assert fingerprint(second) == before
    assert blobs(tmp_path / "a") == blobs(tmp_path / "b") == {row[2] for row in before["files"]}


def blobs(root) -> set[str]:
    """The names (SHA-256) of the blobs in an evidence store, leaving out its temporary files."""
    return {p.name for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"}


def test_another_seed_gives_other_schools(make_app):
    app = make_app()
    generate(app, *SMALL, "--seed", "7")
    with app.app_context():
        seven = set(db.session.scalars(select(School.name)))
        db.session.remove()  # its read transaction would lock SQLite against the clearing
        clear_rows()
    generate(app, *SMALL, "--seed", "8", "--no-files")
    with app.app_context():
        assert set(db.session.scalars(select(School.name))) != seven


def test_it_makes_what_the_options_ask_for_and_the_app_checks_it_all(make_app):
    app = make_app()
    result = generate(app, *SMALL)

    assert result.exit_code == 0, result.output
    assert "2 phường, 6 trường, 14 tài khoản" in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(Ward.slug))) == ["demo-001", "demo-002"]
        schools = db.session.scalars(select(School)).all()
        users = db.session.scalars(select(User)).all()
        assert len(schools) == 6
        assert sorted(u.role.value for u in users if u.school_id is None) == sorted(
            ["ward_admin", "supervisor", "supervisor", "viewer"] * 2
        )
        assert sorted(u.username for u in users if u.role is Role.SCHOOL_STAFF) == sorted(s.slug for s in schools)
        files_ = db.session.scalars(select(EvidenceFile)).all()
        assert len(files_) == 6 and all(f.size <= 8 * 1024 for f in files_)
        storage = get_storage()
        for file in files_:
            with storage.open(file.sha256) as blob:
                assert hashlib.sha256(blob.read()).hexdigest() == file.sha256
        assert verify_audit_chain() == [] and verify_files() == []
        done_evidence = db.session.scalars(
            select(ChecklistItem).where(
                ChecklistItem.kind == ItemKind.EVIDENCE, ChecklistItem.status == ItemStatus.DONE
            )
        ).all()
        assert all(any(f.item_id == item.id for f in files_) for item in done_evidence)


def test_every_ward_has_a_pilot_school_with_the_pilot_items(make_app):
    app = make_app()
    generate(app, *SMALL)

    with app.app_context():
        for plan in db.session.scalars(select(Plan)):
            pilots = list(plan.pilot_schools)
            assert len(pilots) == 1 and pilots[0].is_pilot
            keys = set(db.session.scalars(select(ChecklistItem.key).filter_by(school_id=pilots[0].id)))
            assert keys & {"t1", "t4"} and "t5" not in keys
            others = db.session.scalars(select(School).where(School.ward_id == plan.ward_id, ~School.is_pilot))
            for school in others:
                assert "t5" in set(db.session.scalars(select(ChecklistItem.key).filter_by(school_id=school.id)))


def test_a_generated_ward_admin_and_school_staff_can_read_their_pages(make_app):
    app = make_app()
    generate(app, *SMALL)
    with app.app_context():
        school = db.session.scalar(select(School).join(Ward).where(Ward.slug == "demo-001").order_by(School.slug))
        slug, name = school.slug, school.name

    admin = app.test_client()
    assert AuthActions(admin).login("d001.phongvhxh", PASSWORD).status_code == 302
    rollup = admin.get("/rollup")
    assert rollup.status_code == 200 and name in rollup.get_data(as_text=True)
    staff = app.test_client()
    assert AuthActions(staff).login(slug, PASSWORD).status_code == 302
    page = staff.get(f"/schools/{slug}")
    assert page.status_code == 200 and name in page.get_data(as_text=True)


def test_with_one_ward_the_demo_schools_join_the_bundled_ward_and_its_own_rows_stay(app):
    def bundled_state():
        with app.app_context():
            return sorted(
                db.session.execute(
                    select(ChecklistItem.id, ChecklistItem.version, ChecklistItem.status).where(
                        ChecklistItem.school_id.is_(None)
                        | ChecklistItem.school_id.in_(select(School.id).where(~School.slug.like("%-d000")))
                    )
                ).all()
            )

    before = bundled_state()
    result = generate(app, "--schools-per-ward", "3", "--files-per-school", "1", "--max-file-kb", "8")

    assert result.exit_code == 0, result.output
    assert bundled_state() == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Ward.id))) == 1
        assert db.session.scalar(select(func.count(School.id)).where(School.slug.like("%-d000"))) == 3
        assert db.session.scalar(select(User.role).filter_by(username="d000.phongvhxh")) is Role.WARD_ADMIN
        assert verify_audit_chain() == []


def test_a_second_run_is_refused_unless_appending(make_app):
    app = make_app()
    args = ("--wards", "2", "--schools-per-ward", "2", "--no-files")
    generate(app, *args)

    again = generate(app, *args)
    assert again.exit_code == 1
    assert "Phường Demo 001 (demo-001) đã có dữ liệu mẫu" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(School.id))) == 4

    appended = generate(app, *args, "--append")
    assert appended.exit_code == 0, appended.output
    with app.app_context():
        assert db.session.scalar(select(func.count(School.id))) == 8
        assert db.session.scalar(select(func.count(User.id))) == 2 * 4 + 8
        assert db.session.scalar(select(func.count(EvidenceFile.id))) == 0
        assert not db.session.scalar(
            select(func.count(ChecklistItem.id)).where(
                ChecklistItem.kind == ItemKind.EVIDENCE, ChecklistItem.status == ItemStatus.DONE
            )
        )
        assert verify_audit_chain() == []


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--wards", "0", "--wards phải là số nguyên từ 1 đến 999"),
        ("--schools-per-ward", "0", "--schools-per-ward phải là số nguyên từ 1 đến 999"),
        ("--password", "ngan", "Mật khẩu cần ít nhất 10 ký tự"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(make_app, option, value, message):
    app = make_app()
    result = app.test_cli_runner().invoke(args=["generate-demo", option, value])

    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Ward.id))) == 0


@pytest.mark.parametrize("kind, name", [("pdf", "Kế hoạch.pdf"), ("jpg", "Ảnh lớp 5A.jpg"), ("docx", "Báo cáo.docx")])
def test_generated_files_are_what_their_names_say_and_as_large_as_asked(tmp_path, kind, name):
    sizes = []
    for n in range(5):
        size = files.file_size(kind, random.Random(n), 2048)
        data = files.make_file(kind, size, "Kế hoạch (dự thảo)", ["Dòng một"], random.Random(n))
        assert data == files.make_file(kind, size, "Kế hoạch (dự thảo)", ["Dòng một"], random.Random(n))
        path = tmp_path / f"{n}.{kind}"
        path.write_bytes(data)
        assert check_file(path, name, Policy()).extension == kind
        assert abs(len(data) - size) < 2048
        sizes.append(len(data))
    assert all(50 * 1024 <= size <= 2048 * 1024 for size in sizes) and len(set(sizes)) == 5
    if kind == "docx":
        with zipfile.ZipFile(tmp_path / "0.docx") as archive:
            assert "Kế hoạch (dự thảo)" in archive.read("word/document.xml").decode()


def test_a_disk_failing_while_files_are_stored_leaves_no_file_row_without_its_bytes(make_app, tmp_path, monkeypatch):
    app = make_app(EVIDENCE_DIR=str(tmp_path / "evidence"))
    put, calls = LocalStorage.put, []

    def fail_on_the_third(self, temp, sha256):
        calls.append(sha256)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return put(self, temp, sha256)

    monkeypatch.setattr(LocalStorage, "put", fail_on_the_third)
    result = generate(app, *SMALL)
    monkeypatch.undo()

    assert result.exit_code != 0
    with app.app_context():
        assert verify_files() == []
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0


CITY = ("--city", "--wards", "3", "--schools-per-ward", "4", "--no-files", "--seed", "6")


def city_rows(app) -> dict:
    """What the Sở would see of a city run: its wards, their schools' codes and names, its accounts."""
    with app.app_context():
        return {
            "cities": db.session.execute(select(City.slug, City.name)).all(),
            "schools": sorted(
                db.session.execute(select(Ward.slug, Ward.city_id, School.code, School.slug, School.name).join(School))
            ),
            "city_accounts": sorted(
                db.session.execute(
                    select(User.username, User.role, User.city_id, User.ward_id).where(User.role.in_(CITY_ROLES))
                )
            ),
        }


def done_share(app, ward_slug: str) -> float:
    with app.app_context():
        statuses = db.session.scalars(
            select(ChecklistItem.status)
            .join(School)
            .join(Ward)
            .where(Ward.slug == ward_slug, ~School.is_pilot, ChecklistItem.kind != ItemKind.TARGET)
        ).all()
        return sum(status is ItemStatus.DONE for status in statuses) / len(statuses)


def test_a_city_run_makes_the_city_its_school_codes_and_the_sos_accounts_the_same_each_time(make_app):
    app = make_app()
    result = generate(app, *CITY)

    assert result.exit_code == 0, result.output
    assert "3 phường, 12 trường, 26 tài khoản" in result.output
    assert "ha-noi.sogddt, ha-noi.lanhdaoso" in result.output
    first = city_rows(app)
    assert first["cities"] == [("ha-noi", "Thành phố Hà Nội")]
    codes = [code for _, _, code, _, _ in first["schools"]]
    assert len(codes) == len(set(codes)) == 12
    assert codes[:4] == ["01001001", "01001002", "01001003", "01001004"] and codes[-1] == "01003004"
    city_id = first["schools"][0][1]
    assert {ward_city for _, ward_city, _, _, _ in first["schools"]} == {city_id}
    assert first["city_accounts"] == [
        ("ha-noi.lanhdaoso", Role.CITY_VIEWER, city_id, None),
        ("ha-noi.sogddt", Role.CITY_ADMIN, city_id, None),
    ]
    # Seed 6 draws demo-001 "đi trước" and demo-003 "rất chậm": their schools' progress shows it.
    assert "Phường Demo 001 (demo-001)" in result.output and "tiến độ: đi trước" in result.output
    assert "tiến độ: rất chậm" in result.output
    assert done_share(app, "demo-001") > done_share(app, "demo-003") + 0.1
    with app.app_context():
        assert verify_audit_chain() == []

    for username in ("ha-noi.sogddt", "ha-noi.lanhdaoso"):
        client = app.test_client()
        assert AuthActions(client).login(username, PASSWORD).status_code == 302
        city = client.get("/city")
        assert city.status_code == 200
        page = city.get_data(as_text=True)
        assert all(f"Phường Demo 00{n}" in page for n in (1, 2, 3))
        # The wards' plans map the Sở's indicators (the bundled city plan, loaded by the run): figures.
        assert "HN-M01" in page and "HN-T05" in page and "3 phường, xã · 12 trường" in page
        ward = client.get("/city/wards/demo-002", follow_redirects=True)
        assert ward.status_code == 200
        ward_school = next(name for ward_slug, _, _, _, name in first["schools"] if ward_slug == "demo-002")
        other_school = next(name for ward_slug, _, _, _, name in first["schools"] if ward_slug == "demo-001")
        assert ward_school in ward.get_data(as_text=True) and other_school not in ward.get_data(as_text=True)

    again = generate(app, *CITY)
    assert again.exit_code == 1 and "đã có dữ liệu mẫu" in again.output
    with app.app_context():
        db.session.remove()
        clear_rows()
    assert generate(app, *CITY).exit_code == 0
    assert city_rows(app) == first


def test_a_school_code_already_in_the_city_is_refused_before_anything_is_written(make_app):
    app = make_app()
    with app.app_context():
        from aiplan.plans.services import BUNDLED_PLAN, load_plan
        from aiplan.plans.spec import read_plan_file

        ward = load_plan(read_plan_file(BUNDLED_PLAN)).plan.ward
        db.session.add(School(ward=ward, slug="th-that", code="01002003", name="Trường thật", level="tieu_hoc"))
        db.session.commit()

    result = generate(app, *CITY)

    assert result.exit_code == 1
    assert "Mã CSDL (mã trường) đã có: 01002003" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(School.id))) == 1
        assert db.session.scalar(select(func.count(User.id))) == 0

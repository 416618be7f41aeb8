"""`backup` and `restore`: a backup taken while the app runs restores to the same rows and the same
file hashes (docs/security.md §20); a restore goes only into an empty instance, refuses a damaged or
altered archive, and proves what it restored. On SQLite and on PostgreSQL alike: restores go into
a fresh SQLite file, or a fresh schema of the test database that is dropped afterwards."""

import hashlib
import io
import json
import os
import tarfile
import threading
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from helpers import PASSWORD, PERSONAS, SCHOOL_A, base_config, db_is_postgresql, ward_head
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from aiplan import audit, create_app
from aiplan.auditlog.verify import verify_all
from aiplan.extensions import db
from aiplan.models import AuditEvent, AuditHead, ChecklistItem, EvidenceFile, InspectionDecision, School
from aiplan.storage import get_storage

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


# -- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def app(seeded_app, tmp_path):
    """The seeded app with an evidence store of its own."""
    return seeded_app(EVIDENCE_DIR=str(tmp_path / "evidence"))


@pytest.fixture
def instances(database_url, tmp_path):
    """`instances("name", migrated=True)`: a new app on an empty database (a SQLite file, or a
    PostgreSQL schema of its own, created unless schema_exists=False) and an evidence folder
    that does not exist yet; extra settings override the test defaults."""
    made = []

    def new(name: str, migrated: bool = False, schema_exists: bool = True, **overrides):
        folder = tmp_path / name
        folder.mkdir()
        schema = None
        if db_is_postgresql(database_url):
            schema = f"restore_{os.getpid()}_{name}"
            url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
            url = url.render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{folder / 'aiplan.sqlite3'}"
        instance = create_app(base_config(url, str(folder)) | overrides)
        made.append((instance, schema))
        if schema and schema_exists:
            with instance.app_context(), db.engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        if migrated:
            with instance.app_context():
                upgrade()
        return instance

    yield new
    for instance, schema in made:
        with instance.app_context():
            db.session.remove()
            if schema:
                with db.engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            db.engine.dispose()


def audit_mac_key_id(app) -> str:
    from aiplan import audit_mac

    with app.app_context():
        return audit_mac.key_id(audit_mac.current_key())


def sign_in(app, persona="staff_a"):
    client = app.test_client()
    response = client.post("/login", data={"username": PERSONAS[persona][0], "password": PASSWORD})
    assert response.status_code == 302
    return client


def item_ids(app, slug=SCHOOL_A) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(ChecklistItem.id).join(School).where(School.slug == slug).order_by(ChecklistItem.position)
            )
        )


def upload(client, item_id, name, content):
    response = client.post(
        f"/schools/{SCHOOL_A}/items/{item_id}/files",
        data={"file": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def set_note(app, client, item_id, note):
    with app.app_context():
        version = db.session.get(ChecklistItem, item_id).version
    response = client.post(f"/schools/{SCHOOL_A}/items/{item_id}", data={"note": note, "version": version})
    assert response.status_code == 303, response.get_data(as_text=True)


def some_work(app):
    """What a school records: notes, three files (one deleted later, its bytes still kept)."""
    client, items = sign_in(app), item_ids(app)
    set_note(app, client, items[0], "Kế hoạch số 12/KH-THĐK đã ban hành")
    upload(client, items[0], "Kế hoạch nhà trường.pdf", PDF)
    upload(client, items[1], "Ảnh lớp học.png", PNG)
    upload(client, items[1], "Bản nháp.pdf", PDF + b"nhap")
    with app.app_context():
        draft = db.session.scalars(select(EvidenceFile.id).order_by(EvidenceFile.id.desc())).first()
    assert client.post(f"/files/{draft}/delete").status_code in (200, 303)


def take_backup(app, directory: Path):
    result = app.test_cli_runner().invoke(args=["backup", str(directory)])
    archives = sorted(directory.glob("aiplan-backup-*.tar"))
    return result, archives[-1] if archives else None


def restore(instance, archive: Path):
    return instance.test_cli_runner().invoke(args=["restore", str(archive)])


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def all_rows(app) -> dict[str, list[tuple]]:
    """Every table's rows, ordered by primary key."""
    with app.app_context():
        rows = {
            table.name: [tuple(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables
        }
        rows["alembic_version"] = db.session.execute(text("SELECT version_num FROM alembic_version")).all()
        return rows


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        return {name: db.session.scalar(select(func.count()).select_from(text(f'"{name}"'))) for name in names}


def file_hashes(app) -> dict[int, str]:
    """Each evidence file's id and the SHA-256 of the bytes the store holds for it."""
    with app.app_context():
        storage = get_storage()
        hashes = {}
        for file in db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)):
            with storage.open(file.sha256) as blob:
                hashes[file.id] = hashlib.sha256(blob.read()).hexdigest()
            assert hashes[file.id] == file.sha256
        return hashes


def stored_files(instance) -> list[Path]:
    root = Path(instance.config["EVIDENCE_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rewrite(archive: Path, out: Path, change) -> Path:
    """A copy of the archive with `change(name, data)` applied to each member (None drops it)."""
    with tarfile.open(archive) as source, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as target:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            if data is not None:
                member.size = len(data)
                target.addfile(member, io.BytesIO(data))
    return out


# -- round trip ---------------------------------------------------------------------------------


def test_a_backup_restores_into_an_empty_instance_with_the_same_rows_and_file_hashes(app, instances, tmp_path):
    some_work(app)
    before_rows, before_hashes = all_rows(app), file_hashes(app)

    result, archive = take_backup(app, tmp_path / "backups")

    assert result.exit_code == 0, result.output
    assert f"Đã sao lưu vào {archive} (" in result.output
    assert "Minh chứng: 3 tệp" in result.output
    assert sorted(p.name for p in archive.parent.iterdir()) == [archive.name]  # nothing half-written left
    assert archive.stat().st_mode & 0o077 == 0  # password hashes inside: the owner's eyes only
    manifest = manifest_of(archive)
    assert manifest["tables"]["evidence_file"] == 3 and manifest["missing_files"] == []
    assert manifest["created_at"].endswith("Z") and manifest["created_at_hanoi"].endswith("+07:00")

    target = instances("roundtrip", migrated=True)  # the empty database `flask db upgrade` makes
    restored = restore(target, archive)

    assert restored.exit_code == 0, restored.output
    assert f"Đã khôi phục và kiểm tra: {archive.name}" in restored.output
    assert all_rows(target) == before_rows
    assert file_hashes(target) == before_hashes
    with target.app_context():
        assert verify_all() == []


def test_the_file_of_a_decision_forming_the_inspection_team_comes_back_from_a_backup(app, instances, tmp_path):
    """Its blob sits in the evidence store though no evidence file names it."""
    response = sign_in(app, "ward_admin").post(
        "/inspections/decisions",
        data={"number": "12/QĐ-UBND", "signed_on": "02/03/2026", "file": (io.BytesIO(PDF + b"qd"), "qd.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    result, archive = take_backup(app, tmp_path / "backups")
    assert result.exit_code == 0, result.output
    target = instances("decision", migrated=True)
    restored = restore(target, archive)
    assert restored.exit_code == 0, restored.output
    with target.app_context():
        decision = db.session.scalar(select(InspectionDecision))
        with get_storage().open(decision.sha256) as blob:
            assert blob.read() == PDF + b"qd"
        assert verify_all() == []


def test_the_wards_own_records_and_files_are_backed_up_and_restored(app, instances, tmp_path):
    admin = sign_in(app, "ward_admin")
    with app.app_context():
        m2 = db.session.scalar(
            select(ChecklistItem.id).where(ChecklistItem.school_id.is_(None), ChecklistItem.key == "m2")
        )
    conference = admin.post(
        "/ward/activities",
        data={"ward_kind": "hoi_nghi", "title": "Hội nghị triển khai", "starts_on": "15/09/2025", "item_id": m2},
    )
    assert conference.status_code == 302, conference.get_data(as_text=True)
    for url, name in (
        (f"/ward/items/{m2}/files", "Kế hoạch của phường.pdf"),
        (conference.location + "/files", "Biên bản.pdf"),
    ):
        response = admin.post(
            url, data={"file": [(io.BytesIO(PDF + name.encode()), name)]}, content_type="multipart/form-data"
        )
        assert response.status_code == 303, response.get_data(as_text=True)
    before_rows, before_hashes = all_rows(app), file_hashes(app)

    result, archive = take_backup(app, tmp_path / "backups")
    assert result.exit_code == 0, result.output
    target = instances("ward_records", migrated=True)
    restored = restore(target, archive)
    assert restored.exit_code == 0, restored.output

    assert all_rows(target) == before_rows
    assert file_hashes(target) == before_hashes and len(before_hashes) == 2
    with target.app_context():
        assert verify_all() == []


def test_an_archive_of_an_older_version_is_restored_and_upgraded(instances, tmp_path):
    old = instances("old")
    with old.app_context():
        upgrade(revision="0004")  # before the audit chain existed
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO ward (id, slug, name, city, authority, office) "
                    "VALUES (1, 'long-bien', 'Phường Long Biên', 'Hà Nội', 'UBND', 'VHXH')"
                )
            )
            for n in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO audit_event (id, at, actor_name, ward_id, action, object_type, ip, request_id) "
                        f"VALUES ({n}, '2025-09-0{n} 08:00:00', 'hệ thống', 1, 'plan.load', 'Plan', '', '')"
                    )
                )
    result, archive = take_backup(old, tmp_path / "backups")
    assert result.exit_code == 0, result.output
    assert manifest_of(archive)["database"]["revision"] == "0004"

    target = instances("upgraded", schema_exists=False)  # PostgreSQL: the restore makes the schema
    restored = restore(target, archive)

    assert restored.exit_code == 0, restored.output
    assert "Đã nâng cấp cơ sở dữ liệu từ phiên bản 0004" in restored.output
    with target.app_context():
        assert verify_all() == []
        assert db.session.get(AuditHead, 1).seq == 2


def test_a_fresh_install_verifies_clean_before_and_after_its_first_change(instances):
    fresh = instances("fresh", migrated=True)

    before = fresh.test_cli_runner().invoke(args=["verify"])
    with fresh.app_context():
        audit.record("plan.load", after={"source": "ke-hoach.md"})
        db.session.commit()
    after = fresh.test_cli_runner().invoke(args=["verify"])

    assert before.exit_code == 0, before.output
    assert after.exit_code == 0, after.output
    assert "Đầu mọi chuỗi có chữ ký hợp lệ" in after.output


def test_a_restore_on_a_machine_with_another_key_signs_the_head_again_on_the_record(app, instances, tmp_path):
    some_work(app)
    result, archive = take_backup(app, tmp_path / "backups")
    assert result.exit_code == 0, result.output
    heads = manifest_of(archive)["audit_heads"]
    assert heads and all(head["mac"] and head["key_id"] for head in heads.values())  # the signed heads
    [saved] = {head["key_id"]: head for head in heads.values()}.values()

    target = instances("newmachine", migrated=True, AUDIT_KEY="khoa-cua-may-moi")
    restored = restore(target, archive)

    assert restored.exit_code == 0, restored.output
    assert f"Lưu ý: đầu chuỗi nhật ký được ký bằng khóa khác (mã khóa {saved['key_id']})" in restored.output
    with target.app_context():
        assert verify_all() == []
        last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert last.seq == heads.get("system", {"seq": 0})["seq"] + 1 and last.action == "audit.sign"  # system chain
        assert last.before["key_id"] == saved["key_id"]
        assert {head.key_id for head in db.session.scalars(select(AuditHead))} == {audit_mac_key_id(target)}


# -- while the app runs -------------------------------------------------------------------------


def test_a_backup_taken_while_staff_keep_writing_restores_to_a_consistent_database(app, instances, tmp_path):
    items = item_ids(app)
    with app.app_context():
        first_seq = ward_head().seq  # staff write to their ward's chain
    done, errors, stop = [], [], threading.Event()

    def keep_writing():
        try:
            client = sign_in(app)
            while not stop.is_set():
                n = len(done)
                if n % 3 == 0:
                    upload(client, items[n % 2], f"Minh chứng {n}.pdf", PDF + str(n).encode())
                else:
                    set_note(app, client, items[2], f"Ghi chú lần {n}")
                done.append(n)
        except BaseException as error:  # noqa: BLE001 — whatever it is, the main thread shows it
            errors.append(error)

    def wait_for(count):
        deadline = time.monotonic() + 60
        while len(done) < count and not errors and time.monotonic() < deadline:
            time.sleep(0.01)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_for(6)
        result, archive = take_backup(app, tmp_path / "backups")
        wait_for(len(done) + 6)
    finally:
        stop.set()
        writer.join(60)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    manifest = manifest_of(archive)
    with app.app_context():
        last_seq, scope = ward_head().seq, ward_head().scope
    # The snapshot fell between writes: some before it, some after.
    assert first_seq < manifest["audit_heads"][scope]["seq"] < last_seq

    target = instances("live", migrated=True)
    restored = restore(target, archive)

    assert restored.exit_code == 0, restored.output
    with target.app_context():
        assert verify_all() == []  # the audit chain is whole and every file's blob is there, intact
        assert ward_head().seq == manifest["audit_heads"][scope]["seq"]
        chain = select(func.max(AuditEvent.seq)).where(AuditEvent.chain_id == ward_head().id)
        assert db.session.scalar(chain) == manifest["audit_heads"][scope]["seq"]
    assert row_counts(target) == manifest["tables"]
    assert len(file_hashes(target)) == manifest["tables"]["evidence_file"]


def test_an_upload_committed_just_before_the_snapshot_waits_for_its_blob(app, tmp_path):
    some_work(app)
    with app.app_context():
        sha256 = db.session.scalars(select(EvidenceFile.sha256)).first()
    blob = Path(app.config["EVIDENCE_DIR"]) / sha256[:2] / sha256[2:4] / sha256
    moving = blob.with_name("moving")
    blob.rename(moving)  # as between an upload's commit and its move into the store
    timer = threading.Timer(0.5, moving.rename, [blob])
    timer.start()

    result, archive = take_backup(app, tmp_path / "backups")
    timer.join()

    assert result.exit_code == 0, result.output
    assert len(manifest_of(archive)["files"]) == 3


def test_a_blob_missing_from_the_store_is_named_and_the_backup_exits_1(app, tmp_path, monkeypatch):
    monkeypatch.setattr("aiplan.backups.services.BLOB_WAIT_SECONDS", 0.3)
    some_work(app)
    with app.app_context():
        sha256 = db.session.scalars(select(EvidenceFile.sha256)).first()
    (Path(app.config["EVIDENCE_DIR"]) / sha256[:2] / sha256[2:4] / sha256).unlink()

    result, archive = take_backup(app, tmp_path / "backups")

    assert result.exit_code == 1
    assert f"Đã sao lưu vào {archive}" in result.output
    assert f"tệp minh chứng {sha256} có trong cơ sở dữ liệu nhưng không có trong kho" in result.output
    assert manifest_of(archive)["missing_files"] == [sha256]


# -- refusals ---------------------------------------------------------------------------------------


def test_restoring_into_an_instance_that_has_data_is_refused_and_changes_nothing(app, tmp_path):
    some_work(app)
    _, archive = take_backup(app, tmp_path / "backups")
    rows, files = all_rows(app), stored_files(app)

    result = restore(app, archive)

    assert result.exit_code == 1
    assert "Không khôi phục vào một cơ sở dữ liệu đã có dữ liệu" in result.output
    assert "bảng checklist_item:" in result.output
    assert all_rows(app) == rows and stored_files(app) == files


def test_restoring_into_an_evidence_store_that_has_files_is_refused(app, instances, tmp_path):
    some_work(app)
    _, archive = take_backup(app, tmp_path / "backups")
    target = instances("store", migrated=True)
    stray = Path(target.config["EVIDENCE_DIR"]) / "ab" / "cd" / "tep-cu.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(PDF)
    counts = row_counts(target)

    result = restore(target, archive)

    assert result.exit_code == 1
    assert "Không khôi phục vào một kho minh chứng đã có tệp" in result.output
    assert row_counts(target) == counts and stored_files(target) == [stray]


@pytest.mark.parametrize(
    "tampering, message",
    [
        ("blob", "không khớp với manifest.json"),
        ("manifest", "tệp database."),
        ("dropped", "thiếu tệp evidence/"),
        ("truncated", "không dùng được"),
    ],
)
def test_a_damaged_or_altered_archive_is_refused_and_nothing_is_restored(app, instances, tmp_path, tampering, message):
    some_work(app)
    _, archive = take_backup(app, tmp_path / "backups")
    blob = next(entry["path"] for entry in manifest_of(archive)["files"])
    bad = tmp_path / f"{tampering}.tar"
    if tampering == "blob":  # one byte of one evidence file
        rewrite(archive, bad, lambda name, data: data[:-1] + bytes([data[-1] ^ 1]) if name == blob else data)
    elif tampering == "manifest":  # the database dump's recorded hash

        def change(name, data):
            if name != "manifest.json":
                return data
            manifest = json.loads(data)
            manifest["database"]["sha256"] = "0" * 64
            return json.dumps(manifest).encode()

        rewrite(archive, bad, change)
    elif tampering == "dropped":
        rewrite(archive, bad, lambda name, data: None if name == blob else data)
    else:
        bad.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = instances("tampered", migrated=True)
    counts = row_counts(target)

    result = restore(target, bad)

    assert result.exit_code == 1
    assert bad.name in result.output and message in result.output
    assert row_counts(target) == counts
    assert stored_files(target) == [] and not Path(target.config["EVIDENCE_DIR"]).exists()


def test_an_archive_of_the_other_database_engine_is_refused(app, instances, tmp_path):
    _, archive = take_backup(app, tmp_path / "backups")
    kind = manifest_of(archive)["database"]["kind"]
    other = {
        "sqlite": ("postgresql", "PostgreSQL", "database.pgdump"),
        "postgresql": ("sqlite", "SQLite", "database.sqlite3"),
    }[kind]

    def change(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["database"].update(kind=other[0], path=other[2])
        return json.dumps(manifest).encode()

    foreign = rewrite(archive, tmp_path / "other-engine.tar", change)
    target = instances("engine")

    result = restore(target, foreign)

    assert result.exit_code == 1
    assert f"là bản sao lưu {other[1]}" in result.output and "không khôi phục chéo" in result.output


def test_backup_help_explains_how_to_schedule_it(runner):
    result = runner.invoke(args=["backup", "--help"])

    assert result.exit_code == 0
    assert "0 2 * * *" in result.output and "-mtime +30 -delete" in result.output

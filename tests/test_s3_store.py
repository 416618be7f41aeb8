"""Evidence in an S3 store (EVIDENCE_STORE=s3://bucket/prefix, aiplan/s3storage.py), against a real
SeaweedFS on 127.0.0.1 (tests/s3server.py): uploads land in the bucket and come back identical to
those allowed to read them; the same bytes are stored once and a stored blob is never overwritten;
a store that is down or refuses leaves nothing half-saved and the app up; backup, restore, verify
and `evidence check` work on it; the jobs' files are fetched from it by another app server."""

import hashlib
import io
import os
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from helpers import PASSWORD, PERSONAS, SCHOOL_A, base_config, db_is_postgresql, text_of
from s3server import BUCKET, free_port
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from aiplan import create_app
from aiplan.extensions import db
from aiplan.jobs import services as job_services
from aiplan.models import AuditEvent, ChecklistItem, EvidenceFile, Job, JobStatus, Plan, School, utcnow
from aiplan.storage import get_storage

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
STORE_DOWN = "kho lưu trữ tệp đang không truy cập được"


@pytest.fixture
def prefix() -> str:
    """A prefix of the test bucket of this test's own, so each test sees only its own objects."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app(seeded_app, s3_server, prefix, tmp_path):
    return seeded_app(
        EVIDENCE_DIR=str(tmp_path / "evidence"), JOB_DIR=str(tmp_path / "jobs"), **s3_server.settings(prefix)
    )


def sign_in(app, persona="staff_a"):
    client = app.test_client()
    response = client.post("/login", data={"username": PERSONAS[persona][0], "password": PASSWORD})
    assert response.status_code == 302
    return client


def items_of(app, slug=SCHOOL_A) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(ChecklistItem.id).join(School).where(School.slug == slug).order_by(ChecklistItem.position)
            )
        )


def item_of(app, slug=SCHOOL_A) -> int:
    return items_of(app, slug)[0]


def upload(client, item_id, name, content, slug=SCHOOL_A):
    return client.post(
        f"/schools/{slug}/items/{item_id}/files",
        data={"file": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )


def files(app) -> list[EvidenceFile]:
    with app.app_context():
        found = db.session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)).all()
        db.session.expunge_all()
        return found


def blob_key(content: bytes) -> str:
    sha = hashlib.sha256(content).hexdigest()
    return f"{sha[:2]}/{sha[2:4]}/{sha}"


# -- uploads and downloads ---------------------------------------------------------------------


def test_an_upload_lands_in_the_bucket_and_comes_back_identical_to_its_school_only(app, s3_server, prefix, tmp_path):
    client = sign_in(app)

    response = upload(client, item_of(app), "Kế hoạch nhà trường.pdf", PDF)

    assert response.status_code == 303, response.get_data(as_text=True)
    assert s3_server.keys(prefix) == [blob_key(PDF)]  # the same layout as the local folder
    assert not [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]  # no blob, no temp left here
    [file] = files(app)
    download = client.get(f"/files/{file.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.mimetype == "application/pdf" and "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"
    # Another school's account of the ward: refused, as for the local store (tests/test_evidence.py).
    assert sign_in(app, "staff_b").get(f"/files/{file.id}").status_code == 403
    assert app.test_client().get(f"/files/{file.id}").status_code in (302, 401)  # nobody signed in


def test_a_file_larger_than_one_part_goes_up_in_parts_and_comes_back_whole(app, s3_server, prefix, monkeypatch):
    from aiplan import s3storage

    monkeypatch.setattr(s3storage, "PART_SIZE", 5 * 1024 * 1024)  # S3's smallest part
    big = PDF + os.urandom(11 * 1024 * 1024)
    client = sign_in(app)

    assert upload(client, item_of(app), "Ảnh chụp hồ sơ.pdf", big).status_code == 303

    assert s3_server.keys(prefix) == [blob_key(big)]
    [file] = files(app)
    assert client.get(f"/files/{file.id}").data == big


def test_the_same_file_twice_is_stored_once(app, s3_server, prefix):
    client = sign_in(app)
    first, second = items_of(app)[:2]

    assert upload(client, first, "a.pdf", PDF).status_code == 303
    assert upload(client, second, "b.pdf", PDF).status_code == 303

    assert [f.original_name for f in files(app)] == ["a.pdf", "b.pdf"]
    assert s3_server.keys(prefix) == [blob_key(PDF)]


@pytest.mark.parametrize("size", ["one PUT", "multipart"])
def test_a_stored_blob_is_never_overwritten(app, s3_server, prefix, monkeypatch, size):
    from aiplan import s3storage

    monkeypatch.setattr(s3storage, "PART_SIZE", 5 * 1024 * 1024)
    first = PDF if size == "one PUT" else PDF + os.urandom(6 * 1024 * 1024)
    other = b"other bytes" * (1 if size == "one PUT" else 600_000)
    sha = hashlib.sha256(first).hexdigest()
    with app.app_context():
        storage = get_storage()
        out, temp = storage.new_temp()
        with out:
            out.write(first)
        assert storage.put(temp, sha) is True
        out, temp = storage.new_temp()
        with out:
            out.write(other)
        assert storage.put(temp, sha) is False  # If-None-Match: * refused the second PUT (or its completion)
        assert not temp.exists()
        with storage.open(sha) as blob:
            assert blob.read() == first


# -- a store that is down or refuses ---------------------------------------------------------


@pytest.mark.parametrize("failure", ["down", "refused"])
def test_a_store_that_is_down_or_refuses_fails_the_upload_with_a_message_and_saves_nothing(
    seeded_app, s3_server, prefix, tmp_path, failure
):
    settings = s3_server.settings(prefix) | {"S3_MAX_ATTEMPTS": 1, "S3_CONNECT_TIMEOUT": 1}
    if failure == "down":
        settings["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    else:
        settings["AWS_SECRET_ACCESS_KEY"] = "not-the-key"
    app = seeded_app(EVIDENCE_DIR=str(tmp_path / "evidence"), **settings)
    client = sign_in(app)
    item = item_of(app)

    response = upload(client, item, "Kế hoạch.pdf", PDF)

    assert response.status_code == 503
    assert STORE_DOWN in text_of(response)
    assert files(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "evidence.upload")) == 0
    assert not list((tmp_path / "evidence" / "tmp").glob("*"))  # the temporary file is gone too
    assert s3_server.keys(prefix) == []
    assert client.get(f"/schools/{SCHOOL_A}").status_code == 200  # the app serves on
    assert client.get(f"/schools/{SCHOOL_A}/history").status_code == 200

    # htmx: the 503 page, whose heading and words the page's script shows beside the form
    htmx = client.post(
        f"/schools/{SCHOOL_A}/items/{item}/files",
        data={"file": [(io.BytesIO(PDF), "a.pdf")]},
        content_type="multipart/form-data",
        headers={"HX-Request": "true", "HX-Target": f"files-item-{item}"},
    )
    assert htmx.status_code == 503 and "Kho lưu trữ tệp tạm thời không truy cập được" in text_of(htmx)
    assert files(app) == []


def test_a_download_whose_store_is_unreachable_gets_a_503_page_not_a_traceback(
    app, make_app, s3_server, prefix, tmp_path
):
    assert upload(sign_in(app), item_of(app), "Kế hoạch.pdf", PDF).status_code == 303
    [file] = files(app)
    down = make_app(
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        **s3_server.settings(prefix)
        | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "S3_MAX_ATTEMPTS": 1, "S3_CONNECT_TIMEOUT": 1},
    )
    client = sign_in(down)

    response = client.get(f"/files/{file.id}")

    assert response.status_code == 503
    text = text_of(response)
    assert "Kho lưu trữ tệp tạm thời không truy cập được" in text and "Hãy thử lại sau ít phút" in text
    assert "Traceback" not in text
    page = client.get(f"/schools/{SCHOOL_A}")  # its list of files shows, none marked lost
    assert page.status_code == 200
    assert "Kế hoạch.pdf" in text_of(page) and "không còn trong kho lưu trữ" not in text_of(page)


def test_a_missing_blob_is_a_404_that_says_so(app, s3_server, prefix):
    client = sign_in(app)
    assert upload(client, item_of(app), "a.pdf", PDF).status_code == 303
    [file] = files(app)
    s3_server.client().delete_object(Bucket=BUCKET, Key=f"{prefix}/{blob_key(PDF)}")

    response = client.get(f"/files/{file.id}")

    assert response.status_code == 404
    assert "Không tìm thấy nội dung của tệp trong kho lưu trữ" in text_of(response)


# -- evidence check, verify, backup and restore ---------------------------------------------------


def test_evidence_check_and_verify_find_a_blob_missing_from_the_bucket(app, s3_server, prefix):
    client = sign_in(app)
    assert upload(client, item_of(app), "Kế hoạch.pdf", PDF).status_code == 303
    assert upload(client, item_of(app), "Ảnh.png", PNG).status_code == 303
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["evidence", "check"])
    assert clean.exit_code == 0, clean.output
    assert f"Kho minh chứng: s3://{BUCKET}/{prefix}" in clean.output
    assert "2 tệp lưu trữ, 2 dòng dữ liệu tệp minh chứng" in clean.output

    s3_server.client().delete_object(Bucket=BUCKET, Key=f"{prefix}/{blob_key(PNG)}")
    s3_server.client().put_object(Bucket=BUCKET, Key=f"{prefix}/ab/cd/ghi-chu.txt", Body=b"?")
    checked = runner.invoke(args=["evidence", "check"])
    verified = runner.invoke(args=["verify"])

    png = files(app)[1]
    assert checked.exit_code == 1
    assert "Dòng dữ liệu mất tệp lưu trữ (1):" in checked.output
    assert f"#{png.id} Ảnh.png ({png.sha256})" in checked.output
    assert "Tệp lạ trong kho (1):\n  ab/cd/ghi-chu.txt" in checked.output
    assert verified.exit_code == 1
    assert "không còn tệp trong kho" in verified.output


def test_evidence_check_repair_removes_an_old_blob_no_row_names_and_keeps_the_named_ones(app, s3_server, prefix):
    assert upload(sign_in(app), item_of(app), "a.pdf", PDF).status_code == 303
    s3_server.client().put_object(Bucket=BUCKET, Key=f"{prefix}/{blob_key(PNG)}", Body=PNG)  # a failed upload's
    runner = app.test_cli_runner()

    young = runner.invoke(args=["evidence", "check", "--repair"])  # 60 minutes: it may be an upload in progress
    assert s3_server.keys(prefix) == sorted([blob_key(PDF), blob_key(PNG)])
    repaired = runner.invoke(args=["evidence", "check", "--repair", "--temp-age", "0"])

    assert young.exit_code == 0, young.output
    assert repaired.exit_code == 0, repaired.output
    assert (
        f"Đã xóa 1 tệp lưu trữ không có dòng dữ liệu nào (cũ hơn 0 phút):\n    {hashlib.sha256(PNG).hexdigest()}"
        in (repaired.output)
    )
    assert s3_server.keys(prefix) == [blob_key(PDF)]


def test_verify_and_evidence_check_say_when_the_store_cannot_be_reached(make_app, s3_server, prefix, tmp_path):
    down = make_app(
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        **s3_server.settings(prefix)
        | {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "S3_MAX_ATTEMPTS": 1, "S3_CONNECT_TIMEOUT": 1},
    )
    runner = down.test_cli_runner()

    checked, verified = runner.invoke(args=["evidence", "check"]), runner.invoke(args=["verify"])

    assert checked.exit_code == 1 and "Không đọc được kho minh chứng" in checked.output
    assert verified.exit_code == 1 and "Không đọc được kho minh chứng, chưa kiểm tra được tệp nào" in verified.output
    assert checked.exception is None or isinstance(checked.exception, SystemExit)


@pytest.fixture
def empty_instance(database_url, tmp_path):
    """An app on an empty, migrated database (a SQLite file, or a PostgreSQL schema of its own)."""
    made = []

    def new(name: str, **overrides):
        folder = tmp_path / name
        folder.mkdir()
        schema = None
        if db_is_postgresql(database_url):
            schema = f"s3restore_{os.getpid()}_{name}"
            url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
            url = url.render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{folder / 'aiplan.sqlite3'}"
        instance = create_app(base_config(url, str(folder)) | overrides)
        made.append((instance, schema))
        with instance.app_context():
            if schema:
                with db.engine.begin() as connection:
                    connection.execute(text(f'CREATE SCHEMA "{schema}"'))
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


def test_backup_restore_and_verify_with_the_s3_store(app, s3_server, prefix, empty_instance, tmp_path):
    client = sign_in(app)
    assert upload(client, item_of(app), "Kế hoạch nhà trường.pdf", PDF).status_code == 303
    assert upload(client, item_of(app), "Ảnh lớp học.png", PNG).status_code == 303
    backups = tmp_path / "backups"

    taken = app.test_cli_runner().invoke(args=["backup", str(backups)])

    assert taken.exit_code == 0, taken.output
    assert "Minh chứng: 2 tệp" in taken.output
    [archive] = backups.glob("aiplan-backup-*.tar")

    other = f"{prefix}-restored"
    target = empty_instance("restored", **s3_server.settings(other))
    restored = target.test_cli_runner().invoke(args=["restore", str(archive)])

    assert restored.exit_code == 0, restored.output
    assert f"Đã khôi phục và kiểm tra: {archive.name}" in restored.output and "2 tệp minh chứng" in restored.output
    assert s3_server.keys(other) == sorted([blob_key(PDF), blob_key(PNG)])
    verified = target.test_cli_runner().invoke(args=["verify"])
    assert verified.exit_code == 0, verified.output
    assert "Minh chứng: 2 tệp khớp SHA-256." in verified.output
    [pdf, png] = files(target)
    restored_client = sign_in(target)
    assert restored_client.get(f"/files/{pdf.id}").data == PDF
    assert restored_client.get(f"/files/{png.id}").data == PNG

    again = target.test_cli_runner().invoke(args=["restore", str(archive)])  # the store now holds files
    assert again.exit_code == 1
    assert "Không khôi phục vào một cơ sở dữ liệu đã có dữ liệu" in again.output


def test_a_restore_refuses_an_s3_prefix_that_already_holds_files(app, s3_server, prefix, empty_instance, tmp_path):
    assert upload(sign_in(app), item_of(app), "a.pdf", PDF).status_code == 303
    taken = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups")])
    assert taken.exit_code == 0, taken.output
    [archive] = (tmp_path / "backups").glob("aiplan-backup-*.tar")
    target = empty_instance("full", **s3_server.settings(prefix))  # the source's own prefix, not empty

    refused = target.test_cli_runner().invoke(args=["restore", str(archive)])

    assert refused.exit_code == 1
    assert "Không khôi phục vào một kho minh chứng đã có tệp" in refused.output
    assert f"kho minh chứng: s3://{BUCKET}/{prefix}" in refused.output
    with target.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0


# -- the jobs' files -----------------------------------------------------------------------------


def test_a_jobs_file_is_kept_in_the_bucket_and_sent_by_another_app_server(app, make_app, s3_server, prefix, tmp_path):
    with app.app_context():
        plan = db.session.scalar(select(Plan.id))
    admin = sign_in(app, "ward_admin")

    asked = admin.post("/jobs", data={"kind": "ward_report", "plan": plan})

    assert asked.status_code == 303
    job_id = int(re.fullmatch(r"/jobs/(\d+)", asked.location).group(1))
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status is JobStatus.DONE, job.error
        stored, size = job.stored_path, job.size
    assert s3_server.keys(prefix) == [f"jobs/{stored}"]
    assert not list(Path(app.config["JOB_DIR"]).glob(f"{job_id}-*"))  # nothing kept on this machine

    # Another app server: its own instance folder, no shared disk; the same database and bucket.
    second = make_app(
        EVIDENCE_DIR=str(tmp_path / "second" / "evidence"),
        JOB_DIR=str(tmp_path / "second" / "jobs"),
        **s3_server.settings(prefix),
    )
    fetched = sign_in(second, "ward_admin").get(f"/jobs/{job_id}/file")
    assert fetched.status_code == 200
    assert len(fetched.data) == size and fetched.data[:2] == b"PK"  # a DOCX is a ZIP
    assert "attachment" in fetched.headers["Content-Disposition"]
    assert sign_in(second, "supervisor").get(f"/jobs/{job_id}/file").status_code == 404  # not the asker

    with app.app_context():
        assert job_services.cleanup_expired(now=utcnow() + timedelta(hours=25)) == 1
    assert s3_server.keys(prefix) == []
    assert admin.get(f"/jobs/{job_id}/file").status_code == 404
    # a file of a job is not a stray of the evidence store
    assert "Tệp lạ" not in app.test_cli_runner().invoke(args=["evidence", "check"]).output


def test_the_local_store_stays_the_default(make_app, tmp_path):
    app = make_app(EVIDENCE_DIR=str(tmp_path / "evidence"))
    with app.app_context():
        assert type(get_storage()).__name__ == "LocalStorage"
        assert get_storage().root == tmp_path / "evidence"


def test_evidence_store_file_url_names_the_folder_and_a_wrong_one_is_refused(monkeypatch, tmp_path):
    from aiplan.config import from_environment

    monkeypatch.delenv("EVIDENCE_DIR", raising=False)
    monkeypatch.setenv("EVIDENCE_STORE", f"file://{tmp_path / 'kho'}")
    assert from_environment(str(tmp_path))["EVIDENCE_DIR"] == str(tmp_path / "kho")
    monkeypatch.setenv("EVIDENCE_STORE", "ftp://kho")
    with pytest.raises(ValueError, match="EVIDENCE_STORE must be file:///folder or s3://bucket/prefix"):
        from_environment(str(tmp_path))

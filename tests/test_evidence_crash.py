"""A worker killed in the middle of an upload (docs/security.md line 16): a real gunicorn worker is
stopped by SIGKILL between putting the blob and committing the row, then the store is checked,
repaired and verified as an operator would. Also what `evidence check --repair` does with rows
whose bytes a crash of an older version lost."""

import hashlib
import http.cookiejar
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from helpers import AUDIT_KEY, PASSWORD, PERSONAS, SCHOOL_A
from sqlalchemy import select
from test_evidence import OTHER_PDF, PDF, blobs, item_url, items_of, rows, stored_file, temps

from aiplan.extensions import db
from aiplan.models import EvidenceFile
from aiplan.storage import get_storage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def evidence_dir(tmp_path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def app(seeded_app, evidence_dir):
    return seeded_app(EVIDENCE_DIR=str(evidence_dir))


class Gunicorn:
    """A gunicorn server (one worker process, threads: the multi-core production option) on a free port
    of 127.0.0.1, on the test database, signing the audit head with the tests' key."""

    def __init__(self, database_url: str, tmp_path: Path, evidence_dir: Path, **env: str):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.log = tmp_path / "gunicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "EVIDENCE_DIR": str(evidence_dir),
            "AIPLAN_INSTANCE": str(tmp_path / "instance"),
            "SECRET_KEY": "crash-test",
            "AUDIT_KEY": AUDIT_KEY,
            **env,
        }
        self.process = None

    def __enter__(self):
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--no-control-socket",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start:\n" + self.log.read_text())

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Browser:
    """Cookies and CSRF tokens, as a browser sends them."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def login(self, persona: str) -> None:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.get("/login"))[1]
        body = urllib.parse.urlencode({"username": PERSONAS[persona][0], "password": PASSWORD, "csrf_token": token})
        self.opener.open(self.base + "/login", body.encode(), timeout=30).close()

    def upload(self, path: str, *files: tuple[str, bytes]) -> int:
        token = re.search(r'"X-CSRFToken": "([^"]+)"', self.get(f"/schools/{SCHOOL_A}"))[1]
        boundary = uuid.uuid4().hex
        body = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
                + content
                + b"\r\n"
                for name, content in files
            )
            + f"--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            self.base + path,
            body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": token},
        )
        with self.opener.open(request, timeout=90) as response:
            return response.status


def test_a_worker_killed_between_blob_and_commit_leaves_no_row_without_its_bytes(
    app, as_persona, database_url, tmp_path, evidence_dir
):
    item_id = items_of(app)[0]
    kept = stored_file(app, as_persona, item_id, name="da-co.pdf")  # its blob will be shared below
    pause = tmp_path / "paused-worker"
    outcome = {}
    with Gunicorn(database_url, tmp_path, evidence_dir, EVIDENCE_TEST_PAUSE_FILE=str(pause)) as server:
        browser = Browser(server.url)
        browser.login("staff_a")

        def send():
            try:
                outcome["status"] = browser.upload(item_url(item_id), ("moi.pdf", OTHER_PDF), ("ban-sao.pdf", PDF))
            except (urllib.error.URLError, ConnectionError, OSError) as error:
                outcome["error"] = error

        sender = threading.Thread(target=send)
        sender.start()
        deadline = time.monotonic() + 60
        while not (pause.exists() and pause.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        worker = int(pause.read_text())
        os.kill(worker, signal.SIGKILL)  # the worker dies holding the uploaded bytes and an open transaction
        sender.join(timeout=60)
    assert "status" not in outcome, "the upload was answered although its worker was killed"

    with app.app_context():
        db.session.remove()
        named = db.session.scalars(select(EvidenceFile.sha256)).all()
    stored = {path.name for path in blobs(evidence_dir)}
    assert set(named) <= stored, "a committed row points at bytes that are not in the store"
    assert [row.id for row in rows(app)] == [kept]

    runner = app.test_cli_runner()
    found = runner.invoke(args=["evidence", "check", "--temp-age", "0"])
    assert found.exit_code == 1
    assert "Tệp lưu trữ không có dòng dữ liệu nào (1)" in found.output  # the new file's blob, and only it
    repaired = runner.invoke(args=["evidence", "check", "--repair", "--temp-age", "0"])
    assert repaired.exit_code == 0, repaired.output
    assert "Đã xóa 1 tệp lưu trữ không có dòng dữ liệu nào" in repaired.output
    assert "Kho minh chứng khớp với cơ sở dữ liệu." in repaired.output
    verified = runner.invoke(args=["verify"])
    assert verified.exit_code == 0, verified.output
    # The shared blob is still there, and the school can send the lost file again.
    client = as_persona("staff_a")
    assert client.get(f"/files/{kept}").data == PDF
    assert (
        client.post(
            item_url(item_id), data={"file": (io.BytesIO(OTHER_PDF), "moi.pdf")}, content_type="multipart/form-data"
        ).status_code
        == 303
    )


def lose_blob(evidence_dir: Path, sha256: str, keep_as_temp: bool) -> None:
    """What a crash of an older version left: the row committed, its bytes still in tmp/ (or gone)."""
    blob = evidence_dir / sha256[:2] / sha256[2:4] / sha256
    if keep_as_temp:
        os.replace(blob, evidence_dir / "tmp" / "upload-abc123.part")
    else:
        blob.unlink()


def test_repair_puts_back_a_rows_bytes_from_the_temporary_file_a_crash_left(app, as_persona, evidence_dir):
    file_id = stored_file(app, as_persona, items_of(app)[0], name="ke-hoach.pdf")
    lose_blob(evidence_dir, rows(app)[0].sha256, keep_as_temp=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["verify"]).exit_code == 1
    found = runner.invoke(args=["evidence", "check"])
    assert found.exit_code == 1 and f"#{file_id} ke-hoach.pdf" in found.output
    assert "--repair" in found.output

    repaired = runner.invoke(args=["evidence", "check", "--repair"])

    assert repaired.exit_code == 0, repaired.output
    assert f"Đã lấy lại tệp của dòng #{file_id} ke-hoach.pdf" in repaired.output
    assert temps(evidence_dir) == []
    assert as_persona("staff_a").get(f"/files/{file_id}").data == PDF
    assert runner.invoke(args=["verify"]).exit_code == 0


def test_repair_names_a_row_whose_bytes_are_gone_and_the_checklist_asks_to_upload_it_again(
    app, as_persona, evidence_dir
):
    item_id = items_of(app)[0]
    file_id = stored_file(app, as_persona, item_id, name="ke-hoach.pdf")
    lose_blob(evidence_dir, rows(app)[0].sha256, keep_as_temp=False)

    repaired = app.test_cli_runner().invoke(args=["evidence", "check", "--repair"])

    assert repaired.exit_code == 1
    assert f"#{file_id} ke-hoach.pdf" in repaired.output and "Trường Tiểu học Đoàn Kết" in repaired.output
    assert "hãy báo trường tải lên lại" in repaired.output
    assert [row.id for row in rows(app)] == [file_id]  # never deleted behind the school's back
    page = as_persona("staff_a").get(f"/schools/{SCHOOL_A}").get_data(as_text=True)
    assert "Mất nội dung tệp" in page and "hãy tải lên lại tệp" in page
    assert f'href="/files/{file_id}"' not in page


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_repair_leaves_a_young_blob_that_an_upload_in_progress_has_just_put(app, evidence_dir):
    with app.app_context():
        storage = get_storage()
        out, temp = storage.new_temp()
        with out:
            out.write(PDF)
        sha256 = hashlib.sha256(PDF).hexdigest()
        storage.put(temp, sha256)  # its row has not committed yet
    runner = app.test_cli_runner()
    assert runner.invoke(args=["evidence", "check", "--repair"]).exit_code == 0
    assert [path.name for path in blobs(evidence_dir)] == [sha256]
    age(blobs(evidence_dir)[0], 2 * 3600)  # nobody ever named it: garbage, an hour past the threshold
    repaired = runner.invoke(args=["evidence", "check", "--repair"])
    assert repaired.exit_code == 0 and f"    {sha256}" in repaired.output
    assert blobs(evidence_dir) == []


def test_an_old_unnamed_blob_that_a_new_upload_of_the_same_bytes_reuses_is_not_collected(app, as_persona, evidence_dir):
    with app.app_context():
        storage = get_storage()
        out, temp = storage.new_temp()
        with out:
            out.write(PDF)
        sha256 = hashlib.sha256(PDF).hexdigest()
        storage.put(temp, sha256)
        blob = blobs(evidence_dir)[0]
        age(blob, 2 * 3600)  # left by a failed upload long ago
        out, temp = storage.new_temp()
        with out:
            out.write(PDF)
        assert storage.put(temp, sha256) is False  # a new upload finds it stored: its row commits next
        assert storage.collect(sha256, older_than_seconds=3600) is False  # a cleanup at that moment keeps it
    assert blob.exists()

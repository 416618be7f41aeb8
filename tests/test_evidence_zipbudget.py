"""One request's Office, OpenDocument and Scratch files together (docs/security.md line 14): a zip may
be under the per-file limit and still, twenty at a time, cost seconds of CPU and gigabytes
inflated. The request's budget is checked on the sizes the zips declare, before inflating any."""

import io
import zipfile

import pytest
from helpers import PASSWORD, PERSONAS
from test_evidence import evidence_dir, item_url, items_of, nothing_stored, rows, upload  # noqa: F401

MB = 1024 * 1024


def docx(inflated: int, parts: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\x00" * inflated)
        for n in range(parts):
            archive.writestr(f"word/media/part{n}.xml", b"<p/>")
    return buffer.getvalue()


@pytest.fixture
def budget_app(seeded_app, evidence_dir):  # noqa: F811
    return seeded_app(
        EVIDENCE_DIR=str(evidence_dir),
        EVIDENCE_ZIP_MAX_BYTES=3 * MB,
        EVIDENCE_ZIP_REQUEST_MAX_BYTES=4 * MB,
        EVIDENCE_ZIP_REQUEST_MAX_ENTRIES=10,
    )


def staff_client(app):
    client = app.test_client()
    client.post("/login", data={"username": PERSONAS["staff_a"][0], "password": PASSWORD})
    return client


def test_office_files_that_together_inflate_past_the_request_budget_are_refused_before_inflating_any(
    budget_app,
    evidence_dir,  # noqa: F811 — the fixture imported from test_evidence
    monkeypatch,
):
    item_id = items_of(budget_app)[0]
    files = [(f"bao-cao-{n}.docx", docx(2 * MB)) for n in range(3)]  # each under 3 MB, 6 MB together

    def inflate(*args, **kwargs):
        raise AssertionError("a member was inflated although the declared sizes were over the budget")

    monkeypatch.setattr(zipfile.ZipFile, "open", inflate)
    response = upload(staff_client(budget_app), item_url(item_id), *files, htmx_target=f"files-item-{item_id}")
    monkeypatch.undo()

    assert response.status_code == 422
    assert "giải nén ra tổng cộng quá lớn (trên 4 MB)" in response.get_data(as_text=True)
    nothing_stored(budget_app, evidence_dir)


def test_the_same_files_sent_one_request_at_a_time_are_accepted(budget_app):
    client = staff_client(budget_app)
    item_id = items_of(budget_app)[0]
    for n in range(3):
        assert upload(client, item_url(item_id), (f"bao-cao-{n}.docx", docx(2 * MB + n))).status_code == 303
    assert len(rows(budget_app)) == 3


def test_office_files_with_too_many_parts_together_are_refused(budget_app, evidence_dir):  # noqa: F811
    item_id = items_of(budget_app)[0]
    files = [(f"bai-giang-{n}.docx", docx(1024, parts=4 + n)) for n in range(2)]  # 6 + 7 entries, limit 10

    response = upload(staff_client(budget_app), item_url(item_id), *files)

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Chưa lưu tệp nào" in body and "quá nhiều thành phần (trên 10)" in body
    nothing_stored(budget_app, evidence_dir)

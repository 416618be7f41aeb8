"""Files over the upload limit, chosen in a real Chromium: refused before anything is sent.

The server refuses a request over MAX_UPLOAD_MB as its headers arrive, with a plain answer of
its own (aiplan/serving.py), so the page must say it first, in the app's words.
"""

import re

import pytest
from helpers import SCHOOL_A, browser_login, open_item
from playwright.sync_api import expect

from aiplan.extensions import db
from aiplan.models import EvidenceFile

pytestmark = pytest.mark.browser
MB = 1024 * 1024


@pytest.fixture
def app(seeded_app):
    return seeded_app(MAX_CONTENT_LENGTH=MB)


def test_files_over_the_upload_limit_are_refused_with_a_message_before_they_are_sent(app, new_page):
    page = new_page()
    browser_login(page, "staff_a")
    expect(page).to_have_url(re.compile(f"/schools/{SCHOOL_A}$"))
    evidence = page.locator("li.item").filter(has=page.locator(".item-title", has_text="Kế hoạch nhà trường"))
    uploads = []
    page.on("request", lambda request: uploads.append(request.url) if request.method == "POST" else None)

    chooser = open_item(evidence, files=True).get_by_label("Tải lên minh chứng")
    chooser.set_input_files([{"name": "video.mp4", "mimeType": "video/mp4", "buffer": b"\0" * (MB + 1)}])
    assert "vượt quá 1 MB mỗi lần gửi" in chooser.evaluate("input => input.validationMessage")
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    page.wait_for_timeout(500)
    assert uploads == []
    with app.app_context():
        assert db.session.query(EvidenceFile).count() == 0

    chooser.set_input_files([{"name": "ke-hoach.txt", "mimeType": "text/plain", "buffer": b"Ke hoach\n"}])
    assert chooser.evaluate("input => input.validationMessage") == ""
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    expect(evidence.get_by_role("link", name="ke-hoach.txt")).to_be_visible()

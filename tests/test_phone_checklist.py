"""A school's checklist on a 360×740 phone: short, and it answers every action (issue 15)."""

import io
import re
import time

import pytest
from helpers import SCHOOL_A, browser_login, open_item
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import ChecklistItem, EvidenceFile, School, Verdict

pytestmark = pytest.mark.browser
MB = 1024 * 1024
PHONE = {"width": 360, "height": 740}
PLAN_ITEM = "Xây dựng kế hoạch triển khai giáo dục AI"
EVIDENCE_ITEM = "Kế hoạch nhà trường"


@pytest.fixture
def app(seeded_app):
    return seeded_app(MAX_CONTENT_LENGTH=MB)


def item(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def stored_item(key: str) -> ChecklistItem:
    query = select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == key)
    return db.session.scalar(query)


def school_page(new_page, persona="staff_a", **options):
    page = new_page(**PHONE, **options)
    browser_login(page, persona)
    page.goto(f"/schools/{SCHOOL_A}")
    return page


@pytest.mark.parametrize("persona", ["staff_a", "ward_admin", "supervisor"])
def test_the_nine_item_checklist_is_at_most_3500_px_tall_on_a_phone_and_never_scrolls_sideways(new_page, persona):
    page = school_page(new_page, persona)
    expect(page.locator("li.item")).to_have_count(9)
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"checklist of {SCHOOL_A} as {persona} at 360×740: {height} px")
    assert height <= 3500, height
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Each item still says, folded, what it is, when it is due and where it stands.
    first = item(page, PLAN_ITEM)
    expect(first.locator(".item-meta")).to_contain_text("Quá hạn")
    expect(first.locator(".item-state")).to_contain_text("Chưa thực hiện")
    expect(first.locator(".item-state")).to_contain_text("Chưa kiểm tra")


def test_every_tap_target_on_the_checklist_is_at_least_44_px(new_page):
    page = school_page(new_page)
    open_item(item(page, EVIDENCE_ITEM), files=True)
    small = page.evaluate(
        """() => [...document.querySelectorAll(
            '.items a, .items button, .items summary, .items input, .items textarea')]
        .filter(e => e.checkVisibility() && e.type !== 'hidden')
        .map(e => [e.closest('label') || e, e.textContent.trim() || e.name])
        .map(([box, name]) => [name, box.getBoundingClientRect()])
        .map(([name, r]) => [name, Math.round(r.width), Math.round(r.height)])
        .filter(([, w, h]) => w < 44 || h < 44)"""
    )
    assert small == [], small
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_upload_is_folded_until_asked_for_and_shows_its_progress(app, new_page):
    page = school_page(new_page)
    evidence = open_item(item(page, EVIDENCE_ITEM))
    chooser = evidence.get_by_label("Tải lên minh chứng")
    expect(chooser).to_be_hidden()
    expect(evidence.get_by_text("Thêm tệp minh chứng")).to_be_visible()
    # The accepted types are said once, at the end of the page, not under every item.
    assert page.get_by_text(re.compile(r"PowerPoint \(\.ppt")).count() == 1

    open_item(evidence, files=True)
    expect(chooser).to_be_visible()
    answered = []
    serve = app.wsgi_app

    def slow(environ, start_response):  # the app answers late, as over a slow line, once all is sent
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/files"):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            time.sleep(1.5)
            answered.append(environ["PATH_INFO"])
            return serve(environ, start_response)
        return serve(environ, start_response)

    app.wsgi_app = slow
    chooser.set_input_files([{"name": "ke-hoach.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" * 60000}])
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    status = evidence.locator(".upload-progress [role=status]")
    expect(status).to_contain_text(re.compile(r"Đang tải lên… 100% \(0,5 MB / 0,5 MB\)"))
    expect(evidence.locator(".upload-progress progress")).to_have_attribute("value", "100")
    expect(evidence.get_by_role("link", name="ke-hoach.pdf")).to_be_visible()
    expect(evidence.locator("summary").first).to_contain_text("1 tệp minh chứng")
    assert answered


def test_a_file_over_the_limit_is_refused_inside_its_item_with_focus_kept_there(app, new_page):
    page = school_page(new_page)
    evidence = open_item(item(page, EVIDENCE_ITEM), files=True)
    chooser = evidence.get_by_label("Tải lên minh chứng")
    chooser.set_input_files([{"name": "video.mp4", "mimeType": "video/mp4", "buffer": b"\0" * (MB + 1)}])
    error = evidence.locator(".evidence-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("vượt quá 1 MB mỗi lần gửi")
    expect(chooser).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.activeElement.closest('li.item') && document.activeElement.closest('li.item').id")
    assert page.evaluate("document.activeElement.closest('li.item').id") == evidence.get_attribute("id")
    expect(page.locator("#error-region")).to_be_hidden()

    # The server's own refusal (413, before the app reads a byte) lands in the same place.
    chooser.evaluate("input => { input.removeAttribute('data-max-bytes'); input.setCustomValidity(''); }")
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    expect(error).to_contain_text(re.compile(r"Tệp quá lớn: Mỗi lần gửi, tổng dung lượng các tệp tối đa là 1 MB"))
    expect(page.locator("#error-region")).to_be_hidden()
    assert page.evaluate("document.activeElement.closest('li.item').id") == evidence.get_attribute("id")
    with app.app_context():
        assert db.session.query(EvidenceFile).count() == 0


def test_a_refused_upload_answered_by_the_app_keeps_focus_in_the_item(app, new_page):
    page = school_page(new_page)
    evidence = open_item(item(page, EVIDENCE_ITEM), files=True)
    evidence.get_by_label("Tải lên minh chứng").set_input_files(
        [{"name": "chay.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" + b"\0" * 100}]
    )
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    evidence = item(page, EVIDENCE_ITEM)
    expect(evidence.locator(".evidence-error")).to_contain_text("chay.exe")
    expect(evidence.get_by_label("Tải lên minh chứng")).to_be_visible()  # the disclosure opened itself
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('evidence-error')")
    assert page.evaluate("document.activeElement.closest('li.item').id") == evidence.get_attribute("id")


def test_saving_a_note_or_a_status_says_it_was_saved(new_page):
    page = school_page(new_page)
    plan = open_item(item(page, PLAN_ITEM))
    plan.get_by_label("Ghi chú").fill("Đã họp tổ chuyên môn")
    plan.get_by_role("button", name="Lưu ghi chú").click()
    saved = plan.locator(".item-saved[role=status]")
    expect(saved).to_contain_text(re.compile(r"Đã lưu lúc \d\d:\d\d"))
    page.wait_for_timeout(1500)
    expect(saved).to_contain_text("Đã lưu lúc")  # it stays long enough to be read

    evidence = open_item(item(page, "Hồ sơ lớp học"))
    evidence.get_by_role("button", name="Đang thực hiện").click()
    expect(evidence.get_by_role("button", name="Đang thực hiện")).to_have_attribute("aria-pressed", "true")
    expect(evidence.locator(".item-saved")).to_contain_text("Đã lưu lúc")


def test_without_javascript_the_page_after_a_save_says_it_was_saved(new_page):
    page = school_page(new_page, javascript=False)
    plan = open_item(item(page, PLAN_ITEM))
    plan.get_by_label("Ghi chú").fill("Đã họp tổ chuyên môn")
    plan.get_by_role("button", name="Lưu ghi chú").click()
    expect(page.get_by_text(f"Đã lưu: {PLAN_ITEM}")).to_be_visible()


def test_after_a_conflict_the_newer_note_is_shown_and_what_was_typed_is_kept(app, new_page):
    page = school_page(new_page)
    plan = open_item(item(page, PLAN_ITEM))
    with app.app_context():  # someone else saves first
        stored = stored_item("m3")
        stored.note = "Ghi chú của đồng nghiệp"
        db.session.commit()
    plan.get_by_label("Ghi chú").fill("Ghi chú của tôi, gõ rất lâu")
    plan.get_by_role("button", name="Lưu ghi chú").click()
    expect(plan.locator(".item-error")).to_contain_text("Người khác vừa cập nhật mục này")
    expect(plan.locator(".item-note")).to_contain_text("Ghi chú của đồng nghiệp")
    expect(plan.get_by_label("Ghi chú")).to_have_value("Ghi chú của tôi, gõ rất lâu")

    plan.get_by_role("button", name="Lưu ghi chú").click()  # sent again, over the newer version
    expect(plan.locator(".item-saved")).to_contain_text("Đã lưu lúc")
    with app.app_context():
        assert stored_item("m3").note == "Ghi chú của tôi, gõ rất lâu"


def test_without_javascript_a_conflict_keeps_what_was_typed_too(app, new_page):
    page = school_page(new_page, javascript=False)
    plan = open_item(item(page, PLAN_ITEM))
    with app.app_context():
        stored_item("m3").note = "Ghi chú của đồng nghiệp"
        db.session.commit()
    plan.get_by_label("Ghi chú").fill("Ghi chú của tôi")
    plan.get_by_role("button", name="Lưu ghi chú").click()
    plan = item(page, PLAN_ITEM)
    expect(plan.locator(".item-note")).to_contain_text("Ghi chú của đồng nghiệp")
    expect(plan.get_by_label("Ghi chú")).to_have_value("Ghi chú của tôi")


def _sent_back(app, key):
    with app.app_context():
        stored = stored_item(key)
        stored.verdict, stored.verdict_reason = Verdict.NEEDS_MORE, "Thiếu chữ ký hiệu trưởng"
        db.session.commit()


def test_a_new_file_after_cần_bổ_sung_shows_the_resubmitted_badge_at_once(app, new_page):
    _sent_back(app, "t1/ke-hoach-nha-truong")
    page = school_page(new_page)
    page.evaluate("window.notReloaded = true")
    evidence = item(page, EVIDENCE_ITEM)
    expect(evidence.locator(".item-state")).to_contain_text("Cần bổ sung")
    expect(evidence.locator(".item-state")).not_to_contain_text("Đã bổ sung, chờ kiểm tra lại")
    open_item(evidence, files=True).get_by_label("Tải lên minh chứng").set_input_files(
        [{"name": "ke-hoach-da-ky.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    expect(evidence.locator(".item-state")).to_contain_text("Đã bổ sung, chờ kiểm tra lại")
    assert page.evaluate("window.notReloaded") is True


def test_a_status_change_after_cần_bổ_sung_shows_the_resubmitted_badge_at_once(app, new_page):
    _sent_back(app, "m3")
    page = school_page(new_page)
    plan = open_item(item(page, PLAN_ITEM))
    plan.get_by_role("button", name="Đang thực hiện").click()
    expect(plan.locator(".item-state")).to_contain_text("Đã bổ sung, chờ kiểm tra lại")


def test_date_fields_are_date_pickers_that_take_an_iso_date_or_one_typed_as_dd_mm_yyyy(new_page):
    page = new_page(**PHONE)
    browser_login(page, "staff_a")
    page.goto(f"/schools/{SCHOOL_A}/activities")
    starts = page.locator("form.activity-form").get_by_label(re.compile(r"^Ngày bắt đầu"))
    expect(starts).to_have_attribute("type", "date")
    starts.fill("2026-03-02")
    expect(starts).to_have_value("2026-03-02")


def test_the_front_servers_plain_413_is_said_in_the_apps_words_inside_the_item(app, new_page):
    serve = app.wsgi_app

    def front(environ, start_response):  # waitress refuses an oversized body before the app sees it
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/files"):
            start_response("413 Request Entity Too Large", [("Content-Type", "text/plain")])
            return [b"Request Entity Too Large"]
        return serve(environ, start_response)

    app.wsgi_app = front
    page = school_page(new_page)
    evidence = open_item(item(page, EVIDENCE_ITEM), files=True)
    evidence.get_by_label("Tải lên minh chứng").set_input_files(
        [{"name": "nho.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    expect(evidence.locator(".evidence-error")).to_contain_text("vượt quá 1 MB mỗi lần gửi")
    expect(page.locator("#error-region")).to_be_hidden()
    assert page.evaluate("document.activeElement.closest('li.item').id") == evidence.get_attribute("id")

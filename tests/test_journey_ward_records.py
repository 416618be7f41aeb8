"""The ward's own records in a real Chromium, on a phone: the ward logs its conference (milestone 2)
with its attendance and a file, ticks the milestone, and sees it done."""

import re

import pytest
from helpers import browser_login, open_item
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
CONFERENCE = "Tổ chức hội nghị/hội thảo hướng dẫn triển khai giáo dục AI"


def milestone(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone"


def test_the_ward_logs_its_conference_with_a_file_and_sees_milestone_2_done(new_page, tmp_path):
    minutes = tmp_path / "Biên bản hội nghị.pdf"
    minutes.write_bytes(PDF)
    page = new_page(width=360, height=740)
    browser_login(page, "ward_admin")

    page.goto("/ward")
    no_overflow(page)
    m2 = milestone(page, CONFERENCE)
    m2.get_by_role("link", name="Ghi nhận hoạt động cho mốc này").click()
    form = page.locator("form.activity-form")
    expect(form.get_by_label("Minh chứng cho mốc")).to_have_value(re.compile(r"^[1-9]\d*$"))
    no_overflow(page)

    form.get_by_role("button", name="Ghi nhận hoạt động").click()  # nothing typed yet
    expect(page.get_by_role("alert").first).to_contain_text("Hoạt động chưa được lưu")
    expect(page.get_by_role("link", name="Nhập tên hoạt động")).to_be_visible()

    form = page.locator("form.activity-form")
    form.get_by_label("Hội nghị, hội thảo").check()
    form.get_by_label("Tên hoạt động").fill("Hội nghị triển khai giáo dục AI")
    form.get_by_label(re.compile(r"^Ngày bắt đầu")).fill("2025-09-15")
    form.get_by_label("Địa điểm").fill("Hội trường UBND phường")
    form.get_by_label(re.compile(r"^Số người tham dự")).fill("120")
    form.get_by_label("Giáo viên").check()
    form.get_by_label("Cha mẹ học sinh").check()
    form.get_by_role("button", name="Ghi nhận hoạt động").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Hội nghị triển khai giáo dục AI")
    expect(page.locator("#ward-activity-participants")).to_have_text("120")
    page.get_by_label("Tải lên minh chứng").set_input_files(minutes)
    page.get_by_role("button", name="Tải lên", exact=True).click()
    expect(page.get_by_role("link", name="Biên bản hội nghị.pdf")).to_be_visible()
    no_overflow(page)

    page.get_by_role("link", name="Danh mục việc").click()
    m2 = open_item(milestone(page, CONFERENCE))
    expect(m2.get_by_role("link", name="Hội nghị triển khai giáo dục AI")).to_be_visible()
    m2.get_by_role("button", name="Đã hoàn thành").click()
    expect(m2.get_by_role("button", name="Đã hoàn thành")).to_have_attribute("aria-pressed", "true")
    page.reload()
    m2 = milestone(page, CONFERENCE)
    expect(m2.locator(".item-state")).to_contain_text("Đã hoàn thành")
    no_overflow(page)

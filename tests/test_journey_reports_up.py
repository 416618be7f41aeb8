"""A report to the Sở GD&ĐT from the browser, in a real Chromium on a phone: a ward admin goes from
the ward report to the reports to the Sở, types a period that ends before it starts and is told so,
fixes it, writes the narrative and sees it in the preview, and nothing overflows the screen."""

import re

import pytest
from helpers import browser_login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
HIGHLIGHTS = "Các trường tiểu học đều lồng ghép nội dung AI trong môn Tin học."


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_ward_admin_writes_a_report_to_the_so_from_a_phone(new_page, app):
    page = new_page(width=360, height=740)
    browser_login(page, "ward_admin")

    page.goto("/ward/report")
    reports = page.get_by_role("navigation", name="Các báo cáo của phường")
    reports.get_by_role("link", name="Báo cáo gửi Sở GD&ĐT").click()
    expect(page.get_by_role("heading", name="Báo cáo gửi Sở Giáo dục và Đào tạo")).to_be_visible()
    page.get_by_role("link", name="Tạo báo cáo").click()
    page.get_by_label("Báo cáo đột xuất").check()
    page.get_by_label("Từ ngày").fill("2025-12-31")
    page.get_by_label("Đến ngày").fill("2025-09-01")
    page.get_by_role("button", name="Tạo báo cáo").click()

    expect(page.get_by_role("alert")).to_contain_text("ngày kết thúc (đến ngày) trước ngày bắt đầu")
    expect(page.get_by_label("Đến ngày")).to_have_attribute("aria-invalid", "true")
    assert overflow(page) <= 0, "the form overflows the phone"

    page.get_by_label("Đến ngày").fill("2026-01-15")
    page.get_by_role("button", name="Tạo báo cáo").click()
    expect(page).to_have_url(re.compile(r"/ward/reports-up/\d+$"))
    page.get_by_label("Kết quả nổi bật").fill(HIGHLIGHTS)
    page.get_by_role("button", name="Lưu nội dung báo cáo").click()

    expect(page.locator(".report-document")).to_contain_text(HIGHLIGHTS)
    expect(page.locator(".report-document")).to_contain_text("Kính gửi: Sở Giáo dục và Đào tạo Hà Nội.")
    expect(page.locator(".report-document")).to_contain_text("TM. ỦY BAN NHÂN DÂN")
    assert overflow(page) <= 0, "the report page overflows the phone"
    # Made by a job (8 schools, JOB_MIN_SCHOOLS): its page, then its link.
    page.get_by_role("button", name="Tải báo cáo (DOCX)").click()
    download_link = page.get_by_role("link", name=re.compile("^Tải về"))
    assert overflow(page) <= 0, "the job page overflows the phone"
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.startswith("bao-cao-so-gddt-dot-xuat-20251231")
    page.goto("/ward/reports-up")
    expect(page.get_by_text("Báo cáo đột xuất")).to_be_visible()

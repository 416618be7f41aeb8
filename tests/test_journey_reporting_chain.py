"""The reporting chain of mốc 8 walked in a real Chromium, from a school's report to the UBND phường's
report to the Sở GD&ĐT: the school reports (its report addressed up the chain, its mốc 8 ticked),
the ward sees it arrive in the chain, and the UBND phường reports on to the Sở."""

import re

import pytest
from docx import Document
from helpers import SCHOOL_A, browser_login, open_item
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def item(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def docx_text(download) -> str:
    document = Document(download.path())
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_chain_from_a_schools_report_to_the_ubnds_report_to_the_so(new_page):
    school = new_page()
    browser_login(school, "staff_a")
    expect(school).to_have_url(re.compile(f"/schools/{SCHOOL_A}$"))
    school.get_by_role("link", name="Báo cáo", exact=True).first.click()
    expect(school.get_by_role("heading", level=1)).to_have_text("Báo cáo kết quả triển khai")
    recipients = school.get_by_role("region", name="Nơi nhận")
    expect(recipients).to_contain_text("UBND phường Long Biên (qua Phòng Văn hóa - Xã hội)")
    expect(recipients).to_contain_text("Sở Giáo dục và Đào tạo Hà Nội")
    with school.expect_download() as report:
        school.get_by_role("link", name="Tải báo cáo (DOCX)").click()
    assert "Sở Giáo dục và Đào tạo Hà Nội" in docx_text(report.value)

    school.goto(f"/schools/{SCHOOL_A}")
    mine = open_item(item(school, "Tổng hợp, báo cáo kết quả triển khai cấp cơ sở"))
    mine.get_by_role("button", name="Đã hoàn thành").click()
    expect(mine.get_by_role("button", name="Đã hoàn thành")).to_have_attribute("aria-pressed", "true")

    ward = new_page()
    browser_login(ward, "ward_admin")
    ward.goto("/ward")
    chain = ward.get_by_role("region", name=re.compile("^Chuỗi báo cáo"))
    schools_link = chain.locator("li.item").first
    expect(schools_link).to_contain_text("UBND phường")
    expect(schools_link).to_contain_text(re.compile(r"Đã báo cáo: 1/\d+ trường"))

    # The Phòng VHXH's consolidated report to the UBND phường, then the ward's own mốc 8.
    ward.goto("/ward/report")
    expect(ward.get_by_role("heading", level=1)).to_have_text("Báo cáo tổng hợp của phường")
    # The ward's DOCX (8 schools, JOB_MIN_SCHOOLS) is made by a job: its page, then its link.
    ward.get_by_role("button", name="Tải báo cáo (DOCX)").click()
    with ward.expect_download() as consolidated:
        ward.get_by_role("link", name=re.compile("^Tải về")).click()
    assert "Trường Tiểu học Đoàn Kết" in docx_text(consolidated.value)
    ward.goto("/ward")
    own = open_item(item(ward, "Tổng hợp, báo cáo kết quả triển khai cấp cơ sở"))
    own.get_by_role("button", name="Đã hoàn thành").click()
    expect(own.get_by_role("button", name="Đã hoàn thành")).to_have_attribute("aria-pressed", "true")

    # The UBND phường reports on to the Sở.
    ward.goto("/ward/report")
    ward.get_by_role("navigation", name="Các báo cáo của phường").get_by_role(
        "link", name="Báo cáo gửi Sở GD&ĐT"
    ).click()
    ward.get_by_role("link", name="Tạo báo cáo").click()
    ward.get_by_label("Báo cáo định kỳ").check()
    ward.get_by_label("Từ ngày").fill("2026-01-19")
    ward.get_by_label("Đến ngày").fill("2026-05-31")
    ward.get_by_role("button", name="Tạo báo cáo").click()
    expect(ward).to_have_url(re.compile(r"/ward/reports-up/\d+$"))
    document = ward.locator(".report-document")
    expect(document).to_contain_text("Kính gửi: Sở Giáo dục và Đào tạo Hà Nội.")
    expect(document).to_contain_text("TM. ỦY BAN NHÂN DÂN")
    ward.get_by_role("button", name="Tải báo cáo (DOCX)").click()
    with ward.expect_download() as upward:
        ward.get_by_role("link", name=re.compile("^Tải về")).click()
    text = docx_text(upward.value)
    assert "TM. ỦY BAN NHÂN DÂN" in text and "/BC-UBND" in text
    assert "Sở Giáo dục và Đào tạo Hà Nội (để báo cáo)" in text

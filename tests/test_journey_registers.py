"""The equipment survey and the resources register in a real Chromium, on a phone: a school fills in
its survey and records a contribution (refused as confirmed until all four conditions are ticked,
then with its agreement attached); the ward sees the gaps, the totals and the rollup's sections."""

import re

import pytest
from helpers import SCHOOL_A, browser_login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone"


def test_a_school_fills_its_survey_and_records_a_confirmed_contribution(new_page, tmp_path):
    agreement = tmp_path / "Thỏa thuận tài trợ.pdf"
    agreement.write_bytes(PDF)
    page = new_page(width=360, height=740)
    browser_login(page, "staff_a")

    page.goto(f"/schools/{SCHOOL_A}")
    page.get_by_text("Hồ sơ khác").click()
    page.get_by_role("link", name="Thiết bị", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rà soát thiết bị, hạ tầng")
    expect(page.locator(".plan-line").first).to_contain_text("phòng máy tính có kết nối Internet")
    no_overflow(page)
    form = page.locator("#survey-form form")
    form.get_by_label(re.compile(r"^Số phòng máy tính")).fill("2")
    form.get_by_label(re.compile(r"^Số phòng máy có kết nối")).fill("3")  # more than the rooms
    form.get_by_label(re.compile(r"^Số máy tính đang dùng được")).fill("40")
    form.get_by_label(re.compile(r"^Số học sinh của trường")).fill("1200")
    form.get_by_label(re.compile(r"^Băng thông Internet")).fill("100")
    form.get_by_label(re.compile(r"^Số thiết bị phục vụ")).fill("5")
    form.get_by_role("button", name="Lưu số liệu").click()
    expect(page.get_by_role("link", name="Số phòng có Internet không thể lớn hơn số phòng máy tính.")).to_be_visible()
    page.locator("#survey-form form").get_by_label(re.compile(r"^Số phòng máy có kết nối")).fill("2")
    page.locator("#survey-form form").get_by_role("button", name="Lưu số liệu").click()
    expect(page.get_by_text("Đã lưu số liệu rà soát.")).to_be_visible()
    expect(page.locator(".equipment-table")).to_contain_text("30")  # pupils per machine
    no_overflow(page)

    page.get_by_text("Hồ sơ khác").click()
    page.get_by_role("link", name="Nguồn lực", exact=True).click()
    form = page.locator("form.resource-form")
    form.get_by_label("Xã hội hóa (tài trợ, đóng góp)").check()
    form.get_by_label(re.compile(r"^Nguồn")).fill("Công ty TNHH Ví Dụ")
    form.get_by_label("Số tiền (đồng)").fill("15.000.000")
    form.get_by_label(re.compile(r"^Ngày")).fill("2026-03-15")
    form.get_by_label(re.compile(r"^Mục đích sử dụng")).fill("Bộ robot cho câu lạc bộ AI")
    form.get_by_label("Bảo đảm tự nguyện").check()
    form.get_by_label("Không thương mại hóa").check()
    form.get_by_label(re.compile("xác nhận khoản đóng góp này")).check()
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.locator("#error-summary")).to_contain_text("Không gắn với điều kiện học tập")
    expect(page.locator("#error-summary")).to_contain_text("Không ép buộc")
    no_overflow(page)

    form = page.locator("form.resource-form")
    form.get_by_label("Không gắn với điều kiện học tập").check()
    form.get_by_label("Không ép buộc").check()
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Công ty TNHH Ví Dụ")
    expect(page.locator("#confirmed")).to_contain_text("Đã xác nhận đủ bốn điều kiện")
    page.get_by_label("Tải lên minh chứng").set_input_files(agreement)
    page.get_by_role("button", name="Tải lên", exact=True).click()
    expect(page.get_by_role("link", name="Thỏa thuận tài trợ.pdf")).to_be_visible()
    no_overflow(page)


def test_the_ward_sees_the_gaps_and_the_totals_without_javascript(new_page):
    page = new_page(width=360, height=740, javascript=False)
    browser_login(page, "ward_admin")
    page.goto("/ward")
    page.get_by_text("Hồ sơ khác").click()
    page.get_by_role("link", name="Thiết bị", exact=True).click()
    expect(page.locator("#thresholds")).to_contain_text("trên 20 học sinh/máy")
    expect(page.locator("#equipment-schools")).to_contain_text("Chưa gửi số liệu rà soát")
    no_overflow(page)
    page.get_by_text("Hồ sơ khác").click()
    page.get_by_role("link", name="Nguồn lực", exact=True).click()
    form = page.locator("form.resource-form")
    form.get_by_label("Ngân sách nhà nước (theo phân cấp)").check()
    form.get_by_label(re.compile(r"^Nguồn")).fill("Chi thường xuyên 2026")
    form.get_by_label("Số tiền (đồng)").fill("100000000")
    form.get_by_label(re.compile(r"^Ngày")).fill("2026-02-15")
    form.get_by_label(re.compile(r"^Mục đích sử dụng")).fill("Tập huấn giáo viên")
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chi thường xuyên 2026")
    page.goto("/ward/resources")
    expect(page.locator(".resource-totals").first).to_contain_text("100.000.000 đ")
    no_overflow(page)
    page.goto("/rollup")
    expect(page.locator("#resources-h")).to_be_visible()
    expect(page.locator("#equipment-h")).to_be_visible()

"""A ward admin on a phone (360 × 740), in a real Chromium: records the decision forming the team
with its scan, schedules an unannounced visit outside the mid-HK II window citing it, and reads
the minutes that cite it."""

import re

import pytest
from helpers import browser_login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n%quyet dinh\n%%EOF\n"


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def test_a_ward_admin_records_the_decision_and_schedules_an_unannounced_visit_on_a_phone(new_page, live_server):
    phone = new_page(width=360, height=740)
    browser_login(phone, "ward_admin")
    phone.goto("/inspections")
    phone.get_by_role("link", name="Quyết định thành lập đoàn").click()
    expect(phone).to_have_url(re.compile(r"/inspections/decisions$"))
    phone.get_by_label("Số quyết định").fill("12/QĐ-UBND")
    phone.get_by_label("Ngày ký").fill("2026-01-02")
    phone.get_by_label(re.compile("^Tệp quyết định")).set_input_files(
        {"name": "qd-thanh-lap-doan.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    no_sideways_scroll(phone)
    phone.get_by_role("button", name="Ghi quyết định").click()
    expect(phone.get_by_role("heading", name="Quyết định số 12/QĐ-UBND ngày 02/01/2026")).to_be_visible()

    phone.goto("/inspections/new")
    phone.get_by_label("Trường").select_option(label="Trường Tiểu học Đoàn Kết")
    phone.get_by_label("Đột xuất").check()
    phone.get_by_label("Ngày kiểm tra").fill("2026-01-15")
    phone.get_by_label("Giờ bắt đầu").fill("08:00")
    phone.get_by_label("Giờ kết thúc").fill("10:30")
    phone.get_by_label("Quyết định thành lập đoàn kiểm tra").select_option(
        label="Quyết định số 12/QĐ-UBND ngày 02/01/2026"
    )
    phone.get_by_label("giamsat").check()
    no_sideways_scroll(phone)
    phone.get_by_role("button", name="Lên lịch").click()
    expect(phone).to_have_url(re.compile(r"/inspections$"))
    expect(phone.get_by_text("Đột xuất · 15/01/2026 08:00–10:30")).to_be_visible()

    phone.get_by_role("link", name="Trường Tiểu học Đoàn Kết").first.click()
    expect(phone.get_by_text("Căn cứ Quyết định số 12/QĐ-UBND ngày 02/01/2026")).to_be_visible()
    no_sideways_scroll(phone)
    visit = re.search(r"/inspections/(\d+)$", phone.url).group(1)
    phone.goto(f"/inspections/{visit}/minutes")
    expect(
        phone.get_by_text("Căn cứ Quyết định số 12/QĐ-UBND ngày 02 tháng 01 năm 2026 về việc thành lập đoàn kiểm tra;")
    ).to_be_visible()
    expect(phone.get_by_text(re.compile("^Hôm nay, ngày 15 tháng 01 năm 2026, vào hồi 08 giờ 00 phút"))).to_be_visible()

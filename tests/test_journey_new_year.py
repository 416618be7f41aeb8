"""The year cycle from the browser, in a real Chromium on a phone: a ward admin imports a schools
file with one bad row, fixes it and imports it, creates a staff account for the new school,
starts 2026-2027 with that school in the pilot, opens it, and sees the new checklists; the new
account signs in, sets its own password and lands on its school's 2026-2027 checklist."""

import re

import pytest
from helpers import browser_login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
HEADER = "slug,tên trường,cấp học,thí điểm,hoạt động\n"
GOOD = "th-ngoc-thuy,Trường Tiểu học Ngọc Thụy,tiểu học,không,có\n"
BAD = "thcs-gia-thuy,Trường THCS Gia Thụy,mầm non,không,có\n"
FIXED = "thcs-gia-thuy,Trường THCS Gia Thụy,THCS,không,có\n"


def upload(page, text: str) -> None:
    page.get_by_label("Tệp CSV hoặc XLSX").set_input_files(
        files=[{"name": "truong-moi.csv", "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.get_by_role("button", name="Xem trước").click()


def test_a_ward_admin_runs_the_year_cycle_from_a_phone(new_page, app):
    page = new_page(width=360, height=740)
    browser_login(page, "ward_admin")

    page.locator(".menu-button").click()  # on a phone the links wait behind the menu button
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Quản trị").click()
    expect(page.get_by_role("heading", name="Trường học", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Quản trị").get_by_role("link", name="Nhập danh sách").click()
    upload(page, HEADER + GOOD + BAD)
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("Chưa nhập gì.")
    expect(problems).to_contain_text("Dòng 3")
    expect(page.get_by_role("button", name=re.compile(r"^Nhập \d+ dòng$"))).to_have_count(0)

    upload(page, HEADER + GOOD + FIXED)
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="Nhập 2 dòng").click()
    expect(page.get_by_role("heading", name="Đã nhập danh sách")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Trường học: thêm 2, cập nhật 0")

    page.goto("/admin/accounts")
    page.get_by_role("link", name="Tạo tài khoản").click()
    page.get_by_label("Tên đăng nhập").fill("canbo.ngocthuy")
    page.get_by_label("Họ tên").fill("Nguyễn Thị Thu")
    page.get_by_label("Vai trò").select_option(label="Cán bộ nhà trường")
    page.get_by_label("Trường", exact=True).select_option(label="Trường Tiểu học Ngọc Thụy")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.get_by_role("heading", name="Đã tạo tài khoản")).to_be_visible()
    temporary = page.locator("code.one-time-password").inner_text().strip()
    assert len(temporary) >= 12

    page.locator(".menu-button").click()
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Quản trị").click()
    page.get_by_role("navigation", name="Quản trị").get_by_role("link", name="Năm học").click()
    page.get_by_role("button", name="Bắt đầu năm học 2026-2027").click()
    expect(page.get_by_role("heading", name="Năm học 2026-2027")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Đang chuẩn bị")
    expect(page.locator("main")).to_contain_text("trước ngày 09/06/2027 (hạn hằng năm)")
    page.get_by_label("Trường Tiểu học Ngọc Thụy (Tiểu học)").check()
    page.get_by_role("button", name="Lưu trường thí điểm").click()
    expect(page.get_by_role("status").first).to_contain_text("Đã lưu 3 trường thí điểm")
    page.get_by_role("button", name="Mở năm học 2026-2027").click()
    expect(page.get_by_role("status").first).to_contain_text("Đã mở năm học 2026-2027")
    expect(page.get_by_label("Năm học")).to_have_value("2026-2027")

    page.goto("/schools/th-ngoc-thuy")
    main = page.locator("main")
    expect(main).to_contain_text("Năm học 2026-2027")
    expect(main).to_contain_text("Trường thí điểm")
    expect(main).to_contain_text("Hạn 08/06/2027")  # the yearly report, before 09/6
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the checklist scrolls sideways by {overflow}px on a 360px screen"

    # The past year is one choice away, and read-only.
    page.locator(".year-switch summary").click()  # the year line opens to the switcher
    page.get_by_label("Năm học").select_option("2025-2026")
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(page.locator(".year-notice")).to_contain_text("Bạn đang xem năm học 2025-2026 đã kết thúc")

    staff = new_page(width=360, height=740)
    staff.goto("/login")
    staff.get_by_label("Tên đăng nhập").fill("canbo.ngocthuy")
    staff.get_by_label("Mật khẩu").fill(temporary)
    staff.get_by_role("button", name="Đăng nhập").click()
    expect(staff.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    staff.get_by_label("Mật khẩu hiện tại").fill(temporary)
    staff.get_by_label(re.compile(r"^Mật khẩu mới")).fill("cay-phuong-do-mua-he")
    staff.get_by_label("Nhập lại mật khẩu mới").fill("cay-phuong-do-mua-he")
    staff.get_by_role("button", name="Đổi mật khẩu").click()
    expect(staff).to_have_url(re.compile(r"/schools/th-ngoc-thuy$"))
    expect(staff.locator("main")).to_contain_text("Năm học 2026-2027")

"""Teacher training in a real Chromium, on a phone: a school imports its staff roster from the
sample file, adds one more teacher, records a training session with those who attended, sees the
distinct teachers trained and a teacher's history; the ward reads it in the rollup."""

import re

import pytest
from helpers import SCHOOL_A, browser_login
from playwright.sync_api import expect

from aiplan.training.samples import sample_csv

pytestmark = pytest.mark.browser


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_school_keeps_its_roster_and_sessions_and_the_ward_sees_who_was_trained(new_page, tmp_path, javascript):
    roster = tmp_path / "danh-sach-giao-vien.csv"
    roster.write_bytes(sample_csv())
    page = new_page(width=360, height=740, javascript=javascript)
    browser_login(page, "staff_a")

    page.goto(f"/schools/{SCHOOL_A}")
    page.get_by_text("Hồ sơ khác").click()
    page.get_by_role("link", name="Bồi dưỡng GV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tập huấn, bồi dưỡng giáo viên")
    page.get_by_text("Kế hoạch nói gì về tập huấn, bồi dưỡng giáo viên").click()
    expect(page.get_by_text("Xây dựng kế hoạch tổ chức các lớp tập huấn", exact=False)).to_be_visible()
    no_overflow(page)

    page.get_by_text("Viết kế hoạch").click()
    page.get_by_role("textbox", name="Kế hoạch tập huấn, bồi dưỡng").fill(
        "Hai lớp tập huấn trong HK I; sinh hoạt chuyên môn hằng tháng."
    )
    page.get_by_role("button", name="Lưu kế hoạch").click()
    expect(page.locator("#training-plan-text")).to_contain_text("Hai lớp tập huấn trong HK I")

    page.get_by_role("link", name="Danh sách giáo viên").first.click()
    page.get_by_role("link", name="Nhập từ tệp CSV/XLSX").click()
    page.get_by_label("Tệp danh sách giáo viên (.csv hoặc .xlsx)").set_input_files(roster)
    page.get_by_role("button", name="Nhập danh sách").click()
    expect(page.locator("#roster-preview")).to_contain_text("Thêm vào danh sách")
    page.get_by_role("button", name="Xác nhận nhập").click()
    expect(page.locator("#roster")).to_contain_text("Nguyễn Thị Ví Dụ")

    page.get_by_label(re.compile(r"^Họ và tên")).fill("Phạm Minh Đức")
    page.get_by_label("Môn dạy").fill("Toán")
    page.get_by_role("button", name="Thêm vào danh sách").click()
    expect(page.locator("#roster")).to_contain_text("Phạm Minh Đức")
    expect(page.locator("#roster-count")).to_have_text("3 giáo viên")
    no_overflow(page)

    page.get_by_role("link", name="Kế hoạch và các buổi bồi dưỡng").click()
    page.get_by_role("link", name="Ghi nhận buổi bồi dưỡng").click()
    page.get_by_role("button", name="Ghi nhận").click()  # nothing typed yet
    expect(page.locator("#error-summary")).to_contain_text("Nhập tên lớp tập huấn hoặc buổi bồi dưỡng.")
    page.get_by_label(re.compile(r"^Tên lớp tập huấn")).fill("Tập huấn ứng dụng AI trong dạy học")
    page.get_by_label(re.compile(r"^Ngày tổ chức")).fill("2025-10-15")  # the date picker's value
    page.get_by_label(re.compile(r"^Nội dung")).select_option(index=2)  # "b. …", the second content area
    page.get_by_label("UBND phường (Phòng VHXH)").check()
    page.get_by_label("Nguyễn Thị Ví Dụ — Tin học").check()
    page.get_by_label("Phạm Minh Đức — Toán").check()
    no_overflow(page)
    page.get_by_role("button", name="Ghi nhận").click()

    expect(page.locator("#teachers-trained")).to_have_text("2 (67%)")
    expect(page.locator(".training-relation")).to_contain_text("Hai cách đếm")
    page.get_by_role("link", name="Tập huấn ứng dụng AI trong dạy học").click()
    page.locator("#session-teachers").get_by_role("link", name="Phạm Minh Đức").click()
    expect(page.locator("#teacher-history")).to_contain_text("Tập huấn ứng dụng AI trong dạy học")
    expect(page.locator("#teacher-history")).to_contain_text("15/10/2025")
    no_overflow(page)

    ward = new_page(width=360, height=740, javascript=javascript)
    browser_login(ward, "ward_admin")
    ward.goto("/rollup")
    expect(ward.locator("#rollup-teachers-trained")).to_contain_text("2")
    ward.get_by_role("link", name="Xem từng trường").click()
    expect(ward.locator("#training-by-school")).to_contain_text("67%")
    no_overflow(ward)

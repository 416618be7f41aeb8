"""Problems raised in a real Chromium on a phone (issue 17, part 7): a school reports a problem with a
file to the Phòng VHXH; a ward admin finds it on the ward page, answers, assigns it to herself and
closes it; the school reads the answer; the rollup counts it."""

import re

import pytest
from helpers import SCHOOL_A, browser_login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
SUBJECT = "Phòng máy thiếu máy tính cho lớp thí điểm"


def no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_a_school_raises_a_problem_and_the_ward_answers_and_closes_it(new_page, tmp_path):
    proposal = tmp_path / "Đề nghị bổ sung máy.pdf"
    proposal.write_bytes(PDF)
    school = new_page(**PHONE)
    browser_login(school, "staff_a")
    school.goto(f"/schools/{SCHOOL_A}")
    school.locator(".subnav").get_by_role("link", name="Vướng mắc").click()
    expect(school.get_by_role("heading", name="Khó khăn, vướng mắc")).to_be_visible()
    expect(school.locator(".plan-line")).to_contain_text("báo cáo kịp thời về UBND phường")
    form = school.locator("form.problem-form")
    form.get_by_role("button", name="Gửi vướng mắc").click()  # nothing typed
    expect(school.locator(".error-summary")).to_contain_text("Hãy ghi vấn đề vướng mắc")
    form = school.locator("form.problem-form")
    form.get_by_label("Vấn đề").fill(SUBJECT)
    form.get_by_label("Nội dung chi tiết").fill("Chỉ 10/35 máy chạy được.")
    form.get_by_label("Mục việc liên quan (nếu có)").select_option(
        label="Xây dựng kế hoạch triển khai giáo dục AI tại địa phương, nhà trường"
    )
    form.get_by_label("Tệp gửi kèm (nếu có)").set_input_files(str(proposal))
    form.get_by_role("button", name="Gửi vướng mắc").click()
    expect(school.get_by_role("heading", name=SUBJECT)).to_be_visible()
    expect(school.get_by_role("link", name="Đề nghị bổ sung máy.pdf")).to_be_visible()
    no_overflow(school)

    ward = new_page(**PHONE)
    browser_login(ward, "ward_admin")
    ward.goto("/ward")
    expect(ward.locator(".problems-card")).to_contain_text("1 vướng mắc đang chờ xử lý")
    ward.locator(".problems-card").get_by_role("link", name="Xem các vướng mắc").click()
    ward.get_by_role("link", name=SUBJECT).click()
    ward.get_by_label("Nội dung trả lời").fill("Phường sẽ bổ sung 5 máy trong tháng 3.")
    ward.get_by_role("button", name="Gửi trả lời").click()
    expect(ward.locator(".problem-thread")).to_contain_text("Phường sẽ bổ sung 5 máy trong tháng 3.")
    ward.get_by_label("Cán bộ xử lý").select_option(label="admin")
    ward.get_by_role("button", name="Giao xử lý").click()
    expect(ward.locator(".page-head")).to_contain_text("Xử lý: admin")
    ward.get_by_role("button", name="Đóng vấn đề (đã giải quyết)").click()
    expect(ward.locator(".page-head")).to_contain_text("Đã đóng")
    expect(ward.get_by_role("button", name="Mở lại vấn đề")).to_be_visible()
    no_overflow(ward)

    school.reload()
    expect(school.locator(".problem-thread")).to_contain_text("Phường sẽ bổ sung 5 máy trong tháng 3.")
    expect(school.locator(".page-head")).to_contain_text("Đã đóng")
    expect(school.get_by_label("Nội dung trả lời")).to_have_count(0)  # closed: no more messages

    ward.goto("/rollup")
    section = ward.locator("section", has=ward.get_by_role("heading", name="Phân công và vướng mắc"))
    expect(section).to_contain_text(re.compile(r"Vướng mắc đã đóng\s*1"))
    no_overflow(ward)

"""The AI tools register in a real Chromium with JavaScript off, on a phone: a school lists the tool
its pilot class uses and the pupil data it receives, sees that parents' consent is missing, files
the signed consent (kept restricted), and the ward's gap list empties."""

import re

import pytest
from helpers import SCHOOL_A, browser_login
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import Activity, DeliveryForm, Plan, School

pytestmark = pytest.mark.browser

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200) + b"\xff\xd9"


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone"


@pytest.fixture
def pilot_class(app):
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        plan = db.session.scalar(select(Plan))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        db.session.add(Activity(school=school, plan=plan, form=form, title="Lớp chuyên đề AI", class_name="5A"))
        db.session.commit()


def test_a_school_registers_a_tool_files_the_consent_and_the_ward_gap_closes(pilot_class, new_page, tmp_path):
    scan = tmp_path / "Đồng ý của cha mẹ 5A.jpg"
    scan.write_bytes(JPEG)
    page = new_page(width=360, height=740, javascript=False)
    browser_login(page, "staff_a")

    page.goto(f"/schools/{SCHOOL_A}/ai-tools")
    expect(page.locator(".plan-line")).to_contain_text("bảo mật dữ liệu cá nhân")
    form = page.locator("form.tool-form")
    form.get_by_label(re.compile(r"^Tên công cụ")).fill("Teachable Machine")
    form.get_by_label("Nhà cung cấp").fill("Google")
    form.get_by_label("Hình ảnh, khuôn mặt").check()
    form.get_by_label("Không cần tài khoản").check()
    form.get_by_role("button", name="Thêm vào danh mục").click()
    card = page.locator(".tool-card", has_text="Teachable Machine")
    expect(card).to_contain_text("Nhận dữ liệu học sinh, chưa có bản đồng ý")
    no_overflow(page)

    ward = new_page(width=360, height=740, javascript=False)
    browser_login(ward, "ward_admin")
    ward.goto("/ward/ai-tools")
    expect(ward.locator(".gap-list")).to_contain_text("Teachable Machine")
    no_overflow(ward)

    consent = page.locator("form.consent-form")
    consent.get_by_label(re.compile(r"^Lớp hoặc hoạt động")).select_option(label="Lớp chuyên đề AI (5A)")
    consent.get_by_label(re.compile(r"^Lớp hoặc nhóm học sinh")).fill("Lớp 5A")
    consent.get_by_label(re.compile(r"^Ngày cha mẹ học sinh đồng ý")).fill("2025-09-20")
    consent.get_by_label("Teachable Machine").check()
    consent.get_by_label(re.compile(r"^Tệp bản đồng ý")).set_input_files(scan)
    consent.get_by_role("button", name="Lưu bản đồng ý").click()

    expect(page.locator(".flash").first).to_contain_text("tệp được đánh dấu hạn chế")
    expect(page.locator(".tool-card", has_text="Teachable Machine")).to_contain_text("Đã có bản đồng ý")
    expect(page.locator(".consent-card")).to_contain_text("Lớp 5A")
    no_overflow(page)

    ward.reload()
    expect(ward.locator("#gaps-h + p")).to_contain_text(
        "Không có công cụ nào nhận dữ liệu học sinh mà chưa có bản đồng ý"
    )

"""Partners in a real Chromium, on a phone: a school's staff record the university that runs their AI
club, are told at once what is wrong with what they typed, file the signed agreement, and the ward
sees which schools work with whom."""

import re

import pytest
from helpers import SCHOOL_A, browser_login
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import Activity, DeliveryForm, Plan, School

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone"


@pytest.fixture
def club(app):
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        plan = db.session.scalar(select(Plan))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.3"))
        db.session.add(Activity(school=school, plan=plan, form=form, title="Câu lạc bộ AI khối 5", participants=30))
        db.session.commit()


def test_staff_record_a_partner_with_its_agreement_and_the_ward_sees_it(club, new_page, tmp_path):
    agreement = tmp_path / "Thỏa thuận hợp tác.pdf"
    agreement.write_bytes(PDF)
    page = new_page(width=360, height=740)
    browser_login(page, "staff_a")

    nav = page.get_by_role("navigation", name="Công việc của nhà trường")
    nav.get_by_text("Hồ sơ khác").click()
    nav.get_by_role("link", name="Đối tác").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đối tác hợp tác")
    expect(page.locator(".plan-line").first).to_contain_text("viện nghiên cứu, doanh nghiệp")
    no_overflow(page)

    form = page.locator("form.partner-form")
    form.get_by_label(re.compile(r"^Tên đối tác")).fill("Trường Đại học Công nghệ")
    form.get_by_label("E-mail").fill("lienhe-khong-hop-le")
    form.get_by_role("button", name="Lưu đối tác").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Chọn loại đối tác.")
    expect(summary).to_contain_text("Địa chỉ e-mail không hợp lệ")

    form = page.locator("form.partner-form")
    expect(form.get_by_label(re.compile(r"^Tên đối tác"))).to_have_value("Trường Đại học Công nghệ")
    form.get_by_label("Trường đại học").check()
    form.get_by_label("E-mail").fill("lienhe@uet.vnu.edu.vn")
    form.get_by_label("Người liên hệ").fill("TS. Lê Minh")
    form.get_by_label("Câu lạc bộ AI khối 5 (2.3)").check()
    form.get_by_role("button", name="Lưu đối tác").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Trường Đại học Công nghệ")
    expect(page.locator(".partner-activities")).to_contain_text("Câu lạc bộ AI khối 5")
    page.get_by_label("Tải lên tệp thỏa thuận").set_input_files(agreement)
    page.locator("form.agreement-upload").get_by_role("button", name="Tải lên", exact=True).click()
    expect(page.get_by_role("link", name="Thỏa thuận hợp tác.pdf")).to_be_visible()
    no_overflow(page)

    ward = new_page(width=360, height=740)
    browser_login(ward, "viewer")
    ward.goto("/rollup")
    ward.get_by_role("link", name="Xem các trường hợp tác với ai").click()
    overview = ward.locator(".partner-overview")
    expect(overview).to_contain_text("1/8 trường có đối tác")
    expect(overview.get_by_role("row", name=re.compile("Trường Đại học Công nghệ"))).to_contain_text(
        "Trường Tiểu học Đoàn Kết"
    )
    no_overflow(ward)

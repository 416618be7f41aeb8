"""A whole inspection on a phone (360 × 740), in a real Chromium, from the visit to the minutes."""

import io
import re
from datetime import timedelta

import pytest
from docx import Document
from helpers import SCHOOL_A, browser_login, open_item
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import Inspection, Plan, School, User

pytestmark = pytest.mark.browser


@pytest.fixture
def visit(app) -> int:
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        supervisor = db.session.scalar(select(User).filter_by(username="giamsat"))
        inspection = Inspection(
            plan=plan,
            school=db.session.scalar(select(School).filter_by(slug=SCHOOL_A)),
            visit_on=plan.school_year.midterm_start + timedelta(days=2),
            members=[supervisor],
            lead=supervisor,
        )
        db.session.add(inspection)
        db.session.commit()
        return inspection.id


def entry(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def test_a_supervisor_inspects_on_a_phone_and_the_school_answers(new_page, visit, live_server):
    phone = new_page(width=360, height=740)
    browser_login(phone, "supervisor")
    expect(phone).to_have_url(re.compile(r"/inspections$"))
    phone.get_by_role("link", name="Trường Tiểu học Đoàn Kết").first.click()
    expect(phone).to_have_url(re.compile(f"/inspections/{visit}$"))

    plan_item = entry(phone, "Xây dựng kế hoạch triển khai giáo dục AI")
    plan_item.get_by_role("button", name="✓ Đạt", exact=True).click()
    # The school has not marked it done: "Đạt" asks first.
    expect(plan_item.get_by_role("alert")).to_contain_text("Trường chưa đánh dấu mục này là đã thực hiện")
    plan_item.get_by_role("button", name="Vẫn xác nhận “Đạt”").click()
    expect(plan_item.get_by_role("button", name="✓ Đạt", exact=True)).to_have_attribute("aria-pressed", "true")

    records = entry(phone, "Hồ sơ lớp học")
    records.get_by_role("button", name="Cần bổ sung").click()
    expect(records.get_by_role("alert")).to_contain_text("Ghi rõ cần bổ sung gì")
    records.get_by_label(re.compile("Cần bổ sung gì")).fill("Thiếu danh sách học sinh lớp 5A")
    records.get_by_role("button", name="Cần bổ sung").click()
    expect(records).to_contain_text("Lý do: Thiếu danh sách học sinh lớp 5A")
    box = records.get_by_role("button", name="Cần bổ sung").bounding_box()
    assert box["height"] >= 44, "verdict buttons must be large enough to tap"
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0

    school = new_page(width=360, height=740)
    browser_login(school, "staff_a")
    fix = entry(school, "Hồ sơ lớp học")
    expect(fix).to_contain_text("Lý do: Thiếu danh sách học sinh lớp 5A")
    open_item(fix)
    fix.get_by_label("Ghi chú").fill("Đã bổ sung danh sách học sinh")
    fix.get_by_role("button", name="Lưu ghi chú").click()
    expect(entry(school, "Hồ sơ lớp học")).to_contain_text("Đã bổ sung, chờ kiểm tra lại")

    phone.goto("/inspections")
    queue = phone.locator("#queue")
    expect(queue).to_contain_text("Chờ kiểm tra lại (1)")
    expect(queue).to_contain_text("Trường Tiểu học Đoàn Kết: Hồ sơ lớp học")

    phone.goto(f"/inspections/{visit}")
    phone.get_by_label("Kết luận", exact=True).fill(
        "Nhà trường triển khai đúng kế hoạch, cần hoàn thiện hồ sơ lớp học."
    )
    phone.get_by_role("button", name="Kết thúc kiểm tra").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Kết thúc đợt kiểm tra?")
    phone.get_by_role("button", name="Xác nhận kết thúc kiểm tra").click()
    expect(phone).to_have_url(re.compile(f"/inspections/{visit}/minutes$"))
    expect(phone.get_by_text("BIÊN BẢN", exact=True)).to_be_visible()

    response = phone.request.get(f"{live_server}/inspections/{visit}/minutes.docx")
    assert response.status == 200
    document = Document(io.BytesIO(response.body()))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Đạt" in text and "Cần bổ sung" in text
    assert "Thiếu danh sách học sinh lớp 5A" in text

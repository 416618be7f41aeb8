"""Pilot-class results in a real Chromium, on a phone: a pilot school records its class's plan,
lessons and assessment, uploads a pupil's product (restricted without being asked), and finds
the results under the self-evaluation's third criterion and beside milestone 7; a viewer of the
ward sees the figures but not the product."""

import re

import pytest
from helpers import SCHOOL_A, browser_login
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import Activity, DeliveryForm, Plan, School

pytestmark = pytest.mark.browser

PNG = (  # a 1×1 picture, as a pupil's photographed product
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone"


@pytest.fixture
def pilot_class(app):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        db.session.add(
            Activity(
                school=school,
                plan=plan,
                form=form,
                title="Chuyên đề Em làm quen với AI",
                class_name="5A",
                participants=32,
                lessons=10,
            )
        )
        db.session.commit()


def test_a_pilot_class_records_its_results_and_products_which_feed_criterion_3(new_page, tmp_path, pilot_class):
    product = tmp_path / "san-pham-nhom-1.png"
    product.write_bytes(PNG)
    page = new_page(width=360, height=740)
    browser_login(page, "staff_a")

    page.goto(f"/schools/{SCHOOL_A}")
    page.get_by_text("Hồ sơ khác").click()
    page.get_by_role("link", name="Lớp thí điểm", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kết quả các lớp thí điểm")
    page.get_by_role("link", name=re.compile("Lớp 5A")).click()
    no_overflow(page)

    form = page.locator("#edit form")
    form.get_by_label("Kế hoạch dạy học của lớp").fill("10 tiết trong HK II; sản phẩm: áp phích về AI an toàn.")
    form.get_by_label(re.compile(r"^Số tiết nội dung a")).fill("4")
    form.get_by_label(re.compile(r"^Số tiết nội dung b")).fill("6")
    form.get_by_label("Hoàn thành tốt").fill("-1")
    form.get_by_role("button", name="Lưu kết quả").click()
    expect(page.locator("#error-summary")).to_contain_text("Nhập một số từ 0 đến 10000.")

    form = page.locator("#edit form")
    form.get_by_label("Hoàn thành tốt").fill("12")
    form.get_by_label("Hoàn thành", exact=True).fill("18")
    form.get_by_label("Chưa hoàn thành").fill("2")
    form.get_by_role("button", name="Lưu kết quả").click()
    expect(page.locator("#pilot-levels")).to_contain_text("Hoàn thành tốt: 12 (38%)")

    upload = page.locator("section.evidence")
    if not upload.locator("details.evidence-add[open]").count():  # open already while the class has no file
        upload.get_by_text("Thêm tệp minh chứng").click()
    expect(upload.get_by_label(re.compile("Hạn chế: tệp"))).to_be_checked()
    upload.get_by_label("Tải lên minh chứng").set_input_files(product)
    upload.get_by_role("button", name="Tải lên", exact=True).click()
    expect(page.get_by_role("link", name="san-pham-nhom-1.png")).to_be_visible()
    expect(page.locator(".evidence-file .tag-restricted")).to_have_text("Hạn chế")
    no_overflow(page)

    page.get_by_role("link", name="Tự đánh giá").click()
    third = page.locator("section.criterion").nth(2)
    expect(third).to_contain_text("Căn cứ: kết quả các lớp thí điểm")
    expect(third).to_contain_text("32 học sinh được đánh giá")
    page.get_by_role("link", name="Danh mục việc").click()
    expect(page.locator(".pilot-summary").first).to_contain_text("1 lớp đã có kết quả đánh giá")
    no_overflow(page)

    viewer = new_page(width=360, height=740)
    browser_login(viewer, "viewer")
    viewer.goto("/rollup")
    expect(viewer.locator("#rollup-pilot-results")).to_have_text("1")
    viewer.goto(f"/schools/{SCHOOL_A}/pilot")
    viewer.get_by_role("link", name=re.compile("Lớp 5A")).click()
    expect(viewer.locator("#pilot-levels")).to_contain_text("Chưa hoàn thành: 2")
    expect(viewer.get_by_text("san-pham-nhom-1.png")).to_have_count(0)
    no_overflow(viewer)

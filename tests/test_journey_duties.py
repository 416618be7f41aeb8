"""Who does what in a real Chromium on a phone (issue 17, part 6): a school's staff member gives an
item to a colleague with herself as co-owner, with JavaScript and without; the colleague finds it in
"Việc của tôi" from the menu; the ward's school list counts what is still without an owner."""

import re

import pytest
from helpers import PASSWORD, SCHOOL_A, browser_login, open_item
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import Role, School, Ward

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
PLAN_ITEM = "Xây dựng kế hoạch triển khai giáo dục AI"
EVIDENCE_ITEM = "Kế hoạch nhà trường"


@pytest.fixture
def colleague(app):
    with app.app_context():
        ward = db.session.scalar(select(Ward))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        create_user("canbo-a2", Role.SCHOOL_STAFF, PASSWORD, ward=ward, school=school, full_name="Trần Thị Bình")


def item(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


@pytest.mark.parametrize("javascript", [True, False])
def test_staff_give_an_item_to_a_colleague_who_finds_it_in_my_items(new_page, colleague, javascript):
    page = new_page(**PHONE, javascript=javascript)
    browser_login(page, "staff_a")
    page.goto(f"/schools/{SCHOOL_A}")
    plan = item(page, PLAN_ITEM)
    expect(plan.locator(".item-work > summary")).to_contain_text("chưa phân công")
    open_item(plan)
    plan.get_by_label("Người phụ trách").select_option(label="Trần Thị Bình")
    co_owners = plan.locator(".duty-co-owners")
    if co_owners.get_attribute("open") is None:
        co_owners.locator("> summary").click()
    plan.get_by_label("canbo-a").check()
    plan.get_by_role("button", name="Lưu phân công").click()
    plan = item(page, PLAN_ITEM)
    expect(plan.locator(".item-meta")).to_contain_text("Phụ trách: Trần Thị Bình +1")
    if javascript:
        expect(plan.locator(".item-saved")).to_contain_text(re.compile(r"Đã lưu lúc \d\d:\d\d"))
    else:
        expect(page.get_by_text(f"Đã lưu phân công: {PLAN_ITEM}")).to_be_visible()
    no_overflow(page)

    # The co-owner (herself) finds it in "Việc của tôi", from the menu.
    page.locator(".menu-button").click()
    page.get_by_role("link", name="Việc của tôi").click()
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    expect(page.locator(".my-item")).to_contain_text("Phối hợp với Trần Thị Bình")
    no_overflow(page)

    colleague_page = new_page(**PHONE, javascript=javascript)
    colleague_page.goto("/login")
    colleague_page.get_by_label("Tên đăng nhập").fill("canbo-a2")
    colleague_page.get_by_label("Mật khẩu").fill(PASSWORD)
    colleague_page.get_by_role("button", name="Đăng nhập").click()
    colleague_page.goto("/my-items")
    mine = colleague_page.locator(".my-item")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Phụ trách")
    mine.get_by_role("link").click()
    expect(colleague_page).to_have_url(re.compile(rf"/schools/{SCHOOL_A}#item-\d+$"))


def test_the_ward_sees_the_items_without_an_owner_on_its_school_list(new_page):
    page = new_page(**PHONE)
    browser_login(page, "ward_admin")
    page.goto("/schools")
    card = page.locator("li.school-card").filter(has_text="Trường Tiểu học Đoàn Kết")
    expect(card).to_contain_text(re.compile(r"\d+ mục chưa phân công"))
    no_overflow(page)

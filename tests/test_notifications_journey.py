"""The notification journey on a phone (360 × 740), in a real Chromium: a supervisor asks for more,
the school's staff see the bell's count, open "Thông báo" and follow the notification to the item;
then the same with JavaScript off; and the team is told of the fix."""

import re

import pytest
from helpers import SCHOOL_A, browser_login, open_item, schedule_visit
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PLAN_ITEM = "Xây dựng kế hoạch triển khai giáo dục AI"
REASON = "Kế hoạch chưa có chữ ký của Hiệu trưởng"


@pytest.fixture
def visit(app) -> int:
    with app.app_context():
        return schedule_visit()


def entry(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def ask_for_more(new_page, visit):
    supervisor = new_page(width=360, height=740)
    browser_login(supervisor, "supervisor")
    supervisor.goto(f"/inspections/{visit}")
    asked = entry(supervisor, PLAN_ITEM)
    asked.get_by_label(re.compile("Cần bổ sung gì")).fill(REASON)
    asked.get_by_role("button", name="! Cần bổ sung", exact=True).click()
    expect(asked).to_contain_text(f"Lý do: {REASON}")
    return supervisor


def header_fits(page) -> None:
    """The header stays one compact row on a phone, and the bell is a 44 px target."""
    header = page.locator(".site-header .header-row").bounding_box()
    bell = page.locator("a.bell").bounding_box()
    assert header is not None and header["height"] <= 120, header
    assert bell is not None and bell["width"] >= 44 and bell["height"] >= 44, bell
    assert bell["y"] >= header["y"] and bell["y"] + bell["height"] <= header["y"] + header["height"]
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_school_follows_the_bell_to_the_item_the_team_asked_about(new_page, visit, javascript):
    supervisor = ask_for_more(new_page, visit)
    expect(supervisor.get_by_role("link", name="Thông báo", exact=True)).to_be_visible()  # nothing for the team yet

    school = new_page(width=360, height=740, javascript=javascript)
    browser_login(school, "staff_a")
    bell = school.get_by_role("link", name="Thông báo, 1 chưa đọc")
    expect(bell).to_be_visible()
    expect(bell.locator(".bell-count")).to_have_text("1")
    header_fits(school)
    bell.click()

    expect(school).to_have_url(re.compile("/notifications$"))
    expect(school.get_by_role("heading", level=1)).to_have_text("Thông báo")
    notice = school.locator("li.notice")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Chưa đọc")
    expect(notice).to_contain_text("Cần bổ sung")
    expect(notice.get_by_role("heading", level=2)).to_contain_text("Trường Tiểu học Đoàn Kết: cần bổ sung Mốc 3")
    expect(notice).to_contain_text(f"Lý do: {REASON}")
    expect(notice.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d \d\d/\d\d/\d{4}$"))
    header_fits(school)
    notice.get_by_role("button", name=re.compile("^Mở và đánh dấu đã đọc")).click()

    expect(school).to_have_url(re.compile(f"/schools/{SCHOOL_A}#item-\\d+$"))
    asked = entry(school, PLAN_ITEM)
    box = asked.locator(".item-title").bounding_box()
    assert box is not None and 0 <= box["y"] < 740, "the notification lands on the item"
    expect(school.get_by_role("link", name="Thông báo", exact=True)).to_be_visible()  # read: no count left

    # The school fixes it; the team's bell rings.
    if javascript:
        open_item(asked)
        asked.get_by_label("Ghi chú").fill("Đã bổ sung bản kế hoạch có chữ ký")
        asked.get_by_role("button", name="Lưu ghi chú").click()
        expect(entry(school, PLAN_ITEM)).to_contain_text("Đã bổ sung, chờ kiểm tra lại")
        supervisor.reload()
        supervisor.get_by_role("link", name="Thông báo, 1 chưa đọc").click()
        supervisor.get_by_role("button", name=re.compile("^Mở và đánh dấu đã đọc")).click()
        expect(supervisor).to_have_url(re.compile(f"/schools/{SCHOOL_A}/items/\\d+/recheck$"))
        expect(supervisor.get_by_role("button", name="✓ Đạt", exact=True)).to_be_visible()


def test_mark_all_read_on_a_phone(new_page, visit):
    ask_for_more(new_page, visit)
    school = new_page(width=360, height=740)
    browser_login(school, "staff_a")
    school.goto("/notifications")
    school.get_by_role("button", name="Đánh dấu tất cả là đã đọc").click()
    expect(school.get_by_text("Đã đánh dấu 1 thông báo là đã đọc.")).to_be_visible()
    expect(school.locator("li.notice")).to_contain_text("Đã đọc")
    expect(school.get_by_role("link", name="Thông báo", exact=True)).to_be_visible()

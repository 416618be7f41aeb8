"""A ward admin edits the plan on a phone in a real Chromium, without JavaScript: plain forms,
messages beside the fields, no sideways scrolling at 360 px."""

import re

import pytest
from helpers import browser_login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
EDIT = "/admin/plan/2025-2026"
PAGES = (
    EDIT,
    f"{EDIT}/calendar",
    f"{EDIT}/deadlines/bao-cao-co-so",
    f"{EDIT}/milestones/8",
    f"{EDIT}/targets/1",
    "/admin/plan/upload",
)


def test_a_ward_admin_moves_the_inspection_window_from_a_phone_without_javascript(new_page):
    page = new_page(width=360, height=740, javascript=False)
    browser_login(page, "ward_admin")
    page.goto("/plan")
    page.get_by_role("link", name="Sửa kế hoạch").click()
    expect(page).to_have_url(re.compile(f"{EDIT}$"))
    page.get_by_role("link", name="Sửa lịch năm học").click()
    page.get_by_label("Kết thúc đợt kiểm tra giữa HK II").fill("2026-06-30")
    page.get_by_role("button", name="Lưu lịch năm học").click()
    expect(page.locator("#midterm_end-error")).to_contain_text("Đợt kiểm tra giữa HK II phải kết thúc trong HK II")
    expect(page.get_by_label("Kết thúc đợt kiểm tra giữa HK II")).to_have_value("2026-06-30")
    page.get_by_label("Kết thúc đợt kiểm tra giữa HK II").fill("2026-04-11")
    page.get_by_role("button", name="Lưu lịch năm học").click()
    expect(page).to_have_url(re.compile(f"{EDIT}$"))
    expect(page.get_by_role("status").first).to_contain_text("Đã lưu lịch năm học")
    expect(page.locator("#calendar")).to_contain_text("09/03/2026 – 11/04/2026")
    for url in PAGES:
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px on a 360px screen"

"""The page's frame on a 360×740 phone, in a real Chromium: a header of brand and menu button (the
links open from it, with and without JavaScript), the year line inside it, the title on the first
screen; the admin tables as cards; wide tables in a marked scroll region that says there is more."""

import re
from datetime import date

import pytest
from helpers import PERSONAS, SCHOOL_A, browser_login, schedule_visit, text_of
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import ChecklistItem, Inspection, School, User, Verdict, VerdictRecord
from aiplan.schoolyear import current_plan
from aiplan.years import services as years

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
# Where each persona lands after signing in, and a link of theirs that only the menu shows.
LANDING = {
    "staff_a": (f"/schools/{SCHOOL_A}", "Kế hoạch"),
    "supervisor": ("/inspections", "Các trường"),
    "ward_admin": ("/schools", "Quản trị"),
    "viewer": ("/schools", "Tổng hợp"),
}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """2026-12-06: 2025-2026 is past its closing date, so every page carries the year line."""
    monkeypatch.setattr("aiplan.timeutil.local_today", lambda: date(2026, 12, 6))


def overflow(page) -> float:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not on the page"
    return found


def start_next_year(app) -> None:
    """2026-2027 in preparation: the ward admin's year line then holds a year switcher."""
    with app.app_context():
        admin = db.session.scalar(select(User).filter_by(username=PERSONAS["ward_admin"][0]))
        plan = current_plan(admin.ward_id)
        years.start_next_year(plan, years.proposed_calendar(plan.school_year), actor=admin)
        db.session.commit()


@pytest.mark.parametrize("persona", list(LANDING))
def test_the_header_is_brand_and_a_menu_button_at_most_120_px_with_the_title_near_the_top(new_page, persona):
    page = new_page(**PHONE)
    browser_login(page, persona)
    landing, link = LANDING[persona]
    expect(page).to_have_url(re.compile(re.escape(landing) + "$"))

    header = box(page.get_by_role("banner"))
    assert header["height"] <= 120, f"the header takes {header['height']}px of a 740px screen"
    expect(page.locator(".year-switch summary")).to_contain_text("Năm học 2025-2026")  # inside the header
    assert box(page.locator(".year-switch summary"))["y"] < header["y"] + header["height"]
    h1 = box(page.get_by_role("heading", level=1))
    assert h1["y"] <= 200, f"the page's title starts at {h1['y']}px"
    assert overflow(page) <= 0

    menu = page.locator(".menu-button")
    button = box(menu)
    assert button["width"] >= 44 and button["height"] >= 44
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    expect(nav.get_by_role("link", name=link)).to_be_hidden()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_hidden()
    menu.click()
    expect(nav.get_by_role("link", name=link)).to_be_visible()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    for target in nav.get_by_role("link").all() + [page.locator(".account").get_by_role("link", name="Tài khoản")]:
        size = box(target)
        assert size["height"] >= 44, f"{target} is {size['height']}px tall"
    assert overflow(page) <= 0


def test_the_skip_link_comes_first_and_the_menu_opens_from_the_keyboard(new_page):
    page = new_page(**PHONE)
    browser_login(page, "supervisor")
    page.goto("/inspections")  # a page fully loaded: a Tab during the sign-in's redirect lands nowhere
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Chuyển đến nội dung chính")).to_be_focused()
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Thông báo", exact=True)).to_be_focused()  # the bell
    page.keyboard.press("Tab")
    expect(page.locator(".menu-button")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    expect(nav.get_by_role("link", name="Các trường")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tổng hợp toàn phường")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False])
def test_the_menus_links_work_and_sign_out_works_with_and_without_javascript(new_page, javascript):
    page = new_page(**PHONE, javascript=javascript)
    browser_login(page, "ward_admin")
    page.locator(".menu-button").click()
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link", name="Quản trị").click()
    expect(page).to_have_url(re.compile(r"/admin/schools$"))
    expect(page.get_by_role("link", name="Các trường")).to_be_hidden()  # a new page starts with the menu closed
    page.locator(".menu-button").click()
    page.locator(".account").get_by_role("link", name="Tài khoản").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    page.locator(".menu-button").click()
    page.locator(".account").get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_desktop_keeps_the_links_in_one_row_without_a_menu_button(new_page):
    page = new_page(width=1024, height=768)
    browser_login(page, "ward_admin")
    expect(page.locator(".menu-button")).to_be_hidden()
    links = page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link")
    tops = {round(box(link)["y"]) for link in links.all()}
    sign_out = box(page.get_by_role("button", name="Đăng xuất"))
    assert len(tops) == 1 and abs(sign_out["y"] - tops.pop()) < 20, "the header wraps onto a second row"
    assert overflow(page) <= 0


def test_the_year_line_is_one_line_that_opens_to_the_year_switcher(app, new_page):
    start_next_year(app)
    page = new_page(**PHONE)
    browser_login(page, "ward_admin")
    line = page.locator(".year-switch summary")
    assert box(line)["height"] <= 48, "the year line takes more than one line"
    assert box(page.get_by_role("banner"))["height"] <= 120
    switcher = page.get_by_label("Năm học", exact=True)
    expect(switcher).to_be_hidden()
    line.click()
    expect(switcher).to_be_visible()
    expect(page.locator(".year-closing")).to_contain_text("Vẫn cập nhật được cho đến khi phường mở năm học mới")
    switcher.select_option("2026-2027")
    page.get_by_role("button", name="Xem", exact=True).click()
    expect(line).to_contain_text("Đang xem năm học 2026-2027")
    expect(page.locator(".year-line")).to_have_class(re.compile("year-line-past"))
    assert box(page.get_by_role("banner"))["height"] <= 120


@pytest.mark.parametrize("path", ["/admin/schools", "/admin/accounts"])
def test_the_admin_tables_are_cards_on_a_phone_and_tables_on_a_desktop(new_page, path):
    page = new_page(**PHONE)
    browser_login(page, "ward_admin")
    page.goto(path)
    assert overflow(page) <= 0
    rows = page.locator("table.card-table tbody tr")
    first = rows.first
    assert box(first)["width"] >= 300, "a row is not a card across the screen"
    labels = first.locator("td[data-label]").evaluate_all(
        "cells => cells.map(td => getComputedStyle(td, '::before').content)"
    )
    assert ('"Vai trò: "' if "accounts" in path else '"Cấp học: "') in labels, labels
    expect(page.locator("table.card-table thead")).to_have_css("position", "absolute")
    if "schools" in path:
        action = first.get_by_role("button", name=re.compile("^Ngừng hoạt động"))
        size = box(action)
        assert size["height"] >= 44 and size["width"] >= 280, f"the action is {size['width']}×{size['height']}"
        assert first.locator("td").first.evaluate("el => getComputedStyle(el).display") == "block"

    desk = new_page(width=1280, height=800)
    browser_login(desk, "ward_admin")
    desk.goto(path)
    expect(desk.locator("table.card-table thead")).to_be_visible()
    assert desk.locator("table.card-table tbody tr").first.evaluate("el => getComputedStyle(el).display") == "table-row"


def test_the_rollup_matrix_is_a_scroll_region_with_a_sticky_first_column_and_a_cue(new_page):
    phone = new_page(**PHONE)
    browser_login(phone, "ward_admin")
    phone.goto("/rollup")
    assert overflow(phone) <= 0
    region = phone.get_by_role("region", name=re.compile("Bảng tiến độ từng trường"))
    expect(region).to_have_class(re.compile(r"\bscroll-region\b"))
    assert region.get_attribute("tabindex") == "0"
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    cue = region.locator(".scroll-cue")
    expect(cue).to_be_visible()
    expect(cue).to_have_text(re.compile("Kéo ngang để xem thêm cột"))

    school = region.locator("tbody th[scope=row]").first
    before = box(school)["x"]
    region.evaluate("el => { el.scrollLeft = 400; }")
    phone.wait_for_timeout(100)
    assert abs(box(school)["x"] - before) < 2, "the school's name scrolled away with the columns"
    region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    expect(cue).to_be_hidden()  # at the last column there is nothing more to the right

    desk = new_page(width=1366, height=768)
    browser_login(desk, "ward_admin")
    desk.goto("/rollup")
    region = desk.get_by_role("region", name=re.compile("Bảng tiến độ từng trường"))
    last = box(region.locator("thead th").last)
    edge = box(region)
    assert last["x"] + last["width"] <= edge["x"] + edge["width"] + 1, "the last column is clipped at 1366px"
    expect(region.locator(".scroll-cue")).to_be_hidden()


def test_the_minutes_table_scrolls_in_a_marked_region_on_a_phone(app, new_page):
    with app.app_context():
        visit = schedule_visit(SCHOOL_A)
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A).order_by(ChecklistItem.position)
        )
        db.session.add(
            VerdictRecord(
                item=item,
                inspection=db.session.get(Inspection, visit),
                verdict=Verdict.NEEDS_MORE,
                reason="Thiếu hồ sơ",
                school_status=item.status.value,
            )
        )
        db.session.commit()
    page = new_page(**PHONE)
    browser_login(page, "supervisor")
    page.goto(f"/inspections/{visit}/minutes")
    assert overflow(page) <= 0
    region = page.get_by_role("region", name="Bảng kết quả kiểm tra")
    expect(region.locator("table.minutes-table")).to_contain_text("Thiếu hồ sơ")
    assert region.get_attribute("tabindex") == "0"
    expect(region.locator(".scroll-cue")).to_be_visible()


def test_the_year_page_is_styled_and_says_a_yearly_deadline_once(app, as_persona, new_page):
    start_next_year(app)
    text = text_of(as_persona("ward_admin").get("/years/2026-2027"))
    assert "trước ngày 09/06/2027 (hạn hằng năm)" in text
    assert "hằng năm trước ngày 09/06" not in text and "()" not in text
    assert "checklist" not in text.lower()
    assert "checklist" not in text_of(as_persona("ward_admin").get("/years")).lower()

    page = new_page(**PHONE)
    browser_login(page, "ward_admin")
    page.goto("/years/2026-2027")
    assert overflow(page) <= 0
    expect(page.locator("dl.facts").first).to_contain_text("Kết thúc năm học")
    pilot = page.get_by_label("Trường Tiểu học Thạch Bàn A (Tiểu học)")
    assert box(page.locator("label.choice").filter(has=pilot))["height"] >= 44
    page.goto("/years")
    expect(page.get_by_role("heading", name=re.compile("Năm học 2026-2027"), level=3)).to_be_visible()
    assert overflow(page) <= 0


def test_links_on_the_year_pages_and_the_rollups_school_lists_are_44_px_tall(app, new_page):
    start_next_year(app)
    page = new_page(**PHONE)
    browser_login(page, "ward_admin")
    for path, scope in (
        ("/years", "main a"),
        ("/years/2026-2027", "main a"),
        ("/rollup", "#rollup-matrix th[scope=row] a, .rollup-late-schools a, .rollup-behind li a"),
    ):
        page.goto(path)
        links = page.locator(scope)
        assert links.count() > 0, path
        heights = links.evaluate_all("els => els.map(a => [a.textContent.trim(), a.getBoundingClientRect().height])")
        small = [(text, height) for text, height in heights if 0 < height < 44]
        assert not small, f"{path}: {small}"

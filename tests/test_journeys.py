"""User journeys in a real Chromium."""

import re

import pytest
from helpers import SCHOOL_A, SCHOOL_B, browser_login
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_staff_land_on_their_school_and_are_refused_another(new_page):
    page = new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    browser_login(page, "staff_a")
    expect(page).to_have_url(re.compile(f"/schools/{SCHOOL_A}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Trường Tiểu học Đoàn Kết")
    expect(page.get_by_role("heading", name="Các mốc triển khai")).to_be_visible()
    expect(page.locator(".item")).to_have_count(9)

    response = page.goto(f"/schools/{SCHOOL_B}")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Không có quyền truy cập")
    expect(page.get_by_text("Thạch Bàn")).to_have_count(0)


def test_a_ward_admin_sees_every_school_with_a_progress_bar(new_page):
    page = new_page()
    browser_login(page, "ward_admin")
    expect(page).to_have_url(re.compile(r"/schools$"))
    cards = page.locator(".school-card")
    expect(cards).to_have_count(8)
    expect(page.get_by_role("progressbar")).to_have_count(8)
    expect(page.get_by_role("progressbar", name="Tiến độ của Trường THCS Thạch Bàn")).to_be_visible()
    page.get_by_role("link", name="Trường THCS Thạch Bàn").click()
    expect(page).to_have_url(re.compile(f"/schools/{SCHOOL_B}$"))
    expect(page.get_by_text("STT 4 · Trường trung học cơ sở (được lựa chọn thí điểm)")).to_be_visible()


def test_a_wrong_password_is_refused_with_a_message(new_page):
    page = new_page()
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill("canbo-a")
    page.get_by_label("Mật khẩu").fill("khong-dung")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_the_pages_fit_a_360_px_phone_without_sideways_scrolling(new_page):
    page = new_page(width=360, height=740)
    browser_login(page, "supervisor")
    for url in (
        "/schools",
        f"/schools/{SCHOOL_A}",
        "/ward",
        "/plan",
        "/login",
        f"/schools/{SCHOOL_A}/activities",
        f"/schools/{SCHOOL_A}/self-evaluation",
        f"/schools/{SCHOOL_A}/history",
    ):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px on a 360px screen"


def test_the_pages_load_nothing_from_outside_and_break_no_csp(new_page, live_server):
    page = new_page()
    foreign, violations = [], []
    page.on("request", lambda r: None if r.url.startswith(live_server) else foreign.append(r.url))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    browser_login(page, "ward_admin")
    for url in ("/schools", f"/schools/{SCHOOL_A}", "/plan", "/ward"):
        page.goto(url)
    assert page.evaluate("typeof htmx") == "object", "htmx did not load"
    assert not foreign, foreign
    assert not violations, violations

"""The fix loop on a phone (360 × 740), in a real Chromium: a supervisor asks for more, the school
sees it first thing and fixes it, the supervisor re-checks it from the queue in one tap; and the
steps that ask first ("Đạt" on an item not done, "Kết thúc kiểm tra", "Nộp")."""

import re

import pytest
from helpers import SCHOOL_A, browser_login, open_item, schedule_visit
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import ChecklistItem, Inspection, InspectionStatus, ItemStatus, School, Verdict, utcnow

pytestmark = pytest.mark.browser

PLAN_ITEM = "Xây dựng kế hoạch triển khai giáo dục AI"
REASON = "Kế hoạch chưa có chữ ký của Hiệu trưởng"


@pytest.fixture
def visit(app) -> int:
    with app.app_context():
        return schedule_visit()


def entry(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


TAP_TARGETS = "main button, main a.button, main .recheck-queue a, main .needs-more-list a, main .needs-more-summary a"


def assert_fits_a_phone(page) -> None:
    """No sideways scroll of the document, and every visible button and button-like link in the
    page's content at least 44 × 44 px."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"
    small = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.textContent.trim().slice(0, 40), e.getBoundingClientRect()])
            .filter(([, r]) => r.width < 44 || r.height < 44)
            .map(([t, r]) => `${t}: ${Math.round(r.width)}×${Math.round(r.height)}`)""",
        TAP_TARGETS,
    )
    assert not small, f"tap targets under 44 px on {page.url}: {small}"


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] < page.viewport_size["height"]


def ask_for_more(new_page, visit):
    """A supervisor on a phone marks the plan item "cần bổ sung" with REASON; returns their page."""
    supervisor = new_page(width=360, height=740)
    browser_login(supervisor, "supervisor")
    supervisor.goto(f"/inspections/{visit}")
    asked = entry(supervisor, PLAN_ITEM)
    asked.get_by_label(re.compile("Cần bổ sung gì")).fill(REASON)
    asked.get_by_role("button", name="! Cần bổ sung", exact=True).click()
    expect(asked).to_contain_text(f"Lý do: {REASON}")
    return supervisor


def test_the_fix_loop_on_a_phone(new_page, visit):
    supervisor = ask_for_more(new_page, visit)

    # The school signs in: the request and its reason head "Cần chú ý", linked to the item.
    school = new_page(width=360, height=740)
    browser_login(school, "staff_a")
    expect(school).to_have_url(re.compile(f"/schools/{SCHOOL_A}$"))
    attention = school.locator("#attention")
    banner = attention.locator(".notification-banner")
    expect(banner).to_contain_text("Đoàn kiểm tra đề nghị bổ sung 1 mục")
    expect(banner).to_contain_text(f"Lý do: {REASON}")
    first_heading = attention.locator("h3").first
    expect(first_heading).to_contain_text("Đoàn kiểm tra đề nghị bổ sung")
    assert_fits_a_phone(school)
    banner.get_by_role("link", name=re.compile(PLAN_ITEM)).click()
    expect(school).to_have_url(re.compile(r"#item-\d+$"))
    fix = entry(school, PLAN_ITEM)
    assert in_view(school, fix.locator(".item-title")), "the link lands on the item"

    # The school fixes it: a note, and the status.
    open_item(fix)
    fix.get_by_label("Ghi chú").fill("Đã bổ sung bản kế hoạch có chữ ký")
    fix.get_by_role("button", name="Lưu ghi chú").click()
    expect(entry(school, PLAN_ITEM)).to_contain_text("Đã bổ sung, chờ kiểm tra lại")
    entry(school, PLAN_ITEM).get_by_role("button", name="Đã hoàn thành").click()
    expect(entry(school, PLAN_ITEM).get_by_role("button", name="Đã hoàn thành")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(school.locator("#attention .notification-banner")).to_have_count(0)

    # The supervisor opens the queue and reaches the item's verdict buttons in one tap.
    supervisor.goto("/inspections")
    queue = supervisor.locator("#queue")
    expect(queue).to_contain_text("Chờ kiểm tra lại (1)")
    assert_fits_a_phone(supervisor)
    queue.get_by_role("link", name=re.compile("^Kiểm tra lại")).click()
    expect(supervisor).to_have_url(re.compile(f"/inspections/{visit}#verdict-\\d+$"))
    item = entry(supervisor, PLAN_ITEM)
    passed = item.get_by_role("button", name="✓ Đạt", exact=True)
    assert in_view(supervisor, passed), "the verdict buttons are on the first screen after the tap"
    expect(item).to_contain_text("Đã bổ sung bản kế hoạch có chữ ký")
    passed.click()
    expect(passed).to_have_attribute("aria-pressed", "true")
    expect(item.locator(".badge.resubmitted")).to_have_count(0)

    # The school sees it verified.
    school.goto(f"/schools/{SCHOOL_A}")
    verified = entry(school, PLAN_ITEM)
    expect(verified.locator(".item-state")).to_contain_text("Đạt")
    expect(verified).not_to_contain_text("chờ kiểm tra lại")
    expect(school.locator("#attention .notification-banner")).to_have_count(0)


def test_the_ward_sees_on_its_school_list_what_each_school_was_asked_for(new_page, visit):
    ask_for_more(new_page, visit)

    admin = new_page(width=360, height=740)
    browser_login(admin, "ward_admin")
    admin.goto("/schools")
    card = admin.locator(".school-card").filter(has_text="Trường Tiểu học Đoàn Kết")
    expect(card).to_contain_text("1 mục cần bổ sung")
    expect(card).to_contain_text(REASON)
    assert_fits_a_phone(admin)
    card.get_by_role("link", name=re.compile(PLAN_ITEM)).click()
    expect(admin).to_have_url(re.compile(f"/schools/{SCHOOL_A}#item-\\d+$"))


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_dat_on_an_item_the_school_has_not_done_asks_first(new_page, visit, javascript):
    phone = new_page(width=360, height=740, javascript=javascript)
    browser_login(phone, "supervisor")
    phone.goto(f"/inspections/{visit}")
    entry(phone, PLAN_ITEM).get_by_role("button", name="✓ Đạt", exact=True).click()
    item = entry(phone, PLAN_ITEM)
    warning = item.get_by_role("alert")
    expect(warning).to_contain_text("Trường chưa đánh dấu mục này là đã thực hiện")
    expect(warning).to_contain_text("Chưa thực hiện")
    expect(item.get_by_text("Kết luận: – Chưa kiểm tra")).to_be_visible()
    confirm = warning.get_by_role("button", name="Vẫn xác nhận “Đạt”")
    expect(confirm).to_be_focused()  # the question, not the top of the page, is where the person is
    assert_fits_a_phone(phone)
    confirm.click()
    expect(entry(phone, PLAN_ITEM).get_by_role("button", name="✓ Đạt", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(entry(phone, PLAN_ITEM).get_by_role("alert")).to_have_count(0)


def test_closing_a_visit_asks_first_and_a_closed_visit_shows_verdicts_as_text(new_page, visit):
    phone = new_page(width=360, height=740)
    browser_login(phone, "supervisor")
    phone.goto(f"/inspections/{visit}")
    phone.get_by_label("Kết luận", exact=True).fill("Nhà trường triển khai đúng kế hoạch.")
    phone.get_by_role("button", name="Kết thúc kiểm tra").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Kết thúc đợt kiểm tra?")
    expect(phone.get_by_role("alert")).to_contain_text("không sửa được nữa")
    expect(phone.get_by_label("Kết luận", exact=True)).to_have_value("Nhà trường triển khai đúng kế hoạch.")
    assert_fits_a_phone(phone)
    phone.get_by_role("button", name="Xác nhận kết thúc kiểm tra").click()
    expect(phone).to_have_url(re.compile(f"/inspections/{visit}/minutes$"))

    phone.goto(f"/inspections/{visit}")
    item = entry(phone, PLAN_ITEM)
    expect(item).to_contain_text("Đợt kiểm tra đã kết thúc")
    expect(item.get_by_role("button")).to_have_count(0)


def test_nop_asks_first_then_locks_and_completes_milestone_7(new_page):
    phone = new_page(width=360, height=740)
    browser_login(phone, "staff_a")
    phone.goto(f"/schools/{SCHOOL_A}/self-evaluation")
    for number in (1, 2, 3):
        phone.get_by_role("group", name=f"Mức đánh giá cho tiêu chí {number}").get_by_text("Khá", exact=True).click()
    phone.get_by_role("button", name="Nộp", exact=True).click()
    warning = phone.get_by_role("alert")
    expect(warning).to_contain_text("Nộp bản tự đánh giá?")
    expect(warning).to_contain_text("bản tự đánh giá bị khóa")
    assert in_view(phone, warning.get_by_role("button", name="Xác nhận nộp"))
    assert_fits_a_phone(phone)
    warning.get_by_role("button", name="Xác nhận nộp").click()
    expect(phone.get_by_text("Đã nộp bản tự đánh giá.")).to_be_visible()
    expect(phone.get_by_role("button", name="Nộp", exact=True)).to_have_count(0)

    phone.goto(f"/schools/{SCHOOL_A}")
    milestone = entry(phone, "Đánh giá kết quả triển khai giáo dục AI tại nhà trường")
    expect(milestone.locator(".item-state")).to_contain_text("Đã hoàn thành")
    open_item(milestone)  # no status buttons: the submission completed it
    expect(milestone.get_by_role("button", name="Đã hoàn thành")).to_have_count(0)
    expect(milestone).not_to_contain_text("Quá hạn")


def test_after_the_visit_the_queue_opens_the_items_re_check_page_in_one_tap(new_page, app, visit):
    with app.app_context():
        inspection = db.session.get(Inspection, visit)
        inspection.status, inspection.closed_at = InspectionStatus.CLOSED, utcnow()
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == "m3")
        )
        item.status, item.completed_at = ItemStatus.DONE, utcnow()
        item.verdict, item.verdict_reason, item.resubmitted_at = Verdict.NEEDS_MORE, REASON, utcnow()
        db.session.commit()
    phone = new_page(width=360, height=740)
    browser_login(phone, "supervisor")
    phone.goto("/inspections")
    phone.locator("#queue").get_by_role("link", name=re.compile("^Kiểm tra lại")).click()
    expect(phone).to_have_url(re.compile(f"/schools/{SCHOOL_A}/items/\\d+/recheck#verdict-\\d+$"))
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Kiểm tra lại")
    passed = entry(phone, PLAN_ITEM).get_by_role("button", name="✓ Đạt", exact=True)
    assert in_view(phone, passed)
    assert_fits_a_phone(phone)
    passed.click()
    expect(entry(phone, PLAN_ITEM)).to_contain_text("Kết luận: ✓ Đạt")
    expect(entry(phone, PLAN_ITEM).get_by_role("button")).to_have_count(0)
    phone.goto("/inspections")
    expect(phone.locator("#queue")).to_contain_text("Chờ kiểm tra lại (0)")

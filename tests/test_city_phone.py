"""The city rollup on a 360×740 phone in Chromium, as the Sở's account: the document never scrolls
sideways (its two wide tables scroll in their own .scroll-region), tap targets are 44×44 px and
axe-core finds no WCAG 2.1 A/AA violation (the rules of tests/test_phone_pages.py)."""

import pytest
from helpers import PASSWORD
from phone_audit import AXE, AXE_JS, AXE_TAGS, MEASURE_JS, TARGET_MIN, tools_missing
from sqlalchemy import select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import Role, Ward
from aiplan.plans.city_plan import BUNDLED_CITY_PLAN, load_city_plan, read_city_plan_file

AXE_URL = "/__test__/axe.min.js"


@pytest.mark.browser
def test_the_city_page_fits_a_phone_and_passes_axe(app, new_page, live_server):
    missing = tools_missing()
    if missing:
        pytest.skip(missing)
    with app.app_context():
        load_city_plan(read_city_plan_file(BUNDLED_CITY_PLAN))
        city = db.session.scalar(select(Ward).filter_by(slug="long-bien")).city_unit
        create_user("so-dt", Role.CITY_ADMIN, PASSWORD, city=city)
    page = new_page(width=360, height=740)
    page.route(f"{live_server}{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill("so-dt")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto("/city")
    assert page.get_by_role("heading", name="Tổng hợp toàn thành phố").is_visible()
    numbers = page.evaluate(MEASURE_JS, [TARGET_MIN])
    assert numbers["scrollWidth"] <= numbers["clientWidth"], numbers
    assert not numbers["small"], numbers["small"]
    regions = page.locator(".scroll-region")
    assert regions.count() == 2
    assert page.evaluate("r => r.scrollWidth > r.clientWidth", regions.nth(1).element_handle())  # the wards' table
    page.add_script_tag(url=AXE_URL)
    assert page.evaluate(AXE_JS, [AXE_TAGS]) == []
    page.get_by_role("link", name="Phường Long Biên").click()
    assert page.url.endswith("/rollup")

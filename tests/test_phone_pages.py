"""Every page a person reaches by clicking, measured on a 360×740 phone in Chromium, as each role.

The crawl starts at the landing page and follows same-origin links found in the pages (not
downloads, evidence files, sign-out or the language switch), at most two pages of one shape
(/schools/<slug>, /inspections/<id>) and 32 pages per role (tests/phone_audit.py). On each page:

(a) the document does not scroll sideways: `scrollWidth <= clientWidth` of <html> and <body>
    (wide tables scroll inside their own `.scroll-region`, which leaves the document alone);
(b) the site header, with the year bar when that sits outside it, is at most 120 px tall;
(c) the checklist of the 9-item school (/schools/th-doan-ket) is at most 3,500 px tall;
(d) tap targets are at least 44×44 px (WCAG 2.5.5). Targets are the visible `a[href]`, `button`,
    `input` (not hidden), `select`, `textarea`, `summary` and `[role=button]` elements. The
    inline exception: a link whose computed display is `inline` and whose nearest block
    ancestor holds words other than its links' own (punctuation aside) sits in a sentence and
    is not measured. A checkbox or radio button is measured by the larger of its own box and its
    label's, since tapping the label ticks it. Elements with no box (display: none, inside a
    closed <details>), hidden, 1 px (`.visually-hidden`) or parked off-screen (the skip link
    before it is focused) are not targets yet;
(e) axe-core finds no violation of the WCAG 2.0/2.1 A and AA rules;
(f) the console shows no refusal by the Content Security Policy and no script error;
(g) the Nu Html Checker (vnu.jar, one run over every page's HTML as served) finds no error,
    except its "attribute hx-… not allowed" for htmx's attributes.

Each page answers 200. Failures are listed together: role, URL, what, the numbers.
"""

import os
import re

import pytest
from helpers import SCHOOL_A, browser_login, schedule_visit
from phone_audit import (
    AXE,
    AXE_JS,
    AXE_TAGS,
    CHECKLIST_MAX,
    HEADER_MAX,
    MEASURE_JS,
    TARGET_MIN,
    Crawl,
    followable,
    nu_errors,
    path_pattern,
    tools_missing,
)
from playwright.sync_api import expect
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import ChecklistItem, Plan, School
from aiplan.notifications.scan import make_due_notifications
from aiplan.years.services import proposed_calendar, start_next_year

ROLES = [None, "staff_a", "supervisor", "ward_admin", "viewer"]  # None: signed out
# The Nu Html Checker does not know htmx's attributes; its complaint about them, and only that,
# is set aside.
HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z:-]+” not allowed on element “[a-z0-9-]+” at this point\.$")
# axe-core is served to the page from this same-origin address (the test routes it to the file):
# the CSP (script-src 'self') refuses the inline <script> that add_script_tag(path=…) writes, and the
# audit keeps the CSP on, since it is part of what is measured.
AXE_URL = "/__test__/axe.min.js"


@pytest.fixture
def tools():
    """axe-core and vnu.jar from node_modules (npm ci) and a java to run the checker."""
    missing = tools_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture
def visit(app) -> int:
    with app.app_context():
        return schedule_visit(SCHOOL_A)


@pytest.fixture
def notified(app, visit) -> None:
    """Notifications for each role (late items, reports of the chain), so that "Thông báo" is measured with some."""
    with app.app_context():
        assert make_due_notifications() > 0


@pytest.fixture
def next_year(app) -> None:
    """The next school year in preparation, so that the ward admin's pages carry the year bar."""
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        start_next_year(plan, proposed_calendar(plan.school_year))


def audit_page(page, role: str, path: str, failures: list[str]) -> None:
    numbers = page.evaluate(MEASURE_JS, [TARGET_MIN])
    where = f"{role} {path}"
    if numbers["scrollWidth"] > numbers["clientWidth"]:
        failures.append(
            f"{where}: the page scrolls sideways ({numbers['scrollWidth']} px wide in {numbers['clientWidth']} px)"
        )
    if numbers["header"] is not None and numbers["header"] > HEADER_MAX:
        failures.append(f"{where}: header {numbers['header']} px tall (at most {HEADER_MAX})")
    if path == f"/schools/{SCHOOL_A}" and numbers["height"] > CHECKLIST_MAX:
        failures.append(f"{where}: the 9-item checklist is {numbers['height']:,} px tall (at most {CHECKLIST_MAX:,})")
    if numbers["small"]:
        shown = "; ".join(numbers["small"][:4]) + ("; …" if len(numbers["small"]) > 4 else "")
        failures.append(f"{where}: {len(numbers['small'])} tap targets under {TARGET_MIN}×{TARGET_MIN} px: {shown}")
    page.add_script_tag(url=AXE_URL)
    for violation in page.evaluate(AXE_JS, [AXE_TAGS]):
        failures.append(
            f"{where}: axe {violation['id']} ({violation['impact']}, {violation['nodes']} elements): "
            f"{violation['help']} — {' | '.join(violation['first'])}"
        )


@pytest.mark.browser
def test_every_page_a_role_reaches_fits_a_phone_and_passes_the_checkers(
    tools, app, visit, notified, next_year, new_page, live_server, tmp_path
):
    with app.app_context():
        current = db.session.scalar(select(Plan).order_by(Plan.id))  # the open year, not the one prepared
        items = db.session.scalar(
            select(func.count(ChecklistItem.id))
            .join(School)
            .where(School.slug == SCHOOL_A, ChecklistItem.plan_id == current.id)
        )
    assert items == 9, f"{SCHOOL_A} has {items} checklist items; (c) is about a 9-item school"

    failures: list[str] = []
    saved: dict[str, tuple[str, str]] = {}  # file name -> (role, path)
    visited: dict[str, list[str]] = {}
    console: list[str] = []  # CSP refusals and script errors of the page being measured
    for persona in ROLES:
        role = persona or "signed out"
        page = new_page(width=360, height=740)
        page.route(f"{live_server}{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda error: console.append(f"script error: {error}"))
        if persona:
            browser_login(page, persona)
        crawl = Crawl()
        visited[role] = []
        while (path := crawl.next()) is not None:
            response = page.goto(path)
            page.wait_for_load_state("load")
            final = re.sub(r"^https?://[^/]+", "", page.url)
            if "text/html" not in (response.headers.get("content-type", "") if response else ""):
                continue
            if final != path and not crawl.arrived(final):
                continue  # a redirect to a page already measured (/ → the school's checklist)
            visited[role].append(final)
            if response.status != 200:
                failures.append(f"{role} {path}: HTTP {response.status}, linked from a page")
                continue
            name = f"{len(saved):03d}.html"
            (tmp_path / name).write_bytes(response.body())
            saved[name] = (role, final)
            hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
            crawl.add(p for p in (followable(h, live_server) for h in hrefs) if p)
            audit_page(page, role, final, failures)
            failures.extend(f"{role} {final}: console: {line[:160]}" for line in console)
            console.clear()
        page.context.close()

    for file, message in nu_errors([tmp_path / name for name in saved], ignored=HTMX_ATTRIBUTE):
        role, path = saved.get(file.name, ("?", str(file)))
        failures.append(f"{role} {path}: Nu {message}")

    # the crawl itself must have reached the pages it is meant to measure
    assert f"/schools/{SCHOOL_A}" in visited["staff_a"], visited["staff_a"]
    assert any(re.fullmatch(rf"/inspections/{visit}", p) for p in visited["supervisor"]), visited["supervisor"]
    for role in ("staff_a", "supervisor", "ward_admin", "viewer"):
        assert len(visited[role]) >= 5, f"{role} reached only {visited[role]}"
        assert "/notifications" in visited[role], f"{role} did not reach the bell's page"
        assert "/huong-dan" in visited[role], f"{role} did not reach the guide from the header"
    pages = sum(len(v) for v in visited.values())
    assert not failures, f"{len(failures)} problems on {pages} pages:\n" + "\n".join(failures)


# -- the audit's own rules, on pages made for the purpose ------------------------------------


@pytest.mark.browser
def test_the_tap_target_rule_flags_small_controls_and_spares_links_in_a_sentence(new_page):
    page = new_page(width=360, height=740)
    page.set_content(
        """<main>
        <p>Xem <a href="/a" id="inline">hướng dẫn</a> trước khi nộp.</p>
        <ul><li><a href="/b">Một liên kết đứng riêng</a></li></ul>
        <button style="width:120px;height:30px">Lưu</button>
        <button style="width:120px;height:48px">Gửi</button>
        <label style="display:block;padding:14px"><input type="checkbox"> Đánh dấu</label>
        <a href="/c" class="visually-hidden" style="position:absolute;width:1px;height:1px;overflow:hidden">ẩn</a>
        </main>"""
    )
    small = page.evaluate(MEASURE_JS, [TARGET_MIN])["small"]
    assert any(s.startswith("a “Một liên kết đứng riêng”") for s in small), small
    assert any(s.startswith("button[submit] “Lưu” 120×30") for s in small), small
    assert not any("hướng dẫn" in s or "Gửi" in s or "checkbox" in s or "ẩn" in s for s in small), small


@pytest.mark.browser
def test_the_page_measure_sees_sideways_scroll_but_not_a_scroll_region(new_page):
    page = new_page(width=360, height=740)
    page.set_content(
        '<div class="scroll-region" style="overflow-x:auto">'
        '<table style="width:900px"><tr><td>x</td></tr></table></div>'
    )
    numbers = page.evaluate(MEASURE_JS, [TARGET_MIN])
    assert numbers["scrollWidth"] <= numbers["clientWidth"]
    page.set_content('<table style="width:900px"><tr><td>x</td></tr></table>')
    numbers = page.evaluate(MEASURE_JS, [TARGET_MIN])
    assert numbers["scrollWidth"] > numbers["clientWidth"]


def test_only_htmx_attributes_are_set_aside_from_the_checker():
    assert HTMX_ATTRIBUTE.match("Attribute “hx-post” not allowed on element “form” at this point.")
    assert HTMX_ATTRIBUTE.match("Attribute “hx-on:htmx:after-request” not allowed on element “div” at this point.")
    assert not HTMX_ATTRIBUTE.match("Attribute “data-x” not allowed on element “form” at this point.")
    assert not HTMX_ATTRIBUTE.match("Attribute “hx-post” not allowed on element “form” at this point. Also bad.")


def test_the_checker_reports_a_skipped_heading_but_not_htmx_attributes(tools, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<!doctype html><html lang="vi"><head><title>t</title></head><body><h1>a</h1><h2>b</h2><h4>c</h4>'
        '<form hx-post="/x" hx-target="this" action="/x"><button>d</button></form></body></html>',
        encoding="utf-8",
    )
    errors = [message for _, message in nu_errors([page], ignored=HTMX_ATTRIBUTE)]
    assert len(errors) == 1 and "skipping 1 heading level" in errors[0], errors


def test_the_crawl_follows_pages_once_per_shape_and_skips_downloads():
    origin = "http://127.0.0.1:5000"
    assert followable(f"{origin}/schools/th-doan-ket#item-3", origin) == "/schools/th-doan-ket"
    assert followable(f"{origin}/rollup?khoi=tieu-hoc", origin) == "/rollup?khoi=tieu-hoc"
    for download in ("/rollup.xlsx", "/schools/a/report.docx", "/files/12", "/schools/a/evidence.zip", "/logout"):
        assert followable(origin + download, origin) is None, download
    assert followable("https://example.org/schools", origin) is None
    assert path_pattern("/schools/th-doan-ket/history") == path_pattern("/schools/thcs-thach-ban/history")
    assert path_pattern("/inspections/3/minutes") == "/inspections/<n>/minutes"
    crawl = Crawl(queue=[])
    crawl.add(["/schools/a", "/schools/b", "/schools/c", "/schools/a", "/rollup"])
    reached = []
    while (path := crawl.next()) is not None:
        reached.append(path)
    assert reached == ["/schools/a", "/schools/b", "/rollup"]


@pytest.mark.browser
def test_tapping_a_verdict_breaks_no_content_security_rule(new_page, visit):
    """htmx must not write inline styles or scripts the CSP refuses (they show in the console)."""
    phone = new_page(width=360, height=740)
    console: list[str] = []
    phone.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    phone.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    browser_login(phone, "supervisor")
    phone.goto(f"/inspections/{visit}")
    item = phone.locator("li.item").filter(has_text="Xây dựng kế hoạch triển khai giáo dục AI")
    item.get_by_role("button", name="Đạt", exact=False).first.click()
    # the school has not ticked this item, so "Đạt" asks first: two swaps, both watched
    item.get_by_role("button", name="Vẫn xác nhận “Đạt”").click()
    expect(item.locator("button.verdict-dat")).to_have_attribute("aria-pressed", "true")
    phone.wait_for_timeout(300)  # htmx settles (20 ms) and removes its classes after the swap
    refused = [line for line in console if "Content Security Policy" in line or line.startswith("pageerror")]
    assert not refused, "\n".join(console)


# -- the markup fixes, as the server sends them ----------------------------------------------


def test_time_elements_give_their_moment_to_the_second(as_persona):
    """HTML allows at most three digits of a second's fraction in `datetime`; the audit log
    and the history show when things happened to the second, in Hà Nội time."""
    page = as_persona("ward_admin").get("/audit").get_data(as_text=True)
    moments = re.findall(r'<time datetime="([^"]*)"', page)
    assert moments, "the audit page shows no <time> (the ward admin's sign-in should be there)"
    for moment in moments:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", moment), moment


def test_a_required_drop_down_starts_with_an_empty_choice(as_persona):
    """The Nu Html Checker's rule: a `required` select's first option must be an empty placeholder.

    A drop-down that always has a choice drops `required` (the html_required filter); one with a
    "— Chọn … —" placeholder keeps it."""
    admin = as_persona("ward_admin")
    checked = 0
    for url in ("/admin/schools/new", "/admin/accounts/new", "/inspections/new", "/ward/activities"):
        page = admin.get(url).get_data(as_text=True)
        for found in re.finditer(r"(<select[^>]*>)(.*?)</select>", page, re.S):
            tag, options = found.groups()
            if re.search(r"\brequired\b", tag):
                first = re.search(r"<option[^>]*>", options).group(0)
                assert 'value=""' in first, f"{url}: {tag} starts with {first}"
                checked += 1
    assert checked >= 2, "the account and school forms' role and level drop-downs are required"
    page = admin.get("/admin/schools/new").get_data(as_text=True)
    name = re.search(r"<input[^>]*\bname=\"name\"[^>]*>", page).group(0)
    assert "required" in name, "a text field its validators require keeps `required`"

"""The guide in a real Chromium: its screenshots are made here, and a newcomer's steps are followed here.

`make guide` runs this file with GUIDE_SHOTS=1: every screenshot the guides name (aiplan/guide/roles/
*.toml, [[shot]]) is taken at phone (360×740) and desktop (1280×800) size into static/guide/, on the
bundled plan and schools the suite seeds, by the same journeys the suite runs without it. Without
GUIDE_SHOTS the journeys still walk every shot's page and check its title is the one the picture
shows, so a page renamed or moved fails here before the guide is wrong.
"""

import json
import os
import re
from pathlib import Path

import pytest
from helpers import PASSWORD, PERSONAS, SCHOOL_A, browser_login, open_item, schedule_visit
from phone_audit import AXE, AXE_JS, AXE_TAGS, MEASURE_JS, TARGET_MIN, nu_errors, tools_missing
from playwright.sync_api import expect
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.guide import content
from aiplan.inspections.services import give_verdict
from aiplan.models import ChecklistItem, EvidenceFile, Inspection, School, User, Verdict

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "static"
SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
WRITE = os.environ.get("GUIDE_SHOTS") == "1"
PARTS = SHOTS / "guide" / "pages.json"  # each pictured page's part titles when its picture was taken
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
NEEDS_MORE_REASON = "Bổ sung bản kế hoạch đã ký và đóng dấu của nhà trường."


@pytest.fixture
def scene(app) -> dict[str, str]:
    """What the pictures show beyond the seeded plan: a visit to school A, and one of its items sent
    back ("Cần bổ sung"), so that the school's "Cần chú ý" shows what the guide describes."""
    with app.app_context():
        visit = schedule_visit(SCHOOL_A)
        inspection = db.session.get(Inspection, visit)
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        item = db.session.scalar(select(ChecklistItem).filter_by(school_id=school.id, key="m3"))
        supervisor = db.session.scalar(select(User).filter_by(username=PERSONAS["supervisor"][0]))
        give_verdict(
            item, Verdict.NEEDS_MORE, NEEDS_MORE_REASON, version=item.version, actor=supervisor, inspection=inspection
        )
    return {"school": SCHOOL_A, "visit": str(visit)}


def item(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


def _frame(page, shot: content.Shot) -> None:
    """Put the page as the picture shows it: <details> opened, the item or part scrolled to the top."""
    for selector in shot.open:
        page.locator(selector).first.evaluate("e => { e.open = true; }")
    if shot.scroll_to.startswith("#"):
        page.locator(shot.scroll_to).evaluate("e => e.scrollIntoView({block: 'start'})")
    elif shot.scroll_to:
        target = open_item(item(page, shot.scroll_to), files=True)
        target.evaluate("e => e.scrollIntoView({block: 'start'})")


def _sections(page) -> list[str]:
    """The page's part titles (its <h2>s), white space made single: what a picture's reader looks for."""
    return [" ".join(text.split()) for text in page.locator("main h2").all_inner_texts()]


def test_every_screenshot_of_the_guide_shows_a_page_that_still_has_its_title_and_parts(new_page, scene):
    """Without GUIDE_SHOTS: each pictured page still has the title and the parts (static/guide/pages.json)
    it had when its picture was taken; with it, the pictures and pages.json are made anew."""
    shots = [shot for guide in content.guides().values() for shot in guide.shots.values()]
    assert shots
    recorded = {} if WRITE else json.loads(PARTS.read_text(encoding="utf-8"))
    for size, (width, height) in SIZES.items():
        pages = {}
        for shot in shots:
            if shot.persona not in pages:
                pages[shot.persona] = new_page(width=width, height=height)
                if shot.persona:
                    browser_login(pages[shot.persona], shot.persona)
            page = pages[shot.persona]
            response = page.goto(shot.path.format(**scene))
            assert response is not None and response.status == 200, f"{shot.name}: {shot.path}"
            expect(page.locator("main h1").first, f"{shot.name}: the page's title").to_have_text(shot.heading)
            if WRITE:
                recorded[shot.name] = _sections(page)
            else:
                assert _sections(page) == recorded.get(shot.name), (
                    f"{shot.name}: the page's parts changed since its picture was taken: run `make guide`"
                )
            _frame(page, shot)
            if WRITE:
                page.screenshot(path=SHOTS / shot.file(size), animations="disabled", caret="hide")
    if WRITE:
        PARTS.write_text(json.dumps(recorded, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _control(scope, name: str):
    """The button, link or disclosure a step names, by the words the step tells the reader to tap."""
    return (
        scope.get_by_role("button", name=name, exact=True)
        .or_(scope.get_by_role("link", name=name, exact=True))
        .or_(scope.locator("summary").filter(has_text=re.compile(rf"^\s*{re.escape(name)}")))
        .first
    )


def test_a_newcomer_follows_the_school_staff_guide_on_a_phone_from_login_to_uploaded_evidence(app, new_page, tmp_path):
    guide = content.guides()["truong"]
    steps = [step for task_id in ("bat-dau", "minh-chung") for step in guide.task(task_id).steps]
    typed = {"Tên đăng nhập": PERSONAS["staff_a"][0], "Mật khẩu": PASSWORD}
    evidence = tmp_path / "Kế hoạch nhà trường đã ký.pdf"
    evidence.write_bytes(PDF)
    page = new_page(width=360, height=740)
    done = []
    for step in steps:
        if not step.do:
            continue
        words = step.name or step.label
        assert words and words in step.text, f"the step names what it does: {step.text}"
        scope = item(page, step.within) if step.within else page
        if step.do == "goto":
            page.goto(step.path)  # the address the ward gives out; a newcomer is sent to sign in
            expect(page.locator("main h1")).to_have_text(step.name)
        elif step.do == "fill":
            scope.get_by_label(step.label, exact=True).fill(typed[step.label])
        elif step.do == "click":
            _control(scope, step.name).click()
        elif step.do == "upload":
            scope.get_by_label(step.label, exact=True).set_input_files(evidence)
        elif step.do == "see":
            expect(scope.get_by_text(step.name).first).to_be_visible()
        else:
            raise AssertionError(f"unknown step action {step.do!r}")
        done.append(step.do)
    assert done.count("click") >= 4 and "upload" in done

    plan_item = item(page, "Kế hoạch nhà trường")
    expect(plan_item.get_by_role("link", name=evidence.name)).to_be_visible()
    expect(plan_item.get_by_role("button", name="Đã hoàn thành")).to_have_attribute("aria-pressed", "true")
    with app.app_context():
        assert db.session.scalar(select(EvidenceFile).filter_by(original_name=evidence.name)) is not None

    # The guide itself is one tap away from every page, from the menu and from the "?" by the title.
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("link", name="Hướng dẫn", exact=True).click()
    expect(page.locator("main h1")).to_have_text(guide.title)
    page.go_back()
    page.get_by_role("link", name="Hướng dẫn cho trang này").click()
    expect(page).to_have_url(re.compile(r"/huong-dan/truong#ke-hoach$"))
    expect(page.locator("#ke-hoach")).to_be_in_viewport()


HTMX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z:-]+” not allowed on element “[a-z0-9-]+” at this point\.$")


def test_every_guide_page_fits_a_phone_and_passes_the_checkers(new_page, live_server, tmp_path):
    """Each role's guide and the FAQ, as tests/test_phone_pages.py measures a page (its crawl stops
    at 32 pages a role, so it need not reach them all): no sideways scroll, tap targets of 44 px,
    no axe-core violation of WCAG 2.1 A/AA, and no error from the Nu Html Checker."""
    missing = tools_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    page = new_page(width=360, height=740)
    page.route(
        f"{live_server}/__test__/axe.min.js", lambda route: route.fulfill(path=AXE, content_type="text/javascript")
    )
    browser_login(page, "staff_a")
    failures, saved = [], []
    paths = [f"/huong-dan/{slug}" for slug in content.guides()] + ["/huong-dan/cau-hoi-thuong-gap"]
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        saved.append(tmp_path / f"{len(saved):02d}.html")
        saved[-1].write_bytes(response.body())
        numbers = page.evaluate(MEASURE_JS, [TARGET_MIN])
        if numbers["scrollWidth"] > numbers["clientWidth"]:
            failures.append(f"{path}: scrolls sideways")
        failures.extend(f"{path}: small target {small}" for small in numbers["small"])
        page.add_script_tag(url="/__test__/axe.min.js")
        failures.extend(f"{path}: axe {v['id']}: {v['help']} — {v['first']}" for v in page.evaluate(AXE_JS, [AXE_TAGS]))
    failures.extend(f"{file.name}: Nu {message}" for file, message in nu_errors(saved, ignored=HTMX_ATTRIBUTE))
    assert not failures, "\n".join(failures)

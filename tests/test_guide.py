"""The user guide (aiplan/guide): its pages and DOCX per role, the "?" beside page titles, and the
checks that keep it true to the app — every screenshot it shows exists and names a page that still
exists, every page it explains is a route, every message it quotes is one the app prints."""

import io
import json
import re
from pathlib import Path

import pytest
from docx import Document
from docx.image.image import Image
from docx.shared import Mm
from helpers import SCHOOL_A, page_text

from aiplan.guide import content

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
# What the shots' paths leave to the journey: a real value of the right shape for each.
EXAMPLES = {"school": SCHOOL_A, "visit": "1"}
GUIDES = content.guides()
SHOTS = [(guide.slug, shot) for guide in GUIDES.values() for shot in guide.shots.values()]
# The landing page of each role and the guide section its "?" must lead to.
LANDING = {
    "staff_a": (f"/schools/{SCHOOL_A}", "/huong-dan/truong#ke-hoach"),
    "supervisor": ("/inspections", "/huong-dan/doan-kiem-tra#bat-dau"),
    "ward_admin": ("/schools", "/huong-dan/phong-vhxh#theo-doi"),
    "viewer": ("/rollup", "/huong-dan/lanh-dao#theo-doi"),
    "city_admin": ("/city", "/huong-dan/so-gddt#cac-phuong"),
}
OWN_GUIDE = {"staff_a": "truong", "supervisor": "doan-kiem-tra", "ward_admin": "phong-vhxh", "viewer": "lanh-dao"}


def _source_text() -> str:
    """Every word the app can show, as one text: Python sources (adjacent string literals joined, as
    Python joins them), templates and the bundled plan (the checklist's item titles), white space made single."""
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "aiplan").rglob("*.py") if "translations" not in p.parts]
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "templates").rglob("*.html")]
    texts += [p.read_text(encoding="utf-8") for p in (ROOT / "aiplan" / "plans").glob("*.toml")]  # the plan's words
    joined = re.sub(r"\"\s*\n\s*\"", "", "\n".join(texts))
    return re.sub(r"\s+", " ", joined)


def test_every_control_or_label_a_step_quotes_is_one_the_app_shows():
    """A step puts the words of the screen between “ ”: a renamed button fails here, not in a staff meeting.
    "…" stands for what varies (a count, a year)."""
    source = _source_text()
    quoted = [
        (guide.slug, task.id, words)
        for guide in GUIDES.values()
        for task in guide.tasks
        for step in task.steps
        for words in re.findall(r"“([^”]+)”", step.text)
    ]
    assert len(quoted) > 60
    missing = [q for q in quoted if not all(part.strip() in source for part in q[2].split("…"))]
    assert not missing, f"steps quote words the app does not show: {missing}"


def _fragments(message: str) -> list[str]:
    """The parts of a message between the values the app fills in (%(x)s)."""
    return [part.strip() for part in re.split(r"%\([a-z_]+\)[sd]", message) if len(part.strip()) >= 4]


@pytest.mark.parametrize(("slug", "shot"), SHOTS, ids=[shot.name for _, shot in SHOTS])
def test_each_screenshot_exists_at_both_sizes_and_names_a_page_that_exists(app, slug, shot):
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(shot.path.format(**EXAMPLES), method="GET")
    assert endpoint == shot.endpoint, f"{shot.name}: {shot.path} is now {endpoint}, not {shot.endpoint}"
    for size, (width, height) in SIZES.items():
        path = STATIC / shot.file(size)
        assert path.is_file(), f"{path} is missing: run `make guide` and commit static/guide/"
        picture = Image.from_file(str(path))
        assert (picture.content_type, picture.px_width, picture.px_height) == ("image/png", width, height), path


def test_every_task_shows_a_screenshot_of_its_own_guide_and_explains_pages_that_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for guide in GUIDES.values():
        for task in guide.tasks:
            assert task.screenshot in guide.shots, f"{guide.slug}#{task.id}: no shot {task.screenshot!r}"
            assert set(task.pages) <= endpoints, f"{guide.slug}#{task.id}: {set(task.pages) - endpoints}"
            assert task.steps and task.when and task.why, f"{guide.slug}#{task.id}"
    parts = json.loads((STATIC / "guide" / "pages.json").read_text(encoding="utf-8"))
    assert set(parts) == {shot.name for _, shot in SHOTS}, "static/guide/pages.json is stale: run `make guide`"
    on_disk = {p.name for p in (STATIC / "guide").glob("*.png")}
    named = {Path(shot.file(size)).name for _, shot in SHOTS for size in SIZES}
    assert on_disk == named, f"pictures no guide shows: {sorted(on_disk - named)}"


# What answers a GET but is a file or a machine's answer, not a page a person reads: no guide section.
NOT_PAGES = {
    "core.healthz",
    "evidence.download",
    "inspections.decision_file",
    "jobs.download",
    "problems.download",
    "mailing.unsubscribe",  # reached from an e-mail, signed out; it says what it did
}
DOWNLOAD = re.compile(r"\.(csv|xlsx|json|toml|zip|docx|<ext>)$")


def test_every_page_a_person_reads_is_explained_by_a_guide_section(app):
    """A new page fails here until a task of some guide lists it (`pages`), so that its "?" leads somewhere."""
    explained = {page for guide in GUIDES.values() for task in guide.tasks for page in task.pages}
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not DOWNLOAD.search(rule.rule)]
    pages = {rule.endpoint for rule in rules if not rule.endpoint.startswith(("static", "guide."))} - NOT_PAGES
    assert not pages - explained, f"no guide explains these pages: {sorted(pages - explained)}"


def test_the_four_roles_guides_run_through_the_year_in_the_plans_order():
    order = ["Bắt đầu", "Đầu HK II", "Trong HK II", "Giữa HK II", "Cuối HK II", "Cuối năm học", "Năm học mới"]
    for slug in ("truong", "doan-kiem-tra", "phong-vhxh", "lanh-dao"):
        phases = [task.phase for task in GUIDES[slug].tasks]
        assert set(phases) <= set(order), slug
        assert phases == sorted(phases, key=order.index), f"{slug}: {phases}"
    assert {t.phase for t in GUIDES["truong"].tasks} == set(order)


def test_every_message_the_guide_quotes_is_one_the_app_prints():
    source = _source_text()
    quoted = [p.message for g in GUIDES.values() for t in g.tasks for p in t.problems]
    quoted += [m for q in content.questions() for m in q.messages]
    assert len(quoted) > 15
    missing = [m for m in quoted if not all(part in source for part in _fragments(m))]
    assert not missing, f"the app no longer prints these: {missing}"


def test_the_faq_answers_the_six_questions_people_ask():
    ids = [q.id for q in content.questions()]
    assert ids == ["quen-mat-khau", "tep-bi-tu-choi", "nguoi-khac-vua-sua", "can-bo-sung", "qua-han", "doi-nam-hoc"]


@pytest.mark.parametrize("persona", sorted(OWN_GUIDE))
def test_the_header_link_opens_the_readers_own_guide_first_and_every_other(as_persona, persona):
    client = as_persona(persona)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    link = re.search(r'<a href="/huong-dan"[^>]*>(.*?)</a>', home)
    assert link and page_text(link.group(1)) == "? Hướng dẫn", "no Hướng dẫn link in the header"
    assert '<span class="guide-nav-icon" aria-hidden="true">?</span>' in link.group(0)
    response = client.get("/huong-dan")
    assert response.status_code == 200
    own = GUIDES[OWN_GUIDE[persona]]
    text = page_text(response.get_data(as_text=True))
    assert f"Hướng dẫn sử dụng {own.title}" in text
    tabs = re.findall(r'<li><a href="/huong-dan/([a-z-]+)"', response.get_data(as_text=True))
    assert tabs[0] == own.slug and set(tabs) == set(GUIDES) | {"cau-hoi-thuong-gap"}
    for task in own.tasks:
        assert f'id="{task.id}"' in response.get_data(as_text=True)
        assert task.why in text


@pytest.mark.parametrize("persona", sorted(LANDING))
def test_each_roles_first_page_has_a_question_mark_leading_to_its_section(as_persona, persona):
    path, section = LANDING[persona]
    markup = as_persona(persona).get(path).get_data(as_text=True)
    link = re.search(r'<a class="page-help" href="([^"]+)" title="Hướng dẫn cho trang này">', markup)
    assert link, f"{persona} {path}: no “?”"
    assert link.group(1) == section
    assert '<span class="visually-hidden">Hướng dẫn cho trang này</span>' in markup


def test_the_sos_account_reading_a_ward_is_led_to_the_leaders_guide(as_persona):
    markup = as_persona("city_admin").get("/rollup").get_data(as_text=True)
    assert '<a class="page-help" href="/huong-dan/lanh-dao#theo-doi"' in markup
    tabs = re.findall(
        r'<li><a href="/huong-dan/([a-z-]+)"', as_persona("city_admin").get("/huong-dan").get_data(as_text=True)
    )
    assert tabs[:2] == ["so-gddt", "lanh-dao"]


def test_a_page_no_guide_explains_has_no_question_mark(as_persona):
    markup = as_persona("staff_a").get("/huong-dan/truong").get_data(as_text=True)
    assert 'class="page-help"' not in markup


def test_the_guide_prints_as_an_a4_docx_with_its_screenshots(as_persona):
    response = as_persona("viewer").get("/huong-dan/truong.docx")
    assert response.status_code == 200
    assert "huong-dan-truong.docx" in response.headers["Content-Disposition"]
    doc = Document(io.BytesIO(response.data))
    section = doc.sections[0]
    assert (round(section.page_width / Mm(1)), round(section.page_height / Mm(1))) == (210, 297)
    assert doc.styles["Normal"].font.name == "Times New Roman"
    text = "\n".join(p.text for p in doc.paragraphs)
    guide = GUIDES["truong"]
    for number, task in enumerate(guide.tasks, start=1):
        assert f"{number}. {task.title}" in text
    assert "CÂU HỎI THƯỜNG GẶP" in text and content.questions()[0].question in text
    assert "Chưa có ảnh" not in text
    pictures = [r for r in doc.part.rels.values() if r.reltype.endswith("/image")]
    assert len({task.screenshot for task in guide.tasks}) == len(pictures)


def test_the_guide_page_offers_its_docx_and_the_faq_page_its_questions(as_persona):
    client = as_persona("supervisor")
    page = client.get("/huong-dan/phong-vhxh").get_data(as_text=True)
    assert 'href="/huong-dan/phong-vhxh.docx"' in page
    faq = page_text(client.get("/huong-dan/cau-hoi-thuong-gap").get_data(as_text=True))
    for question in content.questions():
        assert question.question in faq
    assert "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa." in faq
    assert "Không nhận loại tệp .…. Các loại được nhận: …." in faq


def test_an_unknown_guide_is_not_found(as_persona):
    assert as_persona("staff_a").get("/huong-dan/khong-co").status_code == 404
    assert as_persona("staff_a").get("/huong-dan/khong-co.docx").status_code == 404

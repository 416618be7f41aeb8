"""One vocabulary: each status, verdict, rating and role is worded once, on its enum, and every page
reads it there, so an English page never shows a Vietnamese status word beside English buttons (nor
the reverse); documents and exports stay in Vietnamese whatever the reader's language."""

import io
import re

import pytest
from docx import Document
from helpers import EN_PO, SCHOOL_A, AuthActions, read_catalog, schedule_visit, text_of
from openpyxl import load_workbook
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import (
    RESUBMITTED,
    ChecklistItem,
    EvaluationState,
    InspectionStatus,
    ItemStatus,
    Plan,
    Rating,
    Role,
    School,
    TargetOutcome,
    Verdict,
)

# The words people read for the app's codes. Timings, owners and school levels are left out: the
# plan's own text (shown as it is, in Vietnamese) and the schools' names use the same words.
VOCABULARY = (ItemStatus, Verdict, Rating, EvaluationState, TargetOutcome, InspectionStatus, Role)


def source_words() -> set[str]:
    """Every label and short label, as written in the code (the msgid, Vietnamese)."""
    terms = [*(member for vocabulary in VOCABULARY for member in vocabulary), RESUBMITTED]
    return {str(word) for term in terms for word in (term.label, term.short)}  # outside an app: the msgid


def english_words() -> set[str]:
    translated = {message.id: message.string for message in read_catalog(EN_PO) if message.id}
    return {translated[word] for word in source_words() if translated.get(word)}


def found(words: set[str], text: str) -> list[str]:
    """The words that stand in the text as words (not inside a longer one), case-sensitively."""
    return sorted(w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text))


def item_of(key: str, slug: str = SCHOOL_A) -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def version_of(app, key: str) -> tuple[int, int]:
    with app.app_context():
        item = item_of(key)
        return item.id, item.version


def client_of(app, persona: str, lang: str):
    client = app.test_client()
    client.set_cookie("lang", lang)
    assert AuthActions(client).login(persona).status_code == 302
    return client


@pytest.fixture
def worked(english_app) -> dict:
    """A school with an item of each status, verdicts of each kind (one sent back and updated since),
    a visit, and a draft self-evaluation; returns the pages to read, by persona."""
    app = english_app
    with app.app_context():
        visit = schedule_visit()
        criteria = [c.id for c in db.session.scalar(select(Plan)).criteria]
    staff, supervisor = client_of(app, "staff_a", "vi"), client_of(app, "supervisor", "vi")
    for key, status in (("m3", "da_hoan_thanh"), ("m4", "dang_thuc_hien")):
        item_id, version = version_of(app, key)
        response = staff.post(f"/schools/{SCHOOL_A}/items/{item_id}", data={"status": status, "version": version})
        assert response.status_code == 303, key
    for key, verdict in (("m3", "dat"), ("t1/ho-so-lop-hoc", "can_bo_sung"), ("m4", "can_bo_sung")):
        item_id, version = version_of(app, key)
        response = supervisor.post(
            f"/inspections/{visit}/items/{item_id}/verdict",
            data={"verdict": verdict, "reason": "Thiếu hồ sơ", "version": version},
        )
        assert response.status_code == 303, key
    item_id, version = version_of(app, "m4")
    staff.post(f"/schools/{SCHOOL_A}/items/{item_id}", data={"note": "Đã bổ sung", "version": version})
    ratings = dict(zip((f"rating_{c}" for c in criteria), ("tot", "kha", "chua_dat"), strict=True))
    response = staff.post(f"/schools/{SCHOOL_A}/self-evaluation", data={"version": "0", "action": "save", **ratings})
    assert response.status_code == 302
    school = f"/schools/{SCHOOL_A}"
    return {
        "visit": visit,
        "pages": {
            "staff_a": [school, f"{school}/history", f"{school}/self-evaluation"],
            "supervisor": [f"/inspections/{visit}", "/inspections"],
            "ward_admin": ["/ward", "/rollup", f"{school}/self-evaluation", f"{school}/history"],
        },
    }


MATRIX = {"HX-Request": "true", "HX-Target": "rollup-matrix"}


def pages(app, worked: dict, lang: str):
    for persona, paths in worked["pages"].items():
        client = client_of(app, persona, lang)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            yield path, text_of(response)
        if persona == "ward_admin":
            yield "/rollup (the matrix alone)", text_of(client.get("/rollup", headers=MATRIX))


def test_the_words_looked_for_are_the_vocabularys_in_both_languages():
    """Guards the tests below: the words they look for are the labels, and the catalog's English."""
    words = source_words()
    assert {"Chưa thực hiện", "Đạt", "Cần bổ sung", "Tốt", "Bản nháp"} <= words
    assert {"Not started", "Satisfactory", "Needs more"} <= english_words()


def test_english_pages_show_no_vietnamese_status_word(english_app, worked):
    words = source_words()
    seen = {}
    for path, text in pages(english_app, worked, "en"):
        assert "Sign out" in text or "matrix" in path, path  # really the English page
        if wrong := found(words, text):
            seen[path] = wrong
    # A label missing from the English catalog shows its msgid: see docs/translations.md.
    assert not seen, f"Vietnamese status words on English pages: {seen}"


def test_vietnamese_pages_show_no_english_status_word(english_app, worked):
    words = english_words()
    seen = {}
    for path, text in pages(english_app, worked, "vi"):
        assert "Đăng xuất" in text or "matrix" in path, path
        if wrong := found(words, text):
            seen[path] = wrong
    assert not seen, f"English status words on Vietnamese pages: {seen}"


def test_the_school_page_badge_and_buttons_speak_the_same_language(english_app, worked):
    text = text_of(client_of(english_app, "staff_a", "en").get(f"/schools/{SCHOOL_A}"))
    assert "Not started In progress Done" in text  # the buttons
    assert "○ Not started" in text  # the badge beside them
    assert "Chưa thực hiện" not in text


# -- documents and exports stay in Vietnamese ------------------------------------------------------


def docx_text(response) -> str:
    document = Document(io.BytesIO(response.get_data()))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_school_report_is_in_vietnamese_for_an_english_reader(english_app, worked):
    response = client_of(english_app, "staff_a", "en").get(f"/schools/{SCHOOL_A}/report.docx")
    assert response.status_code == 200
    text = docx_text(response)
    assert "Đã hoàn thành" in text and "Đang thực hiện" in text and "Cần bổ sung" in text
    assert "Tốt" in text and "Chưa đạt" in text
    assert not found(english_words(), text)


def test_the_ward_report_and_the_minutes_are_in_vietnamese_for_an_english_reader(english_app, worked):
    admin = client_of(english_app, "ward_admin", "en")
    report = docx_text(admin.get("/ward/report.docx"))
    assert "Tự đánh giá" in report and "Bản nháp" in report
    assert not found(english_words(), report)
    supervisor = client_of(english_app, "supervisor", "en")
    minutes = docx_text(supervisor.get(f"/inspections/{worked['visit']}/minutes.docx"))
    assert "Đạt: 1 mục" in minutes and "Cần bổ sung" in minutes
    assert not found(english_words(), minutes)
    page = text_of(supervisor.get(f"/inspections/{worked['visit']}/minutes"))
    assert "Đạt: 1 mục" in page and "Đã hoàn thành" in page


def test_the_exports_are_in_vietnamese_for_an_english_reader(english_app, worked):
    admin = client_of(english_app, "ward_admin", "en")
    csv = admin.get("/rollup.csv").get_data().decode("utf-8-sig")
    assert "Đã hoàn thành" in csv and "Cần bổ sung" in csv and "Chưa thực hiện" in csv
    assert not found(english_words(), csv)
    workbook = load_workbook(io.BytesIO(admin.get("/rollup.xlsx").get_data()), read_only=True)
    cells = " ".join(str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert "Đã hoàn thành" in cells and "Đạt" in cells
    assert not found(english_words(), cells)

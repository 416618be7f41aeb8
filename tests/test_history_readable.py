"""A school's history reads as sentences: the item by its plan label, the vocabulary's words,
dd/mm/yyyy HH:MM in Hà Nội, no hashes or byte counts, sign-ins hidden unless asked for."""

import io
import re

import pytest
from helpers import SCHOOL_A, browser_login, text_of
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, ItemKind, School, User

HISTORY = f"/schools/{SCHOOL_A}/history"


@pytest.fixture
def app(seeded_app, tmp_path):
    return seeded_app(EVIDENCE_DIR=str(tmp_path / "evidence"))


def item(app, key: str) -> tuple[int, int]:
    with app.app_context():
        found = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == key)
        )
        return found.id, found.version


def set_status(client, app, key: str, status: str):
    item_id, version = item(app, key)
    response = client.post(f"/schools/{SCHOOL_A}/items/{item_id}", data={"status": status, "version": version})
    assert response.status_code == 303


def test_a_status_change_names_the_item_by_its_plan_label_and_says_from_what_to_what(app, as_persona):
    staff = as_persona("staff_a")
    set_status(staff, app, "m3", "dang_thuc_hien")

    text = text_of(staff.get(HISTORY))

    assert re.search(r"Cập nhật trạng thái mục «[^»]+» \(Mốc 3\): Chưa thực hiện → Đang thực hiện", text), text
    assert "Mục checklist" not in text and "chua_thuc_hien" not in text
    with app.app_context():
        full_name = db.session.scalar(select(User.full_name).filter_by(username="canbo-a"))
    who = f"{full_name} (canbo-a)" if full_name else "canbo-a"
    assert re.search(rf"\d\d/\d\d/20\d\d \d\d:\d\d · {re.escape(who)}", text)  # dd/mm/yyyy HH:MM, then who


def test_an_upload_says_the_file_its_size_in_kb_and_the_item_without_hash_or_bytes(app, as_persona):
    staff = as_persona("staff_a")
    item_id, _ = item(app, "t1/san-pham-trai-nghiem")
    content = b"%PDF-1.4\n" + b"0" * 5000 + b"\n%%EOF\n"
    staff.post(
        f"/schools/{SCHOOL_A}/items/{item_id}/files",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(content), "ke-hoach.pdf"), "description": "Kế hoạch"},
    )
    with app.app_context():
        sha = db.session.scalar(select(AuditEvent.after).filter_by(action="evidence.upload"))["sha256"]

    text = text_of(staff.get(HISTORY))

    assert re.search(r"Tải lên minh chứng «ke-hoach\.pdf» \(5 KB\) cho mục «[^»]+» \(Minh chứng chỉ tiêu STT 1\)", text)
    assert sha not in text and "SHA-256" not in text and "byte" not in text and "5016" not in text


def test_sign_ins_are_hidden_until_asked_for(app, as_persona):
    staff = as_persona("staff_a")  # signing in records "auth.login" for the school
    set_status(staff, app, "m3", "dang_thuc_hien")

    default = text_of(staff.get(HISTORY))
    with_logins = text_of(staff.get(HISTORY + "?logins=1"))

    assert "Cập nhật trạng thái mục" in default
    assert not re.search(r"canbo-a\)? Đăng nhập", default)
    assert re.search(r"canbo-a\)? Đăng nhập", with_logins)
    assert "Hiện cả các lần đăng nhập" in default and "Ẩn các lần đăng nhập" in with_logins


def test_a_page_of_history_runs_the_same_number_of_queries_for_2_and_7_items(app, as_persona, count_queries):
    staff, admin = as_persona("staff_a"), as_persona("ward_admin")
    with app.app_context():
        items = db.session.scalars(
            select(ChecklistItem)
            .join(School)
            .where(School.slug == SCHOOL_A, ChecklistItem.kind != ItemKind.TARGET)
            .order_by(ChecklistItem.position)
        ).all()
        # the items a school ticks by hand (mốc 7 follows the self-evaluation, as targets follow activities)
        keys = [item.key for item in items if not item.tracks_self_evaluation]
    counts = {}
    assert len(keys) >= 7
    for done, size in ((0, 2), (2, 7)):
        for key in keys[done:size]:
            set_status(staff, app, key, "dang_thuc_hien")
        with count_queries() as counter:
            text = text_of(admin.get(HISTORY))
        counts[size] = counter.count
        assert text.count("Cập nhật trạng thái mục") == size
    assert counts[2] == counts[7], counts


@pytest.mark.browser
def test_on_a_phone_the_history_reads_as_sentences_and_the_sign_ins_come_with_one_tap(app, new_page, as_persona):
    set_status(as_persona("staff_a"), app, "m3", "da_hoan_thanh")
    page = new_page(360, 740)
    browser_login(page, "staff_a")
    page.goto(HISTORY)

    entries = page.locator("ol.history > li")
    assert "(Mốc 3): Chưa thực hiện → Đã hoàn thành" in entries.first.inner_text()
    assert "Đăng nhập" not in page.locator("ol.history").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("link", name="Hiện cả các lần đăng nhập").click()
    assert page.locator("ol.history > li", has_text="Đăng nhập").count() >= 1

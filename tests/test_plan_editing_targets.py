"""Editing a target of Phụ lục II and its evidence requirements: the schools' items follow (titles,
new items, recounted targets), and recorded work is never dropped or orphaned silently."""

import io
import re
from datetime import date

from helpers import PASSWORD, SCHOOL_A
from sqlalchemy import select
from test_plan_editing import VERSION, html_of, last_event, post, snapshot

from aiplan.activities.services import refresh_target_items
from aiplan.evidence.services import Upload, save_uploads
from aiplan.extensions import db
from aiplan.models import (
    Activity,
    AuditEvent,
    ChecklistItem,
    DeliveryForm,
    EvidenceFile,
    ItemStatus,
    Plan,
    School,
    User,
)

T1 = "/admin/plan/2025-2026/targets/1"
EVIDENCE = [
    ("ke-hoach-nha-truong", "Kế hoạch nhà trường", "dau_hk2"),
    ("ho-so-lop-hoc", "hồ sơ lớp học", "cuoi_hk2"),
    ("san-pham-trai-nghiem", "sản phẩm trải nghiệm", "cuoi_hk2"),
]


def target_1(**changes) -> dict:
    """The form of target STT 1 as the page shows it, with `changes`; evidence=[…] replaces the rows."""
    form = {
        "category": "Trường tiểu học (được lựa chọn thí điểm)",
        "managing_body": "UBND phường",
        "minimum": "Trường Tiểu học Đoàn Kết; mỗi trường tổ chức ít nhất 01 lớp",
        "forms_text": "Lồng ghép; chuyên đề học tập lựa chọn; hoạt động trải nghiệm",
        "evidence_text": "Kế hoạch nhà trường; hồ sơ lớp học; sản phẩm trải nghiệm",
        "levels": ["tieu_hoc"],
        "pilot": "1",
        "measure": "elective_classes",
        "measure_min": "1",
        "timing": "cuoi_hk2",
        "new_evidence_title": "",
        "new_evidence_timing": "",
    }
    for i, (key, title, timing) in enumerate(changes.pop("evidence", EVIDENCE)):
        form |= {f"evidence-{i}-key": key, f"evidence-{i}-title": title, f"evidence-{i}-timing": timing}
    return form | changes


def item_of(slug: str, key: str) -> ChecklistItem | None:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def attach_file(key: str) -> int:
    """School A's staff upload a file to its item `key`; returns the item's id."""
    item = item_of(SCHOOL_A, key)
    staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
    save_uploads(
        [Upload(io.BytesIO(b"%PDF-1.4\n%plan edit\n%%EOF\n"), "ho-so.pdf")], school=item.school, actor=staff, item=item
    )
    return item.id


def test_an_evidence_title_edit_renames_the_schools_items_and_is_audited(app, as_persona):
    rows = [EVIDENCE[0], ("ho-so-lop-hoc", "Hồ sơ lớp học thí điểm", "trong_hk2"), EVIDENCE[2]]
    response = post(as_persona("ward_admin"), T1, target_1(evidence=rows))
    assert response.status_code == 303
    with app.app_context():
        item = item_of(SCHOOL_A, "t1/ho-so-lop-hoc")
        assert item.title == "Hồ sơ lớp học thí điểm"
        assert item.due_on == db.session.scalar(select(Plan)).school_year.hk2_end
        event = last_event("plan.evidence")
        assert event.before == {"title": "hồ sơ lớp học", "timing": "cuoi_hk2"}
        assert event.after == {"title": "Hồ sơ lớp học thí điểm", "timing": "trong_hk2"}
        assert last_event("plan.target") is None  # the row itself did not change


def test_a_new_evidence_requirement_adds_an_item_to_each_school_the_target_applies_to(app, as_persona):
    response = post(
        as_persona("ward_admin"),
        T1,
        target_1(new_evidence_title="Biên bản sinh hoạt chuyên môn", new_evidence_timing="giua_hk2"),
    )
    assert response.status_code == 303
    with app.app_context():
        keys = db.session.scalars(
            select(ChecklistItem.key).where(ChecklistItem.key == "t1/bien-ban-sinh-hoat-chuyen-mon")
        ).all()
        assert len(keys) == 1  # one pilot primary school
        item = item_of(SCHOOL_A, "t1/bien-ban-sinh-hoat-chuyen-mon")
        # The end of the mid-HK II window, 04/04/2026, is a Saturday: due the Friday before.
        assert db.session.scalar(select(Plan)).school_year.midterm_end == date(2026, 4, 4)
        assert item.due_on == date(2026, 4, 3)
        assert [e.position for e in item.target.evidence] == [1, 2, 3, 4]
        assert last_event("plan.evidence_add").after["key"] == "bien-ban-sinh-hoat-chuyen-mon"


def test_evidence_with_a_file_is_never_removed_and_evidence_nobody_used_is(app, as_persona):
    with app.app_context():
        attach_file("t1/ho-so-lop-hoc")
    admin = as_persona("ward_admin")
    page = html_of(admin.get(T1))
    version = page.split('name="version" value="')[1].split('"')[0]
    before = snapshot(app)
    response = admin.post(f"{T1}/evidence/ho-so-lop-hoc/remove", data={"version": version}, follow_redirects=True)
    assert "Không bỏ được minh chứng “hồ sơ lớp học”: 1 trường đã ghi nhận tiến độ" in html_of(response)
    assert snapshot(app) == before
    response = admin.post(f"{T1}/evidence/san-pham-trai-nghiem/remove", data={"version": version})
    assert response.status_code == 303
    with app.app_context():
        assert item_of(SCHOOL_A, "t1/san-pham-trai-nghiem") is None
        target = item_of(SCHOOL_A, "t1").target
        assert [(e.key, e.position) for e in target.evidence] == [("ke-hoach-nha-truong", 1), ("ho-so-lop-hoc", 2)]
        assert last_event("plan.evidence_remove").before["key"] == "san-pham-trai-nghiem"
    # The page's fingerprint is now stale: a second removal from the same page is refused.
    response = admin.post(f"{T1}/evidence/ke-hoach-nha-truong/remove", data={"version": version}, follow_redirects=True)
    assert "Chỉ tiêu vừa được người khác sửa" in html_of(response)


def test_narrowing_a_target_away_from_a_school_with_files_needs_a_confirmation(app, as_persona):
    with app.app_context():
        worked_on = attach_file("t1/ke-hoach-nha-truong")
    admin = as_persona("ward_admin")
    before = snapshot(app)
    response = post(admin, T1, target_1(pilot="0"))
    assert response.status_code == 422
    assert "1 trường đã ghi nhận tiến độ" in html_of(response)
    assert snapshot(app) == before
    assert post(admin, T1, target_1(pilot="0", confirm="y")).status_code == 303
    with app.app_context():
        item = db.session.get(ChecklistItem, worked_on)
        assert item.retired
        assert db.session.scalar(select(EvidenceFile.item_id).filter_by(item_id=worked_on)) == worked_on
        assert item_of(SCHOOL_A, "t1/ho-so-lop-hoc") is None  # untouched items of the school are gone
        assert db.session.scalar(select(AuditEvent).filter_by(action="plan.target")).after == {
            "pilot": False,
            "retired_items": 1,
        }


def test_raising_a_targets_minimum_recounts_the_schools_target_items(app, as_persona):
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        plan = db.session.scalar(select(Plan))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        db.session.add(
            Activity(
                school=school,
                plan=plan,
                form=form,
                title="Lớp chuyên đề AI 5A",
                class_name="5A",
                participants=35,
                lessons=8,
            )
        )
        refresh_target_items(plan, school)
        db.session.commit()
        assert item_of(SCHOOL_A, "t1").status is ItemStatus.DONE
    assert post(as_persona("ward_admin"), T1, target_1(measure_min="2")).status_code == 303
    with app.app_context():
        assert item_of(SCHOOL_A, "t1").status is ItemStatus.IN_PROGRESS
        assert last_event("plan.target").after == {"measure_min": 2}


def test_a_target_without_levels_or_evidence_titles_is_refused_with_messages(app, as_persona):
    admin = as_persona("ward_admin")
    before = snapshot(app)
    response = post(admin, T1, target_1(levels=[], measure_min="0"))
    assert response.status_code == 422
    assert "Chọn ít nhất một cấp học." in html_of(response)
    assert "Nhập một số nguyên từ 1 trở lên." in html_of(response)
    rows = [EVIDENCE[0], ("ho-so-lop-hoc", "  ", "cuoi_hk2"), EVIDENCE[2]]
    response = post(admin, T1, target_1(evidence=rows, minimum=" "))
    assert response.status_code == 422
    assert "Nhập tên minh chứng (tối đa 300 ký tự) và chọn thời gian." in html_of(response)
    assert "Nhập chỉ tiêu triển khai tối thiểu." in html_of(response)
    assert snapshot(app) == before


def test_the_edit_forms_are_refused_without_their_csrf_token_and_accepted_with_it(seeded_app):

    client = seeded_app(WTF_CSRF_ENABLED=True).test_client()

    def token(url: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html_of(client.get(url)))[1]

    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token("/login")})
    form = target_1(version=VERSION.search(html_of(client.get(T1)))[1])
    assert client.post(T1, data=form).status_code == 400
    assert client.post(T1, data=form | {"csrf_token": token(T1)}).status_code == 303
    remove = f"{T1}/evidence/san-pham-trai-nghiem/remove"
    version = html_of(client.get(T1)).split('name="version" value="')[1].split('"')[0]
    assert client.post(remove, data={"version": version}).status_code == 400
    assert client.post(remove, data={"version": version, "csrf_token": token(T1)}).status_code == 303
    upload = {"file": (io.BytesIO(b"format = 1\n"), "ke-hoach.toml")}
    assert client.post("/admin/plan/upload", data=upload, content_type="multipart/form-data").status_code == 400

"""The ward's own records (issue 14, deliverable 4): files on the ward's checklist items and the
ward's activities (its conference with attendance, outreach, training), with the schools' rules,
store and audit; the ward's admins tick the ward's items, school staff never see any of it."""

import io
import re

import pytest
from helpers import SCHOOL_A, page_text, text_of
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import Activity, AuditEvent, ChecklistItem, EvidenceFile, ItemStatus, School

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"

CONFERENCE = {
    "ward_kind": "hoi_nghi",
    "title": "Hội nghị triển khai Kế hoạch giáo dục AI",
    "participants": "120",
    "attendees": ["cbql", "gv", "cmhs"],
    "starts_on": "15/09/2025",
    "place": "Hội trường UBND phường",
}


@pytest.fixture
def app(seeded_app, tmp_path):
    """The seeded app with an evidence store of its own."""
    return seeded_app(EVIDENCE_DIR=str(tmp_path / "evidence"))


def ward_item(app, key="m2") -> tuple[int, int]:
    """(id, version) of an item of the ward's own checklist."""
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).where(ChecklistItem.school_id.is_(None), ChecklistItem.key == key)
        )
        return item.id, item.version


def upload(client, url, name="Quyết định thành lập đoàn kiểm tra.pdf", content=PDF, **fields):
    data = {"file": [(io.BytesIO(content), name)], **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def ward_files(app) -> list[EvidenceFile]:
    with app.app_context():
        files = db.session.scalars(select(EvidenceFile).where(EvidenceFile.school_id.is_(None))).all()
        db.session.expunge_all()
        return list(files)


def ward_activity_rows(app) -> list[Activity]:
    with app.app_context():
        rows = db.session.scalars(select(Activity).where(Activity.school_id.is_(None))).all()
        db.session.expunge_all()
        return list(rows)


def audit_count(app, action=None) -> int:
    with app.app_context():
        query = select(func.count(AuditEvent.id))
        if action:
            query = query.where(AuditEvent.action == action)
        return db.session.scalar(query)


def item_block(page: str, item_id: int) -> str:
    """The markup of one item on the ward's checklist page."""
    match = re.search(
        rf'<li class="item[^"]*" id="item-{item_id}".*?</li>\s*(?=<li class="item|</ul>\s*$|</ul>)', page, re.S
    )
    assert match, f"item {item_id} is not on the page"
    return match.group(0)


def record_conference(client, app, **changes) -> int:
    item_id, _ = ward_item(app)
    response = client.post("/ward/activities", data=CONFERENCE | {"item_id": str(item_id)} | changes)
    assert response.status_code == 302, text_of(response)
    return int(response.location.rsplit("/", 1)[1])


# -- files on the ward's own items ----------------------------------------------------------


def test_a_ward_admin_uploads_to_milestone_2_and_the_file_is_listed_and_downloadable(app, as_persona):
    admin = as_persona("ward_admin")
    item_id, _ = ward_item(app)

    response = upload(admin, f"/ward/items/{item_id}/files", description="Quyết định số 12/QĐ-UBND")

    assert response.status_code == 303
    assert response.location.endswith(f"/ward#files-item-{item_id}")
    [row] = ward_files(app)
    assert (row.school_id, row.item_id, row.size) == (None, item_id, len(PDF))
    page = admin.get("/ward").get_data(as_text=True)
    block = item_block(page, item_id)
    assert "Quyết định thành lập đoàn kiểm tra.pdf" in block and "Quyết định số 12/QĐ-UBND" in block
    download = admin.get(f"/files/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).filter_by(action="evidence.upload")).all()
        ward_id = db.session.scalar(select(School.ward_id).filter_by(slug=SCHOOL_A))
        assert (event.object_id, event.school_id, event.ward_id) == (row.id, None, ward_id)
        assert event.after["item_id"] == item_id


def test_school_staff_get_404_on_the_wards_files_and_cannot_upload_there(app, as_persona):
    item_id, _ = ward_item(app)
    upload(as_persona("ward_admin"), f"/ward/items/{item_id}/files")
    [row] = ward_files(app)
    staff = as_persona("staff_a")

    assert staff.get(f"/files/{row.id}").status_code == 404
    assert staff.post(f"/files/{row.id}/delete").status_code == 404
    assert upload(staff, f"/ward/items/{item_id}/files").status_code == 403
    assert staff.get("/ward").status_code == 403
    assert len(ward_files(app)) == 1 and ward_files(app)[0].deleted_at is None


def test_supervisors_see_the_wards_files_but_only_its_admins_change_them(app, as_persona):
    item_id, _ = ward_item(app)
    upload(as_persona("ward_admin"), f"/ward/items/{item_id}/files", restricted="y")
    [row] = ward_files(app)
    supervisor = as_persona("supervisor")

    assert supervisor.get(f"/files/{row.id}").status_code == 200
    assert supervisor.post(f"/files/{row.id}/delete").status_code == 403
    assert upload(supervisor, f"/ward/items/{item_id}/files").status_code == 403
    # A restricted file stays hidden from the leaders' read-only accounts, as a school's does.
    assert as_persona("viewer").get(f"/files/{row.id}").status_code == 403
    assert "Quyết định thành lập" not in item_block(as_persona("viewer").get("/ward").get_data(as_text=True), item_id)


def test_a_refused_ward_upload_stores_nothing_and_says_why(app, as_persona):
    item_id, _ = ward_item(app)
    response = upload(as_persona("ward_admin"), f"/ward/items/{item_id}/files", name="trang.html", content=b"<html>")

    assert response.status_code == 422
    assert "trang.html" in text_of(response)
    assert ward_files(app) == [] and audit_count(app, "evidence.upload") == 0


def test_a_deleted_ward_file_is_kept_listed_for_restore_and_comes_back(app, as_persona):
    admin = as_persona("ward_admin")
    item_id, _ = ward_item(app)
    upload(admin, f"/ward/items/{item_id}/files")
    [row] = ward_files(app)

    assert admin.post(f"/files/{row.id}/delete").status_code == 303
    assert ward_files(app)[0].deleted_at is not None
    assert "Quyết định thành lập" not in item_block(admin.get("/ward").get_data(as_text=True), item_id)
    deleted = text_of(admin.get("/files/deleted"))
    assert "Quyết định thành lập đoàn kiểm tra.pdf" in deleted and "Phường (hồ sơ của phường)" in deleted

    assert admin.post(f"/files/{row.id}/restore").status_code == 303
    assert ward_files(app)[0].deleted_at is None
    assert [audit_count(app, a) for a in ("evidence.delete", "evidence.restore")] == [1, 1]


# -- the ward's activities ------------------------------------------------------------------


def test_the_conference_with_its_attendance_is_saved_shown_and_audited(app, as_persona):
    admin = as_persona("ward_admin")
    activity_id = record_conference(admin, app)

    [row] = ward_activity_rows(app)
    assert (row.id, row.participants, row.attendees, row.ward_kind.value) == (
        activity_id,
        120,
        "cbql,gv,cmhs",
        "hoi_nghi",
    )
    detail = text_of(admin.get(f"/ward/activities/{activity_id}"))
    assert "Hội nghị triển khai Kế hoạch giáo dục AI" in detail
    assert "120" in detail and "Cán bộ quản lý" in detail and "Giáo viên" in detail and "Cha mẹ học sinh" in detail
    assert "Hội trường UBND phường" in detail and "15/09/2025" in detail
    assert "Mốc 2" in detail
    item_id, _ = ward_item(app)
    assert "Hội nghị triển khai Kế hoạch giáo dục AI" in item_block(admin.get("/ward").get_data(as_text=True), item_id)
    assert "Hội nghị triển khai" in text_of(as_persona("supervisor").get("/ward/activities"))
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).filter_by(action="activity.create")).all()
        assert event.object_id == activity_id and event.after["attendees"] == "cbql,gv,cmhs"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": ""}, "title", "Nhập tên hoạt động."),
        ({"participants": "-5"}, "participants", "Nhập một số từ 0 đến 100000."),
        ({"ends_on": "10/09/2025"}, "ends_on", "Ngày kết thúc không được trước ngày bắt đầu."),
        ({"ward_kind": "le_hoi"}, "ward_kind", "Chọn loại hoạt động trong danh sách."),
        ({"starts_on": "31/02/2025"}, "starts_on", None),
    ],
)
def test_bad_input_is_refused_in_vietnamese_and_nothing_is_saved(app, as_persona, changes, field, message):
    admin = as_persona("ward_admin")
    item_id, _ = ward_item(app)
    before = audit_count(app)

    response = admin.post("/ward/activities", data=CONFERENCE | {"item_id": str(item_id)} | changes)

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Hoạt động chưa được lưu" in body
    assert f'href="#{field}"' in body, "the error summary links to the field"
    if message:
        assert message in text_of(response)
    assert ward_activity_rows(app) == [] and audit_count(app) == before


def test_an_activity_cannot_prove_a_schools_item(app, as_persona):
    with app.app_context():
        school_item = db.session.scalar(select(ChecklistItem.id).where(ChecklistItem.school_id.is_not(None)))
    response = as_persona("ward_admin").post("/ward/activities", data=CONFERENCE | {"item_id": str(school_item)})
    assert response.status_code == 422 and "Chọn một mốc trong danh sách." in text_of(response)
    assert ward_activity_rows(app) == []


def test_only_ward_admins_record_the_wards_activities(app, as_persona):
    for persona in ("supervisor", "viewer"):
        assert as_persona(persona).post("/ward/activities", data=CONFERENCE).status_code == 403
    assert as_persona("staff_a").get("/ward/activities").status_code == 403
    assert ward_activity_rows(app) == []


def test_an_edit_is_audited_and_one_made_on_an_older_version_is_refused(app, as_persona):
    admin = as_persona("ward_admin")
    activity_id = record_conference(admin, app)
    edit = CONFERENCE | {"participants": "150", "version": "1"}

    assert admin.post(f"/ward/activities/{activity_id}", data=edit).status_code == 302
    assert ward_activity_rows(app)[0].participants == 150
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="activity.update"))
        assert (event.before["participants"], event.after["participants"]) == (120, 150)

    stale = admin.post(f"/ward/activities/{activity_id}", data=edit | {"participants": "90"})
    assert stale.status_code == 409 and "vừa được người khác thay đổi" in text_of(stale)
    assert ward_activity_rows(app)[0].participants == 150
    assert admin.post(f"/ward/activities/{activity_id}", data=edit | {"title": "", "version": "2"}).status_code == 422


def test_a_deleted_ward_activity_keeps_its_files(app, as_persona):
    admin = as_persona("ward_admin")
    activity_id = record_conference(admin, app)
    assert upload(admin, f"/ward/activities/{activity_id}/files", name="bien-ban-hoi-nghi.pdf").status_code == 303

    assert admin.post(f"/ward/activities/{activity_id}/delete", data={"version": "1"}).status_code == 302
    assert admin.get(f"/ward/activities/{activity_id}").status_code == 404
    [file] = ward_files(app)
    assert file.deleted_at is None and admin.get(f"/files/{file.id}").status_code == 200
    assert audit_count(app, "activity.delete") == 1


def test_ward_activities_do_not_count_for_any_school(app, as_persona):
    admin = as_persona("ward_admin")
    rollup = text_of(admin.get("/rollup"))
    activity_id = record_conference(admin, app, ward_kind="boi_duong", title="Lớp bồi dưỡng AI của phường")
    assert "Đã ghi nhận hoạt động" in text_of(admin.get(f"/ward/activities/{activity_id}"))  # the notice, read
    assert "Lớp bồi dưỡng AI của phường" not in text_of(as_persona("staff_a").get(f"/schools/{SCHOOL_A}/activities"))
    assert text_of(admin.get("/rollup")) == rollup, "the schools' figures are the same"


# -- the journey of the issue ---------------------------------------------------------------


def test_the_ward_logs_its_conference_with_a_file_and_sees_milestone_2_done(app, as_persona):
    admin = as_persona("ward_admin")
    item_id, version = ward_item(app)
    page = admin.get("/ward").get_data(as_text=True)
    assert f'id="add-activity-{item_id}"' in item_block(page, item_id)
    form = admin.get(f"/ward/activities?item={item_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{item_id}"|<option value="{item_id}" selected', form)

    activity_id = record_conference(admin, app)
    assert upload(admin, f"/ward/activities/{activity_id}/files", name="Biên bản hội nghị.pdf").status_code == 303
    assert "Biên bản hội nghị.pdf" in text_of(admin.get(f"/ward/activities/{activity_id}"))

    ticked = admin.post(f"/ward/items/{item_id}", data={"status": ItemStatus.DONE.value, "version": str(version)})

    assert ticked.status_code == 303
    block = item_block(admin.get("/ward").get_data(as_text=True), item_id)
    assert "Đã hoàn thành" in block and 'aria-pressed="true"' in block
    assert "Hội nghị triển khai Kế hoạch giáo dục AI" in block
    with app.app_context():
        item = db.session.get(ChecklistItem, item_id)
        assert item.status is ItemStatus.DONE and item.completed_at is not None
        event = db.session.scalar(select(AuditEvent).filter_by(action="item.update", object_id=item_id))
        assert event.after["status"] == ItemStatus.DONE.value
    # A tick made on the page as it was before is refused, not applied over the newer state.
    stale = admin.post(f"/ward/items/{item_id}", data={"status": "dang_thuc_hien", "version": str(version)})
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.get(ChecklistItem, item_id).status is ItemStatus.DONE


def test_supervisors_and_viewers_read_the_wards_checklist_without_the_buttons(app, as_persona):
    item_id, _ = ward_item(app)
    for persona in ("supervisor", "viewer"):
        block = item_block(as_persona(persona).get("/ward").get_data(as_text=True), item_id)
        assert "aria-pressed" not in block and "Tải lên minh chứng" not in block
    assert (
        as_persona("supervisor")
        .post(f"/ward/items/{item_id}", data={"status": "da_hoan_thanh", "version": "1"})
        .status_code
        == 403
    )


# -- htmx, the store's check ------------------------------------------------------------------


def test_with_htmx_the_ward_item_and_its_file_list_update_in_place(app, as_persona):
    admin = as_persona("ward_admin")
    item_id, version = ward_item(app)
    target = f"files-item-{item_id}"

    listed = admin.post(
        f"/ward/items/{item_id}/files",
        data={"file": [(io.BytesIO(PDF), "ke-hoach-phuong.pdf")]},
        content_type="multipart/form-data",
        headers={"HX-Request": "true", "HX-Target": target},
    )
    assert listed.status_code == 200
    body = listed.get_data(as_text=True)
    assert f'id="{target}"' in body and "ke-hoach-phuong.pdf" in body and "<html" not in body

    ticked = admin.post(
        f"/ward/items/{item_id}",
        data={"status": "dang_thuc_hien", "version": str(version)},
        headers={"HX-Request": "true", "HX-Target": f"item-{item_id}"},
    )
    assert ticked.status_code == 200
    body = ticked.get_data(as_text=True)
    assert body.lstrip().startswith('<li class="item') and "ke-hoach-phuong.pdf" in body
    assert "Đang thực hiện" in page_text(body) and "<html" not in body


def test_the_store_check_names_a_ward_file_whose_bytes_are_missing(app, as_persona, tmp_path):
    item_id, _ = ward_item(app)
    upload(as_persona("ward_admin"), f"/ward/items/{item_id}/files", name="mat-cua-phuong.pdf")
    [row] = ward_files(app)
    evidence = tmp_path / "evidence"
    (evidence / row.sha256[:2] / row.sha256[2:4] / row.sha256).unlink()

    result = app.test_cli_runner().invoke(args=["evidence", "check"])

    assert result.exit_code == 1
    assert f"#{row.id} mat-cua-phuong.pdf" in result.output and "(hồ sơ của phường)" in result.output


def test_the_audit_log_page_names_the_wards_activity_and_file(app, as_persona):
    admin = as_persona("ward_admin")
    activity_id = record_conference(admin, app)
    upload(admin, f"/ward/activities/{activity_id}/files", name="bien-ban.pdf")

    log = text_of(admin.get("/audit"))

    assert "Hội nghị triển khai Kế hoạch giáo dục AI" in log and "bien-ban.pdf" in log

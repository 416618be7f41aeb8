"""Staff mark progress on their checklist: status (set, not toggled), notes, versions, audit."""

import re

import pytest
from helpers import PASSWORD, SCHOOL_A, SCHOOL_B
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, EvidenceFile, ItemStatus, School


def find_item(key: str, slug: str = SCHOOL_A) -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def item_state(app, key="m3", slug=SCHOOL_A):
    with app.app_context():
        item = find_item(key, slug)
        return item.id, item.status, item.note, item.version


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "item.update"))


def post_item(client, item_id, slug=SCHOOL_A, htmx=False, **data):
    headers = {"HX-Request": "true", "HX-Target": f"item-{item_id}"} if htmx else {}
    return client.post(f"/schools/{slug}/items/{item_id}", data=data, headers=headers)


def test_staff_set_an_items_status_with_a_plain_form(app, as_persona):
    item_id, _, _, version = item_state(app)
    response = post_item(as_persona("staff_a"), item_id, status="dang_thuc_hien", version=version)
    assert response.status_code == 303
    assert response.location.endswith(f"/schools/{SCHOOL_A}#item-{item_id}")
    assert item_state(app)[1] is ItemStatus.IN_PROGRESS


def test_with_htmx_only_the_item_and_the_progress_bar_come_back(app, as_persona):
    item_id, _, _, version = item_state(app)
    response = post_item(as_persona("staff_a"), item_id, htmx=True, status="da_hoan_thanh", version=version)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<li class="item" id="item-{item_id}"')
    assert 'id="school-progress" hx-swap-oob="true"' in body
    assert "1/9 mục bắt buộc" in body
    assert "<html" not in body
    assert 'aria-pressed="true">Đã hoàn thành' in body


def test_setting_the_same_status_twice_changes_nothing_the_second_time(app, as_persona):
    client = as_persona("staff_a")
    item_id, _, _, version = item_state(app)
    post_item(client, item_id, status="dang_thuc_hien", version=version)
    _, _, _, new_version = item_state(app)
    post_item(client, item_id, status="dang_thuc_hien", version=new_version)
    assert audit_count(app) == 1
    assert item_state(app)[3] == new_version


def test_each_change_is_audited_with_before_and_after(app, as_persona):
    item_id, _, _, version = item_state(app)
    post_item(as_persona("staff_a"), item_id, status="dang_thuc_hien", note="Đã họp tổ chuyên môn", version=version)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="item.update"))
        assert event.before == {"status": "chua_thuc_hien", "note": ""}
        assert event.after == {"status": "dang_thuc_hien", "note": "Đã họp tổ chuyên môn"}
        assert event.actor_name == "canbo-a" and event.school_id is not None and event.ip == "127.0.0.1"


def test_the_item_shows_who_changed_it_and_when(app, as_persona):
    client = as_persona("staff_a")
    item_id, _, _, version = item_state(app)
    post_item(client, item_id, status="dang_thuc_hien", version=version)
    text = re.sub(r"\s+", " ", client.get(f"/schools/{SCHOOL_A}").get_data(as_text=True))
    assert re.search(r"Cập nhật lúc \d\d:\d\d \d\d/\d\d/\d{4} · canbo-a", text)


def test_a_stale_version_is_refused_with_409_and_the_current_state(app, as_persona):
    first, second = as_persona("staff_a"), as_persona("staff_a")
    item_id, _, _, version = item_state(app)
    assert post_item(first, item_id, status="da_hoan_thanh", version=version).status_code == 303
    response = post_item(second, item_id, htmx=True, status="dang_thuc_hien", note="ghi đè", version=version)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Người khác vừa cập nhật mục này" in body
    assert 'aria-pressed="true">Đã hoàn thành' in body  # the current state, not the stale one
    _, status, note, _ = item_state(app)
    assert status is ItemStatus.DONE and note == ""


def test_without_javascript_a_stale_version_shows_the_page_with_the_message(app, as_persona):
    client = as_persona("staff_a")
    item_id, _, _, version = item_state(app)
    post_item(client, item_id, status="da_hoan_thanh", version=version)
    response = post_item(client, item_id, status="chua_thuc_hien", version=version)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "<html" in body and "Người khác vừa cập nhật mục này" in body
    assert item_state(app)[1] is ItemStatus.DONE


def test_two_sessions_saving_at_once_lose_nothing(app, live_server):
    """Both load version 1; whichever commits second is told (409) instead of overwriting."""
    from concurrent.futures import ThreadPoolExecutor
    from http.cookiejar import CookieJar
    from urllib.error import HTTPError
    from urllib.parse import urlencode
    from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

    class NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def signed_in():
        opener = build_opener(HTTPCookieProcessor(CookieJar()), NoRedirect)
        try:
            opener.open(f"{live_server}/login", urlencode({"username": "canbo-a", "password": PASSWORD}).encode())
        except HTTPError:
            pass
        return opener

    item_id, _, _, version = item_state(app)
    openers = [signed_in() for _ in range(6)]
    statuses = ["dang_thuc_hien", "da_hoan_thanh"] * 3

    def save(i):
        data = urlencode({"status": statuses[i], "note": f"lần {i}", "version": version}).encode()
        try:
            return openers[i].open(f"{live_server}/schools/{SCHOOL_A}/items/{item_id}", data, timeout=30).status
        except HTTPError as error:
            return error.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(save, range(6)))
    assert sorted(results) == [303] + [409] * 5, results
    winner = results.index(303)
    _, status, note, new_version = item_state(app)
    assert (status.value, note, new_version) == (statuses[winner], f"lần {winner}", version + 1)
    assert audit_count(app) == 1


def test_an_evidence_item_cannot_be_done_without_a_file(app, as_persona):
    client = as_persona("staff_a")
    item_id, _, _, version = item_state(app, "t1/ke-hoach-nha-truong")
    response = post_item(client, item_id, htmx=True, status="da_hoan_thanh", version=version)
    assert response.status_code == 422
    assert "Cần tải lên ít nhất một tệp minh chứng" in response.get_data(as_text=True)
    assert item_state(app, "t1/ke-hoach-nha-truong")[1] is ItemStatus.NOT_STARTED
    with app.app_context():
        item = find_item("t1/ke-hoach-nha-truong")
        db.session.add(
            EvidenceFile(
                school_id=item.school_id,
                item_id=item.id,
                sha256="0" * 64,
                size=10,
                content_type="application/pdf",
                original_name="ke-hoach.pdf",
            )
        )
        db.session.commit()
    assert post_item(client, item_id, status="da_hoan_thanh", version=version).status_code == 303
    assert item_state(app, "t1/ke-hoach-nha-truong")[1] is ItemStatus.DONE


def test_a_deleted_file_does_not_count_as_evidence(app, as_persona):
    from aiplan.models import utcnow

    with app.app_context():
        item = find_item("t1/ho-so-lop-hoc")
        db.session.add(
            EvidenceFile(
                school_id=item.school_id,
                item_id=item.id,
                sha256="1" * 64,
                size=10,
                content_type="application/pdf",
                original_name="cu.pdf",
                deleted_at=utcnow(),
            )
        )
        db.session.commit()
        item_id, version = item.id, item.version
    response = post_item(as_persona("staff_a"), item_id, status="da_hoan_thanh", version=version)
    assert response.status_code == 422


def test_a_target_is_computed_and_cannot_be_ticked_by_hand(app, as_persona):
    item_id, _, _, version = item_state(app, "t1")
    response = post_item(as_persona("staff_a"), item_id, htmx=True, status="da_hoan_thanh", version=version)
    assert response.status_code == 422
    assert "Chỉ tiêu được tính từ các hoạt động AI" in response.get_data(as_text=True)
    assert item_state(app, "t1")[1] is ItemStatus.NOT_STARTED


def test_a_forged_status_value_is_refused_and_changes_nothing(app, as_persona):
    item_id, _, _, version = item_state(app)
    response = post_item(as_persona("staff_a"), item_id, status="dat", version=version)
    assert response.status_code == 422
    assert "Trạng thái không hợp lệ" in response.get_data(as_text=True)
    assert item_state(app)[1:] == (ItemStatus.NOT_STARTED, "", version)


def test_a_forged_owner_or_verdict_field_is_ignored(app, as_persona):
    item_id, _, _, version = item_state(app)
    with app.app_context():
        other_school = db.session.scalar(select(School.id).filter_by(slug=SCHOOL_B))
    post_item(
        as_persona("staff_a"),
        item_id,
        status="dang_thuc_hien",
        version=version,
        school_id=other_school,
        verdict="dat",
        required="0",
        due_on="2030-01-01",
    )
    with app.app_context():
        item = find_item("m3")
        assert item.school.slug == SCHOOL_A
        assert item.verdict.value == "chua_kiem_tra" and item.required and item.due_on.year == 2026


@pytest.mark.parametrize("persona", ["staff_b", "supervisor", "ward_admin", "viewer"])
def test_only_the_schools_own_staff_change_its_items(app, as_persona, persona):
    item_id, status, note, version = item_state(app)
    response = post_item(as_persona(persona), item_id, status="da_hoan_thanh", note="x", version=version)
    assert response.status_code == 403
    assert item_state(app) == (item_id, status, note, version)
    assert audit_count(app) == 0


def test_an_item_of_another_school_is_not_found_under_this_schools_url(app, as_persona):
    item_id, status, _, version = item_state(app, "m3", SCHOOL_B)
    response = post_item(as_persona("staff_a"), item_id, slug=SCHOOL_A, status="da_hoan_thanh", version=version)
    assert response.status_code == 404
    assert item_state(app, "m3", SCHOOL_B)[1] is status


def test_notes_are_saved_trimmed_and_limited_in_length(app, as_persona):
    client = as_persona("staff_a")
    item_id, _, _, version = item_state(app)
    post_item(client, item_id, note="  Kế hoạch đã trình Hiệu trưởng  ", version=version)
    assert item_state(app)[2] == "Kế hoạch đã trình Hiệu trưởng"
    _, _, _, version = item_state(app)
    response = post_item(client, item_id, note="x" * 2001, version=version)
    assert response.status_code == 422
    assert "tối đa 2000 ký tự" in response.get_data(as_text=True)
    assert item_state(app)[2] == "Kế hoạch đã trình Hiệu trưởng"


def test_a_post_without_csrf_token_is_refused(seeded_app):

    app = seeded_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        item = find_item("m3")
        item_id, version = item.id, item.version
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": "canbo-a", "password": PASSWORD, "csrf_token": token})
    assert post_item(client, item_id, status="da_hoan_thanh", version=version).status_code == 400
    with app.app_context():
        assert find_item("m3").status is ItemStatus.NOT_STARTED


def test_the_history_page_shows_the_change_in_words(app, as_persona):
    client = as_persona("staff_a")
    item_id, _, _, version = item_state(app)
    post_item(client, item_id, status="dang_thuc_hien", version=version)
    text = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/schools/{SCHOOL_A}/history").get_data(as_text=True))
    )
    assert "Cập nhật trạng thái mục «" in text
    assert "(Mốc 3): Chưa thực hiện → Đang thực hiện" in text


def test_staff_of_another_school_cannot_read_the_history(as_persona):
    assert as_persona("staff_b").get(f"/schools/{SCHOOL_A}/history").status_code == 403


def test_readers_see_the_note_but_no_forms(app, as_persona):
    item_id, _, _, version = item_state(app)
    post_item(as_persona("staff_a"), item_id, note="Đã xong dự thảo", version=version)
    body = as_persona("viewer").get(f"/schools/{SCHOOL_A}").get_data(as_text=True)
    assert "Đã xong dự thảo" in body
    assert '<form class="item-status"' not in body and "Lưu ghi chú" not in body


def test_the_attention_list_follows_an_htmx_update(app, as_persona):
    item_id, _, _, version = item_state(app)
    body = post_item(as_persona("staff_a"), item_id, htmx=True, status="da_hoan_thanh", version=version).get_data(
        as_text=True
    )
    assert 'id="attention" aria-labelledby="attention-h" hx-swap-oob="true"' in body
    assert "Quá hạn (8)" in body


def test_the_history_hides_restricted_files_from_viewers_and_addresses_from_all_but_admins(app, as_persona):
    import io

    item_id, _, _, _ = item_state(app, "t1/san-pham-trai-nghiem")
    as_persona("staff_a").post(
        f"/schools/{SCHOOL_A}/items/{item_id}/files",
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "Nguyen Van An 4A1.pdf"),
            "description": "Ảnh chân dung em An",
            "restricted": "y",
        },
    )
    url = f"/schools/{SCHOOL_A}/history"
    viewer = as_persona("viewer").get(url).get_data(as_text=True)
    assert "Nguyen Van An" not in viewer and "chân dung" not in viewer
    assert "chi tiết được ẩn" in viewer and "127.0.0.1" not in viewer
    assert "Nguyen Van An 4A1.pdf" in as_persona("supervisor").get(url).get_data(as_text=True)
    assert "127.0.0.1" in as_persona("ward_admin").get(url).get_data(as_text=True)


def test_an_htmx_change_answers_with_what_was_saved_in_a_fixed_number_of_statements(app, as_persona, count_queries):
    # The answer is rendered from what the change itself wrote and read (nothing is read back
    # after the commit): its version is the stored one, so the next change based on it goes through.
    client = as_persona("staff_a")
    item_id, _, _, version = item_state(app)
    with count_queries() as counter:
        body = post_item(client, item_id, htmx=True, status="dang_thuc_hien", version=version).get_data(as_text=True)
    stored = item_state(app)
    assert stored[1] is ItemStatus.IN_PROGRESS
    assert f'name="version" value="{stored[3]}"' in body
    assert 'aria-pressed="true">Đang thực hiện' in body and "Đã lưu lúc" in body
    assert " · canbo-a</p>" in body  # who changed it
    # the sign-in, the school, the item with its milestone, the current plan with its year, the audit
    # head, the audit event, the audit head's update, the item's update; then the answer: the school's
    # items, the item's files, its owners, the school's staff, the year's days off; and SQLite's two
    # BEGINs. 21 before 6/12/2026: the item, the account, the school and the plan were read again after
    # the commit, and the milestone and the year each on their own.
    assert counter.count <= 15, counter.statements
    response = post_item(client, item_id, htmx=True, status="chua_thuc_hien", version=stored[3])
    assert response.status_code == 200 and item_state(app)[1] is ItemStatus.NOT_STARTED

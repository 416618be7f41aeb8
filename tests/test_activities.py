"""AI activities a school records, and the targets of Phụ lục II computed from them."""

import dataclasses
import re
from datetime import date

import pytest
from helpers import PASSWORD, SCHOOL_A, SCHOOL_B, text_of
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from aiplan.activities import services
from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.figures.activities import integration_share, target_actuals
from aiplan.models import (
    Activity,
    AuditEvent,
    ChecklistItem,
    DeliveryForm,
    ItemStatus,
    Plan,
    Role,
    School,
    SchoolLevel,
    Target,
    Ward,
)
from aiplan.plans.services import BUNDLED_PLAN, load_plan
from aiplan.plans.spec import read_plan_file

OTHER_SCHOOL = "th-long-bien"  # a primary school outside the pilot: target STT 5
LIST_A = f"/schools/{SCHOOL_A}/activities"


def the_plan() -> Plan:
    return db.session.scalar(select(Plan))


def school(slug: str) -> School:
    return db.session.scalar(select(School).filter_by(slug=slug))


def form_id(code: str) -> int:
    return db.session.scalar(select(DeliveryForm.id).filter_by(code=code))


def area_ids() -> list[int]:
    return [area.id for area in the_plan().content_areas]


def activity_form(app, code: str = "2.1", **overrides) -> dict:
    """What a browser posts for a valid activity of form `code`."""
    with app.app_context():
        data = {
            "form_id": str(form_id(code)),
            "title": "Lồng ghép AI trong môn Tin học",
            "subject": "Tin học",
            "grade": "4",
            "class_name": "4A1",
            "participants": "35",
            "lessons": "4",
            "content_area_ids": [str(i) for i in area_ids()[:2]],
            "starts_on": "02/03/2026",
            "ends_on": "27/03/2026",
            "products": "Bài trình chiếu của học sinh",
            "notes": "",
        }
    data.update(overrides)
    return data


def activities_of(slug: str, *, deleted: bool = False) -> list[Activity]:
    query = select(Activity).join(School).where(School.slug == slug).order_by(Activity.id)
    if not deleted:
        query = query.where(Activity.deleted_at.is_(None))
    return list(db.session.scalars(query))


def snapshot(app) -> list[tuple]:
    """Every activity row and the audit count: what a refused request must leave as it was."""
    with app.app_context():
        rows = [
            (a.id, a.school_id, a.title, a.subject, a.class_name, a.participants, a.version, a.deleted_at)
            for a in db.session.scalars(select(Activity).order_by(Activity.id))
        ]
        return rows + [("audit", db.session.scalar(select(func.count(AuditEvent.id))))]


def record(app, slug: str = SCHOOL_A, code: str = "2.1", **overrides) -> int:
    """Record an activity through the services, as the school's staff would."""
    with app.app_context():
        values = {
            "form_id": form_id(code),
            "title": f"Hoạt động {code}",
            "subject": "Tin học",
            "grade": "4",
            "class_name": "4A1",
            "participants": 30,
            "lessons": 2,
            "content_area_ids": area_ids()[:1],
            "starts_on": date(2026, 3, 2),
            "ends_on": date(2026, 3, 27),
            "products": "",
            "notes": "",
        }
        values.update(overrides)
        return services.create_activity(the_plan(), school(slug), values).id


def target_item(slug: str, key: str) -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def version_of(app, activity_id: int) -> int:
    with app.app_context():
        return db.session.get(Activity, activity_id).version


# -- recording, editing, deleting ------------------------------------------------------------


def test_staff_record_activities_and_see_them_listed_with_their_counts(app, as_persona):
    client = as_persona("staff_a")
    first = client.post(LIST_A, data=activity_form(app))
    assert first.status_code == 302
    client.post(
        LIST_A,
        data=activity_form(
            app, "2.3", title="Câu lạc bộ AI nhí", subject="", class_name="", participants="20", lessons="6", ends_on=""
        ),
    )
    page = client.get(first.location)
    text = text_of(page)
    assert "Đã ghi nhận hoạt động “Lồng ghép AI trong môn Tin học”." in text
    assert "Lồng ghép AI trong môn Tin học" in text and "Câu lạc bộ AI nhí" in text
    assert "Môn Tin học · Khối 4 · Lớp 4A1" in text
    assert "02/03/2026 – 27/03/2026" in text and "Từ 02/03/2026" in text
    # The summary: 2 activities of forms 2.1–2.3 reaching 55 pupils in 10 lessons.
    assert re.search(r"Lượt học sinh được học về AI \(hình thức 2.1–2.3\) 2 55 10", text)
    assert page.get_data(as_text=True).count('class="activity-card"') == 2
    with app.app_context():
        saved = activities_of(SCHOOL_A)[0]
        assert (saved.form.code, saved.subject, saved.participants, saved.lessons) == ("2.1", "Tin học", 35, 4)
        assert [area.code for area in saved.content_areas] == ["a", "b"]
        assert (saved.starts_on, saved.ends_on) == (date(2026, 3, 2), date(2026, 3, 27))
        assert saved.created_by_id is not None and saved.version == 1


def test_staff_edit_an_activity_and_the_audit_log_keeps_before_and_after(app, as_persona):
    activity_id = record(app, participants=30)
    client = as_persona("staff_a")
    url = f"{LIST_A}/{activity_id}"
    assert 'name="version" type="hidden" value="1"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data=activity_form(app, title="Tin học và AI", participants="32", version="1"))
    assert response.status_code == 302
    assert "Đã lưu thay đổi." in text_of(client.get(response.location))
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert (activity.title, activity.participants, activity.version) == ("Tin học và AI", 32, 2)
        event = db.session.scalar(select(AuditEvent).filter_by(action="activity.update", object_id=activity_id))
        assert event.before["title"] == "Hoạt động 2.1" and event.after["title"] == "Tin học và AI"
        assert (event.before["participants"], event.after["participants"]) == (30, 32)
        assert event.actor_name == "canbo-a" and event.school_id == activity.school_id


def test_staff_delete_an_activity_and_it_leaves_the_list_but_not_the_records(app, as_persona):
    activity_id = record(app, title="Hoạt động sẽ xóa")
    client = as_persona("staff_a")
    response = client.post(f"{LIST_A}/{activity_id}/delete", data={"version": "1"})
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "Đã xóa hoạt động “Hoạt động sẽ xóa”." in page
    assert "Nhà trường chưa ghi nhận hoạt động nào." in page
    assert client.get(f"{LIST_A}/{activity_id}").status_code == 404
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert activity.deleted_at is not None
        event = db.session.scalar(select(AuditEvent).filter_by(action="activity.delete", object_id=activity_id))
        assert event.before["deleted"] is False and event.after["deleted"] is True
        assert event.before["title"] == "Hoạt động sẽ xóa"


def test_the_list_can_be_filtered_by_delivery_form(app, as_persona):
    record(app, code="2.1", title="Lồng ghép Tin học")
    record(app, code="boi-duong", title="Bồi dưỡng giáo viên về AI", subject="", class_name="")
    client = as_persona("viewer")
    text = text_of(client.get(f"{LIST_A}?form=boi-duong"))
    assert "Bồi dưỡng giáo viên về AI" in text and "Lồng ghép Tin học" not in text.split("Danh sách hoạt động")[1]
    assert "Chưa có hoạt động nào theo hình thức này." in text_of(client.get(f"{LIST_A}?form=2.2"))


def test_the_form_offers_the_plans_delivery_forms_and_content_areas_with_labels(app, as_persona):
    body = as_persona("staff_a").get(LIST_A).get_data(as_text=True)
    assert "2.1 — Thực hiện lồng ghép trong các môn học" in body
    assert "2.2 — Thực hiện theo chuyên đề học tập lựa chọn hoặc chủ đề độc lập" in body
    assert "Phong trào “Bình dân học vụ số”" in body and "Bồi dưỡng, sinh hoạt chuyên môn" in body
    assert body.count('type="checkbox"') == 4
    assert "Bắt buộc với hình thức 2.2 (lớp thí điểm)" in body
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', body):
        if field_id in ("csrf_token", "version"):
            continue
        assert f'for="{field_id}"' in body, f"no label for {field_id}"
    assert not re.search(r"<script(?![^>]*\ssrc=)", body)
    assert " style=" not in body and "<style" not in body and "hx-on" not in body


# -- the plan's rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "overrides", "field", "message"),
    [
        ("2.1", {"subject": ""}, "subject", "Hình thức 2.1 (lồng ghép trong môn học) cần ghi môn học"),
        ("2.2", {"class_name": " "}, "class_name", "Lớp thí điểm (hình thức 2.2) cần ghi tên lớp"),
        (
            "2.1",
            {"starts_on": "10/03/2026", "ends_on": "09/03/2026"},
            "ends_on",
            "Ngày kết thúc không được trước ngày bắt đầu.",
        ),
        ("2.1", {"participants": "-5"}, "participants", "Nhập một số từ 0 đến 100000."),
        ("2.1", {"lessons": "ba"}, "lessons", "Nhập một số nguyên, ví dụ 35."),
        ("2.1", {"starts_on": "2026/03/02"}, "starts_on", "Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm"),
        ("2.1", {"starts_on": "31/02/2026"}, "starts_on", "Ngày không hợp lệ"),
        ("2.1", {"starts_on": ""}, "starts_on", "Nhập ngày bắt đầu."),
        ("2.1", {"title": ""}, "title", "Nhập tên hoạt động."),
        ("2.1", {"form_id": "999999"}, "form_id", "Chọn một hình thức trong danh sách."),
        ("2.1", {"content_area_ids": ["999999"]}, "content_area_ids", "Chọn nội dung trong danh sách."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(app, as_persona, code, overrides, field, message):
    client = as_persona("staff_a")
    before = snapshot(app)
    response = client.post(LIST_A, data=activity_form(app, code, **overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hoạt động chưa được lưu." in body
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', body)
    assert error and message in error.group(1), body
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', body) or re.search(
        rf'aria-describedby="[^"]*{field}-error[^"]*"[^>]*id="{field}"', body
    )
    assert snapshot(app) == before


def test_an_edit_breaking_a_rule_is_refused_and_the_activity_is_unchanged(app, as_persona):
    activity_id = record(app, code="2.2", class_name="4A1")
    client = as_persona("staff_a")
    before = snapshot(app)
    response = client.post(f"{LIST_A}/{activity_id}", data=activity_form(app, "2.2", class_name="", version="1"))
    assert response.status_code == 422
    assert "Lớp thí điểm (hình thức 2.2) cần ghi tên lớp" in text_of(response)
    assert snapshot(app) == before


def test_a_date_outside_the_school_year_is_saved_with_a_warning(app, as_persona):
    client = as_persona("staff_a")
    response = client.post(LIST_A, data=activity_form(app, starts_on="15/09/2026", ends_on=""))
    assert response.status_code == 302
    assert "Ngày 15/09/2026 nằm ngoài năm học 2025-2026 (05/09/2025 – 31/08/2026)" in text_of(
        client.get(response.location)
    )


def test_the_services_refuse_what_the_form_would_have_caught(app):
    with app.app_context():
        values = {
            "form_id": form_id("2.2"),
            "title": "Lớp thí điểm",
            "subject": "",
            "grade": "",
            "class_name": "",
            "participants": -1,
            "lessons": 0,
            "content_area_ids": [],
            "starts_on": date(2026, 3, 2),
            "ends_on": date(2026, 3, 1),
            "products": "",
            "notes": "",
        }
        with pytest.raises(services.InvalidActivity) as refused:
            services.create_activity(the_plan(), school(SCHOOL_A), values)
        assert set(refused.value.errors) == {"class_name", "participants", "ends_on"}
        assert activities_of(SCHOOL_A, deleted=True) == []


# -- targets computed from activities ----------------------------------------------------------


def test_a_pilot_class_meets_target_stt_1_and_its_item_is_done_until_the_class_is_deleted(app, as_persona):
    client = as_persona("staff_a")
    with app.app_context():
        assert target_item(SCHOOL_A, "t1").status is ItemStatus.NOT_STARTED
    assert "0/1 lớp" in text_of(client.get(LIST_A))
    response = client.post(LIST_A, data=activity_form(app, "2.2", title="Chuyên đề AI lớp 4A1", subject=""))
    assert response.status_code == 302
    assert "1/1 lớp" in text_of(client.get(LIST_A))
    with app.app_context():
        plan, a = the_plan(), school(SCHOOL_A)
        item = target_item(SCHOOL_A, "t1")
        assert item.status is ItemStatus.DONE and item.completed_at is not None
        t1 = db.session.scalar(select(Target).filter_by(stt=1))
        actual = target_actuals(plan, [a])[(a.id, t1.id)]
        assert (actual.value, actual.minimum, actual.met, actual.text) == (1, 1, True, "1/1 lớp")
        event = db.session.scalar(select(AuditEvent).filter_by(action="item.target_computed", object_id=item.id))
        assert (event.before, event.after) == ({"status": "chua_thuc_hien"}, {"status": "da_hoan_thanh"})
        assert event.actor_name == "canbo-a"
        activity = activities_of(SCHOOL_A)[0]
    client.post(f"{LIST_A}/{activity.id}/delete", data={"version": str(activity.version)})
    assert "0/1 lớp" in text_of(client.get(LIST_A))
    with app.app_context():
        item = target_item(SCHOOL_A, "t1")
        assert item.status is ItemStatus.NOT_STARTED and item.completed_at is None


def test_only_pilot_classes_count_towards_the_pilot_target(app):
    record(app, code="2.1")
    record(app, code="2.3", subject="")
    with app.app_context():
        a = school(SCHOOL_A)
        (actual,) = target_actuals(the_plan(), [a]).values()
        assert (actual.value, actual.met) == (0, False)
        assert target_item(SCHOOL_A, "t1").status is ItemStatus.NOT_STARTED


def test_a_pilot_class_turned_into_an_integration_record_no_longer_counts(app, as_persona):
    activity_id = record(app, code="2.2")
    with app.app_context():
        assert target_item(SCHOOL_A, "t1").status is ItemStatus.DONE
    response = as_persona("staff_a").post(f"{LIST_A}/{activity_id}", data=activity_form(app, "2.1", version="1"))
    assert response.status_code == 302
    with app.app_context():
        assert target_item(SCHOOL_A, "t1").status is ItemStatus.NOT_STARTED


def test_a_target_of_two_classes_is_in_progress_with_one(app):
    with app.app_context():
        db.session.scalar(select(Target).filter_by(stt=4)).measure_min = 2
        db.session.commit()
    record(app, slug=SCHOOL_B, code="2.2", class_name="8A")
    with app.app_context():
        b = school(SCHOOL_B)
        t4 = db.session.scalar(select(Target).filter_by(stt=4))
        actual = target_actuals(the_plan(), [b])[(b.id, t4.id)]
        assert (actual.value, actual.met, actual.text) == (1, False, "1/2 lớp")
        assert target_item(SCHOOL_B, "t4").status is ItemStatus.IN_PROGRESS


def test_an_integration_record_meets_target_stt_5_for_a_school_outside_the_pilot(app, as_persona):
    with app.app_context():
        other = school(OTHER_SCHOOL)
        create_user("canbo-lb", Role.SCHOOL_STAFF, PASSWORD, ward=other.ward, school=other)
    client = as_persona("canbo-lb")
    url = f"/schools/{OTHER_SCHOOL}/activities"
    assert "Chưa có hoạt động lồng ghép" in text_of(client.get(url))
    assert client.post(url, data=activity_form(app, "2.1")).status_code == 302
    assert "Số hoạt động lồng ghép: 1" in text_of(client.get(url))
    with app.app_context():
        plan, other = the_plan(), school(OTHER_SCHOOL)
        t5 = db.session.scalar(select(Target).filter_by(stt=5))
        actual = target_actuals(plan, [other])[(other.id, t5.id)]
        assert (actual.value, actual.minimum, actual.met) == (1, 1, True)
        assert target_item(OTHER_SCHOOL, "t5").status is ItemStatus.DONE
        schools = db.session.scalars(select(School)).all()
        assert integration_share(plan, schools) == (1, 6)  # the six schools outside the pilot


def test_target_actuals_name_every_target_that_applies_and_no_other(app):
    with app.app_context():
        plan = the_plan()
        schools = db.session.scalars(select(School)).all()
        actuals = target_actuals(plan, schools)
        stt = {t.id: t.stt for t in plan.targets}
        by_school = {s.slug: sorted(stt[t] for (sid, t) in actuals if sid == s.id) for s in schools}
        assert by_school[SCHOOL_A] == [1] and by_school[SCHOOL_B] == [4] and by_school[OTHER_SCHOOL] == [5]
        assert len(actuals) == len(schools)
        assert not any(actual.met for actual in actuals.values())


def _add_schools(app, count: int) -> None:
    with app.app_context():
        ward = db.session.scalar(select(Ward))
        db.session.add_all(
            School(
                ward=ward,
                slug=f"truong-them-{i}",
                name=f"Trường thêm {i}",
                level=SchoolLevel.THCS if i % 2 else SchoolLevel.TIEU_HOC,
                is_pilot=i % 7 == 0,
            )
            for i in range(count)
        )
        db.session.commit()
    for i in range(0, count, 10):
        record(app, slug=f"truong-them-{i}", code="2.2" if i % 7 == 0 else "2.1")


def test_target_actuals_run_the_same_number_of_queries_for_5_and_100_schools(app, count_queries):
    _add_schools(app, 100)
    counts = {}
    for size in (5, 100):
        with app.app_context():
            plan = the_plan()
            schools = db.session.scalars(select(School).order_by(School.id).limit(size)).all()
            with count_queries() as counter:
                actuals = target_actuals(plan, schools)
            counts[size] = counter.count
            assert len({sid for sid, _ in actuals}) == size
    assert counts[5] == counts[100] <= 3, counts  # activities, the target rows, the plan's pilot schools
    with app.app_context():
        plan, schools = the_plan(), db.session.scalars(select(School)).all()
        assert plan.targets and plan.pilot_ids is not None  # loaded, as on any page that shows them
        with count_queries() as counter:
            found, owing = integration_share(plan, schools)
        assert counter.count == 1
        assert 0 < found < owing


def test_the_activity_list_runs_a_fixed_number_of_queries(app, as_persona, count_queries):
    client = as_persona("staff_a")
    record(app, code="2.1")
    with count_queries() as small:
        assert client.get(LIST_A).status_code == 200
    for i in range(20):
        record(app, code=("2.1", "2.2", "2.3", "tuyen-truyen")[i % 4], class_name=f"4A{i}")
    with count_queries() as large:
        assert client.get(LIST_A).status_code == 200
    assert large.count == small.count, large.statements


# -- who may do what ----------------------------------------------------------------------


def _requests(app, activity_id: int) -> list[tuple[str, str, dict]]:
    url = f"{LIST_A}/{activity_id}"
    edit = activity_form(app, title="Sửa trái phép", version="1")
    return [
        ("GET", LIST_A, {}),
        ("POST", LIST_A, activity_form(app, title="Thêm trái phép")),
        ("GET", url, {}),
        ("POST", url, edit),
        ("POST", f"{url}/delete", {"version": "1"}),
    ]


def test_staff_of_another_school_can_neither_read_nor_write_its_activities(app, as_persona):
    activity_id = record(app, title="Hoạt động của trường A")
    client = as_persona("staff_b")
    before = snapshot(app)
    for method, url, data in _requests(app, activity_id):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
        assert "Hoạt động của trường A" not in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize("persona", ["viewer", "supervisor", "ward_admin"])
def test_the_ward_reads_activities_but_cannot_write_them(app, as_persona, persona):
    activity_id = record(app, title="Hoạt động của trường A")
    client = as_persona(persona)
    before = snapshot(app)
    for method, url, data in _requests(app, activity_id):
        response = client.open(url, method=method, data=data)
        if method == "GET":
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            assert "Hoạt động của trường A" in body
            assert "Ghi nhận hoạt động mới" not in body and "Sửa hoạt động" not in body
        else:
            assert response.status_code == 403, (method, url)
    assert snapshot(app) == before


def test_every_write_without_a_csrf_token_is_refused_and_the_pages_forms_carry_one(seeded_app):
    app = seeded_app(WTF_CSRF_ENABLED=True)
    activity_id = record(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/login", data={"username": "canbo-a", "password": PASSWORD, "csrf_token": token})
    before = snapshot(app)
    for method, url, data in _requests(app, activity_id):
        if method == "POST":
            assert client.post(url, data=data).status_code == 400, url
    assert snapshot(app) == before
    body = client.get(f"{LIST_A}/{activity_id}").get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', body)
    post_forms = re.findall(r'<form\b[^>]*\bmethod="post"', body)
    assert len(tokens) == len(post_forms) >= 5  # sign-out, edit, delete, language, evidence upload
    response = client.post(
        f"{LIST_A}/{activity_id}", data=activity_form(app, title="Sửa có mã CSRF", version="1", csrf_token=tokens[0])
    )
    assert response.status_code == 302


def test_anonymous_visitors_are_sent_to_the_login_page(app, client):
    activity_id = record(app)
    before = snapshot(app)
    for method, url, data in _requests(app, activity_id):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302 and response.location.startswith("/login"), (method, url)
    assert snapshot(app) == before


def test_an_activity_is_found_only_under_its_own_schools_address(app, as_persona):
    activity_id = record(app, slug=SCHOOL_B, code="2.2", class_name="8A")
    client = as_persona("ward_admin")
    assert client.get(f"/schools/{SCHOOL_B}/activities/{activity_id}").status_code == 200
    assert client.get(f"{LIST_A}/{activity_id}").status_code == 404
    client = as_persona("staff_a")
    before = snapshot(app)
    response = client.post(f"{LIST_A}/{activity_id}/delete", data={"version": "1"})
    assert response.status_code == 404
    assert snapshot(app) == before


def test_a_forged_school_id_or_plan_id_in_the_form_is_ignored(app, as_persona):
    with app.app_context():
        b_id = school(SCHOOL_B).id
    response = as_persona("staff_a").post(
        LIST_A, data=activity_form(app, school_id=str(b_id), plan_id="999", created_by_id="1", version="7")
    )
    assert response.status_code == 302
    with app.app_context():
        (activity,) = activities_of(SCHOOL_A)
        assert activity.plan_id == the_plan().id and activity.version == 1
        assert activities_of(SCHOOL_B) == []


def test_activities_of_a_past_school_year_are_read_only(app, as_persona):
    activity_id = record(app, title="Hoạt động năm trước")
    with app.app_context():
        spec = read_plan_file(BUNDLED_PLAN)
        load_plan(
            dataclasses.replace(
                spec,
                school_year="2026-2027",
                calendar={name: day.replace(year=day.year + 1) for name, day in spec.calendar.items()},
            )
        )
    client = as_persona("staff_a")
    url = f"{LIST_A}/{activity_id}"
    page = client.get(url)
    assert page.status_code == 200 and "Sửa hoạt động" not in text_of(page)
    assert "Hoạt động năm trước" not in text_of(client.get(LIST_A))  # the list is this year's
    before = snapshot(app)
    response = client.post(url, data=activity_form(app, title="Sửa năm cũ", version="1"))
    assert response.status_code == 403
    assert "Năm học này đã kết thúc" in text_of(response)
    assert client.post(f"{url}/delete", data={"version": "1"}).status_code == 403
    assert snapshot(app) == before


# -- no lost update -------------------------------------------------------------------------


def test_an_edit_based_on_a_stale_version_is_refused_with_409_and_nothing_is_lost(app, as_persona):
    activity_id = record(app, title="Bản đầu")
    url = f"{LIST_A}/{activity_id}"
    first, second = as_persona("staff_a"), as_persona("staff_a")
    assert second.post(url, data=activity_form(app, title="Bản của người thứ hai", version="1")).status_code == 302
    response = first.post(url, data=activity_form(app, title="Bản của người thứ nhất", version="1"))
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Hoạt động vừa được người khác thay đổi" in body
    assert "<h1>Bản của người thứ hai</h1>" in body  # the current state
    assert 'value="Bản của người thứ nhất"' in body  # the refused edit, still in the form
    assert 'name="version" type="hidden" value="2"' in body
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert (activity.title, activity.version) == ("Bản của người thứ hai", 2)
    # Seen the current state, the first person can now save on the new version.
    assert first.post(url, data=activity_form(app, title="Bản của người thứ nhất", version="2")).status_code == 302


def test_a_delete_based_on_a_stale_version_is_refused_with_409(app, as_persona):
    activity_id = record(app, title="Bản đầu")
    client = as_persona("staff_a")
    client.post(f"{LIST_A}/{activity_id}", data=activity_form(app, title="Đã sửa", version="1"))
    before = snapshot(app)
    response = client.post(f"{LIST_A}/{activity_id}/delete", data={"version": "1"})
    assert response.status_code == 409
    assert "Hoạt động chưa bị xóa" in text_of(response)
    assert snapshot(app) == before


def test_a_write_without_a_version_is_a_bad_request(app, as_persona):
    activity_id = record(app)
    client = as_persona("staff_a")
    before = snapshot(app)
    assert client.post(f"{LIST_A}/{activity_id}", data=activity_form(app)).status_code == 400
    assert client.post(f"{LIST_A}/{activity_id}/delete").status_code == 400
    assert snapshot(app) == before


def test_a_concurrent_save_between_check_and_write_is_refused_as_stale(app):
    """The version check alone cannot see a save committed after the row was read; the database can."""
    activity_id = record(app, title="Bản đầu")
    with app.app_context():
        with db.engine.begin() as other:  # another request saves version 2…
            other.execute(
                Activity.__table__.update().where(Activity.id == activity_id).values(title="Bản nhanh", version=2)
            )
        activity = db.session.get(Activity, activity_id)
        set_committed_value(activity, "version", 1)  # …after this one had read version 1
        values = {
            "form_id": activity.form_id,
            "title": "Bản chậm",
            "subject": "Tin học",
            "grade": "4",
            "class_name": "",
            "participants": 1,
            "lessons": 1,
            "content_area_ids": [],
            "starts_on": date(2026, 3, 2),
            "ends_on": None,
            "products": "",
            "notes": "",
        }
        with pytest.raises(services.StaleActivity):
            services.update_activity(activity, values, version=1)
    with app.app_context():
        assert db.session.get(Activity, activity_id).title == "Bản nhanh"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).filter_by(action="activity.update")) == 0

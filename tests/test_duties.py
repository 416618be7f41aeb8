"""Who does what (issue 17, part 6): a school's staff give an item its owner and co-owners (audited,
version-checked, only the school's own staff), each staff member sees "Việc của tôi", and the ward's
school list, the rollup and its exports count the items nobody answers for."""

import io
import json

from helpers import PASSWORD, SCHOOL_A, SCHOOL_B, text_of
from openpyxl import load_workbook
from sqlalchemy import func, select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, ItemDuty, Role, School, User, Ward


def find_item(key: str = "m3", slug: str = SCHOOL_A) -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).filter_by(username=username))


def colleague(app, username="canbo-a2", full_name="Trần Thị Bình", slug=SCHOOL_A) -> int:
    with app.app_context():
        ward = db.session.scalar(select(Ward))
        school = db.session.scalar(select(School).filter_by(slug=slug))
        return create_user(username, Role.SCHOOL_STAFF, PASSWORD, ward=ward, school=school, full_name=full_name).id


def duty_of(app, key="m3"):
    with app.app_context():
        duty = db.session.scalar(select(ItemDuty).filter_by(item_id=find_item(key).id))
        if duty is None:
            return None
        return duty.assignee_id, sorted(u.id for u in duty.co_owners), duty.version


def assign(client, app, key="m3", slug=SCHOOL_A, htmx=False, **data):
    with app.app_context():
        item_id = find_item(key, slug).id
    headers = {"HX-Request": "true", "HX-Target": f"item-{item_id}"} if htmx else {}
    data.setdefault("version", "0")
    return client.post(f"/schools/{slug}/items/{item_id}/duty", data=data, headers=headers)


def audit_events(app, action="item.duty") -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)))


def test_staff_give_an_item_an_owner_and_a_co_owner_and_the_page_names_the_owner(app, as_persona):
    other = colleague(app)
    with app.app_context():
        me = user_id("canbo-a")
    client = as_persona("staff_a")
    response = assign(client, app, assignee=str(me), co_owners=[str(other)])
    assert response.status_code == 303
    assert duty_of(app) == (me, [other], 1)
    [event] = audit_events(app)
    assert event.after["co_owners"] == ["Trần Thị Bình"] and event.before["assignee"] is None
    page = text_of(as_persona("ward_admin").get(f"/schools/{SCHOOL_A}"))
    assert "Phụ trách: canbo-a +1" in page


def test_with_htmx_the_item_comes_back_saying_its_new_owner(app, as_persona):
    with app.app_context():
        me = user_id("canbo-a")
    response = assign(as_persona("staff_a"), app, htmx=True, assignee=str(me))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "Phụ trách: canbo-a" in text_of(response) and "Đã lưu lúc" in body


def test_a_stale_version_is_refused_with_409_and_changes_nothing(app, as_persona):
    other = colleague(app)
    client = as_persona("staff_a")
    assign(client, app, assignee=str(other))
    before = duty_of(app)
    with app.app_context():
        me = user_id("canbo-a")
    response = assign(client, app, htmx=True, assignee=str(me), version="0")  # loaded before the first save
    assert response.status_code == 409
    assert "Người khác vừa đổi phân công" in text_of(response)
    assert duty_of(app) == before
    assert len(audit_events(app)) == 1


def test_only_the_schools_own_staff_may_own_its_items(app, as_persona):
    with app.app_context():
        outsider = user_id("canbo-b")
        admin = user_id("admin")
    client = as_persona("staff_a")
    for person in (outsider, admin, 999999, "abc"):
        response = assign(client, app, assignee=str(person))
        assert response.status_code == 422, person
        assert "cán bộ của" in text_of(response)
    assert duty_of(app) is None
    assert audit_events(app) == []


def test_co_owners_need_an_owner_first(app, as_persona):
    other = colleague(app)
    response = assign(as_persona("staff_a"), app, assignee="", co_owners=[str(other)])
    assert response.status_code == 422
    assert "Hãy chọn người phụ trách" in text_of(response)
    assert duty_of(app) is None


def test_saving_the_same_people_again_writes_nothing(app, as_persona):
    with app.app_context():
        me = user_id("canbo-a")
    client = as_persona("staff_a")
    assign(client, app, assignee=str(me))
    assign(client, app, assignee=str(me), version="1")
    assert duty_of(app) == (me, [], 1)
    assert len(audit_events(app)) == 1


def test_staff_of_another_school_and_the_ward_cannot_assign(app, as_persona):
    with app.app_context():
        me = user_id("canbo-a")
    for persona in ("staff_b", "ward_admin", "supervisor", "viewer"):
        assert assign(as_persona(persona), app, assignee=str(me)).status_code == 403, persona
    assert duty_of(app) is None


def test_my_items_lists_what_i_own_and_what_i_share(app, as_persona):
    other = colleague(app)
    with app.app_context():
        me = user_id("canbo-a")
    client = as_persona("staff_a")
    assign(client, app, key="m3", assignee=str(me))
    assign(client, app, key="t1/ke-hoach-nha-truong", assignee=str(other), co_owners=[str(me)])
    page = text_of(client.get("/my-items"))
    assert "Việc của tôi" in page and "phân công rõ trách nhiệm của tập thể, cá nhân" in page
    assert "Xây dựng kế hoạch triển khai giáo dục AI" in page and "Kế hoạch nhà trường" in page
    assert "Phối hợp với Trần Thị Bình" in page
    # The colleague sees the item they own, not the one that is mine alone.
    their_client = as_persona("canbo-a2")
    theirs = text_of(their_client.get("/my-items"))
    assert "Kế hoạch nhà trường" in theirs and "Xây dựng kế hoạch triển khai giáo dục AI" not in theirs
    # Staff of another school have none of them.
    assert "Chưa có mục việc nào được giao cho bạn" in text_of(as_persona("staff_b").get("/my-items"))


def test_the_school_list_the_rollup_and_the_exports_count_items_without_an_owner(app, as_persona):
    with app.app_context():
        me = user_id("canbo-a")
        total = db.session.scalar(
            select(func.count())
            .select_from(ChecklistItem)
            .join(School)
            .where(School.slug == SCHOOL_A, ChecklistItem.retired.is_(False))
        )
    assign(as_persona("staff_a"), app, assignee=str(me))
    admin = as_persona("ward_admin")
    schools = text_of(admin.get("/schools"))
    assert f"{total - 1} mục chưa phân công" in schools
    rollup = text_of(admin.get("/rollup"))
    assert "Mục việc chưa phân công người phụ trách" in rollup
    data = json.loads(admin.get("/rollup.json").get_data(as_text=True))
    mine = next(s for s in data["duties"]["schools"] if s["slug"] == SCHOOL_A)
    assert mine["items_without_owner"] == total - 1
    assert {"schools", "targets", "milestones", "totals"} <= set(data)  # the existing keys stay
    book = load_workbook(io.BytesIO(admin.get("/rollup.xlsx").data), read_only=True)
    sheet = book["Phân công, vướng mắc"]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows[SCHOOL_A][3] == total - 1
    assert rows[SCHOOL_B][3] > 0
    # School staff's own export holds their school only.
    staff_data = json.loads(as_persona("staff_a").get("/rollup.json").get_data(as_text=True))
    assert [s["slug"] for s in staff_data["duties"]["schools"]] == [SCHOOL_A]


def test_my_items_runs_a_fixed_number_of_queries(app, as_persona, count_queries):
    other = colleague(app)
    with app.app_context():
        me = user_id("canbo-a")
    client = as_persona("staff_a")
    assign(client, app, key="m3", assignee=str(me))
    with count_queries() as few:
        assert client.get("/my-items").status_code == 200
    for key in ("m4", "m5", "t1/ke-hoach-nha-truong"):
        assign(client, app, key=key, assignee=str(other), co_owners=[str(me)])
    with count_queries() as more:
        page = client.get("/my-items")
    assert page.status_code == 200 and text_of(page).count("Phối hợp với") == 3
    assert more.count == few.count, more.statements

"""Editing the plan from the browser: only ward admins, only an open year (current or in
preparation), bad dates refused field by field, every change audited with before → after and
followed at once by the checklists' due dates; no silent overwrite; no orphaned progress."""

import dataclasses
import re
from datetime import date

import pytest
from helpers import SCHOOL_A, text_of
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, ItemStatus, Plan, School, SchoolYear
from aiplan.plans.services import BUNDLED_PLAN, load_plan
from aiplan.plans.spec import read_plan_file

EDIT = "/admin/plan/2025-2026"
VERSION = re.compile(r'name="version"[^>]*value="([0-9a-f]+)"')
CALENDAR = {
    "hk1_start": "05/09/2025",
    "hk1_end": "17/01/2026",
    "hk2_start": "19/01/2026",
    "hk2_end": "25/05/2026",
    "midterm_start": "09/03/2026",
    "midterm_end": "04/04/2026",
    "ends_on": "31/05/2026",
    "closes_on": "31/08/2026",
}
M8 = {
    "title": "Tổng hợp, báo cáo kết quả triển khai cấp cơ sở, cấp phường (trước ngày 15/6/2026)",
    "timing": "cuoi_nam",
    "timing_text": "Cuối năm học",
    "owners": ["ubnd_phuong", "co_so_gd"],
    "owner_text": "UBND phường; Cơ sở GD",
    "required_of": "all",
    "school_deadline": "bao-cao-co-so",
    "ward_deadline": "bao-cao-phong-vhxh",
}


def version_of(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return VERSION.search(page.get_data(as_text=True))[1]


def post(client, url: str, data: dict):
    return client.post(url, data={"version": version_of(client, url)} | data)


def html_of(response) -> str:
    """The page's markup, for assertions about attributes and escaping as well as words."""
    return response.get_data(as_text=True)


def plan_state() -> dict:
    """What the plan edits may change, with every item's due date and the audit log's length."""
    year = db.session.scalar(select(SchoolYear).filter_by(name="2025-2026"))
    plan = db.session.scalar(select(Plan).filter_by(school_year_id=year.id))
    return {
        "calendar": [getattr(year, name) for name in CALENDAR],
        "deadlines": [(d.key, d.title, d.before, d.yearly_before) for d in plan.deadlines],
        "milestones": [(m.number, m.title, m.timing, m.owners_code) for m in plan.milestones],
        "items": sorted(
            db.session.execute(
                select(
                    ChecklistItem.school_id,
                    ChecklistItem.key,
                    ChecklistItem.due_on,
                    ChecklistItem.retired,
                    ChecklistItem.required,
                )
            ).all(),
            key=lambda row: (row[0] or 0, row[1]),
        ),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEvent)),
    }


def snapshot(app) -> dict:
    with app.app_context():
        return plan_state()


def due_dates(key: str) -> dict:
    """{school slug or None (the ward): due date} of the live items with `key`."""
    rows = db.session.execute(
        select(School.slug, ChecklistItem.due_on)
        .outerjoin(School)
        .where(ChecklistItem.key == key, ChecklistItem.retired.is_(False))
    ).all()
    return dict(rows)


def last_event(action: str) -> AuditEvent:
    return db.session.scalar(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id.desc()))


def open_next_year() -> None:
    """Load 2026-2027: it opens at once, so 2025-2026 becomes a past, read-only year."""
    spec = read_plan_file(BUNDLED_PLAN)
    load_plan(
        dataclasses.replace(
            spec,
            school_year="2026-2027",
            calendar={name: day.replace(year=day.year + 1) for name, day in spec.calendar.items()},
        )
    )


# -- who may edit what ------------------------------------------------------------------------

EDIT_FORMS = {
    # (29/05/2026 would leave “Cuối năm học”, 30–31/05, only a weekend: refused)
    "calendar": (f"{EDIT}/calendar", CALENDAR | {"hk2_end": "28/05/2026"}),
    "deadline": (
        f"{EDIT}/deadlines/bao-cao-co-so",
        {"title": "Báo cáo", "owner_text": "Cơ sở GD", "kind": "before", "before": "05/06/2026"},
    ),
    "milestone": (f"{EDIT}/milestones/8", M8 | {"title": "Tổng hợp, báo cáo (sửa)"}),
    "target": (
        f"{EDIT}/targets/1",
        {
            "category": "Trường tiểu học",
            "managing_body": "UBND phường",
            "minimum": "1 lớp",
            "forms_text": "Lồng ghép",
            "evidence_text": "Kế hoạch",
            "levels": "tieu_hoc",
            "pilot": "1",
            "measure": "elective_classes",
            "measure_min": "2",
            "timing": "cuoi_hk2",
        },
    ),
}


@pytest.mark.parametrize("part", sorted(EDIT_FORMS))
@pytest.mark.parametrize("role", ["anonymous", "staff_a", "staff_b", "supervisor", "viewer"])
def test_only_ward_admins_may_save_a_part_of_the_plan(app, as_persona, part, role):
    url, data = EDIT_FORMS[part]
    client = as_persona(None if role == "anonymous" else role)
    before = snapshot(app)
    response = client.post(url, data=data | {"version": "0"})
    if role == "anonymous":
        assert response.status_code == 302 and response.location.startswith("/login")
    else:
        assert response.status_code == 403
    assert snapshot(app) == before


@pytest.mark.parametrize("part", sorted(EDIT_FORMS))
def test_the_ward_admin_saves_each_part_and_each_save_is_audited(app, as_persona, part):
    url, data = EDIT_FORMS[part]
    admin = as_persona("ward_admin")
    before = snapshot(app)
    response = post(admin, url, data)
    assert response.status_code == 303 and response.location == EDIT, html_of(response)
    assert snapshot(app)["audit"] > before["audit"]
    assert "Đã lưu" in html_of(admin.get(EDIT))


def test_a_past_year_is_read_only_and_refusing_it_changes_nothing(app, as_persona):
    with app.app_context():
        open_next_year()
    admin = as_persona("ward_admin")
    before = snapshot(app)
    for url, data in EDIT_FORMS.values():
        assert admin.get(url).status_code == 403
        response = admin.post(url, data=data | {"version": "0"})
        assert response.status_code == 403
        assert "Năm học này đã kết thúc" in html_of(response)
    assert admin.get(EDIT).status_code == 403
    assert snapshot(app) == before
    assert admin.get("/admin/plan/2026-2027/calendar").status_code == 200
    assert admin.get("/admin/plan/2025-2026.toml").status_code == 200  # a past year may still be exported
    assert admin.get("/admin/plan/2031-2032").status_code == 404
    assert "Sửa kế hoạch" not in html_of(admin.get("/plan?nam=2025-2026"))


def test_a_year_in_preparation_is_editable_beside_the_current_one(app, as_persona):
    with app.app_context():
        open_next_year()
        db.session.scalar(select(SchoolYear).filter_by(name="2026-2027")).opened_at = None
        db.session.commit()
    admin = as_persona("ward_admin")
    for name in ("2025-2026", "2026-2027"):
        assert admin.get(f"/admin/plan/{name}").status_code == 200
    response = post(
        admin,
        "/admin/plan/2026-2027/deadlines/bao-cao-co-so",
        {"title": "Báo cáo năm sau", "owner_text": "Cơ sở GD", "kind": "yearly", "yearly_before": "9/6"},
    )
    assert response.status_code == 303
    with app.app_context():
        year = db.session.scalar(select(SchoolYear).filter_by(name="2026-2027"))
        assert year.plans[0].deadline("bao-cao-co-so").yearly_before == "09/06"
        assert year.plans[0].deadline("bao-cao-co-so").before is None


def test_the_plan_page_links_ward_admins_to_the_edit_pages(app, as_persona):
    assert f'href="{EDIT}"' in html_of(as_persona("ward_admin").get("/plan"))
    for persona in ("supervisor", "viewer", "staff_a"):
        assert "Sửa kế hoạch" not in html_of(as_persona(persona).get("/plan"))


# -- due dates follow, with the audit log -------------------------------------------------------


def test_moving_the_school_report_deadline_moves_every_schools_milestone_8(app, as_persona):
    # The plan leaves the schools' date to the ward (default: before 09/6, as Phụ lục I.3).
    admin = as_persona("ward_admin")
    response = post(
        admin,
        f"{EDIT}/deadlines/bao-cao-co-so",
        {
            "title": "Tổng hợp, báo cáo kết quả triển khai giáo dục AI cấp cơ sở",
            "owner_text": "Cơ sở GD",
            "kind": "before",
            "before": "05/06/2026",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        schools = due_dates("m8")
        ward = schools.pop(None)
        assert len(schools) == 8 and set(schools.values()) == {date(2026, 6, 4)}
        assert ward == date(2026, 6, 11)  # the ward's own deadline did not move
        event = last_event("plan.deadline")
        assert (event.before, event.after) == ({"before": "2026-06-09"}, {"before": "2026-06-05"})
        assert event.actor_name == "admin"


def test_a_schools_deadline_after_the_phong_vhxh_synthesis_is_refused_and_nothing_saved(app, as_persona):
    admin = as_persona("ward_admin")
    before = snapshot(app)  # the audit log's length included
    response = post(
        admin,
        f"{EDIT}/deadlines/bao-cao-co-so",
        {
            "title": "Tổng hợp, báo cáo kết quả triển khai giáo dục AI cấp cơ sở",
            "owner_text": "Cơ sở GD",
            "kind": "before",
            "before": "13/06/2026",
        },
    )
    assert response.status_code == 422
    text = text_of(response)
    assert "Hạn này phải không muộn hơn ngày 12/06/2026: Phòng VHXH tổng hợp báo cáo này" in text
    assert snapshot(app) == before
    with app.app_context():
        assert set(due_dates("m8").values()) == {date(2026, 6, 8), date(2026, 6, 11)}


def test_the_deadline_page_shows_the_link_of_the_chain_and_the_plan_line_it_rests_on(as_persona):
    text = text_of(as_persona("ward_admin").get(f"{EDIT}/deadlines/bao-cao-co-so"))
    assert "Gửi đến UBND phường (qua Phòng VHXH)" in text
    assert "Kế hoạch để ngỏ ngày này: phường đặt hạn" in text
    assert "Mục V.2:" in text


def test_the_yearly_rule_is_saved_without_a_sender_because_the_plan_names_none(app, as_persona):
    response = post(
        as_persona("ward_admin"),
        f"{EDIT}/deadlines/bao-cao-hang-nam",
        {
            "title": "Thực hiện báo cáo định kỳ hằng năm về UBND phường",
            "owner_text": "",
            "kind": "yearly",
            "yearly_before": "10/06",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        yearly = db.session.scalar(select(Plan)).deadline("bao-cao-hang-nam")
        assert (yearly.owner_text, yearly.yearly_before) == ("", "10/06")


def test_moving_the_inspection_window_moves_milestone_6(app, as_persona):
    admin = as_persona("ward_admin")
    response = post(admin, f"{EDIT}/calendar", CALENDAR | {"midterm_start": "16/03/2026", "midterm_end": "11/04/2026"})
    assert response.status_code == 303
    with app.app_context():
        assert due_dates("m6") == {None: date(2026, 4, 10)}  # 11/04/2026 is a Saturday
        event = last_event("plan.calendar")
        assert event.before == {"midterm_start": "2026-03-09", "midterm_end": "2026-04-04"}
        assert event.after == {"midterm_start": "2026-03-16", "midterm_end": "2026-04-11"}


def test_a_milestone_edit_changes_its_title_timing_and_due_dates(app, as_persona):
    admin = as_persona("ward_admin")
    m3 = {
        "title": "Xây dựng kế hoạch giáo dục AI của nhà trường",
        "timing": "trong_hk1",
        "timing_text": "Trong HK I",
        "owners": ["co_so_gd"],
        "owner_text": "Cơ sở GD",
        "required_of": "all",
        "school_deadline": "",
        "ward_deadline": "",
    }
    assert post(admin, f"{EDIT}/milestones/3", m3).status_code == 303
    with app.app_context():
        assert set(due_dates("m3").values()) == {date(2026, 1, 16)}  # the end of HK I, 17/01, is a Saturday
        event = last_event("plan.milestone")
        assert event.after == {
            "title": m3["title"],
            "timing": "trong_hk1",
            "timing_text": "Trong HK I",
            "owner_text": "Cơ sở GD",
        }
    assert m3["title"] in html_of(admin.get("/plan"))


# -- bad input --------------------------------------------------------------------------------


def test_calendar_dates_out_of_order_are_refused_field_by_field_and_nothing_changes(app, as_persona):
    admin = as_persona("ward_admin")
    before = snapshot(app)
    response = post(
        admin,
        f"{EDIT}/calendar",
        CALENDAR | {"hk1_end": "01/09/2025", "midterm_end": "30/05/2026", "closes_on": "30/05/2026"},
    )
    body = html_of(response)
    assert response.status_code == 422
    assert "Ngày kết thúc HK I phải sau ngày bắt đầu HK I (05/09/2025)." in body
    assert "Đợt kiểm tra giữa HK II phải kết thúc trong HK II, không sau ngày 25/05/2026." in body
    assert "Hạn sơ kết, tổng kết không được trước ngày kết thúc năm học (31/05/2026)." in body
    assert 'id="hk1_end-error"' in body and 'aria-invalid="true"' in body
    response = post(admin, f"{EDIT}/calendar", CALENDAR | {"hk2_start": "31/02/2026", "ends_on": ""})
    assert response.status_code == 422
    assert "Ngày không hợp lệ" in html_of(response) and "Nhập ngày dạng ngày/tháng/năm." in html_of(response)
    response = post(
        admin,
        f"{EDIT}/deadlines/bao-cao-co-so",
        {"title": " ", "owner_text": "Cơ sở GD", "kind": "yearly", "yearly_before": "31/02"},
    )
    assert response.status_code == 422
    assert "Nhập ngày hằng năm dạng ngày/tháng, ví dụ 09/06." in html_of(response)
    assert snapshot(app) == before


def test_a_second_editor_is_told_and_the_first_edit_is_kept(app, as_persona):
    first, second = as_persona("ward_admin"), as_persona("ward_admin")
    url = f"{EDIT}/milestones/8"
    stale = version_of(second, url)
    assert post(first, url, M8 | {"title": "Bản của người thứ nhất"}).status_code == 303
    response = second.post(url, data=M8 | {"title": "Bản của người thứ hai", "version": stale})
    body = html_of(response)
    assert response.status_code == 409
    assert "Phần này vừa được người khác sửa" in body and "Bản của người thứ nhất" in body
    assert "Bản của người thứ hai" in body  # still in the form, to save again
    with app.app_context():
        assert db.session.scalar(select(Plan)).milestones[7].title == "Bản của người thứ nhất"
    fresh = VERSION.search(body)[1]
    assert second.post(url, data=M8 | {"title": "Bản của người thứ hai", "version": fresh}).status_code == 303


# -- recorded work is never orphaned silently -------------------------------------------------


def test_taking_a_milestone_from_schools_with_recorded_work_needs_a_confirmation(app, as_persona):
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == "m8")
        )
        item.status = ItemStatus.IN_PROGRESS
        db.session.commit()
        worked_on = item.id
    admin = as_persona("ward_admin")
    before = snapshot(app)
    ward_only = M8 | {"owners": ["ubnd_phuong"]}
    response = post(admin, f"{EDIT}/milestones/8", ward_only)
    body = html_of(response)
    assert response.status_code == 422
    assert "1 trường đã ghi nhận tiến độ" in body
    assert "Tôi hiểu: các mục đã có tiến độ sẽ được giữ lại ở dạng lưu trữ" in body
    assert snapshot(app) == before
    response = post(admin, f"{EDIT}/milestones/8", ward_only | {"confirm": "y"})
    assert response.status_code == 303
    with app.app_context():
        kept = db.session.get(ChecklistItem, worked_on)
        assert kept.retired and kept.status is ItemStatus.IN_PROGRESS
        assert due_dates("m8").keys() == {None}  # the other schools' untouched m8 items are gone
        assert last_event("plan.milestone").after["retired_items"] == 1

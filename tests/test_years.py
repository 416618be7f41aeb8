"""A new school year: 2026-2027 starts from 2025-2026 with fresh checklists and the roadmap's
deadline, the pilot can be widened before opening, and the past year stays as it was, read-only
and browsable through the year selector."""

import re
from datetime import date

import pytest
from helpers import SCHOOL_A, text_of
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, Deadline, ItemStatus, Milestone, Plan, School, SchoolYear, Verdict

NEW_CALENDAR = {
    "hk1_start": "05/09/2026",
    "hk1_end": "16/01/2027",
    "hk2_start": "18/01/2027",
    "hk2_end": "25/05/2027",
    "midterm_start": "08/03/2027",
    "midterm_end": "03/04/2027",
    "ends_on": "31/05/2027",
    "closes_on": "31/08/2027",
}
WIDENED = "th-thach-ban-a"  # a primary school that does not pilot in 2025-2026


def plan_of(name: str) -> Plan:
    return db.session.scalar(select(Plan).join(SchoolYear).where(SchoolYear.name == name))


def items_of(name: str, slug: str) -> dict[str, ChecklistItem]:
    plan = plan_of(name)
    return {
        item.key: item
        for item in db.session.scalars(
            select(ChecklistItem).join(School).where(ChecklistItem.plan_id == plan.id, School.slug == slug)
        )
    }


def state_of_year(app, name: str) -> list[tuple]:
    """Everything recorded on a year's checklists, to compare before and after."""
    with app.app_context():
        plan = plan_of(name)
        return db.session.execute(
            select(
                ChecklistItem.id,
                ChecklistItem.school_id,
                ChecklistItem.key,
                ChecklistItem.status,
                ChecklistItem.note,
                ChecklistItem.due_on,
                ChecklistItem.required,
                ChecklistItem.version,
                ChecklistItem.retired,
            )
            .where(ChecklistItem.plan_id == plan.id)
            .order_by(ChecklistItem.id)
        ).all()


def mark_done(client, app, key: str = "m3", slug: str = SCHOOL_A, year: str = "2025-2026"):
    with app.app_context():
        item = items_of(year, slug)[key]
        url, version = f"/schools/{slug}/items/{item.id}", item.version
    return client.post(url, data={"status": "da_hoan_thanh", "version": str(version)})


def start_year(client, **changes):
    return client.post("/years", data=NEW_CALENDAR | changes)


@pytest.fixture
def admin(as_persona):
    return as_persona("ward_admin")


def test_starting_2026_2027_keeps_2025_2026_untouched_and_gives_fresh_checklists(app, admin, as_persona):
    staff = as_persona("staff_a")
    assert mark_done(staff, app).status_code == 303
    before = state_of_year(app, "2025-2026")

    response = start_year(admin)
    assert response.status_code == 302 and response.location == "/years/2026-2027"
    assert state_of_year(app, "2025-2026") == before
    with app.app_context():
        new = items_of("2026-2027", SCHOOL_A)
        old = items_of("2025-2026", SCHOOL_A)
        assert set(new) == set(old)
        assert {(i.status, i.verdict, i.note, i.version) for i in new.values()} == {
            (ItemStatus.NOT_STARTED, Verdict.UNCHECKED, "", 1)
        }
        assert old["m3"].status is ItemStatus.DONE
        # Phụ lục I.3: from now on the yearly report is due before 09/6, so the last day is 08/06/2027.
        assert new["m8"].due_on == date(2027, 6, 8)
        assert old["m8"].due_on == date(2026, 6, 8)  # the ward's default in the pilot year
        plan = plan_of("2026-2027")
        ward_m6 = db.session.scalar(select(ChecklistItem).filter_by(plan_id=plan.id, school_id=None, key="m6"))
        assert ward_m6.due_on == date(
            2027, 4, 2
        )  # the inspections, in the new mid-HK II window (03/04/2027 is a Saturday)
        assert plan.school_year.opened_at is None
        # Mốc 8's printed date is the UBND phường's report to the Sở, a year on.
        assert next(m for m in plan.milestones if m.number == 8).title.endswith("(trước ngày 15/6/2027)")
        assert "2026-2027" in next(m for m in plan.milestones if m.number == 7).timing_text
        assert {d.key for d in plan.deadlines} == {"bao-cao-phong-vhxh", "bao-cao-so", "bao-cao-hang-nam"}
        assert plan.deadline("bao-cao-phong-vhxh").before == date(2027, 6, 12)
        assert plan.deadline("bao-cao-so").before == date(2027, 6, 15)
        # The yearly rule takes the schools' place in the chain, still naming no sender.
        yearly = plan.deadline("bao-cao-hang-nam")
        assert (yearly.before, yearly.feeds, yearly.owner_text) == (date(2027, 6, 9), "bao-cao-phong-vhxh", "")
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "year.start")) == 1
    page = text_of(admin.get("/years/2026-2027"))
    assert "Đang chuẩn bị" in page and "trước ngày 09/06/2027" in page


def test_a_year_in_preparation_is_for_ward_admins_only_until_it_is_opened(app, admin, as_persona):
    start_year(admin)
    staff = as_persona("staff_a")
    page = text_of(staff.get(f"/schools/{SCHOOL_A}"))
    assert "Năm học 2025-2026" in page and "2026-2027" not in page
    assert staff.get(f"/schools/{SCHOOL_A}?nam=2026-2027").status_code == 404
    assert "Năm học 2026-2027" in text_of(admin.get(f"/schools/{SCHOOL_A}?nam=2026-2027"))

    response = admin.post("/years/2026-2027/open")
    assert response.status_code == 302
    page = text_of(staff.get(f"/schools/{SCHOOL_A}"))
    assert "Năm học 2026-2027" in page
    assert admin.post("/years/2026-2027/open").status_code == 409


def test_the_past_year_is_read_only_and_browsable_with_its_rollup_and_reports(app, admin, as_persona):
    staff = as_persona("staff_a")
    mark_done(staff, app)
    start_year(admin)
    admin.post("/years/2026-2027/open")
    before = state_of_year(app, "2025-2026")

    response = mark_done(staff, app)  # an item of 2025-2026
    assert response.status_code == 403
    assert "Năm học này đã kết thúc" in text_of(response)
    assert state_of_year(app, "2025-2026") == before
    assert mark_done(staff, app, year="2026-2027").status_code == 303

    old_page = staff.get(f"/schools/{SCHOOL_A}?nam=2025-2026")
    text = text_of(old_page)
    assert "Năm học 2025-2026" in text and "đã kết thúc" in text
    assert 'name="status"' not in old_page.get_data(as_text=True)  # no controls to change it
    for url in (
        "/rollup?nam=2025-2026",
        "/rollup.xlsx?nam=2025-2026",
        "/ward/report?nam=2025-2026",
        "/ward/report.docx?nam=2025-2026",
        f"/schools/{SCHOOL_A}/report?nam=2025-2026",
    ):
        assert admin.get(url).status_code == 200, url
    assert "Năm học 2025-2026" in text_of(admin.get("/rollup?nam=2025-2026"))
    assert admin.get("/rollup?nam=1999-2000").status_code == 404


def test_the_year_selector_remembers_the_chosen_year_until_changed(app, admin, as_persona):
    start_year(admin)
    admin.post("/years/2026-2027/open")
    viewer = as_persona("viewer")
    assert "Năm học 2026-2027" in text_of(viewer.get("/rollup"))
    response = viewer.post("/year", data={"nam": "2025-2026", "next": "/rollup"})
    assert response.status_code == 302 and response.location == "/rollup"
    text = text_of(viewer.get("/rollup"))
    assert "Năm học 2025-2026" in text and "Bạn đang xem năm học 2025-2026 đã kết thúc" in text
    assert "Năm học 2025-2026" in text_of(viewer.get(f"/schools/{SCHOOL_A}"))
    viewer.post("/year", data={"nam": "2026-2027"})
    assert "Năm học 2026-2027" in text_of(viewer.get("/rollup"))
    viewer.post("/year", data={"nam": "no-such-year"})
    assert "Năm học 2026-2027" in text_of(viewer.get("/rollup"))


def test_widening_the_pilot_gives_the_school_the_pilot_items_and_leaves_the_past_rollup(app, admin):
    start_year(admin)
    with app.app_context():
        widened = db.session.scalar(select(School).filter_by(slug=WIDENED))
        pilots = [s.id for s in plan_of("2026-2027").pilot_schools] + [widened.id]
        assert "t1" not in items_of("2026-2027", WIDENED)
    response = admin.post("/years/2026-2027/pilots", data={"schools": [str(i) for i in pilots]})
    assert response.status_code == 302
    with app.app_context():
        new = items_of("2026-2027", WIDENED)
        assert "t1" in new and new["m5"].required  # the pilot target row and the pilot-only milestone
        assert "t1" not in items_of("2025-2026", WIDENED)
        assert not db.session.scalar(select(School).filter_by(slug=WIDENED)).is_pilot  # until opened
    admin.post("/years/2026-2027/open")
    with app.app_context():
        assert db.session.scalar(select(School).filter_by(slug=WIDENED)).is_pilot
    old = text_of(admin.get("/rollup?nam=2025-2026"))
    new = text_of(admin.get("/rollup"))
    assert "0/1 trường" in old and "0/2 trường" in new


def test_a_calendar_out_of_order_is_refused_with_a_message_and_nothing_is_created(app, admin):
    response = start_year(admin, midterm_start="01/06/2027")
    assert response.status_code == 422
    assert "Đợt kiểm tra giữa HK II phải nằm trong HK II" in text_of(response)
    response = start_year(admin, hk1_start="31/02/2026")
    assert response.status_code == 422 and "Ngày không hợp lệ" in text_of(response)
    response = start_year(admin, closes_on="   ")  # only spaces: a date left out, not a 500
    assert response.status_code == 422 and "Nhập ngày." in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(SchoolYear.id))) == 1


def test_a_second_year_in_preparation_is_refused(app, admin):
    start_year(admin)
    with app.app_context():
        count = db.session.scalar(select(func.count(ChecklistItem.id)))
    assert "Năm học 2026-2027 đang được chuẩn bị" in text_of(admin.get("/years"))
    response = start_year(admin)
    assert response.status_code == 422 and "Đã có một năm học đang chuẩn bị" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(ChecklistItem.id))) == count
        assert db.session.scalar(select(func.count(Deadline.id))) == 7  # 4 + 3 of the new year
        assert db.session.scalar(select(func.count(Milestone.id))) == 18


def test_pilots_cannot_be_rechosen_once_the_year_is_open(app, admin):
    start_year(admin)
    admin.post("/years/2026-2027/open")
    assert admin.post("/years/2026-2027/pilots", data={"schools": []}).status_code == 409
    with app.app_context():
        assert plan_of("2026-2027").pilot_schools


def test_a_plan_file_for_a_new_year_uploaded_in_the_browser_waits_in_preparation(app, admin, as_persona):
    import io

    from aiplan.plans.services import BUNDLED_PLAN

    text = BUNDLED_PLAN.read_text(encoding="utf-8").replace('school_year = "2025-2026"', 'school_year = "2026-2027"')
    text = re.sub(r"= (\d{4})-(\d\d-\d\d)", lambda m: f"= {int(m[1]) + 1}-{m[2]}", text)  # every date a year on
    response = admin.post(
        "/admin/plan/upload",
        data={"file": (io.BytesIO(text.encode()), "ke-hoach-2026-2027.toml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, text_of(response)
    assert "mới được tạo ở trạng thái chuẩn bị" in text_of(response)
    with app.app_context():
        assert plan_of("2026-2027").school_year.opened_at is None
    assert "Năm học 2025-2026" in text_of(as_persona("staff_a").get(f"/schools/{SCHOOL_A}"))


def test_a_year_older_than_the_current_one_cannot_be_created_or_opened(app, admin):
    import io

    from aiplan.plans.services import BUNDLED_PLAN

    start_year(admin)
    admin.post("/years/2026-2027/open")
    text = BUNDLED_PLAN.read_text(encoding="utf-8").replace('school_year = "2025-2026"', 'school_year = "2024-2025"')
    text = re.sub(r"= (\d{4})-(\d\d-\d\d)", lambda m: f"= {int(m[1]) - 1}-{m[2]}", text)
    response = admin.post(
        "/admin/plan/upload", data={"file": (io.BytesIO(text.encode()), "cu.toml")}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "năm học 2024-2025 đã qua" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(SchoolYear.id))) == 2


def test_editing_a_school_keeps_the_pilots_chosen_for_the_year_in_preparation(app, admin):
    start_year(admin)
    with app.app_context():
        widened = db.session.scalar(select(School).filter_by(slug=WIDENED))
        pilots = [s.id for s in plan_of("2026-2027").pilot_schools] + [widened.id]
    admin.post("/years/2026-2027/pilots", data={"schools": [str(i) for i in pilots]})
    with app.app_context():
        from aiplan.admin.schools import import_schools
        from aiplan.models import Ward

        ward = db.session.scalar(select(Ward))
        import_schools(
            ward,
            [
                {
                    "slug": WIDENED,
                    "name": "Trường Tiểu học Thạch Bàn A (đổi tên)",
                    "level": widened.level,
                    "is_pilot": False,
                    "is_active": True,
                }
            ],
        )
        assert WIDENED in {s.slug for s in plan_of("2026-2027").pilot_schools}
        assert WIDENED not in {s.slug for s in plan_of("2025-2026").pilot_schools}


def test_past_year_visits_and_deleted_files_cannot_be_changed(app, admin, as_persona):
    import io

    from aiplan.evidence.services import Upload, delete_file, save_uploads
    from aiplan.models import EvidenceFile, Inspection, User

    with app.app_context():
        staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
        item = items_of("2025-2026", SCHOOL_A)["m3"]
        [file] = save_uploads(
            [Upload(io.BytesIO(b"%PDF-1.4\n%cu\n%%EOF\n"), "cu.pdf")], school=item.school, actor=staff, item=item
        )
        delete_file(file, staff)
        file_id = file.id
        plan = plan_of("2025-2026")
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        supervisor = db.session.scalar(select(User).filter_by(username="giamsat"))
        visit = Inspection(
            plan=plan, school=school, visit_on=plan.school_year.midterm_start, members=[supervisor], lead=supervisor
        )
        db.session.add(visit)
        db.session.commit()
        visit_id = visit.id
    start_year(admin)
    admin.post("/years/2026-2027/open")
    response = as_persona("supervisor").post(
        f"/inspections/{visit_id}/close", data={"conclusion": "Sửa năm cũ", "version": "1"}
    )
    assert response.status_code == 403 and "Năm học này đã kết thúc" in text_of(response)
    with app.app_context():  # this year's item, given a verdict in last year's visit
        new_item = items_of("2026-2027", SCHOOL_A)["m3"]
        url, data = (
            f"/inspections/{visit_id}/items/{new_item.id}/verdict",
            {"verdict": "dat", "version": new_item.version},
        )
    response = as_persona("supervisor").post(url, data=data)
    assert response.status_code == 403 and "Năm học này đã kết thúc" in text_of(response)
    response = admin.post(f"/files/{file_id}/restore")
    assert response.status_code == 403 and "Năm học này đã kết thúc" in text_of(response)
    with app.app_context():
        assert items_of("2026-2027", SCHOOL_A)["m3"].verdict is Verdict.UNCHECKED
        assert db.session.get(Inspection, visit_id).verdicts == []
        assert db.session.get(Inspection, visit_id).conclusion in ("", None)
        assert db.session.get(EvidenceFile, file_id).deleted_at is not None

"""Notifications made by the app (aiplan/notifications): who is told of each event, and nothing twice.

Immediate events are made in the transaction of the write that causes them: "cần bổ sung" (to the
school's staff), a fix waiting for re-check (to the teams that visited the school), a
self-evaluation submitted (to the ward's admins). The scan (`make_due_notifications`) tells of
items due soon or late, reports of the chain and visits coming up; a rerun makes nothing, a moved
due date makes a new event, and it runs a fixed number of queries whatever the number of schools.
"""

import io
from datetime import date, datetime, time

import pytest
from helpers import PASSWORD, SCHOOL_A, SCHOOL_B, schedule_visit
from sqlalchemy import delete, func, select

from aiplan.admin.schools import import_schools, parse_schools_csv
from aiplan.auth.services import create_user
from aiplan.evidence.services import Upload, save_uploads
from aiplan.extensions import db
from aiplan.models import (
    ChecklistItem,
    ItemStatus,
    Notification,
    NotificationKind,
    Plan,
    Role,
    School,
    User,
    Ward,
)
from aiplan.notifications.scan import make_due_notifications
from aiplan.timeutil import LOCAL_TZ
from aiplan.years.services import proposed_calendar, start_next_year


def at(day: date, hour: int = 7) -> datetime:
    """A moment of a Hà Nội day (the scan's `now`)."""
    return datetime.combine(day, time(hour), LOCAL_TZ)


def user(username: str) -> User:
    return db.session.scalar(select(User).filter_by(username=username))


def school(slug: str) -> School:
    return db.session.scalar(select(School).filter_by(slug=slug))


def item_of(slug: str, key: str) -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def inbox(username: str, kind: NotificationKind | None = None) -> list[Notification]:
    query = select(Notification).join(User).where(User.username == username)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def add_account(username: str, role: Role, slug: str | None = None, ward: Ward | None = None) -> User:
    return create_user(
        username,
        role,
        PASSWORD,
        ward=ward or db.session.scalar(select(Ward)),
        school=school(slug) if slug else None,
    )


def other_ward() -> Ward:
    ward = Ward(slug="phuc-loi", name="Phường Phúc Lợi", city="Hà Nội", authority="UBND phường Phúc Lợi", office="")
    db.session.add(ward)
    db.session.commit()
    return ward


@pytest.fixture
def visit(app) -> int:
    with app.app_context():
        return schedule_visit()


def ask_for_more(client, visit_id: int, item: ChecklistItem, reason: str = "Thiếu chữ ký của Hiệu trưởng"):
    return client.post(
        f"/inspections/{visit_id}/items/{item.id}/verdict",
        data={"verdict": "can_bo_sung", "reason": reason, "version": str(item.version)},
    )


# -- immediate events -------------------------------------------------------------------------------


def test_cần_bổ_sung_reaches_every_enabled_staff_of_the_school_with_the_reason_and_nobody_else(app, as_persona, visit):
    with app.app_context():
        add_account("canbo-a2", Role.SCHOOL_STAFF, SCHOOL_A)
        add_account("canbo-a-cu", Role.SCHOOL_STAFF, SCHOOL_A).is_enabled = False
        db.session.commit()
        item = item_of(SCHOOL_A, "m3")
    response = ask_for_more(as_persona("supervisor"), visit, item)
    assert response.status_code == 303

    with app.app_context():
        for username in ("canbo-a", "canbo-a2"):
            [told] = inbox(username)
            assert told.kind is NotificationKind.NEEDS_MORE
            assert told.read_at is None
            assert "Trường Tiểu học Đoàn Kết" in told.title and "Mốc 3" in told.title
            assert "Lý do: Thiếu chữ ký của Hiệu trưởng" in told.body
            assert "13/02/2026" in told.body  # the item's due date
            assert told.url == f"/schools/{SCHOOL_A}#item-{item.id}"
            assert told.school_id == school(SCHOOL_A).id
        for username in ("canbo-a-cu", "canbo-b", "giamsat", "admin", "lanhdao"):
            assert inbox(username) == [], username


def test_a_passed_verdict_tells_nobody_and_a_second_cần_bổ_sung_is_a_new_event(app, as_persona, visit):
    supervisor = as_persona("supervisor")
    with app.app_context():
        item = item_of(SCHOOL_A, "t1/ke-hoach-nha-truong")
    supervisor.post(
        f"/inspections/{visit}/items/{item.id}/verdict", data={"verdict": "dat", "version": "1", "confirm": "1"}
    )
    with app.app_context():
        assert inbox("canbo-a") == []
        item = item_of(SCHOOL_A, "t1/ke-hoach-nha-truong")
    ask_for_more(supervisor, visit, item, "Thiếu ảnh")
    with app.app_context():
        item = item_of(SCHOOL_A, "t1/ke-hoach-nha-truong")
    ask_for_more(supervisor, visit, item, "Thiếu ảnh và biên bản")
    with app.app_context():
        bodies = [n.body for n in inbox("canbo-a", NotificationKind.NEEDS_MORE)]
        assert len(bodies) == 2
        assert "Lý do: Thiếu ảnh " in bodies[0] + " " and "Thiếu ảnh và biên bản" in bodies[1]


def test_a_fix_after_cần_bổ_sung_reaches_the_team_that_visited_the_school_only(app, as_persona, visit):
    with app.app_context():
        add_account("giamsat-2", Role.SUPERVISOR)
        add_account("giamsat-nghi", Role.SUPERVISOR).is_enabled = False
        db.session.commit()
        item = item_of(SCHOOL_A, "m3")
    ask_for_more(as_persona("supervisor"), visit, item)
    staff = as_persona("staff_a")
    with app.app_context():
        item = item_of(SCHOOL_A, "m3")
    response = staff.post(
        f"/schools/{SCHOOL_A}/items/{item.id}", data={"note": "Đã bổ sung bản có chữ ký", "version": item.version}
    )
    assert response.status_code in (200, 303)
    with app.app_context():
        item = item_of(SCHOOL_A, "m3")
        assert item.resubmitted_at is not None
        [told] = inbox("giamsat", NotificationKind.FIX_WAITING)
        assert told.url == f"/schools/{SCHOOL_A}/items/{item.id}/recheck"
        assert "Trường Tiểu học Đoàn Kết" in told.title and "chờ kiểm tra lại" in told.title
        assert "Thiếu chữ ký của Hiệu trưởng" in told.body
        for username in ("giamsat-2", "canbo-b", "admin", "lanhdao"):
            assert inbox(username) == [], username
        assert inbox("canbo-a", NotificationKind.FIX_WAITING) == []

    # A second change while it waits is the same fix: nothing new.
    staff.post(f"/schools/{SCHOOL_A}/items/{item.id}", data={"status": "da_hoan_thanh", "version": item.version})
    with app.app_context():
        assert item_of(SCHOOL_A, "m3").status is ItemStatus.DONE
        assert len(inbox("giamsat", NotificationKind.FIX_WAITING)) == 1
    # The team's team member opens the notification's page: it is theirs to act on.
    assert as_persona("supervisor").get(told.url.split("#")[0]).status_code == 200


def test_a_change_after_đạt_goes_to_the_queue_but_is_not_a_fix_to_tell_of(app, as_persona, visit):
    with app.app_context():
        item = item_of(SCHOOL_A, "m3")
    as_persona("supervisor").post(
        f"/inspections/{visit}/items/{item.id}/verdict", data={"verdict": "dat", "version": "1", "confirm": "1"}
    )
    with app.app_context():
        item = item_of(SCHOOL_A, "m3")
    as_persona("staff_a").post(f"/schools/{SCHOOL_A}/items/{item.id}", data={"note": "Thêm", "version": item.version})
    with app.app_context():
        assert item_of(SCHOOL_A, "m3").resubmitted_at is not None
        assert inbox("giamsat") == []


def self_evaluation_form(app, action: str, version: int) -> dict:
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        data = {"version": str(version), "action": action, "confirm": "1"}
        for criterion in plan.criteria:
            data[f"rating_{criterion.id}"] = "tot"
            data[f"text_{criterion.id}"] = "Nhận xét"
        return data


def test_a_submitted_self_evaluation_reaches_the_ward_admins_of_that_ward_only(app, as_persona):
    with app.app_context():
        add_account("admin-2", Role.WARD_ADMIN)
        add_account("admin-phuc-loi", Role.WARD_ADMIN, ward=other_ward())
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/self-evaluation", data=self_evaluation_form(app, "save", 0))
    with app.app_context():
        assert inbox("admin") == [], "a draft tells nobody"
    response = staff.post(f"/schools/{SCHOOL_A}/self-evaluation", data=self_evaluation_form(app, "submit", 1))
    assert response.status_code == 302
    with app.app_context():
        for username in ("admin", "admin-2"):
            [told] = inbox(username)
            assert told.kind is NotificationKind.SELF_EVALUATION
            assert told.title == "Trường Tiểu học Đoàn Kết đã nộp bản tự đánh giá năm học 2025-2026"
            assert told.url == f"/schools/{SCHOOL_A}/self-evaluation"
        for username in ("admin-phuc-loi", "giamsat", "lanhdao", "canbo-a", "canbo-b"):
            assert inbox(username) == [], username


# -- the scan ----------------------------------------------------------------------------------------


def test_the_scan_tells_each_schools_staff_of_its_own_items_due_soon_then_late(app):
    with app.app_context():
        made = make_due_notifications(at(date(2026, 2, 9)))  # m3 and its plan's evidence: due 13/02/2026
        soon = inbox("canbo-a", NotificationKind.DUE_SOON)
        assert made == db.session.scalar(select(func.count(Notification.id))) > 0
        m3 = item_of(SCHOOL_A, "m3")
        assert {n.url for n in soon} == {
            f"/schools/{SCHOOL_A}#item-{m3.id}",
            f"/schools/{SCHOOL_A}#item-{item_of(SCHOOL_A, 't1/ke-hoach-nha-truong').id}",
        }
        told = next(n for n in soon if n.url.endswith(f"-{m3.id}"))
        assert told.title.startswith("Sắp đến hạn 13/02/2026: Mốc 3")
        assert "Trường Tiểu học Đoàn Kết" in told.body and "còn 4 ngày" in told.body
        assert {n.school_id for n in inbox("canbo-b")} == {school(SCHOOL_B).id}
        for username in ("admin", "giamsat", "lanhdao"):
            assert inbox(username) == [], username

        assert make_due_notifications(at(date(2026, 2, 10))) == 0, "a rerun makes nothing new"

        make_due_notifications(at(date(2026, 2, 20)))
        [late] = [n for n in inbox("canbo-a", NotificationKind.LATE) if n.url.endswith(f"-{m3.id}")]
        assert late.title.startswith("Quá hạn 13/02/2026: Mốc 3")
        assert "đã quá 7 ngày" in late.body


def test_a_moved_due_date_is_a_new_event_and_nothing_else_is_made_again(app):
    with app.app_context():
        make_due_notifications(at(date(2026, 2, 9)))
        before = db.session.scalar(select(func.count(Notification.id)))
        m3 = item_of(SCHOOL_A, "m3")
        m3.due_on = date(2026, 2, 12)
        db.session.commit()
        assert make_due_notifications(at(date(2026, 2, 9))) == 1  # canbo-a, for the moved item only
        [moved] = [n for n in inbox("canbo-a") if n.id > before]
        assert moved.title.startswith("Sắp đến hạn 12/02/2026: Mốc 3")


def test_the_scan_leaves_out_done_items_inactive_schools_disabled_accounts_and_other_wards(app):
    with app.app_context():
        ward = other_ward()
        add_account("admin-phuc-loi", Role.WARD_ADMIN, ward=ward)
        m3 = item_of(SCHOOL_A, "m3")
        m3.status = ItemStatus.DONE
        school(SCHOOL_B).is_active = False
        add_account("canbo-a-cu", Role.SCHOOL_STAFF, SCHOOL_A).is_enabled = False
        db.session.commit()
        make_due_notifications(at(date(2026, 2, 20)))
        assert [n for n in inbox("canbo-a") if n.url.endswith(f"-{m3.id}")] == []
        assert inbox("canbo-a")  # its other late item is told
        for username in ("canbo-b", "canbo-a-cu", "admin-phuc-loi"):
            assert inbox(username) == [], username


def test_reports_of_the_chain_go_to_whoever_must_send_them(app):
    with app.app_context():
        make_due_notifications(at(date(2026, 6, 5)))
        # The school's report (mốc 8, before 09/06/2026) to the school's staff, as a report.
        [school_report] = inbox("canbo-a", NotificationKind.REPORT_DUE)
        assert school_report.url == f"/schools/{SCHOOL_A}/report"
        assert school_report.title.startswith("Trường Tiểu học Đoàn Kết: báo cáo đến hạn 08/06/2026")
        assert "còn 3 ngày" in school_report.body
        m8 = item_of(SCHOOL_A, "m8")
        assert not [n for n in inbox("canbo-a") if n.url.endswith(f"#item-{m8.id}")]
        # The Phòng VHXH's (before 12/06) to the ward's admins; the UBND's (before 15/06) not yet.
        [ward_report] = inbox("admin")
        assert ward_report.kind is NotificationKind.REPORT_DUE
        assert ward_report.url == "/ward/report"
        assert ward_report.title.startswith("Phòng VHXH: báo cáo đến hạn 11/06/2026")
        for username in ("giamsat", "lanhdao"):
            assert inbox(username) == [], username

        make_due_notifications(at(date(2026, 6, 13)))
        urls = [(n.url, n.title.split(" — ")[0]) for n in inbox("admin")]
        assert urls == [
            ("/ward/report", "Phòng VHXH: báo cáo đến hạn 11/06/2026"),
            ("/ward/report", "Phòng VHXH: báo cáo quá hạn 11/06/2026"),
            ("/ward/reports-up", "UBND phường: báo cáo đến hạn 14/06/2026"),
        ]


def test_the_ward_is_not_told_of_its_reports_once_its_reporting_item_is_done(app):
    with app.app_context():
        ward_m8 = db.session.scalar(
            select(ChecklistItem).where(ChecklistItem.school_id.is_(None), ChecklistItem.key == "m8")
        )
        ward_m8.status = ItemStatus.DONE
        db.session.commit()
        make_due_notifications(at(date(2026, 6, 13)))
        assert inbox("admin") == []


def test_a_visit_coming_up_is_told_to_the_school_and_the_team(app, visit):
    with app.app_context():
        add_account("giamsat-2", Role.SUPERVISOR)
        make_due_notifications(at(date(2026, 3, 1)))  # the visit is on 12/03/2026: not yet
        assert inbox("giamsat") == []
        make_due_notifications(at(date(2026, 3, 9)))
        [to_team] = inbox("giamsat")
        [to_school] = inbox("canbo-a", NotificationKind.VISIT_UPCOMING)
        assert to_team.kind is NotificationKind.VISIT_UPCOMING
        assert to_team.url == f"/inspections/{visit}"
        assert to_school.url == f"/schools/{SCHOOL_A}"
        assert to_team.title == to_school.title == "Đoàn kiểm tra đến Trường Tiểu học Đoàn Kết ngày 12/03/2026"
        assert inbox("canbo-b", NotificationKind.VISIT_UPCOMING) == []
        assert inbox("giamsat-2") == []


def more_schools(count: int) -> None:
    """`count` more active schools, each with its checklist and one staff account."""
    lines = ["slug,tên trường,cấp học,thí điểm,hoạt động"]
    lines += [f"th-them-{n},Trường Tiểu học Thêm {n},tiểu học,không,có" for n in range(count)]
    import_schools(db.session.scalar(select(Ward)), parse_schools_csv("\n".join(lines).encode()))
    for n in range(count):
        add_account(f"canbo-them-{n}", Role.SCHOOL_STAFF, f"th-them-{n}")


def test_the_scan_runs_a_fixed_number_of_queries_whatever_the_number_of_schools(app, visit, count_queries):
    sizes = []
    for added in (0, 12):
        with app.app_context():
            if added:
                more_schools(added)
                db.session.execute(delete(Notification))
                db.session.commit()
            with count_queries() as counter:
                made = make_due_notifications(at(date(2026, 3, 9)))
            sizes.append((made, counter.count))
    (small, small_queries), (large, large_queries) = sizes
    assert large > small > 0
    assert small_queries == large_queries <= 12, sizes


def test_notify_scan_prints_how_many_it_made(app, runner):
    first = runner.invoke(args=["notify-scan"])
    assert first.exit_code == 0, first.output
    made = int(first.output.split()[2])
    assert made > 0 and first.output.strip() == f"Đã tạo {made} thông báo mới."
    again = runner.invoke(args=["notify-scan"])
    assert again.output.strip() == "Đã tạo 0 thông báo mới."


def test_an_evidence_file_added_after_cần_bổ_sung_is_a_fix_for_the_team(app, as_persona, visit):
    with app.app_context():
        item = item_of(SCHOOL_A, "t1/ke-hoach-nha-truong")
    ask_for_more(as_persona("supervisor"), visit, item, "Thiếu bản kế hoạch")
    with app.app_context():
        item = item_of(SCHOOL_A, "t1/ke-hoach-nha-truong")
        save_uploads(
            [Upload(io.BytesIO(b"%PDF-1.4\n%fix\n%%EOF\n"), "ke-hoach.pdf")],
            school=item.school,
            actor=user("canbo-a"),
            item=item,
        )
        [told] = inbox("giamsat", NotificationKind.FIX_WAITING)
        assert "Thiếu bản kế hoạch" in told.body
        assert told.url == f"/schools/{SCHOOL_A}/items/{item.id}/recheck"


def test_a_year_in_preparation_is_not_scanned(app):
    with app.app_context():
        current = db.session.scalar(select(Plan))
        start_next_year(current, proposed_calendar(current.school_year))
        next_plan = db.session.scalar(select(Plan).where(Plan.id != current.id))
        m3_next = db.session.scalar(
            select(ChecklistItem)
            .join(School)
            .where(School.slug == SCHOOL_A, ChecklistItem.key == "m3", ChecklistItem.plan_id == next_plan.id)
        )
        made = make_due_notifications(at(m3_next.due_on))  # due that day in the year being prepared
        assert made > 0  # the current year's items are late by then
        assert not [n for n in inbox("canbo-a") if n.url.endswith(f"#item-{m3_next.id}")]
        told_items = {int(n.url.rsplit("-", 1)[1]) for n in inbox("canbo-a") if "#item-" in n.url}
        plans = set(db.session.scalars(select(ChecklistItem.plan_id).where(ChecklistItem.id.in_(told_items))))
        assert plans == {current.id}

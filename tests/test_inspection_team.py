"""Who acts on a visit (its team; ward admins reopen it), and what closing it locks."""

import re

import pytest
from helpers import PASSWORD, SCHOOL_A, schedule_visit, text_of
from sqlalchemy import func, select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import (
    AuditEvent,
    ChecklistItem,
    Inspection,
    InspectionStatus,
    Plan,
    Role,
    School,
    Verdict,
    VerdictRecord,
    Ward,
    utcnow,
)

OUTSIDER = "giamsat-khac"  # a supervisor of the ward who is not on the visit's team
CLOSING = {
    "conclusion": "Nhà trường triển khai đúng kế hoạch.",
    "recommendations": "Bổ sung sản phẩm.",
    "school_representative": "Bà Nguyễn Thị Hoa, Hiệu trưởng",
    "minutes_number": "05",
}


@pytest.fixture
def visit(app) -> int:
    """A visit of the supervisor persona (alone on the team) to school A, and a second supervisor."""
    with app.app_context():
        create_user(OUTSIDER, Role.SUPERVISOR, PASSWORD, ward=db.session.scalar(select(Ward)))
        return schedule_visit()


def item_of(key="m3") -> ChecklistItem:
    return db.session.scalar(
        select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == key)
    )


def resubmit(app, key="t1/ho-so-lop-hoc"):
    """As if the team had given a verdict and the school had changed the item since: it is in the queue."""
    with app.app_context():
        item = item_of(key)
        item.verdict, item.verdict_reason, item.resubmitted_at = Verdict.NEEDS_MORE, "Thiếu hồ sơ", utcnow()
        db.session.commit()


def snapshot(app, visit) -> tuple:
    """Everything a verdict, a closing or a reopening could change."""
    with app.app_context():
        items = db.session.execute(
            select(
                ChecklistItem.id,
                ChecklistItem.verdict,
                ChecklistItem.verdict_reason,
                ChecklistItem.version,
                ChecklistItem.resubmitted_at,
            )
            .join(School)
            .where(School.slug == SCHOOL_A)
            .order_by(ChecklistItem.id)
        ).all()
        inspection = db.session.get(Inspection, visit)
        return (
            items,
            inspection.status,
            inspection.conclusion,
            inspection.minutes_number,
            inspection.version,
            db.session.scalar(select(func.count(VerdictRecord.id))),
            db.session.scalar(select(func.count(AuditEvent.id))),
        )


def verdict_in_visit(app, visit, key="m3"):
    with app.app_context():
        item = item_of(key)
        return (
            f"/inspections/{visit}/items/{item.id}/verdict",
            {"verdict": "dat", "version": item.version, "confirm": "1"},
        )


def recheck(app, visit, key="t1/ho-so-lop-hoc"):
    resubmit(app, key)
    with app.app_context():
        item = item_of(key)
        return f"/schools/{SCHOOL_A}/items/{item.id}/verdict", {
            "verdict": "dat",
            "version": item.version,
            "confirm": "1",
        }


def close(app, visit):
    with app.app_context():
        return f"/inspections/{visit}/close", CLOSING | {
            "version": db.session.get(Inspection, visit).version,
            "confirm": "1",
        }


ACTIONS = {"verdict_in_visit": verdict_in_visit, "recheck": recheck, "close": close}


def as_outsider(app):
    client = app.test_client()
    assert client.post("/login", data={"username": OUTSIDER, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_the_visits_team_gives_verdicts_and_closes_it(app, as_persona, visit, action):
    url, data = ACTIONS[action](app, visit)
    before = snapshot(app, visit)
    assert as_persona("supervisor").post(url, data=data).status_code == 303
    assert snapshot(app, visit) != before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_it_refuses_a_supervisor_who_is_not_on_the_visits_team(app, visit, action):
    url, data = ACTIONS[action](app, visit)
    outsider = as_outsider(app)
    before = snapshot(app, visit)
    response = outsider.post(url, data=data, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert "Chỉ đoàn kiểm tra được phân công cho trường này" in text_of(response)
    assert snapshot(app, visit) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_ward_admins_do_not_give_verdicts_or_write_the_teams_conclusion(app, as_persona, visit, action):
    url, data = ACTIONS[action](app, visit)
    admin = as_persona("ward_admin")
    before = snapshot(app, visit)
    assert admin.post(url, data=data).status_code == 403
    assert snapshot(app, visit) == before


def test_a_supervisor_off_the_team_reads_the_visit_and_the_queue_without_verdict_buttons(app, as_persona, visit):
    resubmit(app)
    outsider, member = as_outsider(app), as_persona("supervisor")
    page = outsider.get(f"/inspections/{visit}")
    assert page.status_code == 200 and "Trường Tiểu học Đoàn Kết" in text_of(page)
    body = page.get_data(as_text=True)
    assert "verdict-button" not in body and f"/inspections/{visit}/close" not in body
    assert "verdict-button" in member.get(f"/inspections/{visit}").get_data(as_text=True)
    queue = outsider.get("/inspections")
    assert "Chờ kiểm tra lại (1)" in text_of(queue) and "recheck-link" not in queue.get_data(as_text=True)
    assert "recheck-link" in member.get("/inspections").get_data(as_text=True)


def test_an_item_that_is_not_waiting_is_not_checked_outside_a_visit(app, as_persona, visit):
    with app.app_context():
        item = item_of()
        url, data = (
            f"/schools/{SCHOOL_A}/items/{item.id}/verdict",
            {"verdict": "dat", "version": item.version, "confirm": "1"},
        )
    supervisor = as_persona("supervisor")
    before = snapshot(app, visit)
    response = supervisor.post(url, data=data)
    assert response.status_code == 409 and "Mục này không chờ kiểm tra lại" in text_of(response)
    assert snapshot(app, visit) == before


def closed(app, as_persona, visit) -> None:
    url, data = close(app, visit)
    assert as_persona("supervisor").post(url, data=data).status_code == 303


def test_a_closed_visit_refuses_verdicts_and_a_new_conclusion_and_changes_nothing(app, as_persona, visit):
    closed(app, as_persona, visit)
    supervisor = as_persona("supervisor")
    before = snapshot(app, visit)
    url, data = verdict_in_visit(app, visit)
    item_id = url.split("/")[-2]
    answer = supervisor.post(url, data=data, headers={"HX-Request": "true", "HX-Target": f"verdict-{item_id}"})
    assert answer.status_code == 409 and "Đợt kiểm tra đã kết thúc, biên bản đã khóa" in text_of(answer)
    assert "verdict-button" not in answer.get_data(as_text=True)
    assert supervisor.post(url, data=data).status_code == 409
    url, data = close(app, visit)
    rewrite = supervisor.post(url, data=data | {"conclusion": "Viết lại kết luận", "minutes_number": "99"})
    assert rewrite.status_code == 409 and "đề nghị quản trị phường mở lại" in text_of(rewrite)
    assert snapshot(app, visit) == before
    page = supervisor.get(f"/inspections/{visit}").get_data(as_text=True)
    assert "verdict-button" not in page and f"/inspections/{visit}/close" not in page


def test_a_ward_admin_reopens_a_closed_visit_with_a_reason_and_the_team_acts_again(app, as_persona, visit):
    closed(app, as_persona, visit)
    admin, supervisor = as_persona("ward_admin"), as_persona("supervisor")
    assert "Mở lại đợt kiểm tra" in text_of(admin.get(f"/inspections/{visit}"))
    with app.app_context():
        version = db.session.get(Inspection, visit).version
    before = snapshot(app, visit)
    refused = admin.post(f"/inspections/{visit}/reopen", data={"reason": "  ", "version": version})
    assert refused.status_code == 422 and "Ghi lý do mở lại biên bản" in text_of(refused)
    assert snapshot(app, visit) == before
    done = admin.post(f"/inspections/{visit}/reopen", data={"reason": "Sai số biên bản", "version": version})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Inspection, visit).status is InspectionStatus.PLANNED
        event = db.session.scalar(select(AuditEvent).filter_by(action="inspection.reopen"))
        assert event.actor_name == "admin" and event.after["reason"] == "Sai số biên bản"
    assert "Lý do: Sai số biên bản" in text_of(supervisor.get(f"/inspections/{visit}"))
    url, data = verdict_in_visit(app, visit)
    assert supervisor.post(url, data=data).status_code == 303
    url, data = close(app, visit)
    assert supervisor.post(url, data=data | {"minutes_number": "06"}).status_code == 303
    with app.app_context():
        assert db.session.get(Inspection, visit).minutes_number == "06"


def test_an_open_visit_is_not_reopened_and_only_ward_admins_reopen(app, as_persona, visit):
    data = {"reason": "Thử", "version": 1}
    clients = {persona: as_persona(persona) for persona in ("ward_admin", "supervisor", "viewer", "staff_a")}
    before = snapshot(app, visit)
    answer = clients["ward_admin"].post(f"/inspections/{visit}/reopen", data=data)
    assert answer.status_code == 409 and "chưa kết thúc nên không cần mở lại" in text_of(answer)
    assert snapshot(app, visit) == before
    closed(app, as_persona, visit)
    clients["supervisor"] = as_persona("supervisor")
    before = snapshot(app, visit)
    with app.app_context():
        data["version"] = db.session.get(Inspection, visit).version
    for persona in ("supervisor", "viewer", "staff_a"):
        assert clients[persona].post(f"/inspections/{visit}/reopen", data=data).status_code == 403
    assert snapshot(app, visit) == before


def test_reopening_without_the_csrf_token_is_refused(seeded_app):
    app = seeded_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        inspection = Inspection(
            plan=plan,
            school=db.session.scalar(select(School).filter_by(slug=SCHOOL_A)),
            visit_on=plan.school_year.midterm_start,
            status=InspectionStatus.CLOSED,
            closed_at=utcnow(),
            conclusion="Đạt yêu cầu.",
        )
        db.session.add(inspection)
        db.session.commit()
        visit = inspection.id
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))[
        1
    ]
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert client.post(f"/inspections/{visit}/reopen", data={"reason": "Sửa", "version": 1}).status_code == 400
    with app.app_context():
        assert db.session.get(Inspection, visit).is_closed
    page = client.get(f"/inspections/{visit}").get_data(as_text=True)
    form = page[page.index('/reopen"') :]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)[1]
    answer = client.post(f"/inspections/{visit}/reopen", data={"reason": "Sửa", "version": 1, "csrf_token": token})
    assert answer.status_code == 303


def test_an_item_the_plan_no_longer_asks_for_takes_no_status_file_or_verdict(app, as_persona, visit):
    import io

    with app.app_context():
        item = item_of("m4")
        item.note, item.retired = "Đã làm trước khi kế hoạch sửa", True
        db.session.commit()
        item_id, version = item.id, item.version
    staff, supervisor = as_persona("staff_a"), as_persona("supervisor")
    before = snapshot(app, visit)
    item_url = f"/schools/{SCHOOL_A}/items/{item_id}"
    assert staff.post(item_url, data={"status": "dang_thuc_hien", "version": version}).status_code == 404
    assert (
        staff.post(
            item_url + "/files",
            data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")},
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
    assert (
        supervisor.post(
            f"/inspections/{visit}/items/{item_id}/verdict", data={"verdict": "dat", "version": version, "confirm": "1"}
        ).status_code
        == 404
    )
    assert snapshot(app, visit) == before
    assert as_persona("ward_admin").get(f"/schools/{SCHOOL_A}").status_code == 200

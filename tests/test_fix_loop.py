"""The fix loop closed: what a supervisor asks is the school's first news and the ward sees it; the
re-check queue leads to the verdict buttons; "Đạt" on an item not done, "Kết thúc kiểm tra" and
"Nộp" ask first; submitting the self-evaluation completes milestone 7."""

import re

import pytest
from helpers import SCHOOL_A, SCHOOL_B, page_text, schedule_visit, text_of
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.figures.evaluations import get_self_evaluation
from aiplan.models import (
    AuditEvent,
    ChecklistItem,
    Inspection,
    InspectionStatus,
    ItemStatus,
    Plan,
    School,
    Verdict,
    utcnow,
)

REASON = "Thiếu ảnh chụp buổi học mẫu lớp 5A"


@pytest.fixture
def visit(app) -> int:
    with app.app_context():
        return schedule_visit()


def item_state(app, key="m3", slug=SCHOOL_A) -> dict:
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key)
        )
        return dict(
            id=item.id,
            status=item.status,
            verdict=item.verdict,
            version=item.version,
            resubmitted=item.resubmitted_at is not None,
            completed=item.completed_at is not None,
        )


def give(client, visit_id, item, verdict, reason="", htmx=False, **extra):
    headers = {"HX-Request": "true", "HX-Target": f"verdict-{item['id']}"} if htmx else {}
    return client.post(
        f"/inspections/{visit_id}/items/{item['id']}/verdict",
        headers=headers,
        data={"verdict": verdict, "reason": reason, "version": item["version"], **extra},
    )


def attention(markup: str) -> str:
    """The "Cần chú ý" section of a school page, as markup."""
    found = re.search(r'<section class="attention".*?</section>', markup, re.S)
    assert found, "the page has a Cần chú ý section"
    return found.group(0)


def audits(app, action) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)))


# -- 1. the school is told, and the ward sees it -----------------------------------------------------


def test_cần_bổ_sung_heads_the_schools_attention_list_with_the_reason_and_a_link_to_the_item(app, as_persona, visit):
    item = item_state(app)
    assert give(as_persona("supervisor"), visit, item, "can_bo_sung", reason=REASON).status_code == 303
    staff = as_persona("staff_a")
    section = attention(staff.get(f"/schools/{SCHOOL_A}").get_data(as_text=True))
    words = page_text(section)
    assert words.startswith("Cần chú ý ! Đoàn kiểm tra đề nghị bổ sung 1 mục")
    assert f"Lý do: {REASON}" in words
    assert words.index(REASON) < words.index("Đến hạn trong 2 tuần tới")
    assert f'href="#item-{item["id"]}"' in section

    # Once the school changes the item it waits for the supervisors: the banner is gone.
    item = item_state(app)
    staff.post(f"/schools/{SCHOOL_A}/items/{item['id']}", data={"note": "Đã chụp ảnh", "version": item["version"]})
    assert item_state(app)["resubmitted"]
    assert REASON not in attention(staff.get(f"/schools/{SCHOOL_A}").get_data(as_text=True))


def test_the_htmx_answer_to_an_item_update_carries_the_attention_list_without_the_banner(app, as_persona, visit):
    item = item_state(app)
    give(as_persona("supervisor"), visit, item, "can_bo_sung", reason=REASON)
    item = item_state(app)
    answer = as_persona("staff_a").post(
        f"/schools/{SCHOOL_A}/items/{item['id']}",
        headers={"HX-Request": "true", "HX-Target": f"item-{item['id']}"},
        data={"note": "Đã bổ sung", "version": item["version"]},
    )
    assert answer.status_code == 200
    section = attention(answer.get_data(as_text=True))
    assert 'hx-swap-oob="true"' in section and REASON not in section


def test_the_wards_school_list_shows_each_schools_items_needing_more_and_the_first_reason(app, as_persona, visit):
    item = item_state(app)
    give(as_persona("supervisor"), visit, item, "can_bo_sung", reason=REASON)
    body = as_persona("ward_admin").get("/schools").get_data(as_text=True)
    card = re.search(r'<li class="school-card">(?:(?!</li>).)*?Đoàn Kết.*?</li>', body, re.S).group(0)
    assert "1 mục cần bổ sung" in page_text(card) and REASON in page_text(card)
    assert f"/schools/{SCHOOL_A}#item-{item['id']}" in card
    other = re.search(r'<li class="school-card">(?:(?!</li>).)*?Thạch Bàn.*?</li>', body, re.S).group(0)
    assert "cần bổ sung" not in page_text(other)


def test_the_school_list_costs_the_same_queries_with_one_school_or_every_school_asked_for_more(
    app, as_persona, count_queries
):
    admin = as_persona("ward_admin")

    def ask(slugs):
        with app.app_context():
            items = db.session.scalars(
                select(ChecklistItem).join(School).where(School.slug.in_(slugs), ChecklistItem.key == "m3")
            ).all()
            for item in items:
                item.verdict, item.verdict_reason, item.verified_at = Verdict.NEEDS_MORE, REASON, utcnow()
            db.session.commit()
            return len(items)

    assert ask([SCHOOL_A]) == 1
    with count_queries() as one:
        assert admin.get("/schools").status_code == 200
    with app.app_context():
        every = list(db.session.scalars(select(School.slug).filter_by(is_active=True)))
    assert ask(every) >= 8
    with count_queries() as many:
        page = admin.get("/schools")
    assert text_of(page).count("1 mục cần bổ sung") == len(every)
    assert many.count == one.count


# -- 2. re-check in one tap ---------------------------------------------------------------------------


def resubmit(app, key="t1/ho-so-lop-hoc"):
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == key)
        )
        item.verdict, item.verdict_reason, item.resubmitted_at = Verdict.NEEDS_MORE, REASON, utcnow()
        db.session.commit()
        return item.id


def queue_links(body: str) -> list[str]:
    queue = re.search(r'<section aria-labelledby="queue-h" id="queue">.*?</section>', body, re.S).group(0)
    return re.findall(r'<a class="button recheck-link" href="([^"]+)"', queue)


def test_the_queue_leads_the_visits_team_to_the_item_in_its_open_visit(app, as_persona, visit):
    item_id = resubmit(app)
    links = queue_links(as_persona("supervisor").get("/inspections").get_data(as_text=True))
    assert links == [f"/inspections/{visit}#verdict-{item_id}"]
    page = as_persona("supervisor").get(links[0].split("#")[0]).get_data(as_text=True)
    assert f'id="verdict-{item_id}-dat"' in page


def test_after_the_visit_closes_the_queue_leads_to_the_items_re_check_page_with_its_buttons(app, as_persona, visit):
    with app.app_context():
        inspection = db.session.get(Inspection, visit)
        inspection.status, inspection.closed_at = InspectionStatus.CLOSED, utcnow()
        db.session.commit()
    item_id = resubmit(app)
    supervisor = as_persona("supervisor")
    links = queue_links(supervisor.get("/inspections").get_data(as_text=True))
    assert links == [f"/schools/{SCHOOL_A}/items/{item_id}/recheck#verdict-{item_id}"]
    page = supervisor.get(links[0].split("#")[0])
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and f'id="verdict-{item_id}"' in body
    assert f'id="verdict-{item_id}-dat"' in body and REASON in text_of(page)
    # The verdict from there (with htmx) answers with the item, its buttons gone: it no longer waits.
    state = item_state(app, "t1/ho-so-lop-hoc")
    answer = supervisor.post(
        f"/schools/{SCHOOL_A}/items/{item_id}/verdict",
        headers={"HX-Request": "true", "HX-Target": f"verdict-{item_id}"},
        data={"verdict": "dat", "version": state["version"], "confirm": "1"},
    )
    assert answer.status_code == 200 and "verdict-button" not in answer.get_data(as_text=True)
    assert item_state(app, "t1/ho-so-lop-hoc")["verdict"] is Verdict.PASSED
    assert supervisor.get(links[0].split("#")[0]).status_code == 409


def test_a_supervisor_off_the_team_gets_no_re_check_link_and_no_re_check_page(app, as_persona):
    with app.app_context():
        schedule_visit(SCHOOL_B)
    item_id = resubmit(app)
    supervisor = as_persona("supervisor")
    assert queue_links(supervisor.get("/inspections").get_data(as_text=True)) == []
    assert supervisor.get(f"/schools/{SCHOOL_A}/items/{item_id}/recheck").status_code == 403


# -- 3. "Đạt" on an item the school has not done -------------------------------------------------------


def test_dat_on_an_item_not_done_warns_first_with_htmx_and_changes_nothing(app, as_persona, visit):
    item = item_state(app)
    assert item["status"] is ItemStatus.NOT_STARTED
    supervisor = as_persona("supervisor")
    answer = give(supervisor, visit, item, "dat", htmx=True)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and body.lstrip().startswith(
        f'<li class="item verdict-item" id="verdict-{item["id"]}"'
    )
    assert "Trường chưa đánh dấu mục này là đã thực hiện" in page_text(body)
    assert "Chưa thực hiện" in page_text(body)
    assert re.search(r'<input type="hidden" name="confirm" value="1">', body)
    assert item_state(app) == item and not audits(app, "item.verdict")

    confirmed = give(supervisor, visit, item, "dat", htmx=True, confirm="1")
    assert confirmed.status_code == 200 and "Trường chưa đánh dấu" not in page_text(confirmed.get_data(as_text=True))
    assert item_state(app)["verdict"] is Verdict.PASSED
    (event,) = audits(app, "item.verdict")
    assert event.after["confirmed_not_done"] is True and event.after["school_status"] == "chua_thuc_hien"


def test_dat_on_an_item_not_done_warns_first_without_javascript(app, as_persona, visit):
    item = item_state(app)
    supervisor = as_persona("supervisor")
    page = give(supervisor, visit, item, "dat")
    assert page.status_code == 200
    words = text_of(page)
    assert "Xác nhận “Đạt”?" in words and "Trường chưa đánh dấu mục này là đã thực hiện" in words
    assert item_state(app) == item
    done = give(supervisor, visit, item, "dat", confirm="1")
    assert done.status_code == 303 and done.location.endswith(f"/inspections/{visit}#verdict-{item['id']}")
    assert item_state(app)["verdict"] is Verdict.PASSED


def test_dat_on_an_item_the_school_marked_done_asks_nothing(app, as_persona, visit):
    item = item_state(app)
    staff = as_persona("staff_a")
    staff.post(f"/schools/{SCHOOL_A}/items/{item['id']}", data={"status": "da_hoan_thanh", "version": item["version"]})
    item = item_state(app)
    assert item["status"] is ItemStatus.DONE
    answer = give(as_persona("supervisor"), visit, item, "dat", htmx=True)
    assert answer.status_code == 200 and "Trường chưa đánh dấu" not in page_text(answer.get_data(as_text=True))
    assert item_state(app)["verdict"] is Verdict.PASSED
    assert "confirmed_not_done" not in audits(app, "item.verdict")[0].after


# -- 4. "Kết thúc kiểm tra" asks first; a closed visit's verdicts are text --------------------------------

CLOSING = {
    "conclusion": "Nhà trường triển khai đúng kế hoạch.",
    "recommendations": "Bổ sung sản phẩm.",
    "school_representative": "Bà Nguyễn Thị Hoa, Hiệu trưởng",
    "minutes_number": "05",
}


def visit_state(app, visit):
    with app.app_context():
        inspection = db.session.get(Inspection, visit)
        return inspection.status.value, inspection.conclusion, inspection.version


def test_closing_a_visit_asks_first_naming_what_it_locks_and_writes_nothing_until_confirmed(app, as_persona, visit):
    supervisor = as_persona("supervisor")
    before = visit_state(app, visit)
    asked = supervisor.post(f"/inspections/{visit}/close", data=CLOSING | {"version": before[2]})
    words = text_of(asked)
    assert asked.status_code == 200 and "Kết thúc đợt kiểm tra?" in words
    assert "kết luận từng mục (đã kết luận 0/" in words and "không sửa được nữa" in words
    assert "Chỉ quản trị phường mở lại được" in words
    body = asked.get_data(as_text=True)
    assert '<input type="hidden" name="confirm" value="1">' in body and CLOSING["conclusion"] in body
    assert visit_state(app, visit) == before and not audits(app, "inspection.close")

    done = supervisor.post(f"/inspections/{visit}/close", data=CLOSING | {"version": before[2], "confirm": "1"})
    assert done.status_code == 303 and visit_state(app, visit)[0] == "closed"


def test_a_conclusion_left_empty_is_refused_before_any_question(app, as_persona, visit):
    before = visit_state(app, visit)
    refused = as_persona("supervisor").post(
        f"/inspections/{visit}/close", data=CLOSING | {"conclusion": " ", "version": before[2]}
    )
    assert refused.status_code == 422 and "Ghi kết luận của đoàn kiểm tra" in text_of(refused)
    assert "Kết thúc đợt kiểm tra?" not in text_of(refused) and visit_state(app, visit) == before


def test_a_closed_visit_shows_each_verdict_as_text_without_buttons(app, as_persona, visit):
    item = item_state(app)
    supervisor = as_persona("supervisor")
    give(supervisor, visit, item, "can_bo_sung", reason=REASON)
    version = visit_state(app, visit)[2]
    supervisor.post(f"/inspections/{visit}/close", data=CLOSING | {"version": version, "confirm": "1"})
    page = supervisor.get(f"/inspections/{visit}")
    body = page.get_data(as_text=True)
    assert "verdict-button" not in body
    card = page_text(re.search(rf'<li class="item verdict-item" id="verdict-{item["id"]}".*?</li>', body, re.S)[0])
    assert "Kết luận: ! Cần bổ sung" in card and REASON in card and "Đợt kiểm tra đã kết thúc" in card


# -- 5. "Nộp" asks first, and submitting completes milestone 7 -----------------------------------------

PAGE_A = f"/schools/{SCHOOL_A}/self-evaluation"


def evaluation_form(app, ratings=("tot", "kha", "dat"), **extra) -> dict:
    with app.app_context():
        criteria = [c.id for c in db.session.scalar(select(Plan)).criteria]
    data = {"version": "0", "action": "submit"}
    for criterion_id, rating in zip(criteria, ratings, strict=True):
        if rating:
            data[f"rating_{criterion_id}"] = rating
        data[f"text_{criterion_id}"] = f"Nhận xét {rating}"
    return data | extra


def evaluation_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("self_%")))


def test_nop_asks_first_and_saves_nothing_until_confirmed(app, as_persona):
    staff = as_persona("staff_a")
    asked = staff.post(PAGE_A, data=evaluation_form(app))
    words = text_of(asked)
    assert asked.status_code == 200 and "Nộp bản tự đánh giá?" in words
    assert "Sau khi nộp, bản tự đánh giá bị khóa" in words
    body = asked.get_data(as_text=True)
    assert '<input type="hidden" name="confirm" value="1">' in body and "Nhận xét tot" in body
    assert evaluation_count(app) == 0 and item_state(app, "m7")["status"] is ItemStatus.NOT_STARTED


def test_an_incomplete_submission_is_refused_before_any_question(app, as_persona):
    refused = as_persona("staff_a").post(PAGE_A, data=evaluation_form(app, ("tot", None, "dat")))
    assert refused.status_code == 422 and "Nộp bản tự đánh giá?" not in text_of(refused)
    assert "Chọn mức đánh giá cho tiêu chí này trước khi nộp." in text_of(refused)
    assert evaluation_count(app) == 0


def test_submitting_completes_milestone_7_and_the_checklist_stops_calling_it_late(app, as_persona):
    staff = as_persona("staff_a")
    m7 = item_state(app, "m7")
    school_page = text_of(staff.get(f"/schools/{SCHOOL_A}"))
    assert m7["status"] is ItemStatus.NOT_STARTED and "Quá hạn" in school_page
    late_before = school_page.count("Quá hạn")
    assert staff.post(PAGE_A, data=evaluation_form(app, confirm="1")).status_code == 302
    m7 = item_state(app, "m7")
    assert m7["status"] is ItemStatus.DONE and m7["completed"]
    (event,) = [e for e in audits(app, "item.update") if e.object_id == m7["id"]]
    assert event.before["status"] == "chua_thuc_hien" and event.after["status"] == "da_hoan_thanh"
    assert event.actor_name == "canbo-a"
    page = staff.get(f"/schools/{SCHOOL_A}").get_data(as_text=True)
    card = page_text(re.search(rf'<li class="item[^"]*" id="item-{m7["id"]}".*?</li>', page, re.S)[0])
    assert "Đã hoàn thành" in card and "Quá hạn" not in card
    assert page_text(page).count("Quá hạn") < late_before


def test_reopening_puts_milestone_7_back_in_progress_and_a_new_submission_awaits_a_re_check(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(PAGE_A, data=evaluation_form(app, confirm="1"))
    m7 = item_state(app, "m7")
    with app.app_context():
        item = db.session.get(ChecklistItem, m7["id"])
        item.verdict, item.verified_at = Verdict.PASSED, utcnow()
        db.session.commit()
    as_persona("ward_admin").post(f"{PAGE_A}/reopen")
    assert item_state(app, "m7")["status"] is ItemStatus.IN_PROGRESS
    with app.app_context():
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        version = get_self_evaluation(db.session.scalar(select(Plan)), school).version
    assert staff.post(PAGE_A, data=evaluation_form(app, version=str(version), confirm="1")).status_code == 302
    again = item_state(app, "m7")
    assert again["status"] is ItemStatus.DONE and again["resubmitted"]


def test_milestone_7_is_not_ticked_by_hand_a_draft_starts_it(app, as_persona):
    """Like a target, milestone 7 follows what it counts (the evaluation): its status buttons are
    gone, a hand-made status is refused with a reason and nothing changes, a saved draft starts it."""
    staff = as_persona("staff_a")
    m7 = item_state(app, "m7")
    page = staff.get(f"/schools/{SCHOOL_A}").get_data(as_text=True)
    card = re.search(rf'<li class="item[^"]*" id="item-{m7["id"]}".*?</li>', page, re.S)[0]
    assert 'name="status"' not in card and "hoàn thành khi nhà trường nộp bản tự đánh giá" in page_text(card)
    refused = staff.post(
        f"/schools/{SCHOOL_A}/items/{m7['id']}", data={"status": "da_hoan_thanh", "version": str(m7["version"])}
    )
    assert refused.status_code == 422
    assert "Mốc này hoàn thành khi nhà trường nộp bản tự đánh giá" in text_of(refused)
    assert item_state(app, "m7")["status"] is ItemStatus.NOT_STARTED
    noted = staff.post(
        f"/schools/{SCHOOL_A}/items/{m7['id']}", data={"note": "Đang họp tổ", "version": str(m7["version"])}
    )
    assert noted.status_code in (200, 303), "a note on milestone 7 is still the school's to write"

    assert staff.post(PAGE_A, data=evaluation_form(app, action="save")).status_code == 302
    assert item_state(app, "m7")["status"] is ItemStatus.IN_PROGRESS


def test_a_verdict_tapped_on_a_page_left_open_after_closing_comes_back_locked(app, as_persona, visit):
    item = item_state(app)
    supervisor = as_persona("supervisor")
    version = visit_state(app, visit)[2]
    supervisor.post(f"/inspections/{visit}/close", data=CLOSING | {"version": version, "confirm": "1"})
    answer = give(supervisor, visit, item, "can_bo_sung", reason=REASON, htmx=True)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "biên bản đã khóa" in page_text(body)
    assert "verdict-button" not in body and "Đợt kiểm tra đã kết thúc" in page_text(body)
    assert item_state(app) == item

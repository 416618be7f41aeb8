"""The school's self-evaluation on the three criteria of Phụ lục I.2 (milestone 7)."""

import re

import pytest
from helpers import SCHOOL_A, SCHOOL_B, text_of
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.figures.evaluations import get_self_evaluation
from aiplan.models import AuditEvent, CriterionRating, Plan, Rating, School, SelfEvaluation

PAGE_A = f"/schools/{SCHOOL_A}/self-evaluation"
REOPEN_A = f"{PAGE_A}/reopen"


def criteria_ids(app) -> list[int]:
    with app.app_context():
        return [c.id for c in db.session.scalar(select(Plan)).criteria]


def answers(app, ratings=("tot", "kha", "dat"), *, version: int = 0, action: str = "save", **extra) -> dict:
    """What a browser posts: one rating and one text per criterion."""
    data = {"version": str(version), "action": action}
    for criterion_id, rating in zip(criteria_ids(app), ratings, strict=True):
        if rating:
            data[f"rating_{criterion_id}"] = rating
        data[f"text_{criterion_id}"] = f"Nhận xét {rating or 'trống'}"
    data.update(extra)
    return data


def state(app, slug: str = SCHOOL_A):
    """The saved evaluation as (version, submitted, [(rating, text)…]) and the audit count."""
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=slug))
        evaluation = get_self_evaluation(plan, school)
        audits = db.session.scalar(select(func.count(AuditEvent.id)))
        if evaluation is None:
            return None, audits
        rows = sorted((r.criterion_id, r.rating, r.text) for r in evaluation.ratings)
        return (evaluation.version, evaluation.submitted_at is not None, rows), audits


def test_the_page_shows_the_three_criteria_with_radio_buttons_in_fieldsets(as_persona):
    body = as_persona("staff_a").get(PAGE_A).get_data(as_text=True)
    text = re.sub(r"\s+", " ", body)
    assert "Tiêu chí 1: Mức độ hoàn thành chỉ tiêu được giao" in text
    assert "Tiêu chí 3: Hiệu quả tác động đến năng lực, kỹ năng và nhận thức của học sinh" in text
    assert len(re.findall(r"<fieldset[^>]*>\s*<legend>Mức đánh giá cho tiêu chí \d</legend>", body)) == 3
    assert body.count('type="radio"') == 12
    for label in ("Tốt", "Khá", "Đạt", "Chưa đạt"):
        assert f"<span>{label}</span>" in body
    assert "Chưa bắt đầu" in text
    assert 'name="version" type="hidden" value="0"' in body
    assert " style=" not in body and not re.search(r"<script(?![^>]*\ssrc=)", body)


def test_staff_save_a_draft_as_often_as_they_like_and_each_save_is_audited(app, as_persona):
    client = as_persona("staff_a")
    response = client.post(PAGE_A, data=answers(app, ("tot", None, None)))
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "Đã lưu bản nháp." in page and "Bản nháp" in page
    response = client.post(PAGE_A, data=answers(app, ("tot", "kha", None), version=1))
    assert response.status_code == 302
    (version, submitted, rows), _ = state(app)
    first, second, third = criteria_ids(app)
    assert (version, submitted) == (2, False)
    assert rows == [
        (first, Rating.TOT, "Nhận xét tot"),
        (second, Rating.KHA, "Nhận xét kha"),
        (third, None, "Nhận xét trống"),
    ]
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).filter_by(action="self_evaluation.save").order_by(AuditEvent.id)
        ).all()
        assert len(events) == 2
        assert events[0].before is None and events[0].after["criteria"]["1"] == {
            "rating": "tot",
            "text": "Nhận xét tot",
        }
        assert events[1].before["criteria"]["2"]["rating"] is None
        assert events[1].after["criteria"]["2"]["rating"] == "kha"
        assert events[1].actor_name == "canbo-a"


def test_submitting_needs_a_rating_for_every_criterion_and_saves_nothing_otherwise(app, as_persona):
    client = as_persona("staff_a")
    client.post(PAGE_A, data=answers(app, ("tot", None, None)))
    before = state(app)
    response = client.post(PAGE_A, data=answers(app, ("tot", "kha", None), version=1, action="submit", confirm="1"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chưa nộp được: hãy chọn mức đánh giá cho mọi tiêu chí" in body
    third = criteria_ids(app)[2]
    assert f'<p class="field-error" id="rating_{third}-error">Chọn mức đánh giá cho tiêu chí này trước khi nộp.' in body
    assert f'aria-describedby="rating_{third}-error"' in body
    assert 'value="kha" checked' in body or re.search(r'checked[^>]*value="kha"', body)  # the input is kept
    assert state(app) == before


def test_a_submitted_evaluation_is_locked(app, as_persona):
    client = as_persona("staff_a")
    response = client.post(PAGE_A, data=answers(app, action="submit", confirm="1"))
    assert response.status_code == 302
    page = client.get(PAGE_A)
    text = text_of(page)
    assert "Đã nộp bản tự đánh giá." in text and "Đã nộp" in text and "Người nộp: canbo-a." in text
    assert "<form" not in page.get_data(as_text=True).split('id="main"')[1].split("</main>")[0].replace(
        'action="/logout"', ""
    )  # nothing to edit
    assert "Tốt" in text and "Nhận xét tot" in text
    before = state(app)
    assert before[0][1] is True
    response = client.post(PAGE_A, data=answers(app, ("chua_dat", "chua_dat", "chua_dat"), version=2))
    assert response.status_code == 409
    assert "bản tự đánh giá đã được nộp nên không sửa được nữa" in text_of(response)
    assert state(app) == before
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="self_evaluation.submit"))
        assert event.before is None and event.after["submitted"] is True


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "supervisor", "viewer"])
def test_only_a_ward_admin_may_reopen_a_submitted_evaluation(app, as_persona, persona):
    as_persona("staff_a").post(PAGE_A, data=answers(app, action="submit", confirm="1"))
    client = as_persona(persona)
    before = state(app)
    assert client.post(REOPEN_A).status_code == 403
    assert state(app) == before


def test_a_ward_admin_reopens_a_submitted_evaluation_and_the_school_can_edit_it_again(app, as_persona):
    staff = as_persona("staff_a")
    staff.post(PAGE_A, data=answers(app, action="submit", confirm="1"))
    admin = as_persona("ward_admin")
    assert "Mở lại để nhà trường sửa" in text_of(admin.get(PAGE_A))
    response = admin.post(REOPEN_A)
    assert response.status_code == 302
    assert "Đã mở lại bản tự đánh giá" in text_of(admin.get(response.location))
    (version, submitted, _), _ = state(app)
    assert submitted is False
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="self_evaluation.reopen"))
        assert event.before["submitted"] is True and event.after["submitted"] is False
        assert event.actor_name == "admin"
    response = staff.post(
        PAGE_A, data=answers(app, ("kha", "kha", "kha"), version=version, action="submit", confirm="1")
    )
    assert response.status_code == 302
    (_, submitted, rows), _ = state(app)
    assert submitted is True and {rating for _, rating, _ in rows} == {Rating.KHA}


def test_reopening_an_evaluation_that_was_not_submitted_changes_nothing(app, as_persona):
    client = as_persona("ward_admin")
    before = state(app)
    response = client.post(REOPEN_A)
    assert response.status_code == 302
    assert "chưa được nộp nên không cần mở lại" in text_of(client.get(response.location))
    assert state(app) == before


def test_staff_of_another_school_can_neither_read_nor_write_the_self_evaluation(app, as_persona):
    as_persona("staff_a").post(PAGE_A, data=answers(app))
    client = as_persona("staff_b")
    before = state(app)
    for method, url, data in [
        ("GET", PAGE_A, {}),
        ("POST", PAGE_A, answers(app, ("chua_dat",) * 3, version=1)),
        ("POST", PAGE_A, answers(app, version=1, action="submit", confirm="1")),
        ("POST", REOPEN_A, {}),
    ]:
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (method, url)
        assert "Nhận xét tot" not in response.get_data(as_text=True)
    assert state(app) == before
    assert state(app, SCHOOL_B)[0] is None


@pytest.mark.parametrize("persona", ["viewer", "supervisor", "ward_admin"])
def test_the_ward_reads_the_self_evaluation_but_cannot_write_it(app, as_persona, persona):
    as_persona("staff_a").post(PAGE_A, data=answers(app))
    client = as_persona(persona)
    before = state(app)
    page = client.get(PAGE_A)
    assert page.status_code == 200
    text = text_of(page)
    assert "Nhận xét tot" in text and "Bản nháp" in text and "Lưu nháp" not in text
    assert client.post(PAGE_A, data=answers(app, ("chua_dat",) * 3, version=1)).status_code == 403
    assert state(app) == before


def test_a_save_based_on_a_stale_version_is_refused_with_409_and_the_other_save_is_kept(app, as_persona):
    first, second = as_persona("staff_a"), as_persona("staff_a")
    assert second.post(PAGE_A, data=answers(app, ("tot", "tot", "tot"))).status_code == 302
    before = state(app)
    response = first.post(PAGE_A, data=answers(app, ("dat", "dat", "dat"), version=0))
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "người khác vừa lưu bản tự đánh giá này" in text_of(response)
    assert 'name="version" type="hidden" value="1"' in body  # resubmitting is now a deliberate choice
    assert state(app) == before
    response = first.post(PAGE_A, data=answers(app, ("dat", "dat", "dat"), version=1))
    assert response.status_code == 302


def test_a_forged_rating_or_a_missing_version_is_refused(app, as_persona):
    client = as_persona("staff_a")
    before = state(app)
    first = criteria_ids(app)[0]
    response = client.post(PAGE_A, data=answers(app, **{f"rating_{first}": "xuat-sac"}))
    assert response.status_code == 422
    assert "Chọn một mức trong danh sách." in text_of(response)
    data = answers(app)
    del data["version"]
    assert client.post(PAGE_A, data=data).status_code == 400
    assert state(app) == before


def test_get_self_evaluation_tells_the_checklist_its_state(app, as_persona):
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        school = db.session.scalar(select(School).filter_by(slug=SCHOOL_A))
        assert get_self_evaluation(plan, school) is None
    client = as_persona("staff_a")
    client.post(PAGE_A, data=answers(app, ("tot", None, None)))
    with app.app_context():
        evaluation = get_self_evaluation(db.session.scalar(select(Plan)), school=db.session.merge(school))
        assert evaluation.submitted_at is None and len(evaluation.ratings) == 3
    client.post(PAGE_A, data=answers(app, version=1, action="submit", confirm="1"))
    with app.app_context():
        evaluation = db.session.scalar(select(SelfEvaluation))
        assert evaluation.submitted_at is not None and evaluation.submitted_by_id is not None
        assert db.session.scalar(select(func.count(CriterionRating.id))) == 3

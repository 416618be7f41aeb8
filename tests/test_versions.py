"""Every form that carries a version (or, where a record has none, a fingerprint) accepts only the
shape the app writes: a missing, blank or odd one ("²", "١", " 1", forty nines…) is refused with
400 or 422 and a message to reload, never a 500, never read as another number, and nothing changes."""

import re

import pytest
from helpers import SCHOOL_A
from sqlalchemy import select
from test_access import account_url, activity_url, an_inspection, item_url, recheck_url, visit_verdict_url
from test_backup import all_rows
from test_plan_editing import CALENDAR, M8

from aiplan.extensions import db
from aiplan.models import DeliveryForm, Plan, School

MESSAGE = "phiên bản dữ liệu"  # inputs.BAD_VERSION, in every refusal below
BAD = {
    "missing": None,
    "empty": "",
    "superscript-two": "²",
    "arabic-indic-one": "١",
    "decimal": "1.0",
    "leading-space": " 1",
    "negative": "-1",
    "forty-nines": "9" * 40,
}
PLAN = "/admin/plan/2025-2026"


def _activity_form() -> dict:
    form_id = db.session.scalar(select(DeliveryForm.id).join(Plan).where(DeliveryForm.code == "2.1"))
    return {
        "form_id": str(form_id),
        "title": "Lồng ghép AI",
        "subject": "Tin học",
        "grade": "4",
        "class_name": "4A1",
        "participants": "35",
        "lessons": "4",
        "starts_on": "02/03/2026",
        "ends_on": "27/03/2026",
    }


def _account_form() -> dict:
    school_id = db.session.scalar(select(School.id).filter_by(slug="thcs-thach-ban"))
    return {"full_name": "Cán bộ B", "role": "school_staff", "school": str(school_id), "is_enabled": "y"}


# endpoint -> (persona, url or a function for it, the rest of a valid form, or a function for it)
ROUTES = {
    "checklists.update": ("staff_a", item_url, {"status": "dang_thuc_hien"}),
    "inspections.verdict": ("supervisor", recheck_url, {"verdict": "dat"}),
    "inspections.verdict_in_visit": ("supervisor", visit_verdict_url, {"verdict": "dat"}),
    "inspections.close": (
        "supervisor",
        lambda: f"/inspections/{an_inspection().id}/close",
        {"conclusion": "Nhà trường triển khai đúng kế hoạch."},
    ),
    "activities.detail": ("staff_a", activity_url(), _activity_form),
    "activities.delete": ("staff_a", activity_url("/delete"), {}),
    "activities.self_evaluation": ("staff_a", f"/schools/{SCHOOL_A}/self-evaluation", {"action": "save"}),
    "reports.school": ("staff_a", f"/schools/{SCHOOL_A}/report", {"proposals": "Tăng giờ thực hành."}),
    "reports.ward": ("ward_admin", "/ward/report", {"proposals": "Tăng giờ thực hành."}),
    "admin.school_edit": (
        "ward_admin",
        f"/admin/schools/{SCHOOL_A}/edit",
        {"name": "Trường Tiểu học Đoàn Kết (mới)", "level": "tieu_hoc", "is_active": "y"},
    ),
    "admin.account_edit": ("ward_admin", account_url(), _account_form),
    "plans.edit_calendar": ("ward_admin", f"{PLAN}/calendar", CALENDAR | {"ends_on": "30/05/2026"}),
    "plans.edit_deadline": (
        "ward_admin",
        f"{PLAN}/deadlines/bao-cao-co-so",
        {"title": "Báo cáo", "owner_text": "Cơ sở GD", "kind": "before", "before": "10/06/2026"},
    ),
    "plans.edit_milestone": ("ward_admin", f"{PLAN}/milestones/8", M8 | {"title": "Tổng hợp, báo cáo (mới)"}),
    "plans.edit_target": ("ward_admin", f"{PLAN}/targets/1", {"category": "Tiểu học (mới)"}),
    "plans.remove_evidence": ("ward_admin", f"{PLAN}/targets/1/evidence/ho-so-lop-hoc/remove", {}),
}


def _post(app, as_persona, endpoint: str, version: str | None, headers=None):
    persona, url, data = ROUTES[endpoint]
    client = as_persona(persona)
    with app.app_context():
        url = url() if callable(url) else url
        data = dict(data() if callable(data) else data)
    if version is not None:
        data["version"] = version
    before = all_rows(app)
    response = client.post(url, data=data, headers=headers or {})
    if response.status_code == 303 and endpoint.startswith("inspections.verdict") and not headers:
        # A verdict sent without JavaScript comes back to the visit or the queue, its refusal flashed.
        return client.get(response.location), before
    return response, before


@pytest.mark.parametrize("version", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("endpoint", ROUTES)
def test_it_refuses_a_form_whose_version_is_not_the_apps_own_and_changes_nothing(app, as_persona, endpoint, version):
    response, before = _post(app, as_persona, endpoint, version)

    assert response.status_code in (400, 422) or endpoint.startswith("inspections.verdict"), response.status_code
    assert MESSAGE in response.get_data(as_text=True)
    assert all_rows(app) == before


@pytest.mark.parametrize("endpoint, target", [("checklists.update", "item-{}"), ("inspections.verdict", "verdict-{}")])
def test_an_item_updated_through_htmx_shows_the_refusal_in_the_item_itself(app, as_persona, endpoint, target):
    with app.app_context():
        item_id = int(item_url().rsplit("/", 1)[1])
    response, before = _post(
        app, as_persona, endpoint, "²", headers={"HX-Request": "true", "HX-Target": target.format(item_id)}
    )

    assert response.status_code == 422  # htmx swaps 422 into the item (base.html's responseHandling)
    body = response.get_data(as_text=True)
    assert 'class="item-error" role="alert"' in body and MESSAGE in body
    assert all_rows(app) == before


def test_the_right_version_still_saves(app, as_persona):
    response, before = _post(app, as_persona, "checklists.update", "1")

    assert response.status_code == 303
    assert all_rows(app) != before


@pytest.mark.parametrize("page", ["²", "١", "-1", "9" * 40, "1_0"])
@pytest.mark.parametrize("url", ["/rollup?trang={}", f"/schools/{SCHOOL_A}/history?page={{}}"])
def test_a_page_number_in_a_link_that_is_not_ascii_digits_shows_the_first_page(as_persona, url, page):
    """Page numbers follow the same rule as versions: "²" was a 500 on the rollup."""
    client = as_persona("ward_admin")
    first = client.get(url.format(1)).get_data(as_text=True)

    response = client.get(url.format(page))

    assert response.status_code == 200
    # Per-response tokens, and the page's own address (the language switch sends you back to it).
    strip = re.compile(r"""name="csrf_token"[^>]*>|hx-headers='[^']*'|[0-9a-f]{16}|(trang|page)=[^"&#]*""")
    assert strip.sub("", response.get_data(as_text=True)) == strip.sub("", first)

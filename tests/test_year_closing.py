"""The current school year past its closing date (2025-2026: 31/08/2026): schools still record
late work until the ward opens the next year; every page says so, and the history marks it."""

import re
from datetime import UTC, date, datetime

import pytest
from helpers import SCHOOL_A, page_text, text_of
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import ChecklistItem, ItemStatus, School

NOTICE = "Năm học 2025-2026 đã kết thúc ngày 31/08/2026."
LATE = "Cập nhật muộn: sau khi năm học 2025-2026 kết thúc (31/08/2026)"


@pytest.fixture
def today(monkeypatch):
    """Set the day it is in Hà Nội, as aiplan.timeutil.local_today tells it."""

    def set_today(day: date) -> None:
        monkeypatch.setattr("aiplan.timeutil.local_today", lambda: day)

    return set_today


@pytest.fixture
def now(monkeypatch):
    """Set the time the audit log records a change at (UTC)."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr("aiplan.audit.utcnow", lambda: moment)

    return set_now


def mark_done(client, app, key="m3"):
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == key)
        )
        url, version = f"/schools/{SCHOOL_A}/items/{item.id}", item.version
    return client.post(url, data={"status": "da_hoan_thanh", "version": version})


@pytest.mark.parametrize("persona", ["staff_a", "supervisor", "ward_admin", "viewer"])
def test_every_page_says_the_year_is_past_its_closing_date_and_what_is_still_possible(app, as_persona, today, persona):
    client = as_persona(persona)
    today(date(2026, 9, 1))
    for url in ("/", f"/schools/{SCHOOL_A}", "/plan"):
        page = text_of(client.get(url, follow_redirects=True))
        assert NOTICE in page, url
        assert "cho đến khi phường mở năm học mới" in page and "cập nhật muộn" in page


def test_the_notice_is_not_shown_up_to_the_closing_date_itself(app, as_persona, today):
    client = as_persona("staff_a")
    today(date(2026, 8, 31))
    assert NOTICE not in text_of(client.get(f"/schools/{SCHOOL_A}"))


def test_a_school_still_records_late_work_and_the_history_marks_it_as_late(app, as_persona, now):
    staff = as_persona("staff_a")
    now(datetime(2026, 8, 31, 16, 59, tzinfo=UTC))  # 23:59 on 31/08 in Hà Nội: on time
    assert mark_done(staff, app, "m3").status_code == 303
    now(datetime(2026, 8, 31, 17, 0, tzinfo=UTC))  # 00:00 on 01/09 in Hà Nội: late
    assert mark_done(staff, app, "m4").status_code == 303
    with app.app_context():
        done = db.session.scalars(
            select(ChecklistItem.status)
            .join(School)
            .where(School.slug == SCHOOL_A, ChecklistItem.key.in_(("m3", "m4")))
        ).all()
        assert done == [ItemStatus.DONE, ItemStatus.DONE]
    history = as_persona("ward_admin").get(f"/schools/{SCHOOL_A}/history?logins=1").get_data(as_text=True)
    entries = {page_text(entry)[:40]: page_text(entry) for entry in re.findall(r"<li>(.*?)</li>", history, re.S)}
    [on_time] = [entry for head, entry in entries.items() if "31/08/2026 23:59" in head]
    [late] = [entry for head, entry in entries.items() if "01/09/2026 00:00" in head]
    assert LATE not in on_time and LATE in late
    assert LATE not in entries[next(head for head in entries if "Đăng nhập" in entries[head])]  # not work


def test_once_the_next_year_is_opened_the_notice_gives_way_to_read_only(app, as_persona, today):
    from test_years import start_year

    admin = as_persona("ward_admin")
    today(date(2026, 9, 1))
    start_year(admin)
    assert NOTICE in text_of(admin.get("/years"))  # in preparation: 2025-2026 is still current
    admin.post("/years/2026-2027/open")
    staff = as_persona("staff_a")
    assert NOTICE not in text_of(staff.get(f"/schools/{SCHOOL_A}"))
    response = staff.get(f"/schools/{SCHOOL_A}?nam=2025-2026")
    assert NOTICE not in text_of(response) and "đã kết thúc: dữ liệu chỉ còn để xem" in text_of(response)
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem)
            .join(School)
            .where(School.slug == SCHOOL_A, ChecklistItem.key == "m3")
            .order_by(ChecklistItem.plan_id)
        )
        url, version = f"/schools/{SCHOOL_A}/items/{item.id}", item.version
    assert staff.post(url, data={"status": "da_hoan_thanh", "version": version}).status_code == 403

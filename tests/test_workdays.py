"""Working days (issue 14): due dates computed from the plan's timing land on working days — not a
Saturday, a Sunday, a Vietnamese public holiday or a day off the ward added — and every moved date
says why, on the checklist pages and in the calendar editor, where the ward reviews them before a
year opens."""

import re
from datetime import date, timedelta

import holidays
from helpers import SCHOOL_A, AuthActions, text_of
from sqlalchemy import select

from aiplan.checklists.services import sync_checklists
from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, DayOff, Plan, School, SchoolYear
from aiplan.workdays import WorkCalendar
from aiplan.years.services import proposed_calendar, start_next_year

CALENDAR = "/admin/plan/2025-2026/calendar"
DAYS_OFF = "/admin/plan/2025-2026/days-off"


def days_off_version(client) -> str:
    """The fingerprint the days-off forms carry on the calendar editor."""
    page = client.get(CALENDAR).get_data(as_text=True)
    form = page[page.index(f'action="{DAYS_OFF}"') :]
    return re.search(r'name="version"[^>]*value="([0-9a-f]+)"', form)[1]


def add_day_off(client, day: str, reason: str = "Nghỉ bù theo quyết định của UBND thành phố"):
    return client.post(DAYS_OFF, data={"day": day, "reason": reason, "version": days_off_version(client)})


def item(slug: str | None, key: str) -> ChecklistItem:
    query = select(ChecklistItem).where(ChecklistItem.key == key)
    if slug is None:
        query = query.where(ChecklistItem.school_id.is_(None))
    else:
        query = query.join(School, ChecklistItem.school_id == School.id).where(School.slug == slug)
    return db.session.scalar(query)


def test_the_kernel_knows_tet_weekends_and_trước_ngày():
    workdays = WorkCalendar.for_years([2026], {})
    assert not workdays.is_working_day(date(2026, 2, 17))  # Tết Nguyên Đán
    assert not workdays.is_working_day(date(2026, 4, 27))  # the Giỗ Tổ bridge day
    assert workdays.is_working_day(date(2026, 2, 13))
    # "trước ngày 15/6/2026": the last working day before Monday 15/06 is Friday 12/06.
    assert workdays.before(date(2026, 6, 15)) == date(2026, 6, 12)
    assert workdays.due(date(2026, 2, 15)) == (date(2026, 2, 13), date(2026, 2, 15))
    assert workdays.due(date(2026, 2, 13)) == (date(2026, 2, 13), None)
    assert not workdays.has_working_day(date(2026, 2, 14), date(2026, 2, 22))  # a weekend, Tết, a weekend


def test_no_due_date_of_the_bundled_plan_falls_on_a_weekend_or_a_public_holiday(app):
    with app.app_context():
        items = db.session.scalars(select(ChecklistItem)).all()
        days = {entry.due_on for entry in items}
        public = holidays.country_holidays("VN", years=sorted({day.year for day in days}))
        assert {entry.school_id for entry in items} > {None}  # the ward's items and schools' alike
        off = sorted(day for day in days if day.weekday() >= 5 or day in public)
        assert off == []
        # Each moved item keeps the plan's date, which was not a working day.
        moved = [entry for entry in items if entry.planned_due_on]
        assert moved and all(e.planned_due_on.weekday() >= 5 or e.planned_due_on in public for e in moved)


def test_a_moved_due_date_says_why_on_the_checklist(app, as_persona):
    text = text_of(as_persona("staff_a").get(f"/schools/{SCHOOL_A}"))
    # Đầu HK II ends on Sunday 15/02/2026, the eve of Tết: milestone 3 is due the Friday before.
    assert "Quá hạn 13/02/2026" in text  # the year is past: late since
    assert "15/02/2026 là Chủ nhật; tiếp theo là nghỉ Giao thừa Tết Nguyên Đán (16/02–20/02/2026)" in text
    assert "→ hạn lùi về 13/02/2026" in text
    # The schools' report, "trước ngày 09/6/2026" as the ward set it, is due on Monday 08/06: not moved.
    assert "08/06/2026" in text and "hạn lùi về 08/06/2026" not in text
    ward = text_of(as_persona("ward_admin").get("/ward"))
    assert "04/04/2026 là Thứ bảy → hạn lùi về 03/04/2026" in ward  # the end of the inspection window
    assert (
        "31/08/2026 là Ngày nghỉ (thay cho ngày 22/08/2026); tiếp theo là nghỉ Quốc khánh (01/09–02/09/2026) "
        "→ hạn lùi về 28/08/2026"
    ) in ward


def test_the_calendar_editor_reviews_the_moved_dates_and_the_holidays(app, as_persona):
    with app.app_context():
        db.session.scalar(select(Plan)).school_year.opened_at = None  # reviewed before the year opens
        db.session.commit()
    page = as_persona("ward_admin").get(CALENDAR)
    assert page.status_code == 200
    text = text_of(page)
    review = text[text.index("Hạn tính theo ngày làm việc Hạn của") : text.index("Ngày nghỉ lễ trong năm học")]
    assert "Đầu HK II (Mốc 1, 2, 3) 19/01/2026 – 15/02/2026: hạn 13/02/2026" in review
    assert "Tết Nguyên Đán" in review
    assert "Trước ngày 15/06/2026" in review and "hạn 12/06/2026" in review
    holidays_part = text[text.index("Ngày nghỉ lễ trong năm học") :]
    assert "17/02/2026 — Tết Nguyên Đán" in holidays_part and "30/04/2026 — Ngày Chiến thắng" in holidays_part


def test_a_day_off_moves_the_deadlines_on_it_and_says_so(app, as_persona):
    admin = as_persona("ward_admin")
    with app.app_context():
        assert item(SCHOOL_A, "m4").due_on == date(2026, 5, 25)  # the end of HK II, a Monday

    response = add_day_off(admin, "25/05/2026", "Lễ hội truyền thống của phường")

    assert response.status_code == 303 and response.location == CALENDAR
    with app.app_context():
        moved = item(SCHOOL_A, "m4")
        assert (moved.due_on, moved.planned_due_on) == (date(2026, 5, 22), date(2026, 5, 25))
        [event] = db.session.scalars(select(AuditEvent).filter_by(action="plan.day_off_add")).all()
        assert event.after == {"days_off": ["2026-05-25 Lễ hội truyền thống của phường"]}
    editor = text_of(admin.get(CALENDAR))
    assert "Đã thêm ngày nghỉ 25/05/2026" in editor and "25/05/2026 — Lễ hội truyền thống của phường" in editor
    assert "Cuối HK II (Mốc 7) 05/05/2026 – 25/05/2026: hạn 22/05/2026" in editor
    school = text_of(admin.get(f"/schools/{SCHOOL_A}"))
    # The weekend on the way back (23–24/05) goes without saying.
    assert "25/05/2026 là ngày nghỉ của phường: Lễ hội truyền thống của phường → hạn lùi về 22/05/2026" in school

    removed = admin.post(f"{DAYS_OFF}/2026-05-25/remove", data={"version": days_off_version(admin)})

    assert removed.status_code == 303
    with app.app_context():
        back = item(SCHOOL_A, "m4")
        assert (back.due_on, back.planned_due_on) == (date(2026, 5, 25), None)
        assert db.session.scalar(select(AuditEvent).filter_by(action="plan.day_off_remove")) is not None


def test_a_day_off_that_empties_a_window_is_refused_and_nothing_is_saved(app, as_persona):
    admin = as_persona("ward_admin")
    # "Cuối năm học" runs from 26/05 to 31/05/2026: Tuesday to Friday are its working days.
    for day in ("26/05/2026", "27/05/2026", "28/05/2026"):
        assert add_day_off(admin, day).status_code == 303
    with app.app_context():
        before = {(i.id, i.due_on, i.version) for i in db.session.scalars(select(ChecklistItem))}

    response = add_day_off(admin, "29/05/2026")

    assert response.status_code == 422
    text = text_of(response)
    assert "Chưa thêm ngày nghỉ" in text
    assert "“Cuối năm học” (26/05/2026 – 31/05/2026) không còn ngày làm việc nào" in text
    with app.app_context():
        assert db.session.scalar(select(DayOff).filter_by(day=date(2026, 5, 29))) is None
        assert {(i.id, i.due_on, i.version) for i in db.session.scalars(select(ChecklistItem))} == before
        assert len(db.session.scalars(select(AuditEvent).filter_by(action="plan.day_off_add")).all()) == 3


def test_a_calendar_that_leaves_a_window_only_a_weekend_is_refused(app, as_persona):
    admin = as_persona("ward_admin")
    page = admin.get(CALENDAR).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="([0-9a-f]+)"', page)[1]
    data = {
        "hk1_start": "05/09/2025",
        "hk1_end": "17/01/2026",
        "hk2_start": "19/01/2026",
        "hk2_end": "29/05/2026",  # "Cuối năm học" is then 30–31/05, a Saturday and a Sunday
        "midterm_start": "09/03/2026",
        "midterm_end": "04/04/2026",
        "ends_on": "31/05/2026",
        "closes_on": "31/08/2026",
        "version": version,
    }

    response = admin.post(CALENDAR, data=data)

    assert response.status_code == 422
    assert "“Cuối năm học” (30/05/2026 – 31/05/2026) không còn ngày làm việc nào" in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(Plan)).school_year.hk2_end == date(2026, 5, 25)


def test_bad_days_off_are_refused_with_a_message(app, as_persona):
    admin = as_persona("ward_admin")
    cases = [
        ({"day": "15/09/2026", "reason": "Nghỉ"}, "Ngày nghỉ phải trong năm học 2025-2026 (05/09/2025 – 31/08/2026)."),
        ({"day": "17/02/2026", "reason": "Nghỉ"}, "Ngày 17/02/2026 đã là ngày nghỉ (Tết Nguyên Đán)."),
        ({"day": "14/02/2026", "reason": "Nghỉ"}, "Ngày 14/02/2026 đã là ngày nghỉ (Thứ bảy)."),
        ({"day": "12/02/2026", "reason": "  "}, "Nhập lý do nghỉ"),
        ({"day": "31/02/2026", "reason": "Nghỉ"}, "Ngày không hợp lệ"),
    ]
    for data, message in cases:
        response = admin.post(DAYS_OFF, data=data | {"version": days_off_version(admin)})
        assert response.status_code == 422, data
        assert message in text_of(response), (data, text_of(response)[:2000])
    with app.app_context():
        assert db.session.scalars(select(DayOff)).all() == []


def test_only_ward_admins_may_add_or_remove_days_off(app, as_persona):
    for persona in ("staff_a", "supervisor", "viewer"):
        client = as_persona(persona)
        assert client.post(DAYS_OFF, data={"day": "12/02/2026", "reason": "x", "version": "0"}).status_code == 403
        assert client.post(f"{DAYS_OFF}/2026-02-12/remove", data={"version": "0"}).status_code == 403
    with app.app_context():
        assert db.session.scalars(select(DayOff)).all() == []


def test_working_days_are_computed_once_per_sync(app, count_queries):
    """The days off are read once for all the schools, not once per school."""
    with app.app_context():
        plan = db.session.scalar(select(Plan))
        year = plan.school_year
        year.days_off.append(DayOff(day=date(2026, 5, 25), reason="Lễ hội"))
        db.session.commit()
        plan = db.session.scalar(select(Plan))
        with count_queries() as counted:
            sync_checklists(plan)
        day_off_reads = [q for q in counted.statements if "FROM day_off" in q]
        assert len(day_off_reads) == 1
        assert item(SCHOOL_A, "m4").due_on == date(2026, 5, 25) - timedelta(days=3)


def test_a_year_in_preparation_is_reviewed_in_its_calendar_editor_before_it_opens(app, as_persona):
    with app.app_context():
        current = db.session.scalar(select(Plan))
        start_next_year(current, proposed_calendar(current.school_year))
    admin = as_persona("ward_admin")
    prepare = admin.get("/years/2026-2027").get_data(as_text=True)
    assert 'href="/admin/plan/2026-2027/calendar#review"' in prepare

    editor = text_of(admin.get("/admin/plan/2026-2027/calendar"))

    # Tết 2027 falls in early February; the year's own holidays are listed, not 2026's.
    assert "10/02/2027 — Mùng năm Tết Nguyên Đán" in editor and "17/02/2026" not in editor
    assert "Giữa HK II (Mốc 6) 09/03/2027 – 04/04/2027: hạn 02/04/2027" in editor  # 03–04/04/2027: a weekend
    with app.app_context():
        ward_m6 = db.session.scalar(
            select(ChecklistItem)
            .join(Plan)
            .join(Plan.school_year)
            .where(ChecklistItem.school_id.is_(None), ChecklistItem.key == "m6", SchoolYear.name == "2026-2027")
        )
        assert (ward_m6.due_on, ward_m6.planned_due_on) == (date(2027, 4, 2), date(2027, 4, 4))


def test_in_english_the_holidays_have_their_english_names(english_app):
    client = english_app.test_client()
    assert AuthActions(client).login("ward_admin").status_code == 302
    client.post("/lang", data={"lang": "en", "next": "/"})

    editor = text_of(client.get(CALENDAR))

    assert "17/02/2026 — Lunar New Year" in editor and "Tết Nguyên Đán" not in editor

"""The audit log viewer at /audit: the ward admins read their own ward's changes, newest first,
filtered by school, account, kind of change and dates, with what each change did."""

import re
from datetime import UTC, datetime

import pytest
from helpers import SCHOOL_A, SCHOOL_B
from sqlalchemy import select

from aiplan import audit
from aiplan.auditlog import services
from aiplan.extensions import db
from aiplan.models import Activity, ChecklistItem, DeliveryForm, Plan, School, SchoolLevel, User, Ward


def _school(slug: str) -> School:
    return db.session.scalar(select(School).filter_by(slug=slug))


def _user(username: str) -> User:
    return db.session.scalar(select(User).filter_by(username=username))


def _item(slug: str = SCHOOL_A, key: str = "m3") -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == slug, ChecklistItem.key == key))


def record_at(monkeypatch, when: datetime, action: str, obj=None, **fields):
    """An audit event as `record` writes it (so the chain stays whole), at a chosen time."""
    monkeypatch.setattr(audit, "utcnow", lambda: when)
    try:
        return audit.record(action, obj, **fields)
    finally:
        monkeypatch.undo()


def item_update(slug: str, actor: str, before: dict, after: dict, key: str = "m3"):
    item = _item(slug, key)
    return audit.record("item.update", item, before=before, after=after, school_id=item.school_id, actor=_user(actor))


def seqs(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="audit-seq">#(\d+)<', html)]


@pytest.fixture
def other_ward(app):
    """A second ward with a school and an event of its own: never shown to this ward's admin."""
    with app.app_context():
        ward = Ward(
            slug="phuong-khac",
            name="Phường Khác",
            city="Thành phố Hà Nội",
            authority="UBND phường Khác",
            office="Phòng Văn hóa - Xã hội",
        )
        school = School(
            ward=ward, slug="th-phuong-khac", name="Trường Tiểu học Phường Khác", level=SchoolLevel.TIEU_HOC
        )
        db.session.add_all([ward, school])
        db.session.flush()
        audit.record(
            "school.update",
            school,
            school_id=school.id,
            ward_id=ward.id,
            before={"name": "Tên cũ bí mật"},
            after={"name": "Tên mới bí mật"},
        )
        audit.record("report_text.save", None, ward_id=ward.id, after={"difficulties": "Việc riêng của phường khác"})
        db.session.commit()


def test_the_admin_sees_the_wards_changes_newest_first_with_labels(app, as_persona):
    client = as_persona("ward_admin")  # signs in first: that login is logged too
    with app.app_context():
        first = item_update(
            SCHOOL_A,
            "canbo-a",
            {"status": "chua_thuc_hien", "note": "giữ nguyên"},
            {"status": "da_hoan_thanh", "note": "giữ nguyên"},
        ).seq
        second = item_update(SCHOOL_B, "canbo-b", {"status": "dang_thuc_hien"}, {"status": "chua_thuc_hien"}).seq
        db.session.commit()
        title = _item().title

    html = client.get("/audit").get_data(as_text=True)

    assert seqs(html)[:2] == [second, first]
    event = html[html.index(f'class="audit-seq">#{first}<') :]
    event = event[: event.index("</li>")]
    assert "canbo-a" in event and "Trường Tiểu học Đoàn Kết" in event
    assert f"Cập nhật mục việc: {title}" in event
    assert "<dt>Trạng thái</dt>" in event
    assert "Chưa thực hiện</del> → <ins>" in event and "Đã hoàn thành</ins>" in event
    assert "Ghi chú" not in event and "giữ nguyên" not in event  # unchanged fields are not listed
    assert "flask --app aiplan verify" in html


def test_a_creation_shows_the_new_values_and_a_deletion_the_old(app, as_persona):
    with app.app_context():
        school = _school(SCHOOL_A)
        plan = db.session.scalar(select(Plan))
        form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
        activity = Activity(
            school=school, plan=plan, form=form, title="CLB Robot AI", class_name="5A", participants=20, lessons=4
        )
        db.session.add(activity)
        db.session.flush()
        audit.record(
            "activity.create", activity, after={"title": "CLB Robot AI", "participants": 20}, school_id=school.id
        )
        audit.record("activity.delete", activity, before={"title": "CLB Robot AI", "lessons": 4}, school_id=school.id)
        db.session.commit()

    html = as_persona("ward_admin").get("/audit?loai=activity.create").get_data(as_text=True)
    assert "Ghi nhận hoạt động AI: CLB Robot AI" in html
    assert "<dt>Số người tham gia</dt>" in html and "sau: </span>20</ins>" in html
    assert "<del>" not in html

    html = as_persona("ward_admin").get("/audit?loai=activity.delete").get_data(as_text=True)
    assert "Xóa hoạt động AI: CLB Robot AI" in html
    assert "<dt>Số tiết</dt>" in html and "trước: </span>4</del>" in html
    assert "<ins>" not in html


@pytest.mark.parametrize("persona", ["supervisor", "viewer", "staff_a", "staff_b"])
def test_only_ward_admins_read_the_log(app, as_persona, persona):
    assert as_persona(persona).get("/audit").status_code == 403


def test_another_wards_events_are_never_shown(app, as_persona, other_ward):
    client = as_persona("ward_admin")

    html = client.get("/audit").get_data(as_text=True)

    assert "bí mật" not in html and "Phường Khác" not in html and "phường khác" not in html
    # Its school is not a choice, and naming it filters nothing in.
    assert "th-phuong-khac" not in html
    assert "bí mật" not in client.get("/audit?truong=th-phuong-khac").get_data(as_text=True)


def test_filters_by_school_user_and_kind_of_change(app, as_persona):
    with app.app_context():
        a = item_update(SCHOOL_A, "canbo-a", {"note": ""}, {"note": "Việc của trường A"}).seq
        b = item_update(SCHOOL_B, "canbo-b", {"note": ""}, {"note": "Việc của trường B"}).seq
        login = audit.record("auth.login", _user("canbo-a"), school_id=_school(SCHOOL_A).id, actor=_user("canbo-a")).seq
        admin_login = audit.record("auth.login", _user("admin"), actor=_user("admin")).seq
        db.session.commit()
        staff_a = _user("canbo-a").id
    client = as_persona("ward_admin")

    by_school = seqs(client.get(f"/audit?truong={SCHOOL_A}").get_data(as_text=True))
    assert a in by_school and login in by_school and b not in by_school and admin_login not in by_school

    by_user = seqs(client.get(f"/audit?nguoi={staff_a}").get_data(as_text=True))
    assert set(by_user) == {a, login}

    html = client.get("/audit?loai=auth.login").get_data(as_text=True)
    assert {admin_login, login} <= set(seqs(html))  # a ward admin's own login belongs to the ward too
    assert a not in seqs(html) and 'class="item-title">Cập nhật mục việc' not in html
    assert '<option value="auth.login" selected>Đăng nhập</option>' in html
    assert '<optgroup label="Tài khoản">' in html

    both = seqs(client.get(f"/audit?truong={SCHOOL_A}&loai=item.update&nguoi={staff_a}").get_data(as_text=True))
    assert both == [a]


def test_dates_are_days_in_hanoi(app, as_persona, monkeypatch):
    with app.app_context():
        item = _item()
        # 17:30 UTC on 1 October is 00:30 on 2 October in Hà Nội.
        late = record_at(
            monkeypatch,
            datetime(2025, 10, 1, 17, 30, tzinfo=UTC),
            "item.update",
            item,
            after={"note": "sau nửa đêm"},
            school_id=item.school_id,
        ).seq
        early = record_at(
            monkeypatch,
            datetime(2025, 9, 20, 3, 0, tzinfo=UTC),
            "item.update",
            item,
            after={"note": "tháng chín"},
            school_id=item.school_id,
        ).seq
        db.session.commit()
    client = as_persona("ward_admin")

    assert seqs(client.get("/audit?tu=02/10/2025&den=02/10/2025").get_data(as_text=True)) == [late]
    assert seqs(client.get("/audit?tu=01/10/2025&den=01/10/2025").get_data(as_text=True)) == []
    assert seqs(client.get("/audit?tu=2025-09-01&den=01/10/2025").get_data(as_text=True)) == [early]
    html = client.get("/audit?den=30/09/2025").get_data(as_text=True)
    assert seqs(html) == [early]
    assert "00:30 02/10/2025" in client.get("/audit?tu=02/10/2025").get_data(as_text=True)


@pytest.mark.parametrize(
    "query, message",
    [
        ("tu=31/02/2025", "Ngày “31/02/2025” không hợp lệ"),
        ("den=hôm qua", "Ngày “hôm qua” không hợp lệ"),
        ("tu=05/10/2025&den=01/10/2025", "“Đến ngày” phải từ “Từ ngày” trở về sau."),
    ],
)
def test_a_bad_date_is_explained_not_a_server_error(app, as_persona, query, message):
    response = as_persona("ward_admin").get(f"/audit?{query}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html and 'role="alert"' in html
    assert seqs(html) == []


@pytest.mark.parametrize(
    "query, message",
    [
        ("den=31/12/9999", "Ngày “31/12/9999” phải trong khoảng từ năm 2000 đến năm 2100."),
        ("tu=01/01/0001", "Ngày “01/01/0001” phải trong khoảng từ năm 2000 đến năm 2100."),
        ("tu=1999-12-31", "Ngày “1999-12-31” phải trong khoảng từ năm 2000 đến năm 2100."),
    ],
)
def test_a_date_outside_2000_to_2100_is_explained_not_a_server_error(app, as_persona, query, message):
    response = as_persona("ward_admin").get(f"/audit?{query}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html


@pytest.mark.parametrize(
    "query",
    [
        "truoc=",
        "truoc=99999999999999999999999",
        "sau=99999999999999999999999",
        "sau=-99999999999999999999",
        f"sau={2**31}",
        f"truoc={2**63}",
        "truoc=0",
        "sau=abc",
        "sau=١",
        "truoc=²",
    ],
)
def test_a_page_cursor_out_of_range_shows_the_newest_page(app, as_persona, query):
    client = as_persona("ward_admin")
    with app.app_context():
        newest = item_update(SCHOOL_A, "canbo-a", {"note": ""}, {"note": "mới nhất"}).seq
        db.session.commit()

    response = client.get(f"/audit?{query}")

    assert response.status_code == 200
    assert seqs(response.get_data(as_text=True))[0] == newest


def test_pages_follow_each_other_and_keep_the_filter(app, as_persona, monkeypatch):
    monkeypatch.setattr(services, "PAGE_SIZE", 3)
    with app.app_context():
        mine = [item_update(SCHOOL_A, "canbo-a", {"note": str(n)}, {"note": str(n + 1)}).seq for n in range(7)]
        item_update(SCHOOL_B, "canbo-b", {"note": ""}, {"note": "không thuộc bộ lọc"})
        db.session.commit()
    client = as_persona("ward_admin")

    url, shown, pages = f"/audit?truong={SCHOOL_A}&loai=item.update", [], []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(seqs(html))
        shown += pages[-1]
        found = re.search(r'<a href="([^"]+)" rel="next">Trang sau', html)
        url = found and found.group(1).replace("&amp;", "&")
        assert not url or (f"truong={SCHOOL_A}" in url and "loai=item.update" in url)
    assert shown == sorted(mine, reverse=True) and [len(p) for p in pages] == [3, 3, 1]

    back = re.search(r'<a href="([^"]+)" rel="prev">← Trang trước', html).group(1).replace("&amp;", "&")
    assert seqs(client.get(back).get_data(as_text=True)) == pages[1]


def test_htmx_filtering_returns_the_results_alone(app, as_persona):
    response = as_persona("ward_admin").get(
        f"/audit?truong={SCHOOL_A}", headers={"HX-Request": "true", "HX-Target": "audit-results"}
    )

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="audit-results"') and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_the_page_costs_the_same_queries_at_any_size(app, as_persona, count_queries):
    client = as_persona("ward_admin")

    def add_events(n):
        with app.app_context():
            school = _school(SCHOOL_A)
            plan = db.session.scalar(select(Plan))
            form = db.session.scalar(select(DeliveryForm).filter_by(plan_id=plan.id, code="2.2"))
            keys = db.session.scalars(select(ChecklistItem.key).where(ChecklistItem.school_id == school.id)).all()
            for i in range(n):
                item = _item(SCHOOL_A, keys[i % len(keys)])
                audit.record(
                    "item.update",
                    item,
                    before={"note": ""},
                    after={"note": f"{i}"},
                    school_id=school.id,
                    actor=_user("canbo-a"),
                )
                activity = Activity(school=school, plan=plan, form=form, title=f"Hoạt động {i}")
                db.session.add(activity)
                audit.record("activity.create", activity, after={"title": activity.title}, school_id=school.id)
            db.session.commit()

    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/audit").status_code == 200
        return counter.count

    add_events(2)
    small = queries()
    add_events(30)
    assert queries() == small


def test_office_staff_read_what_the_page_is_and_the_technical_details_stay_folded(app, as_persona):
    digest = "ab" * 32
    with app.app_context():
        item = _item()
        audit.record(
            "evidence.upload",
            item,
            school_id=item.school_id,
            actor=_user("canbo-a"),
            after={"name": "ke-hoach.pdf", "size": 190427, "sha256": digest, "restricted": False},
        )
        db.session.commit()

    html = as_persona("ward_admin").get("/audit").get_data(as_text=True)

    assert "Trang này cho biết ai đã làm gì trong hệ thống" in html
    folded = re.findall(r'<details class="tech-details">.*?</details>', html, re.S)
    unfolded = re.sub(r'<details class="tech-details">.*?</details>', "", html, flags=re.S)
    assert "flask --app aiplan verify" in folded[0] and "Chi tiết kỹ thuật" in folded[0]
    assert any(digest in part and "190427" in part for part in folded)
    assert digest not in unfolded and "190427" not in unfolded and "flask --app" not in unfolded
    assert "ke-hoach.pdf" in unfolded


def test_the_date_filters_are_date_pickers_that_keep_a_typed_day(as_persona):
    html = as_persona("ward_admin").get("/audit?tu=05/09/2025&den=2026-01-17").get_data(as_text=True)
    assert re.search(r'<input type="date" id="audit-tu" name="tu" value="2025-09-05"', html)
    assert re.search(r'<input type="date" id="audit-den" name="den" value="2026-01-17"', html)

"""Ward admins keep the ward's schools: list, add, edit, deactivate; nobody else, and never another ward's."""

import html
import re

import pytest
from helpers import SCHOOL_A, AuthActions, text_of
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, Plan, School, SchoolLevel, Ward

NEW_SCHOOL = {"slug": "th-ngoc-thuy", "name": "Trường Tiểu học Ngọc Thụy", "level": "tieu_hoc", "is_active": "y"}


def school(slug) -> School | None:
    return db.session.scalar(select(School).filter_by(slug=slug))


def version_of(client, url) -> str:
    """The fingerprint the edit form carries, as a browser would send it back."""
    page = client.get(url).get_data(as_text=True)
    return html.unescape(re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def other_ward_school(app) -> None:
    with app.app_context():
        other = Ward(
            slug="viet-hung",
            name="Phường Việt Hưng",
            city="Thành phố Hà Nội",
            authority="UBND phường Việt Hưng",
            office="Phòng Văn hóa - Xã hội",
        )
        db.session.add(
            School(ward=other, slug="th-viet-hung", name="Trường Tiểu học Việt Hưng", level=SchoolLevel.TIEU_HOC)
        )
        db.session.commit()


def test_the_list_shows_every_school_of_the_ward_with_level_pilot_and_active(app, as_persona):
    with app.app_context():
        school("th-cu-khoi").is_active = False
        db.session.commit()

    response = as_persona("ward_admin").get("/admin/schools")
    page = text_of(response)

    assert "<h1>Trường học</h1>" in response.get_data(as_text=True)
    row = re.search(r"Trường Tiểu học Đoàn Kết th-doan-ket Tiểu học (\S+) (\S+)", page)
    assert row.groups() == ("Có", "Có")
    row = re.search(r"Trường Tiểu học Cự Khối th-cu-khoi Tiểu học (\S+) (\S+) Hoạt động lại", page)
    assert row.groups() == ("Không", "Không")
    assert page.count("Ngừng hoạt động") == 7


def test_the_list_runs_the_same_queries_for_8_and_for_60_schools(app, as_persona, count_queries):
    client = as_persona("ward_admin")
    with count_queries() as small:
        assert client.get("/admin/schools").status_code == 200
    with app.app_context():
        ward = db.session.scalar(select(Ward))
        db.session.add_all(
            School(ward=ward, slug=f"th-so-{n}", name=f"Trường số {n}", level=SchoolLevel.TIEU_HOC) for n in range(52)
        )
        db.session.commit()
    with count_queries() as large:
        page = client.get("/admin/schools")
    assert "Trường số 51" in text_of(page)
    assert large.count == small.count, large.statements


def test_an_admin_adds_a_school_with_its_checklist_and_an_audit_record(app, as_persona):
    admin = as_persona("ward_admin")
    events = count(app, AuditEvent)

    response = admin.post("/admin/schools/new", data=NEW_SCHOOL)

    assert response.status_code == 303
    list_page = text_of(admin.get(response.location))
    assert "Đã thêm trường Trường Tiểu học Ngọc Thụy." in list_page
    assert "Trường Tiểu học Ngọc Thụy th-ngoc-thuy Tiểu học Không Có" in list_page
    with app.app_context():
        added = school("th-ngoc-thuy")
        assert (added.name, added.level, added.is_active, added.is_pilot) == (
            "Trường Tiểu học Ngọc Thụy",
            SchoolLevel.TIEU_HOC,
            True,
            False,
        )
        assert db.session.scalar(select(func.count()).select_from(ChecklistItem).filter_by(school_id=added.id)) > 0
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert (event.action, event.after["slug"], event.actor_name) == ("school.create", "th-ngoc-thuy", "admin")
    assert count(app, AuditEvent) == events + 1


def test_a_slug_already_taken_is_refused_and_nothing_changes(app, as_persona):
    admin = as_persona("ward_admin")
    schools, events = count(app, School), count(app, AuditEvent)

    response = admin.post("/admin/schools/new", data=NEW_SCHOOL | {"slug": SCHOOL_A})

    assert response.status_code == 422
    assert f"Mã '{SCHOOL_A}' đã được dùng cho một trường khác; hãy chọn mã khác." in text_of(response)
    assert 'aria-describedby="slug-hint slug-error"' in response.get_data(as_text=True)
    assert (count(app, School), count(app, AuditEvent)) == (schools, events)
    with app.app_context():
        assert school(SCHOOL_A).name == "Trường Tiểu học Đoàn Kết"


def test_a_slug_of_another_ward_is_free_in_this_one(app, as_persona, other_ward_school):
    # Slugs are unique per ward (a school's city-wide key is its code): another ward's is no conflict.
    response = as_persona("ward_admin").post("/admin/schools/new", data=NEW_SCHOOL | {"slug": "th-viet-hung"})

    assert response.status_code == 303
    with app.app_context():
        names = set(db.session.scalars(select(School.name).filter_by(slug="th-viet-hung")))
        assert names == {"Trường Tiểu học Việt Hưng", NEW_SCHOOL["name"]}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"slug": "th ngọc thụy"}, "Mã trường chỉ gồm chữ thường không dấu, số và dấu '-'"),
        ({"slug": ""}, "Nhập mã trường."),
        ({"name": "  "}, "Nhập tên trường."),
        ({"name": '=HYPERLINK("http://x")'}, "Không được bắt đầu bằng =, +, - hoặc @."),
        ({"level": "mam_non"}, "Not a valid choice"),
    ],
    ids=["slug-accents", "slug-empty", "name-empty", "name-formula", "level"],
)
def test_a_bad_school_is_refused_with_the_reason_beside_its_field(app, as_persona, changes, message):
    schools = count(app, School)

    response = as_persona("ward_admin").post("/admin/schools/new", data=NEW_SCHOOL | changes)

    assert response.status_code == 422
    assert message in text_of(response)
    assert count(app, School) == schools


def test_a_slug_typed_in_capitals_is_kept_in_lowercase(app, as_persona):
    as_persona("ward_admin").post("/admin/schools/new", data=NEW_SCHOOL | {"slug": " TH-Ngoc-Thuy "})
    with app.app_context():
        assert school("th-ngoc-thuy") is not None


def test_editing_a_school_changes_it_applies_the_pilot_flag_and_keeps_its_slug(app, as_persona):
    admin = as_persona("ward_admin")
    response = admin.post(
        "/admin/schools/th-long-bien/edit",
        data={
            "slug": "doi-ma",
            "name": "Trường Tiểu học Long Biên (cơ sở 2)",
            "level": "tieu_hoc",
            "is_pilot": "y",
            "is_active": "y",
            "version": version_of(admin, "/admin/schools/th-long-bien/edit"),
        },
    )

    assert response.status_code == 303
    with app.app_context():
        edited = school("th-long-bien")
        assert (edited.name, edited.is_pilot) == ("Trường Tiểu học Long Biên (cơ sở 2)", True)
        assert school("doi-ma") is None
        plan = db.session.scalar(select(Plan))
        assert edited in plan.pilot_schools
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert event.action == "school.update"
        assert (event.before["is_pilot"], event.after["is_pilot"]) == (False, True)


def test_the_edit_page_shows_the_slug_but_no_field_to_change_it(app, as_persona):
    page = as_persona("ward_admin").get(f"/admin/schools/{SCHOOL_A}/edit").get_data(as_text=True)
    assert "Sửa thông tin trường" in page and SCHOOL_A in page
    assert 'name="slug"' not in page
    assert 'value="Trường Tiểu học Đoàn Kết"' in page


def test_deactivating_a_school_takes_it_off_the_followed_list_and_reactivating_brings_it_back(app, as_persona):
    admin = as_persona("ward_admin")

    assert admin.post("/admin/schools/th-cu-khoi/active", data={"active": "0"}).status_code == 303

    with app.app_context():
        assert school("th-cu-khoi").is_active is False
    assert "Trường Tiểu học Cự Khối đã ngừng hoạt động." in text_of(admin.get("/admin/schools"))
    assert 'href="/schools/th-cu-khoi"' not in admin.get("/schools").get_data(as_text=True)
    assert "Trường Tiểu học Cự Khối" in text_of(admin.get("/admin/schools"))

    admin.post("/admin/schools/th-cu-khoi/active", data={"active": "1"})

    with app.app_context():
        assert school("th-cu-khoi").is_active is True
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(2)).all()
        assert actions == ["school.update", "school.update"]
    assert 'href="/schools/th-cu-khoi"' in admin.get("/schools").get_data(as_text=True)


def test_setting_active_twice_changes_nothing_the_second_time(app, as_persona):
    admin = as_persona("ward_admin")
    admin.post(f"/admin/schools/{SCHOOL_A}/active", data={"active": "0"})
    events = count(app, AuditEvent)
    admin.post(f"/admin/schools/{SCHOOL_A}/active", data={"active": "0"})
    assert count(app, AuditEvent) == events
    admin.post(f"/admin/schools/{SCHOOL_A}/active", data={"active": "1"})
    assert count(app, AuditEvent) == events + 1
    admin.post(f"/admin/schools/{SCHOOL_A}/active", data={"active": "1"})
    assert count(app, AuditEvent) == events + 1


def test_a_value_other_than_0_or_1_is_a_bad_request(app, as_persona):
    response = as_persona("ward_admin").post(f"/admin/schools/{SCHOOL_A}/active", data={"active": "toggle"})
    assert response.status_code == 400


def test_a_school_of_another_ward_is_not_found_and_stays_as_it_was(app, as_persona, other_ward_school):
    admin = as_persona("ward_admin")

    assert admin.get("/admin/schools/th-viet-hung/edit").status_code == 404
    assert admin.post("/admin/schools/th-viet-hung/edit", data={"name": "Đổi tên", "level": "thcs"}).status_code == 404
    assert admin.post("/admin/schools/th-viet-hung/active", data={"active": "0"}).status_code == 404
    assert "Trường Tiểu học Việt Hưng" not in text_of(admin.get("/admin/schools"))
    with app.app_context():
        other = school("th-viet-hung")
        assert (other.name, other.level, other.is_active) == ("Trường Tiểu học Việt Hưng", SchoolLevel.TIEU_HOC, True)


@pytest.mark.parametrize("persona", ["staff_a", "supervisor", "viewer"])
def test_only_ward_admins_add_or_edit_schools(app, as_persona, persona):
    client = as_persona(persona)
    schools = count(app, School)

    assert client.post("/admin/schools/new", data=NEW_SCHOOL).status_code == 403
    assert client.post(f"/admin/schools/{SCHOOL_A}/edit", data={"name": "Đổi tên", "level": "thcs"}).status_code == 403

    assert count(app, School) == schools
    with app.app_context():
        assert school(SCHOOL_A).name == "Trường Tiểu học Đoàn Kết"


def test_an_anonymous_visitor_posting_is_sent_to_sign_in(app, as_persona):
    response = as_persona(None).post("/admin/schools/new", data=NEW_SCHOOL)
    assert response.status_code == 302 and response.location.startswith("/login")
    with app.app_context():
        assert school("th-ngoc-thuy") is None


def test_when_two_admins_edit_a_school_the_second_save_is_refused_and_shown_the_first(app, as_persona):
    first, second = as_persona("ward_admin"), app.test_client()
    AuthActions(second).login("ward_admin")  # a second tab, or a second admin: the same race
    url = f"/admin/schools/{SCHOOL_A}/edit"
    first_version, second_version = version_of(first, url), version_of(second, url)
    form = {"level": "tieu_hoc", "is_pilot": "y", "is_active": "y"}

    saved = first.post(url, data=form | {"name": "Trường Tiểu học Đoàn Kết (cơ sở 1)", "version": first_version})
    events = count(app, AuditEvent)
    refused = second.post(url, data=form | {"name": "Trường TH Đoàn Kết", "version": second_version})

    assert saved.status_code == 303
    assert refused.status_code == 409
    page = text_of(refused)
    assert "Người khác vừa sửa thông tin trường này; đây là nội dung mới nhất" in page
    assert "Tên trường Trường Tiểu học Đoàn Kết (cơ sở 1)" in page
    assert 'value="Trường TH Đoàn Kết"' in refused.get_data(as_text=True)
    assert count(app, AuditEvent) == events
    with app.app_context():
        assert school(SCHOOL_A).name == "Trường Tiểu học Đoàn Kết (cơ sở 1)"


def test_a_school_stopped_after_its_form_was_shown_is_not_restarted_by_saving_that_form(app, as_persona):
    admin = as_persona("ward_admin")
    url = f"/admin/schools/{SCHOOL_A}/edit"
    version = version_of(admin, url)
    admin.post(f"/admin/schools/{SCHOOL_A}/active", data={"active": "0"})

    response = admin.post(
        url,
        data={
            "name": "Trường Tiểu học Đoàn Kết",
            "level": "tieu_hoc",
            "is_pilot": "y",
            "is_active": "y",
            "version": version,
        },
    )

    assert response.status_code == 409
    assert "Đang hoạt động Không" in text_of(response)
    with app.app_context():
        assert school(SCHOOL_A).is_active is False

"""Ward admins keep the ward's accounts: create with a one-time password, edit, lock, reset a
password; the ward never loses its last active admin, and another ward's accounts are out of reach."""

import html
import json
import re
from datetime import UTC, datetime

import pytest
from helpers import PASSWORD, SCHOOL_A, SCHOOL_B, text_of
from sqlalchemy import func, select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import AuditEvent, Role, School, SchoolLevel, User, Ward

NEW_ACCOUNT = {"username": "nguyen.thi.hoa", "full_name": "Nguyễn Thị Hoa", "role": "school_staff", "is_enabled": "y"}


def user(username) -> User | None:
    return db.session.scalar(select(User).filter_by(username=username))


def user_id(app, username) -> int:
    with app.app_context():
        return user(username).id


def school_id(app, slug) -> int:
    with app.app_context():
        return db.session.scalar(select(School.id).filter_by(slug=slug))


def events(app) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def shown_password(response) -> str:
    return re.search(r'<code class="one-time-password">([^<]+)</code>', response.get_data(as_text=True)).group(1)


def login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def version_of(client, url) -> str:
    """The fingerprint the edit form carries, as a browser would send it back."""
    page = client.get(url).get_data(as_text=True)
    return html.unescape(re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1))


def edit(client, url, data):
    """Post the account form as a browser does: loaded first, then sent with its fingerprint."""
    return client.post(url, data=data | {"version": version_of(client, url)})


def test_the_list_shows_each_account_with_role_school_state_and_last_sign_in_in_hanoi_time(app, as_persona):
    with app.app_context():
        user("canbo-b").is_enabled = False
        user("canbo-a").full_name = "Trần Văn An"
        user("canbo-a").last_login_at = datetime(2026, 3, 15, 1, 30, tzinfo=UTC)
        db.session.commit()

    response = as_persona("ward_admin").get("/admin/accounts")

    page = text_of(response)
    assert "<h1>Tài khoản</h1>" in response.get_data(as_text=True)
    assert "canbo-a Trần Văn An Cán bộ nhà trường Trường Tiểu học Đoàn Kết Đang hoạt động 08:30 15/03/2026" in page
    assert "canbo-b Cán bộ nhà trường Trường THCS Thạch Bàn Đã khóa Chưa đăng nhập" in page
    assert "giamsat Thành viên đoàn kiểm tra" in page and "lanhdao Lãnh đạo (xem)" in page


def test_the_list_runs_the_same_queries_for_5_and_for_80_accounts(app, as_persona, count_queries):
    client = as_persona("ward_admin")
    with count_queries() as small:
        assert client.get("/admin/accounts").status_code == 200
    with app.app_context():
        ward, school = db.session.scalar(select(Ward)), db.session.scalar(select(School).filter_by(slug=SCHOOL_B))
        db.session.add_all(
            User(username=f"canbo-{n}", role=Role.SCHOOL_STAFF, ward=ward, school=school, password_hash="x")
            for n in range(75)
        )
        db.session.commit()
    with count_queries() as large:
        page = client.get("/admin/accounts")
    assert "canbo-74" in text_of(page)
    assert large.count == small.count, large.statements


def test_a_new_account_gets_a_temporary_password_shown_once_that_must_be_changed(app, as_persona):
    admin = as_persona("ward_admin")

    response = admin.post("/admin/accounts/new", data=NEW_ACCOUNT | {"school": school_id(app, SCHOOL_A)})

    assert response.status_code == 200
    assert "Đã tạo tài khoản" in text_of(response) and "chỉ hiện một lần" in text_of(response)
    password = shown_password(response)
    with app.app_context():
        created = user("nguyen.thi.hoa")
        assert (created.full_name, created.role, created.school.slug, created.must_change_password) == (
            "Nguyễn Thị Hoa",
            Role.SCHOOL_STAFF,
            SCHOOL_A,
            True,
        )
    assert password not in admin.get("/admin/accounts").get_data(as_text=True)
    assert all(password not in json.dumps([e.before, e.after], ensure_ascii=False) for e in events(app))
    assert events(app)[-1].action == "user.create"
    newcomer = app.test_client()
    assert login(newcomer, "nguyen.thi.hoa", password).location.startswith("/account/password")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"school": "0"}, "school", "Tài khoản cán bộ nhà trường phải gắn với một trường: chọn trường."),
        (
            {"role": "supervisor", "school": "SCHOOL_A"},
            "school",
            "Chỉ tài khoản cán bộ nhà trường mới gắn với một trường",
        ),
        ({"school": "OTHER_WARD"}, "school", "Chọn một trường trong danh sách."),
        (
            {"username": "canbo-a", "school": "SCHOOL_A"},
            "username",
            "Tên đăng nhập 'canbo-a' đã có; hãy chọn tên khác.",
        ),
        ({"username": "nguyễn hoa", "school": "SCHOOL_A"}, "username", "Tên đăng nhập chỉ gồm chữ thường không dấu"),
        ({"full_name": "", "school": "SCHOOL_A"}, "full_name", "Nhập họ tên."),
        ({"full_name": "@SUM(1)", "school": "SCHOOL_A"}, "full_name", "Không được bắt đầu bằng =, +, - hoặc @."),
        ({"role": "superuser", "school": "SCHOOL_A"}, "role", "Not a valid choice"),
    ],
    ids=[
        "staff-without-school",
        "supervisor-with-school",
        "school-of-another-ward",
        "username-taken",
        "username-accents",
        "no-name",
        "formula-name",
        "unknown-role",
    ],
)
def test_an_account_that_does_not_fit_is_refused_beside_its_field_and_not_created(
    app, as_persona, changes, field, message
):
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
    ids = {"SCHOOL_A": school_id(app, SCHOOL_A), "OTHER_WARD": school_id(app, "th-viet-hung")}
    data = NEW_ACCOUNT | {key: ids.get(value, value) for key, value in changes.items()}
    with app.app_context():
        accounts = db.session.scalar(select(func.count(User.id)))

    response = as_persona("ward_admin").post("/admin/accounts/new", data=data)

    assert response.status_code == 422
    assert message in text_of(response)
    described = f"{field}-hint {field}-error" if field in ("username", "school") else f"{field}-error"
    assert f'aria-describedby="{described}"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == accounts


def test_editing_an_account_changes_name_role_and_school_with_an_audit_record(app, as_persona):
    response = edit(
        as_persona("ward_admin"),
        f"/admin/accounts/{user_id(app, 'canbo-a')}",
        {"full_name": "Lê Văn Bình", "role": "school_staff", "school": school_id(app, SCHOOL_B), "is_enabled": "y"},
    )

    assert response.status_code == 303
    with app.app_context():
        edited = user("canbo-a")
        assert (edited.full_name, edited.role, edited.school.slug, edited.is_enabled) == (
            "Lê Văn Bình",
            Role.SCHOOL_STAFF,
            SCHOOL_B,
            True,
        )
    event = events(app)[-1]
    assert event.action == "user.update"
    assert (event.before["school"], event.after["school"]) == (SCHOOL_A, SCHOOL_B)


def test_the_username_cannot_be_changed_by_the_edit_form(app, as_persona):
    edit(
        as_persona("ward_admin"),
        f"/admin/accounts/{user_id(app, 'lanhdao')}",
        {"username": "doi-ten", "full_name": "Lãnh đạo UBND", "role": "viewer", "school": "0", "is_enabled": "y"},
    )
    with app.app_context():
        assert user("lanhdao").full_name == "Lãnh đạo UBND"
        assert user("doi-ten") is None


def test_locking_an_account_ends_its_open_session_at_once(app, as_persona):
    staff = as_persona("staff_a")
    assert staff.get(f"/schools/{SCHOOL_A}").status_code == 200

    admin = as_persona("ward_admin")

    response = admin.post(f"/admin/accounts/{user_id(app, 'canbo-a')}/enabled", data={"enabled": "0"})

    assert response.status_code == 303
    next_request = staff.get(f"/schools/{SCHOOL_A}")
    assert next_request.status_code == 302 and next_request.location.startswith("/login")
    assert login(app.test_client(), "canbo-a", PASSWORD).status_code == 401
    assert events(app)[-1].action == "user.disable"


def test_unticking_active_in_the_edit_form_also_ends_the_session(app, as_persona):
    viewer = as_persona("viewer")

    edit(
        as_persona("ward_admin"),
        f"/admin/accounts/{user_id(app, 'lanhdao')}",
        {"full_name": "Lãnh đạo", "role": "viewer", "school": "0"},
    )

    assert viewer.get("/schools").location.startswith("/login")
    with app.app_context():
        assert user("lanhdao").is_enabled is False


def test_unlocking_lets_the_account_sign_in_again(app, as_persona):
    admin = as_persona("ward_admin")
    admin.post(f"/admin/accounts/{user_id(app, 'canbo-b')}/enabled", data={"enabled": "0"})

    admin.post(f"/admin/accounts/{user_id(app, 'canbo-b')}/enabled", data={"enabled": "1"})

    assert login(app.test_client(), "canbo-b", PASSWORD).status_code == 302
    assert [e.action for e in events(app)[-3:-1]] == ["user.disable", "user.enable"]


def test_the_last_active_ward_admin_cannot_lock_or_demote_themselves(app, as_persona):
    admin = as_persona("ward_admin")
    admin_id = user_id(app, "admin")

    locked = admin.post(f"/admin/accounts/{admin_id}/enabled", data={"enabled": "0"}, follow_redirects=True)
    demoted = edit(
        admin,
        f"/admin/accounts/{admin_id}",
        {"full_name": "Quản trị", "role": "viewer", "school": "0", "is_enabled": "y"},
    )
    unticked = edit(
        admin, f"/admin/accounts/{admin_id}", {"full_name": "Quản trị", "role": "ward_admin", "school": "0"}
    )

    message = "Phường cần ít nhất một tài khoản “Cán bộ Phòng VHXH” đang hoạt động"
    assert message in text_of(locked)
    assert demoted.status_code == unticked.status_code == 422
    assert message in text_of(demoted) and message in text_of(unticked)
    with app.app_context():
        kept = user("admin")
        assert (kept.role, kept.is_enabled, kept.full_name) == (Role.WARD_ADMIN, True, "")
    assert admin.get("/admin/accounts").status_code == 200


def test_a_locked_second_admin_does_not_count_but_an_active_one_lets_the_first_step_down(app, as_persona):
    with app.app_context():
        second = create_user("admin2", Role.WARD_ADMIN, PASSWORD, ward=db.session.scalar(select(Ward)))
        second.is_enabled = False
        db.session.commit()
    admin = as_persona("ward_admin")
    admin_id = user_id(app, "admin")
    data = {"full_name": "Quản trị", "role": "viewer", "school": "0", "is_enabled": "y"}

    assert edit(admin, f"/admin/accounts/{admin_id}", data).status_code == 422

    admin.post(f"/admin/accounts/{user_id(app, 'admin2')}/enabled", data={"enabled": "1"})
    assert edit(admin, f"/admin/accounts/{admin_id}", data).status_code == 303
    with app.app_context():
        assert user("admin").role is Role.VIEWER
    assert admin.get("/admin/accounts").status_code == 403  # a viewer now


def test_resetting_a_password_shows_a_new_one_once_ends_sessions_and_forces_a_change(app, as_persona):
    staff = as_persona("staff_b")
    admin = as_persona("ward_admin")

    response = admin.post(f"/admin/accounts/{user_id(app, 'canbo-b')}/password")

    assert response.status_code == 200 and "Đã đặt lại mật khẩu" in text_of(response)
    password = shown_password(response)
    assert staff.get(f"/schools/{SCHOOL_B}").location.startswith("/login")
    assert login(app.test_client(), "canbo-b", PASSWORD).status_code == 401
    newcomer = app.test_client()
    assert login(newcomer, "canbo-b", password).location.startswith("/account/password")
    assert newcomer.get(f"/schools/{SCHOOL_B}").location.startswith("/account/password")
    event = [e for e in events(app) if e.action == "user.reset_password"][-1]
    assert (event.before, event.after) == (None, None)


def test_an_admin_changes_their_own_password_on_the_password_page_not_by_a_reset(app, as_persona):
    admin = as_persona("ward_admin")
    response = admin.post(f"/admin/accounts/{user_id(app, 'admin')}/password")
    assert response.status_code == 303 and response.location == "/account/password"
    assert login(app.test_client(), "admin", PASSWORD).status_code == 302


def test_an_account_of_another_ward_is_not_found_and_stays_as_it_was(app, as_persona):
    with app.app_context():
        other = Ward(
            slug="viet-hung",
            name="Phường Việt Hưng",
            city="Thành phố Hà Nội",
            authority="UBND phường Việt Hưng",
            office="Phòng Văn hóa - Xã hội",
        )
        db.session.add(other)
        stranger = create_user("admin-viet-hung", Role.WARD_ADMIN, PASSWORD, ward=other)
        stranger_id, stranger_hash = stranger.id, stranger.password_hash
    admin = as_persona("ward_admin")

    assert admin.get(f"/admin/accounts/{stranger_id}").status_code == 404
    assert (
        admin.post(
            f"/admin/accounts/{stranger_id}", data={"full_name": "X", "role": "viewer", "school": "0"}
        ).status_code
        == 404
    )
    assert admin.post(f"/admin/accounts/{stranger_id}/enabled", data={"enabled": "0"}).status_code == 404
    assert admin.post(f"/admin/accounts/{stranger_id}/password").status_code == 404
    assert "admin-viet-hung" not in text_of(admin.get("/admin/accounts"))
    with app.app_context():
        kept = user("admin-viet-hung")
        assert (kept.role, kept.is_enabled, kept.password_hash, kept.full_name) == (
            Role.WARD_ADMIN,
            True,
            stranger_hash,
            "",
        )


@pytest.mark.parametrize("persona", ["staff_a", "supervisor", "viewer"])
def test_only_ward_admins_create_or_edit_accounts(app, as_persona, persona):
    client = as_persona(persona)

    new_account = NEW_ACCOUNT | {"school": school_id(app, SCHOOL_A)}
    assert client.post("/admin/accounts/new", data=new_account).status_code == 403
    assert (
        client.post(
            f"/admin/accounts/{user_id(app, 'canbo-b')}",
            data={"full_name": "X", "role": "ward_admin", "school": "0", "is_enabled": "y"},
        ).status_code
        == 403
    )

    with app.app_context():
        assert user("nguyen.thi.hoa") is None
        assert user("canbo-b").role is Role.SCHOOL_STAFF


def second_admin(app) -> None:
    with app.app_context():
        create_user("admin2", Role.WARD_ADMIN, PASSWORD, ward=db.session.scalar(select(Ward)))


def test_when_two_admins_edit_an_account_the_second_save_is_refused_and_shown_the_first(app, as_persona):
    second_admin(app)
    first, second = as_persona("ward_admin"), app.test_client()
    assert login(second, "admin2", PASSWORD).status_code == 302
    url = f"/admin/accounts/{user_id(app, 'canbo-a')}"
    first_version, second_version = version_of(first, url), version_of(second, url)
    form = {"role": "school_staff", "school": school_id(app, SCHOOL_A), "is_enabled": "y"}

    saved = first.post(url, data=form | {"full_name": "Trần Văn An", "version": first_version})
    events_after_first = len(events(app))
    refused = second.post(url, data=form | {"full_name": "Trần Văn Anh", "version": second_version})

    assert saved.status_code == 303
    assert refused.status_code == 409
    page = text_of(refused)
    assert "Người khác vừa sửa tài khoản này; đây là nội dung mới nhất" in page
    assert "Họ tên Trần Văn An" in page  # what is stored now
    assert 'value="Trần Văn Anh"' in refused.get_data(as_text=True)  # what the second admin typed, kept
    with app.app_context():
        assert user("canbo-a").full_name == "Trần Văn An"
    assert len(events(app)) == events_after_first

    again = second.post(
        url,
        data=form
        | {
            "full_name": "Trần Văn Anh",
            "version": re.search(r'name="version" type="hidden" value="([^"]*)"', refused.get_data(as_text=True)).group(
                1
            ),
        },
    )
    assert again.status_code == 303  # saved knowingly, over the change now seen
    with app.app_context():
        assert user("canbo-a").full_name == "Trần Văn Anh"


def test_an_account_locked_after_its_form_was_shown_is_not_unlocked_by_saving_that_form(app, as_persona):
    admin = as_persona("ward_admin")
    url = f"/admin/accounts/{user_id(app, 'canbo-b')}"
    version = version_of(admin, url)
    admin.post(f"{url}/enabled", data={"enabled": "0"})

    response = admin.post(
        url,
        data={
            "full_name": "Cán bộ B",
            "role": "school_staff",
            "is_enabled": "y",
            "school": school_id(app, SCHOOL_B),
            "version": version,
        },
    )

    assert response.status_code == 409
    assert "Đang hoạt động (được đăng nhập) Không" in text_of(response)
    with app.app_context():
        assert (user("canbo-b").is_enabled, user("canbo-b").full_name) == (False, "")


def test_an_account_form_sent_without_its_fingerprint_changes_nothing(app, as_persona):
    response = as_persona("ward_admin").post(
        f"/admin/accounts/{user_id(app, 'lanhdao')}",
        data={"full_name": "Lãnh đạo UBND", "role": "viewer", "school": "0", "is_enabled": "y"},
    )

    assert response.status_code == 422
    assert "phiên bản dữ liệu" in response.get_data(as_text=True)
    with app.app_context():
        assert user("lanhdao").full_name == ""

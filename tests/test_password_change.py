"""Changing one's own password (/account/password): required before anything else after a reset
or a new account, open to everyone otherwise; other sessions end, this one stays signed in."""

import pytest
from helpers import PASSWORD, SCHOOL_A, text_of
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, School, User

NEW_PASSWORD = "mot cau de nho 2026"


def user(username) -> User:
    return db.session.scalar(select(User).filter_by(username=username))


def login(client, username="canbo-a", password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None, **extra):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
            **extra,
        },
    )


@pytest.fixture
def must_change(app):
    """School A's staff account holds a temporary password."""
    with app.app_context():
        user("canbo-a").must_change_password = True
        db.session.commit()


def test_signing_in_with_a_temporary_password_leads_to_the_change_page(app, must_change):
    client = app.test_client()

    response = login(client)

    assert response.status_code == 302 and response.location.startswith("/account/password")
    page = client.get(response.location)
    assert "Đổi mật khẩu" in text_of(page)
    assert "Tài khoản của bạn đang dùng mật khẩu tạm thời" in text_of(page)


@pytest.mark.parametrize("url", ["/", f"/schools/{SCHOOL_A}", "/plan", f"/schools/{SCHOOL_A}/activities"])
def test_every_page_sends_a_user_with_a_temporary_password_to_change_it(app, must_change, url):
    client = app.test_client()
    login(client)

    response = client.get(url)

    assert response.status_code == 302
    assert response.location.startswith("/account/password?next=")


def test_a_write_waits_for_the_change_too_and_changes_nothing(app, must_change):
    client = app.test_client()
    login(client)
    with app.app_context():
        item = db.session.scalar(
            select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == "m3")
        )
        item_id, status = item.id, item.status

    response = client.post(f"/schools/{SCHOOL_A}/items/{item_id}", data={"status": "da_hoan_thanh", "version": "1"})

    assert response.status_code == 302 and response.location == "/account/password"
    with app.app_context():
        assert db.session.get(ChecklistItem, item_id).status == status


def test_htmx_requests_are_redirected_by_header(app, must_change):
    client = app.test_client()
    login(client)
    response = client.get("/schools", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/account/password")


def test_the_health_check_and_signing_out_still_work(app, must_change):
    client = app.test_client()
    login(client)
    assert client.get("/healthz").status_code == 200
    assert client.post("/logout").location == "/login"
    assert client.get("/account/password").location.startswith("/login")


def test_a_new_password_ends_the_forced_change_keeps_this_session_and_ends_the_others(app, must_change):
    elsewhere = app.test_client()
    login(elsewhere)
    client = app.test_client()
    login(client)

    response = change(client, next=f"/schools/{SCHOOL_A}/activities")

    assert response.status_code == 303 and response.location == f"/schools/{SCHOOL_A}/activities"
    assert "Đã đổi mật khẩu" in text_of(client.get(response.location))
    assert client.get(f"/schools/{SCHOOL_A}").status_code == 200
    assert elsewhere.get(f"/schools/{SCHOOL_A}").location.startswith("/login")
    with app.app_context():
        assert user("canbo-a").must_change_password is False
    assert login(app.test_client(), password=PASSWORD).status_code == 401
    assert login(app.test_client(), password=NEW_PASSWORD).location == "/"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="user.change_password"))
        assert (event.actor_name, event.before, event.after) == ("canbo-a", None, None)


def test_anyone_may_change_their_password_when_they_choose(app, as_persona):
    client = as_persona("supervisor")
    assert "Đổi mật khẩu" in text_of(client.get("/account/password"))

    response = change(client)

    assert response.status_code == 303 and response.location == "/"
    assert login(app.test_client(), "giamsat", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "current, new, confirm, message",
    [
        ("sai-mat-khau-roi", NEW_PASSWORD, None, "Mật khẩu hiện tại không đúng."),
        (PASSWORD, "ngan-qua", None, "Mật khẩu cần ít nhất 10 ký tự."),
        (PASSWORD, NEW_PASSWORD, "mot cau khac han", "Hai lần nhập mật khẩu mới không khớp nhau."),
        (PASSWORD, PASSWORD, None, "Mật khẩu mới phải khác mật khẩu hiện tại."),
        ("", NEW_PASSWORD, None, "Nhập mật khẩu hiện tại."),
    ],
    ids=["wrong-current", "too-short", "mismatch", "unchanged", "no-current"],
)
def test_a_refused_change_says_why_beside_the_field_and_keeps_the_old_password(
    app, must_change, current, new, confirm, message
):
    client = app.test_client()
    login(client)

    response = change(client, current, new, confirm)

    assert response.status_code == 422
    assert message in text_of(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert user("canbo-a").must_change_password is True
    assert login(app.test_client()).status_code == 302
    assert client.get("/").location.startswith("/account/password")


def test_guessing_the_current_password_is_rate_limited(app, as_persona):
    client = as_persona("staff_a")
    answers = [change(client, current=f"doan-sai-lan-{n}").status_code for n in range(6)]
    assert answers == [422] * 5 + [429]


def test_the_next_address_must_stay_inside_the_app(app, must_change):
    client = app.test_client()
    login(client)
    assert change(client, next="//evil.example/x").location == "/"


def test_an_anonymous_visitor_posting_is_sent_to_sign_in(app):
    response = change(app.test_client())
    assert response.status_code == 302 and response.location.startswith("/login")

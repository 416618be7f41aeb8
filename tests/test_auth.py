"""Signing in: docs/security.md lines 5, 7–11."""

import re

import pytest
from helpers import PASSWORD, PERSONAS, SCHOOL_A
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import AuditEvent, User


def _user(username):
    return db.session.scalar(select(User).filter_by(username=username))


def test_staff_sign_in_and_land_on_their_own_school(client, auth):
    response = auth.login("staff_a")
    assert response.status_code == 302
    home = client.get(response.location, follow_redirects=True)
    assert home.request.path == f"/schools/{SCHOOL_A}"
    assert "Trường Tiểu học Đoàn Kết" in home.get_data(as_text=True)


@pytest.mark.parametrize("persona", ["ward_admin", "viewer"])
def test_ward_roles_land_on_the_school_list(client, auth, persona):
    auth.login(persona)
    assert client.get("/", follow_redirects=True).request.path == "/schools"


def test_supervisors_land_on_their_inspections(client, auth):
    auth.login("supervisor")
    assert client.get("/", follow_redirects=True).request.path == "/inspections"


def test_the_username_is_not_case_sensitive(client):
    response = client.post("/login", data={"username": "  CanBo-A ", "password": PASSWORD})
    assert response.status_code == 302


def _failure(client, username, password):
    response = client.post("/login", data={"username": username, "password": password})
    body = response.get_data(as_text=True)
    # The form echoes the username typed; compare everything else.
    return response.status_code, body.replace(username, "USERNAME")


def test_every_login_failure_looks_the_same(app, client):
    with app.app_context():
        _user("canbo-b").is_enabled = False
        db.session.commit()
    unknown = _failure(client, "khong-co-ai", PASSWORD)
    wrong_password = _failure(client, "canbo-a", "sai-mat-khau-roi")
    disabled = _failure(client, "canbo-b", PASSWORD)
    assert unknown[0] == wrong_password[0] == disabled[0] == 401
    # CSRF tokens carry a timestamp, so two pages a second apart differ there.
    strip = lambda html: re.sub(  # noqa: E731
        r'name="csrf_token"[^>]*|"X-CSRFToken": "[^"]*"', "", html
    )
    assert strip(unknown[1]) == strip(wrong_password[1]) == strip(disabled[1])
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in unknown[1]


def test_a_disabled_account_cannot_sign_in_even_with_the_right_password(app, client):
    with app.app_context():
        _user("canbo-a").is_enabled = False
        db.session.commit()
    assert client.post("/login", data={"username": "canbo-a", "password": PASSWORD}).status_code == 401
    assert client.get("/schools").status_code == 302


def test_passwords_are_stored_as_argon2id_hashes(app):
    with app.app_context():
        stored = _user("canbo-a").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_production_hashing_uses_argon2id_with_64_mib(make_app):
    app = make_app(PASSWORD_HASH_FAST=False)
    with app.app_context():
        from aiplan.auth.services import hash_password

        assert hash_password("một mật khẩu dài").startswith("$argon2id$v=19$m=65536,")


def test_repeated_failures_for_one_account_from_one_address_are_rate_limited(seeded_app):
    app = seeded_app(LOGIN_LIMIT_PER_ACCOUNT_ADDRESS="3 per 15 minutes")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/login", data={"username": "canbo-a", "password": "sai"}).status_code == 401
    blocked = client.post("/login", data={"username": "canbo-a", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Thử quá nhiều lần" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked by this limit.
    assert client.post("/login", data={"username": "canbo-b", "password": PASSWORD}).status_code == 302


def test_repeated_failures_from_one_address_are_rate_limited(seeded_app):
    app = seeded_app(LOGIN_LIMIT_PER_IP="4 per 15 minutes")
    client = app.test_client()
    for i in range(4):
        client.post("/login", data={"username": f"khong-co-{i}", "password": "sai"})
    assert client.post("/login", data={"username": "canbo-a", "password": PASSWORD}).status_code == 429
    other_address = client.post(
        "/login", data={"username": "canbo-a", "password": PASSWORD}, environ_overrides={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other_address.status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(seeded_app):
    app = seeded_app(LOGIN_LIMIT_PER_ACCOUNT_ADDRESS="2 per 15 minutes", LOGIN_LIMIT_ACCOUNT_CEILING="2 per 15 minutes")
    client = app.test_client()
    for _ in range(4):
        assert client.post("/login", data={"username": "canbo-a", "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_rate_limits_are_shared_through_redis_across_processes(make_app, seeded_app):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    # Two app objects stand for two worker processes sharing the one Redis.
    first = seeded_app(RATELIMIT_STORAGE_URI=url, LOGIN_LIMIT_PER_ACCOUNT_ADDRESS="2 per 15 minutes")
    second = make_app(RATELIMIT_STORAGE_URI=url, LOGIN_LIMIT_PER_ACCOUNT_ADDRESS="2 per 15 minutes")
    try:
        first.test_client().post("/login", data={"username": "canbo-a", "password": "sai"})
        second.test_client().post("/login", data={"username": "canbo-a", "password": "sai"})
        assert first.test_client().post("/login", data={"username": "canbo-a", "password": PASSWORD}).status_code == 429
    finally:
        redis.Redis.from_url(url).flushdb()


def test_posts_without_a_csrf_token_are_refused(seeded_app):
    app = seeded_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/login", data={"username": "canbo-a", "password": PASSWORD})
    assert refused.status_code == 400
    assert "Yêu cầu không hợp lệ" in refused.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    accepted = client.post("/login", data={"username": "canbo-a", "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302
    # Signed in, a POST without the token (here: logout) is still refused. The session is new,
    # so the token from before the login no longer works; the one on the page, sent as htmx does
    # in a header, does.
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 400
    page = client.get("/schools").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page)[1]
    assert client.post("/logout", headers={"X-CSRFToken": header_token}).status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http:/evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        " //evil.example",
    ],
)
def test_next_never_leads_outside_the_app(client, target):
    response = client.post("/login", data={"username": "canbo-a", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.location == "/"


def test_next_leads_back_to_a_page_inside_the_app(client):
    first = client.get("/plan")
    assert first.location == "/login?next=%2Fplan"
    response = client.post("/login", data={"username": "canbo-a", "password": PASSWORD, "next": "/plan"})
    assert response.location == "/plan"


def test_login_starts_a_new_session(client, auth):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login("staff_a")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_ending_an_accounts_sessions_signs_it_out_at_once(app, client, auth):
    auth.login("staff_a")
    assert client.get("/schools").status_code == 200
    with app.app_context():
        _user("canbo-a").end_sessions()
        db.session.commit()
    assert client.get("/schools").status_code == 302


def test_disabling_an_account_ends_its_sessions_at_once(app, client, auth):
    auth.login("staff_a")
    with app.app_context():
        _user("canbo-a").is_enabled = False
        db.session.commit()
    assert client.get("/schools").status_code == 302


def test_logout_ends_the_session(client, auth):
    auth.login("staff_a")
    auth.logout()
    assert client.get("/schools").status_code == 302


def test_logging_out_by_get_is_not_possible(client, auth):
    auth.login("staff_a")
    assert client.get("/logout").status_code == 405
    assert client.get("/schools").status_code == 200


def test_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.post("/login", data={"username": "canbo-a", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP on the intranet by default


def test_session_cookie_is_secure_when_served_over_https(seeded_app):
    app = seeded_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().post("/login", data={"username": "canbo-a", "password": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]


def test_successful_logins_are_in_the_audit_log(app, auth):
    auth.login("staff_a")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).filter_by(action="auth.login"))
        assert event.actor_name == PERSONAS["staff_a"][0]
        assert event.ip == "127.0.0.1"

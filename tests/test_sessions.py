"""Sign-ins as server-side records (docs/security.md line 9): logging out ends this one, "Đăng xuất khỏi
mọi thiết bị" ends them all, and a sign-in left unused past SESSION_IDLE_MINUTES ends by itself."""

from datetime import timedelta

from helpers import AuthActions, text_of
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import AuditEvent, User, UserSession


def signed_in(app, persona="staff_a"):
    client = app.test_client()
    assert AuthActions(client).login(persona).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def step_back_the_idle_clock(app, minutes):
    with app.app_context():
        for record in db.session.scalars(select(UserSession)):
            record.last_seen_at -= timedelta(minutes=minutes)
        db.session.commit()


def test_a_cookie_copied_before_logging_out_no_longer_opens_any_page(app):
    owner = signed_in(app)
    thief = copy_of(app, owner)
    assert thief.get("/schools").status_code == 200

    owner.post("/logout")

    refused = thief.get("/schools")
    assert refused.status_code == 302 and refused.location.startswith("/login")
    assert thief.post("/account/sessions/end").location.startswith("/login")


def test_logging_out_on_one_device_leaves_the_others_signed_in(app):
    office, phone = signed_in(app), signed_in(app)

    office.post("/logout")

    assert office.get("/schools").status_code == 302
    assert phone.get("/schools").status_code == 200


def test_signing_out_everywhere_ends_every_device_of_the_account_and_only_that_account(app):
    office, phone, colleague = signed_in(app), signed_in(app), signed_in(app, "staff_b")

    response = office.post("/account/sessions/end")

    assert response.status_code == 303 and response.location == "/login"
    assert "Đã đăng xuất khỏi mọi thiết bị" in text_of(office.get("/login"))
    assert office.get("/schools").status_code == 302
    assert phone.get("/schools").status_code == 302
    assert colleague.get("/schools").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).filter_by(action="user.end_sessions")).actor_name == "canbo-a"


def test_the_account_page_lists_the_open_sign_ins_and_which_is_this_one(app):
    office = signed_in(app)
    phone = app.test_client()
    phone.post(
        "/login",
        data={"username": "canbo-a", "password": "mat-khau-thu-nghiem"},
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile"},
    )

    page = text_of(office.get("/account"))

    assert "Các phiên đăng nhập đang mở" in page and "Đăng xuất khỏi mọi thiết bị" in page
    assert "Chrome · Android" in page
    assert page.count("(phiên này)") == 1
    assert "Phiên không dùng quá 8 giờ sẽ tự kết thúc" in page
    phone.post("/logout")
    assert "Chrome · Android" not in text_of(office.get("/account"))


def test_the_header_links_to_the_account_page(app):
    assert 'href="/account"' in signed_in(app).get("/plan").get_data(as_text=True)


def test_a_sign_in_left_unused_past_the_idle_limit_is_sent_to_login_with_a_message(seeded_app):
    app = seeded_app(SESSION_IDLE_MINUTES=30)
    client = signed_in(app)
    step_back_the_idle_clock(app, 31)

    response = client.get("/plan")

    assert response.status_code == 302 and response.location == "/login?next=%2Fplan"
    assert "Phiên đăng nhập đã hết hạn vì quá lâu không dùng" in text_of(client.get(response.location))


def test_a_sign_in_in_use_stays_open_and_its_idle_clock_moves_on(seeded_app):
    app = seeded_app(SESSION_IDLE_MINUTES=30)
    client = signed_in(app)
    step_back_the_idle_clock(app, 29)

    assert client.get("/plan").status_code == 200
    step_back_the_idle_clock(app, 29)  # 58 minutes since sign-in, never 30 without a request
    assert client.get("/plan").status_code == 200


def test_reading_pages_does_not_write_the_idle_clock_on_every_request(app):
    client = signed_in(app)
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))

    for _ in range(3):
        assert client.get("/plan").status_code == 200

    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) == seen


def test_the_database_keeps_no_token_that_would_open_a_session(app):
    client = signed_in(app)
    with app.app_context():
        stored = db.session.scalar(select(UserSession.token_hash))
        user = db.session.scalar(select(User).filter_by(username="canbo-a"))
        user.session_key = f"{db.session.scalar(select(UserSession.id))}:{stored}"
    thief = app.test_client()
    with thief.session_transaction() as session:
        session["_user_id"] = user.session_key
    assert thief.get("/schools").status_code == 302
    assert client.get("/schools").status_code == 200

"""Guessing passwords is limited (docs/security.md line 7) without handing anyone a lever to lock a
colleague out: the strict limit is per account *and* address; the account as a whole has only a
high ceiling; and the owner is told of the wrong passwords at their next sign-in."""

import re

from helpers import PASSWORD, text_of
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.models import User

ATTACKER, OWNER = "10.0.0.66", "10.0.0.10"


def login(client, address, password=PASSWORD, username="canbo-a"):
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_five_wrong_passwords_from_one_address_do_not_lock_the_owner_out(app):
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(5):
        assert login(attacker, ATTACKER, "doan-bua-thoi").status_code == 401

    assert login(attacker, ATTACKER).status_code == 429  # even the right password, from there
    signed_in = login(owner, OWNER)

    assert signed_in.status_code == 302
    page = text_of(owner.get(signed_in.location, follow_redirects=True))
    assert "Có 5 lần đăng nhập sai vào tài khoản của bạn kể từ lần đăng nhập trước, lần gần nhất lúc" in page
    assert re.search(r"lúc \d\d:\d\d \d\d/\d\d/\d{4}", page)


def test_the_owner_is_told_once_and_the_count_starts_again(app):
    client = app.test_client()
    login(client, ATTACKER, "sai-mot-lan")
    login(client, OWNER)
    assert "lần đăng nhập sai" in text_of(client.get("/plan"))
    client.post("/logout", environ_base={"REMOTE_ADDR": OWNER})

    login(client, OWNER)

    assert "lần đăng nhập sai" not in text_of(client.get("/plan"))
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username="canbo-a"))
        assert (user.failed_logins, user.last_failed_login_at) == (0, None)


def test_guessing_from_many_addresses_stops_at_the_account_ceiling(seeded_app):
    app = seeded_app(LOGIN_LIMIT_ACCOUNT_CEILING="6 per hour")
    client = app.test_client()
    for i in range(6):
        assert login(client, f"10.0.1.{i // 2}", "sai-roi").status_code == 401

    assert login(client, "10.0.2.1", "sai-roi").status_code == 429
    # Another account is untouched by this one's ceiling.
    assert login(client, "10.0.2.1", username="canbo-b").status_code == 302


def test_failures_from_one_address_for_other_names_do_not_count_against_this_account(app):
    client = app.test_client()
    for name in ("khong-co-ai", "canbo-b", "admin", "lanhdao", "giamsat"):
        login(client, ATTACKER, "sai-roi", username=name)

    assert login(client, ATTACKER).status_code == 302

"""The pages of the mail feature: the admin's view (configured or not), the account's choice
(saved and audited, 422 on a malformed value, 409 over a change made meanwhile), and the opt-out
link every mail carries (the page with its button, RFC 8058's one-click POST, a bad token)."""

import html
import os
import re

import pytest
from helpers import AuthActions, text_of
from mail_helpers import (
    MONDAY_8AM,
    SmtpServer,
    account,
    give_email,
    html_part,
    items_of,
    mail_config,
    notify,
    text_part,
)
from phone_audit import nu_errors, tools_missing
from sqlalchemy import select

from aiplan.extensions import db
from aiplan.mailing.reminders import send_reminders
from aiplan.mailing.tokens import unsubscribe_token
from aiplan.models import AuditEvent, DigestFrequency


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def signed_in(app, persona):
    client = app.test_client()
    assert AuthActions(client).login(persona).status_code == 302
    return client


def frequency(app, username="canbo-a") -> DigestFrequency:
    with app.app_context():
        return account(username).digest_frequency


def events(app, action="user.mail_preference") -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)))


def version_of(page: str) -> str:
    return html.unescape(re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1))


# -- the admin page -----------------------------------------------------------------------------


def test_without_a_mail_server_the_admin_page_says_so_and_what_to_set(app):
    page = signed_in(app, "ward_admin").get("/admin/mail")
    assert page.status_code == 200
    text = text_of(page)
    assert "Chưa cấu hình máy chủ thư" in text
    for name in ("MAIL_SERVER", "MAIL_DEFAULT_SENDER", "AIPLAN_BASE_URL", "MAIL_PORT", "DIGEST_HOUR"):
        assert name in text
    # The sender's example is shown as text, not taken for a tag (a lazy string passes as markup).
    assert "Giáo dục AI &lt;khonghoi@longbien.gov.vn&gt;" in page.get_data(as_text=True)
    # The app works as before: the account page, with its mail choice.
    assert signed_in(app, "staff_a").get("/account").status_code == 200


def test_the_admin_page_shows_the_settings_the_counts_and_a_wrong_setting(seeded_app, smtp):
    app = seeded_app(**mail_config(smtp.port))
    with app.app_context():
        give_email("canbo-a", "a@th-doan-ket.example")
        notify(account("canbo-a"), items_of("th-doan-ket", 1)[0])
        send_reminders(MONDAY_8AM)
    text = text_of(signed_in(app, "ward_admin").get("/admin/mail"))
    assert "Chưa cấu hình máy chủ thư" not in text
    assert f"127.0.0.1:{smtp.port}" in text and "https://giaoduc-ai.longbien.example" in text
    assert "Đã gửi 1" in text and "Đang chờ gửi 0" in text and "Gửi không được 0" in text

    wrong = seeded_app(MAIL_SERVER="127.0.0.1", MAIL_USE_TLS="1", MAIL_USE_SSL="1")
    text = text_of(signed_in(wrong, "ward_admin").get("/admin/mail"))
    assert "Cấu hình thư sai" in text and "Chỉ bật một trong MAIL_USE_TLS và MAIL_USE_SSL" in text


@pytest.mark.parametrize("persona", ["staff_a", "supervisor", "viewer"])
def test_only_the_ward_admin_sees_the_mail_admin_page(app, persona):
    assert signed_in(app, persona).get("/admin/mail").status_code == 403


# -- the account's choice -----------------------------------------------------------------------


def test_an_account_chooses_weekly_or_no_mail_and_the_change_is_audited(app):
    client = signed_in(app, "staff_a")
    page = client.get("/account").get_data(as_text=True)
    assert "Thư nhắc việc" in page
    assert re.search(r'<input checked [^>]*value="daily">', page)  # the default
    response = client.post("/account/mail", data={"digest_frequency": "weekly", "version": version_of(page)})
    assert response.status_code == 303
    assert frequency(app) is DigestFrequency.WEEKLY
    [event] = events(app)
    assert event.before == {"digest_frequency": "daily"} and event.after["digest_frequency"] == "weekly"
    assert re.search(r'<input checked [^>]*value="weekly">', client.get("/account").get_data(as_text=True))


def test_a_malformed_choice_is_refused_with_422_and_nothing_changes(app):
    client = signed_in(app, "staff_a")
    version = version_of(client.get("/account").get_data(as_text=True))
    response = client.post("/account/mail", data={"digest_frequency": "hourly", "version": version})
    assert response.status_code == 422
    text = text_of(response)
    assert "Chọn một trong: mỗi ngày, mỗi tuần, hoặc không nhận thư." in text and "Có lỗi cần sửa" in text
    assert frequency(app) is DigestFrequency.DAILY and events(app) == []
    assert client.post("/account/mail", data={"digest_frequency": "off"}).status_code == 422  # no version


def test_a_choice_changed_meanwhile_is_not_overwritten(app):
    client = signed_in(app, "staff_a")
    version = version_of(client.get("/account").get_data(as_text=True))
    with app.app_context():
        user = account("canbo-a")
        user.digest_frequency = DigestFrequency.OFF  # the link in a mail, meanwhile
        db.session.commit()
    response = client.post("/account/mail", data={"digest_frequency": "weekly", "version": version})
    assert response.status_code == 409
    text = text_of(response)
    assert "Cách nhận thư vừa được đổi ở nơi khác" in text and "Không nhận thư" in text
    assert frequency(app) is DigestFrequency.OFF


# -- the opt-out link ---------------------------------------------------------------------------


def test_the_link_in_a_mail_opens_a_page_whose_one_button_turns_the_mail_off(seeded_app, smtp):
    app = seeded_app(**mail_config(smtp.port), WTF_CSRF_ENABLED=True)
    with app.app_context():
        give_email("canbo-a", "a@th-doan-ket.example")
        notify(account("canbo-a"), items_of("th-doan-ket", 1)[0])
        send_reminders(MONDAY_8AM)
    [message] = smtp.inbox.messages
    link = re.search(r"Không nhận thư nữa: (\S+)", text_part(message)).group(1)
    assert link.startswith("https://giaoduc-ai.longbien.example/mail/unsubscribe/")
    path = link.removeprefix("https://giaoduc-ai.longbien.example")
    browser = app.test_client()  # nobody signed in
    page = browser.get(path)
    assert page.status_code == 200
    assert "Không nhận thư nữa" in page.get_data(as_text=True) and frequency(app) is DigestFrequency.DAILY
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = browser.post(path, data={"csrf_token": token})
    assert done.status_code == 200
    assert "Đã tắt thư nhắc việc" in text_of(done)
    assert frequency(app) is DigestFrequency.OFF
    [event] = events(app)
    assert event.after["how"] == "unsubscribe_link"


def test_one_click_unsubscribe_from_the_mail_header_needs_no_page_and_no_csrf(seeded_app, smtp):
    app = seeded_app(**mail_config(smtp.port), WTF_CSRF_ENABLED=True)
    with app.app_context():
        give_email("canbo-a", "a@th-doan-ket.example")
        notify(account("canbo-a"), items_of("th-doan-ket", 1)[0])
        send_reminders(MONDAY_8AM)
    [message] = smtp.inbox.messages
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"\s*<([^>]+)>", message["List-Unsubscribe"]).group(1)
    assert url.startswith("https://giaoduc-ai.longbien.example/mail/unsubscribe/") and url.endswith("/one-click")
    response = app.test_client().post(
        url.removeprefix("https://giaoduc-ai.longbien.example"), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert frequency(app) is DigestFrequency.OFF
    assert events(app)[0].after["how"] == "one_click"


@pytest.mark.parametrize("tamper", ["garbage", "swap_user", "cut"])
def test_a_bad_or_tampered_token_gets_a_clear_message_and_changes_nothing(app, tamper):
    with app.app_context():
        token = unsubscribe_token(account("canbo-a").id)
        other = unsubscribe_token(account("canbo-b").id)
    bad = {
        "garbage": "khong-phai-ma",
        "swap_user": other.split(".")[0] + "." + token.split(".")[1],
        "cut": token[:-3],
    }[tamper]
    client = app.test_client()
    for response in (
        client.get(f"/mail/unsubscribe/{bad}"),
        client.post(f"/mail/unsubscribe/{bad}"),
        client.post(f"/mail/unsubscribe/{bad}/one-click", data={"List-Unsubscribe": "One-Click"}),
    ):
        assert response.status_code == 400
        assert "Liên kết hủy nhận thư không hợp lệ" in response.get_data(as_text=True)
    assert frequency(app) is DigestFrequency.DAILY and frequency(app, "canbo-b") is DigestFrequency.DAILY
    assert events(app) == []


# -- valid HTML where the phone crawl does not go -----------------------------------------------


def test_the_pages_no_link_reaches_and_the_mail_itself_are_valid_html(seeded_app, smtp, tmp_path):
    """The opt-out pages (reached from a mail), the account page refusing a choice, and a digest's
    HTML part, through the Nu Html Checker as test_phone_pages.py runs it on the pages it crawls."""
    missing = tools_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    app = seeded_app(**mail_config(smtp.port))
    with app.app_context():
        give_email("canbo-a", "a@th-doan-ket.example")
        notify(account("canbo-a"), items_of("th-doan-ket", 1)[0], body="Thiếu <b>biên bản</b> & ảnh")
        send_reminders(MONDAY_8AM)
        token = unsubscribe_token(account("canbo-a").id)
    [message] = smtp.inbox.messages
    anonymous, staff = app.test_client(), signed_in(app, "staff_a")
    pages = {
        "mail.html": html_part(message),
        "unsubscribe.html": anonymous.get(f"/mail/unsubscribe/{token}").get_data(as_text=True),
        "unsubscribed.html": anonymous.post(f"/mail/unsubscribe/{token}").get_data(as_text=True),
        "bad-token.html": anonymous.get("/mail/unsubscribe/khong-phai-ma").get_data(as_text=True),
        "refused.html": staff.post("/account/mail", data={"digest_frequency": "hourly"}).get_data(as_text=True),
    }
    files = []
    for name, markup in pages.items():
        (tmp_path / name).write_text(markup, encoding="utf-8")
        files.append(tmp_path / name)
    assert nu_errors(files, re.compile(r"^Attribute “hx-[a-z:-]+” not allowed")) == []

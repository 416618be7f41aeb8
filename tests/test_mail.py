"""E-mail digests (issue 16, part 2) against a real SMTP server on 127.0.0.1 (aiosmtpd): who gets
which digest and when, what it says, and that a refusing or silent server delays a digest without
losing or doubling it. The notifications are made here directly, and the scheduled scan that
would add the seeded data's own late items is left out, so that each test says exactly what is in
the inbox: the scan is tested in tests/test_notifications_events.py, and both together in
tests/test_reminders_end_to_end.py."""

import re
from datetime import timedelta

import pytest
from mail_helpers import (
    BASE_URL,
    MONDAY_8AM,
    SilentServer,
    SmtpServer,
    account,
    give_email,
    html_part,
    items_of,
    later,
    mail_config,
    notify,
    text_part,
)
from sqlalchemy import func, select

from aiplan.extensions import db
from aiplan.mailing.reminders import MAX_ATTEMPTS, RETRY_DELAYS_MINUTES, send_reminders
from aiplan.models import Digest, DigestFrequency, DigestStatus, NotificationKind, digest_notification
from aiplan.timeutil import format_date

SCHOOL_A_NAME = "Trường Tiểu học Đoàn Kết"
SCHOOL_B_NAME = "Trường THCS Thạch Bàn"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(seeded_app, smtp, monkeypatch):
    monkeypatch.setattr("aiplan.mailing.reminders.make_due_notifications", lambda now=None: 0)
    return seeded_app(**mail_config(smtp.port))


def digests() -> list[Digest]:
    return list(db.session.scalars(select(Digest).order_by(Digest.id)))


# -- who gets what ------------------------------------------------------------------------------


def test_each_school_staff_gets_one_vietnamese_digest_naming_their_late_items(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "hieutruong@th-doan-ket.example")
        staff_b = give_email("canbo-b", "vanphong@thcs-thach-ban.example")
        late_a = items_of("th-doan-ket", 2)
        late_b = items_of("thcs-thach-ban", 1)
        for item in late_a:
            notify(staff_a, item)
        notify(staff_b, late_b[0])

        report = send_reminders(MONDAY_8AM)

        assert (report.built, report.sent) == (2, 2)
        assert len(smtp.inbox.received) == 2
        [mail_a] = smtp.inbox.to("hieutruong@th-doan-ket.example")
        [mail_b] = smtp.inbox.to("vanphong@thcs-thach-ban.example")
        assert mail_a["Subject"] == f"[aiplan] 2 việc quá hạn — {SCHOOL_A_NAME}"
        assert mail_b["Subject"] == f"[aiplan] 1 việc quá hạn — {SCHOOL_B_NAME}"
        assert mail_a["From"] == "Giáo dục AI <khonghoi@longbien.example>"
        assert mail_a.get_content_type() == "multipart/alternative"
        text, html = text_part(mail_a), html_part(mail_a)
        assert "Kính gửi" in text and SCHOOL_A_NAME in text and SCHOOL_A_NAME in html
        for item in late_a:
            assert item.title in text
            assert f"Hạn: {format_date(item.due_on)}" in text  # dd/mm/yyyy
            link = f"{BASE_URL}/schools/th-doan-ket#item-{item.id}"
            assert link in text and f'href="{link}"' in html
        # Each account reads its own school's items only.
        assert f"#item-{late_b[0].id}" not in text and SCHOOL_B_NAME not in text
        assert f"#item-{late_a[0].id}" not in text_part(mail_b)
        assert "<img" not in html and "<script" not in html
        # The Message-ID is the digest's own, chosen when it was built.
        stored = {d.address: d for d in digests()}
        # (Folded before its "<" when long, as RFC 5322 allows: a parser drops that white space.)
        assert mail_a["Message-ID"].strip() == stored["hieutruong@th-doan-ket.example"].message_id
        assert all(d.status is DigestStatus.SENT and d.period_key == "daily:2026-12-07" for d in stored.values())


def test_html_part_escapes_what_the_notification_says(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "hieutruong@th-doan-ket.example")
        item = items_of("th-doan-ket", 1)[0]
        notify(staff_a, item, body="Thiếu <b>biên bản</b> & ảnh")
        send_reminders(MONDAY_8AM)
        [message] = smtp.inbox.messages
        assert "Thiếu &lt;b&gt;biên bản&lt;/b&gt; &amp; ảnh" in html_part(message)
        assert "Thiếu <b>biên bản</b> & ảnh" in text_part(message)


def test_a_needs_more_verdict_goes_at_once_with_its_reason_before_the_digest_hour(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "hieutruong@th-doan-ket.example")
        staff_a.digest_frequency = DigestFrequency.WEEKLY  # immediate kinds do not wait for the week
        db.session.commit()
        item = items_of("th-doan-ket", 1)[0]
        reason = "Biên bản họp chưa có chữ ký của hiệu trưởng."
        urgent = notify(staff_a, item, NotificationKind.NEEDS_MORE, body=f"Lý do: {reason}")
        notify(staff_a, items_of("th-doan-ket", 2)[1])  # a late item: waits for the weekly digest
        three_am = MONDAY_8AM - timedelta(hours=5)  # 03:00 in Hà Nội, before DIGEST_HOUR

        report = send_reminders(three_am)

        assert report.sent == 1
        [message] = smtp.inbox.messages
        assert message["Subject"] == f"[aiplan] 1 việc cần bổ sung — {SCHOOL_A_NAME}"
        assert reason in text_part(message) and reason in html_part(message)
        assert "Quá hạn" not in text_part(message)
        [digest] = digests()
        assert digest.period_key == f"immediate:{urgent.id}"


def test_daily_waits_for_the_digest_hour_and_weekly_for_the_week(mail_app, smtp):
    with mail_app.app_context():
        daily = give_email("canbo-a", "a@th-doan-ket.example")
        weekly = give_email("canbo-b", "b@thcs-thach-ban.example")
        weekly.digest_frequency = DigestFrequency.WEEKLY
        db.session.commit()
        notify(daily, items_of("th-doan-ket", 1)[0])
        notify(weekly, items_of("thcs-thach-ban", 1)[0])

        assert send_reminders(MONDAY_8AM - timedelta(hours=2)).sent == 0  # 06:00 Monday
        assert send_reminders(MONDAY_8AM).sent == 2
        assert {d.period_key for d in digests()} == {"daily:2026-12-07", "weekly:2026-W50"}

        # Tuesday: a new late item for each; the daily account hears of it, the weekly one next Monday.
        notify(daily, items_of("th-doan-ket", 2)[1])
        notify(weekly, items_of("thcs-thach-ban", 2)[1])
        assert send_reminders(later(MONDAY_8AM, days=1)).sent == 1
        assert send_reminders(later(MONDAY_8AM, days=6)).sent == 0  # Sunday
        assert send_reminders(later(MONDAY_8AM, days=7)).sent == 1
        assert len(smtp.inbox.to("b@thcs-thach-ban.example")) == 2


def test_running_again_sends_nothing_new(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "hieutruong@th-doan-ket.example")
        for item in items_of("th-doan-ket", 3):
            notify(staff_a, item)
        notify(staff_a, items_of("th-doan-ket", 4)[3], NotificationKind.NEEDS_MORE, body="Lý do: thiếu ảnh.")
        first = send_reminders(MONDAY_8AM)
        assert first.sent == 2  # the immediate one and the daily one
        again = send_reminders(MONDAY_8AM)
        later_today = send_reminders(later(MONDAY_8AM, hours=3))
        assert (again.built, again.sent, later_today.built, later_today.sent) == (0, 0, 0, 0)
        assert len(smtp.inbox.received) == 2
        # Each notification went in exactly one digest.
        assert db.session.scalar(select(func.count()).select_from(digest_notification)) == 4


def test_accounts_without_an_address_disabled_or_off_get_nothing(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", None)
        staff_b = give_email("canbo-b", "b@thcs-thach-ban.example")
        staff_b.digest_frequency = DigestFrequency.OFF
        db.session.commit()
        notify(staff_a, items_of("th-doan-ket", 1)[0])
        notify(staff_b, items_of("thcs-thach-ban", 1)[0], NotificationKind.NEEDS_MORE)
        assert send_reminders(MONDAY_8AM).built == 0
        assert smtp.inbox.received == []


# -- a server that refuses or does not answer ---------------------------------------------------


def test_a_refusing_server_is_retried_with_backoff_and_the_digest_sent_once_when_it_recovers(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "hieutruong@th-doan-ket.example")
        notify(staff_a, items_of("th-doan-ket", 1)[0])
        smtp.inbox.refuse = True

        first = send_reminders(MONDAY_8AM)

        assert (first.sent, first.retrying) == (0, 1)
        [digest] = digests()
        assert (digest.status, digest.attempts) == (DigestStatus.QUEUED, 1)
        assert "550" in digest.last_error
        assert digest.next_attempt_at == later(MONDAY_8AM, minutes=RETRY_DELAYS_MINUTES[0])
        # Not before its time, even if the server is back.
        smtp.inbox.refuse = False
        assert send_reminders(later(MONDAY_8AM, seconds=30)).sent == 0
        assert smtp.inbox.received == []
        # Its time: sent, once.
        assert send_reminders(later(MONDAY_8AM, minutes=1)).sent == 1
        assert send_reminders(later(MONDAY_8AM, minutes=30)).sent == 0
        assert len(smtp.inbox.received) == 1
        db.session.refresh(digest)
        assert (digest.status, digest.attempts) == (DigestStatus.SENT, 2)


def test_a_refused_recipient_delays_only_its_own_digest(mail_app, smtp):
    with mail_app.app_context():
        give_email("canbo-a", "nobody@th-doan-ket.example")
        give_email("canbo-b", "b@thcs-thach-ban.example")
        notify(account("canbo-a"), items_of("th-doan-ket", 1)[0])
        notify(account("canbo-b"), items_of("thcs-thach-ban", 1)[0])
        smtp.inbox.unknown = {"nobody@th-doan-ket.example"}

        report = send_reminders(MONDAY_8AM)

        assert (report.sent, report.retrying, report.waiting) == (1, 1, 0)
        assert [rcpts for rcpts, _ in smtp.inbox.received] == [["b@thcs-thach-ban.example"]]
        refused = next(d for d in digests() if d.address == "nobody@th-doan-ket.example")
        assert refused.status is DigestStatus.QUEUED and "550" in refused.last_error
        assert "nobody@th-doan-ket.example" in refused.last_error


def test_the_backoff_grows_and_after_the_last_attempt_the_digest_is_failed_and_shown(mail_app, smtp, as_persona):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "hieutruong@th-doan-ket.example")
        notify(staff_a, items_of("th-doan-ket", 1)[0])
        smtp.inbox.refuse = True
        moment = MONDAY_8AM
        waits = []
        for _ in range(MAX_ATTEMPTS):
            send_reminders(moment)
            [digest] = digests()
            waits.append(digest.next_attempt_at - moment)
            moment = digest.next_attempt_at
        assert waits[:-1] == [timedelta(minutes=m) for m in RETRY_DELAYS_MINUTES]
        assert (digest.status, digest.attempts) == (DigestStatus.FAILED, MAX_ATTEMPTS)
        smtp.inbox.refuse = False
        assert send_reminders(later(moment, days=2)).sent == 0  # given up on: not sent behind anyone's back
    page = mail_app.test_client()
    from helpers import AuthActions

    AuthActions(page).login("ward_admin")
    text = page.get("/admin/mail").get_data(as_text=True)
    assert "hieutruong@th-doan-ket.example" in text and "550" in text
    assert re.search(r"Gửi không được</dt><dd>1<", text)


def test_a_server_that_never_answers_times_out_and_the_digests_go_once_it_answers(seeded_app):
    silent = SilentServer()
    app = seeded_app(**mail_config(silent.port, MAIL_TIMEOUT="0.5"))
    with app.app_context():
        give_email("canbo-a", "a@th-doan-ket.example")
        give_email("canbo-b", "b@thcs-thach-ban.example")
        notify(account("canbo-a"), items_of("th-doan-ket", 1)[0])
        notify(account("canbo-b"), items_of("thcs-thach-ban", 1)[0])

        report = send_reminders(MONDAY_8AM)

        # One attempt waited out the timeout; the other digest waits for the next run instead.
        assert (report.sent, report.retrying, report.waiting) == (0, 1, 1)
        tried = [d for d in digests() if d.attempts]
        assert len(tried) == 1 and "không trả lời" in tried[0].last_error
        assert all(d.status is DigestStatus.QUEUED for d in digests())

        silent.close()
        server = SmtpServer(port=silent.port).start()  # the server comes back on the same address
        try:
            assert send_reminders(later(MONDAY_8AM, minutes=1)).sent == 2
            assert send_reminders(later(MONDAY_8AM, minutes=20)).sent == 0
            assert sorted(rcpt for rcpts, _ in server.inbox.received for rcpt in rcpts) == [
                "a@th-doan-ket.example",
                "b@thcs-thach-ban.example",
            ]
        finally:
            server.stop()


def test_an_account_that_opts_out_or_loses_its_address_before_sending_is_cancelled_not_sent(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "a@th-doan-ket.example")
        staff_b = give_email("canbo-b", "b@thcs-thach-ban.example")
        notify(staff_a, items_of("th-doan-ket", 1)[0])
        notify(staff_b, items_of("thcs-thach-ban", 1)[0])
        smtp.inbox.refuse = True
        send_reminders(MONDAY_8AM)  # both built, neither sent
        staff_a.digest_frequency = DigestFrequency.OFF
        staff_b.email = None
        db.session.commit()
        smtp.inbox.refuse = False

        report = send_reminders(later(MONDAY_8AM, minutes=5))

        assert (report.sent, report.cancelled) == (0, 2)
        assert smtp.inbox.received == []
        assert {d.status for d in digests()} == {DigestStatus.CANCELLED}
        assert send_reminders(later(MONDAY_8AM, days=1)).sent == 0


# -- the command --------------------------------------------------------------------------------


def test_the_command_prints_each_digest_and_a_summary(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "a@th-doan-ket.example")
        item = items_of("th-doan-ket", 1)[0]
        notify(staff_a, item, NotificationKind.NEEDS_MORE, body="Lý do: thiếu ảnh.")
        title = item.title
    result = mail_app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert f"→ a@th-doan-ket.example · [aiplan] 1 việc cần bổ sung — {SCHOOL_A_NAME} · đã gửi" in result.output
    assert title in result.output
    assert "Đã gửi: 1." in result.output
    assert len(smtp.inbox.received) == 1


def test_a_dry_run_builds_nothing_sends_nothing_and_says_what_it_would_send(mail_app, smtp):
    with mail_app.app_context():
        staff_a = give_email("canbo-a", "a@th-doan-ket.example")
        item = items_of("th-doan-ket", 1)[0]
        notify(staff_a, item, NotificationKind.NEEDS_MORE, body="Lý do: thiếu ảnh.")
    result = mail_app.test_cli_runner().invoke(args=["send-reminders", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "a@th-doan-ket.example · [aiplan] 1 việc cần bổ sung" in result.output
    assert "sẽ gửi" in result.output and "Chạy thử" in result.output
    assert smtp.inbox.received == []
    with mail_app.app_context():
        assert digests() == []
        assert db.session.scalar(select(func.count()).select_from(digest_notification)) == 0
    # The real run afterwards sends it.
    assert "Đã gửi: 1." in mail_app.test_cli_runner().invoke(args=["send-reminders"]).output


def test_without_a_mail_server_nothing_is_sent_and_the_command_says_so(app, runner):
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0
    assert "Chưa cấu hình máy chủ thư" in result.output and "MAIL_SERVER" in result.output
    with app.app_context():
        assert digests() == []


def test_wrong_mail_settings_are_a_configuration_error(seeded_app):
    app = seeded_app(MAIL_SERVER="127.0.0.1", MAIL_PORT="hai mươi lăm", AIPLAN_BASE_URL="")
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert result.exit_code == 1
    assert "MAIL_PORT phải là một số" in result.output
    assert "Thiếu MAIL_DEFAULT_SENDER" in result.output and "Thiếu AIPLAN_BASE_URL" in result.output

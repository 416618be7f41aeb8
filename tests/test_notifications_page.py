"""The bell in the header and the "Thông báo" page: each account's own notifications, read and unread."""

import re
from datetime import timedelta

import pytest
from helpers import SCHOOL_A, page_text, text_of
from sqlalchemy import delete, select

from aiplan.extensions import db
from aiplan.models import Notification, NotificationKind, User, utcnow
from aiplan.notifications.services import Message, notify


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).filter_by(username=username))


def make(app, username: str, n: int = 1, *, url: str = f"/schools/{SCHOOL_A}#item-1", kind=NotificationKind.LATE):
    """`n` notifications for the account, a minute apart, the last one newest; returns their ids."""
    with app.app_context():
        start = utcnow() - timedelta(minutes=n)
        for i in range(n):
            notify(
                [user_id(username)],
                Message(kind, f"test:{i}", f"Thông báo số {i + 1}", f"Nội dung {i + 1}", url),
                start + timedelta(minutes=i),
            )
        db.session.commit()
        return list(
            db.session.scalars(
                select(Notification.id).where(Notification.user_id == user_id(username)).order_by(Notification.id)
            )
        )


def read_at(app, notification_id: int):
    with app.app_context():
        return db.session.get(Notification, notification_id).read_at


def bell(markup: str) -> str:
    """The header's bell link as a screen reader names it: its aria-label, else its words."""
    link = re.search(r'<a class="bell"(.*?)>(.*?)</a>', markup, re.S)
    label = re.search(r'aria-label="([^"]+)"', link.group(1))
    return label.group(1) if label else page_text(link.group(2))


def test_notify_makes_nothing_twice_for_one_event_and_account(app):
    with app.app_context():
        message = Message(NotificationKind.LATE, "late:item:1:2026-02-13", "Quá hạn", "", "/")
        ids = [user_id("canbo-a"), user_id("canbo-a"), user_id("canbo-b")]
        assert notify(ids, message) == 2
        assert notify(ids, message) == 0  # no IntegrityError either: the transaction goes on
        db.session.commit()
        assert db.session.scalar(select(db.func.count(Notification.id))) == 2


def test_the_bell_shows_the_unread_count_to_the_account_and_screen_readers(app, as_persona):
    ids = make(app, "canbo-a", 3)
    staff = as_persona("staff_a")
    markup = staff.get(f"/schools/{SCHOOL_A}").get_data(as_text=True)
    assert bell(markup) == "Thông báo, 3 chưa đọc"
    assert '<span class="bell-count" aria-hidden="true">3</span>' in markup
    staff.post(f"/notifications/{ids[0]}/open")
    assert bell(staff.get(f"/schools/{SCHOOL_A}").get_data(as_text=True)) == "Thông báo, 2 chưa đọc"
    # Another account's bell counts its own.
    assert bell(as_persona("staff_b").get("/schools/" + "thcs-thach-ban").get_data(as_text=True)) == "Thông báo"


def test_the_bell_costs_one_count_query_per_page(app, as_persona, count_queries):
    make(app, "canbo-a", 2)
    staff = as_persona("staff_a")
    with count_queries() as counter:
        assert staff.get(f"/schools/{SCHOOL_A}").status_code == 200
    counts = [s for s in counter.statements if "FROM notification" in s]
    assert len(counts) == 1 and counts[0].lstrip().upper().startswith("SELECT COUNT")


def test_the_page_lists_the_accounts_notifications_newest_first_with_unread_ones_marked(app, as_persona):
    ids = make(app, "canbo-a", 2)
    make(app, "canbo-b", 1)
    staff = as_persona("staff_a")
    staff.post(f"/notifications/{ids[0]}/open")
    response = staff.get("/notifications")
    assert response.status_code == 200
    text = text_of(response)
    assert text.index("Thông báo số 2") < text.index("Thông báo số 1")
    newest, oldest = text.split("Thông báo số 2", 1)[0], text.split("Thông báo số 2", 1)[1]
    assert "Chưa đọc Quá hạn" in newest and "Đã đọc Quá hạn" in oldest
    assert "Nội dung 2" in text
    assert re.search(r"Chưa đọc Quá hạn \d\d:\d\d \d\d/\d\d/\d{4}", text)
    assert "Mở và đánh dấu đã đọc : Thông báo số 2" in text and "Mở : Thông báo số 1" in text
    assert "Đánh dấu tất cả là đã đọc" in text
    body = response.get_data(as_text=True)
    assert body.count('class="notice notice-unread"') == 1
    assert " style=" not in body


def test_opening_a_notification_marks_it_read_and_goes_where_it_says(app, as_persona):
    [nid] = make(app, "canbo-a", url=f"/schools/{SCHOOL_A}#item-7")
    staff = as_persona("staff_a")
    response = staff.post(f"/notifications/{nid}/open")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/schools/{SCHOOL_A}#item-7"
    first = read_at(app, nid)
    assert first is not None
    staff.post(f"/notifications/{nid}/open")
    assert read_at(app, nid) == first, "opening again keeps when it was first read"
    assert staff.get(f"/notifications/{nid}/open").status_code == 405, "no GET changes state"


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_a_notification_never_sends_anyone_off_the_app(app, as_persona, url):
    [nid] = make(app, "canbo-a", url=url)
    response = as_persona("staff_a").post(f"/notifications/{nid}/open")
    assert response.headers["Location"] == "/notifications"


def test_nobody_sees_or_marks_another_accounts_notification(app, as_persona):
    [nid] = make(app, "canbo-a")
    for persona in ("staff_b", "supervisor", "ward_admin"):
        client = as_persona(persona)
        assert client.post(f"/notifications/{nid}/open").status_code == 404
        assert "Thông báo số 1" not in text_of(client.get("/notifications"))
    assert read_at(app, nid) is None
    assert as_persona(None).post(f"/notifications/{nid}/open").status_code == 302  # to the login page


def test_mark_all_read_marks_the_accounts_own_only(app, as_persona):
    make(app, "canbo-a", 3)
    [other] = make(app, "canbo-b")
    staff = as_persona("staff_a")
    response = staff.post("/notifications/read-all", follow_redirects=True)
    text = text_of(response)
    assert "Đã đánh dấu 3 thông báo là đã đọc." in text
    assert "Chưa đọc" not in text.split("Đã đánh dấu", 1)[1]
    assert "Đánh dấu tất cả là đã đọc" not in text
    assert bell(response.get_data(as_text=True)) == "Thông báo"
    assert read_at(app, other) is None
    assert "Không có thông báo chưa đọc." in text_of(staff.post("/notifications/read-all", follow_redirects=True))


def test_the_page_shows_thirty_at_a_time_and_more_on_request(app, as_persona):
    make(app, "canbo-a", 35)
    staff = as_persona("staff_a")
    markup = staff.get("/notifications").get_data(as_text=True)
    assert markup.count('<li class="notice') == 30
    assert "Thông báo số 35" in markup and "Thông báo số 5<" not in markup
    more = re.search(r'href="(/notifications\?truoc=\d+)">Xem thêm', markup).group(1)
    older = staff.get(more).get_data(as_text=True)
    assert older.count('<li class="notice') == 5
    assert "Thông báo số 5<" in older and "Xem thêm" not in older
    assert "Về các thông báo mới nhất" in older
    assert staff.get("/notifications?truoc=abc").status_code == 200  # a made-up page: the newest


def test_an_account_without_notifications_is_told_what_will_come_here(as_persona):
    text = text_of(as_persona("supervisor").get("/notifications"))
    assert "Chưa có thông báo nào." in text
    assert "Đánh dấu tất cả là đã đọc" not in text


def test_the_forms_need_the_csrf_token(seeded_app):
    app = seeded_app(WTF_CSRF_ENABLED=True)
    [nid] = make(app, "canbo-a")
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post("/login", data={"username": "canbo-a", "password": "mat-khau-thu-nghiem", "csrf_token": token})
    assert client.post(f"/notifications/{nid}/open").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert read_at(app, nid) is None
    page = client.get("/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/notifications/{nid}/open", data={"csrf_token": token}).status_code == 303


def test_the_page_runs_the_same_queries_for_a_few_notifications_as_for_many(app, as_persona, count_queries):
    staff = as_persona("staff_a")
    make(app, "canbo-a", 2)
    with count_queries() as few:
        assert staff.get("/notifications").status_code == 200
    with app.app_context():
        db.session.execute(delete(Notification))
        db.session.commit()
    make(app, "canbo-a", 40)
    with count_queries() as many:
        assert staff.get("/notifications").status_code == 200
    assert few.count == many.count, many.statements

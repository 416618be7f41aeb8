"""The administration's writes lock the rows they change before the audit head, never after, so
that two of them at once wait in line instead of deadlocking (PostgreSQL ends a deadlock with an
error, a 500). SQLite serializes writing requests as a whole (BEGIN IMMEDIATE): nothing to test."""

import io
import re
import threading
import time

import pytest
from helpers import PASSWORD, SCHOOL_A
from sqlalchemy import text

from aiplan.extensions import db


def _ids(app) -> dict:
    """Account ids by username and school ids by slug."""
    with app.app_context():
        rows = db.session.execute(text('SELECT username, id FROM "user" UNION ALL SELECT slug, id FROM school')).all()
    return dict(rows)


def _version(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1)


def _import_preview(client):
    raw = (
        "tên đăng nhập,họ tên,vai trò,trường,hoạt động\ncanbo-b,Cán bộ B,Cán bộ nhà trường,thcs-thach-ban,có\n"
    ).encode()
    preview = client.post(
        "/admin/import", data={"file": (io.BytesIO(raw), "tai-khoan.csv")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    return {
        name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', preview).group(1)
        for name in ("token", "sha256")
    }


# write -> (the table and row it changes, a function of (client, ids) making the request)
WRITES = {
    "import": (
        "\"user\" WHERE username = 'canbo-b'",
        lambda c, ids: c.post("/admin/import/confirm", data=_import_preview(c)),
    ),
    "account-edit": (
        "\"user\" WHERE username = 'canbo-b'",
        lambda c, ids: c.post(
            f"/admin/accounts/{ids['canbo-b']}",
            data={
                "full_name": "Cán bộ B",
                "role": "school_staff",
                "is_enabled": "y",
                "school": ids["thcs-thach-ban"],
                "version": _version(c, f"/admin/accounts/{ids['canbo-b']}"),
            },
        ),
    ),
    "account-lock": (
        "\"user\" WHERE username = 'canbo-b'",
        lambda c, ids: c.post(f"/admin/accounts/{ids['canbo-b']}/enabled", data={"enabled": "0"}),
    ),
    "password-reset": (
        "\"user\" WHERE username = 'canbo-b'",
        lambda c, ids: c.post(f"/admin/accounts/{ids['canbo-b']}/password"),
    ),
    "school-edit": (
        f"school WHERE slug = '{SCHOOL_A}'",
        lambda c, ids: c.post(
            f"/admin/schools/{SCHOOL_A}/edit",
            data={
                "name": "Trường Tiểu học Đoàn Kết (cơ sở 1)",
                "level": "tieu_hoc",
                "is_pilot": "y",
                "is_active": "y",
                "version": _version(c, f"/admin/schools/{SCHOOL_A}/edit"),
            },
        ),
    ),
    "school-stop": (
        f"school WHERE slug = '{SCHOOL_A}'",
        lambda c, ids: c.post(f"/admin/schools/{SCHOOL_A}/active", data={"active": "0"}),
    ),
    # Not an admin's write, but it changes the account row an admin may be editing.
    "sign-in": (
        "\"user\" WHERE username = 'canbo-b'",
        lambda c, ids: c.application.test_client().post("/login", data={"username": "canbo-b", "password": PASSWORD}),
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_waiting_for_a_row_another_admin_holds_does_not_hold_the_audit_head(app, as_persona, write):
    """Another admin's transaction holds the row (as an edit of it does, until it audits and
    commits); the waiting write must not have taken the audit head that transaction needs next."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are PostgreSQL's; SQLite runs one writing request at a time")
        engine = db.engine
    where, request = WRITES[write]
    client, ids = as_persona("ward_admin"), _ids(app)
    answers = []
    with engine.connect() as other:
        other.execute(text(f"SELECT id FROM {where} FOR UPDATE"))
        holder = other.execute(text("SELECT pg_backend_pid()")).scalar()
        thread = threading.Thread(target=lambda: answers.append(request(client, ids).status_code))
        thread.start()
        try:
            _wait_until_blocked_by(engine, holder)
            # The other admin's transaction goes on to audit: it needs the head now.
            head_free = _try_lock_head(other)
        finally:
            other.rollback()
            thread.join(30)
    assert head_free, f"{write} took the audit head before the row it changes: a deadlock waiting to happen"
    assert answers and answers[0] in (200, 302, 303)


def _wait_until_blocked_by(engine, holder: int) -> None:
    with engine.connect() as watcher:
        for _ in range(200):
            waiting = watcher.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": holder}
            ).scalar()
            if waiting:
                return
            watcher.rollback()
            time.sleep(0.05)
    raise AssertionError("the write never waited for the row held by the other transaction")


def _try_lock_head(connection) -> bool:
    connection.execute(text("SAVEPOINT head"))
    try:
        connection.execute(text("SELECT id FROM audit_head FOR UPDATE NOWAIT"))  # every chain's head
    except Exception:  # noqa: BLE001 — LockNotAvailable (any driver's class): the waiting write holds it
        connection.execute(text("ROLLBACK TO SAVEPOINT head"))
        return False
    return True

"""Issue 16's "done when", on the bundled data with a real SMTP server on 127.0.0.1: the scheduled
scan and the digests together, as `flask send-reminders` runs them — each school's staff get one
Vietnamese digest naming their school's late items and no other school's, and running it again
sends nothing new."""

import re
from datetime import date

import pytest
from mail_helpers import SmtpServer, mail_config, text_part
from sqlalchemy import select

from aiplan.auth.services import create_user
from aiplan.extensions import db
from aiplan.models import ChecklistItem, Role, School, Ward
from aiplan.timeutil import local_today


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def reminders_app(seeded_app, smtp):
    # DIGEST_HOUR 0: the daily digest is due whatever the hour CI runs at.
    return seeded_app(**mail_config(smtp.port, DIGEST_HOUR="0"))


def _staff_with_addresses() -> dict[str, str]:
    """One school staff account with an address for each active school: slug -> address."""
    ward = db.session.scalar(select(Ward))
    addresses = {}
    for school in db.session.scalars(select(School).where(School.is_active.is_(True)).order_by(School.slug)):
        address = f"nhanviec@{school.slug}.example"
        create_user(
            f"nv-{school.slug}", Role.SCHOOL_STAFF, "mot-mat-khau-du-dai", ward=ward, school=school, email=address
        )
        addresses[school.slug] = address
    return addresses


def _late_items(today: date) -> dict[str, set[int]]:
    rows = db.session.execute(
        select(School.slug, ChecklistItem.id)
        .join(School, ChecklistItem.school_id == School.id)
        .where(School.is_active.is_(True), ChecklistItem.retired.is_(False), ChecklistItem.is_late(today))
    )
    late: dict[str, set[int]] = {}
    for slug, item_id in rows:
        late.setdefault(slug, set()).add(item_id)
    return late


def test_send_reminders_sends_each_school_one_digest_of_its_late_items_and_nothing_twice(reminders_app, smtp):
    with reminders_app.app_context():
        addresses = _staff_with_addresses()
        late = _late_items(local_today())
    assert sum(len(ids) for ids in late.values()) > 0, "the bundled data has late items today"

    first = reminders_app.test_cli_runner().invoke(args=["send-reminders"])
    assert first.exit_code == 0, first.output

    for slug, address in addresses.items():
        mails = smtp.inbox.to(address)
        if slug not in late:
            continue
        assert len(mails) == 1, f"{slug}: {len(mails)} digests"
        text = text_part(mails[0])
        assert "Kính gửi" in text
        # Each of the school's late items is named with its link (the school's report, mốc 8, with
        # the report's page); no other school's item is.
        linked = {int(found) for found in re.findall(rf"/schools/{slug}#item-([0-9]+)", text)}
        assert set(re.findall(r"/schools/([a-z0-9-]+)", text)) == {slug}
        missing = late[slug] - linked
        assert len(missing) <= 1 and (not missing or f"/schools/{slug}/report" in text), missing
    received = len(smtp.inbox.received)
    assert received >= len(late)

    again = reminders_app.test_cli_runner().invoke(args=["send-reminders"])
    assert again.exit_code == 0, again.output
    assert "Đã gửi: 0." in again.output
    assert len(smtp.inbox.received) == received

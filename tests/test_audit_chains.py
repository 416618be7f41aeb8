"""One audit chain per ward (issue 18, item 4): a write in one ward never waits for a write in
another, `verify` checks each chain and names the ward, tampering in one ward leaves the other's
word standing, and the single chain written before the split keeps verifying after migration
0022. Tampering is done as someone with database access would: raw UPDATE/DELETE."""

import os
import threading

import pytest
from flask_migrate import upgrade
from helpers import SCHOOL_A, base_config, db_is_postgresql, ward_head
from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from aiplan import audit, audit_mac, create_app
from aiplan.auditlog.verify import verify_audit_chain
from aiplan.extensions import db
from aiplan.models import AuditEvent, AuditHead, ChecklistItem, School, SchoolLevel, User, Ward
from aiplan.models.audit import chain_anchor
from aiplan.models.types import utcnow
from aiplan.timeutil import LOCAL_TZ

events, heads = AuditEvent.__table__, AuditHead.__table__
LONG_BIEN = "Chuỗi nhật ký của Phường Long Biên: "
BO_DE = "Chuỗi nhật ký của Phường Bồ Đề: "


@pytest.fixture
def app(seeded_app):
    """The seeded ward (Long Biên) and a second ward (Bồ Đề) with a school, each with a few events."""
    app = seeded_app()
    with app.app_context():
        ward = Ward(slug="bo-de", name="Phường Bồ Đề", city="Thành phố Hà Nội", authority="UBND", office="VHXH")
        db.session.add(ward)
        db.session.flush()
        school = School(ward_id=ward.id, slug="th-bo-de", name="Trường Tiểu học Bồ Đề", level=SchoolLevel.TIEU_HOC)
        db.session.add(school)
        db.session.flush()
        for n in range(5):
            audit.record("school.update", school, after={"note": f"Bồ Đề {n}"}, school_id=school.id)
            audit.record("item.update", _item(), after={"note": f"Long Biên {n}"}, school_id=_item().school_id)
        db.session.commit()
    return app


def _item() -> ChecklistItem:
    return db.session.scalar(select(ChecklistItem).join(School).where(School.slug == SCHOOL_A).limit(1))


def _bo_de() -> AuditHead:
    return ward_head("th-bo-de")


def _verify(app, *args):
    return app.test_cli_runner().invoke(args=["verify", "--quick", *args])


def test_each_ward_writes_to_a_chain_of_its_own(app):
    with app.app_context():
        long_bien, bo_de = ward_head(), _bo_de()
        bo_de_events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain_id == bo_de.id).order_by(AuditEvent.seq)
        ).all()

        assert long_bien.id != bo_de.id
        assert [e.seq for e in bo_de_events] == [1, 2, 3, 4, 5]  # numbered within the ward, not city-wide
        assert [e.after["note"] for e in bo_de_events] == [f"Bồ Đề {n}" for n in range(5)]
        # The first event of the ward starts from the chain's anchor, not from the other ward's events
        assert bo_de_events[0].prev_hash == chain_anchor(f"ward:{bo_de.ward_id}", "0" * 64)
        assert bo_de.seq == 5 and bo_de.hash == bo_de_events[-1].hash
        assert audit_mac.is_signed(bo_de, audit_mac.current_key())
        assert verify_audit_chain() == []


def test_an_event_goes_to_its_wards_chain_by_ward_school_or_account_and_else_to_the_system_chain(app):
    with app.app_context():
        bo_de = _bo_de()
        staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
        by_ward = audit.record("plan.calendar", after={"note": "phường"}, ward_id=bo_de.ward_id)
        by_school = audit.record("school.update", after={"note": "trường"}, school_id=_item().school_id)
        by_account = audit.record("auth.login", staff, actor=staff)  # a sign-in names only the account
        by_nobody = audit.record("demo.generate", after={"note": "lệnh"})  # a command: no ward, no account
        db.session.commit()

        chains = {head.id: head.scope for head in db.session.scalars(select(AuditHead))}
        assert chains[by_ward.chain_id] == f"ward:{bo_de.ward_id}"
        assert chains[by_school.chain_id] == chains[by_account.chain_id] == ward_head().scope
        assert chains[by_nobody.chain_id] == "system"
        assert verify_audit_chain() == []


def test_verify_lists_each_wards_chain_as_intact(app):
    result = _verify(app)

    assert result.exit_code == 0, result.output
    assert "mọi chuỗi hash nguyên vẹn" in result.output
    assert "  Chuỗi của Phường Bồ Đề: 5 bản ghi, nguyên vẹn." in result.output
    assert "  Chuỗi của Phường Long Biên: " in result.output


def test_an_edited_event_is_reported_for_its_ward_only(app):
    with app.app_context():
        bo_de = _bo_de()
        db.session.execute(
            update(events).where(events.c.chain_id == bo_de.id, events.c.seq == 3).values(after={"note": "sửa lén"})
        )
        db.session.commit()
        event = db.session.scalar(select(AuditEvent).filter_by(chain_id=bo_de.id, seq=3))
        at, long_bien_events = event.at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M"), ward_head().seq

    result = _verify(app)

    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("Chuỗi nhật ký")]
    assert problems == [
        f"{BO_DE}bản ghi #3 (id {event.id}, Cập nhật thông tin trường, {at}): nội dung đã bị sửa (hash không khớp)."
    ]
    assert "  Chuỗi của Phường Bồ Đề: 5 bản ghi, có 1 vấn đề." in result.output
    assert f"  Chuỗi của Phường Long Biên: {long_bien_events} bản ghi, nguyên vẹn." in result.output
    assert "mọi chuỗi hash nguyên vẹn" not in result.output


def test_a_ward_whose_newest_events_were_cut_off_is_named_and_the_other_still_verifies(app):
    with app.app_context():
        bo_de = _bo_de()
        kept = db.session.scalar(select(AuditEvent).filter_by(chain_id=bo_de.id, seq=3))
        db.session.execute(delete(events).where(events.c.chain_id == bo_de.id, events.c.seq > 3))
        db.session.execute(update(heads).where(heads.c.id == bo_de.id).values(seq=kept.seq, hash=kept.hash))
        db.session.commit()

        problems = verify_audit_chain()

    assert problems == [
        f"{BO_DE}chữ ký HMAC của đầu chuỗi (bản ghi cuối #3) không khớp: đầu chuỗi đã bị sửa ngoài ứng dụng; "
        "có thể các bản ghi cuối đã bị xóa và đầu chuỗi bị lùi lại."
    ]


def test_events_moved_from_one_ward_to_another_break_the_chain_they_were_moved_into(app):
    """The anchor names the ward: a chain cannot be passed off as another ward's."""
    with app.app_context():
        bo_de, long_bien = _bo_de(), ward_head()
        db.session.execute(update(heads).where(heads.c.id == long_bien.id).values(scope="tam", ward_id=None))
        db.session.execute(
            update(heads).where(heads.c.id == bo_de.id).values(scope=long_bien.scope, ward_id=long_bien.ward_id)
        )
        db.session.commit()

        problems = verify_audit_chain()

    assert any(p.startswith(LONG_BIEN + "bản ghi #1 (") and "điểm neo của chuỗi" in p for p in problems), problems


def test_a_lock_on_one_wards_head_does_not_hold_back_a_write_in_another(app):
    """The point of the split, on PostgreSQL: a transaction that holds Long Biên's head (a write
    in progress there) leaves a write in Bồ Đề free, and holds back one in Long Biên."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip(
                "SQLite locks the whole database for any write (one writer at a time): only PostgreSQL can show it"
            )
        long_bien_head, bo_de_head = ward_head().id, _bo_de().id
        bo_de_school = db.session.scalar(select(School.id).filter_by(slug="th-bo-de"))
        long_bien_school = _item().school_id
        engine = db.engine

    with engine.connect() as other:
        other.execute(text("SELECT id FROM audit_head WHERE id = :id FOR UPDATE"), {"id": long_bien_head})

        with app.app_context():
            db.session.execute(text("SET LOCAL lock_timeout = '3s'"))
            audit.record("school.update", after={"note": "trong lúc Long Biên đang ghi"}, school_id=bo_de_school)
            db.session.commit()

            db.session.execute(text("SET LOCAL lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                audit.record("school.update", after={"note": "phải chờ"}, school_id=long_bien_school)
            db.session.rollback()
        other.rollback()

    with app.app_context():
        assert db.session.get(AuditHead, bo_de_head).seq == 6
        assert verify_audit_chain() == []


def test_writers_of_two_wards_at_once_keep_both_chains_whole(app):
    """4 writers in each ward, 5 audited commits each, all at once: two unbroken chains."""
    with app.app_context():
        schools = {
            "long-bien": _item().school_id,
            "bo-de": db.session.scalar(select(School.id).filter_by(slug="th-bo-de")),
        }
        before = {name: ward_head(slug).seq for name, slug in (("long-bien", SCHOOL_A), ("bo-de", "th-bo-de"))}
    start, errors = threading.Barrier(8), []

    def writer(ward: str, n: int):
        try:
            with app.app_context():
                start.wait()
                for i in range(5):
                    audit.record("school.update", after={"note": f"{ward} {n}-{i}"}, school_id=schools[ward])
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below with the thread's ward and number
            errors.append((ward, n, repr(error)))

    threads = [threading.Thread(target=writer, args=(ward, n)) for ward in schools for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with app.app_context():
        assert ward_head().seq == before["long-bien"] + 20
        assert ward_head("th-bo-de").seq == before["bo-de"] + 20
        assert verify_audit_chain() == []


def test_the_first_writes_of_a_new_ward_at_once_make_one_chain(app):
    """A ward made after the migration has no head until its first write; two first writes at
    the same moment must not fail one of them or start two chains."""
    with app.app_context():
        ward = Ward(slug="viet-hung", name="Phường Việt Hưng", city="Thành phố Hà Nội", authority="UBND", office="VHXH")
        db.session.add(ward)
        db.session.commit()
        ward_id = ward.id
    start, errors = threading.Barrier(4), []

    def writer(n: int):
        try:
            with app.app_context():
                start.wait()
                audit.record("plan.calendar", after={"note": str(n)}, ward_id=ward_id)
                db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append((n, repr(error)))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with app.app_context():
        [head] = db.session.scalars(select(AuditHead).filter_by(ward_id=ward_id)).all()
        assert head.seq == 4
        assert verify_audit_chain() == []


# -- the migration from one chain --------------------------------------------------------------


@pytest.fixture
def scratch(database_url, tmp_path):
    """A new app on an empty database of its own (a SQLite file, or a PostgreSQL schema)."""
    made = []

    def new():
        schema = None
        if db_is_postgresql(database_url):
            schema = f"chains_{os.getpid()}"
            url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
            url = url.render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp_path / 'chains.sqlite3'}"
        instance = create_app(base_config(url, str(tmp_path)))
        made.append((instance, schema))
        if schema:
            with instance.app_context(), db.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
        return instance

    yield new
    for instance, schema in made:
        with instance.app_context():
            db.session.remove()
            if schema:
                with db.engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            db.engine.dispose()


def _write_the_old_way(connection, n: int) -> None:
    """Append an event to the one chain as aiplan did at revision 0020: after head id 1, then
    move the head and sign it."""
    seq, prev = connection.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    event = AuditEvent(
        seq=seq + 1,
        at=utcnow(),
        actor_id=None,
        actor_name="hệ thống",
        ward_id=1,
        school_id=None,
        action="plan.calendar",
        object_type="",
        object_id=None,
        before=None,
        after={"note": f"trước khi tách {n}"},
        ip="",
        request_id="",
        prev_hash=prev,
    )
    digest = audit.event_hash(event)
    connection.execute(
        text(
            "INSERT INTO audit_event (seq, at, actor_name, ward_id, action, object_type, after, ip, request_id, "
            "prev_hash, hash) VALUES (:seq, :at, 'hệ thống', 1, 'plan.calendar', '', :after, '', '', :prev, :hash)"
        ),
        {
            "seq": seq + 1,
            "at": event.at.replace(tzinfo=None),
            "after": f'{{"note": "trước khi tách {n}"}}',
            "prev": prev,
            "hash": digest,
        },
    )
    key = audit_mac.current_key()
    assert key is not None
    connection.execute(
        text("UPDATE audit_head SET seq = :seq, hash = :hash, mac = :mac, key_id = :key_id WHERE id = 1"),
        {
            "seq": seq + 1,
            "hash": digest,
            "mac": audit_mac.head_mac(key, seq + 1, digest),
            "key_id": audit_mac.key_id(key),
        },
    )


def _old_database(scratch):
    """A database at revision 0020 with one ward and three events in the one chain."""
    old = scratch()
    with old.app_context():
        upgrade(revision="0020")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO ward (id, slug, name, city, authority, office) "
                    "VALUES (1, 'long-bien', 'Phường Long Biên', 'Hà Nội', 'UBND', 'VHXH')"
                )
            )
            for n in range(3):
                _write_the_old_way(connection, n)
    return old


def test_the_one_chain_written_before_the_split_still_verifies_after_the_migration(scratch):
    app = _old_database(scratch)
    with app.app_context():
        legacy_before = db.session.execute(text("SELECT seq, hash, mac FROM audit_head WHERE id = 1")).one()
        db.session.rollback()
        upgrade()

        legacy = db.session.get(AuditHead, 1)
        assert (legacy.scope, legacy.seq, legacy.hash, legacy.mac) == ("legacy", *legacy_before)
        assert db.session.scalars(select(AuditEvent.chain_id).distinct()).all() == [1]
        assert verify_audit_chain() == []
        ward_chain = db.session.scalar(select(AuditHead).filter_by(ward_id=1))
        assert ward_chain.hash == chain_anchor("ward:1", legacy.hash)  # the ward's chain names the old one's end

        event = audit.record("plan.calendar", after={"note": "sau khi tách"}, ward_id=1)
        db.session.commit()
        assert event.chain_id == ward_chain.id and event.seq == 1
        assert event.prev_hash == chain_anchor("ward:1", legacy.hash)
        assert db.session.get(AuditHead, 1).seq == 3  # the old chain is closed
        assert verify_audit_chain() == []

    result = app.test_cli_runner().invoke(args=["verify", "--quick"])
    assert result.exit_code == 0, result.output
    assert "  Chuỗi của giai đoạn trước khi tách theo phường: 3 bản ghi, nguyên vẹn." in result.output
    assert "  Chuỗi của Phường Long Biên: 1 bản ghi, nguyên vẹn." in result.output


def test_cutting_the_history_before_the_split_breaks_every_ward_chain_that_follows_it(scratch):
    app = _old_database(scratch)
    with app.app_context():
        upgrade()
        audit.record("plan.calendar", after={"note": "sau khi tách"}, ward_id=1)
        db.session.commit()
        kept = db.session.scalar(select(AuditEvent).filter_by(chain_id=1, seq=2))
        db.session.execute(delete(events).where(events.c.chain_id == 1, events.c.seq == 3))
        db.session.execute(update(heads).where(heads.c.id == 1).values(seq=2, hash=kept.hash))
        db.session.commit()

        problems = verify_audit_chain()

    assert any(p.startswith("Chuỗi nhật ký của giai đoạn trước khi tách theo phường: chữ ký HMAC") for p in problems)
    assert any(p.startswith(LONG_BIEN + "bản ghi #1 (") and "điểm neo của chuỗi" in p for p in problems), problems


def test_a_wards_whole_chain_deleted_is_caught_by_the_newest_backup(app, tmp_path):
    """Deleting every event of a ward and its head row looks like a ward that never wrote (the
    limit said in docs/backups.md); the newest backup lists every chain and names the ward."""
    backups = tmp_path / "backups"
    assert app.test_cli_runner().invoke(args=["backup", str(backups)]).exit_code == 0
    with app.app_context():
        bo_de = _bo_de()
        db.session.execute(delete(events).where(events.c.chain_id == bo_de.id))
        db.session.execute(delete(heads).where(heads.c.id == bo_de.id))
        db.session.commit()

    alone = _verify(app)
    against = _verify(app, "--against-backup", str(backups))

    assert alone.exit_code == 0, alone.output
    assert against.exit_code == 1, against.output
    [archive] = backups.glob("aiplan-backup-*.tar")
    assert f"{BO_DE}nhật ký chỉ có đến bản ghi #0 nhưng bản sao lưu {archive.name} (lúc " in against.output
    assert "đã có đến bản ghi #5" in against.output
    assert "Phường Long Biên" not in "".join(line for line in against.output.splitlines() if "bản sao lưu" in line)


def test_downgrading_gives_the_one_chain_back_until_a_ward_has_written_to_its_own(scratch):
    from flask_migrate import downgrade

    app = _old_database(scratch)
    with app.app_context():
        before = db.session.execute(text("SELECT seq, hash, mac FROM audit_head")).all()
        db.session.rollback()
        upgrade()
        downgrade(revision="0020")
        assert db.session.execute(text("SELECT seq, hash, mac FROM audit_head")).all() == before
        db.session.rollback()

        upgrade()
        audit.record("plan.calendar", after={"note": "sau khi tách"}, ward_id=1)
        db.session.commit()
        with pytest.raises(SystemExit):  # Flask-Migrate's way of failing, after logging the migration's message
            downgrade(revision="0020")
        db.session.rollback()
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() != "0020"
        assert verify_audit_chain() == []

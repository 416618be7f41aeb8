"""`flask --app aiplan verify`: the audit log can be shown to be untouched, and the evidence files
to be the bytes that were uploaded (docs/security.md lines 17 and 20). Tampering is done the way an
intruder with database or disk access would: raw UPDATE/DELETE, bytes changed on disk."""

import io
import threading
from pathlib import Path

import pytest
from helpers import SCHOOL_A, ward_head
from sqlalchemy import delete, func, select, update

from aiplan import audit
from aiplan.auditlog import verify
from aiplan.auditlog.verify import verify_all, verify_audit_chain, verify_files
from aiplan.evidence.services import Upload, save_uploads
from aiplan.extensions import db
from aiplan.models import AuditEvent, ChecklistItem, School, User
from aiplan.storage import get_storage

PDF = b"%PDF-1.4\n% ke hoach cua truong\n%%EOF\n"
events = AuditEvent.__table__
WARD = "Chuỗi nhật ký của Phường Long Biên: "  # how every problem in the seeded ward's chain begins


@pytest.fixture
def app(seeded_app, tmp_path):
    """The seeded app with an evidence store of its own, and a log of a few dozen events."""
    app = seeded_app(EVIDENCE_DIR=str(tmp_path / "evidence"))
    with app.app_context():
        item = _item()
        for n in range(12):
            audit.record(
                "item.update", item, before={"note": str(n)}, after={"note": str(n + 1)}, school_id=item.school_id
            )
        db.session.commit()
    return app


def _item(key: str = "m3") -> ChecklistItem:
    return db.session.scalar(
        select(ChecklistItem).join(School).where(School.slug == SCHOOL_A, ChecklistItem.key == key)
    )


def _seq(n: int) -> int:
    """The seq of the fixture's n-th event (1–12) in the ward's chain, after those of the seeding."""
    return ward_head().seq - 12 + n


def _chain(seq: int):
    """The event `seq` of the seeded ward's chain, for a raw UPDATE or DELETE."""
    return (events.c.chain_id == ward_head().id) & (events.c.seq == seq)


def _event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _stored_file(name: str = "Kế hoạch nhà trường.pdf"):
    item = _item()
    staff = db.session.scalar(select(User).filter_by(username="canbo-a"))
    [file] = save_uploads([Upload(io.BytesIO(PDF), name)], school=item.school, actor=staff, item=item)
    return file, item.title, Path(get_storage()._path(file.sha256))


def _run(runner, *args):
    return runner.invoke(args=["verify", *args])


def test_a_clean_log_and_store_pass_with_two_lines(app, runner):
    with app.app_context():
        _stored_file()
        count, in_ward = _event_count(), ward_head().seq

    result = _run(runner)

    assert result.exit_code == 0, result.output
    assert f"Nhật ký: {count} bản ghi trong " in result.output
    assert "chuỗi, mọi chuỗi hash nguyên vẹn." in result.output
    assert f"  Chuỗi của Phường Long Biên: {in_ward} bản ghi, nguyên vẹn." in result.output
    assert "Minh chứng: 1 tệp khớp SHA-256." in result.output
    with app.app_context():
        assert verify_all() == []


def test_an_event_whose_content_was_edited_is_named_by_its_number(app, runner):
    with app.app_context():
        seq = _seq(7)
        db.session.execute(update(events).where(_chain(seq)).values(after={"note": "đã sửa lén"}))
        db.session.commit()
        event_id = db.session.scalar(select(events.c.id).where(_chain(seq)))

    result = _run(runner)

    assert result.exit_code == 1
    assert f"{WARD}bản ghi #{seq} (id {event_id}, Cập nhật mục việc, " in result.output
    assert "nội dung đã bị sửa (hash không khớp)" in result.output
    assert "chuỗi hash nguyên vẹn" not in result.output
    assert "Minh chứng: 0 tệp khớp SHA-256." in result.output  # the files part still reports


def test_an_edit_that_recomputes_the_hash_still_breaks_the_link_to_the_next_event(app):
    with app.app_context():
        seq = _seq(5)
        event = db.session.scalar(select(AuditEvent).filter_by(seq=seq, chain_id=ward_head().id))
        event.after = {"note": "đã sửa lén"}
        forged = audit.event_hash(event)
        db.session.rollback()
        db.session.execute(update(events).where(_chain(seq)).values(after={"note": "đã sửa lén"}, hash=forged))
        db.session.commit()

        problems = verify_audit_chain()

    assert len(problems) == 1
    assert problems[0].startswith(f"{WARD}bản ghi #{seq + 1} (") and f"không nối tiếp bản ghi #{seq}" in problems[0]


def test_a_deleted_event_is_reported_as_a_gap(app, runner):
    with app.app_context():
        seq = _seq(4)
        db.session.execute(delete(events).where(_chain(seq)))
        db.session.commit()

    result = _run(runner)

    assert result.exit_code == 1
    assert f"{WARD}thiếu bản ghi #{seq}\n" in result.output


def test_deleting_the_newest_events_is_caught_by_the_head_of_the_chain(app):
    with app.app_context():
        last = ward_head().seq
        db.session.execute(delete(events).where(events.c.chain_id == ward_head().id, events.c.seq >= last - 1))
        db.session.commit()

        problems = verify_audit_chain()

    assert problems == [f"{WARD}thiếu các bản ghi #{last - 1}–#{last} (đầu chuỗi ghi bản ghi cuối là #{last})."]


def test_two_events_swapped_in_order_are_reported(app):
    with app.app_context():
        first, second = _seq(3), _seq(8)
        db.session.execute(update(events).where(_chain(first)).values(seq=-1))
        db.session.execute(update(events).where(_chain(second)).values(seq=first))
        db.session.execute(update(events).where(_chain(-1)).values(seq=second))
        db.session.commit()

        problems = verify_audit_chain()

    unlinked = f"không nối tiếp bản ghi #{first - 1}"
    assert any(p.startswith(f"{WARD}bản ghi #{first} (") and unlinked in p for p in problems), problems
    assert any(p.startswith(f"{WARD}bản ghi #{second} (") and "nội dung đã bị sửa" in p for p in problems), problems


def test_a_replaced_hash_is_reported(app):
    with app.app_context():
        seq = _seq(2)
        db.session.execute(update(events).where(_chain(seq)).values(hash="f" * 64))
        db.session.commit()

        problems = verify_audit_chain()

    assert len(problems) == 2
    assert problems[0].startswith(f"{WARD}bản ghi #{seq} (") and "nội dung đã bị sửa" in problems[0]
    assert problems[1].startswith(f"{WARD}bản ghi #{seq + 1} (") and f"không nối tiếp bản ghi #{seq}" in problems[1]


def test_the_log_is_read_in_batches_and_a_gap_at_a_batch_edge_is_found(app, monkeypatch, count_queries):
    monkeypatch.setattr(verify, "BATCH", 5)
    with app.app_context():
        count = _event_count()
        edge = 5 * (ward_head().seq // 5 - 1) + 1  # the first of the ward chain's last full batch
        db.session.execute(delete(events).where(_chain(edge)))
        db.session.commit()

    with app.app_context(), count_queries() as counter:
        found = verify.check_audit_chain()

    assert found.problems == [f"{WARD}thiếu bản ghi #{edge}"]
    assert found.checked == count - 1
    assert counter.count >= (count - 1) // 5  # one query per batch, not one for everything


def test_a_file_whose_bytes_changed_on_disk_is_named_with_its_item(app, runner):
    with app.app_context():
        file, item_title, path = _stored_file("Kế hoạch nhà trường.pdf")
    path.chmod(0o644)
    path.write_bytes(PDF.replace(b"ke hoach", b"KE HOACH"))

    result = _run(runner)

    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if line.startswith("Minh chứng #"))
    assert f"Minh chứng #{file.id} «Kế hoạch nhà trường.pdf»" in line
    assert f"mục «{item_title}»" in line
    assert "SHA-256 không khớp" in line
    assert "Nhật ký:" in result.output and "chuỗi hash nguyên vẹn" in result.output
    quick = _run(runner, "--quick")
    assert quick.exit_code == 0, quick.output  # --quick does not re-read the bytes


def test_a_missing_blob_is_reported_even_with_quick(app, runner):
    with app.app_context():
        file, _, path = _stored_file("Biên bản.pdf")
    path.unlink()

    result = _run(runner, "--quick")

    assert result.exit_code == 1
    assert f"Minh chứng #{file.id} «Biên bản.pdf»" in result.output
    assert "không còn tệp trong kho" in result.output
    with app.app_context():
        assert verify_files(quick=True) == verify_files() and len(verify_files()) == 1


def test_concurrent_writers_append_to_one_chain_without_forking_it(app):
    """8 writers with their own sessions, 10 audited commits each: one unbroken chain of 80 more."""
    with app.app_context():
        before, in_ward = _event_count(), ward_head().seq
        item_id = _item().id
    start = threading.Barrier(8)
    errors = []

    def writer(n):
        try:
            with app.app_context():
                start.wait()
                for i in range(10):
                    item = db.session.get(ChecklistItem, item_id)
                    audit.record("item.update", item, after={"note": f"{n}-{i}"}, school_id=item.school_id)
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below with the thread's number
            errors.append((n, repr(error)))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with app.app_context():
        assert _event_count() == before + 80
        assert ward_head().seq == in_ward + 80
        assert verify_audit_chain() == []


def test_verify_reads_one_snapshot_and_does_not_block_the_apps_writers(app):
    """While verify holds its snapshot, the app commits audited changes; verify sees none of them
    (no false "missing record" at the head) and the writer never waits for it."""
    from aiplan.database import read_snapshot

    with app.app_context():
        item_id = _item().id
        with read_snapshot():
            seen_before = db.session.scalar(select(func.count(AuditEvent.id)))
            errors = []

            def writer():
                try:
                    with app.app_context():
                        item = db.session.get(ChecklistItem, item_id)
                        audit.record(
                            "item.update", item, after={"note": "trong lúc kiểm tra"}, school_id=item.school_id
                        )
                        db.session.commit()
                        db.session.remove()
                except Exception as error:  # noqa: BLE001 - the assertion below shows it
                    errors.append(repr(error))

            thread = threading.Thread(target=writer)
            thread.start()
            thread.join(10)
            assert not thread.is_alive() and errors == []
            assert db.session.scalar(select(func.count(AuditEvent.id))) == seen_before
            assert verify.check_audit_chain().problems == []
        assert _event_count() == seen_before + 1
        assert verify_all() == []

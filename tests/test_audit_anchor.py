"""The audit chain is anchored outside the database: its head is signed with AUDIT_KEY, and
`verify --against-backup DIR` holds the log against the newest backup's manifest. Tampering is
done as someone with only database access would: delete the newest events and set the head row
back to the last event kept, consistently, with raw SQL."""

import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from helpers import SCHOOL_A, ward_head
from sqlalchemy import delete, select, update

from aiplan import audit, create_app
from aiplan.extensions import db
from aiplan.models import AuditEvent, AuditHead, ChecklistItem, School

events, heads = AuditEvent.__table__, AuditHead.__table__
WARD = "Chuỗi nhật ký của Phường Long Biên: "  # how every problem in the seeded ward's chain begins


@pytest.fixture
def app(seeded_app):
    app = seeded_app()
    with app.app_context():
        _write(12)
    return app


def _write(count: int) -> None:
    """`count` audited changes, each committed, as the app makes them."""
    item = db.session.scalar(select(ChecklistItem).join(School).where(School.slug == SCHOOL_A))
    for n in range(count):
        audit.record("item.update", item, after={"note": f"ghi chú {n}"}, school_id=item.school_id)
        db.session.commit()


def _head() -> dict:
    head = ward_head()
    return {"seq": head.seq, "hash": head.hash, "mac": head.mac, "key_id": head.key_id}


def _rewind(count: int, head: dict | None = None) -> int:
    """Delete the newest `count` events and set the head back to the last one kept (or to `head`,
    an earlier head row someone copied). Returns the seq the log now ends at."""
    chain = ward_head()
    kept = db.session.scalar(select(AuditEvent).filter_by(chain_id=chain.id, seq=chain.seq - count))
    db.session.execute(delete(events).where(events.c.chain_id == chain.id, events.c.seq > kept.seq))
    db.session.execute(update(heads).where(heads.c.id == chain.id).values(head or {"seq": kept.seq, "hash": kept.hash}))
    db.session.commit()
    return kept.seq


def _verify(app, *args, **env):
    return app.test_cli_runner().invoke(args=["verify", "--quick", *args], env=env or None)


def test_a_clean_log_says_its_head_is_signed(app):
    result = _verify(app)

    assert result.exit_code == 0, result.output
    assert "Đầu mọi chuỗi có chữ ký hợp lệ" in result.output


def test_deleting_the_newest_events_and_setting_the_head_back_is_caught(app):
    with app.app_context():
        end = _rewind(3)

    result = _verify(app)

    assert result.exit_code == 1, result.output
    assert f"{WARD}chữ ký HMAC của đầu chuỗi (bản ghi cuối #{end}) không khớp" in result.output
    assert "các bản ghi cuối đã bị xóa và đầu chuỗi bị lùi lại" in result.output


def test_the_apps_next_writes_do_not_cover_up_a_rewind(app):
    with app.app_context():
        end = _rewind(3)
        _write(2)

    result = _verify(app)

    assert result.exit_code == 1, result.output
    assert f"{WARD}chữ ký HMAC của đầu chuỗi (bản ghi cuối #{end + 2}) không khớp" in result.output


@pytest.mark.parametrize(
    "mac, message",
    [
        ("0" * 64, WARD + "chữ ký HMAC của đầu chuỗi (bản ghi cuối #{seq}) không khớp"),
        (None, WARD + "đầu chuỗi (bản ghi cuối #{seq}) không có chữ ký HMAC"),
    ],
)
def test_a_tampered_or_removed_signature_is_named(app, mac, message):
    with app.app_context():
        seq = _head()["seq"]
        db.session.execute(update(heads).where(heads.c.id == ward_head().id).values(mac=mac))
        db.session.commit()

    result = _verify(app)

    assert result.exit_code == 1
    assert message.format(seq=seq) in result.output


def test_a_rewind_to_a_head_copied_earlier_is_caught_by_the_newest_backup(app, tmp_path):
    """Someone who copied the head row at #N and later cuts the log back to #N passes the
    signature check: the backup taken in between is what catches them."""
    with app.app_context():
        copied = _head()
        _write(3)
    backups = tmp_path / "backups"
    assert app.test_cli_runner().invoke(args=["backup", str(backups)]).exit_code == 0
    with app.app_context():
        backed_up = _head()["seq"]
        _rewind(3, head=copied)

    assert _verify(app).exit_code == 0  # the limit of the signature alone, said in docs/backups.md
    result = _verify(app, "--against-backup", str(backups))
    from_env = _verify(app, AUDIT_BACKUP_DIR=str(backups))

    assert result.exit_code == 1, result.output
    [archive] = backups.glob("aiplan-backup-*.tar")
    assert f"{WARD}nhật ký chỉ có đến bản ghi #{copied['seq']} nhưng bản sao lưu {archive.name} (lúc " in result.output
    assert f"đã có đến bản ghi #{backed_up}" in result.output and "đã bị xóa khỏi cuối chuỗi" in result.output
    assert from_env.exit_code == 1 and f"bản sao lưu {archive.name}" in from_env.output


def test_a_log_that_holds_the_newest_backups_head_passes_against_it(app, tmp_path):
    backups = tmp_path / "backups"
    runner = app.test_cli_runner()
    for _ in range(2):  # the same second, most likely: the newest is then "-2"
        assert runner.invoke(args=["backup", str(backups)]).exit_code == 0
        with app.app_context():
            backed_up = _head()["seq"]
            _write(1)

    result = _verify(app, "--against-backup", str(backups))

    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "Khớp với bản sao lưu aiplan-backup-" in line]
    assert "còn nguyên bản ghi cuối của " in line and f"#{backed_up}" in line


def test_verify_against_a_folder_without_backups_says_so(app, tmp_path):
    result = _verify(app, "--against-backup", str(tmp_path / "khong-co"))

    assert result.exit_code == 1
    assert "Không có bản sao lưu nào (aiplan-backup-*.tar) trong" in result.output


def test_a_head_signed_with_another_key_is_explained_and_can_be_signed_again(app, make_app):
    with app.app_context():
        old_key = _head()["key_id"]
    moved = make_app(AUDIT_KEY="khoa-cua-may-moi")  # the same database, a new key
    with moved.app_context():
        _write(1)  # the app keeps working, but does not sign over a head it cannot check

    before = _verify(moved)
    signed = moved.test_cli_runner().invoke(args=["sign-audit-head"])
    after = _verify(moved)

    assert before.exit_code == 1
    assert f"{WARD}đầu chuỗi được ký bằng một khóa khác (mã khóa {old_key})" in before.output
    assert "flask --app aiplan sign-audit-head" in before.output
    assert signed.exit_code == 0, signed.output
    assert after.exit_code == 0, after.output
    with moved.app_context():
        last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert last.action == "audit.sign" and last.before["key_id"] == old_key
    assert _verify(app).exit_code == 1  # the old key no longer matches: nobody re-signs unseen


def test_signing_again_is_refused_when_the_chain_itself_is_broken(app):
    with app.app_context():
        seq = _head()["seq"] - 5
        db.session.execute(delete(events).where(events.c.chain_id == ward_head().id, events.c.seq == seq))
        db.session.commit()
        head = _head()

    result = app.test_cli_runner().invoke(args=["sign-audit-head"])

    assert result.exit_code == 1
    assert f"thiếu bản ghi #{seq}" in result.output
    with app.app_context():
        assert _head() == head


def test_without_a_key_the_app_writes_and_verify_explains_what_it_cannot_check(seeded_app):
    app = seeded_app(AUDIT_KEY="")
    with app.app_context():
        _write(1)

    result = _verify(app)

    assert result.exit_code == 1
    assert "Chưa có khóa ký nhật ký (AUDIT_KEY, hoặc tệp instance/audit_key)" in result.output
    assert "Traceback" not in result.output


def test_the_key_is_made_once_in_the_instance_folder_for_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    monkeypatch.setenv("AIPLAN_INSTANCE", str(tmp_path / "instance"))
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.sqlite3'}"}

    first, second = create_app(config), create_app(config)

    path = Path(tmp_path / "instance" / "audit_key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.config["AUDIT_KEY"] == second.config["AUDIT_KEY"] == path.read_text().strip()
    assert len(first.config["AUDIT_KEY"]) == 64
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_a_backup_manifest_whose_head_was_edited_is_named(app, tmp_path):
    with app.app_context():
        scope = ward_head().scope
    backups = tmp_path / "backups"
    assert app.test_cli_runner().invoke(args=["backup", str(backups)]).exit_code == 0
    [archive] = backups.glob("aiplan-backup-*.tar")
    edited = tmp_path / "edited.tar"
    with tarfile.open(archive) as source, tarfile.open(edited, "w", format=tarfile.PAX_FORMAT) as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["audit_heads"][scope]["seq"] -= 2  # as if the backup had been taken two records earlier
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    edited.replace(archive)

    result = _verify(app, "--against-backup", str(backups))

    assert result.exit_code == 1
    assert f"{WARD}đầu chuỗi ghi trong bản sao lưu {archive.name}" in result.output
    assert "manifest.json của bản sao lưu đã bị sửa" in result.output

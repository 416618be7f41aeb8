"""Restoring a backup into an empty instance, then showing that what was restored is what was saved.

Order: refuse a database or evidence store that holds anything; read and check the whole
archive (written only to temporary files); put the database in place; move the blobs into the
store; compare row counts and the audit chain's head with the manifest; run the migrations (an
archive from an older version is upgraded); re-sign the chain's head if another key signed it
(a restore on another machine); verify the audit chain and every blob's SHA-256.
The counts are compared before the migrations, which may legitimately add rows.
"""

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import select

from .. import audit, audit_mac
from ..auditlog.verify import manifest_heads, verify_all
from ..documents.archive import DATABASE_MEMBERS, ArchiveError, Staged, read_manifest, stage
from ..extensions import db
from ..models import AuditHead
from ..storage import get_storage
from . import postgres, sqlite
from .services import ENGINE_NAMES, BackupError
from .snapshot import Contents, holds_data


@dataclass
class RestoreReport:
    manifest: dict
    revision: str | None  # the database's migration revision after the upgrade
    seconds: float
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def restore_backup(archive: Path) -> RestoreReport:
    """Restore `archive` into the configured, empty database and evidence store, then verify it."""
    started = time.monotonic()
    engine, kind = db.engine, db.engine.dialect.name
    if kind not in DATABASE_MEMBERS:
        raise BackupError(f"không khôi phục được vào cơ sở dữ liệu {kind}")
    try:
        _refuse_unless_empty(kind)
        manifest = read_manifest(archive)
    except (sqlite.SqliteError, postgres.PostgresError) as error:
        raise BackupError(*error.args) from None
    except ArchiveError as error:
        raise BackupError(f"bản sao lưu {archive.name} không dùng được; chưa có gì thay đổi", error.problems) from None
    source = manifest["database"]["kind"]
    if source != kind:
        raise BackupError(
            f"{archive.name} là bản sao lưu {ENGINE_NAMES[source]}, còn cơ sở dữ liệu đang cấu hình là "
            f"{ENGINE_NAMES[kind]}; không khôi phục chéo giữa hai loại. Chưa có gì thay đổi",
            [f"hãy đặt DATABASE_URL trỏ tới một cơ sở dữ liệu {ENGINE_NAMES[source]} trống"],
        )
    _refuse_newer(manifest["database"].get("revision"))

    workdir = Path(tempfile.mkdtemp(prefix=".aiplan-restore-", dir=_workdir_parent(kind)))
    try:
        staged = _stage(archive, workdir, manifest)
        try:
            _put_in_place(kind, staged, workdir)
        finally:
            staged.discard()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    db.session.remove()
    engine.dispose()
    problems = _compare(staged.manifest, _contents(kind))
    upgrade()
    db.session.remove()
    notices = [] if problems else _resign_foreign_head(archive.name)
    problems += verify_all()
    restored = _contents(kind)
    assert restored is not None  # upgrade() has just run on the restored database
    return RestoreReport(
        manifest=staged.manifest,
        revision=restored.revision,
        seconds=time.monotonic() - started,
        problems=problems,
        notices=notices,
    )


def _resign_foreign_head(name: str) -> list[str]:
    """Heads signed with another instance's key (restored on a new machine, without its old
    AUDIT_KEY) cannot be checked here. The archive was just proved to match its manifest, so sign
    the heads with this instance's key, on the record, and say so; a head with no signature, or
    a bad one under this very key, is left (with all the others) for `verify` to report."""
    key = audit_mac.current_key()
    heads = db.session.scalars(select(AuditHead)).all()
    ours = audit_mac.key_id(key) if key is not None else None
    foreign = sorted({str(head.key_id) for head in heads if head.mac is not None and head.key_id != ours})
    suspect = any(head.mac is None or (head.key_id == ours and not audit_mac.is_signed(head, key)) for head in heads)
    if key is None or not foreign or suspect:
        db.session.rollback()
        return []
    old = ", ".join(foreign)
    audit.resign_heads(f"khôi phục {name} vào bản cài đặt có khóa ký khác")
    db.session.commit()
    return [
        f"đầu chuỗi nhật ký được ký bằng khóa khác (mã khóa {old}); đã ký lại bằng khóa của bản cài đặt "
        f"này (mã khóa {audit_mac.key_id(key)}) và ghi việc đó vào nhật ký. Nếu còn giữ khóa cũ "
        "(AUDIT_KEY hoặc instance/audit_key của máy cũ), hãy dùng nó thay cho khóa mới"
    ]


def _stage(archive: Path, workdir: Path, manifest: dict) -> Staged:
    """Read and check the whole archive into temporary files: the dump into `workdir`, the blobs
    into the store's own temporary folder (so moving them in later is a rename)."""
    storage = get_storage()
    store_root = getattr(storage, "root", None)
    store_existed = store_root is None or store_root.exists()
    try:
        return stage(archive, workdir / manifest["database"]["path"], storage.new_temp)
    except ArchiveError as error:
        if not store_existed and store_root is not None:  # leave no trace, not even the empty folders the staging made
            shutil.rmtree(store_root, ignore_errors=True)
        raise BackupError(
            f"bản sao lưu {archive.name} bị hỏng hoặc đã bị sửa; chưa khôi phục gì", error.problems
        ) from None


def _put_in_place(kind: str, staged: Staged, workdir: Path) -> None:
    engine = db.engine
    try:
        if kind == "sqlite":
            sqlite.put_in_place(engine, staged.database, sqlite.database_path(engine))
        else:
            postgres.restore(engine, staged.database, staged.manifest["database"]["schema"], workdir)
    except (sqlite.SqliteError, postgres.PostgresError) as error:
        raise BackupError(*error.args) from None
    storage = get_storage()
    try:
        for sha256, temp in staged.blobs.items():
            storage.put(temp, sha256)
    except OSError as error:
        raise BackupError(
            "đã khôi phục cơ sở dữ liệu nhưng không chép xong được các tệp minh chứng",
            [str(error), "sửa lỗi, làm trống cơ sở dữ liệu và kho minh chứng, rồi khôi phục lại"],
        ) from None


def _contents(kind: str) -> Contents | None:
    if kind == "sqlite":
        return sqlite.read(sqlite.database_path(db.engine))
    return postgres.read(db.engine)


def _refuse_unless_empty(kind: str) -> None:
    contents = _contents(kind)
    db.engine.dispose()
    full = holds_data(contents.tables, contents.audit_heads) if contents else {}
    if full:
        shown = [f"bảng {name}: {count} dòng" for name, count in sorted(full.items(), key=lambda t: -t[1])[:5]]
        if len(full) > 5:
            shown.append(f"và {len(full) - 5} bảng khác")
        raise BackupError(
            "Không khôi phục vào một cơ sở dữ liệu đã có dữ liệu; chưa có gì thay đổi",
            [
                *shown,
                "hãy đặt DATABASE_URL trỏ tới một cơ sở dữ liệu trống (chưa có bảng, hoặc vừa `flask db upgrade`)",
            ],
        )
    storage = get_storage()
    stored = [*islice(storage.blobs(), 5), *storage.strays()[:5], *(str(p) for p in storage.temps()[:5])]
    if stored:
        raise BackupError(
            "Không khôi phục vào một kho minh chứng đã có tệp; chưa có gì thay đổi",
            [
                f"kho minh chứng: {getattr(storage, 'root', storage)}",
                *stored[:5],
                "hãy đặt EVIDENCE_STORE (hoặc EVIDENCE_DIR) trỏ tới một thư mục hoặc một tiền tố S3 trống",
            ],
        )


def _refuse_newer(revision: str | None) -> None:
    """An archive from a newer version of aiplan than this one cannot be upgraded, only refused."""
    if revision is None:
        return
    config = current_app.extensions["migrate"].migrate.get_config()
    try:
        ScriptDirectory.from_config(config).get_revision(revision)
    except Exception:  # noqa: BLE001 — Alembic raises several kinds for a revision it does not know
        raise BackupError(
            f"bản sao lưu ở phiên bản cơ sở dữ liệu {revision}, mới hơn bản aiplan này; chưa có gì thay đổi",
            ["hãy cập nhật aiplan lên phiên bản đã tạo bản sao lưu rồi khôi phục"],
        ) from None


def _workdir_parent(kind: str) -> Path:
    """SQLite: beside the database file, so that putting it in place is a rename."""
    if kind == "sqlite":
        path = sqlite.database_path(db.engine).parent
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(current_app.instance_path)


def _compare(manifest: dict, restored: Contents | None) -> list[str]:
    tables = restored.tables if restored else {}
    problems = []
    for name in sorted(set(manifest["tables"]) | set(tables)):
        saved, now = manifest["tables"].get(name), tables.get(name)
        if saved != now:
            problems.append(f"bảng {name}: bản sao lưu có {_rows(saved)}, đã khôi phục {_rows(now)}")
    heads, saved = restored.audit_heads if restored else {}, manifest_heads(manifest)
    for scope in sorted(set(heads) | set(saved)):
        if heads.get(scope) != saved.get(scope):
            problems.append(
                f"đầu chuỗi nhật ký {scope} khác bản sao lưu: {heads.get(scope)} thay vì {saved.get(scope)}"
            )
    return problems


def _rows(count: int | None) -> str:
    return "không có bảng này" if count is None else f"{count} dòng"

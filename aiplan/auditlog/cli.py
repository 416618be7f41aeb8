"""`flask --app aiplan verify`: the audit log's hash chains (one per ward) and the evidence files
are untouched; `flask --app aiplan sign-audit-head`: sign the chains' heads again after the key
changed."""

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .. import audit, audit_mac
from ..database import read_snapshot

# The newest backup's manifest is the anchor `--against-backup` checks against: read with the
# backups' own reader, so that there is one definition of an archive.
from ..documents.archive import ArchiveError, newest_archive, read_manifest
from ..extensions import db
from ..models import AuditHead
from .verify import Anchor, Findings, check_anchor, check_audit_chain, check_files, manifest_heads


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(verify)
    app.cli.add_command(sign_audit_head)


@click.command("verify")
@click.option(
    "--quick", is_flag=True, help="Only check that every evidence file is in the store; do not re-read its bytes."
)
@click.option(
    "--against-backup",
    "backups",
    metavar="DIR",
    envvar="AUDIT_BACKUP_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also check that the log still holds the head recorded in the newest backup in DIR "
    "(default: $AUDIT_BACKUP_DIR).",
)
@with_appcontext
def verify(quick: bool, backups: Path | None):
    """Show that the audit log and the evidence files have not been changed.

    The log is one hash chain per ward (and one for events of no ward, and the single chain
    written before the log was split). Walks each chain in order and checks that its records
    are numbered without gaps, that each is chained to the one before by its hash, and that
    each still hashes to what was recorded; that the chain's head carries a good signature
    under AUDIT_KEY (so its newest records were not cut off and the head set back); then
    checks that every evidence file's bytes are in the store and still match their SHA-256.
    Each problem names the ward whose chain it is in, and each chain is listed with its
    result. With --against-backup DIR, also that the log still holds, unchanged, the last
    record of each chain in the newest backup in DIR. Reads in batches, so it works on logs
    of millions of records. Changes nothing. Prints each problem and exits with status 1 when
    anything is wrong.
    """
    anchor = _backup_anchor(backups) if backups is not None else None
    with read_snapshot():  # one moment of the log and the files, without blocking the app's writers
        chain = check_audit_chain()
        if isinstance(anchor, list):
            checked = check_anchor(anchor)
            chain.problems += checked.problems
            chain.dropped += checked.dropped
        elif isinstance(anchor, Findings):
            chain.problems += anchor.problems
        files = check_files(quick=quick)
    for line in chain.lines() + files.lines():
        click.echo(line)
    if not chain.problems:
        click.echo(f"Nhật ký: {chain.checked} bản ghi trong {len(chain.chains)} chuỗi, mọi chuỗi hash nguyên vẹn.")
        if chain.signed_by:
            click.echo(f"  Đầu mọi chuỗi có chữ ký hợp lệ (mã khóa {chain.signed_by}).")
        if isinstance(anchor, list) and anchor:
            click.echo(f"  Khớp với {anchor[0].source}: còn nguyên bản ghi cuối của {_chains(anchor)}.")
    else:
        click.echo(f"Nhật ký: {chain.checked} bản ghi trong {len(chain.chains)} chuỗi.")
    for report in chain.chains:  # a problem in one ward's chain leaves the others' word standing
        state = f"có {report.problems} vấn đề" if report.problems else "nguyên vẹn"
        click.echo(f"  Chuỗi của {report.name}: {report.checked} bản ghi, {state}.")
    if not files.problems:
        if quick:
            click.echo(f"Minh chứng: {files.checked} tệp có trong kho (bỏ qua kiểm tra SHA-256: --quick).")
        else:
            click.echo(f"Minh chứng: {files.checked} tệp khớp SHA-256.")
    if chain.problems or files.problems:
        click.echo(f"Có {len(chain.problems) + chain.dropped + len(files.problems) + files.dropped} vấn đề.", err=True)
        sys.exit(1)


def _chains(anchors: list[Anchor]) -> str:
    named = ", ".join(f"#{anchor.seq}" for anchor in anchors[:5])
    return f"{len(anchors)} chuỗi ({named}{', …' if len(anchors) > 5 else ''})"


def _backup_anchor(directory: Path) -> list[Anchor] | Findings:
    """The heads recorded in the newest archive of `directory`, or why there is none to check against."""
    archive = newest_archive(directory) if directory.is_dir() else None
    if archive is None:
        return Findings(problems=[f"Không có bản sao lưu nào (aiplan-backup-*.tar) trong {directory} để đối chiếu."])
    try:
        manifest = read_manifest(archive)
    except ArchiveError as error:
        reasons = "; ".join(error.problems)
        return Findings(problems=[f"Không đọc được bản sao lưu {archive.name} để đối chiếu: {reasons}."])
    source = f"bản sao lưu {archive.name} (lúc {manifest.get('created_at_hanoi', '?')})"
    return [
        Anchor(
            seq=int(head["seq"]),
            hash=str(head["hash"]),
            source=source,
            scope=scope,
            mac=head.get("mac"),
            key_id=head.get("key_id"),
        )
        for scope, head in manifest_heads(manifest).items()
    ]


@click.command("sign-audit-head")
@with_appcontext
def sign_audit_head():
    """Sign every audit chain's head with the current AUDIT_KEY, after the key was changed.

    A head signed with another key (AUDIT_KEY changed, instance/audit_key lost) or never signed
    makes `verify` fail, and the app's writes do not sign over it. Run this only once you are sure
    the log is whole (compare with `verify --against-backup DIR`). The chains themselves must be
    whole: otherwise nothing is done. The re-signing is itself recorded in the log (in the chain
    of events that belong to no ward).
    """
    key = audit_mac.current_key()
    if key is None:
        click.echo("Lỗi: chưa có khóa ký nhật ký (AUDIT_KEY, hoặc tệp instance/audit_key).", err=True)
        sys.exit(1)
    with read_snapshot():
        found = check_audit_chain(signature=False)
    if found.problems:
        click.echo("Lỗi: nhật ký không nguyên vẹn; không ký lại đầu chuỗi nào:", err=True)
        for line in found.lines():
            click.echo(f"  - {line}", err=True)
        sys.exit(1)
    audit.resign_heads("ký lại bằng lệnh sign-audit-head")
    db.session.commit()
    signed = db.session.scalar(select(func.count()).select_from(AuditHead))
    click.echo(f"Đã ký lại đầu {signed} chuỗi nhật ký bằng khóa có mã {audit_mac.key_id(key)}.")

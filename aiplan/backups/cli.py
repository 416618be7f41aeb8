"""`flask --app aiplan backup DIR` and `flask --app aiplan restore ARCHIVE`."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ..auditlog.verify import manifest_heads
from ..console import fail
from ..units import decimal, file_size
from .restore import restore_backup
from .services import ENGINE_NAMES, BackupError, take_backup


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (backup_command, restore_command):
        app.cli.add_command(command)


@click.command("backup")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory: Path):
    """Back up the database and the evidence files into one archive, while the app keeps running.

    Writes DIRECTORY/aiplan-backup-YYYYMMDD-HHMMSS.tar (Hà Nội time): one consistent moment of
    the database (SQLite's online backup API, or pg_dump of the configured schema), every
    evidence file that moment refers to, and manifest.json with each member's SHA-256, the row
    count of every table and the audit chain's head. The archive appears under its final name
    only once complete; it holds password hashes and pupils' work, so it is readable by its
    owner only: keep it that way, and keep a copy on another machine.

    Exits 1 when an evidence file the database refers to is missing or damaged in the store (the
    archive is still written and names it; `evidence check` tells more).

    To take one every night at 02:00 and keep 30 days, in the crontab of the user that runs the
    app (with the same DATABASE_URL and EVIDENCE_STORE or EVIDENCE_DIR, and AWS_* for S3, as the app):

    \b
      0 2 * * *  cd /srv/aiplan && .venv/bin/flask --app aiplan backup /var/backups/aiplan
      30 3 * * * find /var/backups/aiplan -name 'aiplan-backup-*.tar' -mtime +30 -delete

    Restore with `restore ARCHIVE` (see docs/backups.md).
    """
    try:
        report = take_backup(directory)
    except BackupError as error:
        fail(f"không sao lưu được: {error.title}", error.problems)
    manifest = report.manifest
    files = manifest["files"]
    heads = manifest_heads(manifest)
    click.echo(f"Đã sao lưu vào {report.path} ({file_size(report.size)}) trong {_seconds(report.seconds)}.")
    click.echo(
        f"  Cơ sở dữ liệu {ENGINE_NAMES[manifest['database']['kind']]}: {len(manifest['tables'])} bảng, "
        f"{sum(manifest['tables'].values())} dòng" + (f"; nhật ký: {_chains(heads)}." if heads else ".")
    )
    click.echo(f"  Minh chứng: {len(files)} tệp ({file_size(sum(f['size'] for f in files))}).")
    if report.problems:
        fail("bản sao lưu đã ghi nhưng kho minh chứng có vấn đề", report.problems)


@click.command("restore")
@with_appcontext
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(archive: Path):
    """Restore an archive made by `backup` into an empty instance, then verify it.

    The configured database must hold no data (no tables, or the empty ones `flask db upgrade`
    makes) and the evidence store (EVIDENCE_DIR, or the S3 prefix of EVIDENCE_STORE) must be
    empty or absent; otherwise nothing is done. Stop the app first. The whole archive is checked
    against its manifest before anything is written: a damaged or altered archive is refused.
    The database is then put in place (PostgreSQL: into the schema of DATABASE_URL, whatever the
    archive's schema was called), the evidence files are stored, the migrations are run (an
    archive of an older version is upgraded), and the result is verified: row counts and the
    audit chain's head equal the manifest's, the audit chain is intact and every evidence file
    matches its SHA-256. Exits 1 with the problems when anything differs. A SQLite archive is
    not restored into PostgreSQL, nor the reverse.
    """
    try:
        report = restore_backup(archive)
    except BackupError as error:
        fail(error.title, error.problems)
    manifest = report.manifest
    if report.problems:
        fail(f"đã khôi phục {archive.name} nhưng kết quả không khớp bản sao lưu", report.problems)
    heads = manifest_heads(manifest)
    click.echo(
        f"Đã khôi phục và kiểm tra: {archive.name} (sao lưu lúc {manifest['created_at_hanoi']}) — "
        f"{len(manifest['tables'])} bảng, {sum(manifest['tables'].values())} dòng, "
        f"{sum(not f.get('damaged') for f in manifest['files'])} tệp minh chứng"
        + (f", nhật ký: {_chains(heads)}" if heads else "")
        + f"; {_seconds(report.seconds)}."
    )
    for notice in report.notices:
        click.echo(f"  Lưu ý: {notice}.")
    if report.revision != manifest["database"]["revision"]:
        click.echo(
            f"  Đã nâng cấp cơ sở dữ liệu từ phiên bản {manifest['database']['revision']} lên {report.revision}."
        )


def _chains(heads: dict[str, dict]) -> str:
    """ "3 chuỗi, 1234 bản ghi": the audit chains a manifest names (models/audit.py)."""
    return f"{len(heads)} chuỗi, {sum(head['seq'] for head in heads.values())} bản ghi"


def _seconds(seconds: float) -> str:
    return f"{decimal(seconds)} giây"

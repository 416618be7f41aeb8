"""`flask --app aiplan evidence check`: does the evidence store agree with the database?"""
import hashlib
import sys
from collections import defaultdict

import click
from sqlalchemy import select

from ..extensions import db
from ..models import EvidenceFile
from . import bp
from .storage import get_storage
from .validation import CHUNK


@bp.cli.command("check")
@click.option("--quick", is_flag=True, help="Do not re-read every blob to verify its SHA-256.")
@click.option("--temp-age", default=60, show_default=True, type=click.IntRange(min=0),
              help="Minutes after which a temporary file counts as left over; younger ones may be "
                   "uploads in progress.")
def check(quick: bool, temp_age: int):
    """Compare the evidence store with the database and report what does not agree.

    Reports blobs that no row refers to, rows (deleted ones included) whose blob is missing,
    blobs whose bytes no longer match their SHA-256, leftover temporary files of failed
    uploads, and unexpected files in the store. Changes nothing. Exits with status 1 when
    anything is wrong, 0 when the store and the database agree.
    """
    storage = get_storage()
    rows = defaultdict(list)
    for file_id, sha256, name in db.session.execute(
            select(EvidenceFile.id, EvidenceFile.sha256, EvidenceFile.original_name).order_by(EvidenceFile.id)):
        rows[sha256].append((file_id, name))
    blobs = set(storage.blobs())

    orphans = sorted(blobs - set(rows))
    missing = sorted((file_id, sha256, name) for sha256 in set(rows) - blobs for file_id, name in rows[sha256])
    damaged = [] if quick else [sha256 for sha256 in sorted(blobs) if _hash(storage, sha256) != sha256]
    temps = storage.temps(older_than_seconds=temp_age * 60)
    strays = storage.strays()

    click.echo(f"Kho minh chứng: {getattr(storage, 'root', storage)}")
    click.echo(f"  {len(blobs)} tệp lưu trữ, {sum(len(r) for r in rows.values())} dòng dữ liệu tệp minh chứng.")
    sections = [
        ("Tệp lưu trữ không có dòng dữ liệu nào", orphans),
        ("Dòng dữ liệu mất tệp lưu trữ", [f"#{file_id} {name} ({sha256})" for file_id, sha256, name in missing]),
        ("Tệp lưu trữ hỏng (nội dung không khớp SHA-256)", damaged),
        (f"Tệp tạm còn sót (cũ hơn {temp_age} phút)", [str(path) for path in temps]),
        ("Tệp lạ trong kho", strays),
    ]
    problems = 0
    for title, lines in sections:
        if lines:
            problems += len(lines)
            click.echo(f"{title} ({len(lines)}):")
            for line in lines:
                click.echo(f"  {line}")
    if quick:
        click.echo("(Bỏ qua kiểm tra SHA-256 của từng tệp: --quick.)")
    if problems:
        click.echo(f"Có {problems} vấn đề cần xem xét.", err=True)
        sys.exit(1)
    click.echo("Kho minh chứng khớp với cơ sở dữ liệu.")


def _hash(storage, sha256: str) -> str:
    digest = hashlib.sha256()
    with storage.open(sha256) as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

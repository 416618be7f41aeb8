"""`flask --app aiplan evidence check`: does the evidence store agree with the database?"""
import sys

import click

from . import bp
from .integrity import compare_store


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
    found = compare_store(quick=quick, temp_age_seconds=temp_age * 60)
    click.echo(f"Kho minh chứng: {getattr(found.storage, 'root', found.storage)}")
    click.echo(f"  {found.blob_count} tệp lưu trữ, {found.row_count} dòng dữ liệu tệp minh chứng.")
    sections = [
        ("Tệp lưu trữ không có dòng dữ liệu nào", found.orphans),
        ("Dòng dữ liệu mất tệp lưu trữ",
         [f"#{file_id} {name} ({sha256})" for file_id, sha256, name in found.missing]),
        ("Tệp lưu trữ hỏng (nội dung không khớp SHA-256)", found.damaged),
        (f"Tệp tạm còn sót (cũ hơn {temp_age} phút)", [str(path) for path in found.temps]),
        ("Tệp lạ trong kho", found.strays),
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


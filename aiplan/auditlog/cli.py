"""`flask --app aiplan verify`: the audit log's hash chain and the evidence files are untouched."""
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from ..extensions import read_snapshot
from .verify import check_audit_chain, check_files


def init_app(app: Flask) -> None:
    """Register the command."""
    app.cli.add_command(verify)


@click.command("verify")
@click.option("--quick", is_flag=True,
              help="Only check that every evidence file is in the store; do not re-read its bytes.")
@with_appcontext
def verify(quick: bool):
    """Show that the audit log and the evidence files have not been changed.

    Walks the whole audit log in order and checks that its records are numbered without
    gaps, that each is chained to the one before by its hash, and that each still hashes
    to what was recorded; then checks that every evidence file's bytes are in the store and
    still match their SHA-256. Reads in batches, so it works on logs of millions of records.
    Changes nothing. Prints each problem and exits with status 1 when anything is wrong.
    """
    with read_snapshot():  # one moment of the log and the files, without blocking the app's writers
        chain = check_audit_chain()
        files = check_files(quick=quick)
    for line in chain.lines() + files.lines():
        click.echo(line)
    if not chain.problems:
        click.echo(f"Nhật ký: {chain.checked} bản ghi, chuỗi hash nguyên vẹn.")
    if not files.problems:
        if quick:
            click.echo(f"Minh chứng: {files.checked} tệp có trong kho (bỏ qua kiểm tra SHA-256: --quick).")
        else:
            click.echo(f"Minh chứng: {files.checked} tệp khớp SHA-256.")
    if chain.problems or files.problems:
        click.echo(f"Có {len(chain.problems) + chain.dropped + len(files.problems) + files.dropped} vấn đề.",
                   err=True)
        sys.exit(1)

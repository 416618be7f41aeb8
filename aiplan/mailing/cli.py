"""`flask --app aiplan send-reminders [--dry-run]`: what aiplan/mailing/reminders.py does, with a
line per digest (recipient, subject, items, result) and a summary. The job worker runs the same
every minute. Exit code 1 only when the mail settings are wrong."""

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from .reminders import send_reminders
from .settings import NEEDED, NOT_CONFIGURED, MailConfigError


def init_app(app: Flask) -> None:
    app.cli.add_command(send_reminders_command)


@click.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="Build nothing and send nothing: print what would be sent.")
@with_appcontext
def send_reminders_command(dry_run: bool):
    """Make the notifications that are due, build the digests that are due and send them."""
    try:
        report = send_reminders(dry_run=dry_run)
    except MailConfigError as refused:
        click.echo(f"Cấu hình thư sai, không gửi thư nào: {refused}", err=True)
        sys.exit(1)
    if not report.configured:
        names = ", ".join(name for name, _ in NEEDED)
        click.echo(f"{NOT_CONFIGURED} (MAIL_SERVER): không gửi thư nào. Để gửi thư, đặt {names} (xem README).")
        if not dry_run:
            click.echo(f"Thông báo mới: {report.notifications_made}.")
        return
    for line in report.lines:
        click.echo(f"→ {line.recipient} · {line.subject} · {line.result}")
        for item in line.items:
            click.echo(f"    - {item}")
    click.echo(report.summary())

"""`flask --app aiplan notify-scan`: make the notifications of what is due, late or coming up."""

import click
from flask import Flask
from flask.cli import with_appcontext

from .scan import make_due_notifications


def init_app(app: Flask) -> None:
    """Register the command."""
    app.cli.add_command(notify_scan)


@click.command("notify-scan")
@with_appcontext
def notify_scan():
    """Tell each account what is due within NOTIFY_DUE_DAYS days, late, or coming up (reports,
    visits); nothing twice. Prints how many notifications were made."""
    made = make_due_notifications()
    click.echo(f"Đã tạo {made} thông báo mới.")

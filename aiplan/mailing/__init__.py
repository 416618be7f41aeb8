"""E-mail reminders (issue 16): settings, the outbox of digests, the opt-out, the channel.

See reminders.py for how digests are built and sent, channels.py for the sending interface. The
account's own choice is saved on the account page (auth/routes.py, with forms.py and services.py
from here).
"""

from flask import Flask

from . import cli
from .channels import mail
from .routes import bp


def init_app(app: Flask) -> None:
    """The pages, the `send-reminders` command and Flask-Mailman."""
    app.register_blueprint(bp)
    mail.init_app(app)
    cli.init_app(app)


__all__ = ["init_app"]

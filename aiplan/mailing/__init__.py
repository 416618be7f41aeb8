"""E-mail reminders (issue 16): settings, the account's choice, the outbox of digests, the channel.

See reminders.py for how digests are built and sent, channels.py for the sending interface.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """The pages, the `send-reminders` command and Flask-Mailman."""
    from . import cli
    from .channels import mail
    from .routes import bp

    app.register_blueprint(bp)
    mail.init_app(app)
    cli.init_app(app)


__all__ = ["init_app"]

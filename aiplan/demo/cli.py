"""`flask --app aiplan generate-demo`."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the command."""

"""The audit log viewer, and `flask --app aiplan verify` that shows the log and the files are intact."""

from .routes import bp

__all__ = ["bp"]

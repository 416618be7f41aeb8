"""Evidence files (minh chứng): uploads, downloads, soft delete and restore, the store's check."""

from . import cli, routes  # noqa: F401  (their commands and routes register on bp)
from .blueprint import bp

__all__ = ["bp"]

"""Ward administration: schools and accounts, one by one or imported from CSV/XLSX."""

from . import import_routes  # noqa: F401  (their routes register on bp)
from .routes import bp

__all__ = ["bp"]

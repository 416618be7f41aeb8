"""Routes of the inspections feature."""
from . import bp  # noqa: F401

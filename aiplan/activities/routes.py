"""Routes of the activities feature."""
from . import bp  # noqa: F401

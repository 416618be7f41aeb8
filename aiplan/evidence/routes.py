"""Routes of the evidence feature."""
from . import bp  # noqa: F401

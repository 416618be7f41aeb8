"""Routes of the rollup feature."""
from . import bp  # noqa: F401

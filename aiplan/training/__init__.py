from . import import_routes  # noqa: F401  (registers the roster import's views on the blueprint)
from .routes import bp

__all__ = ["bp"]

"""School years: the year selector, starting the next year from this one, opening it."""

from .routes import bp

__all__ = ["bp"]

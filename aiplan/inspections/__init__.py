"""Milestone 6: the ward's mid-semester inspections, verdicts on items, and the minutes."""

from .routes import bp

__all__ = ["bp"]

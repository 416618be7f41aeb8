"""Milestone 6 and the monitoring all year: the ward's inspection visits of each kind, the decisions
forming the team, verdicts on items, and the minutes."""

from .routes import bp

__all__ = ["bp"]

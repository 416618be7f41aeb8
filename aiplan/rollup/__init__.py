"""The ward rollup: where the plan stands, school by school and target by target, and its exports."""

from .routes import bp

__all__ = ["bp"]

"""The city above the wards (the Sở GD&ĐT): its accounts read every ward of the city, choosing one
to look at from /city and drilling from there to the ward's rollup and its schools."""

from .routes import bp

__all__ = ["bp"]

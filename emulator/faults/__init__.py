"""Fault injection: rules that make a tenant misbehave on purpose, and scenarios of them over time."""

from .engine import init_app

__all__ = ["init_app"]

"""The /_emulator control plane."""

from .views import bp

__all__ = ["bp"]

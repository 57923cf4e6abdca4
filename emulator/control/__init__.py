"""The /_emulator control plane."""

from . import credentials  # noqa: F401  (registers its routes on bp)
from .views import bp

__all__ = ["bp"]

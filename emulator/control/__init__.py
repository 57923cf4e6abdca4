"""The /_emulator control plane."""

from . import credentials, faults, journal, seeding  # noqa: F401  (register their routes on bp)
from .views import bp

__all__ = ["bp"]

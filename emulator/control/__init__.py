"""The /_emulator control plane."""

from . import credentials, faults, journal, openapi, openapi_scim, seeding  # noqa: F401  (register their routes on bp)
from .views import bp

__all__ = ["bp"]

"""The /_emulator control plane: the blueprint (views.py) and the route modules that join it."""

from . import (  # noqa: F401  (their routes join bp)
    credential_routes,
    fault_routes,
    journal_routes,
    openapi,
    openapi_scim,
    seed_routes,
)
from .views import bp

__all__ = ["bp"]

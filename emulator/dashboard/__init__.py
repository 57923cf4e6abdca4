"""The web dashboard: tenants, their data, traffic and faults, over the control plane's services."""

from .views import bp

__all__ = ["bp"]

"""The vendor registry: one declarative module per vendor."""

from __future__ import annotations

from . import britive, generic, jellyfish, jive, jostle, thrive
from .profile import Quirk, VendorProfile

VENDORS: dict[str, VendorProfile] = {
    module.PROFILE.name: module.PROFILE for module in (generic, jive, jostle, britive, jellyfish, thrive)
}


def get_profile(name: str) -> VendorProfile | None:
    """The profile of vendor ``name``, or None."""
    return VENDORS.get(name)


__all__ = ["VENDORS", "Quirk", "VendorProfile", "get_profile"]

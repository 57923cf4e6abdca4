"""The vendor registry: one declarative module per vendor."""

from __future__ import annotations

from . import generic
from .profile import Quirk, VendorProfile

VENDORS: dict[str, VendorProfile] = {profile.name: profile for profile in (generic.PROFILE,)}


def get_profile(name: str) -> VendorProfile | None:
    """The profile of vendor ``name``, or None."""
    return VENDORS.get(name)


__all__ = ["VENDORS", "Quirk", "VendorProfile", "get_profile"]

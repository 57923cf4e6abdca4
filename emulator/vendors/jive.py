"""Jive (seed 000): admin user name and password, users only, DELETE disables.

The seed has no attribute table; the core set below is emulator-defined (VENDORS.md).
"""

from ..auth.styles import BasicAccounts, BearerTokens
from ..scim.schema import USER, from_table
from .profile import VendorProfile

# emulator-defined: the seed names no attributes
USER_TABLE = (
    "userName",
    "active",
    "displayName",
    "name.givenName",
    "name.familyName",
    'emails[type eq "work"].value',
)

(USER_SCHEMA,) = from_table((USER,), USER_TABLE)

PROFILE = VendorProfile(
    name="jive",
    title="Jive",
    # seed: "Jive Admin User Name" of an account with the System Administrator profile, and its password;
    # the newer tutorial: a "user security token" requested from Jive
    auth=(BasicAccounts(required_role="System Administrator"), BearerTokens(label="user security token")),
    user_schema=USER_SCHEMA,
    filterable={"User": {"username": frozenset({"eq"})}},
    quirk_defaults={"delete": "deactivate"},  # seed: the service "creates, updates, and disables" users
    notes=(
        "Seed: tenant URL www.<organization>.jive.com; provisioning creates, updates and disables users.",
        "Seed: assignments with the 'Default Access' role are not provisioned (Entra does not send them).",
        "Emulator-defined: SCIM 2.0 at /scim/v2, the attribute set, userName the only filter, error bodies.",
        "Basic credentials of an account without the System Administrator profile answer 403.",
    ),
)

"""Jellyfish (seed 003): an expiring API key plus an OAuth "Authorize" step, users only."""

from ..auth.styles import ApiKeys, OAuthAccessTokens
from ..scim.schema import USER, from_table
from .profile import VendorProfile

# seed 003, "Attribute-Mapping" table, row by row ("Required by Jellyfish": userName, active)
USER_TABLE = (
    "userName",
    "active",
    "title",
    'emails[type eq "work"].value',
    "name.givenName",
    "name.familyName",
)

(USER_SCHEMA,) = from_table((USER,), USER_TABLE, required=("userName", "active"))

PROFILE = VendorProfile(
    name="jellyfish",
    title="Jellyfish",
    # seed: an API key generated for an admin account, optional expiry; then "Authorize" with admin credentials
    auth=(
        ApiKeys(account_label="admin account", default_account="admin", with_password=True),
        OAuthAccessTokens(),
    ),
    user_schema=USER_SCHEMA,
    filterable={"User": {"username": frozenset({"eq"})}},
    notes=(
        "Seed: tenant URL https://<organisation>.securesme.com; the API key may expire and must then be updated.",
        "Seed: Authorize signs in with the Jellyfish admin credentials; emulator-defined as an OAuth 2.0 "
        "authorization-code grant at /oauth/authorize and /oauth/token on the tenant's host.",
        "Emulator-defined: access tokens live 1 hour, refresh tokens 30 days, codes 10 minutes.",
    ),
)

"""Jostle (seed 001): API keys of activated Automation users, users only, Jostle's extension."""

from ..auth.styles import ApiKeys
from ..scim.schema import USER, Attribute, Schema, from_table
from .profile import Quirk, VendorProfile

JOSTLE_USER = Schema(
    "urn:ietf:params:scim:schemas:extension:jostle:2.0:User",
    "JostleUser",
    "Jostle User extension",
    (
        Attribute("alternateEmail1Label", description="label of the alternate1 email"),
        Attribute("alternateEmail2Label", description="label of the alternate2 email"),
    ),
)

# seed 001, "Attribute Mapping" table, row by row
USER_TABLE = (
    "userName",
    "active",
    "name.givenName",
    "name.familyName",
    'emails[type eq "work"].value',
    'emails[type eq "personal"].value',
    'emails[type eq "alternate1"].value',
    'emails[type eq "alternate2"].value',
    "urn:ietf:params:scim:schemas:extension:jostle:2.0:User:alternateEmail1Label",
    "urn:ietf:params:scim:schemas:extension:jostle:2.0:User:alternateEmail2Label",
)

USER_SCHEMA, *EXTENSIONS = from_table((USER, JOSTLE_USER), USER_TABLE)

PROFILE = VendorProfile(
    name="jostle",
    title="Jostle",
    # seed: an API key is added for an Automation user, shown once; the user must be activated first
    auth=(
        ApiKeys(
            account_label="Automation user",
            default_account="automation",
            active_option="automation_user_active",
        ),
    ),
    user_schema=USER_SCHEMA,
    user_extensions=tuple(EXTENSIONS),
    filterable={"User": {"username": frozenset({"eq"})}},
    quirks=(
        Quirk(
            "automation_user_active",
            True,
            "whether the tenant's first Automation user starts activated; false leaves its key refused "
            "(401) until POST /_emulator/tenants/jostle/<name>/accounts/<user>/activate",
            (True, False),
            source="seed 001: the Automation user must be activated before its key works",
        ),
    ),
    notes=(
        "Seed: the API key is shown once; keys belong to Automation users, which must be activated.",
        "Seed: users only; email types work, personal, alternate1, alternate2; the Jostle extension.",
        "Emulator-defined: an unactivated Automation user's key answers 401 (public material does not say).",
    ),
)

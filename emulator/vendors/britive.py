"""Britive (seed 002): a re-creatable token with a validity in days, the widest attribute table."""

from ..auth.styles import BearerTokens
from ..scim.schema import ENTERPRISE_USER, GROUP, USER, from_table
from .profile import Quirk, VendorProfile

# seed 002, user "Attribute-Mapping" table, row by row
USER_TABLE = (
    "userName",
    "active",
    "displayName",
    "title",
    "externalId",
    "preferredLanguage",
    "name.givenName",
    "name.familyName",
    "nickName",
    "userType",
    "locale",
    "timezone",
    'emails[type eq "home"].value',
    'emails[type eq "other"].value',
    'emails[type eq "work"].value',
    'phoneNumbers[type eq "home"].value',
    'phoneNumbers[type eq "other"].value',
    'phoneNumbers[type eq "pager"].value',
    'phoneNumbers[type eq "work"].value',
    'phoneNumbers[type eq "mobile"].value',
    'phoneNumbers[type eq "fax"].value',
    *(
        f'addresses[type eq "{kind}"].{part}'
        for kind in ("work", "home", "other")
        for part in ("formatted", "streetAddress", "locality", "region", "postalCode", "country")
    ),
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
)

# seed 002, group "Attribute-Mapping" table
GROUP_TABLE = ("displayName", "externalId", "members")

USER_SCHEMA, *EXTENSIONS = from_table((USER, ENTERPRISE_USER), USER_TABLE)
(GROUP_SCHEMA,) = from_table((GROUP,), GROUP_TABLE)

PROFILE = VendorProfile(
    name="britive",
    title="Britive",
    # seed: "Create Token" with a chosen validity, shown once; "Re-Create" replaces it
    auth=(BearerTokens(validity_days=(1, 90), default_validity_days=90, recreate_revokes=True),),
    user_schema=USER_SCHEMA,
    user_extensions=tuple(EXTENSIONS),
    group_schema=GROUP_SCHEMA,
    filterable={"User": {"username": frozenset({"eq"})}, "Group": {"displayname": frozenset({"eq"})}},
    quirks=(
        Quirk(
            "scim_provider",
            "Azure",
            "the identity provider's SCIM tab: 'Azure' accepts Entra's PATCH dialect, 'Generic' answers "
            "400 to it as a strict server would",
            ("Azure", "Generic"),
            source="seed 002 (the setting); emulator-defined (its effect on PATCH)",
            implies={"Generic": {"patch_dialect": "strict"}},
        ),
    ),
    notes=(
        "Seed: the token is shown once; Re-Create issues a new token and revokes the old at once.",
        "Britive API docs: validity 1-90 days, counted since last use; validity can be edited.",
        "Emulator-defined: the default validity of 90 days.",
    ),
)

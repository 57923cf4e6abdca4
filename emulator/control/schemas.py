"""Marshmallow schemas of the control plane's requests and responses.

Each operation's service loads its input through its ``Input`` schema, kept beside it (so the
control plane, the CLI and the dashboard are refused alike); views dump response bodies
through these, and
the OpenAPI document is generated from them, so the document and the wire cannot drift apart.
Bodies are closed (``additionalProperties: false``) except where a vendor decides the shape.
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, post_dump, validate

from ..credentials import CredentialEditSchema, CredentialIssueSchema
from ..faults.rules import ActionSchema
from ..fixtures import SeedRequestSchema
from ..inputs import Closed
from ..journal import VerifyRequestSchema
from ..tenants import TenantCreateSchema


def shown(field: fields.Field) -> fields.Field:
    """A field every response carries (documented as required)."""
    field.required = True
    return field


# -- errors and health --------------------------------------------------------------------------


class ErrorSchema(Closed):
    """An RFC 7644 §3.12 error body: the control plane's error shape too (application/scim+json)."""

    schemas = shown(
        fields.List(fields.String(), metadata={"example": ["urn:ietf:params:scim:api:messages:2.0:Error"]})
    )
    status = shown(fields.String(metadata={"description": "the HTTP status, as a string", "example": "404"}))
    scimType = fields.String(metadata={"description": "RFC 7644 error type, e.g. uniqueness, invalidValue"})
    detail = shown(fields.String(metadata={"description": "one human-readable line"}))


class HealthSchema(Closed):
    """GET /_emulator/health."""

    status = shown(fields.String(metadata={"example": "ok"}))
    tenants = shown(fields.Integer(metadata={"description": "how many tenants exist"}))
    database = shown(fields.String(metadata={"description": "sqlite or postgresql"}))


# -- vendors ------------------------------------------------------------------------------------


class QuirkSchema(Closed):
    """A named, documented switch of a vendor profile, overridable per tenant in ``options``."""

    name = shown(fields.String())
    default = shown(fields.Raw(metadata={"description": "the vendor's default value"}))
    description = shown(fields.String())
    source = shown(fields.String(allow_none=True, metadata={"description": "where the behaviour comes from"}))
    choices = fields.List(fields.Raw())
    implies = fields.Dict(keys=fields.String(), values=fields.Dict())


class VendorAttributeSchema(Closed):
    """An attribute of a vendor's attribute table."""

    name = shown(fields.String(metadata={"description": "extension attributes carry their schema URN"}))
    required = shown(fields.Boolean())
    subAttributes = fields.List(fields.String())
    types = fields.List(fields.String(), metadata={"description": "canonical type values"})


class VendorResourceTypeSchema(Closed):
    """A resource type a vendor serves."""

    endpoint = shown(fields.String(metadata={"example": "/Users"}))
    schemas = shown(fields.List(fields.String()))
    attributes = shown(fields.List(fields.Nested(VendorAttributeSchema)))
    filterable = shown(
        fields.Raw(
            metadata={
                "description": "attribute -> filter operators the vendor supports, "
                "or the text 'all (RFC 7644 grammar)'",
                "oneOf": [
                    {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    {"type": "string"},
                ],
            }
        )
    )


class VendorSchema(Closed):
    """A vendor profile: auth styles, attribute tables, filters and quirks."""

    vendor = shown(fields.String(metadata={"example": "britive"}))
    title = shown(fields.String())
    auth = shown(
        fields.List(
            fields.Dict(keys=fields.String()),
            metadata={"description": "credential styles, tried in order; each with its type and settings"},
        )
    )
    resource_types = shown(fields.Dict(keys=fields.String(), values=fields.Nested(VendorResourceTypeSchema)))
    username_case_sensitive = shown(fields.Boolean())
    quirks = shown(fields.List(fields.Nested(QuirkSchema)))
    notes = shown(fields.List(fields.String()))


class VendorListSchema(Closed):
    """GET /_emulator/vendors."""

    vendors = shown(fields.List(fields.Nested(VendorSchema)))


# -- tenants and credentials ----------------------------------------------------------------------


class CredentialStateSchema(Closed):
    """What may be shown of a stored credential: its kind and lifecycle, never the secret."""

    id = shown(fields.Integer())
    type = shown(fields.String(metadata={"description": "bearer, api_key or access_token"}))
    label = shown(fields.String(allow_none=True))
    account = shown(fields.String(allow_none=True, metadata={"description": "the owning vendor account"}))
    created_at = shown(fields.String(allow_none=True))
    last_used_at = shown(fields.String(allow_none=True))
    validity_days = shown(fields.Integer(allow_none=True, metadata={"description": "Britive-style validity"}))
    expires_at = shown(fields.String(allow_none=True))
    revoked_at = shown(fields.String(allow_none=True))
    state = shown(fields.String(validate=validate.OneOf(("active", "expired", "revoked"))))


class AccountSchema(Closed):
    """A vendor-side account (Jive admin, Jostle Automation user): never its password."""

    username = shown(fields.String())
    role = shown(fields.String(allow_none=True))
    active = shown(fields.Boolean())


class CountsSchema(Closed):
    users = shown(fields.Integer())
    groups = shown(fields.Integer())


class TenantSchema(Closed):
    """A tenant as the control plane shows it; secrets are never included."""

    vendor = shown(fields.String())
    name = shown(fields.String())
    scim_url = shown(fields.String(metadata={"description": "the tenant's own host (needs *.localhost DNS)"}))
    alias_url = shown(fields.String(metadata={"description": "the same tenant under /t/<vendor>/<name>"}))
    options = shown(fields.Dict(keys=fields.String(), metadata={"description": "effective quirk values"}))
    created_at = shown(fields.String())
    counts = shown(fields.Nested(CountsSchema))
    credentials = shown(fields.List(fields.Nested(CredentialStateSchema)))
    accounts = shown(fields.List(fields.Nested(AccountSchema)))


class TenantListSchema(Closed):
    """GET /_emulator/tenants."""

    tenants = shown(fields.List(fields.Nested(TenantSchema)))


class IssuedCredentialSchema(Schema):
    """A credential in its vendor's shape, shown this once (a Britive token with its validity, ...)."""

    class Meta:
        unknown = INCLUDE  # each vendor adds its own keys: token, key, username, password, ...

    id = fields.Integer(metadata={"description": "absent for Basic accounts"})
    type = shown(fields.String())
    authorization = shown(
        fields.String(allow_none=True, metadata={"description": "the Authorization header a client sends"})
    )

    @post_dump(pass_original=True)
    def keep_vendor_keys(
        self, data: dict[str, Any], original: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        """INCLUDE only governs loading: the vendor's own keys are carried over when dumping."""
        return {**original, **data}


class TenantCreatedSchema(TenantSchema):
    """The answer to a create: the tenant, and its first credential shown this once."""

    credentials = shown(fields.Nested(IssuedCredentialSchema))  # type: ignore[assignment]


class CredentialListingSchema(Closed):
    """A tenant's credentials and vendor accounts."""

    credentials = shown(fields.List(fields.Nested(CredentialStateSchema)))
    accounts = shown(fields.List(fields.Nested(AccountSchema)))


# -- journal ------------------------------------------------------------------------------------


class JournalQuerySchema(Schema):
    """Filters of GET .../journal (query parameters)."""

    method = fields.String(metadata={"description": "GET, POST, ..."})
    path = fields.String(
        metadata={"description": "pattern over the SCIM path (/Users*) or the whole path (/oauth/*)"}
    )
    status = fields.String(metadata={"description": "201, 4xx or 400-499"})
    since = fields.String(metadata={"description": "ISO 8601 time"})
    after = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "only entries newer than this entry id (to follow the journal)"},
    )
    limit = fields.Integer(validate=validate.Range(min=0), metadata={"description": "at most this many"})


class JournalBoundSchema(Closed):
    """How the journal is bounded, so a trimmed journal is never mistaken for a complete one."""

    max_entries = shown(fields.Integer(metadata={"description": "EMULATOR_JOURNAL_MAX"}))
    kept = shown(fields.Integer())
    dropped = shown(fields.Integer(metadata={"description": "oldest entries dropped to keep the bound"}))
    complete = shown(fields.Boolean(metadata={"description": "true when nothing was ever dropped"}))


class JournalRequestSchema(Closed):
    headers = shown(
        fields.Dict(
            keys=fields.String(), values=fields.String(), metadata={"description": "credentials masked"}
        )
    )
    body = shown(
        fields.Raw(
            allow_none=True, metadata={"description": "JSON when it parses, else text; secrets masked"}
        )
    )


class JournalResponseSchema(Closed):
    body = shown(fields.Raw(allow_none=True))


class JournalEntrySchema(Closed):
    """One request a tenant received and what it answered."""

    id = shown(fields.Integer())
    at = shown(fields.String(metadata={"description": "UTC, milliseconds"}))
    method = shown(fields.String())
    path = shown(fields.String())
    scim_path = shown(fields.String(allow_none=True, metadata={"description": "the path below /scim/v2"}))
    query = shown(fields.String())
    request = shown(fields.Nested(JournalRequestSchema))
    status = shown(fields.Integer())
    response = shown(fields.Nested(JournalResponseSchema))
    duration_ms = shown(fields.Float())
    fault = shown(fields.Dict(allow_none=True, metadata={"description": "the fault applied, if any"}))


class JournalPageSchema(Closed):
    """GET .../journal: entries newest first, and the bound."""

    bound = shown(fields.Nested(JournalBoundSchema))
    entries = shown(fields.List(fields.Nested(JournalEntrySchema)))


class VerifyResultSchema(Closed):
    """How many journal entries matched; on a mismatch, the nearest others and some that matched."""

    matched = shown(fields.Integer())
    expected = shown(fields.Integer(allow_none=True))
    ok = shown(fields.Boolean())
    bound = shown(fields.Nested(JournalBoundSchema))
    nearest = fields.List(fields.Nested(JournalEntrySchema), metadata={"description": "only on a mismatch"})
    matching = fields.List(fields.Nested(JournalEntrySchema), metadata={"description": "only on a mismatch"})


# -- fixtures and seeding -----------------------------------------------------------------------


class FixtureSchema(Closed):
    """A named fixture set shipped in fixtures/."""

    name = shown(fields.String())
    version = shown(fields.Integer(allow_none=True))
    users = shown(fields.Integer())
    groups = shown(fields.Integer())


class FixtureListSchema(Closed):
    fixtures = shown(fields.List(fields.Nested(FixtureSchema)))


class SeededSchema(Closed):
    users = shown(fields.Integer())
    groups = shown(fields.Integer())
    skipped_groups = shown(fields.Integer(metadata={"description": "groups of a users-only vendor"}))


class SeedResultSchema(Closed):
    """What a seed inserted, and the tenant after it."""

    seeded = shown(fields.Nested(SeededSchema))
    tenant = shown(fields.Nested(TenantSchema))


# -- faults and scenarios ----------------------------------------------------------------------


class FaultSchema(Closed):
    """A fault rule as it is now: its scope, action, when-conditions, counters and state."""

    id = shown(fields.Integer())
    tenant = shown(fields.String(allow_none=True, metadata={"description": "vendor/name, or null"}))
    vendor = shown(fields.String(allow_none=True))
    method = shown(fields.String(allow_none=True))
    path = shown(fields.String(allow_none=True, metadata={"description": "pattern over the SCIM path"}))
    operation = shown(fields.String(allow_none=True, metadata={"description": "e.g. remove:members"}))
    action = shown(fields.Nested(ActionSchema))
    times = shown(fields.Integer(allow_none=True))
    after = shown(fields.Integer())
    probability = shown(fields.Float(allow_none=True))
    seed = shown(fields.Integer(allow_none=True))
    starts_at = shown(
        fields.String(allow_none=True, metadata={"description": "UTC; a scenario's later step"})
    )
    expires_at = shown(fields.String(allow_none=True, metadata={"description": "UTC; from ttl_seconds"}))
    enabled = shown(fields.Boolean())
    matched = shown(
        fields.Integer(metadata={"description": "in-scope requests while enabled and in its window"})
    )
    fired = shown(fields.Integer(metadata={"description": "requests the rule's action was applied to"}))
    state = shown(fields.String(metadata={"enum": ["active", "pending", "expired", "exhausted", "disabled"]}))
    scenario_run = shown(fields.Integer(allow_none=True, metadata={"description": "the run that made it"}))


class FaultListSchema(Closed):
    """GET /_emulator/faults."""

    faults = shown(fields.List(fields.Nested(FaultSchema)))


class FaultQuerySchema(Schema):
    """Query parameters of GET and DELETE /_emulator/faults."""

    tenant = fields.String(metadata={"description": "only the rules scoped to this tenant (vendor/name)"})


class FaultsClearedSchema(Closed):
    """DELETE /_emulator/faults."""

    removed = shown(fields.Integer(metadata={"description": "how many rules were deleted"}))


class ScenarioSchema(Schema):
    """A shipped scenario file (fixtures/scenarios/<name>.yaml)."""

    class Meta:
        unknown = INCLUDE

    name = shown(fields.String())
    version = fields.Integer(allow_none=True)
    description = fields.String()
    steps = shown(
        fields.List(
            fields.Dict(), metadata={"description": "{seconds, description, rules}; the last may be open"}
        )
    )


class ScenarioListSchema(Closed):
    """GET /_emulator/scenarios."""

    scenarios = shown(fields.List(fields.Nested(ScenarioSchema)))


class ScenarioStartSchema(Closed):
    """POST /_emulator/scenarios/<name>/start: scope (a tenant, a vendor, or neither: everything)."""

    tenant = fields.String(metadata={"description": "vendor/name"})
    vendor = fields.String()
    time_scale = fields.Float(metadata={"description": "0.1 plays a 30 s step in 3 s; default 1"})


class ScenarioStepSchema(Closed):
    seconds = shown(fields.Float(allow_none=True, metadata={"description": "scaled; null: until stopped"}))
    description = shown(fields.String(allow_none=True))


class ScenarioRunSchema(Closed):
    """A started scenario: where it is, and what each of its rules has done."""

    id = shown(fields.Integer())
    scenario = shown(fields.String())
    version = shown(fields.Integer(allow_none=True))
    tenant = shown(fields.String(allow_none=True))
    vendor = shown(fields.String(allow_none=True))
    started_at = shown(fields.String())
    elapsed_seconds = shown(fields.Float())
    state = shown(fields.String(metadata={"enum": ["running", "finished", "stopped"]}))
    step = shown(fields.Integer(allow_none=True, metadata={"description": "1-based; null unless running"}))
    steps = shown(fields.List(fields.Nested(ScenarioStepSchema)))
    rules = shown(fields.List(fields.Nested(FaultSchema)))


class ScenarioRunListSchema(Closed):
    """GET /_emulator/scenarios/runs."""

    runs = shown(fields.List(fields.Nested(ScenarioRunSchema)))


# the schemas the OpenAPI document publishes as components
COMPONENTS: tuple[type[Schema], ...] = (
    ErrorSchema,
    HealthSchema,
    VendorListSchema,
    VendorSchema,
    TenantCreateSchema,
    TenantListSchema,
    TenantSchema,
    TenantCreatedSchema,
    CredentialListingSchema,
    CredentialIssueSchema,
    CredentialEditSchema,
    IssuedCredentialSchema,
    CredentialStateSchema,
    AccountSchema,
    JournalPageSchema,
    JournalEntrySchema,
    JournalBoundSchema,
    VerifyRequestSchema,
    VerifyResultSchema,
    FixtureListSchema,
    SeedRequestSchema,
    SeedResultSchema,
)

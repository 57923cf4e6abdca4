"""Marshmallow schemas of the control plane's requests and responses."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class TenantCreateSchema(Schema):
    """POST /_emulator/tenants."""

    vendor = fields.String(required=True, metadata={"description": "vendor profile name, e.g. generic"})
    name = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"),
        metadata={"description": "tenant name: a DNS label"},
    )
    options = fields.Dict(
        keys=fields.String(), load_default=dict, metadata={"description": "quirk overrides"}
    )
    credentials = fields.Dict(
        keys=fields.String(), load_default=None, metadata={"description": "fixed credentials (e.g. token)"}
    )


class CredentialStateSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    username = fields.String()
    created_at = fields.String(allow_none=True)
    expires_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    last_used_at = fields.String(allow_none=True)
    state = fields.String()


class TenantSchema(Schema):
    """A tenant as the control plane shows it."""

    vendor = fields.String()
    name = fields.String()
    scim_url = fields.String()
    alias_url = fields.String()
    options = fields.Dict()
    created_at = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    credentials = fields.List(fields.Nested(CredentialStateSchema))


class TenantCreatedSchema(TenantSchema):
    """The answer to a create: the tenant and its credential, shown this once."""

    credentials = fields.Dict(metadata={"description": "the vendor's credential shape, with `authorization`"})


class HealthSchema(Schema):
    status = fields.String()
    tenants = fields.Integer()
    database = fields.String()

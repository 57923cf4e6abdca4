"""Fault rules: their shape (marshmallow), their state, and the operations on them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema
from sqlalchemy import delete, select

from ..errors import ScimError, bad_request
from ..extensions import db
from ..models import FaultRule, utcnow
from ..vendors import VENDORS

ACTIONS = ("status", "latency", "timeout", "drop", "malformed", "truncate", "auth", "conflict")
# the settings each action type takes besides ``type``; the first of a tuple is required
SETTINGS: dict[str, tuple[str, ...]] = {
    "status": ("status", "retry_after", "detail"),
    "latency": ("ms", "jitter_ms"),
    "timeout": ("seconds",),
    "drop": (),
    "malformed": (),
    "truncate": (),
    "auth": ("detail",),
    "conflict": ("detail",),
}
REQUIRED = {"status": "status", "latency": "ms"}
OPERATIONS = ("add", "replace", "remove")

INT32_MAX = 2**31 - 1


class KnownVendor(validate.OneOf):
    """One of the vendors known when a rule is loaded: the registry is read then, not at import."""

    def __init__(self) -> None:
        super().__init__(VENDORS.keys())  # a live view: a vendor added later is a choice too

    def _format_error(self, value: Any) -> str:
        return self.error.format(input=value, choices=", ".join(self.choices), labels="")


TTL_MAX_SECONDS = 10 * 365 * 86400  # ten years


class ActionSchema(Schema):
    """What a firing rule does."""

    type = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    status = fields.Integer(validate=validate.Range(400, 599), metadata={"description": "for type status"})
    retry_after = fields.Integer(
        validate=validate.Range(0, 86400), metadata={"description": "Retry-After seconds"}
    )
    detail = fields.String(validate=validate.Length(max=1000))
    ms = fields.Integer(validate=validate.Range(0, 600_000), metadata={"description": "for type latency"})
    jitter_ms = fields.Integer(validate=validate.Range(0, 600_000))
    seconds = fields.Float(validate=validate.Range(0, 3600), metadata={"description": "for type timeout"})

    @validates_schema
    def needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("type")
        if kind is None:
            raise ValidationError("an action needs a 'type'", "type")
        required = REQUIRED.get(kind)
        if required and required not in data:
            raise ValidationError(f"a {kind} action needs '{required}'", required)
        foreign = sorted(set(data) - {"type", *SETTINGS[kind]})
        if foreign:
            takes = ", ".join(SETTINGS[kind]) or "no settings"
            raise ValidationError(f"a {kind} action takes {takes}, not {', '.join(foreign)}", foreign[0])


class FaultRuleSchema(Schema):
    """A rule: scope, action, and when it fires."""

    tenant = fields.String(
        validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9-]*$"),
        allow_none=True,
        metadata={"description": "vendor/name of one tenant"},
    )
    vendor = fields.String(validate=KnownVendor(), allow_none=True)
    method = fields.String(
        validate=validate.OneOf(("GET", "POST", "PUT", "PATCH", "DELETE")), allow_none=True
    )
    path = fields.String(
        validate=validate.Length(min=1, max=512),
        allow_none=True,
        metadata={"description": "pattern over the SCIM path: /Users*"},
    )
    operation = fields.String(
        validate=validate.Regexp(r"^(add|replace|remove)(:[A-Za-z$][\w.$:-]*)?$"),
        allow_none=True,
        metadata={"description": "a PATCH operation, optionally on an attribute: remove:members"},
    )
    action = fields.Nested(ActionSchema, required=True)
    # bounded by the INTEGER columns (PostgreSQL refuses larger) and by what a datetime can hold
    times = fields.Integer(validate=validate.Range(1, INT32_MAX), allow_none=True)
    after = fields.Integer(validate=validate.Range(0, INT32_MAX), load_default=0)
    probability = fields.Float(validate=validate.Range(0, 1), allow_none=True)
    seed = fields.Integer(validate=validate.Range(-INT32_MAX - 1, INT32_MAX), allow_none=True)
    ttl_seconds = fields.Float(validate=validate.Range(0, TTL_MAX_SECONDS), allow_none=True)
    enabled = fields.Boolean(load_default=True)

    @pre_load
    def method_upper(self, data: Any, **kwargs: Any) -> Any:
        """``post`` is POST."""
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            return {**data, "method": data["method"].upper()}
        return data

    @validates_schema
    def scoped_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("tenant") and data.get("vendor") and not data["tenant"].startswith(data["vendor"] + "/"):
            raise ValidationError("tenant and vendor disagree")


def load(body: Any, partial: bool = False) -> dict[str, Any]:
    """A rule's fields from JSON, or a 400 naming what is wrong.

    ``partial`` (a PATCH) lets any top-level field be missing; an ``action`` given is whole.
    """
    if not isinstance(body, dict):
        raise bad_request("a fault rule must be a JSON object", "invalidSyntax")
    schema = FaultRuleSchema()
    try:
        data: dict[str, Any] = schema.load(body, partial=tuple(schema.fields) if partial else False)
    except ValidationError as error:
        raise bad_request(f"invalid fault rule: {error.messages}") from None
    return data


def create(body: Any, starts_at: datetime | None = None, run_id: int | None = None) -> FaultRule:
    """A new rule from its JSON (a scenario step passes its window and run)."""
    data = load(body)
    ttl = data.pop("ttl_seconds", None)
    begins = starts_at or utcnow()
    rule = FaultRule(**data, starts_at=starts_at, scenario_run_id=run_id)
    rule.expires_at = begins + timedelta(seconds=ttl) if ttl is not None else None
    db.session.add(rule)
    db.session.flush()
    return rule


def add(body: Any) -> FaultRule:
    """A new rule, committed: what the control plane, the CLI and the dashboard call."""
    rule = create(body)
    db.session.commit()
    return rule


def remove(rule_id: int) -> None:
    """Delete one rule (404 when it does not exist)."""
    db.session.delete(get(rule_id))
    db.session.commit()


def get(rule_id: int) -> FaultRule:
    rule = db.session.get(FaultRule, rule_id)
    if rule is None:
        raise ScimError(404, f"no fault rule {rule_id}")
    return rule


def change(rule: FaultRule, body: Any) -> FaultRule:
    """Change a rule's fields; counters stay."""
    data = load(body, partial=True)
    tenant, vendor = data.get("tenant", rule.tenant), data.get("vendor", rule.vendor)
    if tenant and vendor and not tenant.startswith(vendor + "/"):
        raise bad_request(f"invalid fault rule: tenant {tenant} is not a {vendor} tenant")
    if "ttl_seconds" in data:
        ttl = data.pop("ttl_seconds")
        rule.expires_at = utcnow() + timedelta(seconds=ttl) if ttl is not None else None
    for name, value in data.items():
        setattr(rule, name, value)
    db.session.commit()
    return rule


def listing(tenant: str | None = None) -> list[FaultRule]:
    query = select(FaultRule).order_by(FaultRule.id)
    if tenant:
        query = query.where(FaultRule.tenant == tenant)
    return list(db.session.execute(query).scalars())


def clear(tenant: str | None = None) -> int:
    query = delete(FaultRule)
    if tenant:
        query = query.where(FaultRule.tenant == tenant)
    removed = db.session.execute(query).rowcount
    db.session.commit()
    return removed


def state(rule: FaultRule, now: datetime | None = None) -> str:
    """active, pending (window not begun), expired, exhausted or disabled."""
    now = now or utcnow()
    if not rule.enabled:
        return "disabled"
    if rule.times is not None and rule.fired >= rule.times:
        return "exhausted"
    if rule.expires_at is not None and rule.expires_at <= now:
        return "expired"
    if rule.starts_at is not None and rule.starts_at > now:
        return "pending"
    return "active"


def as_json(rule: FaultRule) -> dict[str, Any]:
    def stamp(value: datetime | None) -> str | None:
        return value.isoformat(timespec="milliseconds") + "Z" if value else None

    return {
        "id": rule.id,
        "tenant": rule.tenant,
        "vendor": rule.vendor,
        "method": rule.method,
        "path": rule.path,
        "operation": rule.operation,
        "action": rule.action,
        "times": rule.times,
        "after": rule.after,
        "probability": rule.probability,
        "seed": rule.seed,
        "starts_at": stamp(rule.starts_at),
        "expires_at": stamp(rule.expires_at),
        "enabled": rule.enabled,
        "matched": rule.matched,
        "fired": rule.fired,
        "state": state(rule),
        "scenario_run": rule.scenario_run_id,
    }

"""Tenant operations shared by the control plane, the CLI, start-up files and the dashboard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from flask import current_app
from marshmallow import fields
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from . import auth, clock, journal
from .credentials import SHOWN_KINDS, account_state, credential_state
from .errors import ScimError
from .extensions import db
from .inputs import Input
from .models import FaultRule, Membership, Resource, ResourceValue, Tenant
from .tenancy import TenantScope, find, get, lookup, scope_of
from .vendors import VENDORS, VendorProfile, get_profile

__all__ = ["TenantScope", "find", "get", "lookup", "scope_of"]  # read by the commands' callers too

NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantCreateSchema(Input):
    """POST /_emulator/tenants; ``tenants.create`` then checks the vendor, the name and the options."""

    vendor = fields.String(required=True, metadata={"description": "vendor profile name, e.g. generic"})
    name = fields.String(
        required=True,
        # documented here, checked by tenants.create (whose refusal says what a DNS label is)
        metadata={"description": "tenant name: a DNS label", "pattern": NAME.pattern},
    )
    options = fields.Dict(
        keys=fields.String(), load_default=dict, metadata={"description": "quirk overrides"}
    )
    credentials = fields.Dict(
        keys=fields.String(), load_default=None, metadata={"description": "fixed credentials (e.g. token)"}
    )


def profile_or_error(vendor: str) -> VendorProfile:
    profile = get_profile(vendor)
    if profile is None:
        raise ScimError(
            400, f"unknown vendor {vendor!r}; known: {', '.join(sorted(VENDORS))}", "invalidValue"
        )
    return profile


def list_all() -> list[Tenant]:
    return list(db.session.execute(select(Tenant).order_by(Tenant.vendor, Tenant.name)).scalars())


def create(data: dict[str, Any]) -> tuple[Tenant, dict[str, Any]]:
    """A tenant created from TenantCreateSchema's input, and its first credential as shown once."""

    data = TenantCreateSchema().load(data)
    vendor, name, options, credentials = data["vendor"], data["name"], data["options"], data["credentials"]
    profile = profile_or_error(vendor)
    if not NAME.match(name):
        raise ScimError(
            400, "tenant name must be a DNS label: lower-case letters, digits and '-'", "invalidValue"
        )
    problems = profile.validate_options(options)
    if problems:
        raise ScimError(400, "; ".join(problems), "invalidValue")
    tenant = Tenant(vendor=vendor, name=name, options=options)
    db.session.add(tenant)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ScimError(409, f"tenant {vendor}/{name} already exists", "uniqueness") from None
    shown = auth.issue(tenant, profile, profile.options(options), credentials)
    db.session.commit()
    return tenant, shown


def delete_tenant(tenant: Tenant) -> None:
    """Delete a tenant with everything of its own: resources, credentials, journal and fault rules.

    Its rules go too (they name it as "vendor/name", so a tenant created again under that name
    would otherwise inherit them); rules scoped to its vendor or to every tenant stay.
    """
    journal.flush()  # its waiting entries go with it
    db.session.execute(delete(FaultRule).where(FaultRule.tenant == tenant.key))
    db.session.delete(tenant)
    db.session.commit()


def reset(tenant: Tenant) -> None:
    """Empty users, groups and the journal; keep the tenant and its credentials."""
    reader = journal.read()  # waiting entries are of requests before the reset: emptied with the rest
    for model in (Membership, ResourceValue, Resource):
        db.session.execute(delete(model).where(model.tenant_id == tenant.id))
    reader.clear(tenant)


def counts(tenant: Tenant) -> dict[str, int]:
    rows = db.session.execute(
        select(Resource.resource_type, func.count())
        .where(Resource.tenant_id == tenant.id)
        .group_by(Resource.resource_type)
    ).all()
    found = dict(rows)
    return {"users": found.get("User", 0), "groups": found.get("Group", 0)}


def urls(tenant: Tenant, root: str) -> dict[str, str]:
    """The subdomain URL and the path-alias URL of a tenant, from the request's root URL."""
    scheme, _, rest = root.partition("://")
    host = rest.split("/", 1)[0]
    port = ""
    if ":" in host and not host.endswith("]"):
        port = ":" + host.rsplit(":", 1)[1]
    base = current_app.config["EMULATOR_BASE_DOMAIN"]
    return {
        "scim_url": f"{scheme}://{tenant.name}.{tenant.vendor}.{base}{port}/scim/v2",
        "alias_url": f"{root.rstrip('/')}/t/{tenant.vendor}/{tenant.name}/scim/v2",
    }


def describe(tenant: Tenant, root: str) -> dict[str, Any]:
    """A tenant as the control plane shows it; secrets are never included."""
    scope = scope_of(tenant)
    return {
        "vendor": tenant.vendor,
        "name": tenant.name,
        **urls(tenant, root),
        "options": scope.options,
        "created_at": clock.shown(tenant.created_at),
        "counts": counts(tenant),
        "credentials": [credential_state(c) for c in tenant.credentials if c.kind in SHOWN_KINDS],
        "accounts": [account_state(a) for a in tenant.accounts],
    }


class StartupTenant(NamedTuple):
    """A tenant of a start-up file, with what the start-up banner says of it."""

    tenant: Tenant
    credentials: dict[str, Any] | None  # as a client uses them: freshly issued, or as the file names them
    notes: list[str]  # runtime changes start-up undid, and why a named credential cannot be used yet


def load_files(directory: str | Path, restore_credentials: bool = False) -> list[StartupTenant]:
    """Create the tenants described by ``*.yaml`` files, with the credentials they name.

    With ``restore_credentials`` (``scim-emulator serve``: the emulator starting) the files are
    the truth: a tenant that already exists gets the credentials its file names working again
    (``restore``), so what the banner prints always answers. Without it (every ``create_app``:
    each gunicorn worker, each CLI command) a runtime rotation is left alone. Returns
    each tenant with its credentials as a client uses them: freshly issued, or as the file names
    them when the tenant already existed. Safe when several workers start at once: a tenant
    another worker created first is left as it is, and restoring a credential twice is harmless.
    """
    loaded = []
    for path in sorted(Path(directory).glob("*.y*ml")):
        spec = yaml.safe_load(path.read_text()) or {}
        for entry in spec if isinstance(spec, list) else [spec]:
            vendor, name, given = entry["vendor"], entry["name"], entry.get("credentials") or {}
            tenant = find(vendor, name)
            if tenant is None:
                try:
                    options = entry.get("options") or {}
                    spec = {"vendor": vendor, "name": name, "options": options, "credentials": given}
                    tenant, shown = create(spec)
                    loaded.append(StartupTenant(tenant, shown, waiting(tenant, given)))
                    continue
                except ScimError as error:
                    if error.status != 409:
                        raise ValueError(f"{path}: {error.detail}") from None
                    tenant = get(vendor, name)
            try:
                undone = restore(tenant, given) if restore_credentials else []
            except ScimError as error:
                raise ValueError(f"{path}: {error.detail}") from None
            loaded.append(StartupTenant(tenant, as_named(tenant, given), undone + waiting(tenant, given)))
    return loaded


def as_named(tenant: Tenant, given: dict[str, Any]) -> dict[str, Any] | None:
    """Credentials a tenant file names, with the Authorization header they make."""
    authorization = auth.style_named(scope_of(tenant).profile, given.get("style")).authorization(given)
    return {**given, "authorization": authorization} if authorization else None


def restore(tenant: Tenant, given: dict[str, Any]) -> list[str]:
    """Make the credential a tenant file names work again; returns the runtime changes undone.

    Each style re-issues its credential as the vendor would (``restore``). Other credentials,
    such as a rotation's replacement, keep working (a client may have been given one), except
    where the vendor keeps one at a time. A credential that works is left as it is, so a
    restart changes nothing after no runtime change.
    """
    scope = scope_of(tenant)
    style = auth.style_named(scope.profile, given.get("style"))
    if style.authorization(given) is None:
        return []  # nothing named to restore (the tenant's credentials were generated at creation)
    undone = style.restore(tenant, scope.options, given)
    db.session.commit()
    return undone


def waiting(tenant: Tenant, given: dict[str, Any]) -> list[str]:
    """Why the credential a file names cannot be used yet (a Jostle Automation user not activated)."""
    return auth.style_named(scope_of(tenant).profile, given.get("style")).waiting(tenant, given)

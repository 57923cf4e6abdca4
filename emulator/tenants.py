"""Tenant operations shared by the control plane, the CLI, start-up files and the dashboard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from flask import current_app
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError

from . import auth, journal
from .auth.styles import lapse, stamp, unusable
from .errors import ScimError
from .extensions import db
from .models import Account, Credential, JournalEntry, Membership, Resource, ResourceValue, Tenant
from .prepared import Prepared
from .vendors import VENDORS, VendorProfile, get_profile

SHOWN_KINDS = frozenset({"bearer", "api_key", "access_token"})
NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantRow(NamedTuple):
    """A tenant as its own requests read it: one statement on the DBAPI cursor (emulator/prepared.py),
    not an ORM object, since a tenant request never changes its tenant."""

    id: int
    vendor: str
    name: str
    options: dict[str, Any]
    created_at: datetime
    journal_dropped: int

    @property
    def key(self) -> str:
        return f"{self.vendor}/{self.name}"


@dataclass
class TenantScope:
    """A tenant with its vendor profile and its effective quirk values."""

    tenant: Tenant | TenantRow
    profile: VendorProfile
    options: dict[str, Any]

    def quirk(self, name: str) -> Any:
        return self.options[name]


def scope_of(tenant: Tenant | TenantRow) -> TenantScope:
    profile = get_profile(tenant.vendor)
    assert profile is not None, tenant.vendor
    return TenantScope(tenant, profile, profile.options(tenant.options))


def profile_or_error(vendor: str) -> VendorProfile:
    profile = get_profile(vendor)
    if profile is None:
        raise ScimError(
            400, f"unknown vendor {vendor!r}; known: {', '.join(sorted(VENDORS))}", "invalidValue"
        )
    return profile


# built once: every tenant request looks its tenant up (building a statement costs more than running it)
FIND = select(Tenant).where(Tenant.vendor == bindparam("vendor"), Tenant.name == bindparam("name"))


def find(vendor: str, name: str) -> Tenant | None:
    return db.session.execute(FIND, {"vendor": vendor, "name": name}).scalar_one_or_none()


LOOKUP = Prepared(
    select(Tenant.__table__).where(Tenant.vendor == bindparam("vendor"), Tenant.name == bindparam("name")),
    row=TenantRow,
)


def lookup(vendor: str, name: str) -> TenantRow | None:
    """The tenant a request addresses, read to serve it (``find`` gives the ORM object to change)."""
    found: TenantRow | None = LOOKUP.first(db.session.connection(), {"vendor": vendor, "name": name})
    return found


def get(vendor: str, name: str) -> Tenant:
    """The tenant or a 404."""
    tenant = find(vendor, name)
    if tenant is None:
        raise ScimError(404, f"no tenant {vendor}/{name}")
    return tenant


def list_all() -> list[Tenant]:
    return list(db.session.execute(select(Tenant).order_by(Tenant.vendor, Tenant.name)).scalars())


def create(data: dict[str, Any]) -> tuple[Tenant, dict[str, Any]]:
    """A tenant created from TenantCreateSchema's input, and its first credential as shown once."""
    from .control.schemas import TenantCreateSchema  # imported here: the control plane imports this module

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
    journal.drain()  # its spooled entries go with it (a new tenant may be given its id)
    db.session.delete(tenant)
    db.session.commit()


def reset(tenant: Tenant) -> None:
    """Empty users, groups and the journal; keep the tenant and its credentials."""
    journal.drain()  # spooled entries are of requests before the reset: emptied with the rest
    for model in (Membership, ResourceValue, Resource, JournalEntry):
        db.session.execute(delete(model).where(model.tenant_id == tenant.id))
    tenant.journal_dropped = 0
    db.session.commit()


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
        "created_at": tenant.created_at.isoformat() + "Z",
        "counts": counts(tenant),
        "credentials": [credential_state(c) for c in tenant.credentials if c.kind in SHOWN_KINDS],
        "accounts": [account_state(a) for a in tenant.accounts],
    }


def credential_state(credential: Credential) -> dict[str, Any]:
    """What may be shown of a stored credential: its kind and lifecycle, never the secret."""
    body: dict[str, Any] = {
        "id": credential.id,
        "type": credential.kind,
        "label": credential.label,
        "account": credential.account.username if credential.account else None,
        "created_at": stamp(credential.created_at),
        "last_used_at": stamp(credential.last_used_at),
        "validity_days": credential.validity_days,
        "expires_at": stamp(lapse(credential)),
        "revoked_at": stamp(credential.revoked_at),
        "state": "active",
    }
    if unusable(credential):
        body["state"] = "revoked" if credential.revoked_at else "expired"
    return body


def account_state(account: Account) -> dict[str, Any]:
    """A vendor-side account (Jive admin, Jostle Automation user): never its password."""
    return {"username": account.username, "role": account.role, "active": account.active}


def load_files(directory: str | Path) -> list[tuple[Tenant, dict[str, Any] | None]]:
    """Create the tenants described by ``*.yaml`` files, with the credentials they name.

    Returns each tenant with its credentials as a client uses them: freshly issued, or as
    the file names them when the tenant already existed. Safe when several workers start
    at once: a tenant another worker created first is left as it is.
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
                    loaded.append(
                        create({"vendor": vendor, "name": name, "options": options, "credentials": given})
                    )
                    continue
                except ScimError as error:
                    if error.status != 409:
                        raise ValueError(f"{path}: {error.detail}") from None
                    tenant = get(vendor, name)
            loaded.append((tenant, as_named(tenant, given)))
    return loaded


def as_named(tenant: Tenant, given: dict[str, Any]) -> dict[str, Any] | None:
    """Credentials a tenant file names, with the Authorization header they make."""
    authorization = auth.style_named(scope_of(tenant).profile, given.get("style")).authorization(given)
    return {**given, "authorization": authorization} if authorization else None

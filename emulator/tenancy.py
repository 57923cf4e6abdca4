"""What a request reads of its tenant: the row, its vendor profile and options, and look-ups.

A leaf: it imports no command module (tenant creation, reset, deletion and start-up files are
``emulator/tenants.py``), so the request flow, the journal, authentication and the fault engine
read tenants without importing what changes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, or_, select

from .errors import ScimError
from .extensions import db
from .models import FaultRule, Tenant, TenantRow
from .prepared import Prepared
from .vendors import VendorProfile, get_profile


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


# built once: every tenant request looks its tenant up (building a statement costs more than running it)
FIND = select(Tenant).where(Tenant.vendor == bindparam("vendor"), Tenant.name == bindparam("name"))


def find(vendor: str, name: str) -> Tenant | None:
    """The tenant as an ORM object, to change it (``lookup`` reads it to serve a request)."""
    return db.session.execute(FIND, {"vendor": vendor, "name": name}).scalar_one_or_none()


# an enabled fault rule whose scope takes in the tenant (its time window and count are the engine's)
RULES_IN_SCOPE = (
    exists()
    .where(
        FaultRule.enabled.is_(True),
        or_(FaultRule.tenant.is_(None), FaultRule.tenant == Tenant.vendor + "/" + Tenant.name),
        or_(FaultRule.vendor.is_(None), FaultRule.vendor == Tenant.vendor),
    )
    .label("rules_in_scope")
)
LOOKUP = Prepared(
    select(*Tenant.__table__.columns, RULES_IN_SCOPE).where(
        Tenant.vendor == bindparam("vendor"), Tenant.name == bindparam("name")
    ),
    row=TenantRow,
)


def lookup(vendor: str, name: str) -> TenantRow | None:
    """The tenant a request addresses, read to serve it: one prepared statement, no ORM object."""
    found: TenantRow | None = LOOKUP.first(db.session.connection(), {"vendor": vendor, "name": name})
    return found


def get(vendor: str, name: str) -> Tenant:
    """The tenant or a 404."""
    tenant = find(vendor, name)
    if tenant is None:
        raise ScimError(404, f"no tenant {vendor}/{name}")
    return tenant

"""Tenant authentication: the credential styles a vendor profile names, tried in order."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Request
from sqlalchemy import bindparam, update

from .. import database
from ..clock import utcnow
from ..errors import ScimError
from ..extensions import db
from ..models import Credential, Tenant
from ..prepared import Prepared
from .styles import AccountRow, CredentialRow, CredentialStyle

if TYPE_CHECKING:
    from ..models import TenantRow
    from ..vendors import VendorProfile

USE_RESOLUTION = timedelta(seconds=60)


def style_named(profile: VendorProfile, name: str | None) -> CredentialStyle:
    """The profile's style called ``name`` (its first when None), or a 400."""
    if name is None:
        return profile.auth[0]
    for style in profile.auth:
        if style.name == name:
            return style
    known = ", ".join(s.name for s in profile.auth)
    raise ScimError(
        400, f"{profile.name} tenants take credentials of style {known}, not {name!r}", "invalidValue"
    )


def issue(
    tenant: Tenant, profile: VendorProfile, options: dict[str, Any], given: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Issue a credential the vendor's way; returns it in the vendor's shape, shown this once."""
    given = dict(given or {})
    return style_named(profile, given.pop("style", None)).issue(tenant, options, given)


MARK_USED = Prepared(
    update(Credential.__table__)
    .where(Credential.__table__.c.id == bindparam("credential_id"))
    .values(last_used_at=bindparam("now"))
)


def mark_used(credential: CredentialRow) -> None:
    """Record use at most once a minute, in a short transaction of its own.

    Nothing has been written when a request authenticates, so the read transaction it ends
    keeps a GET's snapshot from having to turn into a write.
    """
    now = utcnow()
    if credential.last_used_at is not None and now - credential.last_used_at < USE_RESOLUTION:
        return
    values = {"credential_id": credential.id, "now": now}
    database.write_alone(db.session.connection(), lambda connection: MARK_USED.execute(connection, values))


def authenticate(
    tenant: Tenant | TenantRow, profile: VendorProfile, request: Request
) -> CredentialRow | AccountRow:
    """What authenticated the request, or a 401/403 in the vendor's words."""
    for style in profile.auth:
        found = style.recognise(tenant, request)
        if found is None:
            continue
        if isinstance(found, CredentialRow):
            mark_used(found)
        return found
    raise unauthenticated(tenant, profile)


def unauthenticated(tenant: Tenant | TenantRow, profile: VendorProfile) -> ScimError:
    """The 401 for a request without a credential the tenant knows, challenging every style's scheme."""
    schemes = ", ".join(dict.fromkeys(f'{s.scheme} realm="{tenant.key}"' for s in profile.auth))
    return ScimError(
        401, "authentication required: missing or invalid credentials", headers={"WWW-Authenticate": schemes}
    )

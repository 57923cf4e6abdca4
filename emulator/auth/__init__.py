"""Tenant authentication: the methods a vendor profile names, tried in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Request

from ..errors import ScimError
from ..models import Credential, Tenant, utcnow
from ..vendors import VendorProfile
from .methods import METHODS, AuthMethod, usable

USE_RESOLUTION = timedelta(seconds=60)


def method(name: str) -> AuthMethod:
    return METHODS[name]


def issue(tenant: Tenant, profile: VendorProfile, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """Issue the vendor's primary credential; returns it in the vendor's shape."""
    _, shown = method(profile.auth[0]).issue(tenant, dict(given or {}))
    return shown


def authenticate(tenant: Tenant, profile: VendorProfile, request: Request) -> Credential:
    """The credential the request carries, or a 401 in the vendor's words."""
    for name in profile.auth:
        credential = method(name).find(tenant, request)
        if credential is None:
            continue
        problem = usable(credential)
        if problem:
            raise ScimError(
                401, problem, headers={"WWW-Authenticate": f'{method(name).scheme} realm="{tenant.key}"'}
            )
        now = utcnow()
        # written at most once a minute so reads stay reads
        if credential.last_used_at is None or now - credential.last_used_at > USE_RESOLUTION:
            credential.last_used_at = now
        return credential
    schemes = ", ".join(f'{method(n).scheme} realm="{tenant.key}"' for n in profile.auth)
    raise ScimError(
        401, "authentication required: missing or invalid credentials", headers={"WWW-Authenticate": schemes}
    )

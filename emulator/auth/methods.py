"""Ways a tenant accepts credentials; a vendor profile names the ones it uses.

Each method issues a credential (returning it in the vendor's shape, always with the
exact ``authorization`` header value) and recognises the header a client sends.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Request

from ..extensions import db
from ..models import Credential, Tenant, utcnow
from .secrets import digest, new_secret, same


class AuthMethod(Protocol):
    """What a credential style provides."""

    name: str
    scheme: str

    def issue(self, tenant: Tenant, given: dict[str, Any]) -> tuple[Credential, dict[str, Any]]: ...

    def find(self, tenant: Tenant, request: Request) -> Credential | None: ...


def _header(request: Request, scheme: str) -> str | None:
    value = request.headers.get("Authorization", "")
    prefix, _, rest = value.partition(" ")
    if prefix.lower() != scheme.lower() or not rest.strip():
        return None
    return rest.strip()


@dataclass(frozen=True)
class BearerToken:
    """``Authorization: Bearer <token>``; the token is generated unless given."""

    name: str = "bearer"
    scheme: str = "Bearer"
    kind: str = "bearer"

    def issue(self, tenant: Tenant, given: dict[str, Any]) -> tuple[Credential, dict[str, Any]]:
        token = str(given.get("token") or new_secret())
        credential = Credential(tenant=tenant, kind=self.kind, secret_hash=digest(token))
        credential.expires_at = given.get("expires_at")
        db.session.add(credential)
        return credential, {"type": self.kind, "token": token, "authorization": f"{self.scheme} {token}"}

    def find(self, tenant: Tenant, request: Request) -> Credential | None:
        token = _header(request, self.scheme)
        if token is None:
            return None
        hashed = digest(token)
        credential = db.session.execute(
            db.select(Credential).where(
                Credential.tenant_id == tenant.id,
                Credential.kind == self.kind,
                Credential.secret_hash == hashed,
            )
        ).scalar_one_or_none()
        if credential is None or not same(credential.secret_hash, token):
            return None
        return credential


@dataclass(frozen=True)
class HttpBasic:
    """``Authorization: Basic base64(user:password)``; the password is generated unless given."""

    name: str = "basic"
    scheme: str = "Basic"
    kind: str = "basic"

    def issue(self, tenant: Tenant, given: dict[str, Any]) -> tuple[Credential, dict[str, Any]]:
        username = str(given.get("username") or "admin")
        password = str(given.get("password") or new_secret(12))
        credential = Credential(
            tenant=tenant, kind=self.kind, username=username, secret_hash=digest(password)
        )
        credential.attributes = {k: v for k, v in given.items() if k not in ("username", "password")}
        db.session.add(credential)
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
        return credential, {
            "type": self.kind,
            "username": username,
            "password": password,
            "authorization": f"Basic {encoded}",
        }

    def find(self, tenant: Tenant, request: Request) -> Credential | None:
        encoded = _header(request, self.scheme)
        if encoded is None:
            return None
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        candidates = db.session.execute(
            db.select(Credential).where(
                Credential.tenant_id == tenant.id,
                Credential.kind == self.kind,
                Credential.username == username,
            )
        ).scalars()
        return next((c for c in candidates if same(c.secret_hash, password)), None)


METHODS: dict[str, AuthMethod] = {method.name: method for method in (BearerToken(), HttpBasic())}


def usable(credential: Credential) -> str | None:
    """Why a found credential cannot be used now, or None."""
    if credential.revoked_at is not None:
        return "credential has been revoked"
    if credential.expires_at is not None and credential.expires_at <= utcnow():
        return "credential has expired"
    return None

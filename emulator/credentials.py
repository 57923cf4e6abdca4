"""Credential lifecycle, the vendor's way: issue, rotate, expire, revoke, edit validity, activate accounts.

Shared by the control plane, the CLI and the dashboard.
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, fields
from sqlalchemy import select, update

from . import auth, clock
from .auth.styles import expiry, lapse, unusable
from .clock import utcnow
from .errors import ScimError
from .extensions import db
from .inputs import Input
from .models import Account, Credential, Tenant
from .tenancy import scope_of

SHOWN_KINDS = ("bearer", "api_key", "access_token")  # the credentials a client presents (not codes)


class CredentialIssueSchema(Input):
    """POST .../credentials: the vendor's settings for a new credential; ``rotate`` revokes the ones it replaces."""

    class Meta:
        unknown = INCLUDE  # token, key, validity_days, expires_in, username, password, ... per style

    style = fields.String(metadata={"description": "one of the vendor's auth styles (its first when absent)"})
    rotate = fields.Boolean(metadata={"description": "revoke the credentials of the same kind it replaces"})
    token = fields.String(allow_none=True, metadata={"description": "a fixed bearer token"})
    validity_days = fields.Integer(
        strict=True, allow_none=True, metadata={"description": "Britive: days of validity"}
    )
    expires_in = fields.Integer(
        strict=True, allow_none=True, metadata={"description": "seconds until it expires"}
    )
    expires_at = fields.String(allow_none=True, metadata={"description": "ISO 8601 expiry"})


class CredentialEditSchema(Input):
    """PATCH .../credentials/<id>."""

    validity_days = fields.Integer(strict=True, allow_none=True)
    expires_in = fields.Integer(strict=True, allow_none=True)
    expires_at = fields.String(allow_none=True)


def credential_state(credential: Credential) -> dict[str, Any]:
    """What may be shown of a stored credential: its kind and lifecycle, never the secret."""
    body: dict[str, Any] = {
        "id": credential.id,
        "type": credential.kind,
        "label": credential.label,
        "account": credential.account.username if credential.account else None,
        "created_at": clock.shown(credential.created_at, to="seconds"),
        "last_used_at": clock.shown(credential.last_used_at, to="seconds"),
        "validity_days": credential.validity_days,
        "expires_at": clock.shown(lapse(credential), to="seconds"),
        "revoked_at": clock.shown(credential.revoked_at, to="seconds"),
        "state": "active",
    }
    if unusable(credential):
        body["state"] = "revoked" if credential.revoked_at else "expired"
    return body


def account_state(account: Account) -> dict[str, Any]:
    """A vendor-side account (Jive admin, Jostle Automation user): never its password."""
    return {"username": account.username, "role": account.role, "active": account.active}


def issue(tenant: Tenant, given: dict[str, Any]) -> dict[str, Any]:
    """A new credential in the vendor's shape; ``rotate`` also revokes the ones it replaces."""

    given = CredentialIssueSchema().load(given)
    rotate = given.pop("rotate", False)
    scope = scope_of(tenant)
    style = auth.style_named(scope.profile, given.get("style"))
    shown = auth.issue(tenant, scope.profile, scope.options, given)
    if rotate and "id" in shown:
        # the credentials it replaces: the same kind, and for account-owned keys the same account's
        account_id = db.session.get(Credential, shown["id"]).account_id
        db.session.execute(
            update(Credential)
            .where(
                Credential.tenant_id == tenant.id,
                Credential.kind == style.kind,
                Credential.account_id.is_(None)
                if account_id is None
                else Credential.account_id == account_id,
                Credential.id != shown["id"],
                Credential.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
    db.session.commit()
    return shown


def listing(tenant: Tenant) -> dict[str, Any]:
    credentials = db.session.execute(
        select(Credential)
        .where(Credential.tenant_id == tenant.id, Credential.kind.in_(SHOWN_KINDS))
        .order_by(Credential.id)
    ).scalars()
    return {
        "credentials": [credential_state(c) for c in credentials],
        "accounts": [account_state(a) for a in tenant.accounts],
    }


def get(tenant: Tenant, credential_id: int) -> Credential:
    credential = db.session.get(Credential, credential_id)
    if credential is None or credential.tenant_id != tenant.id:
        raise ScimError(404, f"no credential {credential_id} in tenant {tenant.key}")
    return credential


def revoke(tenant: Tenant, credential_id: int) -> dict[str, Any]:
    credential = get(tenant, credential_id)
    credential.revoked_at = credential.revoked_at or utcnow()
    db.session.commit()
    return credential_state(credential)


def expire(tenant: Tenant, credential_id: int) -> dict[str, Any]:
    """Make a credential expire now, as if its time had run out."""
    credential = get(tenant, credential_id)
    credential.expires_at = utcnow()
    db.session.commit()
    return credential_state(credential)


def edit(tenant: Tenant, credential_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a credential's validity in days (Britive) or its expiry."""

    changes = CredentialEditSchema().load(changes)
    credential = get(tenant, credential_id)
    if "validity_days" in changes:
        style = next((s for s in scope_of(tenant).profile.auth if s.kind == credential.kind), None)
        if style is None:
            raise ScimError(400, "this credential has no validity in days", "invalidValue")
        style.check_validity(changes["validity_days"])
        credential.validity_days = changes["validity_days"]
    if "expires_in" in changes or "expires_at" in changes:
        credential.expires_at = expiry(changes)
    db.session.commit()
    return credential_state(credential)


def set_account_active(tenant: Tenant, username: str, active: bool) -> dict[str, Any]:
    """Activate (Jostle: the Automation user logged in once) or deactivate a vendor account."""
    account = db.session.execute(
        select(Account).where(Account.tenant_id == tenant.id, Account.username == username)
    ).scalar_one_or_none()
    if account is None:
        raise ScimError(404, f"no account {username} in tenant {tenant.key}")
    account.active = active
    db.session.commit()
    return account_state(account)

"""Credential lifecycle, the vendor's way: issue, rotate, expire, revoke, edit validity, activate accounts.

Shared by the control plane, the CLI and the dashboard.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from . import auth
from .auth.styles import BearerTokens, expiry
from .errors import ScimError
from .extensions import db
from .models import Account, Credential, Tenant, utcnow
from .tenants import account_state, credential_state, scope_of


def issue(tenant: Tenant, given: dict[str, Any]) -> dict[str, Any]:
    """A new credential in the vendor's shape; ``rotate`` also revokes the ones it replaces."""
    from .control.schemas import CredentialIssueSchema  # imported here: the control plane imports this module

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
                Credential.kind == getattr(style, "kind", None),
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
        .where(Credential.tenant_id == tenant.id, Credential.kind.in_(("bearer", "api_key", "access_token")))
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
    from .control.schemas import CredentialEditSchema  # imported here: the control plane imports this module

    changes = CredentialEditSchema().load(changes)
    credential = get(tenant, credential_id)
    if "validity_days" in changes:
        style = next((s for s in scope_of(tenant).profile.auth if isinstance(s, BearerTokens)), None)
        if style is None or credential.kind != style.kind:
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

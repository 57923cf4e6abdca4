"""Credential styles: how a vendor issues credentials and recognises them on a request.

A vendor profile lists the styles it accepts (the first is the one tenant creation and
``POST .../credentials`` use by default). ``recognise`` answers None when the request's
header is not this style's, raises a 401/403 ScimError when it is but cannot be used now,
and returns the credential or account that authenticated otherwise.

Each style also says what callers would otherwise work out from its class: the ``kind`` of
credential it stores (None for accounts' passwords), ``revoked_detail`` (the vendor's words for
a credential of this style that was revoked; None: refused like a wrong password), ``oauth``
(its credentials come from the tenant's OAuth endpoints) and ``check_validity`` (whether a
validity in days may be set, and to what). ``restore`` makes the credential a start-up file
names work again the vendor's way, and ``waiting`` says why it cannot be used yet.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from flask import Request
from sqlalchemy import bindparam, select, update

from .. import clock
from ..clock import utcnow
from ..errors import ScimError
from ..extensions import db
from ..models import Account, Credential, Tenant
from ..prepared import Prepared
from .secrets import digest, new_secret, same

if TYPE_CHECKING:
    from ..models import TenantRow


def header(request: Request, scheme: str) -> str | None:
    """The credential after ``scheme`` in the Authorization header, if that is its scheme."""
    value = request.headers.get("Authorization", "")
    prefix, _, rest = value.partition(" ")
    if prefix.lower() != scheme.lower() or not rest.strip():
        return None
    return rest.strip()


def lapse(credential: Credential | CredentialRow) -> datetime | None:
    """When the credential stops working: its expiry, or its validity counted from last use."""
    ends = [credential.expires_at] if credential.expires_at else []
    if credential.validity_days is not None:
        since = credential.last_used_at or credential.created_at
        ends.append(since + timedelta(days=credential.validity_days))
    return min(ends) if ends else None


def unusable(credential: Credential | CredentialRow, now: datetime | None = None) -> str | None:
    """Why a credential cannot be used now, or None."""
    if credential.revoked_at is not None:
        return f"{credential.kind.replace('_', ' ')} has been revoked"
    ends = lapse(credential)
    if ends is not None and ends <= (now or utcnow()):
        return f"{credential.kind.replace('_', ' ')} expired at {clock.shown(ends, to='seconds')}"
    return None


def refused(detail: str, scheme: str, realm: str, status: int = 401) -> ScimError:
    return ScimError(status, detail, headers={"WWW-Authenticate": f'{scheme} realm="{realm}"'})


def no_validity_days(days: Any) -> None:
    """``check_validity`` of a style whose credentials have no validity in days to set."""
    raise ScimError(400, "this credential has no validity in days", "invalidValue")


class CredentialRow(NamedTuple):
    """A credential as a request presents it: read by a prepared statement (emulator/prepared.py), once
    per request; its one change, the last use, is written by ``auth.mark_used``."""

    id: int
    tenant_id: int
    account_id: int | None
    kind: str
    label: str | None
    secret_hash: str
    created_at: datetime
    expires_at: datetime | None
    validity_days: int | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    attributes: dict[str, Any]


class AccountRow(NamedTuple):
    """An account as a request's credential names it (read as ``CredentialRow`` is)."""

    id: int
    tenant_id: int
    username: str
    password_hash: str | None
    role: str | None
    active: bool
    created_at: datetime


# every authenticated request runs these
FIND_SECRET = Prepared(
    select(Credential.__table__).where(
        Credential.tenant_id == bindparam("tenant_id"),
        Credential.kind == bindparam("kind"),
        Credential.secret_hash == bindparam("secret_hash"),
    ),
    row=CredentialRow,
)
ACCOUNT = Prepared(select(Account.__table__).where(Account.id == bindparam("id")), row=AccountRow)
ACCOUNT_NAMED = Prepared(
    select(Account.__table__).where(
        Account.tenant_id == bindparam("tenant_id"), Account.username == bindparam("username")
    ),
    row=AccountRow,
)


def find_secret(tenant: Tenant | TenantRow, kind: str, secret: str) -> CredentialRow | None:
    """The tenant's credential of ``kind`` whose secret this is."""
    found: CredentialRow | None = FIND_SECRET.first(
        db.session.connection(), {"tenant_id": tenant.id, "kind": kind, "secret_hash": digest(secret)}
    )
    return found if found is not None and same(found.secret_hash, secret) else None


def account_of(credential: CredentialRow) -> AccountRow | None:
    """The account that owns a credential, if one does."""
    if credential.account_id is None:
        return None
    found: AccountRow | None = ACCOUNT.first(db.session.connection(), {"id": credential.account_id})
    return found


def presented(
    tenant: Tenant | TenantRow, request: Request, scheme: str, kind: str
) -> tuple[CredentialRow, str | None] | None:
    """The tenant's credential of ``kind`` that the request carries, and why it is unusable now, if it is."""
    secret = header(request, scheme)
    if secret is None:
        return None
    credential = find_secret(tenant, kind, secret)
    if credential is None:
        return None
    return credential, unusable(credential)


def revoke_all(tenant: Tenant, kind: str) -> None:
    db.session.execute(
        update(Credential)
        .where(Credential.tenant_id == tenant.id, Credential.kind == kind, Credential.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def expiry(given: dict[str, Any]) -> datetime | None:
    """An expiry from ``expires_in`` (seconds) or ``expires_at`` (ISO 8601)."""
    if given.get("expires_in") is not None:
        seconds = given["expires_in"]
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 < seconds <= 100 * 365 * 86400:
            raise ScimError(
                400, "expires_in must be a positive number of seconds (at most 100 years)", "invalidValue"
            )
        return utcnow() + timedelta(seconds=seconds)
    if given.get("expires_at"):
        try:
            return clock.from_iso(str(given["expires_at"]))
        except ValueError:
            raise ScimError(400, "expires_at must be an ISO 8601 time", "invalidValue") from None
    return None


def account_named(tenant: Tenant, username: str) -> Account | None:
    return db.session.execute(
        select(Account).where(Account.tenant_id == tenant.id, Account.username == username)
    ).scalar_one_or_none()


def stored_secret(tenant: Tenant, kind: str, secret: str) -> Credential | None:
    """The tenant's stored credential of ``kind`` with this secret, as an ORM object to change."""
    return db.session.execute(
        select(Credential).where(
            Credential.tenant_id == tenant.id,
            Credential.kind == kind,
            Credential.secret_hash == digest(secret),
        )
    ).scalar_one_or_none()


def working_again(credential: Credential, given: dict[str, Any], label: str) -> str:
    """Un-revoke or renew an unusable credential, its expiry as named, counted from now; the note."""
    what = "had been revoked" if credential.revoked_at else "had expired"
    credential.revoked_at = None
    credential.expires_at = expiry(given)
    credential.created_at, credential.last_used_at = utcnow(), None
    return f"the {label} {what} at runtime: it works again"


def nothing_waits(tenant: Tenant, given: dict[str, Any]) -> list[str]:
    """``waiting`` of a style whose named credential works as soon as it is restored."""
    return []


@dataclass(frozen=True)
class BearerTokens:
    """``Authorization: Bearer <token>``: generic, Britive, Thrive LXP, Jive's user security token."""

    label: str = "token"
    name: str = "bearer"
    scheme: str = "Bearer"
    kind: str = "bearer"
    validity_days: tuple[int, int] | None = None  # allowed (min, max) days of validity since last use
    default_validity_days: int | None = None
    recreate_revokes: bool = False  # issuing a new token revokes the old ones at once
    oauth = False

    @property
    def revoked_detail(self) -> str:
        return f"the {self.label} has been revoked"

    def issue(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        token = str(given.get("token") or new_secret())
        days = given.get("validity_days", self.default_validity_days)
        self.check_validity(days)
        if self.recreate_revokes:
            revoke_all(tenant, self.kind)
        credential = Credential(
            tenant=tenant,
            kind=self.kind,
            label=self.label,
            secret_hash=digest(token),
            expires_at=expiry(given),
            validity_days=days,
        )
        db.session.add(credential)
        db.session.flush()
        shown: dict[str, Any] = {"id": credential.id, "type": self.label, "token": token}
        if days is not None:
            shown["validity_days"] = days
        if credential.expires_at:
            shown["expires_at"] = clock.shown(credential.expires_at, to="seconds")
        shown["authorization"] = f"Bearer {token}"
        return shown

    def authorization(self, given: dict[str, Any]) -> str | None:
        """The header value for credentials named in a tenant file."""
        return f"Bearer {given['token']}" if given.get("token") else None

    def restore(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> list[str]:
        """The named token: issued again when missing, un-revoked or renewed when unusable; where the
        vendor keeps one token at a time, re-creating it revokes the one issued since."""
        credential = stored_secret(tenant, self.kind, str(given["token"]))
        if credential is None:
            self.issue(tenant, options, given)
            return [f"the {self.label} the file names was missing: issued again"]
        if not unusable(credential):
            return []
        days = given.get("validity_days", self.default_validity_days)
        self.check_validity(days)
        credential.validity_days = days
        note = working_again(credential, given, self.label)
        if self.recreate_revokes:
            replaced = db.session.execute(
                update(Credential)
                .where(
                    Credential.tenant_id == tenant.id,
                    Credential.kind == self.kind,
                    Credential.id != credential.id,
                    Credential.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            ).rowcount
            if replaced:
                note += (
                    f", and the {self.label} issued since is revoked ({tenant.vendor} keeps one at a time)"
                )
        return [note]

    waiting = staticmethod(nothing_waits)

    def security_scheme(self, tenant_root: str) -> tuple[str, dict[str, Any]]:
        """Its OpenAPI security scheme: name and object."""
        description = f"a {self.label} issued by POST /_emulator/tenants (or .../credentials)"
        return "bearerToken", {"type": "http", "scheme": "bearer", "description": description}

    def check_validity(self, days: Any) -> None:
        if days is None and self.validity_days is None:
            return
        if self.validity_days is None:
            raise ScimError(400, f"{self.label}s of this vendor have no validity in days", "invalidValue")
        low, high = self.validity_days
        if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
            raise ScimError(400, f"validity_days must be a whole number from {low} to {high}", "invalidValue")

    def recognise(self, tenant: Tenant | TenantRow, request: Request) -> CredentialRow | None:
        found = presented(tenant, request, self.scheme, self.kind)
        if found is None:
            return None
        credential, problem = found
        if problem:
            raise refused(f"the {self.label} {problem.split(' ', 1)[1]}", self.scheme, tenant.key)
        return credential


@dataclass(frozen=True)
class BasicAccounts:
    """``Authorization: Basic``: an admin account's user name and password (Jive)."""

    required_role: str | None = None
    default_username: str = "admin"
    name: str = "basic"
    scheme: str = "Basic"
    kind = None  # a password is the account's, not a stored credential
    revoked_detail = None  # a Basic credential that stopped working is refused like a wrong password
    oauth = False
    check_validity = staticmethod(no_validity_days)

    def issue(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        """A new account, or for an existing user name a new password (the old one stops working)."""
        username = str(given.get("username") or self.default_username)
        password = str(given.get("password") or new_secret(12))
        account = account_named(tenant, username)
        if account is None:
            role = given.get("profile", self.required_role)
            account = Account(tenant_id=tenant.id, username=username, role=role)
            db.session.add(account)
        elif "profile" in given:
            account.role = given["profile"]
        role = account.role
        account.password_hash = digest(password)
        db.session.flush()
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
        shown: dict[str, Any] = {"type": "basic", "username": username, "password": password}
        if role:
            shown["profile"] = role
        shown["authorization"] = f"Basic {encoded}"
        return shown

    def authorization(self, given: dict[str, Any]) -> str | None:
        """The header value for credentials named in a tenant file."""
        if not given.get("password"):
            return None
        username = given.get("username") or self.default_username
        return "Basic " + base64.b64encode(f"{username}:{given['password']}".encode()).decode()

    def restore(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> list[str]:
        """The named user name and password: the password and profile set back, the account active."""
        username = str(given.get("username") or self.default_username)
        account = account_named(tenant, username)
        if account is None:
            self.issue(tenant, options, given)
            return [f"the account {username} the file names was missing: created again"]
        undone = []
        if not same(account.password_hash or "", str(given["password"])):
            account.password_hash = digest(str(given["password"]))
            undone.append(f"the password of {username} had been changed at runtime: set back")
        role = given.get("profile", self.required_role)
        if role is not None and account.role != role:
            account.role = role
            undone.append(f"the profile of {username} had been changed at runtime: {role} again")
        if not account.active:
            account.active = True
            undone.append(f"the account {username} had been deactivated at runtime: active again")
        return undone

    waiting = staticmethod(nothing_waits)

    def security_scheme(self, tenant_root: str) -> tuple[str, dict[str, Any]]:
        """Its OpenAPI security scheme: name and object."""
        role = f" with the {self.required_role} profile" if self.required_role else ""
        description = f"user name and password of an admin account{role}"
        return "basicAuth", {"type": "http", "scheme": "basic", "description": description}

    def recognise(self, tenant: Tenant | TenantRow, request: Request) -> AccountRow | None:
        encoded = header(request, self.scheme)
        if encoded is None:
            return None
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        account: AccountRow | None = ACCOUNT_NAMED.first(
            db.session.connection(), {"tenant_id": tenant.id, "username": username}
        )
        if account is None or account.password_hash is None or not same(account.password_hash, password):
            return None
        if not account.active:
            raise refused(f"the account {username} is disabled", self.scheme, tenant.key)
        if self.required_role and account.role != self.required_role:
            raise refused(
                f"the account {username} does not have the {self.required_role} profile",
                self.scheme,
                tenant.key,
                status=403,
            )
        return account


@dataclass(frozen=True)
class ApiKeys:
    """Bearer API keys, each owned by an account: Jostle's Automation users, Jellyfish's admin."""

    account_label: str = "account"
    default_account: str = "admin"
    with_password: bool = False  # the account signs in too (Jellyfish's Authorize step)
    active_option: str | None = None  # a tenant option giving a new account's activation state
    name: str = "api_key"
    scheme: str = "Bearer"
    kind: str = "api_key"
    revoked_detail = "the API key has been revoked; it must be updated"
    oauth = False
    check_validity = staticmethod(no_validity_days)

    def issue(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        account_name = str(given.get(self.account_key) or self.default_account)
        account = account_named(tenant, account_name)
        shown: dict[str, Any] = {"type": "api_key"}
        if account is None:
            # the tenant option sets the state of its first account; later ones are active unless told
            first = not db.session.execute(select(Account.id).where(Account.tenant_id == tenant.id)).first()
            default = options.get(self.active_option, True) if self.active_option and first else True
            active = bool(given.get("active", default))
            account = Account(tenant_id=tenant.id, username=account_name, active=active)
            if self.with_password:
                password = str(given.get("password") or new_secret(12))
                account.password_hash = digest(password)
                shown["password"] = password
            db.session.add(account)
            db.session.flush()
        key = str(given.get("key") or new_secret())
        credential = Credential(
            tenant=tenant,
            account_id=account.id,
            kind=self.kind,
            label=given.get("description"),
            secret_hash=digest(key),
            expires_at=expiry(given),
        )
        db.session.add(credential)
        db.session.flush()
        shown = {"id": credential.id, **shown, self.account_key: account.username, "key": key}
        if credential.label:
            shown["description"] = credential.label
        shown["expires_at"] = clock.shown(credential.expires_at, to="seconds")
        if self.active_option:
            shown[f"{self.account_key}_active"] = account.active
        shown["authorization"] = f"Bearer {key}"
        return shown

    def authorization(self, given: dict[str, Any]) -> str | None:
        """The header value for credentials named in a tenant file."""
        return f"Bearer {given['key']}" if given.get("key") else None

    def restore(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> list[str]:
        """The named key and its account: the account active again if the file means it to be, its
        password as named; the key issued again when missing, un-revoked or renewed when unusable."""
        undone = self.restore_owner(tenant, options, given)
        credential = stored_secret(tenant, self.kind, str(given["key"]))
        if credential is None:
            self.issue(tenant, options, given)
            return [*undone, "the API key the file names was missing: issued again"]
        if not unusable(credential):
            return undone
        return [*undone, working_again(credential, given, "API key")]

    def restore_owner(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> list[str]:
        account = account_named(tenant, str(given.get(self.account_key) or self.default_account))
        if account is None:
            return []  # issued with the key, as at creation
        undone = []
        active = given.get("active", options.get(self.active_option, True) if self.active_option else True)
        if not account.active and active:
            account.active = True
            undone.append(
                f"the {self.account_label} {account.username} had been deactivated at runtime: active again"
            )
        password = given.get("password")
        if self.with_password and password and not same(account.password_hash or "", str(password)):
            account.password_hash = digest(str(password))
            undone.append(f"the password of {account.username} had been changed at runtime: set back")
        return undone

    def security_scheme(self, tenant_root: str) -> tuple[str, dict[str, Any]]:
        """Its OpenAPI security scheme: name and object."""
        description = f"an API key of the tenant's {self.account_label}, sent as a bearer token"
        return "apiKey", {"type": "http", "scheme": "bearer", "description": description}

    def waiting(self, tenant: Tenant, given: dict[str, Any]) -> list[str]:
        """The named key's account waits to be activated (Jostle's Automation user)."""
        account = account_named(tenant, str(given.get(self.account_key) or self.default_account))
        if account is None or account.active:
            return []
        return [
            f"the {self.account_label} {account.username} is not activated: its API key answers 401 until "
            f"POST /_emulator/tenants/{tenant.vendor}/{tenant.name}/accounts/{account.username}/activate"
        ]

    @property
    def account_key(self) -> str:
        return self.account_label.lower().replace(" ", "_")

    def recognise(self, tenant: Tenant | TenantRow, request: Request) -> CredentialRow | None:
        found = presented(tenant, request, self.scheme, self.kind)
        if found is None:
            return None
        credential, problem = found
        if problem:
            raise refused(
                f"the API key {problem.split(' ', 2)[2]}; it must be updated", self.scheme, tenant.key
            )
        account = account_of(credential)
        if account is not None and not account.active:
            raise refused(
                f"the {self.account_label} {account.username} of this API key has not been activated",
                self.scheme,
                tenant.key,
            )
        return credential


@dataclass(frozen=True)
class OAuthAccessTokens:
    """Access tokens from the tenant's OAuth 2.0 authorization-code grant (Jellyfish's Authorize)."""

    access_seconds: int = 3600
    refresh_days: int = 30
    code_seconds: int = 600
    name: str = "oauth"
    scheme: str = "Bearer"
    kind: str = "access_token"
    revoked_detail = "the OAuth access token has been revoked"
    oauth = True
    check_validity = staticmethod(no_validity_days)

    def issue(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        raise ScimError(
            400,
            "access tokens come from the tenant's /oauth/authorize and /oauth/token endpoints",
            "invalidValue",
        )

    def authorization(self, given: dict[str, Any]) -> str | None:
        """None: a tenant file cannot name an access token (they come from the OAuth endpoints)."""
        return None

    def restore(self, tenant: Tenant, options: dict[str, Any], given: dict[str, Any]) -> list[str]:
        return []

    waiting = staticmethod(nothing_waits)

    def security_scheme(self, tenant_root: str) -> tuple[str, dict[str, Any]]:
        """Its OpenAPI security scheme: the tenant's authorization-code grant."""
        token_url = f"{tenant_root}/oauth/token"
        flow = {"authorizationUrl": f"{tenant_root}/oauth/authorize", "tokenUrl": token_url}
        return "oauth2", {
            "type": "oauth2",
            "description": "access tokens from the tenant's authorization-code grant",
            "flows": {"authorizationCode": {**flow, "refreshUrl": token_url, "scopes": {}}},
        }

    def recognise(self, tenant: Tenant | TenantRow, request: Request) -> CredentialRow | None:
        found = presented(tenant, request, self.scheme, self.kind)
        if found is None:
            return None
        credential, problem = found
        if problem:
            raise refused(f"the OAuth {problem}", self.scheme, tenant.key)
        account = account_of(credential)
        if account is not None and not account.active:
            raise refused(
                f"the account {account.username} of this access token is disabled", self.scheme, tenant.key
            )
        return credential


CredentialStyle = BearerTokens | BasicAccounts | ApiKeys | OAuthAccessTokens

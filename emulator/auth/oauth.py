"""An OAuth 2.0 authorization-code grant on a tenant's host (RFC 6749 §4.1): Jellyfish's "Authorize".

``GET /oauth/authorize`` shows a sign-in page; the tenant's admin signs in and is sent back
to ``redirect_uri`` with a single-use code; ``POST /oauth/token`` trades the code (or a
refresh token) for an expiring access token that the SCIM endpoint accepts. Token errors
use RFC 6749 §5.2 bodies, the protocol's own, not SCIM's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from sqlalchemy import select, update

from ..clock import utcnow
from ..errors import ScimError
from ..extensions import db
from ..models import Account, Credential, TenantRow
from ..request_state import current
from .secrets import digest, new_secret, same
from .styles import OAuthAccessTokens

bp = Blueprint("oauth", __name__, url_prefix="/oauth")


class OAuthError(Exception):
    """An RFC 6749 §5.2 error from the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@bp.errorhandler(OAuthError)
def oauth_error(error: OAuthError) -> tuple[Response, int]:
    response = jsonify(error=error.error, error_description=error.description)
    response.headers["Cache-Control"] = "no-store"
    return response, error.status


def grant() -> tuple[TenantRow, OAuthAccessTokens]:
    """The addressed tenant (resolved by the request flow) and its OAuth style; tenants without
    one have no /oauth."""
    state = current()
    assert state is not None and state.scope is not None, "the request flow resolves /oauth's tenant"
    tenant = state.scope.tenant
    style = next((s for s in state.scope.profile.auth if s.oauth), None)
    if style is None:
        raise ScimError(404, f"{tenant.vendor} tenants have no OAuth authorization endpoint")
    return state.tenant, cast(OAuthAccessTokens, style)  # tenant: the scope's, read once


def authorize_params() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    params = {k: source.get(k, "") for k in ("response_type", "client_id", "redirect_uri", "state")}
    if params["response_type"] != "code":
        raise ScimError(400, "response_type must be 'code'", "invalidValue")
    if not params["client_id"]:
        raise ScimError(400, "client_id is required", "invalidValue")
    if urlsplit(params["redirect_uri"]).scheme not in ("http", "https"):
        raise ScimError(400, "redirect_uri must be an absolute http(s) URL", "invalidValue")
    return params


@bp.get("/authorize")
def authorize_page() -> str:
    tenant, _ = grant()
    params = authorize_params()
    return render_template("authorize.html", tenant=tenant, title=tenant.vendor.title(), error=None, **params)


@bp.post("/authorize")
def authorize() -> Any:
    tenant, style = grant()
    params = authorize_params()
    account = db.session.execute(
        select(Account).where(
            Account.tenant_id == tenant.id, Account.username == request.form.get("username", "")
        )
    ).scalar_one_or_none()
    password = request.form.get("password", "")
    error = None
    if account is None or account.password_hash is None or not same(account.password_hash, password):
        error = "Wrong user name or password."
    elif not account.active:
        error = "This account is disabled."
    if error is not None:
        page = render_template(
            "authorize.html", tenant=tenant, title=tenant.vendor.title(), error=error, **params
        )
        return page, 401
    code = new_secret()
    db.session.add(
        Credential(
            tenant_id=tenant.id,
            account_id=account.id,
            kind="code",
            secret_hash=digest(code),
            expires_at=utcnow() + timedelta(seconds=style.code_seconds),
            attributes={"redirect_uri": params["redirect_uri"], "client_id": params["client_id"]},
        )
    )
    db.session.commit()
    query = urlencode({"code": code, **({"state": params["state"]} if params["state"] else {})})
    separator = "&" if urlsplit(params["redirect_uri"]).query else "?"
    return redirect(f"{params['redirect_uri']}{separator}{query}", code=302)


def take(tenant: TenantRow, kind: str, secret: str) -> Credential:
    """Use up a code or refresh token exactly once, even under concurrent requests."""
    credential = db.session.execute(
        select(Credential).where(
            Credential.tenant_id == tenant.id,
            Credential.kind == kind,
            Credential.secret_hash == digest(secret),
        )
    ).scalar_one_or_none()
    now = utcnow()
    if credential is None or credential.revoked_at is not None:
        raise OAuthError("invalid_grant", f"the {kind.replace('_', ' ')} is unknown or already used")
    if credential.expires_at is not None and credential.expires_at <= now:
        raise OAuthError("invalid_grant", f"the {kind.replace('_', ' ')} has expired")
    taken = db.session.execute(
        update(Credential)
        .where(Credential.id == credential.id, Credential.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if taken.rowcount != 1:
        raise OAuthError("invalid_grant", f"the {kind.replace('_', ' ')} was already used")
    return credential


def tokens(tenant: TenantRow, style: OAuthAccessTokens, account_id: int | None) -> dict[str, Any]:
    access, refresh = new_secret(), new_secret()
    now = utcnow()
    for kind, secret, lifetime in (
        ("access_token", access, timedelta(seconds=style.access_seconds)),
        ("refresh_token", refresh, timedelta(days=style.refresh_days)),
    ):
        db.session.add(
            Credential(
                tenant_id=tenant.id,
                account_id=account_id,
                kind=kind,
                label="OAuth",
                secret_hash=digest(secret),
                expires_at=now + lifetime,
            )
        )
    db.session.commit()
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": style.access_seconds,
        "refresh_token": refresh,
    }


@bp.post("/token")
def token() -> Response:
    tenant, style = grant()
    form = request.form
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        code = take(tenant, "code", form.get("code", ""))
        if form.get("redirect_uri", "") != code.attributes.get("redirect_uri"):
            db.session.rollback()
            raise OAuthError("invalid_grant", "redirect_uri does not match the one the code was issued for")
        body = tokens(tenant, style, code.account_id)
    elif grant_type == "refresh_token":
        refresh = take(tenant, "refresh_token", form.get("refresh_token", ""))
        body = tokens(tenant, style, refresh.account_id)
    else:
        raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response

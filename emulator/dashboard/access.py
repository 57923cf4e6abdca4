"""Who may use the dashboard, its sign-in session, CSRF tokens and security headers.

The rule is the control plane's (``admin_allowed``): the admin token when
EMULATOR_ADMIN_TOKEN is set, loopback clients only otherwise. A browser presents the
token once at ``/login``; the session cookie then carries a fingerprint of it, so
changing the token signs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Any

from flask import Flask, Request, Response, current_app, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer

from ..control.views import admin_allowed
from ..errors import ScimError
from ..routing import TENANT_KEY

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def digest(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def signing_key(app: Flask) -> str:
    """The key that signs session cookies, the same in every worker without configuration.

    EMULATOR_SECRET_KEY when set; otherwise derived from the admin token; with neither
    (loopback-only mode, where only this machine reaches the dashboard) derived from the
    database URL that every worker shares. A per-process random key would sign a user out
    whenever gunicorn sent a request to another worker.
    """
    if os.environ.get("EMULATOR_SECRET_KEY"):
        return str(app.secret_key)
    token = app.config["EMULATOR_ADMIN_TOKEN"]
    if token:
        return digest(token, "emulator dashboard session key")
    return digest(app.config["SQLALCHEMY_DATABASE_URI"], "emulator dashboard session key")


class DashboardSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed with ``signing_key`` and sent SameSite=Lax."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """No session for a tenant's requests: the dashboard is on the bare host only."""
        if TENANT_KEY in request.environ:
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        return URLSafeTimedSerializer(
            signing_key(app),
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )

    def get_cookie_samesite(self, app: Flask) -> str:
        return app.config["SESSION_COOKIE_SAMESITE"] or "Lax"


def fingerprint(token: str) -> str:
    """What the session keeps of the admin token: never the token itself."""
    return digest(token, "emulator dashboard sign-in")


def token_required() -> bool:
    return bool(current_app.config["EMULATOR_ADMIN_TOKEN"])


def token_matches(presented: str) -> bool:
    token = current_app.config["EMULATOR_ADMIN_TOKEN"] or ""
    return bool(token) and hmac.compare_digest(presented.encode(), token.encode())


def sign_in() -> None:
    session.clear()
    session["admin"] = fingerprint(current_app.config["EMULATOR_ADMIN_TOKEN"])
    session["csrf"] = secrets.token_urlsafe(32)


def signed_in() -> bool:
    token = current_app.config["EMULATOR_ADMIN_TOKEN"]
    return bool(token) and hmac.compare_digest(str(session.get("admin", "")), fingerprint(token))


def bearer_allowed(req: Any) -> bool:
    """Whether the request passes the control plane's rule by itself (header or loopback)."""
    try:
        admin_allowed(req)
    except ScimError:
        return False
    return True


def allowed(req: Any) -> bool:
    """Signed in, or let through by the control plane's rule; raises its 403 for remote clients."""
    if signed_in() or bearer_allowed(req):
        return True
    if not token_required():
        admin_allowed(req)  # raises the control plane's 403
    return False


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def csrf_valid(req: Any) -> bool:
    """A POST carries this session's token (form field ``csrf`` or header ``X-CSRF-Token``).

    Requests that authenticate with the Authorization header need none: a browser never
    sends that header cross-site.
    """
    if token_required() and req.headers.get("Authorization") and bearer_allowed(req):
        return True
    expected = session.get("csrf")
    presented = req.form.get("csrf") or req.headers.get("X-CSRF-Token") or ""
    return bool(expected) and hmac.compare_digest(str(presented).encode(), str(expected).encode())


def secure(response: Response) -> Response:
    """Security headers on every dashboard response; pages are never cached (one shows secrets)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not response.direct_passthrough:
        response.headers.setdefault("Cache-Control", "no-store")
    return response

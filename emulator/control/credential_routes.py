"""Control-plane routes for a tenant's credentials and vendor accounts."""

from __future__ import annotations

from flask import Response, jsonify

from .. import credentials, tenants
from .schemas import AccountSchema, CredentialListingSchema, CredentialStateSchema
from .views import bp, dumped, request_object


@bp.get("/tenants/<vendor>/<name>/credentials")
def list_credentials(vendor: str, name: str) -> Response:
    """A tenant's credentials (states, never secrets) and vendor accounts.
    ---
    get:
      summary: List credentials
      responses:
        200:
          content:
            application/json:
              schema: CredentialListingSchema
        404: Error
    """
    return dumped(CredentialListingSchema(), credentials.listing(tenants.get(vendor, name)))


@bp.post("/tenants/<vendor>/<name>/credentials")
def issue_credential(vendor: str, name: str) -> tuple[Response, int]:
    """Issue a credential the vendor's way, shown this once; ``rotate`` revokes the ones it replaces.
    ---
    post:
      summary: Issue or rotate a credential
      requestBody:
        content:
          application/json:
            schema: CredentialIssueSchema
      responses:
        201:
          content:
            application/json:
              schema: IssuedCredentialSchema
        400: Error
        404: Error
    """
    tenant = tenants.get(vendor, name)
    # the vendor decides the shape (IssuedCredentialSchema is open), so the body is sent as issued
    return jsonify(credentials.issue(tenant, request_object(optional=True))), 201


@bp.patch("/tenants/<vendor>/<name>/credentials/<int:credential_id>")
def edit_credential(vendor: str, name: str, credential_id: int) -> Response:
    """Change a credential's validity in days (Britive) or its expiry.
    ---
    patch:
      summary: Edit a credential
      requestBody:
        required: true
        content:
          application/json:
            schema: CredentialEditSchema
      responses:
        200:
          content:
            application/json:
              schema: CredentialStateSchema
        400: Error
        404: Error
    """
    tenant = tenants.get(vendor, name)
    return dumped(
        CredentialStateSchema(), credentials.edit(tenant, credential_id, request_object(optional=True))
    )


@bp.post("/tenants/<vendor>/<name>/credentials/<int:credential_id>/revoke")
def revoke_credential(vendor: str, name: str, credential_id: int) -> Response:
    """Revoke a credential now.
    ---
    post:
      summary: Revoke a credential
      responses:
        200:
          content:
            application/json:
              schema: CredentialStateSchema
        404: Error
    """
    return dumped(CredentialStateSchema(), credentials.revoke(tenants.get(vendor, name), credential_id))


@bp.post("/tenants/<vendor>/<name>/credentials/<int:credential_id>/expire")
def expire_credential(vendor: str, name: str, credential_id: int) -> Response:
    """Make a credential expire now, as if its time had run out.
    ---
    post:
      summary: Expire a credential
      responses:
        200:
          content:
            application/json:
              schema: CredentialStateSchema
        404: Error
    """
    return dumped(CredentialStateSchema(), credentials.expire(tenants.get(vendor, name), credential_id))


@bp.post("/tenants/<vendor>/<name>/accounts/<username>/activate")
def activate_account(vendor: str, name: str, username: str) -> Response:
    """Activate a vendor account (Jostle: the Automation user has logged in once).
    ---
    post:
      summary: Activate an account
      responses:
        200:
          content:
            application/json:
              schema: AccountSchema
        404: Error
    """
    tenant = tenants.get(vendor, name)
    return dumped(AccountSchema(), credentials.set_account_active(tenant, username, True))


@bp.post("/tenants/<vendor>/<name>/accounts/<username>/deactivate")
def deactivate_account(vendor: str, name: str, username: str) -> Response:
    """Deactivate a vendor account: its credentials stop working.
    ---
    post:
      summary: Deactivate an account
      responses:
        200:
          content:
            application/json:
              schema: AccountSchema
        404: Error
    """
    tenant = tenants.get(vendor, name)
    return dumped(AccountSchema(), credentials.set_account_active(tenant, username, False))

"""The /_emulator control plane: JSON in, JSON out, over the shared tenant service."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema
from sqlalchemy import func, select

from .. import tenants
from ..errors import ScimError, bad_request
from ..extensions import db
from ..models import Tenant
from ..vendors import VENDORS
from .schemas import (
    HealthSchema,
    TenantCreatedSchema,
    TenantListSchema,
    TenantSchema,
    VendorListSchema,
    VendorSchema,
)

bp = Blueprint("control", __name__, url_prefix="/_emulator")
LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
PUBLIC = frozenset({"control.health"})


def admin_allowed(req: Any) -> None:
    """The control plane's rule: the admin token when one is set, otherwise loopback only."""
    token = current_app.config["EMULATOR_ADMIN_TOKEN"]
    if token:
        presented = req.headers.get("Authorization", "")
        if not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            raise ScimError(
                401,
                "the control plane needs Authorization: Bearer $EMULATOR_ADMIN_TOKEN",
                headers={"WWW-Authenticate": 'Bearer realm="emulator"'},
            )
        return
    if req.remote_addr not in LOOPBACK:
        raise ScimError(
            403, "EMULATOR_ADMIN_TOKEN is unset, so the control plane serves loopback clients only"
        )


@bp.before_request
def guard() -> None:
    if request.endpoint not in PUBLIC:
        admin_allowed(request)


def request_object(optional: bool = False) -> dict[str, Any]:
    """The request's body as a JSON object, or a 400 invalidSyntax; an optional body left empty is {}."""
    if optional and not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object", "invalidSyntax")
    return data


def dumped(schema: Schema, data: Any, status: int = 200) -> Response:
    """A JSON response dumped through its documented schema."""
    response = jsonify(schema.dump(data))
    response.status_code = status
    return response


@bp.get("/health")
def health() -> Response:
    """Liveness for compose health checks; needs no auth.
    ---
    get:
      summary: Health
      security: []
      responses:
        200:
          content:
            application/json:
              schema: HealthSchema
    """
    count = db.session.execute(select(func.count()).select_from(Tenant)).scalar_one()
    return dumped(HealthSchema(), {"status": "ok", "tenants": count, "database": db.engine.dialect.name})


@bp.get("/vendors")
def list_vendors() -> Response:
    """The vendor profiles.
    ---
    get:
      summary: List vendor profiles
      responses:
        200:
          content:
            application/json:
              schema: VendorListSchema
    """
    return dumped(VendorListSchema(), {"vendors": [profile.to_json() for profile in VENDORS.values()]})


@bp.get("/vendors/<vendor>")
def show_vendor(vendor: str) -> Response:
    """One vendor profile.
    ---
    get:
      summary: Show a vendor profile
      responses:
        200:
          content:
            application/json:
              schema: VendorSchema
        404: Error
    """
    try:
        profile = tenants.profile_or_error(vendor)
    except ScimError as error:
        raise ScimError(404, error.detail) from None  # a vendor named in the path: missing, not invalid
    return dumped(VendorSchema(), profile.to_json())


@bp.post("/tenants")
def create_tenant() -> Response:
    """Create a tenant and its first credential, shown this once in the vendor's shape.
    ---
    post:
      summary: Create a tenant
      requestBody:
        required: true
        content:
          application/json:
            schema: TenantCreateSchema
      responses:
        201:
          content:
            application/json:
              schema: TenantCreatedSchema
        400: Error
        409: Error
    """
    tenant, shown = tenants.create(request_object())
    body = tenants.describe(tenant, request.url_root)
    body["credentials"] = shown
    return dumped(TenantCreatedSchema(), body, 201)


@bp.get("/tenants")
def list_tenants() -> Response:
    """Every tenant with its URLs, counts and credential states.
    ---
    get:
      summary: List tenants
      responses:
        200:
          content:
            application/json:
              schema: TenantListSchema
    """
    found = [tenants.describe(t, request.url_root) for t in tenants.list_all()]
    return dumped(TenantListSchema(), {"tenants": found})


@bp.get("/tenants/<vendor>/<name>")
def show_tenant(vendor: str, name: str) -> Response:
    """A tenant with its URLs, counts and credential states (never a secret).
    ---
    get:
      summary: Show a tenant
      responses:
        200:
          content:
            application/json:
              schema: TenantSchema
        404: Error
    """
    return dumped(TenantSchema(), tenants.describe(tenants.get(vendor, name), request.url_root))


@bp.delete("/tenants/<vendor>/<name>")
def delete_tenant(vendor: str, name: str) -> Response:
    """Delete a tenant with everything it holds.
    ---
    delete:
      summary: Delete a tenant
      responses:
        204:
          description: deleted
        404: Error
    """
    tenants.delete_tenant(tenants.get(vendor, name))
    return Response(status=204)


@bp.post("/tenants/<vendor>/<name>/reset")
def reset_tenant(vendor: str, name: str) -> Response:
    """Empty users, groups and the journal; keep the tenant and its credentials.
    ---
    post:
      summary: Reset a tenant
      responses:
        200:
          content:
            application/json:
              schema: TenantSchema
        404: Error
    """
    tenant = tenants.get(vendor, name)
    tenants.reset(tenant)
    return dumped(TenantSchema(), tenants.describe(tenant, request.url_root))

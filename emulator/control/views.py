"""The /_emulator control plane: JSON in, JSON out, over the shared tenant service."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import func, select

from .. import tenants
from ..errors import ScimError, bad_request
from ..extensions import db
from ..models import Tenant
from ..vendors import VENDORS
from .schemas import TenantCreateSchema

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


def body_of(schema: Any) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object", "invalidSyntax")
    try:
        return schema.load(data)
    except ValidationError as error:
        raise bad_request(f"invalid request: {error.messages}") from None


@bp.get("/health")
def health() -> Response:
    count = db.session.execute(select(func.count()).select_from(Tenant)).scalar_one()
    return jsonify(status="ok", tenants=count, database=db.engine.dialect.name)


@bp.get("/vendors")
def list_vendors() -> Response:
    return jsonify(vendors=[profile.to_json() for profile in VENDORS.values()])


@bp.get("/vendors/<vendor>")
def show_vendor(vendor: str) -> Response:
    return jsonify(tenants.profile_or_error(vendor).to_json())


@bp.post("/tenants")
def create_tenant() -> tuple[Response, int]:
    data = body_of(TenantCreateSchema())
    tenant, shown = tenants.create(data["vendor"], data["name"], data["options"], data["credentials"])
    body = tenants.describe(tenant, request.url_root)
    body["credentials"] = shown
    return jsonify(body), 201


@bp.get("/tenants")
def list_tenants() -> Response:
    return jsonify(tenants=[tenants.describe(t, request.url_root) for t in tenants.list_all()])


@bp.get("/tenants/<vendor>/<name>")
def show_tenant(vendor: str, name: str) -> Response:
    return jsonify(tenants.describe(tenants.get(vendor, name), request.url_root))


@bp.delete("/tenants/<vendor>/<name>")
def delete_tenant(vendor: str, name: str) -> Response:
    tenants.delete_tenant(tenants.get(vendor, name))
    return Response(status=204)


@bp.post("/tenants/<vendor>/<name>/reset")
def reset_tenant(vendor: str, name: str) -> Response:
    tenant = tenants.get(vendor, name)
    tenants.reset(tenant)
    return jsonify(tenants.describe(tenant, request.url_root))

"""Control-plane routes for seeding tenants with fixtures."""

from __future__ import annotations

from flask import Response, jsonify

from .. import fixtures, tenants
from .credentials import json_object
from .views import bp


@bp.get("/fixtures")
def list_fixtures() -> Response:
    return jsonify(fixtures=fixtures.available())


@bp.post("/tenants/<vendor>/<name>/seed")
def seed_tenant(vendor: str, name: str) -> tuple[Response, int]:
    """``{"fixture": "small-org"}`` or ``{"users": 100000, "groups": 50, "prefix": "user"}``."""
    tenant = tenants.get(vendor, name)
    result = fixtures.seed(tenant, json_object())
    return jsonify(seeded=result, tenant=tenants.describe(tenant, "http://localhost/")), 201

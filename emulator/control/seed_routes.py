"""Control-plane routes for seeding tenants with fixtures."""

from __future__ import annotations

from flask import Response, request

from .. import fixtures, tenants
from .schemas import FixtureListSchema, SeedResultSchema
from .views import bp, dumped, request_object


@bp.get("/fixtures")
def list_fixtures() -> Response:
    """The named fixture sets shipped in fixtures/.
    ---
    get:
      summary: List fixtures
      responses:
        200:
          content:
            application/json:
              schema: FixtureListSchema
    """
    return dumped(FixtureListSchema(), {"fixtures": fixtures.available()})


@bp.post("/tenants/<vendor>/<name>/seed")
def seed_tenant(vendor: str, name: str) -> Response:
    """Load a named fixture or generated users and groups, through the vendor's attribute table.
    ---
    post:
      summary: Seed a tenant
      description: >
        ``{"fixture": "small-org"}`` or ``{"users": 100000, "groups": 50, "prefix": "user"}``.
        Groups are skipped for users-only vendors; all or nothing: a seed that would
        duplicate a user or group inserts none (409).
      requestBody:
        required: true
        content:
          application/json:
            schema: SeedRequestSchema
      responses:
        201:
          content:
            application/json:
              schema: SeedResultSchema
        400: Error
        404: Error
        409: Error
    """
    tenant = tenants.get(vendor, name)
    result = fixtures.seed(tenant, request_object(optional=True))
    return dumped(
        SeedResultSchema(), {"seeded": result, "tenant": tenants.describe(tenant, request.url_root)}, 201
    )

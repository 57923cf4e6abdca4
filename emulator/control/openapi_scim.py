"""``GET /_emulator/openapi-scim.json``: the OpenAPI document of a vendor's SCIM surface."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request
from sqlalchemy import select

from .. import tenants
from ..errors import ScimError, bad_request
from ..extensions import db
from ..models import Tenant
from ..scim import openapi
from .views import bp

PLACEHOLDER_TENANT = "acme"


def tenant_name(vendor: str) -> str:
    """The tenant the document's server points at: ``?tenant=``, else the vendor's first, else acme."""
    given = request.args.get("tenant")
    if given is not None:
        if not tenants.NAME.match(given):
            raise bad_request("tenant must be a tenant name (a DNS label)")
        return given
    first = db.session.execute(
        select(Tenant.name).where(Tenant.vendor == vendor).order_by(Tenant.name).limit(1)
    ).scalar_one_or_none()
    return first or PLACEHOLDER_TENANT


@bp.get("/openapi-scim.json")
def openapi_scim() -> Response:
    """The OpenAPI document of a vendor's SCIM surface, its server a tenant's path alias.
    ---
    get:
      summary: The SCIM surface's OpenAPI document, per vendor
      tags: [openapi]
      parameters:
      - in: query
        name: vendor
        schema: {type: string, default: generic}
        description: the vendor profile (generic, jive, jostle, britive, jellyfish, thrive)
      - in: query
        name: tenant
        schema: {type: string}
        description: the tenant the server URL addresses (default its vendor's first tenant)
      responses:
        200:
          description: an OpenAPI 3.1 document
          content:
            application/json:
              schema:
                type: object
        400: Error
        404: Error
    """
    vendor = request.args.get("vendor") or "generic"
    try:
        profile = tenants.profile_or_error(vendor)
    except ScimError as error:
        raise ScimError(404, error.detail) from None
    alias = f"{request.url_root.rstrip('/')}/t/{vendor}/{tenant_name(vendor)}/scim/v2"
    return jsonify(openapi.build(profile, alias, max_length=current_app.config["EMULATOR_MAX_STRING_LENGTH"]))

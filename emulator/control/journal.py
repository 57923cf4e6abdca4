"""Control-plane routes for a tenant's request journal."""

from __future__ import annotations

from flask import Response, jsonify, request

from .. import journal, tenants
from ..errors import bad_request
from .credentials import json_object
from .views import bp


def limit_arg() -> int | None:
    value = request.args.get("limit")
    if value is None:
        return None
    if not value.isdigit():
        raise bad_request("limit must be a non-negative integer")
    return int(value)


@bp.get("/tenants/<vendor>/<name>/journal")
def read_journal(vendor: str, name: str) -> Response:
    """Entries newest first; filters: method, path (pattern), status (201, 4xx, 400-499), since, limit."""
    tenant = tenants.get(vendor, name)
    found = journal.entries(
        tenant,
        method=request.args.get("method"),
        path=request.args.get("path"),
        status=request.args.get("status"),
        since=request.args.get("since"),
        limit=limit_arg(),
    )
    return jsonify(bound=journal.bound(tenant), entries=[journal.as_json(e) for e in found])


@bp.delete("/tenants/<vendor>/<name>/journal")
def clear_journal(vendor: str, name: str) -> Response:
    journal.clear(tenants.get(vendor, name))
    return Response(status=204)


@bp.post("/tenants/<vendor>/<name>/journal/verify")
def verify_journal(vendor: str, name: str) -> Response:
    """Count requests matching {method, path, body (JSON subset), count}; nearest entries on a mismatch."""
    spec = json_object()
    count = spec.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise bad_request("count must be a non-negative integer")
    return jsonify(journal.verify(tenants.get(vendor, name), spec))

"""Control-plane routes for a tenant's credentials and vendor accounts."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from .. import credentials, tenants
from ..errors import bad_request
from .views import bp


def json_object() -> dict[str, Any]:
    data = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object", "invalidSyntax")
    return data


@bp.get("/tenants/<vendor>/<name>/credentials")
def list_credentials(vendor: str, name: str) -> Response:
    return jsonify(credentials.listing(tenants.get(vendor, name)))


@bp.post("/tenants/<vendor>/<name>/credentials")
def issue_credential(vendor: str, name: str) -> tuple[Response, int]:
    return jsonify(credentials.issue(tenants.get(vendor, name), json_object())), 201


@bp.patch("/tenants/<vendor>/<name>/credentials/<int:credential_id>")
def edit_credential(vendor: str, name: str, credential_id: int) -> Response:
    return jsonify(credentials.edit(tenants.get(vendor, name), credential_id, json_object()))


@bp.post("/tenants/<vendor>/<name>/credentials/<int:credential_id>/revoke")
def revoke_credential(vendor: str, name: str, credential_id: int) -> Response:
    return jsonify(credentials.revoke(tenants.get(vendor, name), credential_id))


@bp.post("/tenants/<vendor>/<name>/credentials/<int:credential_id>/expire")
def expire_credential(vendor: str, name: str, credential_id: int) -> Response:
    return jsonify(credentials.expire(tenants.get(vendor, name), credential_id))


@bp.post("/tenants/<vendor>/<name>/accounts/<username>/activate")
def activate_account(vendor: str, name: str, username: str) -> Response:
    return jsonify(credentials.set_account_active(tenants.get(vendor, name), username, True))


@bp.post("/tenants/<vendor>/<name>/accounts/<username>/deactivate")
def deactivate_account(vendor: str, name: str, username: str) -> Response:
    return jsonify(credentials.set_account_active(tenants.get(vendor, name), username, False))

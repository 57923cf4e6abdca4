"""Fixtures every test area shares: an app on a fresh database, and SCIM clients for tenants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from emulator import create_app

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """An emulator on its own SQLite file, without the shipped tenants."""
    return create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'emulator.db'}", "EMULATOR_TENANTS_DIR": ""}
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class ScimTenant:
    """A tenant as a SCIM client sees it: requests go to its alias URL with its credential."""

    def __init__(self, client: FlaskClient, created: dict[str, Any]) -> None:
        self.client = client
        self.created = created
        self.vendor = created["vendor"]
        self.name = created["name"]
        self.credentials = created["credentials"]
        self.authorization = created["credentials"]["authorization"]
        self.base = f"/t/{self.vendor}/{self.name}/scim/v2"

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": self.authorization, **kwargs.pop("headers", {})}
        if body is not None and "data" not in kwargs:
            kwargs["json"] = body
        return self.client.open(self.base + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, operations: list[dict[str, Any]] | Any, **kwargs: Any) -> TestResponse:
        body = (
            {"schemas": [PATCH_OP], "Operations": operations} if isinstance(operations, list) else operations
        )
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)

    def create_user(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        response = self.post("/Users", {"schemas": [USER], "userName": user_name, **attributes})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def create_group(self, display_name: str, members: list[str] = (), **attributes: Any) -> dict[str, Any]:
        body = {"schemas": [GROUP], "displayName": display_name, **attributes}
        if members:
            body["members"] = [{"value": m} for m in members]
        response = self.post("/Groups", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def make_tenant(client: FlaskClient) -> Callable[..., ScimTenant]:
    """Create tenants through the control plane, as a user would."""

    def make(vendor: str = "generic", name: str = "acme", **body: Any) -> ScimTenant:
        response = client.post("/_emulator/tenants", json={"vendor": vendor, "name": name, **body})
        assert response.status_code == 201, response.get_json()
        return ScimTenant(client, response.get_json())

    return make


@pytest.fixture
def tenant(make_tenant: Callable[..., ScimTenant]) -> ScimTenant:
    """A generic tenant called acme."""
    return make_tenant()


def assert_scim_error(response: TestResponse, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The response is an RFC 7644 error body with this status (and scimType)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body

"""Helpers the vendor tests share: what a client sees of a resource, and the control plane's credentials."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from flask import Flask
from flask.testing import FlaskClient

from emulator.extensions import db
from emulator.models import Credential
from tests.conftest import GROUP, ScimTenant

ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
MALFORMED_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"
OKTA_AGENT = {"User-Agent": "Okta SCIM Client 1.0.0"}
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class Row(NamedTuple):
    """One attribute-table row as a test drives it: sent on POST, then changed by an Entra PATCH."""

    sent: dict[str, Any]  # body fragment of the POST, returned as it is
    op: str  # the Entra PATCH op for this row
    value: Any  # the PATCH value, at path = the row itself
    patched: dict[str, Any]  # what GET returns for the row afterwards


def stored(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource as a client reads it, without the server's id and meta."""
    return {k: v for k, v in resource.items() if k not in ("id", "meta")}


def fetch(tenant: ScimTenant, endpoint: str, scim_id: str) -> dict[str, Any]:
    """GET one resource, expecting 200."""
    response = tenant.get(f"{endpoint}/{scim_id}")
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def assert_group_row_round_trips(tenant: ScimTenant, row: str, case: Row) -> None:
    """A group table row through Entra's POST (ADSCIM schema, empty members) and PATCH, read back by GET."""
    body = {"schemas": [GROUP, ADSCIM_GROUP], "displayName": "Engineers", "members": [], **case.sent}
    created = tenant.post("/Groups", body)
    assert created.status_code == 201, created.get_json()
    group = created.get_json()
    assert stored(group) == {"schemas": [GROUP], "displayName": "Engineers", **case.sent}
    assert fetch(tenant, "/Groups", group["id"]) == group

    response = tenant.patch(f"/Groups/{group['id']}", [{"op": case.op, "path": row, "value": case.value}])
    assert response.status_code == 200, response.get_json()
    after = fetch(tenant, "/Groups", group["id"])
    assert stored(after) == {"schemas": [GROUP], "displayName": "Engineers", **case.patched}


def assert_members_row_round_trips(tenant: ScimTenant, first: str, second: str) -> None:
    """The members row: created with one user, Entra's Add of a second; shown on the group only."""
    ada = tenant.create_user(first)["id"]
    bob = tenant.create_user(second)["id"]
    group = tenant.create_group("Engineers", members=[ada])
    assert stored(group) == {"schemas": [GROUP], "displayName": "Engineers", "members": [{"value": ada}]}

    response = tenant.patch(
        f"/Groups/{group['id']}", [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": bob}]}]
    )
    assert response.status_code == 200, response.get_json()
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": ada}, {"value": bob}]
    # groups is not a row of the user table: membership shows on the group only
    assert "groups" not in fetch(tenant, "/Users", ada)


def listed(tenant: ScimTenant, query: str, **kwargs: Any) -> dict[str, Any]:
    """GET a list (``query`` starts with the endpoint), expecting 200 and a ListResponse."""
    response = tenant.get(query, **kwargs)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["schemas"] == [LIST_RESPONSE]
    return body


def entra_test_connection(tenant: ScimTenant) -> None:
    """Entra's Test Connection: a random userName is looked up and must answer an empty 200 list."""
    body = listed(tenant, f'/Users?filter=userName eq "{uuid.uuid4()}"')
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def credentials_of(client: FlaskClient, vendor: str, name: str) -> list[dict[str, Any]]:
    """The tenant's credentials as ``GET /_emulator/tenants/<vendor>/<name>/credentials`` lists them."""
    response = client.get(f"/_emulator/tenants/{vendor}/{name}/credentials")
    assert response.status_code == 200, response.get_json()
    found: list[dict[str, Any]] = response.get_json()["credentials"]
    return found


def set_last_used(app: Flask, credential_id: int, moment: datetime) -> None:
    """Pretend the credential was last used at ``moment`` (naive UTC), as if time had passed."""
    with app.app_context():
        credential = db.session.get(Credential, credential_id)
        assert credential is not None
        credential.last_used_at = moment
        db.session.commit()


def parse_stamp(value: str) -> datetime:
    """A control-plane time stamp (``2026-01-31T12:00:00Z``) as naive UTC."""
    return datetime.fromisoformat(value.removesuffix("Z"))

"""Per-vendor tests, and what they share: seed table rows as values, Entra and Okta bodies (CLIENTS.md).

A seed attribute table row (``name.givenName``, ``emails[type eq "work"].value``,
``urn:...:alternateEmail1Label``) is also the path Entra sends in PATCH, so ``put_row`` and
``read_row`` write and read a value at a row in a request body or a returned resource.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.test import TestResponse

from tests.conftest import ENTERPRISE, USER, ScimTenant

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MALFORMED_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"  # older Entra bodies
ROW = re.compile(r'^(?P<attr>[\w$]+)(?:\[type eq "(?P<type>[^"]+)"\])?(?:\.(?P<sub>[\w$]+))?$')


@dataclass(frozen=True)
class Row:
    """One seed table row with the values a round trip sends: POST, PUT, then PATCH (as Entra sends it)."""

    path: str
    created: Any
    replaced: Any
    patched: Any  # the value Entra sends in PATCH (booleans as "True"/"False" strings)
    expected_patched: Any = None  # what the server stores for ``patched``; None: the same

    @property
    def after_patch(self) -> Any:
        return self.patched if self.expected_patched is None else self.expected_patched

    def __str__(self) -> str:
        return self.path


def split_row(path: str) -> tuple[str | None, str, str | None, str | None]:
    """(extension URN or None, attribute, type filter, sub-attribute) of a table row."""
    urn = None
    if path.startswith("urn:"):
        urn, _, path = path.rpartition(":")
    match = ROW.match(path)
    assert match is not None, path
    return urn, match["attr"], match["type"], match["sub"]


def put_row(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``body`` with ``value`` written at the table row ``path``."""
    urn, attr, kind, sub = split_row(path)
    container = body.setdefault(urn, {}) if urn else body
    if kind is not None:
        items = [i for i in container.get(attr, []) if i.get("type") != kind]
        container[attr] = [*items, {"type": kind, sub or "value": value}]
    elif sub is not None:
        container.setdefault(attr, {})[sub] = value
    else:
        container[attr] = value
    return body


def read_row(resource: dict[str, Any], path: str) -> Any:
    """The value at the table row ``path`` of a returned resource, or None."""
    urn, attr, kind, sub = split_row(path)
    container = resource.get(urn, {}) if urn else resource
    value = container.get(attr)
    if kind is not None:
        found = [i for i in value or [] if i.get("type") == kind]
        assert len(found) <= 1, value
        return found[0].get(sub or "value") if found else None
    if sub is not None:
        return (value or {}).get(sub)
    return value


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def with_auth(tenant: ScimTenant, authorization: str) -> ScimTenant:
    """The same tenant seen through another credential."""
    other = ScimTenant(tenant.client, tenant.created)
    other.authorization = authorization
    return other


def listed(response: TestResponse) -> list[dict[str, Any]]:
    """The Resources of a 200 ListResponse."""
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["schemas"] == [LIST_RESPONSE]
    return list(body["Resources"])


def find_user(tenant: ScimTenant, user_name: str, **params: Any) -> list[dict[str, Any]]:
    query = {"filter": f'userName eq "{user_name}"', **params}
    return listed(tenant.get("/Users", query_string=query))


# -- Microsoft Entra ID (CLIENTS.md) ------------------------------------------------------------


def entra_test_connection(tenant: ScimTenant) -> None:
    """Test Connection: a filter on a random GUID answers 200 with an empty list."""
    response = tenant.get("/Users", query_string={"filter": f'userName eq "{uuid.uuid4()}"'})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def entra_user(user_name: str, given: str = "Ada", family: str = "Lovelace") -> dict[str, Any]:
    """The body Entra POSTs: core + enterprise (and an old malformed URN), nulls, roles: [], externalId."""
    return {
        "schemas": [USER, ENTERPRISE, MALFORMED_ENTERPRISE],
        "externalId": str(uuid.uuid4()),
        "userName": user_name,
        "active": True,
        "displayName": f"{given} {family}",
        "title": "Engineer",
        "preferredLanguage": None,
        "nickName": None,
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "meta": {"resourceType": "User"},
        "roles": [],
        ENTERPRISE: {"department": "Analytics", "employeeNumber": "42", "manager": None},
    }


def entra_patch(*operations: tuple[str, str, Any]) -> list[dict[str, Any]]:
    """PATCH operations in Entra's default dialect: ops capitalised, as given."""
    return [{"op": op, "path": path, "value": value} for op, path, value in operations]


def assert_row_round_trips(tenant: ScimTenant, row: Row, body: Callable[[str, Any], dict[str, Any]]) -> None:
    """A table row through POST, PUT and Entra's PATCH: each answer and the GET after it hold the row's value.

    ``body(path, value)`` is the vendor's smallest valid user with ``value`` at the row.
    """
    created = tenant.post("/Users", body(row.path, row.created))
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert read_row(user, row.path) == row.created
    assert read_row(tenant.get(f"/Users/{user['id']}").get_json(), row.path) == row.created

    replaced = tenant.put(f"/Users/{user['id']}", body(row.path, row.replaced))
    assert replaced.status_code == 200, replaced.get_json()
    assert read_row(replaced.get_json(), row.path) == row.replaced
    assert read_row(tenant.get(f"/Users/{user['id']}").get_json(), row.path) == row.replaced

    patched = tenant.patch(f"/Users/{user['id']}", entra_patch(("Replace", row.path, row.patched)))
    assert patched.status_code == 200, patched.get_json()
    assert read_row(patched.get_json(), row.path) == row.after_patch
    assert read_row(tenant.get(f"/Users/{user['id']}").get_json(), row.path) == row.after_patch


# -- Okta (CLIENTS.md) ----------------------------------------------------------------------------


OKTA_HEADERS = {"User-Agent": "Okta SCIM Client 1.0.0"}


def okta_user(user_name: str) -> dict[str, Any]:
    """The body Okta POSTs: with a password, locale, externalId and groups: []."""
    return {
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Grace Hopper",
        "locale": "en-US",
        "externalId": "00u1abcd",
        "groups": [],
        "password": "Sup3r-secret!",
        "active": True,
    }


def okta_import_page(tenant: ScimTenant) -> dict[str, Any]:
    """Okta's test connection: the first two users, with integer paging fields."""
    response = tenant.get("/Users", query_string={"startIndex": 1, "count": 2}, headers=OKTA_HEADERS)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    for name in ("totalResults", "startIndex", "itemsPerPage"):
        assert type(body[name]) is int, (name, body[name])
    assert body["startIndex"] == 1
    assert len(body["Resources"]) <= 2
    return body

"""/ServiceProviderConfig, /ResourceTypes and /Schemas as a SCIM client probes them (RFC 7643 §5-7)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from emulator.vendors import VENDORS
from tests.conftest import ENTERPRISE, GROUP, USER, ScimTenant, assert_scim_error

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
ATTRIBUTE_KEYS = {
    "name",
    "type",
    "multiValued",
    "description",
    "required",
    "caseExact",
    "mutability",
    "returned",
    "uniqueness",
}


def get(tenant: ScimTenant, path: str) -> dict[str, Any]:
    response = tenant.get(path)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/scim+json"
    body: dict[str, Any] = response.get_json()
    return body


def attribute(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in schema["attributes"] if a["name"] == name)
    return found


# -- ServiceProviderConfig -----------------------------------------------------------------------


def test_service_provider_config(tenant: ScimTenant) -> None:
    body = get(tenant, "/ServiceProviderConfig")
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is False
    assert body["filter"]["supported"] is True
    assert isinstance(body["filter"]["maxResults"], int) and body["filter"]["maxResults"] > 0
    assert body["changePassword"] == {"supported": False}
    assert body["sort"] == {"supported": True}
    assert body["etag"] == {"supported": True}
    schemes = body["authenticationSchemes"]
    assert [s["type"] for s in schemes] == ["oauthbearertoken"]
    assert all(s["name"] and s["description"] for s in schemes)
    assert body["meta"]["resourceType"] == "ServiceProviderConfig"
    assert body["meta"]["location"] == f"http://localhost{tenant.base}/ServiceProviderConfig"


def test_discovery_is_served_without_credentials(tenant: ScimTenant, client: FlaskClient) -> None:
    for path in (
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/Schemas",
        "/ResourceTypes/User",
        f"/Schemas/{USER}",
    ):
        response = client.get(tenant.base + path)
        assert response.status_code == 200, path


def test_discovery_of_an_unknown_tenant_is_404(client: FlaskClient) -> None:
    assert_scim_error(client.get("/t/generic/nobody/scim/v2/ServiceProviderConfig"), 404)
    assert_scim_error(client.get("/scim/v2/Schemas", headers={"Host": "nobody.generic.localhost"}), 404)


# -- ResourceTypes -------------------------------------------------------------------------------


def test_resource_types(tenant: ScimTenant) -> None:
    body = get(tenant, "/ResourceTypes")
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == len(body["Resources"]) == 2
    by_name = {r["name"]: r for r in body["Resources"]}
    user, group = by_name["User"], by_name["Group"]
    assert user["schemas"] == [RESOURCE_TYPE]
    assert user["id"] == "User"
    assert user["endpoint"] == "/Users"
    assert user["schema"] == USER
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert user["meta"] == {
        "resourceType": "ResourceType",
        "location": f"http://localhost{tenant.base}/ResourceTypes/User",
    }
    assert group["endpoint"] == "/Groups"
    assert group["schema"] == GROUP
    assert group["schemaExtensions"] == []


def test_one_resource_type(tenant: ScimTenant) -> None:
    listed = {r["name"]: r for r in get(tenant, "/ResourceTypes")["Resources"]}
    assert get(tenant, "/ResourceTypes/User") == listed["User"]
    assert get(tenant, "/ResourceTypes/Group") == listed["Group"]
    assert_scim_error(tenant.get("/ResourceTypes/Widget"), 404)


# -- Schemas -------------------------------------------------------------------------------------


def test_schemas_list_core_and_enterprise(tenant: ScimTenant) -> None:
    body = get(tenant, "/Schemas")
    assert body["schemas"] == [LIST]
    ids = [s["id"] for s in body["Resources"]]
    assert sorted(ids) == sorted([USER, ENTERPRISE, GROUP])
    assert body["totalResults"] == 3
    for schema in body["Resources"]:
        assert schema["schemas"] == [SCHEMA]
        assert schema["meta"] == {
            "resourceType": "Schema",
            "location": f"http://localhost{tenant.base}/Schemas/{schema['id']}",
        }
        assert schema["attributes"]
        for definition in schema["attributes"]:
            assert ATTRIBUTE_KEYS <= set(definition), definition
            for sub in definition.get("subAttributes", []):
                assert ATTRIBUTE_KEYS <= set(sub), sub


@pytest.mark.parametrize("urn", [USER, GROUP, ENTERPRISE])
def test_one_schema_matches_the_list(tenant: ScimTenant, urn: str) -> None:
    listed = {s["id"]: s for s in get(tenant, "/Schemas")["Resources"]}
    assert get(tenant, f"/Schemas/{urn}") == listed[urn]


def test_schema_ids_are_matched_case_insensitively(tenant: ScimTenant) -> None:
    assert get(tenant, f"/Schemas/{ENTERPRISE.lower()}")["id"] == ENTERPRISE


def test_unknown_schema_is_404(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.get("/Schemas/urn:example:nothing"), 404)


def test_user_schema_describes_the_rules_clients_rely_on(tenant: ScimTenant) -> None:
    user = get(tenant, f"/Schemas/{USER}")
    user_name = attribute(user, "userName")
    assert user_name["required"] is True
    assert user_name["caseExact"] is False
    assert user_name["uniqueness"] == "server"
    password = attribute(user, "password")
    assert password["mutability"] == "writeOnly"
    assert password["returned"] == "never"
    groups = attribute(user, "groups")
    assert groups["mutability"] == "readOnly"
    emails = attribute(user, "emails")
    assert emails["multiValued"] is True
    assert emails["type"] == "complex"
    assert {s["name"] for s in emails["subAttributes"]} >= {"value", "type", "primary", "display"}
    active = attribute(user, "active")
    assert active["type"] == "boolean"


def test_group_schema(tenant: ScimTenant) -> None:
    group = get(tenant, f"/Schemas/{GROUP}")
    assert attribute(group, "displayName")["required"] is True
    members = attribute(group, "members")
    assert members["multiValued"] is True
    assert {s["name"] for s in members["subAttributes"]} >= {"value", "$ref", "type"}


def test_enterprise_extension_schema(tenant: ScimTenant) -> None:
    enterprise = get(tenant, f"/Schemas/{ENTERPRISE}")
    assert enterprise["name"] == "EnterpriseUser"
    names = {a["name"] for a in enterprise["attributes"]}
    assert names >= {"employeeNumber", "costCenter", "organization", "division", "department", "manager"}
    manager = attribute(enterprise, "manager")
    assert manager["type"] == "complex"
    subs = {s["name"]: s for s in manager["subAttributes"]}
    assert set(subs) >= {"value", "$ref", "displayName"}
    assert subs["displayName"]["mutability"] == "readOnly"


# -- methods -------------------------------------------------------------------------------------

DISCOVERY = [
    "/ServiceProviderConfig",
    "/ResourceTypes",
    "/ResourceTypes/User",
    "/Schemas",
    f"/Schemas/{ENTERPRISE}",
]


@pytest.mark.parametrize("path", DISCOVERY)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_discovery_refuses_other_methods_with_405(tenant: ScimTenant, path: str, method: str) -> None:
    response = tenant.request(method, path, {"schemas": [USER]})
    body = assert_scim_error(response, 405)
    assert body["detail"]
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed
    assert method not in allowed


@pytest.mark.parametrize("path", DISCOVERY)
def test_discovery_refuses_other_methods_without_credentials_too(
    client: FlaskClient, tenant: ScimTenant, path: str
) -> None:
    assert_scim_error(client.post(tenant.base + path, json={}), 405)


# -- addressing ----------------------------------------------------------------------------------


def test_discovery_by_host_uses_the_host_in_locations(tenant: ScimTenant, client: FlaskClient) -> None:
    response = client.get("/scim/v2/ServiceProviderConfig", headers={"Host": "acme.generic.localhost:8000"})
    assert response.status_code == 200
    assert (
        response.get_json()["meta"]["location"]
        == "http://acme.generic.localhost:8000/scim/v2/ServiceProviderConfig"
    )
    schemas = client.get("/scim/v2/Schemas", headers={"Host": "acme.generic.localhost:8000"}).get_json()
    assert {s["id"] for s in schemas["Resources"]} == {USER, GROUP, ENTERPRISE}


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_every_vendor_advertises_the_scheme_its_credentials_use(client: FlaskClient, vendor: str) -> None:
    created = client.post("/_emulator/tenants", json={"vendor": vendor, "name": "probe"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    base = urlsplit(body["alias_url"]).path
    response = client.get(
        f"{base}/ServiceProviderConfig", headers={"Authorization": body["credentials"]["authorization"]}
    )
    assert response.status_code == 200, response.get_json()
    types = [s["type"] for s in response.get_json()["authenticationSchemes"]]
    scheme = body["credentials"]["authorization"].split(" ", 1)[0].lower()
    assert {"bearer": "oauthbearertoken", "basic": "httpbasic"}[scheme] in types
    assert len(types) == len(set(types))

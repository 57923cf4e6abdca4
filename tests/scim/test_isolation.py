"""Tenants are isolated: credentials, ids and names of one never reach another; both addressing forms agree."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import GROUP, USER, ScimTenant, assert_scim_error

ACME_HOST = "acme.generic.localhost:8000"
GLOBEX_HOST = "globex.generic.localhost:8000"


def by_host(
    client: FlaskClient, host: str, authorization: str, method: str, path: str, body: Any = None
) -> Any:
    """A request to /scim/v2<path> on a tenant's own host."""
    headers = {"Host": host, "Authorization": authorization}
    return client.open(f"/scim/v2{path}", method=method, headers=headers, json=body)


# -- credentials ------------------------------------------------------------------------------


def test_credentials_of_one_tenant_are_refused_by_another(
    tenant: ScimTenant, other: ScimTenant, client: FlaskClient
) -> None:
    response = client.get(f"{other.base}/Users", headers={"Authorization": tenant.authorization})
    assert_scim_error(response, 401)
    response = client.post(
        f"{other.base}/Users",
        json={"schemas": [USER], "userName": "x"},
        headers={"Authorization": tenant.authorization},
    )
    assert_scim_error(response, 401)
    assert other.get("/Users").get_json()["totalResults"] == 0
    response = by_host(client, GLOBEX_HOST, tenant.authorization, "GET", "/Users")
    assert_scim_error(response, 401)


def test_credentials_are_tenant_bound_even_with_the_same_fixed_token(
    make_tenant: Any, client: FlaskClient
) -> None:
    first = make_tenant("generic", "one", credentials={"token": "same-token"})
    second = make_tenant("generic", "two", credentials={"token": "same-token"})
    alice = first.create_user("alice")
    assert_scim_error(second.get(f"/Users/{alice['id']}"), 404)
    assert second.get("/Users").get_json()["totalResults"] == 0


# -- ids -----------------------------------------------------------------------------------


@pytest.fixture
def acme_data(tenant: ScimTenant) -> dict[str, Any]:
    alice = tenant.create_user("alice", externalId="ext-alice")
    group = tenant.create_group("Team", [alice["id"]])
    return {"user": alice, "group": group}


def test_ids_of_one_tenant_are_invisible_to_another(acme_data: dict[str, Any], other: ScimTenant) -> None:
    user, group = acme_data["user"], acme_data["group"]
    assert_scim_error(other.get(f"/Users/{user['id']}"), 404)
    assert_scim_error(other.get(f"/Groups/{group['id']}"), 404)
    assert other.get("/Users").get_json()["totalResults"] == 0
    assert other.get("/Groups").get_json()["totalResults"] == 0
    for expression in (f'id eq "{user["id"]}"', 'userName eq "alice"', 'externalId eq "ext-alice"'):
        assert other.get(f"/Users?filter={expression}").get_json()["totalResults"] == 0
    assert other.get(f'/Groups?filter=members[value eq "{user["id"]}"]').get_json()["totalResults"] == 0
    found = other.post(
        "/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    ).get_json()
    assert found["totalResults"] == 0


def test_ids_of_one_tenant_are_unwritable_from_another(
    acme_data: dict[str, Any], tenant: ScimTenant, other: ScimTenant
) -> None:
    user, group = acme_data["user"], acme_data["group"]
    before = tenant.get(f"/Users/{user['id']}").get_json()
    assert_scim_error(other.put(f"/Users/{user['id']}", {"schemas": [USER], "userName": "hijacked"}), 404)
    assert_scim_error(
        other.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}]), 404
    )
    assert_scim_error(
        other.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "hijacked"}), 404
    )
    assert_scim_error(
        other.patch(f"/Groups/{group['id']}", [{"op": "remove", "path": "members"}]),
        404,
    )
    assert tenant.get(f"/Users/{user['id']}").get_json() == before
    assert tenant.get(f"/Groups/{group['id']}").get_json() == group


def test_ids_of_one_tenant_are_undeletable_from_another(
    acme_data: dict[str, Any], tenant: ScimTenant, other: ScimTenant
) -> None:
    user, group = acme_data["user"], acme_data["group"]
    assert_scim_error(other.delete(f"/Users/{user['id']}"), 404)
    assert_scim_error(other.delete(f"/Groups/{group['id']}"), 404)
    assert tenant.get(f"/Users/{user['id']}").status_code == 200
    assert tenant.get(f"/Groups/{group['id']}").get_json()["members"] == group["members"]


def test_another_tenants_user_cannot_join_or_leave_my_groups(
    acme_data: dict[str, Any], tenant: ScimTenant, other: ScimTenant
) -> None:
    stranger = other.create_user("stranger")
    theirs = other.create_group("Theirs", [stranger["id"]])
    mine = acme_data["group"]
    tenant.patch(
        f"/Groups/{mine['id']}", [{"op": "add", "path": "members", "value": [{"value": stranger["id"]}]}]
    )
    assert [m["value"] for m in tenant.get(f"/Groups/{mine['id']}").get_json()["members"]] == [
        acme_data["user"]["id"]
    ]
    other.patch(
        f"/Groups/{theirs['id']}",
        [{"op": "add", "path": "members", "value": [{"value": acme_data["user"]["id"]}]}],
    )
    other.patch(
        f"/Groups/{theirs['id']}",
        [{"op": "remove", "path": "members", "value": [{"value": acme_data["user"]["id"]}]}],
    )
    assert [m["value"] for m in other.get(f"/Groups/{theirs['id']}").get_json()["members"]] == [
        stranger["id"]
    ]
    assert [g["value"] for g in other.get(f"/Users/{stranger['id']}").get_json()["groups"]] == [theirs["id"]]
    assert [g["value"] for g in tenant.get(f"/Users/{acme_data['user']['id']}").get_json()["groups"]] == [
        mine["id"]
    ]


def test_unique_names_are_per_tenant(tenant: ScimTenant, other: ScimTenant) -> None:
    tenant.create_user("alice")
    tenant.create_group("Team")
    other.create_user("ALICE")
    other.create_group("Team")
    assert other.get('/Users?filter=userName eq "alice"').get_json()["totalResults"] == 1


def test_deleting_one_tenants_user_leaves_the_others(tenant: ScimTenant, other: ScimTenant) -> None:
    mine = tenant.create_user("alice")
    theirs = other.create_user("alice")
    tenant.delete(f"/Users/{mine['id']}")
    assert other.get(f"/Users/{theirs['id']}").status_code == 200


# -- addressing -------------------------------------------------------------------------------


def test_host_and_alias_address_the_same_tenant(tenant: ScimTenant, client: FlaskClient) -> None:
    via_alias = tenant.create_user("alice")
    response = by_host(client, ACME_HOST, tenant.authorization, "GET", f"/Users/{via_alias['id']}")
    assert response.status_code == 200
    via_host = response.get_json()
    assert via_host["meta"]["location"] == f"http://{ACME_HOST}/scim/v2/Users/{via_alias['id']}"
    assert response.headers["Location"] == via_host["meta"]["location"]
    assert {k: v for k, v in via_host.items() if k != "meta"} == {
        k: v for k, v in via_alias.items() if k != "meta"
    }
    created = by_host(
        client, ACME_HOST, tenant.authorization, "POST", "/Users", {"schemas": [USER], "userName": "bob"}
    )
    assert created.status_code == 201
    assert created.headers["Location"].startswith(f"http://{ACME_HOST}/scim/v2/Users/")
    listed = tenant.get("/Users").get_json()
    assert [u["userName"] for u in listed["Resources"]] == ["alice", "bob"]


def test_alias_works_on_any_host(tenant: ScimTenant, client: FlaskClient) -> None:
    for host in ("example.com", "globex.generic.localhost:8000", "10.1.2.3:8000"):
        response = client.get(
            f"{tenant.base}/Users", headers={"Host": host, "Authorization": tenant.authorization}
        )
        assert response.status_code == 200, host
        created = tenant.post("/Users", {"schemas": [USER], "userName": f"u-{host}"}, headers={"Host": host})
        assert created.headers["Location"].startswith(f"http://{host}{tenant.base}/Users/")


def test_host_is_case_insensitive_and_port_independent(tenant: ScimTenant, client: FlaskClient) -> None:
    for host in ("ACME.Generic.LOCALHOST:8000", "acme.generic.localhost", "acme.generic.localhost:5000"):
        response = by_host(client, host, tenant.authorization, "GET", "/Users")
        assert response.status_code == 200, host


def test_host_addressing_keeps_tenants_apart(
    tenant: ScimTenant, other: ScimTenant, client: FlaskClient
) -> None:
    tenant.create_user("alice")
    response = by_host(client, GLOBEX_HOST, other.authorization, "GET", "/Users")
    assert response.get_json()["totalResults"] == 0
    response = by_host(client, ACME_HOST, tenant.authorization, "GET", "/Users")
    assert response.get_json()["totalResults"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/t/generic/nobody/scim/v2/Users",
        "/t/nosuchvendor/acme/scim/v2/Users",
        "/t/generic/nobody/scim/v2/Schemas",
    ],
)
def test_unknown_tenant_by_alias_is_a_scim_404(tenant: ScimTenant, client: FlaskClient, path: str) -> None:
    assert_scim_error(client.get(path, headers={"Authorization": tenant.authorization}), 404)


@pytest.mark.parametrize(
    "host", ["nobody.generic.localhost:8000", "acme.nosuchvendor.localhost", "acme.generic.example.com"]
)
def test_unknown_tenant_by_host_is_a_scim_404(tenant: ScimTenant, client: FlaskClient, host: str) -> None:
    assert_scim_error(by_host(client, host, tenant.authorization, "GET", "/Users"), 404)


def test_no_tenant_addressed_is_a_scim_404(tenant: ScimTenant, client: FlaskClient) -> None:
    for host in ("localhost", "localhost:8000", "generic.localhost", "x.acme.generic.localhost"):
        body = assert_scim_error(by_host(client, host, tenant.authorization, "GET", "/Users"), 404)
        assert body["detail"]


def test_a_deleted_tenant_is_gone_from_both_addresses(tenant: ScimTenant, client: FlaskClient) -> None:
    client.delete("/_emulator/tenants/generic/acme")
    assert_scim_error(tenant.get("/Users"), 404)
    assert_scim_error(by_host(client, ACME_HOST, tenant.authorization, "GET", "/Users"), 404)

"""Seeding tenants with fixtures and generated data, and resetting them, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator import fixtures
from tests.conftest import ENTERPRISE, USER, ScimTenant, assert_scim_error

CONTROL = "/_emulator/tenants"


def seed(client: FlaskClient, tenant: ScimTenant, body: Any) -> dict[str, Any]:
    response = client.post(f"{CONTROL}/{tenant.vendor}/{tenant.name}/seed", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def user_named(tenant: ScimTenant, user_name: str) -> dict[str, Any]:
    found = tenant.get("/Users", query_string={"filter": f'userName eq "{user_name}"'}).get_json()
    assert found["totalResults"] == 1, found
    return found["Resources"][0]


def group_named(tenant: ScimTenant, display_name: str) -> dict[str, Any]:
    found = tenant.get("/Groups", query_string={"filter": f'displayName eq "{display_name}"'}).get_json()
    assert found["totalResults"] == 1, found
    return tenant.get(f"/Groups/{found['Resources'][0]['id']}").get_json()


def total(tenant: ScimTenant, endpoint: str) -> int:
    return tenant.get(endpoint, query_string={"count": 0}).get_json()["totalResults"]


def test_fixtures_are_listed(client: FlaskClient) -> None:
    response = client.get("/_emulator/fixtures")
    assert response.status_code == 200
    assert {"name": "small-org", "version": 1, "users": 12, "groups": 4} in response.get_json()["fixtures"]


# -- named fixtures ---------------------------------------------------------------------------------


def test_small_org_into_a_generic_tenant(client: FlaskClient, tenant: ScimTenant) -> None:
    body = seed(client, tenant, {"fixture": "small-org"})
    assert body["seeded"] == {"users": 12, "groups": 4, "skipped_groups": 0}
    assert body["tenant"]["counts"] == {"users": 12, "groups": 4}
    assert body["tenant"]["alias_url"] == "http://localhost/t/generic/acme/scim/v2"
    assert total(tenant, "/Users") == 12
    ada = user_named(tenant, "ada.lovelace@example.com")
    grace = user_named(tenant, "grace.hopper@example.com")
    assert grace["name"] == {"givenName": "Grace", "familyName": "Hopper"}
    assert grace["emails"] == [{"type": "work", "value": "grace.hopper@example.com", "primary": True}]
    assert grace[ENTERPRISE]["department"] == "Engineering"
    assert grace[ENTERPRISE]["manager"]["value"] == ada["id"]
    assert user_named(tenant, "radia.perlman@example.com")["active"] is False
    engineering = group_named(tenant, "Engineering")
    assert len(engineering["members"]) == 6
    assert grace["id"] in {m["value"] for m in engineering["members"]}


def test_seeded_users_are_found_by_the_indexed_filters(client: FlaskClient, tenant: ScimTenant) -> None:
    seed(client, tenant, {"fixture": "small-org"})
    by_email = tenant.get("/Users", query_string={"filter": 'emails.value eq "alan.turing@example.com"'})
    assert [u["userName"] for u in by_email.get_json()["Resources"]] == ["alan.turing@example.com"]
    by_external_id = tenant.get("/Users", query_string={"filter": 'externalId eq "ken.thompson"'})
    assert by_external_id.get_json()["totalResults"] == 1


def test_seeded_data_behaves_like_posted_data(client: FlaskClient, tenant: ScimTenant) -> None:
    seed(client, tenant, {"fixture": "small-org"})
    duplicate = tenant.post("/Users", {"schemas": [USER], "userName": "ADA.lovelace@example.com"})
    assert_scim_error(duplicate, 409, "uniqueness")
    ken = user_named(tenant, "ken.thompson@example.com")
    response = tenant.patch(f"/Users/{ken['id']}", [{"op": "replace", "path": "title", "value": "Fellow"}])
    assert response.status_code == 200
    assert tenant.delete(f"/Users/{ken['id']}").status_code == 204
    assert len(group_named(tenant, "Engineering")["members"]) == 5


def test_small_org_into_a_users_only_vendor_skips_groups(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    jive = make_tenant("jive", "acme")
    body = seed(client, jive, {"fixture": "small-org"})
    assert body["seeded"] == {"users": 12, "groups": 0, "skipped_groups": 4}
    assert body["tenant"]["counts"] == {"users": 12, "groups": 0}
    assert total(jive, "/Users") == 12


def test_a_vendor_keeps_only_its_attribute_table(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    jellyfish = make_tenant("jellyfish", "acme")
    body = seed(client, jellyfish, {"fixture": "small-org"})
    assert body["seeded"] == {"users": 12, "groups": 0, "skipped_groups": 4}
    grace = user_named(jellyfish, "grace.hopper@example.com")
    kept = {k for k in grace if k not in ("schemas", "id", "meta")}
    assert kept == {"userName", "active", "title", "emails", "name"}, json.dumps(grace)
    assert grace["name"] == {"givenName": "Grace", "familyName": "Hopper"}
    assert grace["emails"] == [{"type": "work", "value": "grace.hopper@example.com", "primary": True}]
    assert ENTERPRISE not in grace["schemas"]
    assert grace["title"] == "VP Engineering"


def test_small_org_into_another_vendor_with_groups(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    britive = make_tenant("britive", "acme")
    body = seed(client, britive, {"fixture": "small-org"})
    assert body["seeded"]["groups"] == 4
    grace = user_named(britive, "grace.hopper@example.com")
    ada = user_named(britive, "ada.lovelace@example.com")
    assert grace[ENTERPRISE] == {
        "employeeNumber": "1002",
        "department": "Engineering",
        "manager": {"value": ada["id"]},
    }
    assert len(group_named(britive, "Leadership")["members"]) == 4


# -- generated data ---------------------------------------------------------------------------------


def test_generated_users_and_groups_with_memberships(client: FlaskClient, tenant: ScimTenant) -> None:
    body = seed(client, tenant, {"users": 30, "groups": 3, "prefix": "gen"})
    assert body["seeded"] == {"users": 30, "groups": 3, "skipped_groups": 0}
    assert total(tenant, "/Users") == 30
    assert total(tenant, "/Groups") == 3
    first = user_named(tenant, "gen000001@example.com")
    assert first["name"]["givenName"] and first["emails"][0]["value"] == "gen000001@example.com"
    assert first[ENTERPRISE]["employeeNumber"] == "100001"
    group = group_named(tenant, "gen-group-0001")
    assert len(group["members"]) == 10
    assert first["id"] in {m["value"] for m in group["members"]}
    listed = tenant.get("/Groups", query_string={"filter": f'members.value eq "{first["id"]}"'}).get_json()
    assert [g["displayName"] for g in listed["Resources"]] == ["gen-group-0001"]


def test_generated_users_without_groups_default_prefix(client: FlaskClient, tenant: ScimTenant) -> None:
    assert seed(client, tenant, {"users": 5})["seeded"] == {"users": 5, "groups": 0, "skipped_groups": 0}
    user_named(tenant, "user000005@example.com")


def test_generated_groups_into_a_users_only_vendor(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    jostle = make_tenant("jostle", "acme")
    assert seed(client, jostle, {"users": 4, "groups": 2})["seeded"] == {
        "users": 4,
        "groups": 0,
        "skipped_groups": 2,
    }


def test_seeding_twice_with_the_same_prefix_is_409(client: FlaskClient, tenant: ScimTenant) -> None:
    seed(client, tenant, {"users": 10, "groups": 2, "prefix": "p"})
    response = client.post(f"{CONTROL}/generic/acme/seed", json={"users": 20, "groups": 2, "prefix": "p"})
    assert_scim_error(response, 409, "uniqueness")
    assert total(tenant, "/Users") == 10
    assert total(tenant, "/Groups") == 2
    assert seed(client, tenant, {"users": 10, "groups": 2, "prefix": "q"})["tenant"]["counts"] == {
        "users": 20,
        "groups": 4,
    }


def test_a_conflict_in_a_later_batch_inserts_nothing(
    client: FlaskClient, tenant: ScimTenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fixtures, "BATCH", 10)
    tenant.create_user("p000025@example.com")  # collides in the third batch
    response = client.post(f"{CONTROL}/generic/acme/seed", json={"users": 30, "prefix": "p"})
    assert_scim_error(response, 409)
    assert total(tenant, "/Users") == 1


def test_a_group_conflict_rolls_back_the_users_too(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_group("p-group-0002")
    response = client.post(f"{CONTROL}/generic/acme/seed", json={"users": 6, "groups": 3, "prefix": "p"})
    assert_scim_error(response, 409)
    assert total(tenant, "/Users") == 0
    assert total(tenant, "/Groups") == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"users": -1},
        {"users": "10"},
        {"users": True},
        {"users": 1.5},
        {"users": 2_000_000},
        {"groups": -3},
        {"users": 5, "prefix": 7},
        {"fixture": "small-org", "users": 5},
        {"fixture": "no-such-fixture"},
        {"fixture": 5},
        {"user": 100},
    ],
    ids=json.dumps,
)
def test_bad_seed_requests_are_400(client: FlaskClient, tenant: ScimTenant, body: dict[str, Any]) -> None:
    assert_scim_error(client.post(f"{CONTROL}/generic/acme/seed", json=body), 400)
    assert total(tenant, "/Users") == 0


@pytest.mark.parametrize("data", [b"[]", b"{", b'"small-org"'])
def test_seed_needs_a_json_object(client: FlaskClient, tenant: ScimTenant, data: bytes) -> None:
    response = client.post(
        f"{CONTROL}/generic/acme/seed", data=data, headers={"Content-Type": "application/json"}
    )
    assert_scim_error(response, 400)


def test_seeding_an_unknown_tenant_is_404(client: FlaskClient) -> None:
    assert_scim_error(client.post(f"{CONTROL}/generic/nobody/seed", json={"fixture": "small-org"}), 404)


# -- reset ----------------------------------------------------------------------------------------


def test_reset_empties_users_groups_and_journal_and_keeps_credentials(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    acme = make_tenant("generic", "acme")
    globex = make_tenant("generic", "globex")
    seed(client, acme, {"fixture": "small-org"})
    seed(client, globex, {"users": 3})
    acme.get("/Users")
    globex.get("/Users")
    before = client.get(f"{CONTROL}/generic/acme").get_json()
    response = client.post(f"{CONTROL}/generic/acme/reset")
    assert response.status_code == 200
    after = response.get_json()
    assert after["counts"] == {"users": 0, "groups": 0}
    assert after["credentials"] == before["credentials"]
    journal = client.get(f"{CONTROL}/generic/acme/journal").get_json()
    assert journal == {
        "bound": {"max_entries": 1000, "kept": 0, "dropped": 0, "complete": True},
        "entries": [],
    }
    assert acme.get("/Users").get_json()["totalResults"] == 0  # the credential still works
    assert globex.get("/Users").get_json()["totalResults"] == 3  # other tenants untouched
    assert len(client.get(f"{CONTROL}/generic/globex/journal").get_json()["entries"]) == 2
    body = seed(client, acme, {"fixture": "small-org"})  # the names are free again
    assert body["tenant"]["counts"] == {"users": 12, "groups": 4}

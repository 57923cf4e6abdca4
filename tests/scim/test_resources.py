"""Users and Groups over HTTP: create, get, replace, delete, meta and Location, group membership."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.conftest import ENTERPRISE, GROUP, USER, ScimTenant, assert_scim_error

ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- users: create and read -----------------------------------------------------------------


def test_create_user_returns_201_with_id_meta_location_and_etag(tenant: ScimTenant) -> None:
    response = tenant.post("/Users", {"schemas": [USER], "userName": "alice", "displayName": "Alice"})
    assert response.status_code == 201
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == [USER]
    assert body["userName"] == "alice"
    assert body["displayName"] == "Alice"
    meta = body["meta"]
    assert meta["resourceType"] == "User"
    assert meta["created"] == meta["lastModified"]
    parse_stamp(meta["created"])
    assert meta["location"] == f"http://localhost{tenant.base}/Users/{body['id']}"
    assert response.headers["Location"] == meta["location"]
    assert response.headers["ETag"] == meta["version"]


def test_get_user_returns_what_create_returned(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice", name={"givenName": "Alice", "familyName": "Smith"})
    response = tenant.get(f"/Users/{created['id']}")
    assert response.status_code == 200
    assert response.mimetype == "application/scim+json"
    assert response.get_json() == created
    assert response.headers["Location"] == created["meta"]["location"]


def test_client_supplied_id_and_meta_are_ignored(tenant: ScimTenant) -> None:
    body = {
        "schemas": [USER],
        "id": "my-own-id",
        "userName": "alice",
        "meta": {"resourceType": "User", "created": "2001-01-01T00:00:00Z", "version": 'W/"99"'},
    }
    created = tenant.post("/Users", body).get_json()
    assert created["id"] != "my-own-id"
    assert created["meta"]["created"] != "2001-01-01T00:00:00Z"
    assert created["meta"]["version"] == 'W/"1"'
    assert tenant.get("/Users/my-own-id").status_code == 404


def test_password_is_accepted_but_never_returned(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice", password="S3cret!")
    assert "password" not in created
    assert "password" not in tenant.get(f"/Users/{created['id']}").get_json()
    assert "password" not in tenant.get("/Users?attributes=password").get_json()["Resources"][0]


def test_unknown_user_is_a_scim_404(tenant: ScimTenant) -> None:
    body = assert_scim_error(tenant.get("/Users/does-not-exist"), 404)
    assert "does-not-exist" in body["detail"]


def test_enterprise_extension_round_trips(tenant: ScimTenant) -> None:
    manager = tenant.create_user("boss")
    created = tenant.create_user(
        "alice",
        schemas=[USER, ENTERPRISE],
        **{
            ENTERPRISE: {
                "employeeNumber": "701984",
                "department": "Tour Operations",
                "manager": {"value": manager["id"], "$ref": manager["meta"]["location"]},
            }
        },
    )
    assert created["schemas"] == [USER, ENTERPRISE]
    extension = tenant.get(f"/Users/{created['id']}").get_json()[ENTERPRISE]
    assert extension["employeeNumber"] == "701984"
    assert extension["department"] == "Tour Operations"
    assert extension["manager"]["value"] == manager["id"]


def test_entra_create_body_with_nulls_roles_and_meta(tenant: ScimTenant) -> None:
    body = {
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": True,
        "displayName": None,
        "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        ENTERPRISE: {"department": None, "employeeNumber": "7"},
    }
    response = tenant.post("/Users", body, headers={"Content-Type": "application/scim+json; charset=utf-8"})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert "displayName" not in created
    assert "roles" not in created
    assert created["externalId"] == body["externalId"]
    assert created["active"] is True
    assert created["emails"] == body["emails"]
    assert created[ENTERPRISE] == {"employeeNumber": "7"}


def test_entra_malformed_enterprise_urn_is_ignored(tenant: ScimTenant) -> None:
    bad_urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"
    response = tenant.post(
        "/Users", {"schemas": [USER, bad_urn], "userName": "alice", bad_urn: {"department": "X"}}
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert bad_urn not in created
    assert created["schemas"] == [USER]


def test_okta_create_body(tenant: ScimTenant) -> None:
    body = {
        "schemas": [USER],
        "userName": "isabella@example.com",
        "name": {"givenName": "Isabella", "familyName": "Pope"},
        "emails": [{"primary": True, "value": "isabella@example.com", "type": "work"}],
        "displayName": "Isabella Pope",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    response = tenant.post("/Users", body, headers={"User-Agent": "Okta SCIM Client 1.0.0"})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["locale"] == "en-US"
    assert "groups" not in created
    assert "password" not in created


def test_inactive_user_is_still_returned(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice", active=False)
    fetched = tenant.get(f"/Users/{created['id']}").get_json()
    assert fetched["active"] is False
    assert tenant.get('/Users?filter=userName eq "alice"').get_json()["totalResults"] == 1


def test_list_users_is_a_list_response(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    bob = tenant.create_user("bob")
    response = tenant.get("/Users")
    assert response.status_code == 200
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 2
    assert body["startIndex"] == 1
    assert body["itemsPerPage"] == 2
    assert body["Resources"] == [alice, bob]


def test_empty_list_has_empty_resources(tenant: ScimTenant) -> None:
    body = tenant.get("/Users").get_json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []


def test_search_endpoint_lists_like_get(tenant: ScimTenant) -> None:
    tenant.create_user("alice")
    search = tenant.post(
        "/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    ).get_json()
    assert search == tenant.get("/Users").get_json()


def test_attributes_and_excluded_attributes_on_get(tenant: ScimTenant) -> None:
    created = tenant.create_user(
        "alice", displayName="Alice", title="Dev", name={"givenName": "Alice", "familyName": "Smith"}
    )
    only = tenant.get(f"/Users/{created['id']}?attributes=userName,name.givenName").get_json()
    assert only == {
        "schemas": [USER],
        "id": created["id"],
        "userName": "alice",
        "name": {"givenName": "Alice"},
    }
    without = tenant.get(f"/Users/{created['id']}?excludedAttributes=title,name").get_json()
    assert "title" not in without and "name" not in without
    assert without["displayName"] == "Alice"
    assert without["id"] == created["id"]


def test_attributes_on_list_and_create(tenant: ScimTenant) -> None:
    tenant.create_user("alice", title="Dev")
    listed = tenant.get("/Users?attributes=userName").get_json()["Resources"]
    assert listed == [{"schemas": [USER], "id": listed[0]["id"], "userName": "alice"}]
    created = tenant.post(
        "/Users?excludedAttributes=meta", {"schemas": [USER], "userName": "bob", "title": "Ops"}
    )
    assert created.status_code == 201
    assert "meta" not in created.get_json()
    assert created.get_json()["title"] == "Ops"


# -- users: replace and delete --------------------------------------------------------------


def test_put_replaces_the_whole_resource(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice", title="Dev", nickName="Al", emails=[{"value": "a@x.example"}])
    time.sleep(0.002)
    response = tenant.put(
        f"/Users/{created['id']}", {"schemas": [USER], "userName": "alice", "displayName": "Alice"}
    )
    assert response.status_code == 200
    replaced = response.get_json()
    assert replaced["displayName"] == "Alice"
    for gone in ("title", "nickName", "emails"):
        assert gone not in replaced
    assert replaced["id"] == created["id"]
    assert replaced["meta"]["created"] == created["meta"]["created"]
    assert parse_stamp(replaced["meta"]["lastModified"]) > parse_stamp(created["meta"]["lastModified"])
    assert replaced["meta"]["version"] != created["meta"]["version"]
    assert tenant.get(f"/Users/{created['id']}").get_json() == replaced


def test_put_cannot_change_the_id(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice")
    replaced = tenant.put(
        f"/Users/{created['id']}", {"schemas": [USER], "id": "other", "userName": "alice2"}
    ).get_json()
    assert replaced["id"] == created["id"]
    assert replaced["userName"] == "alice2"


def test_put_to_unknown_user_is_404(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.put("/Users/nope", {"schemas": [USER], "userName": "x"}), 404)


def test_put_without_required_username_is_400(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice")
    assert_scim_error(tenant.put(f"/Users/{created['id']}", {"schemas": [USER]}), 400, "invalidValue")
    assert tenant.get(f"/Users/{created['id']}").get_json() == created


def test_delete_user(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice")
    response = tenant.delete(f"/Users/{created['id']}")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_scim_error(tenant.get(f"/Users/{created['id']}"), 404)
    assert_scim_error(tenant.delete(f"/Users/{created['id']}"), 404)
    assert tenant.get("/Users").get_json()["totalResults"] == 0
    tenant.create_user("alice")  # the userName is free again


# -- uniqueness -------------------------------------------------------------------------------


def test_duplicate_username_is_409_uniqueness(tenant: ScimTenant) -> None:
    tenant.create_user("alice")
    body = assert_scim_error(
        tenant.post("/Users", {"schemas": [USER], "userName": "alice"}), 409, "uniqueness"
    )
    assert "userName" in body["detail"]


def test_username_uniqueness_is_case_insensitive(tenant: ScimTenant) -> None:
    tenant.create_user("Alice@Example.com")
    response = tenant.post("/Users", {"schemas": [USER], "userName": "alice@example.COM"})
    assert_scim_error(response, 409, "uniqueness")
    assert tenant.get("/Users").get_json()["totalResults"] == 1


def test_replace_onto_a_taken_username_is_409_and_changes_nothing(tenant: ScimTenant) -> None:
    tenant.create_user("alice")
    bob = tenant.create_user("bob", title="Ops")
    response = tenant.put(f"/Users/{bob['id']}", {"schemas": [USER], "userName": "ALICE"})
    assert_scim_error(response, 409, "uniqueness")
    response = tenant.patch(f"/Users/{bob['id']}", [{"op": "replace", "path": "userName", "value": "alice"}])
    assert_scim_error(response, 409, "uniqueness")
    assert tenant.get(f"/Users/{bob['id']}").get_json() == bob


def test_renaming_a_user_to_its_own_name_in_other_case_is_allowed(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    response = tenant.patch(
        f"/Users/{alice['id']}", [{"op": "replace", "path": "userName", "value": "ALICE"}]
    )
    assert response.status_code == 200
    assert response.get_json()["userName"] == "ALICE"


def test_duplicate_group_display_name_is_409_uniqueness(tenant: ScimTenant) -> None:
    tenant.create_group("Engineers")
    response = tenant.post("/Groups", {"schemas": [GROUP], "displayName": "Engineers"})
    assert_scim_error(response, 409, "uniqueness")
    other = tenant.create_group("Sales")
    response = tenant.put(f"/Groups/{other['id']}", {"schemas": [GROUP], "displayName": "Engineers"})
    assert_scim_error(response, 409, "uniqueness")
    assert tenant.get(f"/Groups/{other['id']}").get_json()["displayName"] == "Sales"


def test_the_store_survives_a_conflict(tenant: ScimTenant) -> None:
    tenant.create_user("alice")
    assert_scim_error(tenant.post("/Users", {"schemas": [USER], "userName": "alice"}), 409)
    tenant.create_user("bob")
    assert tenant.get("/Users").get_json()["totalResults"] == 2


# -- groups -----------------------------------------------------------------------------------


def test_create_group_with_members(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    bob = tenant.create_user("bob")
    response = tenant.post(
        "/Groups",
        {
            "schemas": [GROUP],
            "displayName": "Engineers",
            "externalId": "eng-1",
            "members": [{"value": alice["id"], "display": "Alice"}, {"value": bob["id"]}],
        },
    )
    assert response.status_code == 201
    group = response.get_json()
    assert group["schemas"] == [GROUP]
    assert group["displayName"] == "Engineers"
    assert group["externalId"] == "eng-1"
    assert group["meta"]["resourceType"] == "Group"
    assert group["meta"]["location"] == f"http://localhost{tenant.base}/Groups/{group['id']}"
    assert response.headers["Location"] == group["meta"]["location"]
    assert sorted(m["value"] for m in group["members"]) == sorted([alice["id"], bob["id"]])
    assert {"value": alice["id"], "display": "Alice"} in group["members"]
    assert tenant.get(f"/Groups/{group['id']}").get_json() == group


def test_entra_empty_group_with_extra_schema(tenant: ScimTenant) -> None:
    body = {
        "schemas": [GROUP, ADSCIM_GROUP],
        "displayName": "Group1DisplayName",
        "externalId": "eid",
        "members": [],
    }
    response = tenant.post("/Groups", body)
    assert response.status_code == 201, response.get_json()
    group = response.get_json()
    assert "members" not in group
    assert group["schemas"] == [GROUP]


def test_user_shows_its_groups(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [alice["id"]])
    groups = tenant.get(f"/Users/{alice['id']}").get_json()["groups"]
    assert groups == [
        {
            "value": group["id"],
            "$ref": group["meta"]["location"],
            "display": "Engineers",
            "type": "direct",
        }
    ]


def test_deleting_a_user_removes_its_memberships(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    bob = tenant.create_user("bob")
    engineers = tenant.create_group("Engineers", [alice["id"], bob["id"]])
    admins = tenant.create_group("Admins", [alice["id"]])
    assert tenant.delete(f"/Users/{alice['id']}").status_code == 204
    assert [m["value"] for m in tenant.get(f"/Groups/{engineers['id']}").get_json()["members"]] == [bob["id"]]
    assert "members" not in tenant.get(f"/Groups/{admins['id']}").get_json()
    found = tenant.get(f'/Groups?filter=members[value eq "{alice["id"]}"]').get_json()
    assert found["totalResults"] == 0


def test_deleting_a_group_keeps_its_users(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [alice["id"]])
    assert tenant.delete(f"/Groups/{group['id']}").status_code == 204
    assert_scim_error(tenant.get(f"/Groups/{group['id']}"), 404)
    assert "groups" not in tenant.get(f"/Users/{alice['id']}").get_json()


def test_groups_can_contain_groups(tenant: ScimTenant) -> None:
    inner = tenant.create_group("Inner")
    outer = tenant.create_group("Outer", [inner["id"]])
    assert [m["value"] for m in outer["members"]] == [inner["id"]]


def test_unknown_member_ids_are_never_stored(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [alice["id"], "no-such-user"])
    assert [m["value"] for m in group["members"]] == [alice["id"]]


def test_members_of_another_tenant_are_never_stored(tenant: ScimTenant, other: ScimTenant) -> None:
    stranger = other.create_user("stranger")
    mine = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [mine["id"], stranger["id"]])
    assert [m["value"] for m in group["members"]] == [mine["id"]]
    response = tenant.patch(
        f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": stranger["id"]}]}]
    )
    assert response.status_code in (200, 204)
    stored = tenant.get(f"/Groups/{group['id']}").get_json()
    assert [m["value"] for m in stored["members"]] == [mine["id"]]
    put = tenant.put(
        f"/Groups/{group['id']}",
        {"schemas": [GROUP], "displayName": "Engineers", "members": [{"value": stranger["id"]}]},
    )
    assert put.status_code == 200
    assert "members" not in tenant.get(f"/Groups/{group['id']}").get_json()
    assert "groups" not in other.get(f"/Users/{stranger['id']}").get_json()


def test_put_replaces_group_members(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    bob = tenant.create_user("bob")
    group = tenant.create_group("Engineers", [alice["id"]])
    replaced = tenant.put(
        f"/Groups/{group['id']}",
        {"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": bob["id"]}]},
    ).get_json()
    assert replaced["displayName"] == "Engineering"
    assert [m["value"] for m in replaced["members"]] == [bob["id"]]
    emptied = tenant.put(f"/Groups/{group['id']}", {"schemas": [GROUP], "displayName": "Engineering"})
    assert "members" not in emptied.get_json()


def test_excluded_attributes_members_on_get_and_list(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [alice["id"]])
    fetched = tenant.get(f"/Groups/{group['id']}?excludedAttributes=members").get_json()
    assert "members" not in fetched
    assert fetched["displayName"] == "Engineers"
    listed = tenant.get('/Groups?excludedAttributes=members&filter=displayName eq "Engineers"').get_json()
    assert listed["totalResults"] == 1
    assert "members" not in listed["Resources"][0]
    assert listed["Resources"][0]["id"] == group["id"]


def test_excluded_members_are_never_loaded(tenant: ScimTenant, statements: Callable[[], Any]) -> None:
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [alice["id"]])
    with statements() as seen:
        assert tenant.get(f"/Groups/{group['id']}?excludedAttributes=members").status_code == 200
        assert tenant.get("/Groups?excludedAttributes=members").status_code == 200
        assert (
            tenant.get('/Groups?excludedAttributes=members&filter=displayName eq "Engineers"').status_code
            == 200
        )
        assert tenant.get("/Groups?attributes=displayName").status_code == 200
    assert seen, "no SQL captured"
    assert not [s for s in seen if "membership" in s]


def test_user_attributes_without_groups_never_load_memberships(
    tenant: ScimTenant, statements: Callable[[], Any]
) -> None:
    alice = tenant.create_user("alice")
    tenant.create_group("Engineers", [alice["id"]])
    with statements() as seen:
        body = tenant.get(f"/Users/{alice['id']}?excludedAttributes=groups").get_json()
    assert "groups" not in body
    assert not [s for s in seen if "membership" in s]


def test_a_single_resource_loads_its_memberships_where_the_capture_sees_them(
    tenant: ScimTenant, statements: Callable[[], Any]
) -> None:
    """The two tests above can fail: a single resource's statements (its tenant's, its members')
    are run as driver SQL (emulator/prepared.py), and the capture sees them."""
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [alice["id"]])
    with statements() as seen:
        members = tenant.get(f"/Groups/{group['id']}").get_json()["members"]
    assert [m["value"] for m in members] == [alice["id"]]
    assert [s for s in seen if "from tenant" in s]
    assert [s for s in seen if "from membership" in s]
    with statements() as seen:
        assert tenant.get(f"/Users/{alice['id']}").get_json()["groups"][0]["value"] == group["id"]
    assert [s for s in seen if "from membership" in s]


def test_attributes_members_value(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers", [alice["id"]])
    body = tenant.get(f"/Groups/{group['id']}?attributes=members.value").get_json()
    assert body == {"schemas": [GROUP], "id": group["id"], "members": [{"value": alice["id"]}]}


def test_members_without_value_are_400(tenant: ScimTenant) -> None:
    response = tenant.post("/Groups", {"schemas": [GROUP], "displayName": "G", "members": [{"display": "x"}]})
    assert_scim_error(response, 400)
    assert tenant.get("/Groups").get_json()["totalResults"] == 0


def test_group_without_display_name_is_400(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.post("/Groups", {"schemas": [GROUP]}), 400, "invalidValue")


def test_body_must_carry_the_core_schema(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.post("/Users", {"userName": "alice"}), 400)
    assert_scim_error(tenant.post("/Users", {"schemas": [GROUP], "userName": "alice"}), 400)
    assert_scim_error(tenant.post("/Groups", {"schemas": [USER], "displayName": "G"}), 400)


def test_user_ids_are_not_group_ids(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    group = tenant.create_group("Engineers")
    assert_scim_error(tenant.get(f"/Groups/{alice['id']}"), 404)
    assert_scim_error(tenant.get(f"/Users/{group['id']}"), 404)
    assert_scim_error(tenant.delete(f"/Users/{group['id']}"), 404)


def test_many_members_in_one_group(tenant: ScimTenant) -> None:
    ids = [tenant.create_user(f"user{i}")["id"] for i in range(30)]
    group = tenant.create_group("Everyone", ids)
    assert sorted(m["value"] for m in group["members"]) == sorted(ids)


def test_projection_with_urn_qualified_paths(tenant: ScimTenant) -> None:
    created = tenant.create_user(
        "alice",
        title="Dev",
        schemas=[USER, ENTERPRISE],
        **{ENTERPRISE: {"department": "R&D", "costCenter": "7"}},
    )
    location = f"/Users/{created['id']}"
    only = tenant.get(f"{location}?attributes={ENTERPRISE}:department").get_json()
    assert only[ENTERPRISE] == {"department": "R&D"}
    assert "title" not in only and "userName" not in only
    core = tenant.get(f"{location}?attributes={USER}:title").get_json()
    assert core["title"] == "Dev"
    assert ENTERPRISE not in core
    without = tenant.get(f"{location}?excludedAttributes={ENTERPRISE}").get_json()
    assert ENTERPRISE not in without
    assert without["title"] == "Dev"


def test_id_is_always_returned(tenant: ScimTenant) -> None:
    created = tenant.create_user("alice")
    body = tenant.get(f"/Users/{created['id']}?excludedAttributes=id,userName").get_json()
    assert body["id"] == created["id"]
    assert "userName" not in body


def test_deleting_a_nested_group_removes_it_from_its_parent(tenant: ScimTenant) -> None:
    alice = tenant.create_user("alice")
    inner = tenant.create_group("Inner", [alice["id"]])
    outer = tenant.create_group("Outer", [inner["id"], alice["id"]])
    assert tenant.delete(f"/Groups/{inner['id']}").status_code == 204
    assert [m["value"] for m in tenant.get(f"/Groups/{outer['id']}").get_json()["members"]] == [alice["id"]]
    assert [g["value"] for g in tenant.get(f"/Users/{alice['id']}").get_json()["groups"]] == [outer["id"]]


# -- per-tenant options a client can observe ---------------------------------------------------------


def test_unknown_members_can_be_rejected(make_tenant: Callable[..., ScimTenant]) -> None:
    strict = make_tenant("generic", "strict", options={"unknown_members": "reject"})
    alice = strict.create_user("alice")
    response = strict.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "G", "members": [{"value": alice["id"]}, {"value": "ghost"}]},
    )
    body = assert_scim_error(response, 400, "invalidValue")
    assert "ghost" in body["detail"]
    assert strict.get("/Groups").get_json()["totalResults"] == 0


def test_delete_can_deactivate(make_tenant: Callable[..., ScimTenant]) -> None:
    soft = make_tenant("generic", "soft", options={"delete": "deactivate"})
    alice = soft.create_user("alice", active=True)
    assert soft.delete(f"/Users/{alice['id']}").status_code == 204
    kept = soft.get(f"/Users/{alice['id']}").get_json()
    assert kept["active"] is False


def test_patch_can_answer_no_content(make_tenant: Callable[..., ScimTenant]) -> None:
    quiet = make_tenant("generic", "quiet", options={"patch_response": "no_content"})
    alice = quiet.create_user("alice")
    group = quiet.create_group("G")
    response = quiet.patch(
        f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": alice["id"]}]}]
    )
    assert response.status_code == 204
    assert response.data == b""
    stored = quiet.get(f"/Groups/{group['id']}")
    assert response.headers["ETag"] == stored.headers["ETag"]  # the version the write made
    assert [m["value"] for m in stored.get_json()["members"]] == [alice["id"]]
    # a request that names attributes gets them, as RFC 7644 3.5.2 requires
    rename = [{"op": "replace", "path": "displayName", "value": "H"}]
    named = quiet.patch(f"/Groups/{group['id']}?attributes=displayName", rename)
    assert named.status_code == 200
    assert named.get_json()["displayName"] == "H"
    assert "members" not in named.get_json()
    # the default answers with the resource
    loud = make_tenant("generic", "loud")
    bob = loud.create_user("bob")
    answered = loud.patch(f"/Users/{bob['id']}", [{"op": "replace", "path": "displayName", "value": "B"}])
    assert answered.status_code == 200
    assert answered.get_json()["displayName"] == "B"

"""PATCH over HTTP: the RFC 7644 forms, Entra's and Okta's dialects, group members, atomicity."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENTERPRISE, GROUP, PATCH_OP, USER, ScimTenant, assert_scim_error

AAD = "?aadOptscim062020"


@pytest.fixture
def alice(tenant: ScimTenant) -> dict[str, Any]:
    """A user with a name, two emails, a phone and enterprise attributes."""
    return tenant.create_user(
        "alice",
        externalId="ext-alice",
        displayName="Alice",
        active=True,
        name={"givenName": "Alice", "familyName": "Smith", "formatted": "Alice Smith"},
        emails=[
            {"value": "alice@work.example", "type": "work", "primary": True},
            {"value": "alice@home.example", "type": "home"},
        ],
        phoneNumbers=[{"value": "555-0100", "type": "work"}],
        schemas=[USER, ENTERPRISE],
        **{ENTERPRISE: {"department": "Engineering", "employeeNumber": "100"}},
    )


def patched(
    tenant: ScimTenant, resource: dict[str, Any], operations: list[dict[str, Any]], query: str = ""
) -> dict[str, Any]:
    """PATCH a resource, expect 200 with the resource, and check that a GET agrees."""
    endpoint = "/Users" if resource["meta"]["resourceType"] == "User" else "/Groups"
    response = tenant.patch(f"{endpoint}/{resource['id']}{query}", operations)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/scim+json"
    body: dict[str, Any] = response.get_json()
    assert body == tenant.get(f"{endpoint}/{resource['id']}").get_json()
    return body


def member_ids(tenant: ScimTenant, group: dict[str, Any]) -> list[str]:
    body = tenant.get(f"/Groups/{group['id']}").get_json()
    return sorted(m["value"] for m in body.get("members", []))


# -- RFC 7644 forms ----------------------------------------------------------------------------


def test_replace_with_path(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(tenant, alice, [{"op": "replace", "path": "displayName", "value": "Alice S."}])
    assert body["displayName"] == "Alice S."
    assert body["meta"]["version"] != alice["meta"]["version"]
    assert body["meta"]["created"] == alice["meta"]["created"]


def test_add_with_path_sets_and_appends(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {"op": "add", "path": "title", "value": "Engineer"},
            {"op": "add", "path": "emails", "value": [{"value": "alice@other.example", "type": "other"}]},
        ],
    )
    assert body["title"] == "Engineer"
    assert [e["value"] for e in body["emails"]] == [
        "alice@work.example",
        "alice@home.example",
        "alice@other.example",
    ]


def test_add_without_path_merges(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {
                "op": "add",
                "value": {
                    "nickName": "Al",
                    "name": {"middleName": "M"},
                    "emails": [{"value": "x@y.example"}],
                },
            }
        ],
    )
    assert body["nickName"] == "Al"
    assert body["name"] == {
        "givenName": "Alice",
        "familyName": "Smith",
        "formatted": "Alice Smith",
        "middleName": "M",
    }
    assert len(body["emails"]) == 3


def test_replace_without_path(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [{"op": "replace", "value": {"displayName": "A", "emails": [{"value": "only@x.example"}]}}],
    )
    assert body["displayName"] == "A"
    assert body["emails"] == [{"value": "only@x.example"}]


def test_remove_with_path(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant, alice, [{"op": "remove", "path": "phoneNumbers"}, {"op": "remove", "path": "name.formatted"}]
    )
    assert "phoneNumbers" not in body
    assert body["name"] == {"givenName": "Alice", "familyName": "Smith"}


def test_remove_absent_attribute_is_a_no_op(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(tenant, alice, [{"op": "remove", "path": "title"}])
    assert "title" not in body


def test_value_filter_paths(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "alice@new.example"},
            {"op": "remove", "path": 'emails[type eq "home"]'},
            {
                "op": "replace",
                "path": 'phoneNumbers[value eq "555-0100"]',
                "value": {"value": "555-0199", "type": "mobile"},
            },
        ],
    )
    assert body["emails"] == [{"value": "alice@new.example", "type": "work", "primary": True}]
    assert body["phoneNumbers"] == [{"value": "555-0199", "type": "mobile"}]


def test_value_filter_with_and_selects_one_element(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [{"op": "replace", "path": 'emails[type eq "work" and primary eq true].display', "value": "Work"}],
    )
    assert body["emails"][0] == {
        "value": "alice@work.example",
        "type": "work",
        "primary": True,
        "display": "Work",
    }
    assert "display" not in body["emails"][1]


def test_sub_attribute_paths(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {"op": "replace", "path": "name.familyName", "value": "Jones"},
            {"op": "add", "path": "name.honorificPrefix", "value": "Dr."},
        ],
    )
    assert body["name"]["familyName"] == "Jones"
    assert body["name"]["honorificPrefix"] == "Dr."
    assert body["name"]["givenName"] == "Alice"


def test_extension_urn_paths(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Research"},
            {"op": "add", "path": f"{ENTERPRISE}:costCenter", "value": "4130"},
            {"op": "remove", "path": f"{ENTERPRISE}:employeeNumber"},
        ],
    )
    assert body[ENTERPRISE] == {"department": "Research", "costCenter": "4130"}


def test_extension_added_to_a_user_without_it(tenant: ScimTenant) -> None:
    bob = tenant.create_user("bob")
    assert bob["schemas"] == [USER]
    body = patched(tenant, bob, [{"op": "add", "path": f"{ENTERPRISE}:department", "value": "Sales"}])
    assert body[ENTERPRISE] == {"department": "Sales"}
    assert body["schemas"] == [USER, ENTERPRISE]
    body = patched(tenant, bob, [{"op": "remove", "path": f"{ENTERPRISE}:department"}])
    assert ENTERPRISE not in body
    assert body["schemas"] == [USER]


def test_extension_urn_as_the_path_takes_an_object(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(tenant, alice, [{"op": "replace", "path": ENTERPRISE, "value": {"division": "R&D"}}])
    assert body[ENTERPRISE]["division"] == "R&D"
    body = patched(tenant, alice, [{"op": "remove", "path": ENTERPRISE}])
    assert ENTERPRISE not in body


def test_core_urn_qualified_path(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(tenant, alice, [{"op": "replace", "path": f"{USER}:nickName", "value": "Ally"}])
    assert body["nickName"] == "Ally"


def test_attribute_names_are_case_insensitive_and_stored_canonically(
    tenant: ScimTenant, alice: dict[str, Any]
) -> None:
    body = patched(
        tenant,
        alice,
        [{"op": "replace", "path": "DISPLAYNAME", "value": "X"}, {"op": "add", "value": {"NickName": "N"}}],
    )
    assert body["displayName"] == "X"
    assert body["nickName"] == "N"
    assert "DISPLAYNAME" not in body and "NickName" not in body


def test_patch_may_answer_with_projection(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    response = tenant.patch(
        f"/Users/{alice['id']}?attributes=title", [{"op": "add", "path": "title", "value": "T"}]
    )
    assert response.status_code == 200
    assert response.get_json() == {"schemas": [USER, ENTERPRISE], "id": alice["id"], "title": "T"}


# -- Entra ID dialect (default) -------------------------------------------------------------------


def test_entra_capitalised_ops(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {"op": "Replace", "path": "displayName", "value": "Alice E."},
            {"op": "Add", "path": "title", "value": "Lead"},
            {"op": "Remove", "path": "phoneNumbers"},
        ],
    )
    assert body["displayName"] == "Alice E."
    assert body["title"] == "Lead"
    assert "phoneNumbers" not in body


@pytest.mark.parametrize(
    ("sent", "stored"), [("False", False), ("True", True), ("false", False), ("TRUE", True)]
)
def test_entra_string_booleans(tenant: ScimTenant, alice: dict[str, Any], sent: str, stored: bool) -> None:
    body = patched(tenant, alice, [{"op": "Replace", "path": "active", "value": sent}])
    assert body["active"] is stored


def test_entra_string_boolean_inside_a_value(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant, alice, [{"op": "Replace", "path": 'emails[type eq "home"].primary', "value": "False"}]
    )
    assert body["emails"][1]["primary"] is False


def test_entra_paths(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alice@entra.example"},
            {"op": "Replace", "path": "name.familyName", "value": "Entra"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Identity"},
        ],
    )
    assert body["emails"][0]["value"] == "alice@entra.example"
    assert body["name"]["familyName"] == "Entra"
    assert body[ENTERPRISE]["department"] == "Identity"


def test_entra_adds_first_work_email_through_a_filter(tenant: ScimTenant) -> None:
    bob = tenant.create_user("bob")
    body = patched(
        tenant, bob, [{"op": "Add", "path": 'emails[type eq "work"].value', "value": "bob@work.example"}]
    )
    assert body["emails"] == [{"type": "work", "value": "bob@work.example"}]
    found = tenant.get('/Users?filter=emails[type eq "work"].value eq "bob@work.example"').get_json()
    assert [r["id"] for r in found["Resources"]] == [bob["id"]]


def test_entra_manager_as_a_list(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    boss = tenant.create_user("boss")
    body = patched(
        tenant,
        alice,
        [
            {
                "op": "Add",
                "path": f"{ENTERPRISE}:manager",
                "value": [{"$ref": boss["meta"]["location"], "value": boss["id"]}],
            }
        ],
    )
    assert body[ENTERPRISE]["manager"] == {"$ref": boss["meta"]["location"], "value": boss["id"]}
    assert body[ENTERPRISE]["department"] == "Engineering"


def test_entra_manager_as_a_plain_string(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    boss = tenant.create_user("boss")
    other = tenant.create_user("other")
    patched(
        tenant,
        alice,
        [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": [{"$ref": "x", "value": boss["id"]}]}],
    )
    body = patched(tenant, alice, [{"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": other["id"]}])
    assert body[ENTERPRISE]["manager"] == {"value": other["id"]}
    found = tenant.get(f'/Users?filter={ENTERPRISE}:manager.value eq "{other["id"]}"').get_json()
    assert [r["id"] for r in found["Resources"]] == [alice["id"]]


def test_entra_manager_null_ref_and_removal(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    boss = tenant.create_user("boss")
    body = patched(
        tenant,
        alice,
        [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": [{"$ref": None, "value": boss["id"]}]}],
    )
    assert body[ENTERPRISE]["manager"] == {"value": boss["id"]}
    body = patched(tenant, alice, [{"op": "Remove", "path": f"{ENTERPRISE}:manager"}])
    assert "manager" not in body[ENTERPRISE]


def test_entra_manager_in_a_create_body(tenant: ScimTenant) -> None:
    boss = tenant.create_user("boss")
    user = tenant.create_user("bob", schemas=[USER, ENTERPRISE], **{ENTERPRISE: {"manager": boss["id"]}})
    assert user[ENTERPRISE]["manager"] == {"value": boss["id"]}


def test_entra_aad_flag_lower_case_ops_and_real_booleans(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(tenant, alice, [{"op": "replace", "path": "active", "value": False}], AAD)
    assert body["active"] is False


def test_entra_aad_flag_pathless_dotted_and_urn_keys(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [
            {
                "op": "replace",
                "value": {"name.givenName": "Alicia", f"{ENTERPRISE}:employeeNumber": "7", "active": False},
            }
        ],
        AAD,
    )
    assert body["name"] == {"givenName": "Alicia", "familyName": "Smith", "formatted": "Alice Smith"}
    assert body[ENTERPRISE] == {"department": "Engineering", "employeeNumber": "7"}
    assert body["active"] is False
    assert "name.givenName" not in body
    assert f"{ENTERPRISE}:employeeNumber" not in body
    found = tenant.get('/Users?filter=name.givenName eq "Alicia"').get_json()
    assert found["totalResults"] == 1


def test_entra_pathless_core_urn_key(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(
        tenant,
        alice,
        [{"op": "replace", "value": {f"{USER}:displayName": "URN", f"{USER}:name.familyName": "Urn"}}],
        AAD,
    )
    assert body["displayName"] == "URN"
    assert body["name"]["familyName"] == "Urn"


def test_entra_pathless_extension_object(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(tenant, alice, [{"op": "Replace", "value": {ENTERPRISE: {"division": "North"}}}])
    assert body[ENTERPRISE] == {"department": "Engineering", "employeeNumber": "100", "division": "North"}


# -- Okta dialect -------------------------------------------------------------------------------


def test_okta_deactivates_with_a_pathless_replace(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    body = patched(tenant, alice, [{"op": "replace", "value": {"active": False}}])
    assert body["active"] is False
    assert tenant.get("/Users?filter=active eq false").get_json()["totalResults"] == 1


def test_okta_update_is_get_then_put(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    current = tenant.get(f"/Users/{alice['id']}").get_json()
    current["name"]["givenName"] = "Ali"
    current["active"] = False
    response = tenant.put(f"/Users/{alice['id']}", current)
    assert response.status_code == 200
    assert response.get_json()["name"]["givenName"] == "Ali"
    assert response.get_json()["active"] is False


# -- groups: members ------------------------------------------------------------------------------


@pytest.fixture
def crew(tenant: ScimTenant) -> list[dict[str, Any]]:
    """Four users to put in groups."""
    return [tenant.create_user(name) for name in ("ann", "ben", "cat", "dan")]


def ids(users: list[dict[str, Any]]) -> list[str]:
    return sorted(u["id"] for u in users)


def test_add_members(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    body = patched(
        tenant,
        group,
        [{"op": "add", "path": "members", "value": [{"value": crew[1]["id"]}, {"value": crew[2]["id"]}]}],
    )
    assert sorted(m["value"] for m in body["members"]) == ids(crew[:3])
    assert body["meta"]["version"] != group["meta"]["version"]


def test_adding_a_present_member_keeps_one(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    patched(
        tenant,
        group,
        [{"op": "add", "path": "members", "value": [{"value": crew[0]["id"]}, {"value": crew[0]["id"]}]}],
    )
    assert member_ids(tenant, group) == [crew[0]["id"]]


def test_entra_member_add_with_null_ref(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team")
    response = tenant.patch(
        f"/Groups/{group['id']}",
        [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": crew[0]["id"]}]}],
    )
    assert response.status_code in (200, 204)
    members = tenant.get(f"/Groups/{group['id']}").get_json()["members"]
    assert members == [{"value": crew[0]["id"]}]


def test_entra_member_removal_by_value_array(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [u["id"] for u in crew])
    response = tenant.patch(
        f"/Groups/{group['id']}",
        [{"op": "Remove", "path": "members", "value": [{"value": crew[1]["id"]}, {"value": crew[3]["id"]}]}],
    )
    assert response.status_code in (200, 204)
    assert member_ids(tenant, group) == ids([crew[0], crew[2]])


def test_member_removal_by_value_filter(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [u["id"] for u in crew])
    patched(tenant, group, [{"op": "remove", "path": f'members[value eq "{crew[0]["id"]}"]'}], AAD)
    assert member_ids(tenant, group) == ids(crew[1:])
    either = f'members[value eq "{crew[1]["id"]}" or value eq "{crew[2]["id"]}"]'
    patched(tenant, group, [{"op": "remove", "path": either}])
    assert member_ids(tenant, group) == [crew[3]["id"]]


def test_removing_an_absent_member_by_value_is_a_no_op(
    tenant: ScimTenant, crew: list[dict[str, Any]]
) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    patched(tenant, group, [{"op": "remove", "path": "members", "value": [{"value": crew[1]["id"]}]}])
    patched(tenant, group, [{"op": "remove", "path": 'members[value eq "not-a-member"]'}])
    assert member_ids(tenant, group) == [crew[0]["id"]]


def test_remove_all_members(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [u["id"] for u in crew])
    body = patched(tenant, group, [{"op": "remove", "path": "members"}])
    assert "members" not in body


def test_replace_members(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [crew[0]["id"], crew[1]["id"]])
    body = patched(
        tenant,
        group,
        [{"op": "replace", "path": "members", "value": [{"value": crew[2]["id"]}, {"value": crew[3]["id"]}]}],
    )
    assert sorted(m["value"] for m in body["members"]) == ids(crew[2:])
    body = patched(tenant, group, [{"op": "replace", "path": "members", "value": []}])
    assert "members" not in body


def test_okta_group_replace_with_id_and_display_name(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    body = patched(
        tenant,
        group,
        [
            {"op": "replace", "value": {"id": group["id"], "displayName": "Team Renamed"}},
            {"op": "add", "path": "members", "value": [{"value": crew[1]["id"], "display": "ben"}]},
        ],
    )
    assert body["displayName"] == "Team Renamed"
    assert body["id"] == group["id"]
    assert {"value": crew[1]["id"], "display": "ben"} in body["members"]
    assert member_ids(tenant, group) == ids(crew[:2])


def test_okta_pathless_member_replace(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    body = patched(
        tenant,
        group,
        [
            {
                "op": "replace",
                "value": {"id": group["id"], "displayName": "Team", "members": [{"value": crew[3]["id"]}]},
            }
        ],
    )
    assert [m["value"] for m in body["members"]] == [crew[3]["id"]]


def test_member_ops_in_order(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    patched(
        tenant,
        group,
        [
            {"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [{"value": crew[1]["id"]}]},
            {"op": "add", "path": "members", "value": [{"value": crew[2]["id"]}]},
            {"op": "remove", "path": f'members[value eq "{crew[1]["id"]}"]'},
        ],
    )
    assert member_ids(tenant, group) == [crew[2]["id"]]


def test_member_patch_with_other_tenant_ids_stores_nothing(tenant: ScimTenant, other: ScimTenant) -> None:
    stranger = other.create_user("stranger")
    group = tenant.create_group("Team")
    patched(tenant, group, [{"op": "add", "path": "members", "value": [{"value": stranger["id"]}]}])
    patched(tenant, group, [{"op": "replace", "path": "members", "value": [{"value": stranger["id"]}]}])
    assert member_ids(tenant, group) == []


def test_group_patch_answers_with_members_unless_excluded(
    tenant: ScimTenant, crew: list[dict[str, Any]]
) -> None:
    group = tenant.create_group("Team")
    response = tenant.patch(
        f"/Groups/{group['id']}?excludedAttributes=members",
        [{"op": "add", "path": "members", "value": [{"value": crew[0]["id"]}]}],
    )
    assert response.status_code == 200
    assert "members" not in response.get_json()
    assert member_ids(tenant, group) == [crew[0]["id"]]


def test_member_removal_by_a_richer_filter(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team")
    members = [
        {"value": crew[0]["id"], "type": "User"},
        {"value": crew[1]["id"], "type": "User"},
        {"value": crew[2]["id"]},
    ]
    patched(tenant, group, [{"op": "add", "path": "members", "value": members}])
    body = patched(
        tenant, group, [{"op": "remove", "path": f'members[type eq "User" and value ne "{crew[1]["id"]}"]'}]
    )
    assert sorted(m["value"] for m in body["members"]) == ids(crew[1:3])
    assert {"value": crew[1]["id"], "type": "User"} in body["members"]


# -- atomicity --------------------------------------------------------------------------------


def test_a_failing_operation_changes_nothing(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    response = tenant.patch(
        f"/Users/{alice['id']}",
        [
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "remove", "path": 'emails[type eq "work"]'},
            {"op": "replace", "path": "noSuchAttribute", "value": "x"},
        ],
    )
    assert_scim_error(response, 400, "invalidPath")
    assert tenant.get(f"/Users/{alice['id']}").get_json() == alice


def test_a_failing_value_check_after_the_engine_changes_nothing(
    tenant: ScimTenant, alice: dict[str, Any]
) -> None:
    response = tenant.patch(
        f"/Users/{alice['id']}",
        [
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "replace", "path": "title", "value": "x" * 100_000},
        ],
    )
    assert_scim_error(response, 400, "invalidValue")
    assert tenant.get(f"/Users/{alice['id']}").get_json() == alice


def test_a_failing_member_operation_changes_nothing(tenant: ScimTenant, crew: list[dict[str, Any]]) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    response = tenant.patch(
        f"/Groups/{group['id']}",
        [
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "add", "path": "members", "value": [{"value": crew[1]["id"]}]},
            {"op": "remove", "path": "members", "value": "not-a-list-of-objects"},
        ],
    )
    assert_scim_error(response, 400)
    assert tenant.get(f"/Groups/{group['id']}").get_json() == group


def test_a_failing_rename_after_member_changes_changes_nothing(
    tenant: ScimTenant, crew: list[dict[str, Any]]
) -> None:
    tenant.create_group("Taken")
    group = tenant.create_group("Team", [crew[0]["id"]])
    response = tenant.patch(
        f"/Groups/{group['id']}",
        [
            {"op": "add", "path": "members", "value": [{"value": crew[1]["id"]}]},
            {"op": "replace", "path": "displayName", "value": "taken"},
        ],
    )
    assert_scim_error(response, 409, "uniqueness")
    assert tenant.get(f"/Groups/{group['id']}").get_json() == group


def test_uniqueness_conflict_in_patch_changes_nothing(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    tenant.create_user("bob")
    response = tenant.patch(
        f"/Users/{alice['id']}",
        [
            {"op": "replace", "path": "title", "value": "T"},
            {"op": "replace", "path": "userName", "value": "BOB"},
        ],
    )
    assert_scim_error(response, 409, "uniqueness")
    assert tenant.get(f"/Users/{alice['id']}").get_json() == alice


# -- errors a client sees ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "replace", "path": "nope", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "name.nope", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": 'emails[nope eq "x"].value', "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": f"{ENTERPRISE}:nope", "value": "x"}, "invalidPath"),
        ({"op": "add", "value": {"nope": "x"}}, "invalidPath"),
        ({"op": "replace", "path": "emails[type eq", "value": "x"}, "invalidPath"),
        ({"op": "remove", "path": 'emails[type eq "fax"]'}, "noTarget"),
        ({"op": "remove"}, "noTarget"),
        (
            {"op": "replace", "path": 'emails[type eq "fax" or primary eq false]', "value": {"value": "x"}},
            "noTarget",
        ),
        ({"op": "replace", "path": "id", "value": "new-id"}, "mutability"),
        ({"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}, "mutability"),
        ({"op": "add", "path": "groups", "value": [{"value": "g"}]}, "mutability"),
        ({"op": "remove", "path": "userName"}, "mutability"),
        ({"op": "replace", "path": "active", "value": "maybe"}, "invalidValue"),
        ({"op": "replace", "path": "active", "value": 1}, "invalidValue"),
        ({"op": "add", "value": "not an object"}, "invalidValue"),
        ({"op": "add", "path": "emails", "value": [{"nope": "x"}]}, "invalidValue"),
        ({"op": "replace", "path": "displayName", "value": {"a": 1}}, "invalidValue"),
        ({"op": "replace", "path": "displayName", "value": "nul\u0000byte"}, "invalidValue"),
        ({"op": "move", "path": "displayName", "value": "x"}, "invalidSyntax"),
        ({"op": "add", "path": "title"}, "invalidSyntax"),
        ({"path": "title", "value": "x"}, "invalidSyntax"),
    ],
)
def test_bad_operations(
    tenant: ScimTenant, alice: dict[str, Any], operation: dict[str, Any], scim_type: str
) -> None:
    response = tenant.patch(
        f"/Users/{alice['id']}", [{"op": "replace", "path": "title", "value": "before"}, operation]
    )
    assert_scim_error(response, 400, scim_type)
    assert tenant.get(f"/Users/{alice['id']}").get_json() == alice


@pytest.mark.parametrize(
    "body",
    [
        {"Operations": [{"op": "add", "path": "title", "value": "x"}]},
        {"schemas": [USER], "Operations": [{"op": "add", "path": "title", "value": "x"}]},
        {"schemas": [PATCH_OP]},
        {"schemas": [PATCH_OP], "Operations": []},
        {"schemas": [PATCH_OP], "Operations": {"op": "add"}},
        [{"op": "add", "path": "title", "value": "x"}],
    ],
)
def test_bad_patch_bodies(tenant: ScimTenant, alice: dict[str, Any], body: Any) -> None:
    response = tenant.request("PATCH", f"/Users/{alice['id']}", json=body)
    assert_scim_error(response, 400, "invalidSyntax")


def test_patch_body_keys_are_case_insensitive(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    response = tenant.request(
        "PATCH",
        f"/Users/{alice['id']}",
        json={"schemas": [PATCH_OP], "operations": [{"op": "add", "path": "title", "value": "x"}]},
    )
    assert response.status_code == 200
    assert response.get_json()["title"] == "x"


def test_patch_unknown_resource_is_404(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.patch("/Users/nope", [{"op": "add", "path": "title", "value": "x"}]), 404)
    assert_scim_error(tenant.patch("/Groups/nope", [{"op": "add", "path": "members", "value": []}]), 404)


def test_group_member_value_sub_attribute_is_immutable(
    tenant: ScimTenant, crew: list[dict[str, Any]]
) -> None:
    group = tenant.create_group("Team", [crew[0]["id"]])
    response = tenant.patch(
        f"/Groups/{group['id']}",
        [{"op": "replace", "path": f'members[value eq "{crew[0]["id"]}"].value', "value": crew[1]["id"]}],
    )
    assert_scim_error(response, 400, "mutability")
    assert member_ids(tenant, group) == [crew[0]["id"]]


def test_group_display_name_cannot_be_removed(tenant: ScimTenant) -> None:
    group = tenant.create_group("Team")
    assert_scim_error(
        tenant.patch(f"/Groups/{group['id']}", [{"op": "remove", "path": "displayName"}]), 400, "mutability"
    )
    assert tenant.get(f"/Groups/{group['id']}").get_json() == group


def test_group_schema_in_user_patch_is_not_confused(tenant: ScimTenant) -> None:
    group = tenant.create_group("Team")
    response = tenant.patch(f"/Groups/{group['id']}", [{"op": "add", "path": "userName", "value": "x"}])
    assert_scim_error(response, 400, "invalidPath")
    assert tenant.get(f"/Groups/{group['id']}").get_json()["schemas"] == [GROUP]


# -- the strict dialect a tenant may choose ----------------------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Replace", "path": "title", "value": "x"},
        {"op": "replace", "path": "active", "value": "False"},
        {"op": "add", "path": f"{ENTERPRISE}:manager", "value": "some-id"},
    ],
)
def test_strict_tenants_refuse_the_entra_dialect(make_tenant: Any, operation: dict[str, Any]) -> None:
    strict = make_tenant("generic", "strict", options={"patch_dialect": "strict"})
    user = strict.create_user("alice")
    body = assert_scim_error(strict.patch(f"/Users/{user['id']}", [operation]), 400)
    assert body["scimType"] in ("invalidSyntax", "invalidValue")
    assert strict.get(f"/Users/{user['id']}").get_json() == user


def test_strict_tenants_take_the_rfc_forms(make_tenant: Any) -> None:
    strict = make_tenant("generic", "strict", options={"patch_dialect": "strict"})
    user = strict.create_user("alice")
    body = patched(strict, user, [{"op": "replace", "path": "active", "value": False}])
    assert body["active"] is False


def test_strict_tenants_refuse_capitalised_member_ops(make_tenant: Any) -> None:
    strict = make_tenant("generic", "strict", options={"patch_dialect": "strict"})
    user = strict.create_user("alice")
    group = strict.create_group("Team")
    response = strict.patch(
        f"/Groups/{group['id']}", [{"op": "Add", "path": "members", "value": [{"value": user["id"]}]}]
    )
    assert_scim_error(response, 400, "invalidSyntax")
    assert member_ids(strict, group) == []

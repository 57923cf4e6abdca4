"""Jostle (seed 001): API keys of activated Automation users, users only, the Jostle extension."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ENTERPRISE, USER, ScimTenant, assert_scim_error
from tests.vendors import (
    OKTA_HEADERS,
    Row,
    assert_row_round_trips,
    entra_patch,
    entra_test_connection,
    entra_user,
    find_user,
    listed,
    okta_import_page,
    okta_user,
    put_row,
    read_row,
    with_auth,
)

MakeTenant = Callable[..., ScimTenant]
CONTROL = "/_emulator/tenants/jostle/acme"
JOSTLE = "urn:ietf:params:scim:schemas:extension:jostle:2.0:User"

# seed 001, "Attribute Mapping" table, row by row
ROWS = (
    Row("userName", "ada@example.com", "ada.l@example.com", "ada.lovelace@example.com"),
    Row("active", True, False, "True", expected_patched=True),
    Row("name.givenName", "Ada", "Augusta", "Ada"),
    Row("name.familyName", "Byron", "King", "Lovelace"),
    Row('emails[type eq "work"].value', "ada@example.com", "ada@work.example", "lovelace@work.example"),
    Row('emails[type eq "personal"].value', "ada@home.example", "ada@me.example", "ada@mine.example"),
    Row('emails[type eq "alternate1"].value', "a1@example.com", "a1@other.example", "a1@third.example"),
    Row('emails[type eq "alternate2"].value', "a2@example.com", "a2@other.example", "a2@third.example"),
    Row(f"{JOSTLE}:alternateEmail1Label", "Club", "School", "Volunteering"),
    Row(f"{JOSTLE}:alternateEmail2Label", "Board", "Union", "Choir"),
)


@pytest.fixture
def jostle(make_tenant: MakeTenant) -> ScimTenant:
    return make_tenant("jostle", "acme")


def base_user(row: str, value: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [USER, JOSTLE], "userName": "base@example.com"}
    return put_row(body, row, value)


def new_key(client: FlaskClient, **given: Any) -> dict[str, Any]:
    response = client.post(f"{CONTROL}/credentials", json=given)
    assert response.status_code == 201, response.get_json()
    shown: dict[str, Any] = response.get_json()
    return shown


# -- the attribute table --------------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_every_table_row_round_trips_through_post_get_put_patch(jostle: ScimTenant, row: Row) -> None:
    assert_row_round_trips(jostle, row, base_user)


def test_all_four_email_types_and_labels_together(jostle: ScimTenant) -> None:
    body: dict[str, Any] = {"schemas": [USER, JOSTLE], "userName": "ada@example.com"}
    for row in ROWS[4:]:
        put_row(body, row.path, row.created)
    user = jostle.post("/Users", body).get_json()
    stored = jostle.get(f"/Users/{user['id']}").get_json()
    assert stored["schemas"] == [USER, JOSTLE]
    for row in ROWS[4:]:
        assert read_row(stored, row.path) == row.created
    # removing one type by value filter keeps the others
    patched = jostle.patch(
        f"/Users/{user['id']}", entra_patch(("Remove", 'emails[type eq "personal"]', None))
    ).get_json()
    assert sorted(e["type"] for e in patched["emails"]) == ["alternate1", "alternate2", "work"]


def test_extension_served_in_schemas_and_resource_types(jostle: ScimTenant) -> None:
    schemas = {s["id"]: s for s in listed(jostle.get("/Schemas"))}
    assert set(schemas) == {USER, JOSTLE}
    assert [a["name"] for a in schemas[JOSTLE]["attributes"]] == [
        "alternateEmail1Label",
        "alternateEmail2Label",
    ]
    assert jostle.get(f"/Schemas/{JOSTLE}").get_json()["id"] == JOSTLE
    core = {a["name"]: a for a in schemas[USER]["attributes"]}
    assert set(core) == {"userName", "active", "name", "emails"}
    email_type = next(s for s in core["emails"]["subAttributes"] if s["name"] == "type")
    assert email_type["canonicalValues"] == ["work", "personal", "alternate1", "alternate2"]

    types = listed(jostle.get("/ResourceTypes"))
    assert [t["name"] for t in types] == ["User"]
    assert types[0]["schemaExtensions"] == [{"schema": JOSTLE, "required": False}]


def test_users_only_no_groups(jostle: ScimTenant) -> None:
    assert_scim_error(jostle.get("/Groups"), 404)
    assert_scim_error(jostle.get("/Groups", query_string={"startIndex": 1, "count": 100}), 404)
    assert_scim_error(jostle.get("/ResourceTypes/Group"), 404)


def test_service_provider_config_names_bearer(jostle: ScimTenant) -> None:
    schemes = jostle.get("/ServiceProviderConfig").get_json()["authenticationSchemes"]
    assert [s["type"] for s in schemes] == ["oauthbearertoken"]


# -- attributes outside the table -----------------------------------------------------------------


def test_attributes_and_email_types_outside_the_table_are_dropped(jostle: ScimTenant) -> None:
    body = entra_user("ada@example.com")
    body["emails"] += [{"type": "home", "value": "ada@home.example"}, {"type": "other", "value": "o@x"}]
    created = jostle.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    for user in (created.get_json(), jostle.get(f"/Users/{created.get_json()['id']}").get_json()):
        assert user["schemas"] == [USER]
        for dropped in ("externalId", "displayName", "title", "roles", "nickName", ENTERPRISE):
            assert dropped not in user
        assert user["emails"] == [{"type": "work", "value": "ada@example.com", "primary": True}]


def test_patch_to_an_email_type_outside_the_table_is_dropped(jostle: ScimTenant) -> None:
    user = jostle.create_user("ada@example.com")
    response = jostle.patch(
        f"/Users/{user['id']}", entra_patch(("Add", 'emails[type eq "home"].value', "h@x"))
    )
    assert response.status_code == 200
    assert "emails" not in response.get_json()


def test_patch_of_an_attribute_outside_the_table_is_ignored(jostle: ScimTenant) -> None:
    user = jostle.create_user("ada@example.com")
    response = jostle.patch(f"/Users/{user['id']}", entra_patch(("Replace", "displayName", "Ada")))
    assert response.status_code == 200, response.get_json()
    assert "displayName" not in response.get_json()


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"displayName": "Ada"}, "displayName"),
        ({"emails": [{"type": "home", "value": "a@home.example"}]}, "home"),
        ({JOSTLE: {"alternateEmail3Label": "x"}}, "alternateEmail3Label"),
    ],
)
def test_reject_quirk_answers_400(make_tenant: MakeTenant, extra: dict[str, Any], named: str) -> None:
    jostle = make_tenant("jostle", "acme", options={"unknown_attributes": "reject"})
    body = assert_scim_error(
        jostle.post("/Users", {"schemas": [USER, JOSTLE], "userName": "a", **extra}), 400, "invalidValue"
    )
    assert named in body["detail"]
    types = [{"type": t, "value": f"{t}@x"} for t in ("work", "personal", "alternate1", "alternate2")]
    assert jostle.post("/Users", {"schemas": [USER], "userName": "a", "emails": types}).status_code == 201


# -- required attributes and filters --------------------------------------------------------------


def test_missing_user_name_is_named(jostle: ScimTenant) -> None:
    body = assert_scim_error(jostle.post("/Users", {"schemas": [USER], "active": True}), 400, "invalidValue")
    assert "userName" in body["detail"]


def test_only_user_name_eq_is_filterable(jostle: ScimTenant) -> None:
    jostle.create_user("ada@example.com", emails=[{"type": "personal", "value": "p@x"}])
    assert len(find_user(jostle, "ada@example.com")) == 1
    for expression in (
        'name.givenName eq "Ada"',
        'emails[type eq "personal"].value eq "p@x"',
        f'{JOSTLE}:alternateEmail1Label eq "Club"',
        'userName ne "x"',
    ):
        assert_scim_error(jostle.get("/Users", query_string={"filter": expression}), 400, "invalidFilter")


def test_unsupported_filters_ignore_quirk(make_tenant: MakeTenant) -> None:
    jostle = make_tenant("jostle", "acme", options={"unsupported_filters": "ignore"})
    jostle.create_user("ada@example.com")
    jostle.create_user("bob@example.com")
    users = listed(jostle.get("/Users", query_string={"filter": 'emails[type eq "work"].value eq "z"'}))
    assert len(users) == 2


# -- auth: API keys of Automation users -------------------------------------------------------------


def test_tenant_creation_returns_a_key_of_an_active_automation_user(
    client: FlaskClient, jostle: ScimTenant
) -> None:
    shown = jostle.credentials
    assert shown["type"] == "api_key"
    assert shown["automation_user"] == "automation"
    assert shown["automation_user_active"] is True
    assert shown["authorization"] == f"Bearer {shown['key']}"
    entra_test_connection(jostle)
    accounts = client.get(f"{CONTROL}/credentials").get_json()["accounts"]
    assert accounts == [{"username": "automation", "role": None, "active": True}]


def test_key_is_shown_only_when_created(client: FlaskClient, jostle: ScimTenant) -> None:
    another = new_key(client, automation_user="sync2", description="Azure")
    for secret in (jostle.credentials["key"], another["key"]):
        for url in (CONTROL, f"{CONTROL}/credentials", "/_emulator/tenants"):
            assert secret not in client.get(url).get_data(as_text=True)
    listing = client.get(f"{CONTROL}/credentials").get_json()["credentials"]
    assert [(c["account"], c["label"], c["state"]) for c in listing] == [
        ("automation", None, "active"),
        ("sync2", "Azure", "active"),
    ]


def test_missing_or_unknown_key_is_401(jostle: ScimTenant) -> None:
    response = jostle.client.get(f"{jostle.base}/Users")
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="jostle/acme"'
    assert_scim_error(with_auth(jostle, "Bearer not-a-key").get("/Users"), 401)
    assert_scim_error(with_auth(jostle, "Basic YTpi").get("/Users"), 401)


def test_tenant_with_pending_automation_user(client: FlaskClient, make_tenant: MakeTenant) -> None:
    jostle = make_tenant("jostle", "acme", options={"automation_user_active": False})
    assert jostle.credentials["automation_user_active"] is False
    body = assert_scim_error(jostle.get("/Users"), 401)
    assert "automation" in body["detail"] and "not been activated" in body["detail"]

    activated = client.post(f"{CONTROL}/accounts/automation/activate")
    assert activated.get_json() == {"username": "automation", "role": None, "active": True}
    entra_test_connection(jostle)


def test_new_automation_user_unactivated_until_activated(client: FlaskClient, jostle: ScimTenant) -> None:
    key = new_key(client, automation_user="sync2", active=False)
    assert key["automation_user"] == "sync2" and key["automation_user_active"] is False
    sync2 = with_auth(jostle, key["authorization"])
    assert "sync2" in assert_scim_error(sync2.get("/Users"), 401)["detail"]
    entra_test_connection(jostle)  # the other Automation user's key is unaffected

    client.post(f"{CONTROL}/accounts/sync2/activate")
    entra_test_connection(sync2)


def test_new_automation_user_is_active_unless_told(client: FlaskClient, make_tenant: MakeTenant) -> None:
    make_tenant("jostle", "acme", options={"automation_user_active": False})
    key = new_key(client, automation_user="sync2")
    assert key["automation_user_active"] is True


def test_deactivated_automation_user_keys_are_refused(client: FlaskClient, jostle: ScimTenant) -> None:
    client.post(f"{CONTROL}/accounts/automation/deactivate")
    assert_scim_error(jostle.get("/Users"), 401)
    assert_scim_error(client.post(f"{CONTROL}/accounts/nobody/activate"), 404)


def test_revoked_key_is_refused(client: FlaskClient, jostle: ScimTenant) -> None:
    revoked = client.post(f"{CONTROL}/credentials/{jostle.credentials['id']}/revoke").get_json()
    assert revoked["state"] == "revoked"
    body = assert_scim_error(jostle.get("/Users"), 401)
    assert "revoked" in body["detail"]


def test_several_keys_per_user_and_rotation_replaces_only_that_users_keys(
    client: FlaskClient, jostle: ScimTenant
) -> None:
    second = with_auth(jostle, new_key(client)["authorization"])  # the default Automation user again
    other = with_auth(jostle, new_key(client, automation_user="sync2")["authorization"])
    entra_test_connection(jostle)
    entra_test_connection(second)

    rotated = with_auth(jostle, new_key(client, automation_user="automation", rotate=True)["authorization"])
    assert_scim_error(jostle.get("/Users"), 401)
    assert_scim_error(second.get("/Users"), 401)
    entra_test_connection(rotated)
    entra_test_connection(other)


def test_key_of_another_tenant_is_refused(make_tenant: MakeTenant) -> None:
    acme = make_tenant("jostle", "acme")
    globex = make_tenant("jostle", "globex")
    assert_scim_error(with_auth(globex, acme.authorization).get("/Users"), 401)


def test_unknown_credential_style_is_refused(client: FlaskClient, jostle: ScimTenant) -> None:
    assert_scim_error(client.post(f"{CONTROL}/credentials", json={"style": "basic"}), 400, "invalidValue")


# -- quirks ---------------------------------------------------------------------------------------


def test_delete_removes_by_default_and_deactivate_keeps(make_tenant: MakeTenant, jostle: ScimTenant) -> None:
    user = jostle.create_user("ada@example.com")
    assert jostle.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(jostle.get(f"/Users/{user['id']}"), 404)

    kept = make_tenant("jostle", "globex", options={"delete": "deactivate"})
    user = kept.create_user("ada@example.com", active=True)
    assert kept.delete(f"/Users/{user['id']}").status_code == 204
    assert kept.get(f"/Users/{user['id']}").get_json()["active"] is False


def test_strict_patch_dialect(make_tenant: MakeTenant) -> None:
    jostle = make_tenant("jostle", "acme", options={"patch_dialect": "strict"})
    user = jostle.create_user("ada@example.com", active=True)
    assert_scim_error(jostle.patch(f"/Users/{user['id']}", entra_patch(("Replace", "active", "False"))), 400)
    ok = jostle.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert ok.get_json()["active"] is False


# -- Microsoft Entra ID -------------------------------------------------------------------------


def test_entra_flow(jostle: ScimTenant) -> None:
    entra_test_connection(jostle)

    assert find_user(jostle, "ada@example.com") == []
    body = entra_user("ada@example.com")
    body["schemas"].append(JOSTLE)
    body[JOSTLE] = {"alternateEmail1Label": "Club"}
    body["emails"].append({"type": "alternate1", "value": "ada@club.example"})
    created = jostle.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert user[JOSTLE] == {"alternateEmail1Label": "Club"}
    assert_scim_error(jostle.post("/Users", entra_user("ada@example.com")), 409, "uniqueness")
    assert [u["id"] for u in find_user(jostle, "ada@example.com")] == [user["id"]]

    patched = jostle.patch(
        f"/Users/{user['id']}",
        entra_patch(
            ("Replace", 'emails[type eq "work"].value', "ada.lovelace@example.com"),
            ("Add", 'emails[type eq "alternate2"].value', "ada@board.example"),
            ("Replace", "name.familyName", "King"),
            ("Add", f"{JOSTLE}:alternateEmail2Label", "Board"),
        ),
    )
    assert patched.status_code == 200, patched.get_json()
    result = patched.get_json()
    assert read_row(result, 'emails[type eq "work"].value') == "ada.lovelace@example.com"
    assert read_row(result, 'emails[type eq "alternate2"].value') == "ada@board.example"
    assert result[JOSTLE] == {"alternateEmail1Label": "Club", "alternateEmail2Label": "Board"}
    assert result["name"]["familyName"] == "King"

    disabled = jostle.patch(f"/Users/{user['id']}", entra_patch(("Replace", "active", "False")))
    assert disabled.get_json()["active"] is False
    assert jostle.get(f"/Users/{user['id']}").get_json()["active"] is False


# -- Okta -----------------------------------------------------------------------------------------


def test_okta_flow(jostle: ScimTenant) -> None:
    assert okta_import_page(jostle)["totalResults"] == 0
    assert find_user(jostle, "grace@example.com", startIndex=1, count=100) == []
    created = jostle.post("/Users", okta_user("grace@example.com"), headers=OKTA_HEADERS)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert "password" not in user and "groups" not in user and "displayName" not in user
    assert_scim_error(jostle.post("/Users", okta_user("grace@example.com")), 409)

    current = jostle.get(f"/Users/{user['id']}").get_json()
    current["name"]["familyName"] = "Murray Hopper"
    current["emails"].append({"type": "personal", "value": "grace@home.example"})
    replaced = jostle.put(f"/Users/{user['id']}", current, headers=OKTA_HEADERS)
    assert replaced.status_code == 200, replaced.get_json()
    assert read_row(replaced.get_json(), 'emails[type eq "personal"].value') == "grace@home.example"

    deactivated = jostle.patch(f"/Users/{user['id']}", [{"op": "replace", "value": {"active": False}}])
    assert deactivated.status_code == 200
    assert jostle.get(f"/Users/{user['id']}").get_json()["active"] is False
    assert okta_import_page(jostle)["totalResults"] == 1

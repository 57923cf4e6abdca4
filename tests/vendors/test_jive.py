"""Jive (seed 000): admin Basic credentials or a user security token, users only, DELETE disables.

The attribute set and filter support are emulator-defined (VENDORS.md); the rest is the seed's.
"""

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
    basic,
    entra_patch,
    entra_test_connection,
    entra_user,
    find_user,
    listed,
    okta_import_page,
    okta_user,
    put_row,
    with_auth,
)

MakeTenant = Callable[..., ScimTenant]
CONTROL = "/_emulator/tenants/jive/acme"

# emulator-defined core set (VENDORS.md), with the values one round trip sends
ROWS = (
    Row("userName", "ada@example.com", "ada.l@example.com", "ada.lovelace@example.com"),
    Row("active", True, False, "True", expected_patched=True),
    Row("displayName", "Ada", "Ada L.", "Ada Lovelace"),
    Row("name.givenName", "Ada", "Augusta", "Ada"),
    Row("name.familyName", "Byron", "King", "Lovelace"),
    Row('emails[type eq "work"].value', "ada@example.com", "ada@work.example", "lovelace@work.example"),
)


@pytest.fixture
def jive(make_tenant: MakeTenant) -> ScimTenant:
    return make_tenant("jive", "acme")


def base_user(row: str, value: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [USER], "userName": "base@example.com"}
    return put_row(body, row, value)


# -- the attribute table --------------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_every_table_row_round_trips_through_post_get_put_patch(jive: ScimTenant, row: Row) -> None:
    assert_row_round_trips(jive, row, base_user)


def test_schemas_serve_exactly_the_table(jive: ScimTenant) -> None:
    schemas = listed(jive.get("/Schemas"))
    assert [s["id"] for s in schemas] == [USER]
    attributes = {a["name"]: a for a in schemas[0]["attributes"]}
    assert set(attributes) == {"userName", "active", "displayName", "name", "emails"}
    assert {s["name"] for s in attributes["name"]["subAttributes"]} == {"givenName", "familyName"}
    emails = {s["name"]: s for s in attributes["emails"]["subAttributes"]}
    assert set(emails) == {"value", "type", "primary"}
    assert emails["type"]["canonicalValues"] == ["work"]


def test_users_only_no_groups(jive: ScimTenant) -> None:
    types = listed(jive.get("/ResourceTypes"))
    assert [t["name"] for t in types] == ["User"]
    assert types[0]["schemaExtensions"] == []
    assert_scim_error(jive.get("/Groups"), 404)
    assert_scim_error(jive.post("/Groups", {"schemas": [USER], "displayName": "x"}), 404)
    assert_scim_error(jive.get("/ResourceTypes/Group"), 404)


def test_service_provider_config_names_basic_and_bearer(jive: ScimTenant) -> None:
    schemes = jive.get("/ServiceProviderConfig").get_json()["authenticationSchemes"]
    assert {s["type"] for s in schemes} == {"httpbasic", "oauthbearertoken"}


# -- attributes outside the table -----------------------------------------------------------------


def test_attributes_outside_the_table_are_neither_stored_nor_returned(jive: ScimTenant) -> None:
    body = entra_user("ada@example.com")
    body["emails"].append({"type": "home", "value": "ada@home.example"})
    body["phoneNumbers"] = [{"type": "work", "value": "+1 555 0100"}]
    created = jive.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    for user in (created.get_json(), jive.get(f"/Users/{created.get_json()['id']}").get_json()):
        assert user["schemas"] == [USER]
        for dropped in ("externalId", "title", "roles", "phoneNumbers", "nickName", ENTERPRISE):
            assert dropped not in user
        assert user["name"] == {"givenName": "Ada", "familyName": "Lovelace"}  # no formatted
        assert user["emails"] == [{"type": "work", "value": "ada@example.com", "primary": True}]


def test_put_drops_attributes_outside_the_table(jive: ScimTenant) -> None:
    user = jive.create_user("ada@example.com")
    replaced = jive.put(f"/Users/{user['id']}", {**entra_user("ada@example.com"), "nickName": "ada"})
    assert replaced.status_code == 200
    assert "nickName" not in replaced.get_json()
    assert "title" not in jive.get(f"/Users/{user['id']}").get_json()


def test_patch_of_an_attribute_outside_the_table_is_ignored(jive: ScimTenant) -> None:
    user = jive.create_user("ada@example.com")
    response = jive.patch(
        f"/Users/{user['id']}",
        entra_patch(("Add", "title", "Engineer"), ("Replace", f"{ENTERPRISE}:department", "R&D")),
    )
    assert response.status_code == 200, response.get_json()
    assert "title" not in response.get_json()


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"title": "Engineer"}, "title"),
        ({"externalId": "e-1"}, "externalId"),
        ({"name": {"givenName": "Ada", "formatted": "Ada L"}}, "name.formatted"),
        ({"emails": [{"type": "home", "value": "a@home.example"}]}, "home"),
    ],
)
def test_reject_quirk_answers_400_for_attributes_and_types_outside_the_table(
    make_tenant: MakeTenant, extra: dict[str, Any], named: str
) -> None:
    jive = make_tenant("jive", "acme", options={"unknown_attributes": "reject"})
    body = assert_scim_error(
        jive.post("/Users", {"schemas": [USER], "userName": "a", **extra}), 400, "invalidValue"
    )
    assert named in body["detail"]
    assert find_user(jive, "a") == []
    ok = jive.post(
        "/Users", {"schemas": [USER], "userName": "a", "emails": [{"type": "work", "value": "a@x"}]}
    )
    assert ok.status_code == 201


def test_reject_quirk_refuses_patch_outside_the_table(make_tenant: MakeTenant) -> None:
    jive = make_tenant("jive", "acme", options={"unknown_attributes": "reject"})
    user = jive.create_user("ada@example.com")
    response = jive.patch(f"/Users/{user['id']}", entra_patch(("Add", 'emails[type eq "home"].value', "h@x")))
    assert_scim_error(response, 400)
    assert "emails" not in jive.get(f"/Users/{user['id']}").get_json()


# -- required attributes and filters --------------------------------------------------------------


def test_missing_user_name_is_named(jive: ScimTenant) -> None:
    body = assert_scim_error(jive.post("/Users", {"schemas": [USER], "active": True}), 400, "invalidValue")
    assert "userName" in body["detail"]


def test_only_user_name_eq_is_filterable(jive: ScimTenant) -> None:
    jive.create_user("ada@example.com", displayName="Ada")
    assert [u["userName"] for u in find_user(jive, "ADA@example.com")] == ["ada@example.com"]
    for expression in (
        'displayName eq "Ada"',
        'externalId eq "x"',
        'emails[type eq "work"].value eq "ada@example.com"',
        'userName co "ada"',
        'userName sw "ada"',
        "active eq true",
    ):
        response = jive.get("/Users", query_string={"filter": expression})
        assert_scim_error(response, 400, "invalidFilter")


def test_unsupported_filters_ignore_quirk_lists_as_if_unfiltered(make_tenant: MakeTenant) -> None:
    jive = make_tenant("jive", "acme", options={"unsupported_filters": "ignore"})
    jive.create_user("ada@example.com", displayName="Ada")
    jive.create_user("bob@example.com", displayName="Bob")
    users = listed(jive.get("/Users", query_string={"filter": 'displayName eq "Ada"'}))
    assert sorted(u["userName"] for u in users) == ["ada@example.com", "bob@example.com"]
    assert [u["userName"] for u in find_user(jive, "bob@example.com")] == ["bob@example.com"]


# -- auth and the credential lifecycle --------------------------------------------------------------


def test_tenant_creation_returns_admin_basic_credentials(jive: ScimTenant) -> None:
    shown = jive.credentials
    assert shown["type"] == "basic"
    assert shown["username"] == "admin"
    assert shown["profile"] == "System Administrator"
    assert shown["authorization"] == basic("admin", shown["password"])
    entra_test_connection(jive)


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic " + "!!!", "Bearer nope", "Basic YWRtaW46d3Jvbmc="],  # the last: admin:wrong
    ids=["missing", "garbled", "unknown-token", "wrong-password"],
)
def test_bad_credentials_answer_401_with_both_schemes(jive: ScimTenant, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = jive.client.get(f"{jive.base}/Users", headers=headers)
    assert_scim_error(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert 'Basic realm="jive/acme"' in challenge and 'Bearer realm="jive/acme"' in challenge


def test_account_without_system_administrator_profile_gets_403(client: FlaskClient, jive: ScimTenant) -> None:
    created = client.post(
        f"{CONTROL}/credentials", json={"username": "bob", "password": "pw", "profile": "Standard User"}
    )
    assert created.status_code == 201
    assert created.get_json()["authorization"] == basic("bob", "pw")
    bob = with_auth(jive, basic("bob", "pw"))
    body = assert_scim_error(bob.get("/Users"), 403)
    assert "System Administrator" in body["detail"]
    assert_scim_error(with_auth(jive, basic("bob", "wrong")).get("/Users"), 401)


def test_second_system_administrator_account_works(client: FlaskClient, jive: ScimTenant) -> None:
    created = client.post(f"{CONTROL}/credentials", json={"username": "ops", "password": "s3cret"})
    assert created.get_json()["profile"] == "System Administrator"
    entra_test_connection(with_auth(jive, basic("ops", "s3cret")))


def test_reissuing_for_an_existing_account_changes_its_password(
    client: FlaskClient, jive: ScimTenant
) -> None:
    response = client.post(f"{CONTROL}/credentials", json={"username": "admin"})
    assert response.status_code == 201
    new = response.get_json()
    assert new["password"] != jive.credentials["password"]
    assert_scim_error(jive.get("/Users"), 401)
    entra_test_connection(with_auth(jive, new["authorization"]))
    accounts = client.get(f"{CONTROL}/credentials").get_json()["accounts"]
    assert accounts == [{"username": "admin", "role": "System Administrator", "active": True}]


def test_changing_an_accounts_profile_takes_effect(client: FlaskClient, jive: ScimTenant) -> None:
    client.post(
        f"{CONTROL}/credentials", json={"username": "admin", "password": "pw", "profile": "Standard User"}
    )
    assert_scim_error(with_auth(jive, basic("admin", "pw")).get("/Users"), 403)


def test_disabled_account_is_refused_until_enabled(client: FlaskClient, jive: ScimTenant) -> None:
    assert client.post(f"{CONTROL}/accounts/admin/deactivate").get_json()["active"] is False
    body = assert_scim_error(jive.get("/Users"), 401)
    assert "disabled" in body["detail"]
    client.post(f"{CONTROL}/accounts/admin/activate")
    entra_test_connection(jive)


def test_user_security_token_lifecycle(client: FlaskClient, jive: ScimTenant) -> None:
    issued = client.post(f"{CONTROL}/credentials", json={"style": "bearer"})
    assert issued.status_code == 201
    token = issued.get_json()
    assert token["type"] == "user security token"
    assert token["authorization"] == f"Bearer {token['token']}"
    bearer = with_auth(jive, token["authorization"])
    entra_test_connection(bearer)
    entra_test_connection(jive)  # Basic keeps working beside it

    listing = client.get(f"{CONTROL}/credentials").get_json()
    assert [c["label"] for c in listing["credentials"]] == ["user security token"]
    assert token["token"] not in client.get(f"{CONTROL}/credentials").get_data(as_text=True)
    assert token["token"] not in client.get(CONTROL).get_data(as_text=True)

    rotated = client.post(f"{CONTROL}/credentials", json={"style": "bearer", "rotate": True}).get_json()
    assert "revoked" in assert_scim_error(bearer.get("/Users"), 401)["detail"]
    fresh = with_auth(jive, rotated["authorization"])
    entra_test_connection(fresh)

    client.post(f"{CONTROL}/credentials/{rotated['id']}/revoke")
    assert_scim_error(fresh.get("/Users"), 401)


def test_credentials_of_one_tenant_do_not_open_another(make_tenant: MakeTenant) -> None:
    acme = make_tenant("jive", "acme")
    globex = make_tenant("jive", "globex")
    assert_scim_error(with_auth(globex, acme.authorization).get("/Users"), 401)


# -- quirks ---------------------------------------------------------------------------------------


def test_delete_disables_by_default(jive: ScimTenant) -> None:
    assert jive.created["options"]["delete"] == "deactivate"
    user = jive.create_user("ada@example.com", active=True)
    assert jive.delete(f"/Users/{user['id']}").status_code == 204
    kept = jive.get(f"/Users/{user['id']}")
    assert kept.status_code == 200
    assert kept.get_json()["active"] is False
    assert [u["active"] for u in find_user(jive, "ada@example.com")] == [False]
    reactivated = jive.patch(f"/Users/{user['id']}", entra_patch(("Replace", "active", "True")))
    assert reactivated.get_json()["active"] is True


def test_delete_remove_quirk_removes(make_tenant: MakeTenant) -> None:
    jive = make_tenant("jive", "acme", options={"delete": "remove"})
    user = jive.create_user("ada@example.com")
    assert jive.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(jive.get(f"/Users/{user['id']}"), 404)
    assert find_user(jive, "ada@example.com") == []


def test_strict_patch_dialect_refuses_entra_forms(make_tenant: MakeTenant) -> None:
    jive = make_tenant("jive", "acme", options={"patch_dialect": "strict"})
    user = jive.create_user("ada@example.com", active=True)
    assert_scim_error(jive.patch(f"/Users/{user['id']}", entra_patch(("Replace", "active", False))), 400)
    assert_scim_error(jive.patch(f"/Users/{user['id']}", entra_patch(("replace", "active", "False"))), 400)
    ok = jive.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert ok.get_json()["active"] is False


def test_unknown_option_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/_emulator/tenants", json={"vendor": "jive", "name": "acme", "options": {"nope": 1}}
    )
    assert response.status_code == 400
    assert "nope" in response.get_json()["detail"]


# -- Microsoft Entra ID -------------------------------------------------------------------------


def test_entra_flow(jive: ScimTenant) -> None:
    entra_test_connection(jive)

    assert find_user(jive, "ada@example.com") == []
    created = jive.post("/Users", entra_user("ada@example.com"))
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert user["active"] is True and user["displayName"] == "Ada Lovelace"
    assert_scim_error(jive.post("/Users", entra_user("ADA@example.com")), 409, "uniqueness")
    assert [u["id"] for u in find_user(jive, "ada@example.com")] == [user["id"]]

    patched = jive.patch(
        f"/Users/{user['id']}",
        entra_patch(
            ("Replace", 'emails[type eq "work"].value', "ada.lovelace@example.com"),
            ("Replace", "name.familyName", "King"),
            ("Add", "displayName", "Ada King"),
        ),
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["emails"] == [{"type": "work", "value": "ada.lovelace@example.com", "primary": True}]
    assert body["name"]["familyName"] == "King" and body["displayName"] == "Ada King"

    disabled = jive.patch(f"/Users/{user['id']}", entra_patch(("Replace", "active", "False")))
    assert disabled.get_json()["active"] is False
    again = jive.get(f"/Users/{user['id']}")
    assert again.status_code == 200 and again.get_json()["active"] is False


def test_entra_flow_with_a_user_security_token(client: FlaskClient, jive: ScimTenant) -> None:
    token = client.post(f"{CONTROL}/credentials", json={"style": "bearer"}).get_json()
    entra = with_auth(jive, token["authorization"])
    entra_test_connection(entra)
    assert entra.post("/Users", entra_user("ada@example.com")).status_code == 201


# -- Okta -----------------------------------------------------------------------------------------


def test_okta_flow(jive: ScimTenant) -> None:
    assert okta_import_page(jive)["totalResults"] == 0

    assert find_user(jive, "grace@example.com", startIndex=1, count=100) == []
    created = jive.post("/Users", okta_user("grace@example.com"), headers=OKTA_HEADERS)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert "password" not in user and "groups" not in user and "locale" not in user
    assert_scim_error(jive.post("/Users", okta_user("grace@example.com")), 409)
    assert okta_import_page(jive)["totalResults"] == 1

    current = jive.get(f"/Users/{user['id']}").get_json()
    current["displayName"] = "Rear Admiral Hopper"
    current["name"]["familyName"] = "Murray Hopper"
    replaced = jive.put(f"/Users/{user['id']}", current, headers=OKTA_HEADERS)
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json()["displayName"] == "Rear Admiral Hopper"
    assert replaced.get_json()["name"]["familyName"] == "Murray Hopper"

    deactivated = jive.patch(f"/Users/{user['id']}", [{"op": "replace", "value": {"active": False}}])
    assert deactivated.status_code == 200
    assert jive.get(f"/Users/{user['id']}").get_json()["active"] is False

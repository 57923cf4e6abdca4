"""Thrive LXP (seed 004): every attribute-table row, the SCIM token, case-sensitive userName, manager, flows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator.vendors import thrive
from tests.conftest import ENTERPRISE, GROUP, USER, ScimTenant, assert_scim_error
from tests.vendors.conftest import (
    ADSCIM_GROUP,
    MALFORMED_ENTERPRISE,
    OKTA_AGENT,
    Row,
    assert_group_row_round_trips,
    assert_members_row_round_trips,
    credentials_of,
    entra_test_connection,
    fetch,
    listed,
    parse_stamp,
    stored,
)

MakeTenant = Callable[..., ScimTenant]
CONTROL = "/_emulator/tenants/thrive/acme"
MANAGER = f"{ENTERPRISE}:manager"

# seed 004, the user table, copied by hand: the vendor module must say the same
SEED_USER_ROWS = (
    "userName",
    "title",
    "active",
    'emails[type eq "work"].value',
    "preferredLanguage",
    "name.givenName",
    "name.familyName",
    "timezone",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
)
SEED_GROUP_ROWS = ("displayName", "externalId", "members")

# every row: what Entra sends on POST, its PATCH, and the JSON a GET returns afterwards;
# BOSS_1 and BOSS_2 stand for the ids of two users of the tenant (a manager must be one)
USER_ROWS: dict[str, Row] = {
    "userName": Row({"userName": "Row.User"}, "Replace", "Renamed.User", {"userName": "Renamed.User"}),
    "title": Row({"title": "Analyst"}, "Replace", "Countess", {"title": "Countess"}),
    "active": Row({"active": True}, "Replace", "False", {"active": False}),
    'emails[type eq "work"].value': Row(
        {"emails": [{"primary": True, "type": "work", "value": "ada@work.example"}]},
        "Replace",
        "ada@work2.example",
        {"emails": [{"primary": True, "type": "work", "value": "ada@work2.example"}]},
    ),
    "preferredLanguage": Row(
        {"preferredLanguage": "en-GB"}, "Replace", "fr-FR", {"preferredLanguage": "fr-FR"}
    ),
    "name.givenName": Row(
        {"name": {"givenName": "Ada"}}, "Replace", "Augusta", {"name": {"givenName": "Augusta"}}
    ),
    "name.familyName": Row(
        {"name": {"familyName": "Byron"}}, "Replace", "King", {"name": {"familyName": "King"}}
    ),
    "timezone": Row({"timezone": "Europe/London"}, "Replace", "Europe/Paris", {"timezone": "Europe/Paris"}),
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": Row(
        {ENTERPRISE: {"manager": {"value": "BOSS_1"}}},
        "Add",
        [{"$ref": None, "value": "BOSS_2"}],
        {ENTERPRISE: {"manager": {"value": "BOSS_2"}}},
    ),
}

GROUP_ROWS: dict[str, Row] = {
    "displayName": Row({"displayName": "Engineers"}, "Replace", "Builders", {"displayName": "Builders"}),
    "externalId": Row({"externalId": "g-ext-1"}, "Replace", "g-ext-2", {"externalId": "g-ext-2"}),
}

# attributes and types outside the table: dropped by default, 400 with unknown_attributes=reject
OUTSIDE_TABLE: dict[str, dict[str, Any]] = {
    "externalId": {"externalId": "ada"},
    "displayName": {"displayName": "Ada Lovelace"},
    "nickName": {"nickName": "Ada"},
    "userType": {"userType": "Employee"},
    "locale": {"locale": "en-GB"},
    "profileUrl": {"profileUrl": "https://example.com/ada"},
    "password": {"password": "Secret-1234"},
    "phoneNumbers": {"phoneNumbers": [{"type": "work", "value": "+44 20 0000 0001"}]},
    "addresses": {"addresses": [{"type": "work", "locality": "Leeds"}]},
    "roles": {"roles": [{"value": "admin"}]},
    "name.formatted": {"name": {"formatted": "Ada Lovelace"}},
    "name.middleName": {"name": {"middleName": "Augusta"}},
    "email type home": {"emails": [{"type": "home", "value": "ada@home.example"}]},
    "email type other": {"emails": [{"type": "other", "value": "ada@other.example"}]},
    "enterprise department": {ENTERPRISE: {"department": "Mathematics"}},
    "enterprise employeeNumber": {ENTERPRISE: {"employeeNumber": "1815"}},
}


def expected_user(user_name: str, fragment: dict[str, Any]) -> dict[str, Any]:
    """The whole stored user: core schema (+ enterprise when present), userName, the fragment."""
    schemas = [USER, ENTERPRISE] if ENTERPRISE in fragment else [USER]
    return {"schemas": schemas, "userName": user_name, **fragment}


def substitute(document: Any, ids: dict[str, str]) -> Any:
    """``document`` with each placeholder (BOSS_1 ...) replaced by a real id."""
    text = json.dumps(document)
    for placeholder, value in ids.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


@pytest.fixture
def thrive_tenant(make_tenant: MakeTenant) -> ScimTenant:
    """A Thrive LXP tenant with default options."""
    return make_tenant("thrive", "acme")


# -- the attribute table ----------------------------------------------------------------------


def test_vendor_tables_are_the_seed_tables() -> None:
    assert thrive.USER_TABLE == SEED_USER_ROWS
    assert thrive.GROUP_TABLE == SEED_GROUP_ROWS
    assert set(USER_ROWS) == set(SEED_USER_ROWS)
    assert set(GROUP_ROWS) | {"members"} == set(SEED_GROUP_ROWS)


@pytest.mark.parametrize("row", thrive.USER_TABLE)
def test_user_row_round_trips_through_entra_post_patch_and_get(thrive_tenant: ScimTenant, row: str) -> None:
    ids = {
        "BOSS_1": thrive_tenant.create_user("boss.one")["id"],
        "BOSS_2": thrive_tenant.create_user("boss.two")["id"],
    }
    case = USER_ROWS[row]
    sent = substitute(case.sent, ids)
    body = {"schemas": [USER, ENTERPRISE], "userName": "Row.User", "meta": {"resourceType": "User"}, **sent}
    created = thrive_tenant.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert stored(user) == expected_user("Row.User", sent)
    assert fetch(thrive_tenant, "/Users", user["id"]) == user

    operation = {"op": case.op, "path": row, "value": substitute(case.value, ids)}
    response = thrive_tenant.patch(f"/Users/{user['id']}", [operation])
    assert response.status_code == 200, response.get_json()
    after = fetch(thrive_tenant, "/Users", user["id"])
    assert response.get_json() == after
    assert stored(after) == expected_user("Row.User", substitute(case.patched, ids))


@pytest.mark.parametrize("row", [r for r in thrive.GROUP_TABLE if r != "members"])
def test_group_row_round_trips_through_entra_post_patch_and_get(thrive_tenant: ScimTenant, row: str) -> None:
    assert_group_row_round_trips(thrive_tenant, row, GROUP_ROWS[row])


def test_group_members_row_round_trips(thrive_tenant: ScimTenant) -> None:
    assert_members_row_round_trips(thrive_tenant, "Ada", "Bob")


def test_full_user_table_in_one_body(thrive_tenant: ScimTenant) -> None:
    boss = thrive_tenant.create_user("Grace")
    body = {
        "schemas": [USER, ENTERPRISE],
        "userName": "Ada",
        "title": "Analyst",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": "ada@work.example"}],
        "preferredLanguage": "en-GB",
        "name": {"givenName": "Ada", "familyName": "Byron"},
        "timezone": "Europe/London",
        ENTERPRISE: {"manager": {"value": boss["id"]}},
    }
    created = thrive_tenant.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    assert stored(fetch(thrive_tenant, "/Users", created.get_json()["id"])) == body


# -- outside the table ------------------------------------------------------------------------


@pytest.mark.parametrize("extra", OUTSIDE_TABLE.values(), ids=OUTSIDE_TABLE.keys())
def test_outside_the_table_is_dropped_by_default(thrive_tenant: ScimTenant, extra: dict[str, Any]) -> None:
    created = thrive_tenant.post("/Users", {"schemas": [USER, ENTERPRISE], "userName": "Ada", **extra})
    assert created.status_code == 201, created.get_json()
    assert stored(fetch(thrive_tenant, "/Users", created.get_json()["id"])) == expected_user("Ada", {})


@pytest.mark.parametrize("extra", OUTSIDE_TABLE.values(), ids=OUTSIDE_TABLE.keys())
def test_outside_the_table_is_rejected_when_configured(
    make_tenant: MakeTenant, extra: dict[str, Any]
) -> None:
    tenant = make_tenant("thrive", "acme", options={"unknown_attributes": "reject"})
    response = tenant.post("/Users", {"schemas": [USER, ENTERPRISE], "userName": "Ada", **extra})
    assert_scim_error(response, 400, "invalidValue")
    assert listed(tenant, "/Users")["totalResults"] == 0


def test_email_type_outside_the_table_by_patch(make_tenant: MakeTenant) -> None:
    operation = {"op": "Add", "path": 'emails[type eq "home"].value', "value": "ada@home.example"}
    lenient = make_tenant("thrive", "acme")
    user = lenient.create_user("Ada")
    assert lenient.patch(f"/Users/{user['id']}", [operation]).status_code == 200
    assert "emails" not in fetch(lenient, "/Users", user["id"])
    strict = make_tenant("thrive", "globex", options={"unknown_attributes": "reject"})
    user = strict.create_user("Ada")
    assert_scim_error(strict.patch(f"/Users/{user['id']}", [operation]), 400, "invalidValue")


def test_group_description_outside_the_table(make_tenant: MakeTenant) -> None:
    lenient = make_tenant("thrive", "acme")
    response = lenient.post("/Groups", {"schemas": [GROUP], "displayName": "Ops", "description": "x"})
    assert response.status_code == 201
    assert stored(response.get_json()) == {"schemas": [GROUP], "displayName": "Ops"}
    strict = make_tenant("thrive", "globex", options={"unknown_attributes": "reject"})
    response = strict.post("/Groups", {"schemas": [GROUP], "displayName": "Ops", "description": "x"})
    assert_scim_error(response, 400, "invalidValue")


# -- userName: case-sensitive, unique in Thrive's words ---------------------------------------------


def test_username_is_case_sensitive(thrive_tenant: ScimTenant) -> None:
    upper = thrive_tenant.create_user("Bob")
    lower = thrive_tenant.create_user("bob")
    assert upper["id"] != lower["id"]
    assert listed(thrive_tenant, '/Users?filter=userName eq "BOB"')["totalResults"] == 0
    found = listed(thrive_tenant, '/Users?filter=userName eq "Bob"')
    assert [u["id"] for u in found["Resources"]] == [upper["id"]]
    found = listed(thrive_tenant, '/Users?filter=userName eq "bob"')
    assert [u["id"] for u in found["Resources"]] == [lower["id"]]
    # renaming one onto the other's exact name collides; onto another case does not
    response = thrive_tenant.patch(
        f"/Users/{lower['id']}", [{"op": "Replace", "path": "userName", "value": "Bob"}]
    )
    assert_scim_error(response, 409, "uniqueness")
    response = thrive_tenant.patch(
        f"/Users/{lower['id']}", [{"op": "Replace", "path": "userName", "value": "BOB"}]
    )
    assert response.status_code == 200


def test_duplicate_username_has_thrives_message(thrive_tenant: ScimTenant) -> None:
    thrive_tenant.create_user("Bob")
    body = assert_scim_error(
        thrive_tenant.post("/Users", {"schemas": [USER], "userName": "Bob"}), 409, "uniqueness"
    )
    assert body["detail"] == "user has already been provisioned"
    other = thrive_tenant.create_user("Carol")
    response = thrive_tenant.put(f"/Users/{other['id']}", {"schemas": [USER], "userName": "Bob"})
    body = assert_scim_error(response, 409, "uniqueness")
    assert body["detail"] == "user has already been provisioned"


def test_duplicate_group_is_not_a_user_message(thrive_tenant: ScimTenant) -> None:
    thrive_tenant.create_group("Engineers")
    response = thrive_tenant.post("/Groups", {"schemas": [GROUP], "displayName": "Engineers"})
    body = assert_scim_error(response, 409, "uniqueness")
    assert body["detail"] != "user has already been provisioned"


# -- manager: a reference to a user of the tenant ---------------------------------------------------


def test_manager_must_be_a_user_of_the_tenant(make_tenant: MakeTenant) -> None:
    tenant = make_tenant("thrive", "acme")
    elsewhere = make_tenant("thrive", "globex").create_user("Grace")
    boss = tenant.create_user("Grace")
    group = tenant.create_group("Managers")
    for unknown in ("00000000-0000-4000-8000-000000000000", elsewhere["id"], group["id"]):
        body = {"schemas": [USER, ENTERPRISE], "userName": "Ada", ENTERPRISE: {"manager": {"value": unknown}}}
        response = tenant.post("/Users", body)
        assert_scim_error(response, 400, "invalidValue")
        assert unknown in response.get_json()["detail"]
    ada = tenant.create_user("Ada")
    for value in (
        [{"value": "00000000-0000-4000-8000-000000000000"}],
        "00000000-0000-4000-8000-000000000000",
    ):
        response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Add", "path": MANAGER, "value": value}])
        assert_scim_error(response, 400, "invalidValue")
    put = {
        "schemas": [USER, ENTERPRISE],
        "userName": "Ada",
        ENTERPRISE: {"manager": {"value": elsewhere["id"]}},
    }
    assert_scim_error(tenant.put(f"/Users/{ada['id']}", put), 400, "invalidValue")
    assert stored(fetch(tenant, "/Users", ada["id"])) == expected_user("Ada", {})

    # a user of the tenant is accepted in every form
    for value in ([{"$ref": None, "value": boss["id"]}], boss["id"], {"value": boss["id"]}):
        response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Add", "path": MANAGER, "value": value}])
        assert response.status_code == 200, response.get_json()
        assert response.get_json()[ENTERPRISE] == {"manager": {"value": boss["id"]}}


def test_manager_reference_holds_in_the_strict_dialect(make_tenant: MakeTenant) -> None:
    tenant = make_tenant("thrive", "acme", options={"patch_dialect": "strict"})
    boss = tenant.create_user("Grace")
    ada = tenant.create_user("Ada")
    unknown = {"op": "add", "path": MANAGER, "value": {"value": "00000000-0000-4000-8000-000000000000"}}
    assert_scim_error(tenant.patch(f"/Users/{ada['id']}", [unknown]), 400, "invalidValue")
    known = {"op": "add", "path": MANAGER, "value": {"value": boss["id"]}}
    assert tenant.patch(f"/Users/{ada['id']}", [known]).status_code == 200


# -- filters and required attributes ------------------------------------------------------------


def test_only_username_and_displayname_eq_are_filterable(thrive_tenant: ScimTenant) -> None:
    thrive_tenant.create_user("Ada", title="Analyst", emails=[{"type": "work", "value": "ada@work.example"}])
    thrive_tenant.create_group("Engineers", externalId="eng")
    assert listed(thrive_tenant, '/Users?filter=userName eq "Ada"')["totalResults"] == 1
    assert listed(thrive_tenant, '/Groups?filter=displayName eq "Engineers"')["totalResults"] == 1
    for query in (
        '/Users?filter=externalId eq "ada"',
        '/Users?filter=title eq "Analyst"',
        '/Users?filter=emails[type eq "work"].value eq "ada@work.example"',
        '/Users?filter=userName sw "A"',
        "/Users?filter=active eq true",
        '/Groups?filter=externalId eq "eng"',
        '/Groups?filter=displayName sw "Eng"',
    ):
        assert_scim_error(thrive_tenant.get(query), 400, "invalidFilter")


def test_unsupported_filters_ignored_when_configured(make_tenant: MakeTenant) -> None:
    tenant = make_tenant("thrive", "acme", options={"unsupported_filters": "ignore"})
    tenant.create_user("Ada", title="Analyst")
    tenant.create_user("Bob")
    assert listed(tenant, '/Users?filter=title eq "Analyst"')["totalResults"] == 2
    assert listed(tenant, '/Users?filter=userName eq "Bob"')["totalResults"] == 1


def test_missing_required_attributes(thrive_tenant: ScimTenant) -> None:
    response = thrive_tenant.post("/Users", {"schemas": [USER], "title": "Analyst"})
    assert "userName" in assert_scim_error(response, 400, "invalidValue")["detail"]
    response = thrive_tenant.post("/Groups", {"schemas": [GROUP], "externalId": "eng"})
    assert "displayName" in assert_scim_error(response, 400, "invalidValue")["detail"]


# -- the SCIM token ------------------------------------------------------------------------------


def test_creation_shows_the_scim_token_once(thrive_tenant: ScimTenant) -> None:
    shown = thrive_tenant.credentials
    assert set(shown) == {"id", "type", "token", "authorization"}
    assert shown["type"] == "SCIM token"
    assert shown["authorization"] == f"Bearer {shown['token']}"


def test_scim_token_is_issued_by_the_control_plane(client: FlaskClient, thrive_tenant: ScimTenant) -> None:
    token = thrive_tenant.authorization.removeprefix("Bearer ")
    assert thrive_tenant.credentials["type"] == "SCIM token"
    (state,) = credentials_of(client, "thrive", "acme")
    assert token not in json.dumps(state)
    assert state["id"] == thrive_tenant.credentials["id"]
    assert (state["type"], state["label"], state["validity_days"], state["expires_at"], state["state"]) == (
        "bearer",
        "SCIM token",
        None,
        None,
        "active",
    )
    assert state["last_used_at"] is None
    assert thrive_tenant.get("/Users").status_code == 200
    assert credentials_of(client, "thrive", "acme")[0]["last_used_at"] is not None


def test_a_fixed_token_can_be_given(make_tenant: MakeTenant) -> None:
    tenant = make_tenant("thrive", "acme", credentials={"token": "thrive-support-issued-token"})
    assert tenant.authorization == "Bearer thrive-support-issued-token"
    assert tenant.get("/Users").status_code == 200


def test_another_token_keeps_the_first_unless_rotating(
    client: FlaskClient, thrive_tenant: ScimTenant
) -> None:
    second = client.post(f"{CONTROL}/credentials", json={})
    assert second.status_code == 201
    headers = {"Authorization": second.get_json()["authorization"]}
    assert thrive_tenant.get("/Users").status_code == 200
    assert thrive_tenant.get("/Users", headers=headers).status_code == 200
    third = client.post(f"{CONTROL}/credentials", json={"rotate": True})
    assert third.status_code == 201
    assert_scim_error(thrive_tenant.get("/Users"), 401)
    assert_scim_error(thrive_tenant.get("/Users", headers=headers), 401)
    assert (
        thrive_tenant.get("/Users", headers={"Authorization": third.get_json()["authorization"]}).status_code
        == 200
    )
    states = [c["state"] for c in credentials_of(client, "thrive", "acme")]
    assert states == ["revoked", "revoked", "active"]


def test_scim_token_has_no_validity_in_days(client: FlaskClient, thrive_tenant: ScimTenant) -> None:
    assert_scim_error(client.post(f"{CONTROL}/credentials", json={"validity_days": 7}), 400, "invalidValue")
    response = client.patch(
        f"{CONTROL}/credentials/{thrive_tenant.credentials['id']}", json={"validity_days": 7}
    )
    assert_scim_error(response, 400, "invalidValue")
    response = client.post(
        "/_emulator/tenants", json={"vendor": "thrive", "name": "globex", "credentials": {"validity_days": 7}}
    )
    assert_scim_error(response, 400, "invalidValue")


def test_revoked_expired_and_wrong_tokens_are_refused(client: FlaskClient, make_tenant: MakeTenant) -> None:
    tenant = make_tenant("thrive", "acme")
    response = tenant.get("/Users", headers={"Authorization": "Bearer not-the-token"})
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="thrive/acme"'
    assert_scim_error(
        tenant.get(
            "/Users", headers={"Authorization": f"Basic {tenant.authorization.removeprefix('Bearer ')}"}
        ),
        401,
    )
    britive = make_tenant("britive", "acme")
    assert_scim_error(tenant.get("/Users", headers={"Authorization": britive.authorization}), 401)

    assert client.post(f"{CONTROL}/credentials/{tenant.credentials['id']}/expire").status_code == 200
    assert "expired" in assert_scim_error(tenant.get("/Users"), 401)["detail"]
    second = client.post(f"{CONTROL}/credentials", json={})
    headers = {"Authorization": second.get_json()["authorization"]}
    assert tenant.get("/Users", headers=headers).status_code == 200
    assert client.post(f"{CONTROL}/credentials/{second.get_json()['id']}/revoke").status_code == 200
    assert "revoked" in assert_scim_error(tenant.get("/Users", headers=headers), 401)["detail"]


def test_token_with_an_expiry(client: FlaskClient, thrive_tenant: ScimTenant) -> None:
    """Emulator-defined: a token may carry an expiry (``expires_in`` seconds)."""
    response = client.post(f"{CONTROL}/credentials", json={"expires_in": 3600})
    assert response.status_code == 201
    assert response.get_json()["expires_at"].endswith("Z")
    headers = {"Authorization": response.get_json()["authorization"]}
    assert thrive_tenant.get("/Users", headers=headers).status_code == 200
    (_, state) = credentials_of(client, "thrive", "acme")
    issued = parse_stamp(state["created_at"])
    assert parse_stamp(state["expires_at"]) == issued + timedelta(seconds=3600)
    assert_scim_error(client.post(f"{CONTROL}/credentials", json={"expires_in": -1}), 400, "invalidValue")


# -- quirks on and off -----------------------------------------------------------------------------


def test_default_options(client: FlaskClient, thrive_tenant: ScimTenant) -> None:
    assert client.get(CONTROL).get_json()["options"] == {
        "unknown_attributes": "ignore",
        "unsupported_filters": "reject",
        "patch_dialect": "lenient",
        "unknown_members": "ignore",
        "patch_response": "resource",
        "delete": "remove",
    }


def test_patch_dialect_quirk(make_tenant: MakeTenant) -> None:
    lenient = make_tenant("thrive", "acme")
    strict = make_tenant("thrive", "globex", options={"patch_dialect": "strict"})
    entra = [{"op": "Replace", "path": "active", "value": "False"}]
    rfc = [{"op": "replace", "path": "active", "value": False}]
    user = lenient.create_user("Ada", active=True)
    assert lenient.patch(f"/Users/{user['id']}", entra).status_code == 200
    user = strict.create_user("Ada", active=True)
    assert_scim_error(strict.patch(f"/Users/{user['id']}", entra), 400, "invalidSyntax")
    assert_scim_error(
        strict.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": "False"}]),
        400,
        "invalidValue",
    )
    assert strict.patch(f"/Users/{user['id']}", rfc).status_code == 200
    assert fetch(strict, "/Users", user["id"])["active"] is False


def test_unknown_members_quirk(make_tenant: MakeTenant) -> None:
    ghost = [{"value": "00000000-0000-4000-8000-000000000000"}]
    lenient = make_tenant("thrive", "acme")
    group = lenient.create_group("Ops")
    response = lenient.patch(f"/Groups/{group['id']}", [{"op": "Add", "path": "members", "value": ghost}])
    assert response.status_code == 200
    assert "members" not in fetch(lenient, "/Groups", group["id"])
    strict = make_tenant("thrive", "globex", options={"unknown_members": "reject"})
    group = strict.create_group("Ops")
    response = strict.patch(f"/Groups/{group['id']}", [{"op": "Add", "path": "members", "value": ghost}])
    assert_scim_error(response, 400, "invalidValue")


def test_delete_quirk(make_tenant: MakeTenant) -> None:
    removing = make_tenant("thrive", "acme")
    user = removing.create_user("Ada", active=True)
    assert removing.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(removing.get(f"/Users/{user['id']}"), 404)
    deactivating = make_tenant("thrive", "globex", options={"delete": "deactivate"})
    user = deactivating.create_user("Ada", active=True)
    assert deactivating.delete(f"/Users/{user['id']}").status_code == 204
    assert fetch(deactivating, "/Users", user["id"])["active"] is False


# -- Microsoft Entra ID ----------------------------------------------------------------------


def test_entra_flow(thrive_tenant: ScimTenant) -> None:
    tenant = thrive_tenant
    entra_test_connection(tenant)
    boss = tenant.create_user("grace@contoso.com")

    # match, then create with the whole Entra body; what is outside Thrive's table is dropped
    assert listed(tenant, '/Users?filter=userName eq "ada@contoso.com"')["totalResults"] == 0
    body = {
        "schemas": [USER, MALFORMED_ENTERPRISE],
        "externalId": "ada",
        "userName": "ada@contoso.com",
        "active": True,
        "displayName": "Ada Lovelace",
        "title": None,
        "emails": [{"primary": True, "type": "work", "value": "ada@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "preferredLanguage": "en-GB",
        "roles": [],
        MALFORMED_ENTERPRISE: {"department": "Mathematics"},
        ENTERPRISE: {"manager": {"value": boss["id"]}},
    }
    created = tenant.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    ada = created.get_json()
    assert stored(ada) == {
        "schemas": [USER, ENTERPRISE],
        "userName": "ada@contoso.com",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": "ada@contoso.com"}],
        "name": {"familyName": "Lovelace", "givenName": "Ada"},
        "preferredLanguage": "en-GB",
        ENTERPRISE: {"manager": {"value": boss["id"]}},
    }
    body_409 = assert_scim_error(tenant.post("/Users", body), 409, "uniqueness")
    assert body_409["detail"] == "user has already been provisioned"
    found = listed(tenant, '/Users?filter=userName eq "ada@contoso.com"')
    assert [u["id"] for u in found["Resources"]] == [ada["id"]]

    # the Replace dialect: capitalised ops, "False", value-filter paths
    response = tenant.patch(
        f"/Users/{ada['id']}",
        [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada.king@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "King"},
            {"op": "Add", "path": "title", "value": "Countess"},
            {"op": "Replace", "path": "timezone", "value": "Europe/London"},
        ],
    )
    assert response.status_code == 200, response.get_json()
    assert stored(response.get_json()) == {
        "schemas": [USER, ENTERPRISE],
        "userName": "ada@contoso.com",
        "active": False,
        "title": "Countess",
        "timezone": "Europe/London",
        "emails": [{"primary": True, "type": "work", "value": "ada.king@contoso.com"}],
        "name": {"familyName": "King", "givenName": "Ada"},
        "preferredLanguage": "en-GB",
        ENTERPRISE: {"manager": {"value": boss["id"]}},
    }
    assert listed(tenant, '/Users?filter=userName eq "ada@contoso.com"')["Resources"][0]["active"] is False

    # manager: Add as a list, then as a plain string; an unknown one is refused
    other = tenant.create_user("charles@contoso.com")
    manager_ref = {
        "$ref": f"http://localhost/t/thrive/acme/scim/v2/Users/{other['id']}",
        "value": other["id"],
    }
    response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Add", "path": MANAGER, "value": [manager_ref]}])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()[ENTERPRISE]["manager"] == manager_ref
    response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Add", "path": MANAGER, "value": boss["id"]}])
    assert response.status_code == 200, response.get_json()
    assert fetch(tenant, "/Users", ada["id"])[ENTERPRISE]["manager"] == {"value": boss["id"]}
    response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Add", "path": MANAGER, "value": "not-a-user"}])
    assert_scim_error(response, 400, "invalidValue")

    # groups: created empty with the ADSCIM URN, matched without members, members by value array
    query = '/Groups?excludedAttributes=members&filter=displayName eq "Engineers"'
    assert listed(tenant, query)["totalResults"] == 0
    created = tenant.post(
        "/Groups",
        {"schemas": [GROUP, ADSCIM_GROUP], "displayName": "Engineers", "externalId": "eng", "members": []},
    )
    assert created.status_code == 201, created.get_json()
    group = created.get_json()
    assert stored(group) == {"schemas": [GROUP], "displayName": "Engineers", "externalId": "eng"}
    members = [{"$ref": None, "value": ada["id"]}, {"$ref": None, "value": boss["id"]}]
    response = tenant.patch(f"/Groups/{group['id']}", [{"op": "Add", "path": "members", "value": members}])
    assert response.status_code in (200, 204)
    found = listed(tenant, query)
    assert [stored(g) for g in found["Resources"]] == [
        {"schemas": [GROUP], "displayName": "Engineers", "externalId": "eng"}
    ]
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": boss["id"]}, {"value": ada["id"]}]
    remove = [{"op": "Remove", "path": "members", "value": [{"value": ada["id"]}]}]
    assert tenant.patch(f"/Groups/{group['id']}", remove).status_code in (200, 204)
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": boss["id"]}]

    # hard delete
    assert tenant.delete(f"/Users/{ada['id']}").status_code == 204
    assert_scim_error(tenant.get(f"/Users/{ada['id']}"), 404)


def test_entra_flow_with_aad_opt_flag(thrive_tenant: ScimTenant) -> None:
    tenant = thrive_tenant
    boss = tenant.create_user("Grace")
    user = tenant.create_user("Ada", active=True)
    operation = {
        "op": "replace",
        "value": {"name.givenName": "Ada", MANAGER: {"value": boss["id"]}, "active": False},
    }
    response = tenant.patch(f"/Users/{user['id']}?aadOptscim062020", [operation])
    assert response.status_code == 200, response.get_json()
    assert stored(fetch(tenant, "/Users", user["id"])) == expected_user(
        "Ada", {"active": False, "name": {"givenName": "Ada"}, ENTERPRISE: {"manager": {"value": boss["id"]}}}
    )
    group = tenant.create_group("Engineers", members=[user["id"]])
    remove = [{"op": "remove", "path": f'members[value eq "{user["id"]}"]'}]
    assert tenant.patch(f"/Groups/{group['id']}?aadOptscim062020", remove).status_code == 200
    assert "members" not in fetch(tenant, "/Groups", group["id"])


# -- Okta ------------------------------------------------------------------------------------


def test_okta_flow(thrive_tenant: ScimTenant) -> None:
    tenant = thrive_tenant
    for name in ("Zed", "amy", "Bob"):
        tenant.create_user(name)
    page = listed(tenant, "/Users?startIndex=1&count=2", headers=OKTA_AGENT)
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 1, 2)
    assert [u["userName"] for u in page["Resources"]] == ["Zed", "amy"]
    page = listed(tenant, "/Users?startIndex=3&count=2", headers=OKTA_AGENT)
    assert [u["userName"] for u in page["Resources"]] == ["Bob"]
    groups = listed(tenant, "/Groups?startIndex=1&count=100", headers=OKTA_AGENT)
    assert (groups["totalResults"], groups["itemsPerPage"], groups["Resources"]) == (0, 0, [])

    query = '/Users?filter=userName eq "Ada.Lovelace"&startIndex=1&count=100'
    assert listed(tenant, query, headers=OKTA_AGENT)["totalResults"] == 0
    body = {
        "schemas": [USER],
        "userName": "Ada.Lovelace",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": True, "value": "ada@example.com", "type": "work"}],
        "displayName": "Ada Lovelace",
        "locale": "en-US",
        "externalId": "00u1abcd",
        "groups": [],
        "password": "Secret-1234",
        "active": True,
    }
    created = tenant.post("/Users", body, headers=OKTA_AGENT)
    assert created.status_code == 201, created.get_json()
    ada = created.get_json()
    expected = {
        "schemas": [USER],
        "userName": "Ada.Lovelace",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"primary": True, "value": "ada@example.com", "type": "work"}],
        "active": True,
    }
    assert stored(ada) == expected
    assert_scim_error(tenant.post("/Users", body, headers=OKTA_AGENT), 409, "uniqueness")
    assert listed(tenant, query, headers=OKTA_AGENT)["totalResults"] == 1

    # GET, then a full PUT
    current = fetch(tenant, "/Users", ada["id"])
    current["name"]["familyName"] = "King"
    current["title"] = "Countess"
    response = tenant.put(f"/Users/{ada['id']}", current, headers=OKTA_AGENT)
    assert response.status_code == 200, response.get_json()
    assert stored(fetch(tenant, "/Users", ada["id"])) == {
        **expected,
        "name": {"givenName": "Ada", "familyName": "King"},
        "title": "Countess",
    }

    # deactivate with a path-less replace
    deactivate = [{"op": "replace", "value": {"active": False}}]
    assert tenant.patch(f"/Users/{ada['id']}", deactivate, headers=OKTA_AGENT).status_code == 200
    assert fetch(tenant, "/Users", ada["id"])["active"] is False

    # groups: PATCH replace with {id, displayName}, members added, removed by value filter, replaced
    bob = listed(tenant, '/Users?filter=userName eq "Bob"')["Resources"][0]
    group = tenant.create_group("Okta Group")
    rename = {"op": "replace", "value": {"id": group["id"], "displayName": "Okta Renamed"}}
    response = tenant.patch(f"/Groups/{group['id']}", [rename], headers=OKTA_AGENT)
    assert response.status_code == 200, response.get_json()
    assert fetch(tenant, "/Groups", group["id"])["displayName"] == "Okta Renamed"
    add = {
        "op": "add",
        "path": "members",
        "value": [{"value": ada["id"], "display": "Ada.Lovelace"}, {"value": bob["id"]}],
    }
    assert tenant.patch(f"/Groups/{group['id']}", [rename, add], headers=OKTA_AGENT).status_code == 200
    # members are listed in the order their users were created (Bob before Ada)
    assert fetch(tenant, "/Groups", group["id"])["members"] == [
        {"value": bob["id"]},
        {"value": ada["id"], "display": "Ada.Lovelace"},
    ]
    remove = {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}
    assert tenant.patch(f"/Groups/{group['id']}", [rename, remove], headers=OKTA_AGENT).status_code == 200
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": bob["id"]}]
    replace = {"op": "replace", "path": "members", "value": [{"value": ada["id"]}]}
    assert tenant.patch(f"/Groups/{group['id']}", [replace], headers=OKTA_AGENT).status_code == 200
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": ada["id"]}]
    groups = listed(tenant, "/Groups?startIndex=1&count=100", headers=OKTA_AGENT)
    assert [g["displayName"] for g in groups["Resources"]] == ["Okta Renamed"]

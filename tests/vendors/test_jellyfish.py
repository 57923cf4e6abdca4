"""Jellyfish (seed 003): an expiring API key, then "Authorize" as an OAuth 2.0 authorization-code grant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

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
CONTROL = "/_emulator/tenants/jellyfish/acme"
OAUTH = "/t/jellyfish/acme/oauth"
REDIRECT = "https://portal.example/cb"
AUTHORIZE = {"response_type": "code", "client_id": "entra", "redirect_uri": REDIRECT, "state": "xyz"}

# seed 003, "Attribute-Mapping" table, row by row (userName and active "Required by Jellyfish")
ROWS = (
    Row("userName", "ada@example.com", "ada.l@example.com", "ada.lovelace@example.com"),
    Row("active", True, False, "True", expected_patched=True),
    Row("title", "Analyst", "Engineer", "Countess"),
    Row('emails[type eq "work"].value', "ada@example.com", "ada@work.example", "lovelace@work.example"),
    Row("name.givenName", "Ada", "Augusta", "Ada"),
    Row("name.familyName", "Byron", "King", "Lovelace"),
)


@pytest.fixture
def jellyfish(make_tenant: MakeTenant) -> ScimTenant:
    return make_tenant("jellyfish", "acme")


def base_user(row: str, value: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [USER], "userName": "base@example.com", "active": True}
    return put_row(body, row, value)


def sign_in(client: FlaskClient, username: str, password: str, **overrides: str) -> TestResponse:
    """Submit the Authorize page's form."""
    form = {**AUTHORIZE, **overrides, "username": username, "password": password}
    return client.post(f"{OAUTH}/authorize", data=form)


def code_from(response: TestResponse) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def token(client: FlaskClient, **form: str) -> TestResponse:
    return client.post(f"{OAUTH}/token", data=form)


def authorize(client: FlaskClient, jellyfish: ScimTenant) -> dict[str, Any]:
    """The whole Authorize step: sign in as the tenant admin, trade the code for tokens."""
    code = code_from(sign_in(client, "admin", jellyfish.credentials["password"]))
    response = token(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


# -- the attribute table --------------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_every_table_row_round_trips_through_post_get_put_patch(jellyfish: ScimTenant, row: Row) -> None:
    assert_row_round_trips(jellyfish, row, base_user)


def test_schemas_serve_exactly_the_table_with_required_flags(jellyfish: ScimTenant) -> None:
    schemas = listed(jellyfish.get("/Schemas"))
    assert [s["id"] for s in schemas] == [USER]
    attributes = {a["name"]: a for a in schemas[0]["attributes"]}
    assert set(attributes) == {"userName", "active", "title", "emails", "name"}
    assert {name for name, a in attributes.items() if a["required"]} == {"userName", "active"}
    email_type = next(s for s in attributes["emails"]["subAttributes"] if s["name"] == "type")
    assert email_type["canonicalValues"] == ["work"]


def test_users_only_no_groups(jellyfish: ScimTenant) -> None:
    assert [t["name"] for t in listed(jellyfish.get("/ResourceTypes"))] == ["User"]
    assert_scim_error(jellyfish.get("/Groups"), 404)
    assert_scim_error(jellyfish.get("/ResourceTypes/Group"), 404)


def test_service_provider_config_names_bearer(jellyfish: ScimTenant) -> None:
    schemes = jellyfish.get("/ServiceProviderConfig").get_json()["authenticationSchemes"]
    assert [s["type"] for s in schemes] == ["oauthbearertoken"]


# -- required attributes --------------------------------------------------------------------------


def test_missing_required_attributes_are_named(jellyfish: ScimTenant) -> None:
    body = assert_scim_error(jellyfish.post("/Users", {"schemas": [USER]}), 400, "invalidValue")
    assert "userName" in body["detail"] and "active" in body["detail"]
    body = assert_scim_error(
        jellyfish.post("/Users", {"schemas": [USER], "userName": "a"}), 400, "invalidValue"
    )
    assert "active" in body["detail"] and "userName" not in body["detail"]
    assert find_user(jellyfish, "a") == []


def test_put_without_active_is_refused_and_patch_cannot_remove_it(jellyfish: ScimTenant) -> None:
    user = jellyfish.create_user("ada@example.com", active=True)
    body = assert_scim_error(
        jellyfish.put(f"/Users/{user['id']}", {"schemas": [USER], "userName": "ada@example.com"}), 400
    )
    assert "active" in body["detail"]
    assert_scim_error(jellyfish.patch(f"/Users/{user['id']}", entra_patch(("Remove", "active", None))), 400)
    assert jellyfish.get(f"/Users/{user['id']}").get_json()["active"] is True


# -- attributes outside the table -----------------------------------------------------------------


def test_attributes_outside_the_table_are_neither_stored_nor_returned(jellyfish: ScimTenant) -> None:
    body = entra_user("ada@example.com")
    body["emails"].append({"type": "home", "value": "ada@home.example"})
    created = jellyfish.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    for user in (created.get_json(), jellyfish.get(f"/Users/{created.get_json()['id']}").get_json()):
        assert user["schemas"] == [USER]
        for dropped in ("externalId", "displayName", "roles", "nickName", ENTERPRISE):
            assert dropped not in user
        assert user["title"] == "Engineer"
        assert user["emails"] == [{"type": "work", "value": "ada@example.com", "primary": True}]


def test_patch_of_an_attribute_outside_the_table_is_ignored(jellyfish: ScimTenant) -> None:
    user = jellyfish.create_user("ada@example.com", active=True)
    response = jellyfish.patch(f"/Users/{user['id']}", entra_patch(("Replace", "displayName", "Ada")))
    assert response.status_code == 200, response.get_json()
    assert "displayName" not in response.get_json()


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"displayName": "Ada"}, "displayName"),
        ({"emails": [{"type": "home", "value": "a@home.example"}]}, "home"),
        ({"externalId": "x"}, "externalId"),
    ],
)
def test_reject_quirk_answers_400(make_tenant: MakeTenant, extra: dict[str, Any], named: str) -> None:
    jellyfish = make_tenant("jellyfish", "acme", options={"unknown_attributes": "reject"})
    body = {"schemas": [USER], "userName": "a", "active": True, **extra}
    assert named in assert_scim_error(jellyfish.post("/Users", body), 400, "invalidValue")["detail"]
    assert jellyfish.post("/Users", {"schemas": [USER], "userName": "a", "active": True}).status_code == 201


# -- filters --------------------------------------------------------------------------------------


def test_only_user_name_eq_is_filterable(jellyfish: ScimTenant) -> None:
    jellyfish.create_user("ada@example.com", active=True, title="Analyst")
    assert len(find_user(jellyfish, "Ada@Example.com")) == 1
    for expression in ('title eq "Analyst"', "active eq true", 'emails[type eq "work"].value eq "a"'):
        assert_scim_error(jellyfish.get("/Users", query_string={"filter": expression}), 400, "invalidFilter")


def test_unsupported_filters_ignore_quirk(make_tenant: MakeTenant) -> None:
    jellyfish = make_tenant("jellyfish", "acme", options={"unsupported_filters": "ignore"})
    jellyfish.create_user("ada@example.com", active=True, title="Analyst")
    jellyfish.create_user("bob@example.com", active=True, title="Clerk")
    assert len(listed(jellyfish.get("/Users", query_string={"filter": 'title eq "Analyst"'}))) == 2


# -- auth: API keys -------------------------------------------------------------------------------


def test_tenant_creation_returns_a_key_and_the_admin_password(jellyfish: ScimTenant) -> None:
    shown = jellyfish.credentials
    assert shown["type"] == "api_key"
    assert shown["admin_account"] == "admin"
    assert shown["password"]
    assert shown["expires_at"] is None
    assert shown["authorization"] == f"Bearer {shown['key']}"
    entra_test_connection(jellyfish)


def test_key_with_expiry_works_until_it_expires(client: FlaskClient, jellyfish: ScimTenant) -> None:
    issued = client.post(f"{CONTROL}/credentials", json={"expires_in": 60})
    assert issued.status_code == 201
    key = issued.get_json()
    assert key["expires_at"] is not None and "password" not in key  # the admin exists already
    keyed = with_auth(jellyfish, key["authorization"])
    entra_test_connection(keyed)

    expired = client.post(f"{CONTROL}/credentials/{key['id']}/expire").get_json()
    assert expired["state"] == "expired"
    response = keyed.get("/Users")
    body = assert_scim_error(response, 401)
    assert "expired" in body["detail"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="jellyfish/acme"'
    entra_test_connection(jellyfish)  # the key without expiry still works


@pytest.mark.parametrize("expires_in", [0, -5, "60", True])
def test_bad_expiry_is_refused(client: FlaskClient, jellyfish: ScimTenant, expires_in: Any) -> None:
    response = client.post(f"{CONTROL}/credentials", json={"expires_in": expires_in})
    assert_scim_error(response, 400, "invalidValue")


def test_updating_an_expired_key(client: FlaskClient, jellyfish: ScimTenant) -> None:
    client.post(f"{CONTROL}/credentials/{jellyfish.credentials['id']}/expire")
    assert_scim_error(jellyfish.get("/Users"), 401)
    fresh = client.post(f"{CONTROL}/credentials", json={"rotate": True}).get_json()
    entra_test_connection(with_auth(jellyfish, fresh["authorization"]))
    states = [c["state"] for c in client.get(f"{CONTROL}/credentials").get_json()["credentials"]]
    assert states == ["revoked", "active"]


def test_key_is_never_shown_again(client: FlaskClient, jellyfish: ScimTenant) -> None:
    for url in (CONTROL, f"{CONTROL}/credentials"):
        text = client.get(url).get_data(as_text=True)
        assert jellyfish.credentials["key"] not in text
        assert jellyfish.credentials["password"] not in text


def test_revoked_or_unknown_key_is_401(client: FlaskClient, jellyfish: ScimTenant) -> None:
    assert_scim_error(with_auth(jellyfish, "Bearer nope").get("/Users"), 401)
    client.post(f"{CONTROL}/credentials/{jellyfish.credentials['id']}/revoke")
    assert "revoked" in assert_scim_error(jellyfish.get("/Users"), 401)["detail"]


def test_access_tokens_are_not_issued_by_the_control_plane(
    client: FlaskClient, jellyfish: ScimTenant
) -> None:
    assert_scim_error(client.post(f"{CONTROL}/credentials", json={"style": "oauth"}), 400, "invalidValue")


# -- auth: the Authorize step (OAuth 2.0 authorization code) --------------------------------------


def test_authorize_page_is_a_sign_in_form(client: FlaskClient, jellyfish: ScimTenant) -> None:
    response = client.get(f"{OAUTH}/authorize", query_string=AUTHORIZE)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<form method="post"' in page and 'name="password"' in page
    assert f'value="{REDIRECT}"' in page and 'value="xyz"' in page


def test_authorization_code_flow_gives_tokens_scim_accepts(
    client: FlaskClient, jellyfish: ScimTenant
) -> None:
    tokens = authorize(client, jellyfish)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]
    oauth = with_auth(jellyfish, f"Bearer {tokens['access_token']}")
    entra_test_connection(oauth)
    assert oauth.post("/Users", {"schemas": [USER], "userName": "a", "active": True}).status_code == 201
    entra_test_connection(jellyfish)  # the API key keeps working beside the token


def test_wrong_password_gets_the_page_again_with_401(client: FlaskClient, jellyfish: ScimTenant) -> None:
    for username, password in (("admin", "wrong"), ("nobody", jellyfish.credentials["password"])):
        response = sign_in(client, username, password)
        assert response.status_code == 401
        assert "Location" not in response.headers
        assert "Wrong user name or password" in response.get_data(as_text=True)


def test_disabled_admin_cannot_authorize_and_its_tokens_stop(
    client: FlaskClient, jellyfish: ScimTenant
) -> None:
    tokens = authorize(client, jellyfish)
    client.post(f"{CONTROL}/accounts/admin/deactivate")
    assert sign_in(client, "admin", jellyfish.credentials["password"]).status_code == 401
    assert_scim_error(with_auth(jellyfish, f"Bearer {tokens['access_token']}").get("/Users"), 401)
    assert_scim_error(jellyfish.get("/Users"), 401)


def test_codes_are_single_use(client: FlaskClient, jellyfish: ScimTenant) -> None:
    code = code_from(sign_in(client, "admin", jellyfish.credentials["password"]))
    assert token(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code == 200
    again = token(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400
    assert again.get_json()["error"] == "invalid_grant"


def test_code_must_come_back_with_its_redirect_uri(client: FlaskClient, jellyfish: ScimTenant) -> None:
    code = code_from(sign_in(client, "admin", jellyfish.credentials["password"]))
    wrong = token(client, grant_type="authorization_code", code=code, redirect_uri="https://evil.example/cb")
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "username": "admin", "password": "x"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "made-up", "redirect_uri": REDIRECT}, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
    ],
)
def test_token_endpoint_errors_are_rfc6749(
    client: FlaskClient, jellyfish: ScimTenant, form: dict, error: str
) -> None:
    response = token(client, **form)
    assert response.status_code == 400
    assert response.get_json()["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "params",
    [
        {**AUTHORIZE, "response_type": "token"},
        {**AUTHORIZE, "client_id": ""},
        {**AUTHORIZE, "redirect_uri": "javascript:alert(1)"},
    ],
)
def test_bad_authorize_requests_are_400(client: FlaskClient, jellyfish: ScimTenant, params: dict) -> None:
    assert client.get(f"{OAUTH}/authorize", query_string=params).status_code == 400


def test_refresh_rotates_the_refresh_token(client: FlaskClient, jellyfish: ScimTenant) -> None:
    first = authorize(client, jellyfish)
    refreshed = token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert refreshed.status_code == 200
    second = refreshed.get_json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    entra_test_connection(with_auth(jellyfish, f"Bearer {second['access_token']}"))
    reused = token(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"


def test_expired_access_token_is_401(client: FlaskClient, jellyfish: ScimTenant) -> None:
    tokens = authorize(client, jellyfish)
    listing = client.get(f"{CONTROL}/credentials").get_json()["credentials"]
    (access,) = [c for c in listing if c["type"] == "access_token"]
    assert access["account"] == "admin" and access["state"] == "active"
    client.post(f"{CONTROL}/credentials/{access['id']}/expire")
    body = assert_scim_error(with_auth(jellyfish, f"Bearer {tokens['access_token']}").get("/Users"), 401)
    assert "expired" in body["detail"]
    assert tokens["access_token"] not in client.get(f"{CONTROL}/credentials").get_data(as_text=True)


def test_other_vendors_have_no_authorize_endpoint(client: FlaskClient, make_tenant: MakeTenant) -> None:
    make_tenant("jive", "acme")
    response = client.get("/t/jive/acme/oauth/authorize", query_string=AUTHORIZE)
    assert_scim_error(response, 404)


def test_token_of_another_tenant_is_refused(client: FlaskClient, make_tenant: MakeTenant) -> None:
    acme = make_tenant("jellyfish", "acme")
    globex = make_tenant("jellyfish", "globex")
    tokens = authorize(client, acme)
    assert_scim_error(with_auth(globex, f"Bearer {tokens['access_token']}").get("/Users"), 401)
    assert_scim_error(with_auth(globex, acme.authorization).get("/Users"), 401)


# -- quirks ---------------------------------------------------------------------------------------


def test_delete_removes_by_default_and_deactivate_keeps(
    make_tenant: MakeTenant, jellyfish: ScimTenant
) -> None:
    user = jellyfish.create_user("ada@example.com", active=True)
    assert jellyfish.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(jellyfish.get(f"/Users/{user['id']}"), 404)

    kept = make_tenant("jellyfish", "globex", options={"delete": "deactivate"})
    user = kept.create_user("ada@example.com", active=True)
    assert kept.delete(f"/Users/{user['id']}").status_code == 204
    assert kept.get(f"/Users/{user['id']}").get_json()["active"] is False


def test_strict_patch_dialect(make_tenant: MakeTenant) -> None:
    jellyfish = make_tenant("jellyfish", "acme", options={"patch_dialect": "strict"})
    user = jellyfish.create_user("ada@example.com", active=True)
    assert_scim_error(jellyfish.patch(f"/Users/{user['id']}", entra_patch(("Replace", "active", False))), 400)
    ok = jellyfish.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
    assert ok.get_json()["active"] is False


# -- Microsoft Entra ID -------------------------------------------------------------------------


def test_entra_flow_after_authorize(client: FlaskClient, jellyfish: ScimTenant) -> None:
    tokens = authorize(client, jellyfish)
    entra = with_auth(jellyfish, f"Bearer {tokens['access_token']}")
    entra_test_connection(entra)

    assert find_user(entra, "ada@example.com") == []
    created = entra.post("/Users", entra_user("ada@example.com"))
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert user["active"] is True and user["title"] == "Engineer"
    assert_scim_error(entra.post("/Users", entra_user("ada@example.com")), 409, "uniqueness")
    assert [u["id"] for u in find_user(entra, "ada@example.com")] == [user["id"]]

    patched = entra.patch(
        f"/Users/{user['id']}",
        entra_patch(
            ("Replace", 'emails[type eq "work"].value', "ada.lovelace@example.com"),
            ("Replace", "title", "Countess"),
            ("Replace", "name.givenName", "Augusta"),
        ),
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["title"] == "Countess" and body["name"]["givenName"] == "Augusta"
    assert read_row(body, 'emails[type eq "work"].value') == "ada.lovelace@example.com"

    disabled = entra.patch(f"/Users/{user['id']}", entra_patch(("Replace", "active", "False")))
    assert disabled.get_json()["active"] is False
    assert entra.get(f"/Users/{user['id']}").get_json()["active"] is False


# -- Okta -----------------------------------------------------------------------------------------


def test_okta_flow(jellyfish: ScimTenant) -> None:
    assert okta_import_page(jellyfish)["totalResults"] == 0
    assert find_user(jellyfish, "grace@example.com", startIndex=1, count=100) == []
    created = jellyfish.post("/Users", okta_user("grace@example.com"), headers=OKTA_HEADERS)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert "password" not in user and "groups" not in user and "externalId" not in user
    assert_scim_error(jellyfish.post("/Users", okta_user("grace@example.com")), 409)

    current = jellyfish.get(f"/Users/{user['id']}").get_json()
    current["title"] = "Rear Admiral"
    replaced = jellyfish.put(f"/Users/{user['id']}", current, headers=OKTA_HEADERS)
    assert replaced.status_code == 200, replaced.get_json()
    assert replaced.get_json()["title"] == "Rear Admiral"

    deactivated = jellyfish.patch(f"/Users/{user['id']}", [{"op": "replace", "value": {"active": False}}])
    assert deactivated.status_code == 200
    assert jellyfish.get(f"/Users/{user['id']}").get_json()["active"] is False
    assert okta_import_page(jellyfish)["totalResults"] == 1

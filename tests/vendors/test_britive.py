"""Britive (seed 002): every attribute-table row, the token lifecycle, scim_provider, Entra and Okta flows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator.models import utcnow
from emulator.vendors import britive
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
    set_last_used,
    stored,
)

MakeTenant = Callable[..., ScimTenant]
CONTROL = "/_emulator/tenants/britive/acme"
MANAGER = f"{ENTERPRISE}:manager"

# seed 002, the user table, copied by hand: the vendor module must say the same
SEED_USER_ROWS = (
    "userName",
    "active",
    "displayName",
    "title",
    "externalId",
    "preferredLanguage",
    "name.givenName",
    "name.familyName",
    "nickName",
    "userType",
    "locale",
    "timezone",
    'emails[type eq "home"].value',
    'emails[type eq "other"].value',
    'emails[type eq "work"].value',
    'phoneNumbers[type eq "home"].value',
    'phoneNumbers[type eq "other"].value',
    'phoneNumbers[type eq "pager"].value',
    'phoneNumbers[type eq "work"].value',
    'phoneNumbers[type eq "mobile"].value',
    'phoneNumbers[type eq "fax"].value',
    'addresses[type eq "work"].formatted',
    'addresses[type eq "work"].streetAddress',
    'addresses[type eq "work"].locality',
    'addresses[type eq "work"].region',
    'addresses[type eq "work"].postalCode',
    'addresses[type eq "work"].country',
    'addresses[type eq "home"].formatted',
    'addresses[type eq "home"].streetAddress',
    'addresses[type eq "home"].locality',
    'addresses[type eq "home"].region',
    'addresses[type eq "home"].postalCode',
    'addresses[type eq "home"].country',
    'addresses[type eq "other"].formatted',
    'addresses[type eq "other"].streetAddress',
    'addresses[type eq "other"].locality',
    'addresses[type eq "other"].region',
    'addresses[type eq "other"].postalCode',
    'addresses[type eq "other"].country',
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
)
SEED_GROUP_ROWS = ("displayName", "externalId", "members")

# every row: what Entra sends on POST, its PATCH, and the JSON a GET returns afterwards
USER_ROWS: dict[str, Row] = {
    "userName": Row(
        {"userName": "row@example.com"}, "Replace", "renamed@example.com", {"userName": "renamed@example.com"}
    ),
    "active": Row({"active": True}, "Replace", "False", {"active": False}),
    "displayName": Row({"displayName": "Ada Lovelace"}, "Replace", "Ada King", {"displayName": "Ada King"}),
    "title": Row({"title": "Analyst"}, "Replace", "Countess", {"title": "Countess"}),
    "externalId": Row({"externalId": "ext-1"}, "Replace", "ext-2", {"externalId": "ext-2"}),
    "preferredLanguage": Row(
        {"preferredLanguage": "en-GB"}, "Replace", "fr-FR", {"preferredLanguage": "fr-FR"}
    ),
    "name.givenName": Row(
        {"name": {"givenName": "Ada"}}, "Replace", "Augusta", {"name": {"givenName": "Augusta"}}
    ),
    "name.familyName": Row(
        {"name": {"familyName": "Byron"}}, "Replace", "King", {"name": {"familyName": "King"}}
    ),
    "nickName": Row({"nickName": "Ada"}, "Replace", "Countess", {"nickName": "Countess"}),
    "userType": Row({"userType": "Employee"}, "Replace", "Contractor", {"userType": "Contractor"}),
    "locale": Row({"locale": "en-GB"}, "Replace", "fr-FR", {"locale": "fr-FR"}),
    "timezone": Row({"timezone": "Europe/London"}, "Replace", "Europe/Paris", {"timezone": "Europe/Paris"}),
    'emails[type eq "home"].value': Row(
        {"emails": [{"type": "home", "value": "ada@home.example"}]},
        "Replace",
        "ada@home2.example",
        {"emails": [{"type": "home", "value": "ada@home2.example"}]},
    ),
    'emails[type eq "other"].value': Row(
        {"emails": [{"type": "other", "value": "ada@other.example"}]},
        "Replace",
        "ada@other2.example",
        {"emails": [{"type": "other", "value": "ada@other2.example"}]},
    ),
    'emails[type eq "work"].value': Row(
        {"emails": [{"primary": True, "type": "work", "value": "ada@work.example"}]},
        "Replace",
        "ada@work2.example",
        {"emails": [{"primary": True, "type": "work", "value": "ada@work2.example"}]},
    ),
    'phoneNumbers[type eq "home"].value': Row(
        {"phoneNumbers": [{"type": "home", "value": "+44 20 0000 0001"}]},
        "Replace",
        "+44 20 0000 0002",
        {"phoneNumbers": [{"type": "home", "value": "+44 20 0000 0002"}]},
    ),
    'phoneNumbers[type eq "other"].value': Row(
        {"phoneNumbers": [{"type": "other", "value": "+44 20 0000 0003"}]},
        "Replace",
        "+44 20 0000 0004",
        {"phoneNumbers": [{"type": "other", "value": "+44 20 0000 0004"}]},
    ),
    'phoneNumbers[type eq "pager"].value': Row(
        {"phoneNumbers": [{"type": "pager", "value": "+44 20 0000 0005"}]},
        "Replace",
        "+44 20 0000 0006",
        {"phoneNumbers": [{"type": "pager", "value": "+44 20 0000 0006"}]},
    ),
    'phoneNumbers[type eq "work"].value': Row(
        {"phoneNumbers": [{"primary": True, "type": "work", "value": "+44 20 0000 0007"}]},
        "Replace",
        "+44 20 0000 0008",
        {"phoneNumbers": [{"primary": True, "type": "work", "value": "+44 20 0000 0008"}]},
    ),
    'phoneNumbers[type eq "mobile"].value': Row(
        {"phoneNumbers": [{"type": "mobile", "value": "+44 7700 900001"}]},
        "Replace",
        "+44 7700 900002",
        {"phoneNumbers": [{"type": "mobile", "value": "+44 7700 900002"}]},
    ),
    'phoneNumbers[type eq "fax"].value': Row(
        {"phoneNumbers": [{"type": "fax", "value": "+44 20 0000 0009"}]},
        "Replace",
        "+44 20 0000 0010",
        {"phoneNumbers": [{"type": "fax", "value": "+44 20 0000 0010"}]},
    ),
    'addresses[type eq "work"].formatted': Row(
        {"addresses": [{"type": "work", "formatted": "1 Work St, Leeds"}]},
        "Replace",
        "2 Work St, Leeds",
        {"addresses": [{"type": "work", "formatted": "2 Work St, Leeds"}]},
    ),
    'addresses[type eq "work"].streetAddress': Row(
        {"addresses": [{"type": "work", "streetAddress": "1 Work St"}]},
        "Replace",
        "2 Work St",
        {"addresses": [{"type": "work", "streetAddress": "2 Work St"}]},
    ),
    'addresses[type eq "work"].locality': Row(
        {"addresses": [{"type": "work", "locality": "Leeds"}]},
        "Replace",
        "York",
        {"addresses": [{"type": "work", "locality": "York"}]},
    ),
    'addresses[type eq "work"].region': Row(
        {"addresses": [{"type": "work", "region": "West Yorkshire"}]},
        "Replace",
        "North Yorkshire",
        {"addresses": [{"type": "work", "region": "North Yorkshire"}]},
    ),
    'addresses[type eq "work"].postalCode': Row(
        {"addresses": [{"type": "work", "postalCode": "LS1 1AA"}]},
        "Replace",
        "YO1 7HH",
        {"addresses": [{"type": "work", "postalCode": "YO1 7HH"}]},
    ),
    'addresses[type eq "work"].country': Row(
        {"addresses": [{"type": "work", "country": "GB"}]},
        "Replace",
        "IE",
        {"addresses": [{"type": "work", "country": "IE"}]},
    ),
    'addresses[type eq "home"].formatted': Row(
        {"addresses": [{"type": "home", "formatted": "1 Home Rd, Bath"}]},
        "Replace",
        "2 Home Rd, Bath",
        {"addresses": [{"type": "home", "formatted": "2 Home Rd, Bath"}]},
    ),
    'addresses[type eq "home"].streetAddress': Row(
        {"addresses": [{"type": "home", "streetAddress": "1 Home Rd"}]},
        "Replace",
        "2 Home Rd",
        {"addresses": [{"type": "home", "streetAddress": "2 Home Rd"}]},
    ),
    'addresses[type eq "home"].locality': Row(
        {"addresses": [{"type": "home", "locality": "Bath"}]},
        "Replace",
        "Bristol",
        {"addresses": [{"type": "home", "locality": "Bristol"}]},
    ),
    'addresses[type eq "home"].region': Row(
        {"addresses": [{"type": "home", "region": "Somerset"}]},
        "Replace",
        "Avon",
        {"addresses": [{"type": "home", "region": "Avon"}]},
    ),
    'addresses[type eq "home"].postalCode': Row(
        {"addresses": [{"type": "home", "postalCode": "BA1 1AA"}]},
        "Replace",
        "BS1 1AA",
        {"addresses": [{"type": "home", "postalCode": "BS1 1AA"}]},
    ),
    'addresses[type eq "home"].country': Row(
        {"addresses": [{"type": "home", "country": "GB"}]},
        "Replace",
        "FR",
        {"addresses": [{"type": "home", "country": "FR"}]},
    ),
    'addresses[type eq "other"].formatted': Row(
        {"addresses": [{"type": "other", "formatted": "1 Other Ln, Hull"}]},
        "Replace",
        "2 Other Ln, Hull",
        {"addresses": [{"type": "other", "formatted": "2 Other Ln, Hull"}]},
    ),
    'addresses[type eq "other"].streetAddress': Row(
        {"addresses": [{"type": "other", "streetAddress": "1 Other Ln"}]},
        "Replace",
        "2 Other Ln",
        {"addresses": [{"type": "other", "streetAddress": "2 Other Ln"}]},
    ),
    'addresses[type eq "other"].locality': Row(
        {"addresses": [{"type": "other", "locality": "Hull"}]},
        "Replace",
        "Grimsby",
        {"addresses": [{"type": "other", "locality": "Grimsby"}]},
    ),
    'addresses[type eq "other"].region': Row(
        {"addresses": [{"type": "other", "region": "East Riding"}]},
        "Replace",
        "Lincolnshire",
        {"addresses": [{"type": "other", "region": "Lincolnshire"}]},
    ),
    'addresses[type eq "other"].postalCode': Row(
        {"addresses": [{"type": "other", "postalCode": "HU1 1AA"}]},
        "Replace",
        "DN31 1AA",
        {"addresses": [{"type": "other", "postalCode": "DN31 1AA"}]},
    ),
    'addresses[type eq "other"].country': Row(
        {"addresses": [{"type": "other", "country": "GB"}]},
        "Replace",
        "DE",
        {"addresses": [{"type": "other", "country": "DE"}]},
    ),
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": Row(
        {ENTERPRISE: {"employeeNumber": "1815"}}, "Replace", "1852", {ENTERPRISE: {"employeeNumber": "1852"}}
    ),
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter": Row(
        {ENTERPRISE: {"costCenter": "CC-1"}}, "Replace", "CC-2", {ENTERPRISE: {"costCenter": "CC-2"}}
    ),
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization": Row(
        {ENTERPRISE: {"organization": "Analytical"}},
        "Replace",
        "Engines",
        {ENTERPRISE: {"organization": "Engines"}},
    ),
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division": Row(
        {ENTERPRISE: {"division": "Research"}}, "Replace", "Poetry", {ENTERPRISE: {"division": "Poetry"}}
    ),
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": Row(
        {ENTERPRISE: {"department": "Mathematics"}},
        "Replace",
        "Engineering",
        {ENTERPRISE: {"department": "Engineering"}},
    ),
    # Entra adds a manager as a one-element list (CLIENTS.md); Britive does not check the id
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": Row(
        {ENTERPRISE: {"manager": {"value": "b5d1a7d0-0000-4000-8000-000000000001"}}},
        "Add",
        [{"$ref": None, "value": "b5d1a7d0-0000-4000-8000-000000000002"}],
        {ENTERPRISE: {"manager": {"value": "b5d1a7d0-0000-4000-8000-000000000002"}}},
    ),
}

GROUP_ROWS: dict[str, Row] = {
    "displayName": Row({"displayName": "Engineers"}, "Replace", "Builders", {"displayName": "Builders"}),
    "externalId": Row({"externalId": "g-ext-1"}, "Replace", "g-ext-2", {"externalId": "g-ext-2"}),
}

# attributes and types outside the table: dropped by default, 400 with unknown_attributes=reject
OUTSIDE_TABLE: dict[str, dict[str, Any]] = {
    "profileUrl": {"profileUrl": "https://example.com/ada"},
    "password": {"password": "Secret-1234"},
    "ims": {"ims": [{"type": "skype", "value": "ada.l"}]},
    "photos": {"photos": [{"type": "photo", "value": "https://example.com/ada.png"}]},
    "roles": {"roles": [{"value": "admin"}]},
    "entitlements": {"entitlements": [{"value": "vpn"}]},
    "x509Certificates": {"x509Certificates": [{"value": "TUlJQw=="}]},
    "name.middleName": {"name": {"middleName": "Augusta"}},
    "name.formatted": {"name": {"formatted": "Ada Lovelace"}},
    "emails.display": {"emails": [{"type": "work", "value": "ada@work.example", "display": "Ada"}]},
    "email type personal": {"emails": [{"type": "personal", "value": "ada@personal.example"}]},
    "phone type satellite": {"phoneNumbers": [{"type": "satellite", "value": "+881 0000"}]},
    "phone type main": {"phoneNumbers": [{"type": "main", "value": "+44 20 0000 0000"}]},
    "address type billing": {"addresses": [{"type": "billing", "locality": "Leeds"}]},
}


def expected_user(user_name: str, fragment: dict[str, Any]) -> dict[str, Any]:
    """The whole stored user: core schema (+ enterprise when present), userName, the fragment."""
    schemas = [USER, ENTERPRISE] if ENTERPRISE in fragment else [USER]
    return {"schemas": schemas, "userName": user_name, **fragment}


@pytest.fixture
def britive_tenant(make_tenant: MakeTenant) -> ScimTenant:
    """A Britive tenant with default options (scim_provider Azure)."""
    return make_tenant("britive", "acme")


# -- the attribute table ----------------------------------------------------------------------


def test_vendor_tables_are_the_seed_tables() -> None:
    assert britive.USER_TABLE == SEED_USER_ROWS
    assert britive.GROUP_TABLE == SEED_GROUP_ROWS
    assert set(USER_ROWS) == set(SEED_USER_ROWS)
    assert set(GROUP_ROWS) | {"members"} == set(SEED_GROUP_ROWS)


@pytest.mark.parametrize("row", britive.USER_TABLE)
def test_user_row_round_trips_through_entra_post_patch_and_get(britive_tenant: ScimTenant, row: str) -> None:
    case = USER_ROWS[row]
    body = {
        "schemas": [USER, ENTERPRISE],
        "userName": "row@example.com",
        "meta": {"resourceType": "User"},
        **case.sent,
    }
    created = britive_tenant.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert stored(user) == expected_user("row@example.com", case.sent)
    assert fetch(britive_tenant, "/Users", user["id"]) == user

    response = britive_tenant.patch(
        f"/Users/{user['id']}", [{"op": case.op, "path": row, "value": case.value}]
    )
    assert response.status_code == 200, response.get_json()
    after = fetch(britive_tenant, "/Users", user["id"])
    assert response.get_json() == after
    assert stored(after) == expected_user("row@example.com", case.patched)


@pytest.mark.parametrize("row", [r for r in britive.GROUP_TABLE if r != "members"])
def test_group_row_round_trips_through_entra_post_patch_and_get(britive_tenant: ScimTenant, row: str) -> None:
    assert_group_row_round_trips(britive_tenant, row, GROUP_ROWS[row])


def test_group_members_row_round_trips(britive_tenant: ScimTenant) -> None:
    assert_members_row_round_trips(britive_tenant, "ada@example.com", "bob@example.com")


def test_full_user_table_in_one_body(britive_tenant: ScimTenant) -> None:
    """Every row at once, with several types of each multi-valued attribute side by side."""
    body = {
        "schemas": [USER, ENTERPRISE],
        "userName": "ada@example.com",
        "active": True,
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "externalId": "ada",
        "preferredLanguage": "en-GB",
        "name": {"givenName": "Ada", "familyName": "Byron"},
        "nickName": "Ada",
        "userType": "Employee",
        "locale": "en-GB",
        "timezone": "Europe/London",
        "emails": [
            {"type": "home", "value": "ada@home.example"},
            {"type": "other", "value": "ada@other.example"},
            {"primary": True, "type": "work", "value": "ada@work.example"},
        ],
        "phoneNumbers": [
            {"type": "home", "value": "1"},
            {"type": "other", "value": "2"},
            {"type": "pager", "value": "3"},
            {"type": "work", "value": "4"},
            {"type": "mobile", "value": "5"},
            {"type": "fax", "value": "6"},
        ],
        "addresses": [
            {
                "type": kind,
                "formatted": f"1 {kind} St, Leeds LS1 1AA, GB",
                "streetAddress": f"1 {kind} St",
                "locality": "Leeds",
                "region": "West Yorkshire",
                "postalCode": "LS1 1AA",
                "country": "GB",
            }
            for kind in ("work", "home", "other")
        ],
        ENTERPRISE: {
            "employeeNumber": "1815",
            "costCenter": "CC-1",
            "organization": "Analytical",
            "division": "Research",
            "department": "Mathematics",
            "manager": {"value": "b5d1a7d0-0000-4000-8000-000000000001"},
        },
    }
    created = britive_tenant.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    assert stored(fetch(britive_tenant, "/Users", created.get_json()["id"])) == body


# -- outside the table ------------------------------------------------------------------------


@pytest.mark.parametrize("extra", OUTSIDE_TABLE.values(), ids=OUTSIDE_TABLE.keys())
def test_outside_the_table_is_dropped_by_default(britive_tenant: ScimTenant, extra: dict[str, Any]) -> None:
    created = britive_tenant.post("/Users", {"schemas": [USER], "userName": "ada@example.com", **extra})
    assert created.status_code == 201, created.get_json()
    user = fetch(britive_tenant, "/Users", created.get_json()["id"])
    # emails.display is dropped, the email itself is in the table and kept
    kept = {"emails": [{"type": "work", "value": "ada@work.example"}]} if "display" in str(extra) else {}
    assert stored(user) == expected_user("ada@example.com", kept)


@pytest.mark.parametrize("extra", OUTSIDE_TABLE.values(), ids=OUTSIDE_TABLE.keys())
def test_outside_the_table_is_rejected_when_configured(
    make_tenant: MakeTenant, extra: dict[str, Any]
) -> None:
    tenant = make_tenant("britive", "acme", options={"unknown_attributes": "reject"})
    response = tenant.post("/Users", {"schemas": [USER], "userName": "ada@example.com", **extra})
    assert_scim_error(response, 400, "invalidValue")
    assert listed(tenant, "/Users")["totalResults"] == 0


def test_unknown_phone_type_by_patch_is_dropped_or_rejected(make_tenant: MakeTenant) -> None:
    lenient = make_tenant("britive", "acme")
    strict = make_tenant("britive", "globex", options={"unknown_attributes": "reject"})
    operation = {"op": "Add", "path": 'phoneNumbers[type eq "satellite"].value', "value": "+881 0000"}
    for tenant in (lenient, strict):
        user = tenant.create_user("ada@example.com")
        response = tenant.patch(f"/Users/{user['id']}", [operation])
        if tenant is lenient:
            assert response.status_code == 200, response.get_json()
            assert "phoneNumbers" not in fetch(tenant, "/Users", user["id"])
        else:
            assert_scim_error(response, 400, "invalidValue")


def test_group_outside_the_table(make_tenant: MakeTenant) -> None:
    lenient = make_tenant("britive", "acme")
    group = lenient.post("/Groups", {"schemas": [GROUP], "displayName": "Ops", "description": "x"})
    assert group.status_code == 201
    assert stored(group.get_json()) == {"schemas": [GROUP], "displayName": "Ops"}
    strict = make_tenant("britive", "globex", options={"unknown_attributes": "reject"})
    response = strict.post("/Groups", {"schemas": [GROUP], "displayName": "Ops", "description": "x"})
    assert_scim_error(response, 400, "invalidValue")


# -- filters and required attributes ------------------------------------------------------------


def test_only_username_and_displayname_eq_are_filterable(britive_tenant: ScimTenant) -> None:
    ada = britive_tenant.create_user("ada@example.com", externalId="ada", displayName="Ada")
    britive_tenant.create_group("Engineers", externalId="eng")
    found = listed(britive_tenant, '/Users?filter=userName eq "ADA@example.com"')
    assert [u["id"] for u in found["Resources"]] == [ada["id"]]
    assert listed(britive_tenant, '/Groups?filter=displayName eq "Engineers"')["totalResults"] == 1
    for query in (
        '/Users?filter=externalId eq "ada"',
        '/Users?filter=displayName eq "Ada"',
        '/Users?filter=emails[type eq "work"].value eq "ada@example.com"',
        '/Users?filter=userName sw "ada"',
        "/Users?filter=active eq true",
        '/Groups?filter=externalId eq "eng"',
        '/Groups?filter=displayName co "Eng"',
    ):
        assert_scim_error(britive_tenant.get(query), 400, "invalidFilter")


def test_unsupported_filters_ignored_when_configured(make_tenant: MakeTenant) -> None:
    tenant = make_tenant("britive", "acme", options={"unsupported_filters": "ignore"})
    tenant.create_user("ada@example.com", externalId="ada")
    tenant.create_user("bob@example.com", externalId="bob")
    assert listed(tenant, '/Users?filter=externalId eq "ada"')["totalResults"] == 2
    assert listed(tenant, '/Users?filter=userName eq "bob@example.com"')["totalResults"] == 1


def test_missing_required_attributes(britive_tenant: ScimTenant) -> None:
    body = assert_scim_error(
        britive_tenant.post("/Users", {"schemas": [USER], "active": True}), 400, "invalidValue"
    )
    assert "userName" in body["detail"]
    body = assert_scim_error(britive_tenant.post("/Groups", {"schemas": [GROUP]}), 400, "invalidValue")
    assert "displayName" in body["detail"]


def test_username_is_unique_case_insensitively(britive_tenant: ScimTenant) -> None:
    britive_tenant.create_user("Ada@example.com")
    response = britive_tenant.post("/Users", {"schemas": [USER], "userName": "ada@EXAMPLE.com"})
    assert_scim_error(response, 409, "uniqueness")


# -- the token: validity, use, Re-Create, edit ---------------------------------------------------


@pytest.mark.parametrize(("given", "days"), [(None, 90), ({"validity_days": 7}, 7)])
def test_creation_shows_the_token_once_with_its_validity(
    make_tenant: MakeTenant, given: dict[str, Any] | None, days: int
) -> None:
    shown = make_tenant("britive", "acme", credentials=given).credentials
    assert set(shown) == {"id", "type", "token", "validity_days", "authorization"}
    assert (shown["type"], shown["validity_days"]) == ("token", days)
    assert shown["authorization"] == f"Bearer {shown['token']}"


def test_created_token_is_listed_with_default_validity_and_never_shown(
    client: FlaskClient, britive_tenant: ScimTenant
) -> None:
    token = britive_tenant.authorization.removeprefix("Bearer ")
    (listed_credential,) = credentials_of(client, "britive", "acme")
    assert "token" not in listed_credential and token not in str(listed_credential)
    assert listed_credential["id"] == britive_tenant.credentials["id"]
    assert listed_credential["validity_days"] == 90
    assert listed_credential["state"] == "active"
    # never used yet: the lapse counts from creation
    created = parse_stamp(listed_credential["created_at"])
    assert parse_stamp(listed_credential["expires_at"]) == created + timedelta(days=90)


def test_token_with_chosen_validity_at_creation(client: FlaskClient, make_tenant: MakeTenant) -> None:
    tenant = make_tenant("britive", "acme", credentials={"validity_days": 7})
    assert tenant.get("/Users").status_code == 200
    assert credentials_of(client, "britive", "acme")[0]["validity_days"] == 7


@pytest.mark.parametrize("days", [0, 91, -1, "30", 1.5, True])
def test_validity_out_of_range_is_refused_everywhere(
    client: FlaskClient, britive_tenant: ScimTenant, days: Any
) -> None:
    credential_id = britive_tenant.credentials["id"]
    response = client.post(
        "/_emulator/tenants",
        json={"vendor": "britive", "name": "globex", "credentials": {"validity_days": days}},
    )
    assert_scim_error(response, 400, "invalidValue")
    assert_scim_error(
        client.post(f"{CONTROL}/credentials", json={"validity_days": days}), 400, "invalidValue"
    )
    assert_scim_error(
        client.patch(f"{CONTROL}/credentials/{credential_id}", json={"validity_days": days}),
        400,
        "invalidValue",
    )
    # nothing changed: the old token still works with its old validity
    assert britive_tenant.get("/Users").status_code == 200
    assert credentials_of(client, "britive", "acme")[0]["validity_days"] == 90


def test_validity_cannot_be_removed(client: FlaskClient, britive_tenant: ScimTenant) -> None:
    """Britive tokens always have a validity of 1-90 days: null is not a validity."""
    credential_id = britive_tenant.credentials["id"]
    edited = client.patch(f"{CONTROL}/credentials/{credential_id}", json={"validity_days": None})
    recreated = client.post(f"{CONTROL}/credentials", json={"validity_days": None})
    assert (edited.status_code, recreated.status_code) == (400, 400)


@pytest.mark.parametrize("days", [1, 90])
def test_validity_bounds_are_accepted(client: FlaskClient, britive_tenant: ScimTenant, days: int) -> None:
    response = client.patch(
        f"{CONTROL}/credentials/{britive_tenant.credentials['id']}", json={"validity_days": days}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["validity_days"] == days


def test_use_records_last_use_and_moves_the_lapse_forward(
    app: Flask, client: FlaskClient, britive_tenant: ScimTenant
) -> None:
    credential_id = britive_tenant.credentials["id"]
    before = utcnow().replace(microsecond=0)
    assert britive_tenant.get("/Users").status_code == 200
    (state,) = credentials_of(client, "britive", "acme")
    used = parse_stamp(state["last_used_at"])
    assert before <= used <= utcnow()
    assert parse_stamp(state["expires_at"]) == used + timedelta(days=90)

    # used 10 days ago: a request now moves last use, and the lapse, to now
    set_last_used(app, credential_id, utcnow() - timedelta(days=10))
    assert parse_stamp(credentials_of(client, "britive", "acme")[0]["expires_at"]) < utcnow() + timedelta(
        days=81
    )
    assert britive_tenant.get("/Users").status_code == 200
    (state,) = credentials_of(client, "britive", "acme")
    assert parse_stamp(state["last_used_at"]) >= before
    assert parse_stamp(state["expires_at"]) >= before + timedelta(days=90)


def test_use_is_recorded_at_most_once_a_minute(
    app: Flask, client: FlaskClient, britive_tenant: ScimTenant
) -> None:
    moment = (utcnow() - timedelta(seconds=30)).replace(microsecond=0)
    set_last_used(app, britive_tenant.credentials["id"], moment)
    assert britive_tenant.get("/Users").status_code == 200
    assert parse_stamp(credentials_of(client, "britive", "acme")[0]["last_used_at"]) == moment


def test_token_lapses_when_unused_for_its_validity(
    app: Flask, client: FlaskClient, britive_tenant: ScimTenant
) -> None:
    credential_id = britive_tenant.credentials["id"]
    edited = client.patch(f"{CONTROL}/credentials/{credential_id}", json={"validity_days": 30})
    assert edited.status_code == 200
    assert edited.get_json()["validity_days"] == 30

    # unused for 29 days: still valid, and the use renews it
    set_last_used(app, credential_id, utcnow() - timedelta(days=29))
    assert britive_tenant.get("/Users").status_code == 200

    # unused for 31 days: lapsed; the failed attempt does not count as use
    set_last_used(app, credential_id, utcnow() - timedelta(days=31))
    (state,) = credentials_of(client, "britive", "acme")
    assert state["state"] == "expired"
    body = assert_scim_error(britive_tenant.get("/Users"), 401)
    assert "expired" in body["detail"]
    assert credentials_of(client, "britive", "acme")[0]["state"] == "expired"

    # shortening the validity can lapse a token too: 2 days unused, validity edited to 1
    recreated = client.post(f"{CONTROL}/credentials", json={})
    assert recreated.status_code == 201
    new_id = recreated.get_json()["id"]
    headers = {"Authorization": recreated.get_json()["authorization"]}
    set_last_used(app, new_id, utcnow() - timedelta(days=2))
    assert client.patch(f"{CONTROL}/credentials/{new_id}", json={"validity_days": 1}).status_code == 200
    assert_scim_error(britive_tenant.get("/Users", headers=headers), 401)


def test_expire_endpoint_lapses_the_token_now(client: FlaskClient, britive_tenant: ScimTenant) -> None:
    assert britive_tenant.get("/Users").status_code == 200
    response = client.post(f"{CONTROL}/credentials/{britive_tenant.credentials['id']}/expire")
    assert response.status_code == 200
    assert response.get_json()["state"] == "expired"
    response = britive_tenant.get("/Users")
    body = assert_scim_error(response, 401)
    assert "expired" in body["detail"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="britive/acme"'


def test_recreate_issues_a_new_token_and_revokes_the_old_at_once(
    client: FlaskClient, britive_tenant: ScimTenant
) -> None:
    old = britive_tenant.credentials
    response = client.post(f"{CONTROL}/credentials", json={"validity_days": 7})
    assert response.status_code == 201, response.get_json()
    new = response.get_json()
    assert new["authorization"] != old["authorization"]
    assert new["validity_days"] == 7
    body = assert_scim_error(britive_tenant.get("/Users"), 401)
    assert "revoked" in body["detail"]
    assert britive_tenant.get("/Users", headers={"Authorization": new["authorization"]}).status_code == 200
    states = {c["id"]: c for c in credentials_of(client, "britive", "acme")}
    assert states[old["id"]]["state"] == "revoked"
    assert states[old["id"]]["revoked_at"] is not None
    assert states[new["id"]]["state"] == "active"
    assert states[new["id"]]["validity_days"] == 7


def test_recreate_without_validity_uses_the_default(client: FlaskClient, britive_tenant: ScimTenant) -> None:
    response = client.post(f"{CONTROL}/credentials")
    assert response.status_code == 201
    assert response.get_json()["validity_days"] == 90


def test_revoke_and_wrong_token(client: FlaskClient, britive_tenant: ScimTenant) -> None:
    response = britive_tenant.get("/Users", headers={"Authorization": "Bearer not-the-token"})
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="britive/acme"'
    assert_scim_error(britive_tenant.get("/Users", headers={"Authorization": ""}), 401)
    assert client.post(f"{CONTROL}/credentials/{britive_tenant.credentials['id']}/revoke").status_code == 200
    assert_scim_error(britive_tenant.get("/Users"), 401)


def test_token_of_another_tenant_is_refused(make_tenant: MakeTenant) -> None:
    acme = make_tenant("britive", "acme")
    globex = make_tenant("britive", "globex")
    assert_scim_error(acme.get("/Users", headers={"Authorization": globex.authorization}), 401)


def test_discovery_needs_no_token(client: FlaskClient, britive_tenant: ScimTenant) -> None:
    for path in ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        assert client.get(britive_tenant.base + path).status_code == 200
    assert_scim_error(client.get(britive_tenant.base + "/Users"), 401)


# -- quirks: scim_provider and the shared switches ----------------------------------------------


ENTRA_PATCHES: dict[str, dict[str, Any]] = {
    "capitalised op": {"op": "Replace", "path": "displayName", "value": "Ada King"},
    "string boolean": {"op": "replace", "path": "active", "value": "False"},
    "manager as a plain string": {
        "op": "add",
        "path": MANAGER,
        "value": "b5d1a7d0-0000-4000-8000-000000000001",
    },
    "manager as a list": {
        "op": "add",
        "path": MANAGER,
        "value": [{"value": "b5d1a7d0-0000-4000-8000-000000000001"}],
    },
}


def test_scim_provider_defaults_to_azure(client: FlaskClient, britive_tenant: ScimTenant) -> None:
    options = client.get(CONTROL).get_json()["options"]
    assert options["scim_provider"] == "Azure"
    assert options["patch_dialect"] == "lenient"


@pytest.mark.parametrize("operation", ENTRA_PATCHES.values(), ids=ENTRA_PATCHES.keys())
def test_azure_provider_accepts_entra_patch_dialect(
    britive_tenant: ScimTenant, operation: dict[str, Any]
) -> None:
    user = britive_tenant.create_user("ada@example.com", active=True)
    response = britive_tenant.patch(f"/Users/{user['id']}", [operation])
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("operation", ENTRA_PATCHES.values(), ids=ENTRA_PATCHES.keys())
def test_generic_provider_rejects_entra_patch_dialect(
    make_tenant: MakeTenant, operation: dict[str, Any]
) -> None:
    tenant = make_tenant("britive", "acme", options={"scim_provider": "Generic"})
    user = tenant.create_user("ada@example.com", active=True)
    body = assert_scim_error(tenant.patch(f"/Users/{user['id']}", [operation]), 400)
    assert body["scimType"] in ("invalidSyntax", "invalidValue")
    assert stored(fetch(tenant, "/Users", user["id"])) == expected_user("ada@example.com", {"active": True})


def test_generic_provider_rejects_entra_member_ops_and_string_booleans_on_post(
    make_tenant: MakeTenant,
) -> None:
    tenant = make_tenant("britive", "acme", options={"scim_provider": "Generic"})
    user = tenant.create_user("ada@example.com")
    group = tenant.create_group("Engineers")
    for op in ("Add", "Remove"):
        operation = {"op": op, "path": "members", "value": [{"value": user["id"]}]}
        assert_scim_error(tenant.patch(f"/Groups/{group['id']}", [operation]), 400, "invalidSyntax")
    response = tenant.post("/Users", {"schemas": [USER], "userName": "bob@example.com", "active": "True"})
    assert_scim_error(response, 400, "invalidValue")


def test_generic_provider_accepts_rfc_patch(make_tenant: MakeTenant, client: FlaskClient) -> None:
    tenant = make_tenant("britive", "acme", options={"scim_provider": "Generic"})
    options = client.get(CONTROL).get_json()["options"]
    assert options == {**options, "scim_provider": "Generic", "patch_dialect": "strict"}
    boss = tenant.create_user("boss@example.com")
    user = tenant.create_user(
        "ada@example.com", active=True, emails=[{"type": "work", "value": "ada@work.example"}]
    )
    operations = [
        {"op": "replace", "path": "active", "value": False},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ada@new.example"},
        {"op": "add", "path": MANAGER, "value": {"value": boss["id"]}},
        {"op": "replace", "value": {"displayName": "Ada", f"{ENTERPRISE}:department": "R&D"}},
    ]
    response = tenant.patch(f"/Users/{user['id']}", operations)
    assert response.status_code == 200, response.get_json()
    assert stored(response.get_json()) == expected_user(
        "ada@example.com",
        {
            "active": False,
            "displayName": "Ada",
            "emails": [{"type": "work", "value": "ada@new.example"}],
            ENTERPRISE: {"manager": {"value": boss["id"]}, "department": "R&D"},
        },
    )
    group = tenant.create_group("Engineers")
    response = tenant.patch(
        f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": [{"value": user["id"]}]}]
    )
    assert response.status_code == 200
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": user["id"]}]
    response = tenant.patch(
        f"/Groups/{group['id']}", [{"op": "remove", "path": f'members[value eq "{user["id"]}"]'}]
    )
    assert response.status_code == 200
    assert "members" not in fetch(tenant, "/Groups", group["id"])


def test_explicit_patch_dialect_overrides_the_provider(make_tenant: MakeTenant) -> None:
    lenient = make_tenant("britive", "acme", options={"scim_provider": "Generic", "patch_dialect": "lenient"})
    strict = make_tenant("britive", "globex", options={"scim_provider": "Azure", "patch_dialect": "strict"})
    operation = ENTRA_PATCHES["string boolean"]
    user = lenient.create_user("ada@example.com", active=True)
    assert lenient.patch(f"/Users/{user['id']}", [operation]).status_code == 200
    user = strict.create_user("ada@example.com", active=True)
    assert_scim_error(strict.patch(f"/Users/{user['id']}", [operation]), 400, "invalidValue")


def test_unknown_members_quirk(make_tenant: MakeTenant) -> None:
    ghost = {"value": "00000000-0000-4000-8000-000000000000"}
    lenient = make_tenant("britive", "acme")
    group = lenient.post("/Groups", {"schemas": [GROUP], "displayName": "Ops", "members": [ghost]})
    assert group.status_code == 201
    assert "members" not in group.get_json()
    strict = make_tenant("britive", "globex", options={"unknown_members": "reject"})
    response = strict.post("/Groups", {"schemas": [GROUP], "displayName": "Ops", "members": [ghost]})
    assert_scim_error(response, 400, "invalidValue")


def test_delete_quirk(make_tenant: MakeTenant) -> None:
    removing = make_tenant("britive", "acme")
    user = removing.create_user("ada@example.com", active=True)
    assert removing.delete(f"/Users/{user['id']}").status_code == 204
    assert_scim_error(removing.get(f"/Users/{user['id']}"), 404)
    deactivating = make_tenant("britive", "globex", options={"delete": "deactivate"})
    user = deactivating.create_user("ada@example.com", active=True)
    assert deactivating.delete(f"/Users/{user['id']}").status_code == 204
    assert fetch(deactivating, "/Users", user["id"])["active"] is False


# -- Microsoft Entra ID ----------------------------------------------------------------------


def test_entra_flow(britive_tenant: ScimTenant) -> None:
    tenant = britive_tenant
    entra_test_connection(tenant)
    boss = tenant.create_user("grace@contoso.com")

    # match, then create with the whole Entra body: nulls, roles: [], the malformed URN key
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
        "nickName": None,
        "roles": [],
        MALFORMED_ENTERPRISE: {"department": "Mathematics"},
        ENTERPRISE: {"employeeNumber": "1815", "costCenter": None},
    }
    created = tenant.post("/Users", body)
    assert created.status_code == 201, created.get_json()
    ada = created.get_json()
    assert stored(ada) == {
        "schemas": [USER, ENTERPRISE],
        "externalId": "ada",
        "userName": "ada@contoso.com",
        "active": True,
        "displayName": "Ada Lovelace",
        "emails": [{"primary": True, "type": "work", "value": "ada@contoso.com"}],
        "name": {"familyName": "Lovelace", "givenName": "Ada"},
        ENTERPRISE: {"employeeNumber": "1815"},
    }
    assert_scim_error(tenant.post("/Users", body), 409, "uniqueness")
    found = listed(tenant, '/Users?filter=userName eq "ada@contoso.com"')
    assert [u["id"] for u in found["Resources"]] == [ada["id"]]

    # the Replace dialect: capitalised ops, "False", value-filter paths, URN paths
    response = tenant.patch(
        f"/Users/{ada['id']}",
        [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada.king@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "King"},
            {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Engineering"},
            {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+44 7700 900001"},
        ],
    )
    assert response.status_code == 200, response.get_json()
    assert stored(response.get_json()) == {
        "schemas": [USER, ENTERPRISE],
        "externalId": "ada",
        "userName": "ada@contoso.com",
        "active": False,
        "displayName": "Ada Lovelace",
        "emails": [{"primary": True, "type": "work", "value": "ada.king@contoso.com"}],
        "name": {"familyName": "King", "givenName": "Ada"},
        "phoneNumbers": [{"type": "mobile", "value": "+44 7700 900001"}],
        ENTERPRISE: {"employeeNumber": "1815", "department": "Engineering"},
    }
    # an inactive user is still there for GET and the match filter
    assert fetch(tenant, "/Users", ada["id"])["active"] is False
    assert listed(tenant, '/Users?filter=userName eq "ada@contoso.com"')["totalResults"] == 1

    # manager: Add as a list, then as a plain string
    manager_ref = {"$ref": f"http://localhost/t/britive/acme/scim/v2/Users/{boss['id']}", "value": boss["id"]}
    response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Add", "path": MANAGER, "value": [manager_ref]}])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()[ENTERPRISE]["manager"] == manager_ref
    other = tenant.create_user("charles@contoso.com")
    response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Add", "path": MANAGER, "value": other["id"]}])
    assert response.status_code == 200, response.get_json()
    assert fetch(tenant, "/Users", ada["id"])[ENTERPRISE]["manager"] == {"value": other["id"]}
    response = tenant.patch(f"/Users/{ada['id']}", [{"op": "Remove", "path": MANAGER}])
    assert response.status_code == 200
    assert "manager" not in fetch(tenant, "/Users", ada["id"])[ENTERPRISE]

    # groups: created empty with the ADSCIM URN, matched without members, members by value array
    assert (
        listed(tenant, '/Groups?excludedAttributes=members&filter=displayName eq "Engineers"')["totalResults"]
        == 0
    )
    created = tenant.post(
        "/Groups",
        {"schemas": [GROUP, ADSCIM_GROUP], "displayName": "Engineers", "externalId": "eng", "members": []},
    )
    assert created.status_code == 201, created.get_json()
    group = created.get_json()
    assert stored(group) == {"schemas": [GROUP], "displayName": "Engineers", "externalId": "eng"}
    add = [
        {
            "op": "Add",
            "path": "members",
            "value": [{"$ref": None, "value": ada["id"]}, {"$ref": None, "value": boss["id"]}],
        }
    ]
    response = tenant.patch(f"/Groups/{group['id']}", add)
    assert response.status_code in (200, 204)
    found = listed(tenant, '/Groups?excludedAttributes=members&filter=displayName eq "Engineers"')
    assert found["totalResults"] == 1
    assert stored(found["Resources"][0]) == {
        "schemas": [GROUP],
        "displayName": "Engineers",
        "externalId": "eng",
    }
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": boss["id"]}, {"value": ada["id"]}]
    response = tenant.patch(
        f"/Groups/{group['id']}", [{"op": "Remove", "path": "members", "value": [{"value": ada["id"]}]}]
    )
    assert response.status_code in (200, 204)
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": boss["id"]}]
    response = tenant.patch(
        f"/Groups/{group['id']}", [{"op": "Replace", "path": "displayName", "value": "Builders"}]
    )
    assert response.status_code == 200

    # hard delete
    assert tenant.delete(f"/Users/{ada['id']}").status_code == 204
    assert_scim_error(tenant.get(f"/Users/{ada['id']}"), 404)
    assert tenant.delete(f"/Groups/{group['id']}").status_code == 204


def test_entra_flow_with_aad_opt_flag(britive_tenant: ScimTenant) -> None:
    tenant = britive_tenant
    user = tenant.create_user("ada@contoso.com", active=True)
    operation = {
        "op": "replace",
        "value": {"name.givenName": "Ada", f"{ENTERPRISE}:employeeNumber": "7", "active": False},
    }
    response = tenant.patch(f"/Users/{user['id']}?aadOptscim062020", [operation])
    assert response.status_code == 200, response.get_json()
    assert stored(fetch(tenant, "/Users", user["id"])) == expected_user(
        "ada@contoso.com",
        {"active": False, "name": {"givenName": "Ada"}, ENTERPRISE: {"employeeNumber": "7"}},
    )
    group = tenant.create_group("Engineers", members=[user["id"]])
    response = tenant.patch(
        f"/Groups/{group['id']}?aadOptscim062020",
        [{"op": "remove", "path": f'members[value eq "{user["id"]}"]'}],
    )
    assert response.status_code == 200
    assert "members" not in fetch(tenant, "/Groups", group["id"])


# -- Okta ------------------------------------------------------------------------------------


def test_okta_flow(britive_tenant: ScimTenant) -> None:
    tenant = britive_tenant
    for index in range(3):
        tenant.create_user(f"user{index}@example.com")
    page = listed(tenant, "/Users?startIndex=1&count=2", headers=OKTA_AGENT)
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 1, 2)
    assert [u["userName"] for u in page["Resources"]] == ["user0@example.com", "user1@example.com"]
    page = listed(tenant, "/Users?startIndex=3&count=2", headers=OKTA_AGENT)
    assert [u["userName"] for u in page["Resources"]] == ["user2@example.com"]
    groups = listed(tenant, "/Groups?startIndex=1&count=100", headers=OKTA_AGENT)
    assert (groups["totalResults"], groups["itemsPerPage"], groups["Resources"]) == (0, 0, [])

    query = '/Users?filter=userName eq "ada@example.com"&startIndex=1&count=100'
    assert listed(tenant, query, headers=OKTA_AGENT)["totalResults"] == 0
    body = {
        "schemas": [USER],
        "userName": "ada@example.com",
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
    expected = {k: v for k, v in body.items() if k not in ("groups", "password")}
    assert stored(ada) == expected
    assert_scim_error(tenant.post("/Users", body, headers=OKTA_AGENT), 409, "uniqueness")

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
    response = tenant.patch(
        f"/Users/{ada['id']}", [{"op": "replace", "value": {"active": False}}], headers=OKTA_AGENT
    )
    assert response.status_code == 200
    assert fetch(tenant, "/Users", ada["id"])["active"] is False

    # groups: PATCH replace with {id, displayName}, members added, removed by value filter, replaced
    bob = tenant.create_user("bob@example.com")
    group = tenant.create_group("Okta Group")
    rename = {"op": "replace", "value": {"id": group["id"], "displayName": "Okta Renamed"}}
    response = tenant.patch(f"/Groups/{group['id']}", [rename], headers=OKTA_AGENT)
    assert response.status_code == 200, response.get_json()
    assert fetch(tenant, "/Groups", group["id"])["displayName"] == "Okta Renamed"
    add = {
        "op": "add",
        "path": "members",
        "value": [{"value": ada["id"], "display": "ada@example.com"}, {"value": bob["id"]}],
    }
    assert tenant.patch(f"/Groups/{group['id']}", [rename, add], headers=OKTA_AGENT).status_code == 200
    assert fetch(tenant, "/Groups", group["id"])["members"] == [
        {"value": ada["id"], "display": "ada@example.com"},
        {"value": bob["id"]},
    ]
    remove = {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}
    assert tenant.patch(f"/Groups/{group['id']}", [rename, remove], headers=OKTA_AGENT).status_code == 200
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": bob["id"]}]
    replace = {"op": "replace", "path": "members", "value": [{"value": ada["id"]}]}
    assert tenant.patch(f"/Groups/{group['id']}", [replace], headers=OKTA_AGENT).status_code == 200
    assert fetch(tenant, "/Groups", group["id"])["members"] == [{"value": ada["id"]}]
    groups = listed(tenant, "/Groups?startIndex=1&count=100", headers=OKTA_AGENT)
    assert [g["displayName"] for g in groups["Resources"]] == ["Okta Renamed"]


def test_patch_outside_the_table_is_refused_when_rejecting(make_tenant: MakeTenant) -> None:
    tenant = make_tenant("britive", "acme", options={"unknown_attributes": "reject"})
    user = tenant.create_user("ada@example.com")
    for operation in (
        {"op": "Replace", "path": "profileUrl", "value": "https://example.com/ada"},
        {"op": "Replace", "value": {"profileUrl": "https://example.com/ada"}},
        {"op": "Add", "path": "roles", "value": [{"value": "admin"}]},
    ):
        assert_scim_error(tenant.patch(f"/Users/{user['id']}", [operation]), 400)
    assert stored(fetch(tenant, "/Users", user["id"])) == expected_user("ada@example.com", {})


def test_patch_outside_the_table_is_ignored_by_default(britive_tenant: ScimTenant) -> None:
    user = britive_tenant.create_user("ada@example.com")
    for operation in (
        {"op": "Replace", "path": "profileUrl", "value": "https://example.com/ada"},
        {"op": "Replace", "value": {"profileUrl": "https://example.com/ada", "displayName": "Ada"}},
        {"op": "Add", "path": "roles", "value": [{"value": "admin"}]},
        {"op": "Remove", "path": "profileUrl"},
    ):
        response = britive_tenant.patch(f"/Users/{user['id']}", [operation])
        assert response.status_code == 200, (operation, response.get_json())
    assert stored(fetch(britive_tenant, "/Users", user["id"])) == expected_user(
        "ada@example.com", {"displayName": "Ada"}
    )

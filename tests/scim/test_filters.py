"""RFC 7644 §3.4.2.2 filters over HTTP: operators, logic, value paths, URNs, case rules, groups."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import ENTERPRISE, USER, ScimTenant, assert_scim_error

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def people(tenant: ScimTenant) -> dict[str, dict[str, Any]]:
    """Four users with varied attributes, by userName, each created in a later millisecond than
    the one before (meta.created is shown to the millisecond: two users created within one look
    equally old to a client, and `meta.created ge` of the second then matches the first too)."""
    alice = tenant.create_user(
        "Alice@Example.com",
        externalId="ext-Alice",
        displayName="Alice Jensen",
        title="Engineer",
        active=True,
        name={"givenName": "Alice", "familyName": "Jensen"},
        emails=[
            {"value": "alice@work.example", "type": "work", "primary": True},
            {"value": "alice@home.example", "type": "home"},
        ],
        schemas=[USER, ENTERPRISE],
        **{ENTERPRISE: {"department": "Engineering", "employeeNumber": "100"}},
    )
    time.sleep(0.002)
    bob = tenant.create_user(
        "bob@example.com",
        externalId="ext-bob",
        displayName="Bob Smith",
        active=False,
        name={"givenName": "Bob", "familyName": "Smith"},
        emails=[
            {"value": "bob@home.example", "type": "home", "primary": True},
            {"value": "bob@work.example", "type": "work"},
        ],
        schemas=[USER, ENTERPRISE],
        **{ENTERPRISE: {"department": "Sales", "employeeNumber": "200"}},
    )
    time.sleep(0.002)
    carol = tenant.create_user(
        "carol@other.org",
        displayName="Carol Jensen",
        title="Manager",
        active=True,
        name={"givenName": "Carol", "familyName": "Jensen"},
        emails=[{"value": "carol@work.example", "type": "work", "primary": False}],
    )
    time.sleep(0.002)
    dave = tenant.create_user("dave")
    return {u["userName"]: u for u in (alice, bob, carol, dave)}


def names(tenant: ScimTenant, expression: str) -> list[str]:
    """The userNames a GET /Users?filter= returns, in order."""
    response = tenant.get("/Users?filter=" + quote(expression))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["totalResults"] == len(body["Resources"])
    return [r["userName"] for r in body["Resources"]]


def searched(tenant: ScimTenant, expression: str, endpoint: str = "/Users") -> list[dict[str, Any]]:
    """Resources a POST <endpoint>/.search with this filter returns."""
    response = tenant.post(endpoint + "/.search", {"schemas": [SEARCH], "filter": expression})
    assert response.status_code == 200, response.get_json()
    resources: list[dict[str, Any]] = response.get_json()["Resources"]
    return resources


ALICE, BOB, CAROL, DAVE = "Alice@Example.com", "bob@example.com", "carol@other.org", "dave"


# -- operators ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "bob@example.com"', [BOB]),
        ('userName ne "bob@example.com"', [ALICE, CAROL, DAVE]),
        ('userName co "example"', [ALICE, BOB]),
        ('userName sw "ca"', [CAROL]),
        ('userName ew ".org"', [CAROL]),
        ('userName gt "bob@example.com"', [CAROL, DAVE]),
        ('userName ge "bob@example.com"', [BOB, CAROL, DAVE]),
        ('userName lt "bob@example.com"', [ALICE]),
        ('userName le "bob@example.com"', [ALICE, BOB]),
        ("title pr", [ALICE, CAROL]),
        ("emails pr", [ALICE, BOB, CAROL]),
        ("name.familyName pr", [ALICE, BOB, CAROL]),
        ('title eq "Engineer"', [ALICE]),
        ('displayName co "Jensen"', [ALICE, CAROL]),
        ("active eq true", [ALICE, CAROL]),
        ("active eq false", [BOB]),
        ("active ne true", [BOB, DAVE]),
        ("title eq null", [BOB, DAVE]),
        ("title ne null", [ALICE, CAROL]),
    ],
)
def test_operators(people: dict[str, Any], tenant: ScimTenant, expression: str, expected: list[str]) -> None:
    assert names(tenant, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('userName eq "bob@example.com" or userName eq "dave"', [BOB, DAVE]),
        ('name.familyName eq "Jensen" and active eq true', [ALICE, CAROL]),
        ('not (name.familyName eq "Jensen")', [BOB, DAVE]),
        ('title pr and not (title eq "Manager")', [ALICE]),
        ('userName eq "dave" or userName sw "a" and title eq "Manager"', [DAVE]),
        ('(userName eq "dave" or userName sw "a") and title eq "Engineer"', [ALICE]),
        ('userName eq "dave" or (userName sw "c" and title eq "Manager")', [CAROL, DAVE]),
        ('((userName eq "dave"))', [DAVE]),
        ('not(active eq true) and not(userName eq "dave")', [BOB]),
        ('userName eq "x" or userName eq "y" or userName eq "carol@other.org"', [CAROL]),
    ],
)
def test_logical_operators_and_precedence(
    people: dict[str, Any], tenant: ScimTenant, expression: str, expected: list[str]
) -> None:
    assert names(tenant, expression) == expected


def test_operators_and_keywords_are_case_insensitive(people: dict[str, Any], tenant: ScimTenant) -> None:
    assert names(tenant, 'userName EQ "dave" OR title Eq "Manager"') == [CAROL, DAVE]
    assert names(tenant, "NOT (title PR) AND active EQ FALSE") == [BOB]


# -- value paths and sub-attributes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('emails[type eq "work"]', [ALICE, BOB, CAROL]),
        ('emails[type eq "work" and primary eq true]', [ALICE]),
        ('emails[type eq "home" and primary eq true]', [BOB]),
        ('emails[type eq "work" or value ew "home.example"]', [ALICE, BOB, CAROL]),
        ('emails[not (type eq "work")]', [ALICE, BOB]),
        ('emails[value co "carol"] or emails[type eq "home" and primary eq true]', [BOB, CAROL]),
        ('emails[type eq "work" and value sw "bob"] and active eq false', [BOB]),
        ('emails.type eq "home"', [ALICE, BOB]),
        ('emails.value ew "@work.example"', [ALICE, BOB, CAROL]),
        ('emails eq "carol@work.example"', [CAROL]),
        ('emails co "home"', [ALICE, BOB]),
        ('name.givenName eq "carol"', [CAROL]),
        ('name.familyName sw "sm"', [BOB]),
    ],
)
def test_value_paths_and_sub_attributes(
    people: dict[str, Any], tenant: ScimTenant, expression: str, expected: list[str]
) -> None:
    assert names(tenant, expression) == expected


def test_entra_filtered_email_value(people: dict[str, Any], tenant: ScimTenant) -> None:
    assert names(tenant, 'emails[type eq "work"].value eq "bob@work.example"') == [BOB]
    assert names(tenant, 'emails[type eq "work"].value eq "BOB@WORK.example"') == [BOB]
    assert names(tenant, 'emails[type eq "home"].value eq "carol@work.example"') == []
    assert names(tenant, 'emails[type eq "work"].value eq "bob@home.example"') == []


def test_email_equality_does_not_match_a_home_address_as_work(
    people: dict[str, Any], tenant: ScimTenant
) -> None:
    assert names(tenant, 'emails[type eq "work" and value eq "bob@home.example"]') == []
    assert names(tenant, 'emails[type eq "home" and value eq "bob@home.example"]') == [BOB]


# -- URN-qualified attributes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (f'{ENTERPRISE}:department eq "Sales"', [BOB]),
        (f'{ENTERPRISE}:department eq "sales"', [BOB]),
        (f"{ENTERPRISE}:employeeNumber pr", [ALICE, BOB]),
        (f'{ENTERPRISE}:employeeNumber gt "150"', [BOB]),
        (f'{USER}:userName eq "dave"', [DAVE]),
        (f'{USER}:name.familyName eq "Smith"', [BOB]),
        (f'{ENTERPRISE.upper()}:department eq "Engineering"', [ALICE]),
        (f'{USER}:emails[type eq "work" and primary eq true]', [ALICE]),
        (f'{ENTERPRISE}:department eq "Sales" or userName eq "dave"', [BOB, DAVE]),
    ],
)
def test_urn_qualified_attributes(
    people: dict[str, Any], tenant: ScimTenant, expression: str, expected: list[str]
) -> None:
    assert names(tenant, expression) == expected


# -- case rules from the schema ------------------------------------------------------------------


def test_username_is_case_insensitive(people: dict[str, Any], tenant: ScimTenant) -> None:
    assert names(tenant, 'userName eq "alice@example.com"') == [ALICE]
    assert names(tenant, 'userName eq "ALICE@EXAMPLE.COM"') == [ALICE]
    assert names(tenant, 'userName sw "ALI"') == [ALICE]
    assert names(tenant, 'userName co "EXAMPLE.COM"') == [ALICE, BOB]


def test_external_id_is_case_exact(people: dict[str, Any], tenant: ScimTenant) -> None:
    assert names(tenant, 'externalId eq "ext-Alice"') == [ALICE]
    assert names(tenant, 'externalId eq "ext-alice"') == []
    assert names(tenant, 'externalId sw "ext-"') == [ALICE, BOB]
    assert names(tenant, 'externalId sw "EXT-"') == []


def test_attribute_names_are_case_insensitive(people: dict[str, Any], tenant: ScimTenant) -> None:
    assert names(tenant, 'USERNAME eq "dave"') == [DAVE]
    assert names(tenant, 'Name.FamilyName eq "Smith"') == [BOB]
    assert names(tenant, 'EMAILS[TYPE eq "work" and PRIMARY eq true]') == [ALICE]


def test_id_filter_is_case_exact(people: dict[str, Any], tenant: ScimTenant) -> None:
    alice_id = people[ALICE]["id"]
    assert names(tenant, f'id eq "{alice_id}"') == [ALICE]
    assert names(tenant, f'id eq "{alice_id.upper()}"') == []


# -- Entra's and Okta's probes ---------------------------------------------------------------------


def test_entra_test_connection_gets_an_empty_list(tenant: ScimTenant) -> None:
    response = tenant.get(f'/Users?filter=userName eq "{uuid.uuid4()}"')
    assert response.status_code == 200
    body = response.get_json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]


def test_entra_match_by_external_id(people: dict[str, Any], tenant: ScimTenant) -> None:
    response = tenant.get('/Users?filter=externalId eq "ext-bob"')
    body = response.get_json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == people[BOB]["id"]
    assert body["Resources"][0] == people[BOB]


def test_okta_match_with_paging(people: dict[str, Any], tenant: ScimTenant) -> None:
    body = tenant.get('/Users?filter=userName eq "dave"&startIndex=1&count=100').get_json()
    assert body["totalResults"] == 1
    assert body["startIndex"] == 1
    assert body["itemsPerPage"] == 1


# -- dateTime and meta --------------------------------------------------------------------------


def test_meta_datetime_comparisons(people: dict[str, Any], tenant: ScimTenant) -> None:
    created = people[CAROL]["meta"]["created"]
    assert names(tenant, f'meta.created ge "{created}"') == [CAROL, DAVE]
    assert names(tenant, f'meta.created lt "{created}"') == [ALICE, BOB]
    assert names(tenant, 'meta.lastModified gt "2000-01-01T00:00:00Z"') == [ALICE, BOB, CAROL, DAVE]
    assert names(tenant, 'meta.resourceType eq "User"') == [ALICE, BOB, CAROL, DAVE]


def test_invalid_datetime_value_is_invalid_filter(people: dict[str, Any], tenant: ScimTenant) -> None:
    assert_scim_error(tenant.get('/Users?filter=meta.created gt "yesterday"'), 400, "invalidFilter")


# -- .search and filters on groups -----------------------------------------------------------------


def test_search_applies_the_filter(people: dict[str, Any], tenant: ScimTenant) -> None:
    found = searched(tenant, 'emails[type eq "work" and primary eq true]')
    assert [r["userName"] for r in found] == [ALICE]


def test_search_with_attributes_and_count(people: dict[str, Any], tenant: ScimTenant) -> None:
    body = tenant.post(
        "/Users/.search",
        {
            "schemas": [SEARCH],
            "filter": 'name.familyName eq "Jensen"',
            "attributes": ["userName"],
            "startIndex": 1,
            "count": 1,
        },
    ).get_json()
    assert body["totalResults"] == 2
    assert body["itemsPerPage"] == 1
    assert body["Resources"] == [
        {"schemas": [USER, ENTERPRISE], "id": people[ALICE]["id"], "userName": ALICE}
    ]


@pytest.fixture
def teams(people: dict[str, Any], tenant: ScimTenant) -> dict[str, dict[str, Any]]:
    """Groups over the people: Engineers (alice, carol), Sales (bob), Empty."""
    engineers = tenant.create_group(
        "Engineers", [people[ALICE]["id"], people[CAROL]["id"]], externalId="g-eng"
    )
    sales = tenant.create_group("Sales", [people[BOB]["id"]])
    empty = tenant.create_group("Empty")
    return {g["displayName"]: g for g in (engineers, sales, empty)}


def group_names(tenant: ScimTenant, expression: str, extra: str = "") -> list[str]:
    response = tenant.get("/Groups?filter=" + quote(expression) + extra)
    assert response.status_code == 200, response.get_json()
    return [r["displayName"] for r in response.get_json()["Resources"]]


def test_group_filters(teams: dict[str, Any], people: dict[str, Any], tenant: ScimTenant) -> None:
    assert group_names(tenant, 'displayName eq "engineers"') == ["Engineers"]
    assert group_names(tenant, 'displayName sw "S"') == ["Sales"]
    assert group_names(tenant, 'externalId eq "g-eng"') == ["Engineers"]
    assert group_names(tenant, "members pr") == ["Engineers", "Sales"]
    assert group_names(tenant, "not (members pr)") == ["Empty"]
    assert group_names(tenant, f'members[value eq "{people[CAROL]["id"]}"]') == ["Engineers"]
    assert group_names(tenant, f'members.value eq "{people[BOB]["id"]}"') == ["Sales"]
    assert group_names(tenant, f'members eq "{people[BOB]["id"]}"') == ["Sales"]
    assert group_names(tenant, f'members[value eq "{people[DAVE]["id"]}"]') == []
    either = f'members[value eq "{people[BOB]["id"]}"] or displayName eq "Empty"'
    assert group_names(tenant, either) == ["Sales", "Empty"]


def test_group_filter_with_excluded_members(
    teams: dict[str, Any], people: dict[str, Any], tenant: ScimTenant
) -> None:
    response = tenant.get(
        "/Groups?excludedAttributes=members&filter=" + quote(f'members[value eq "{people[ALICE]["id"]}"]')
    )
    body = response.get_json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["displayName"] == "Engineers"
    assert "members" not in body["Resources"][0]


def test_group_search(teams: dict[str, Any], tenant: ScimTenant) -> None:
    found = searched(tenant, 'displayName ew "s"', "/Groups")
    assert [g["displayName"] for g in found] == ["Engineers", "Sales"]


def test_user_groups_filter(teams: dict[str, Any], people: dict[str, Any], tenant: ScimTenant) -> None:
    engineers = teams["Engineers"]["id"]
    assert names(tenant, f'groups[value eq "{engineers}"]') == [ALICE, CAROL]
    assert names(tenant, f'groups.value eq "{engineers}"') == [ALICE, CAROL]
    assert names(tenant, 'groups.display eq "sales"') == [BOB]


def test_root_search_spans_users_and_groups(teams: dict[str, Any], tenant: ScimTenant) -> None:
    body = tenant.post(
        "/.search", {"schemas": [SEARCH], "filter": 'displayName sw "Carol" or displayName eq "Sales"'}
    )
    assert body.status_code == 200
    found = body.get_json()["Resources"]
    assert sorted((r["meta"]["resourceType"], r["displayName"]) for r in found) == [
        ("Group", "Sales"),
        ("User", "Carol Jensen"),
    ]


# -- malformed filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "userName",
        "userName eq",
        'userName "dave"',
        'userName xx "dave"',
        'userName eq "dave',
        '(userName eq "dave"',
        'userName eq "dave")',
        'emails[type eq "work"',
        'emails[type eq "work"]]',
        'userName eq "a" and',
        'or userName eq "a"',
        'userName eq "a" userName eq "b"',
        "userName eq dave",
        "userName gt true",
        "userName co 5",
        "emails[]",
        'emails[type eq "work"][primary eq true]',
        "active gt false",
        'name.givenName.first eq "x"',
        'userName eq "x" & title pr',
        'not userName eq "x"',
        '"dave" eq userName',
        "(" * 500 + 'userName eq "x"' + ")" * 500,
        " or ".join(['userName eq "x"'] * 500),
    ],
)
def test_malformed_filters_are_invalid_filter(tenant: ScimTenant, expression: str) -> None:
    assert_scim_error(tenant.get("/Users?filter=" + quote(expression)), 400, "invalidFilter")
    response = tenant.post("/Users/.search", {"schemas": [SEARCH], "filter": expression})
    assert_scim_error(response, 400, "invalidFilter")


@pytest.mark.parametrize(
    "expression",
    [
        "userName gt true",
        "active gt false",
        "emails[primary lt true]",
        'name.givenName pr and meta.created gt "yesterday"',
        "emails.type co 5",
        f"{ENTERPRISE}:department ge null",
        'userName eq "x" or title sw false',
    ],
)
def test_type_misuse_is_invalid_filter_whatever_the_data(tenant: ScimTenant, expression: str) -> None:
    url = "/Users?filter=" + quote(expression)
    assert_scim_error(tenant.get(url), 400, "invalidFilter")
    tenant.create_user("x", title="t", emails=[{"value": "x@example.com", "primary": True}])
    assert_scim_error(tenant.get(url), 400, "invalidFilter")


def test_malformed_filter_on_groups_is_invalid_filter(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.get("/Groups?filter=" + quote("displayName eq")), 400, "invalidFilter")


def test_empty_filter_lists_everything(people: dict[str, Any], tenant: ScimTenant) -> None:
    assert tenant.get("/Users?filter=").get_json()["totalResults"] == 4


def test_filter_must_be_a_string_in_search(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.post("/Users/.search", {"schemas": [SEARCH], "filter": 5}), 400)

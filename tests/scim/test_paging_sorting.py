"""startIndex / count paging with a stable order, and sortBy / sortOrder, over GET and .search."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask

from emulator import create_app
from tests.conftest import ENTERPRISE, USER, ScimTenant, assert_scim_error

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
# creation order; familyName and department deliberately out of that order, some absent
PEOPLE = [
    ("mallory", "Zimmer", "Sales"),
    ("Alice", "brown", None),
    ("trent", None, "Engineering"),
    ("bob", "Adams", "engineering"),
    ("Eve", "carter", "Support"),
    ("dave", None, None),
    ("carol", "Baker", "Accounts"),
]


@pytest.fixture
def roster(tenant: ScimTenant) -> list[dict[str, Any]]:
    """Seven users, in creation order."""
    created = []
    for user_name, family, department in PEOPLE:
        attributes: dict[str, Any] = {}
        if family:
            attributes["name"] = {"familyName": family}
        if department:
            attributes["schemas"] = [USER, ENTERPRISE]
            attributes[ENTERPRISE] = {"department": department}
        created.append(tenant.create_user(user_name, **attributes))
    return created


def page(tenant: ScimTenant, query: str, endpoint: str = "/Users") -> dict[str, Any]:
    response = tenant.get(f"{endpoint}?{query}")
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["itemsPerPage"] == len(body["Resources"])
    return body


def user_names(body: dict[str, Any]) -> list[str]:
    return [r["userName"] for r in body["Resources"]]


# -- paging ----------------------------------------------------------------------------------


def test_pages_cover_everything_once_in_creation_order(
    roster: list[dict[str, Any]], tenant: ScimTenant
) -> None:
    seen: list[str] = []
    for start in (1, 3, 5, 7):
        body = page(tenant, f"startIndex={start}&count=2")
        assert body["totalResults"] == 7
        assert body["startIndex"] == start
        assert body["itemsPerPage"] == (2 if start < 7 else 1)
        seen += [r["id"] for r in body["Resources"]]
    assert seen == [u["id"] for u in roster]


def test_paging_values_are_integers(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    body = page(tenant, "startIndex=1&count=2")
    for key in ("totalResults", "startIndex", "itemsPerPage"):
        assert type(body[key]) is int


def test_order_is_stable_across_requests_and_updates(
    roster: list[dict[str, Any]], tenant: ScimTenant
) -> None:
    before = [r["id"] for r in page(tenant, "count=100")["Resources"]]
    tenant.patch(f"/Users/{roster[0]['id']}", [{"op": "replace", "path": "title", "value": "changed"}])
    tenant.put(f"/Users/{roster[3]['id']}", {"schemas": [USER], "userName": "bob"})
    assert [r["id"] for r in page(tenant, "count=100")["Resources"]] == before
    assert [r["id"] for r in page(tenant, "count=100")["Resources"]] == before


def test_okta_test_connection_pages(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    users = page(tenant, "startIndex=1&count=2")
    assert users["totalResults"] == 7 and users["itemsPerPage"] == 2
    groups = page(tenant, "startIndex=1&count=100", "/Groups")
    assert groups == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_okta_import_in_pages_of_100(tenant: ScimTenant) -> None:
    for i in range(230):
        tenant.create_user(f"user{i:03d}")
    collected: list[str] = []
    start = 1
    while True:
        body = page(tenant, f"startIndex={start}&count=100")
        assert body["totalResults"] == 230
        collected += user_names(body)
        if not body["Resources"]:
            break
        start += body["itemsPerPage"]
    assert collected == [f"user{i:03d}" for i in range(230)]


def test_start_index_below_one_is_one(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    for start in ("0", "-5"):
        body = page(tenant, f"startIndex={start}&count=1")
        assert body["startIndex"] == 1
        assert user_names(body) == ["mallory"]


def test_start_index_past_the_end_is_an_empty_page(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    body = page(tenant, "startIndex=50&count=10")
    assert body["totalResults"] == 7
    assert body["Resources"] == []
    assert body["startIndex"] == 50


@pytest.mark.parametrize("start", ["8", "2147483648", "99999999999999999999999"])
@pytest.mark.parametrize("endpoint", ["/Users", "/Groups"])
def test_huge_start_index_is_an_empty_page(
    roster: list[dict[str, Any]], tenant: ScimTenant, start: str, endpoint: str
) -> None:
    body = page(tenant, f"startIndex={start}", endpoint)
    assert body["Resources"] == []
    assert body["startIndex"] == int(start)
    search = tenant.post(
        endpoint + "/.search", {"schemas": [SEARCH], "startIndex": int(start), "filter": "id pr"}
    )
    assert search.status_code == 200
    assert search.get_json()["Resources"] == []


def test_huge_count_is_capped(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    body = page(tenant, "count=99999999999999999999999")
    assert body["itemsPerPage"] == 7


def test_count_zero_gives_only_the_total(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    body = page(tenant, "count=0")
    assert body["totalResults"] == 7
    assert body["itemsPerPage"] == 0
    assert body["Resources"] == []
    filtered = page(tenant, "count=0&filter=" + quote('userName sw "a"'))
    assert filtered["totalResults"] == 1
    assert filtered["Resources"] == []


def test_negative_count_is_zero(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    body = page(tenant, "count=-3")
    assert body["totalResults"] == 7
    assert body["Resources"] == []


def test_without_count_everything_up_to_the_maximum(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    assert len(page(tenant, "")["Resources"]) == 7
    assert len(page(tenant, "startIndex=6")["Resources"]) == 2


@pytest.fixture
def small_pages(tmp_path: Path) -> Flask:
    """An emulator whose largest page is 3."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'small.db'}",
            "EMULATOR_TENANTS_DIR": "",
            "EMULATOR_MAX_PAGE_SIZE": 3,
        }
    )


def test_count_is_capped_at_the_maximum_page_size(small_pages: Flask) -> None:
    client = small_pages.test_client()
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    tenant = ScimTenant(client, created)
    for i in range(5):
        tenant.create_user(f"u{i}")
    for query in ("count=100", "", "filter=" + quote('userName sw "u"'), "sortBy=userName"):
        body = page(tenant, query)
        assert body["totalResults"] == 5
        assert body["itemsPerPage"] == 3
    spc = tenant.get("/ServiceProviderConfig").get_json()
    assert spc["filter"]["maxResults"] == 3


@pytest.mark.parametrize("query", ["startIndex=abc", "count=ten", "count=1.5", "startIndex=1e3"])
def test_non_integer_paging_is_400(tenant: ScimTenant, query: str) -> None:
    assert_scim_error(tenant.get(f"/Users?{query}"), 400, "invalidValue")


@pytest.mark.parametrize(
    "body", [{"startIndex": "abc"}, {"count": True}, {"count": [1]}, {"startIndex": {"a": 1}}, {"sortBy": 5}]
)
def test_search_with_bad_paging_types_is_400(tenant: ScimTenant, body: dict[str, Any]) -> None:
    assert_scim_error(tenant.post("/Users/.search", {"schemas": [SEARCH], **body}), 400)


def test_search_pages(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    response = tenant.post("/Users/.search", {"schemas": [SEARCH], "startIndex": 3, "count": 2})
    body = response.get_json()
    assert body["totalResults"] == 7
    assert body["startIndex"] == 3
    assert user_names(body) == ["trent", "bob"]


def test_filtered_pages(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    expression = quote("name.familyName pr")
    first = page(tenant, f"filter={expression}&startIndex=1&count=3")
    second = page(tenant, f"filter={expression}&startIndex=4&count=3")
    assert first["totalResults"] == second["totalResults"] == 5
    assert user_names(first) + user_names(second) == ["mallory", "Alice", "bob", "Eve", "carol"]


# -- sorting ---------------------------------------------------------------------------------


def test_sort_by_username_is_case_insensitive(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    expected = ["Alice", "bob", "carol", "dave", "Eve", "mallory", "trent"]
    assert user_names(page(tenant, "sortBy=userName")) == expected
    assert user_names(page(tenant, "sortBy=userName&sortOrder=ascending")) == expected
    assert user_names(page(tenant, "sortBy=username&sortOrder=descending")) == expected[::-1]


def test_sort_by_sub_attribute_puts_missing_values_last(
    roster: list[dict[str, Any]], tenant: ScimTenant
) -> None:
    ascending = user_names(page(tenant, "sortBy=name.familyName"))
    assert ascending[:5] == ["bob", "carol", "Alice", "Eve", "mallory"]
    assert sorted(ascending[5:]) == ["dave", "trent"]
    descending = user_names(page(tenant, "sortBy=name.familyName&sortOrder=descending"))
    assert descending[:5] == ["mallory", "Eve", "Alice", "carol", "bob"]
    assert sorted(descending[5:]) == ["dave", "trent"]


def test_sort_by_extension_attribute(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    body = page(tenant, f"sortBy={ENTERPRISE}:department")
    assert user_names(body)[:5] == ["carol", "trent", "bob", "mallory", "Eve"]


def test_sort_by_meta_created(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    ascending = user_names(page(tenant, "sortBy=meta.created"))
    assert ascending == [p[0] for p in PEOPLE]
    assert user_names(page(tenant, "sortBy=meta.created&sortOrder=descending")) == ascending[::-1]


def test_sort_order_is_case_insensitive(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    assert user_names(page(tenant, "sortBy=userName&sortOrder=DESCENDING"))[0] == "trent"


def test_sort_then_page(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    names: list[str] = []
    for start in (1, 4, 7):
        body = page(tenant, f"sortBy=userName&startIndex={start}&count=3")
        assert body["totalResults"] == 7
        names += user_names(body)
    assert names == ["Alice", "bob", "carol", "dave", "Eve", "mallory", "trent"]


def test_sort_with_filter_and_search(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    body = tenant.post(
        "/Users/.search",
        {
            "schemas": [SEARCH],
            "filter": "name.familyName pr",
            "sortBy": "name.familyName",
            "sortOrder": "descending",
        },
    ).get_json()
    assert user_names(body) == ["mallory", "Eve", "Alice", "carol", "bob"]


def test_equal_sort_keys_keep_creation_order(tenant: ScimTenant) -> None:
    for user_name in ("z1", "a1", "m1"):
        tenant.create_user(user_name, title="Same")
    assert user_names(page(tenant, "sortBy=title")) == ["z1", "a1", "m1"]


def test_sort_groups_by_display_name(tenant: ScimTenant) -> None:
    for name in ("beta", "Alpha", "gamma"):
        tenant.create_group(name)
    body = page(tenant, "sortBy=displayName", "/Groups")
    assert [g["displayName"] for g in body["Resources"]] == ["Alpha", "beta", "gamma"]


def test_sort_on_an_unknown_attribute_is_400(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    assert_scim_error(tenant.get("/Users?sortBy=noSuchThing"), 400, "invalidValue")


def test_bad_sort_order_is_400(roster: list[dict[str, Any]], tenant: ScimTenant) -> None:
    assert_scim_error(tenant.get("/Users?sortBy=userName&sortOrder=sideways"), 400, "invalidValue")


def test_service_provider_config_advertises_sorting(tenant: ScimTenant) -> None:
    assert tenant.get("/ServiceProviderConfig").get_json()["sort"] == {"supported": True}

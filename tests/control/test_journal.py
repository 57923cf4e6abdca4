"""The request journal over HTTP: what is recorded, masking, filters, the bound, clearing and verification."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator import journal, tenants
from tests.conftest import USER, ScimTenant, assert_scim_error

JOURNAL = "/_emulator/tenants/generic/acme/journal"


def read(client: FlaskClient, query: str = "", path: str = JOURNAL) -> dict[str, Any]:
    response = client.get(path + query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def entries(client: FlaskClient, query: str = "") -> list[dict[str, Any]]:
    return read(client, query)["entries"]


def verify(client: FlaskClient, **spec: Any) -> dict[str, Any]:
    response = client.post(f"{JOURNAL}/verify", json=spec)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# -- what an entry holds -----------------------------------------------------------------------------


def test_a_request_is_recorded_with_request_and_response(client: FlaskClient, tenant: ScimTenant) -> None:
    created = tenant.create_user("alice", displayName="Alice")
    (entry,) = entries(client)
    assert entry["method"] == "POST"
    assert entry["path"] == "/scim/v2/Users"
    assert entry["scim_path"] == "/Users"
    assert entry["query"] == ""
    assert entry["status"] == 201
    assert entry["request"]["body"] == {"schemas": [USER], "userName": "alice", "displayName": "Alice"}
    assert entry["request"]["headers"]["Content-Type"] == "application/json"
    assert entry["response"]["body"]["id"] == created["id"]
    assert entry["duration_ms"] >= 0
    assert entry["fault"] is None
    assert entry["at"].endswith("Z")


def test_the_query_string_is_recorded(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.get("/Users", query_string={"filter": 'userName eq "alice"'})
    (entry,) = entries(client)
    assert entry["method"] == "GET"
    assert "filter=userName" in entry["query"]


def test_credentials_are_masked(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("alice", password="Sup3r-Secret!")
    (entry,) = entries(client)
    assert entry["request"]["headers"]["Authorization"] == "Bearer ********"
    assert entry["request"]["body"]["password"] == "********"
    text = client.get(JOURNAL).get_data(as_text=True)
    assert tenant.authorization.removeprefix("Bearer ") not in text
    assert "Sup3r-Secret!" not in text


def test_a_long_body_is_kept_to_its_limit_and_says_how_much_was_cut(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_BODY_LOG_BYTES=200).test_client()
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    acme = ScimTenant(client, created)
    acme.create_user("alice", displayName="A" * 500)
    (entry,) = entries(client)
    for body in (entry["request"]["body"], entry["response"]["body"]):
        assert isinstance(body, str)  # cut JSON is kept as text
        kept, _, note = body.partition("... [")
        assert len(kept) == 200
        assert note.endswith(" more characters not kept]")
        assert int(note.split()[0]) > 300


def test_secrets_in_the_kept_part_of_a_long_body_are_masked(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_BODY_LOG_BYTES=120).test_client()
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    acme = ScimTenant(client, created)
    # the password field lies inside the kept part and its value runs past it
    acme.create_user("alice", password="Sup3r-Secret!" * 20, displayName="A" * 500)
    (entry,) = entries(client)
    body = entry["request"]["body"]
    assert "Sup3r" not in client.get(JOURNAL).get_data(as_text=True)
    assert '"password": "********"' in body


def test_failures_are_recorded_with_their_error_bodies(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("alice")
    assert tenant.post("/Users", {"schemas": [USER], "userName": "alice"}).status_code == 409
    assert tenant.post("/Users", {"schemas": [USER]}).status_code == 400
    assert tenant.get("/Users/no-such-id").status_code == 404
    newest = entries(client)
    assert [e["status"] for e in newest] == [404, 400, 409, 201]
    conflict = newest[2]["response"]["body"]
    assert conflict["status"] == "409" and conflict["scimType"] == "uniqueness"
    assert newest[1]["response"]["body"]["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_unauthenticated_requests_are_recorded_too(client: FlaskClient, tenant: ScimTenant) -> None:
    response = client.get(f"{tenant.base}/Users", headers={"Authorization": "Bearer wrong-token"})
    assert response.status_code == 401
    (entry,) = entries(client)
    assert entry["status"] == 401
    assert entry["request"]["headers"]["Authorization"] == "Bearer ********"


def test_a_failed_patch_leaves_no_half_written_resource_and_is_recorded(
    client: FlaskClient, tenant: ScimTenant
) -> None:
    alice = tenant.create_user("alice", displayName="Alice", title="Engineer")
    response = tenant.patch(
        f"/Users/{alice['id']}",
        [
            {"op": "replace", "path": "displayName", "value": "Half Written"},
            {"op": "frobnicate", "path": "title", "value": "Nope"},
        ],
    )
    assert_scim_error(response, 400)
    stored = tenant.get(f"/Users/{alice['id']}").get_json()
    assert stored["displayName"] == "Alice"
    assert stored["title"] == "Engineer"
    assert stored["meta"]["version"] == alice["meta"]["version"]
    patch = entries(client, "?method=PATCH")
    assert [e["status"] for e in patch] == [400]
    assert patch[0]["request"]["body"]["Operations"][1]["op"] == "frobnicate"
    assert patch[0]["response"]["body"]["status"] == "400"


def test_control_plane_and_other_tenants_requests_are_not_in_a_journal(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    acme = make_tenant("generic", "acme")
    globex = make_tenant("generic", "globex")
    globex.create_user("bob")
    client.get("/_emulator/tenants")
    assert entries(client) == []
    acme.get("/Users")
    assert len(entries(client)) == 1
    assert len(read(client, path="/_emulator/tenants/generic/globex/journal")["entries"]) == 1


# -- filters ----------------------------------------------------------------------------------------


@pytest.fixture
def traffic(client: FlaskClient, tenant: ScimTenant) -> dict[str, Any]:
    """POST 201, POST 409, GET 200, GET 404, PATCH 200, DELETE 204, in this order."""
    alice = tenant.create_user("alice")
    tenant.post("/Users", {"schemas": [USER], "userName": "alice"})
    tenant.get("/Users")
    tenant.get("/Users/missing")
    tenant.patch(f"/Users/{alice['id']}", [{"op": "replace", "path": "title", "value": "Lead"}])
    group = tenant.create_group("Team")
    tenant.delete(f"/Groups/{group['id']}")
    return {"alice": alice, "group": group}


def test_entries_are_newest_first(client: FlaskClient, traffic: dict[str, Any]) -> None:
    found = entries(client)
    assert [e["method"] for e in found] == ["DELETE", "POST", "PATCH", "GET", "GET", "POST", "POST"]
    ids = [e["id"] for e in found]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?method=POST", [201, 409, 201]),
        ("?method=post", [201, 409, 201]),
        ("?status=201", [201, 201]),
        ("?status=4xx", [404, 409]),
        ("?status=400-499", [404, 409]),
        ("?status=200-299", [204, 201, 200, 200, 201]),
        ("?path=/Users", [200, 409, 201]),
        ("?path=/Users*", [200, 404, 200, 409, 201]),
        ("?path=/Groups*", [204, 201]),
        ("?path=/scim/v2/Groups/*", [204]),
        ("?method=GET&status=4xx", [404]),
        ("?limit=2", [204, 201]),
        ("?method=POST&limit=1", [201]),
        ("?limit=0", []),
    ],
)
def test_filters(client: FlaskClient, traffic: dict[str, Any], query: str, expected: list[int]) -> None:
    assert [e["status"] for e in entries(client, query)] == expected


def test_since_keeps_entries_at_or_after_a_time(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("alice")
    tenant.create_user("bob")
    first, second = reversed(entries(client))
    later = entries(client, f"?since={second['at']}")
    assert later[0]["id"] == second["id"]
    if first["at"] != second["at"]:  # times are kept to the millisecond
        assert len(later) == 1
    assert len(entries(client, "?since=2000-01-01T00:00:00Z")) == 2
    assert entries(client, "?since=2999-01-01T00:00:00%2B02:00") == []


@pytest.mark.parametrize(
    "query", ["?status=abc", "?status=2x", "?since=yesterday", "?limit=-1", "?limit=many"]
)
def test_bad_filters_are_400(client: FlaskClient, tenant: ScimTenant, query: str) -> None:
    tenant.get("/Users")
    assert_scim_error(client.get(JOURNAL + query), 400)


def test_unknown_tenant_journal_is_404(client: FlaskClient) -> None:
    assert_scim_error(client.get("/_emulator/tenants/generic/nobody/journal"), 404)
    assert_scim_error(client.delete("/_emulator/tenants/generic/nobody/journal"), 404)
    assert_scim_error(client.post("/_emulator/tenants/generic/nobody/journal/verify", json={}), 404)


# -- the bound ----------------------------------------------------------------------------------------


def test_a_complete_journal_says_so(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.get("/Users")
    bound = read(client)["bound"]
    assert bound == {"max_entries": 1000, "kept": 1, "dropped": 0, "complete": True}


def test_the_bound_drops_the_oldest_and_says_so(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_JOURNAL_MAX=5).test_client()
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    acme = ScimTenant(client, created)
    for i in range(12):
        acme.create_user(f"user{i:02d}")
    page = read(client)
    bound = page["bound"]
    assert bound["max_entries"] == 5
    assert bound["complete"] is False
    assert bound["dropped"] > 0
    assert bound["kept"] + bound["dropped"] == 12
    assert 5 <= bound["kept"] <= 6  # trimmed when a tenth (at least one) over the bound
    names = [e["request"]["body"]["userName"] for e in page["entries"]]
    assert names == [f"user{i:02d}" for i in range(11, 11 - bound["kept"], -1)]  # the newest kept
    assert verify(client, method="POST", path="/Users")["bound"] == bound


def test_the_bound_counts_a_trim_made_after_its_tenant_was_read(build_app: Callable[..., Flask]) -> None:
    """The control plane reads the tenant, then the bound: entries trimmed by other requests in
    between are either still kept or already counted as dropped, never neither."""
    app = build_app(EMULATOR_JOURNAL_MAX=5)
    client = app.test_client()
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    acme = ScimTenant(client, created)
    with app.app_context():
        tenant = tenants.get("generic", "acme")  # as a control-plane request reads it first
        for _ in range(12):
            acme.get("/Users")  # other requests, each with its own session: trims commit meanwhile
        bound = journal.read().bound(tenant)
    assert bound["dropped"] > 0
    assert bound["kept"] + bound["dropped"] == 12


def test_clear_empties_the_journal_and_its_dropped_count(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_JOURNAL_MAX=2).test_client()
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    acme = ScimTenant(client, created)
    for _ in range(5):
        acme.get("/Users")
    assert read(client)["bound"]["dropped"] > 0
    response = client.delete(JOURNAL)
    assert response.status_code == 204
    assert read(client) == {
        "bound": {"max_entries": 2, "kept": 0, "dropped": 0, "complete": True},
        "entries": [],
    }
    acme.get("/Users")
    assert len(entries(client)) == 1


def test_journal_off_records_nothing(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_JOURNAL=False).test_client()
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    acme = ScimTenant(client, created)
    acme.create_user("alice")
    acme.get("/Users")
    assert read(client)["entries"] == []
    assert verify(client, method="POST", path="/Users")["matched"] == 0


# -- verification ------------------------------------------------------------------------------------


def test_verify_counts_matching_requests(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("alice", name={"givenName": "Alice"}, emails=[{"value": "a@example.com"}])
    tenant.create_user("bob")
    result = verify(client, method="POST", path="/Users", body={"userName": "alice"}, count=1)
    assert result["ok"] is True
    assert result["matched"] == 1
    assert result["expected"] == 1
    assert "nearest" not in result
    assert verify(client, method="POST", path="/Users", count=2)["ok"] is True
    assert verify(client, method="post", path="/Users*")["ok"] is True  # no count: at least one
    nested = {"name": {"givenName": "Alice"}, "emails": [{"value": "a@example.com"}]}
    assert verify(client, body=nested, count=1)["ok"] is True
    assert verify(client, body={"USERNAME": "bob"}, count=1)["ok"] is True  # attribute names fold case


def test_verify_mismatch_shows_the_nearest_entries(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.create_user("alice", title="Engineer")
    tenant.get("/Users")
    tenant.get("/Groups")
    result = verify(client, method="POST", path="/Users", body={"userName": "alice", "title": "CEO"}, count=1)
    assert result["ok"] is False
    assert result["matched"] == 0
    assert result["expected"] == 1
    nearest = result["nearest"]
    assert 1 <= len(nearest) <= 3
    assert nearest[0]["method"] == "POST"
    assert nearest[0]["request"]["body"]["title"] == "Engineer"
    assert result["matching"] == []


def test_verify_too_many_lists_those_that_matched(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.get("/Users")
    tenant.get("/Users")
    result = verify(client, method="GET", path="/Users", count=1)
    assert result["ok"] is False
    assert result["matched"] == 2
    assert len(result["matching"]) == 2


def test_verify_count_zero(client: FlaskClient, tenant: ScimTenant) -> None:
    tenant.get("/Users")
    assert verify(client, method="DELETE", count=0)["ok"] is True
    assert verify(client, method="GET", count=0)["ok"] is False


@pytest.mark.parametrize(
    "spec",
    [{"count": -1}, {"count": True}, {"count": "1"}, {"count": 1.5}, {"methd": "POST"}, {"path": 5}],
    ids=json.dumps,
)
def test_bad_verifications_are_400(client: FlaskClient, tenant: ScimTenant, spec: dict[str, Any]) -> None:
    assert_scim_error(client.post(f"{JOURNAL}/verify", json=spec), 400)


@pytest.mark.parametrize("data", [b"[]", b"{", b'"x"'])
def test_verify_needs_a_json_object(client: FlaskClient, tenant: ScimTenant, data: bytes) -> None:
    response = client.post(f"{JOURNAL}/verify", data=data, headers={"Content-Type": "application/json"})
    assert_scim_error(response, 400)

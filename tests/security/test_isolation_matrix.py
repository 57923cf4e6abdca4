"""Tenant isolation as a matrix: every ordered pair of tenants, every SCIM endpoint and method.

Tenants: two generic and two Britive (same vendor, one of each pair with
``unknown_members=reject``), and one each of Jive, Jostle, Jellyfish and Thrive. For every
ordered pair (a, b): a's credentials are refused everywhere on b; a's ids are 404 on b for
GET, PUT, PATCH and DELETE; b's listings, filters and searches never show a's resources;
b's groups never take a's users as members; the journal records each request in the
addressed tenant only; and a fault scoped to one tenant (or vendor) never fires on another.
tests/scim/test_isolation.py covers a single generic pair in depth; this file covers breadth.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import GROUP, PATCH_OP, USER, ScimTenant

SEARCH = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
TENANTS: list[tuple[str, str, dict[str, Any]]] = [
    ("generic", "g1", {}),
    ("generic", "g2", {"unknown_members": "reject"}),
    ("britive", "b1", {}),
    ("britive", "b2", {"unknown_members": "reject"}),
    ("jive", "j1", {}),
    ("jostle", "s1", {}),
    ("jellyfish", "f1", {}),
    ("thrive", "t1", {}),
]


@dataclass
class Member:
    """A tenant of the matrix with the resources it was given."""

    tenant: ScimTenant
    has_groups: bool
    reject_unknown_members: bool
    users: dict[str, str] = field(default_factory=dict)  # userName -> id
    groups: dict[str, str] = field(default_factory=dict)  # displayName -> id

    @property
    def key(self) -> str:
        return f"{self.tenant.vendor}/{self.tenant.name}"

    @property
    def ids(self) -> set[str]:
        return set(self.users.values()) | set(self.groups.values())

    def call(
        self, method: str, path: str, body: Any = None, authorization: str | None = None
    ) -> TestResponse:
        """A request to this tenant, marked with its key in the query (the journal test reads it)."""
        mark = ("&" if "?" in path else "?") + f"mark={self.key}"
        headers = {"Authorization": authorization or self.tenant.authorization}
        return self.tenant.client.open(
            self.tenant.base + path + mark, method=method, json=body, headers=headers
        )

    def snapshot(self) -> tuple[Any, ...]:
        """Everything the tenant holds, as its own credentials see it."""
        users = self.call("GET", "/Users").get_json()["Resources"]
        groups = self.call("GET", "/Groups").get_json()["Resources"] if self.has_groups else []
        return tuple(sorted(str(r) for r in users + groups))


def user_body(name: str) -> dict[str, Any]:
    return {"schemas": [USER], "userName": name, "active": True}


def group_body(name: str, members: list[str]) -> dict[str, Any]:
    return {"schemas": [GROUP], "displayName": name, "members": [{"value": m} for m in members]}


@pytest.fixture
def world(make_tenant: Callable[..., ScimTenant]) -> list[Member]:
    """The matrix's tenants, each with a user alice (the same name everywhere), a user of its own, and a group."""
    members = []
    for vendor, name, options in TENANTS:
        tenant = make_tenant(vendor, name, options=options)
        member = Member(
            tenant, vendor in ("generic", "britive", "thrive"), options.get("unknown_members") == "reject"
        )
        for user_name in ("alice", f"own-{name}"):
            member.users[user_name] = tenant.create_user(user_name, active=True)["id"]
        if member.has_groups:
            member.groups["Team"] = tenant.create_group("Team", [member.users["alice"]])["id"]
        members.append(member)
    return members


def pairs(world: list[Member]) -> list[tuple[Member, Member]]:
    """Every ordered pair of distinct tenants."""
    return list(itertools.permutations(world, 2))


def requests_of(member: Member) -> list[tuple[str, str, Any]]:
    """Every SCIM endpoint and method of a tenant, with bodies that its own credentials would get through."""
    user = member.users["alice"]
    found: list[tuple[str, str, Any]] = [
        ("GET", "/Users", None),
        ("GET", '/Users?filter=userName eq "alice"', None),
        ("POST", "/Users", user_body("intruder")),
        ("POST", "/Users/.search", SEARCH),
        ("GET", f"/Users/{user}", None),
        ("PUT", f"/Users/{user}", user_body("alice")),
        (
            "PATCH",
            f"/Users/{user}",
            {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]},
        ),
        ("DELETE", f"/Users/{user}", None),
        ("POST", "/.search", SEARCH),
    ]
    if member.has_groups:
        group = member.groups["Team"]
        found += [
            ("GET", "/Groups", None),
            ("POST", "/Groups", group_body("Intruders", [])),
            ("POST", "/Groups/.search", SEARCH),
            ("GET", f"/Groups/{group}", None),
            ("PUT", f"/Groups/{group}", group_body("Team", [])),
            (
                "PATCH",
                f"/Groups/{group}",
                {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "members"}]},
            ),
            ("DELETE", f"/Groups/{group}", None),
        ]
    return found


# -- credentials -----------------------------------------------------------------------------


def test_every_tenants_credentials_are_refused_by_every_other_tenant(world: list[Member]) -> None:
    before = {m.key: m.snapshot() for m in world}
    wrong = []
    for a, b in pairs(world):
        for method, path, body in requests_of(b):
            response = b.call(method, path, body, authorization=a.tenant.authorization)
            if response.status_code not in (401, 403) or response.get_json()["status"] != str(
                response.status_code
            ):
                wrong.append(f"{a.key} credentials on {b.key}: {method} {path} -> {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert {m.key: m.snapshot() for m in world} == before


def test_a_request_without_credentials_is_refused_everywhere(
    world: list[Member], client: FlaskClient
) -> None:
    for member in world:
        for method, path, body in requests_of(member):
            response = client.open(member.tenant.base + path, method=method, json=body)
            assert response.status_code == 401, (member.key, method, path, response.status_code)


# -- ids -------------------------------------------------------------------------------------------


def test_ids_of_one_tenant_are_404_on_every_other(world: list[Member]) -> None:
    before = {m.key: m.snapshot() for m in world}
    wrong = []
    for a, b in pairs(world):
        targets = [("Users", a.users["alice"]), ("Users", a.users[f"own-{a.tenant.name}"])]
        targets += [("Groups", gid) for gid in a.groups.values()]
        for endpoint, scim_id in targets:
            bodies = {
                "GET": None,
                "PUT": user_body("alice") if endpoint == "Users" else group_body("Team", []),
                "PATCH": {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "active", "value": False}],
                },
                "DELETE": None,
            }
            for method, body in bodies.items():
                response = b.call(method, f"/{endpoint}/{scim_id}", body)
                if response.status_code != 404:
                    wrong.append(
                        f"{a.key}'s {endpoint} {scim_id} on {b.key}: {method} -> {response.status_code}"
                    )
    assert not wrong, "\n".join(wrong)
    assert {m.key: m.snapshot() for m in world} == before


def test_listings_filters_and_searches_show_only_the_tenants_own(world: list[Member]) -> None:
    everyone = {m.key: m.ids for m in world}
    for member in world:
        seen: set[str] = set()
        for method, path, body in [
            ("GET", "/Users?count=1000", None),
            ("POST", "/Users/.search", SEARCH),
            ("POST", "/.search", SEARCH),
            ("GET", '/Users?filter=userName eq "alice"', None),
            *([("GET", "/Groups", None), ("POST", "/Groups/.search", SEARCH)] if member.has_groups else []),
        ]:
            response = member.call(method, path, body)
            assert response.status_code == 200, (member.key, path, response.get_json())
            for resource in response.get_json()["Resources"]:
                seen.add(resource["id"])
                for related in resource.get("members", []) + resource.get("groups", []):
                    seen.add(related["value"])
        assert seen == member.ids, (member.key, seen - member.ids)
        alice = member.call("GET", '/Users?filter=userName eq "alice"').get_json()["Resources"]
        assert [r["id"] for r in alice] == [member.users["alice"]]
        for other_key, other_ids in everyone.items():
            if other_key != member.key:
                assert not seen & other_ids


@pytest.mark.parametrize(
    "expression",
    ['id eq "{id}"', 'externalId eq "{id}"', 'members[value eq "{id}"]', 'groups.value eq "{id}"'],
)
def test_generic_filters_on_another_tenants_ids_find_nothing(world: list[Member], expression: str) -> None:
    generic = [m for m in world if m.tenant.vendor == "generic"]
    for member in generic:
        for other in world:
            if other is member:
                continue
            for scim_id in other.ids:
                for endpoint in ("Users", "Groups"):
                    response = member.call("GET", f"/{endpoint}?filter=" + expression.format(id=scim_id))
                    assert response.status_code == 200, response.get_json()
                    assert response.get_json()["totalResults"] == 0, (member.key, other.key, expression)


# -- group members ---------------------------------------------------------------------------------


def member_ids(member: Member, group_id: str) -> list[str]:
    return [m["value"] for m in member.call("GET", f"/Groups/{group_id}").get_json().get("members", [])]


def test_group_members_never_name_another_tenants_users(world: list[Member]) -> None:
    wrong = []
    for a, b in pairs(world):
        if not b.has_groups:
            continue
        strangers = list(a.users.values())
        own = b.users["alice"]
        group = b.groups["Team"]
        attempts = [
            ("POST", "/Groups", group_body(f"Mixed-{a.tenant.name}", [own, *strangers])),
            ("PUT", f"/Groups/{group}", group_body("Team", [own, *strangers])),
            (
                "PATCH",
                f"/Groups/{group}",
                {
                    "schemas": [PATCH_OP],
                    "Operations": [
                        {"op": "add", "path": "members", "value": [{"value": s} for s in strangers]}
                    ],
                },
            ),
            (
                "PATCH",
                f"/Groups/{group}",
                {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "add", "value": {"members": [{"value": strangers[0]}]}}],
                },
            ),
            (
                "PATCH",
                f"/Groups/{group}",
                {
                    "schemas": [PATCH_OP],
                    "Operations": [
                        {
                            "op": "replace",
                            "path": "members",
                            "value": [{"value": own}, {"value": strangers[1]}],
                        }
                    ],
                },
            ),
        ]
        for method, path, body in attempts:
            response = b.call(method, path, body)
            if b.reject_unknown_members:
                if response.status_code != 400 or response.get_json().get("scimType") != "invalidValue":
                    wrong.append(
                        f"{b.key} (reject) took {a.key}'s users: {method} {path} -> {response.status_code}"
                    )
            elif response.status_code not in (200, 201):
                wrong.append(
                    f"{b.key} (ignore) refused: {method} {path} -> {response.status_code} {response.get_json()}"
                )
            elif any(m.get("value") in strangers for m in response.get_json().get("members", [])):
                wrong.append(f"{b.key} answered {a.key}'s users as members: {method} {path}")
        for listed in b.call("GET", "/Groups").get_json()["Resources"]:
            if set(strangers) & {m["value"] for m in listed.get("members", [])}:
                wrong.append(f"{b.key} stored {a.key}'s users in {listed['displayName']}")
        assert own in member_ids(b, group)
        for user_id in strangers:  # and a's users show no group of b
            groups = a.call("GET", f"/Users/{user_id}").get_json().get("groups", [])
            if set(b.groups.values()) & {g["value"] for g in groups}:
                wrong.append(f"{a.key}'s user {user_id} shows a group of {b.key}")
    assert not wrong, "\n".join(wrong)


# -- journal and faults ----------------------------------------------------------------------------


def journal_of(client: FlaskClient, member: Member) -> list[dict[str, Any]]:
    response = client.get(
        f"/_emulator/tenants/{member.tenant.vendor}/{member.tenant.name}/journal?limit=1000"
    )
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["entries"])


def test_the_journal_records_each_request_in_the_addressed_tenant_only(
    world: list[Member], client: FlaskClient
) -> None:
    for a, b in pairs(world):
        b.call("GET", "/Users", authorization=a.tenant.authorization)  # refused, journaled at b
        b.call("GET", f"/Users/{a.users['alice']}")  # 404, journaled at b
    for member in world:
        entries = journal_of(client, member)
        marks = {e["query"] for e in entries if "mark=" in e["query"]}
        assert marks, member.key
        assert all(q.endswith(f"mark={member.key}") for q in marks), (member.key, marks)
        statuses = [e["status"] for e in entries if "mark=" in e["query"]]
        assert statuses.count(401) >= len(world) - 1  # every other tenant's refused attempt
        text = str(entries)
        for other in world:
            if other is not member:
                assert other.tenant.authorization.split(" ", 1)[1] not in text  # masked, and not ours anyway


def test_a_tenant_scoped_fault_never_fires_on_another(world: list[Member], client: FlaskClient) -> None:
    for target in world:
        rule = client.post(
            "/_emulator/faults",
            json={
                "tenant": target.key,
                "method": "GET",
                "path": "/Users",
                "action": {"type": "status", "status": 503},
            },
        )
        assert rule.status_code == 201, rule.get_json()
        for member in world:
            expected = 503 if member is target else 200
            assert member.call("GET", "/Users").status_code == expected, (target.key, member.key)
        assert client.delete(f"/_emulator/faults/{rule.get_json()['id']}").status_code == 204


def test_a_vendor_scoped_fault_fires_on_that_vendors_tenants_only(
    world: list[Member], client: FlaskClient
) -> None:
    rule = client.post(
        "/_emulator/faults",
        json={
            "vendor": "britive",
            "path": "/Users",
            "action": {"type": "status", "status": 429, "retry_after": 1},
        },
    )
    assert rule.status_code == 201, rule.get_json()
    for member in world:
        expected = 429 if member.tenant.vendor == "britive" else 200
        assert member.call("GET", "/Users").status_code == expected, member.key
    fired = client.get(f"/_emulator/faults/{rule.get_json()['id']}").get_json()["fired"]
    assert fired == 2
    for member in world:
        applied = [e for e in journal_of(client, member) if e.get("fault")]
        assert bool(applied) == (member.tenant.vendor == "britive"), member.key

"""Testing a SCIM sync client against the emulator, from pytest: a file to copy and adapt.

    pip install scim-target-emulator requests pytest
    pytest examples/test_sync_client.py

Installing the emulator registers a pytest plugin: the ``scim_emulator`` fixture runs the
emulator in a background thread for the session (no Docker, no server to start), and
``scim_emulator.tenant("britive", "acme")`` gives a tenant with its URL and credentials.
A tenant a test obtains is emptied when the test ends, together with the faults it added.

The client under test is ``sync_users`` below; in your project it is your own code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


# --- the client under test -------------------------------------------------------------------


class SyncError(Exception):
    """The target refused a request the sync cannot recover from."""


@dataclass
class Person:
    """A person as the source of truth (an HR system, a directory) knows them."""

    user_name: str
    given_name: str
    family_name: str
    email: str
    active: bool = True

    def scim(self) -> dict[str, Any]:
        return {
            "schemas": [USER],
            "userName": self.user_name,
            "name": {"givenName": self.given_name, "familyName": self.family_name},
            "emails": [{"type": "work", "value": self.email, "primary": True}],
            "active": self.active,
        }


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    retries: int = 0


class ScimTarget:
    """A SCIM 2.0 endpoint with its Authorization header; retries 429 and 503 with Retry-After."""

    def __init__(self, base_url: str, authorization: str, max_retries: int = 3) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Authorization": authorization, "Accept": "application/scim+json"})
        self.max_retries = max_retries
        self.retries = 0

    def request(self, method: str, path: str, body: Any = None, params: Any = None) -> Any:
        for attempt in range(self.max_retries + 1):
            response = self.session.request(
                method, self.base_url + path, json=body, params=params, timeout=10
            )
            if response.status_code in (429, 503) and attempt < self.max_retries:
                self.retries += 1
                time.sleep(min(float(response.headers.get("Retry-After", "1")), 2.0))
                continue
            if response.status_code >= 400:
                raise SyncError(f"{method} {path}: {response.status_code} {response.text[:200]}")
            return response.json() if response.content else None
        raise AssertionError("unreachable")

    def users(self) -> list[dict[str, Any]]:
        """Every user of the target, page by page."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.request("GET", "/Users", params={"startIndex": len(found) + 1, "count": 100})
            found += page.get("Resources", [])
            if not page.get("Resources") or len(found) >= page["totalResults"]:
                return found


def differs(person: Person, user: dict[str, Any]) -> bool:
    name = user.get("name", {})
    emails = [e.get("value") for e in user.get("emails", [])]
    return (
        name.get("givenName") != person.given_name
        or name.get("familyName") != person.family_name
        or person.email not in emails
        or user.get("active", True) != person.active
    )


def sync_users(base_url: str, authorization: str, people: list[Person]) -> SyncReport:
    """Make the target's users match ``people``: create the missing, update the changed, delete the gone."""
    target = ScimTarget(base_url, authorization)
    report = SyncReport()
    existing = {user["userName"]: user for user in target.users()}
    for person in people:
        user = existing.pop(person.user_name, None)
        if user is None:
            target.request("POST", "/Users", person.scim())
            report.created.append(person.user_name)
        elif differs(person, user):
            value = {k: v for k, v in person.scim().items() if k not in ("schemas", "userName")}
            patch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": value}]}
            target.request("PATCH", f"/Users/{user['id']}", patch)
            report.updated.append(person.user_name)
    for user_name, user in existing.items():
        target.request("DELETE", f"/Users/{user['id']}")
        report.deleted.append(user_name)
    report.retries = target.retries
    return report


# --- the tests -------------------------------------------------------------------------------

PEOPLE = [
    Person("ada@example.com", "Ada", "Lovelace", "ada@example.com"),
    Person("grace@example.com", "Grace", "Hopper", "grace@example.com"),
    Person("alan@example.com", "Alan", "Turing", "alan@example.com"),
]


@pytest.fixture(params=["britive", "jostle"])
def tenant(request: pytest.FixtureRequest, scim_emulator: Any) -> Any:
    """The same tests against two vendors (emptied after each test: obtained in a function fixture)."""
    return scim_emulator.tenant(request.param, "acme")


def test_first_sync_creates_everyone(tenant: Any) -> None:
    report = sync_users(tenant.alias_url, tenant.authorization, PEOPLE)

    assert sorted(report.created) == sorted(p.user_name for p in PEOPLE)
    tenant.assert_requested("POST", "/Users", count=3)
    tenant.assert_requested("POST", "/Users", body={"userName": "ada@example.com", "active": True}, count=1)
    assert tenant.describe()["counts"]["users"] == 3


def test_second_sync_changes_nothing(tenant: Any) -> None:
    sync_users(tenant.alias_url, tenant.authorization, PEOPLE)
    tenant.clear_journal()

    report = sync_users(tenant.alias_url, tenant.authorization, PEOPLE)

    assert report == SyncReport()
    assert [e["method"] for e in tenant.journal()] == ["GET"]  # one page read, no writes


def test_changes_and_departures_are_synced(tenant: Any) -> None:
    sync_users(tenant.alias_url, tenant.authorization, PEOPLE)
    ada, grace, _alan = PEOPLE
    married = Person(grace.user_name, "Grace", "Murray Hopper", grace.email)

    report = sync_users(tenant.alias_url, tenant.authorization, [ada, married])

    assert report.updated == [grace.user_name] and report.deleted == ["alan@example.com"]
    tenant.assert_requested("PATCH", "/Users/*", count=1)
    tenant.assert_requested("DELETE", "/Users/*", count=1)
    users = ScimTarget(tenant.alias_url, tenant.authorization).users()
    assert {u["userName"]: u["name"]["familyName"] for u in users} == {
        "ada@example.com": "Lovelace",
        "grace@example.com": "Murray Hopper",
    }


def test_rate_limit_is_retried(tenant: Any) -> None:
    # the second POST /Users is answered 429 once, with Retry-After: 0
    tenant.fault(
        method="POST",
        path="/Users",
        after=1,
        times=1,
        action={"type": "status", "status": 429, "retry_after": 0},
    )

    report = sync_users(tenant.alias_url, tenant.authorization, PEOPLE)

    assert report.retries == 1 and len(report.created) == 3
    assert [e["status"] for e in tenant.journal(method="POST")] == [201, 429, 201, 201]
    tenant.assert_requested("POST", "/Users", body={"userName": "grace@example.com"}, count=2)


def test_revoked_credential_stops_the_sync(tenant: Any) -> None:
    tenant.fault(action={"type": "auth"})  # every request: 401 as for a revoked token or key

    with pytest.raises(SyncError, match="401"):
        sync_users(tenant.alias_url, tenant.authorization, PEOPLE)
    tenant.assert_requested("POST", "/Users", count=0)


# A tenant obtained in a wider-scoped fixture keeps its data between tests: seed it once.
@pytest.fixture(scope="module")
def seeded(scim_emulator: Any) -> Any:
    tenant = scim_emulator.tenant("britive", "seeded")
    tenant.seed(users=130, groups=0, prefix="legacy")
    return tenant


def as_person(user: dict[str, Any]) -> Person:
    email = next(e["value"] for e in user["emails"] if e.get("type") == "work")
    return Person(user["userName"], user["name"]["givenName"], user["name"]["familyName"], email)


def test_leavers_are_deleted_across_pages(seeded: Any) -> None:
    everyone = ScimTarget(seeded.alias_url, seeded.authorization).users()
    assert len(everyone) == 130  # read in two pages of up to 100
    stayers = [as_person(user) for user in everyone[:120]]

    report = sync_users(seeded.alias_url, seeded.authorization, stayers)

    assert len(report.deleted) == 10 and report.created == report.updated == []
    seeded.assert_requested("DELETE", "/Users/*", count=10)

"""The fault control plane through the Flask test client: CRUD, validation, states, scenario runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from sqlalchemy import delete

from emulator import create_app
from emulator.extensions import db
from emulator.faults import engine, rules
from emulator.models import FaultRule
from tests.conftest import PATCH_OP, USER, ScimTenant, assert_scim_error

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
SHIPPED = {
    "flaky-5xx",
    "quarantine",
    "rate-limited-initial-sync",
    "rate-then-flaky-then-revoked",
    "slow-vendor",
    "token-expiry-mid-sync",
}
RATE_LIMIT = {"type": "status", "status": 429, "retry_after": 5}


@pytest.fixture(scope="module")
def refusing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """One app for the tests whose requests are all refused (nothing is written, so they can share it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('refusing') / 'emulator.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "EMULATOR_TENANTS_DIR": ""})
    yield app.test_client()
    with app.app_context():
        for engine_ in db.engines.values():
            engine_.dispose()


def create(client: FlaskClient, **body: Any) -> dict[str, Any]:
    response = client.post("/_emulator/faults", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def show(client: FlaskClient, rule_id: int) -> dict[str, Any]:
    response = client.get(f"/_emulator/faults/{rule_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def listing(client: FlaskClient, tenant: str | None = None) -> list[dict[str, Any]]:
    response = client.get("/_emulator/faults", query_string={"tenant": tenant} if tenant else {})
    assert response.status_code == 200
    return response.get_json()["faults"]  # type: ignore[no-any-return]


# -- create, read, list -------------------------------------------------------------------------


def test_create_answers_201_with_the_rule_and_its_id(client: FlaskClient) -> None:
    created = create(
        client,
        tenant="britive/acme",
        method="post",
        path="/Users",
        action=RATE_LIMIT,
        times=3,
        after=1,
        probability=0.5,
        seed=42,
    )
    assert isinstance(created["id"], int)
    assert created["tenant"] == "britive/acme"
    assert created["method"] == "POST"  # upper-cased
    assert created["path"] == "/Users"
    assert created["action"] == RATE_LIMIT
    assert (created["times"], created["after"], created["probability"], created["seed"]) == (3, 1, 0.5, 42)
    assert (created["matched"], created["fired"]) == (0, 0)
    assert created["state"] == "active"
    assert created["enabled"] is True
    assert created["expires_at"] is None
    assert show(client, created["id"]) == created
    assert [rule["id"] for rule in listing(client)] == [created["id"]]


def test_defaults_of_a_minimal_rule(client: FlaskClient) -> None:
    created = create(client, action={"type": "drop"})
    assert created["tenant"] is None and created["vendor"] is None  # everything
    assert (created["times"], created["after"], created["probability"]) == (None, 0, None)
    assert created["state"] == "active"


def test_ttl_seconds_sets_an_expiry(client: FlaskClient) -> None:
    created = create(client, tenant="generic/acme", action={"type": "malformed"}, ttl_seconds=60)
    assert created["expires_at"] is not None and created["expires_at"].endswith("Z")
    assert created["state"] == "active"


def test_listing_by_tenant(client: FlaskClient) -> None:
    acme = create(client, tenant="britive/acme", action={"type": "drop"})
    create(client, tenant="britive/other", action={"type": "drop"})
    create(client, vendor="britive", action={"type": "drop"})
    assert [rule["id"] for rule in listing(client, "britive/acme")] == [acme["id"]]
    assert len(listing(client)) == 3


def test_rule_ids_are_never_reused(client: FlaskClient) -> None:
    """A journal entry's fault names one rule for good, even after every rule was deleted."""
    first = create(client, action={"type": "drop"})
    assert client.delete("/_emulator/faults").get_json() == {"removed": 1}
    assert create(client, action={"type": "drop"})["id"] > first["id"]


def test_unknown_rule_is_a_scim_404(client: FlaskClient) -> None:
    assert_scim_error(client.get("/_emulator/faults/999"), 404)
    assert_scim_error(client.patch("/_emulator/faults/999", json={"times": 1}), 404)
    assert_scim_error(client.delete("/_emulator/faults/999"), 404)


# -- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "must be a JSON object"),
        ("status 500", "must be a JSON object"),
        ({}, "action"),
        ({"action": {"type": "explode"}}, "type"),
        ({"action": {}}, "type"),
        ({"action": {"type": "status"}}, "a status action needs 'status'"),
        ({"action": {"type": "status", "status": 200}}, "status"),
        ({"action": {"type": "status", "status": 503, "retry_after": -1}}, "retry_after"),
        ({"action": {"type": "latency"}}, "a latency action needs 'ms'"),
        ({"action": {"type": "latency", "ms": -5}}, "ms"),
        (
            {"action": {"type": "latency", "ms": 10, "seconds": 3}},
            "a latency action takes ms, jitter_ms, not seconds",
        ),
        ({"action": {"type": "drop", "retry_after": 1}}, "a drop action takes no settings, not retry_after"),
        ({"action": {"type": "timeout", "seconds": 7200}}, "seconds"),
        ({"action": {"type": "drop"}, "times": 0}, "times"),
        ({"action": {"type": "drop"}, "times": "often"}, "times"),
        ({"action": {"type": "drop"}, "after": -1}, "after"),
        ({"action": {"type": "drop"}, "probability": 1.5}, "probability"),
        ({"action": {"type": "drop"}, "seed": True}, "seed"),
        ({"action": {"type": "drop"}, "ttl_seconds": -1}, "ttl_seconds"),
        ({"action": {"type": "drop"}, "method": "FETCH"}, "method"),
        ({"action": {"type": "drop"}, "tenant": "Acme"}, "tenant"),
        ({"action": {"type": "drop"}, "tenant": "britive"}, "tenant"),
        ({"action": {"type": "drop"}, "vendor": "nope"}, "vendor"),
        (
            {"action": {"type": "drop"}, "tenant": "britive/acme", "vendor": "jive"},
            "tenant and vendor disagree",
        ),
        ({"action": {"type": "drop"}, "operation": "delete:members"}, "operation"),
        ({"action": {"type": "drop"}, "path": ""}, "path"),
        ({"action": {"type": "drop"}, "colour": "red"}, "colour"),
    ],
)
def test_bad_rules_are_400_with_a_clear_detail(refusing: FlaskClient, body: Any, fragment: str) -> None:
    body_error = assert_scim_error(refusing.post("/_emulator/faults", json=body), 400)
    assert fragment in body_error["detail"], body_error["detail"]
    assert listing(refusing) == []


def test_a_body_that_is_not_json_is_400(refusing: FlaskClient) -> None:
    response = refusing.post("/_emulator/faults", data="{nope", content_type="application/json")
    body = assert_scim_error(response, 400, "invalidSyntax")
    assert "JSON object" in body["detail"]


# -- change -------------------------------------------------------------------------------------


def test_patch_changes_fields_and_keeps_counters(client: FlaskClient, tenant: ScimTenant) -> None:
    created = create(client, tenant="generic/acme", action=RATE_LIMIT, times=5)
    assert tenant.get("/Users").status_code == 429
    changed = client.patch(
        f"/_emulator/faults/{created['id']}",
        json={"times": 2, "method": "get", "action": {"type": "status", "status": 503}},
    )
    assert changed.status_code == 200, changed.get_json()
    rule = changed.get_json()
    assert (rule["times"], rule["method"], rule["action"]) == (2, "GET", {"type": "status", "status": 503})
    assert (rule["matched"], rule["fired"]) == (1, 1)  # counters stay
    assert rule["after"] == 0 and rule["tenant"] == "generic/acme"  # untouched fields keep their values
    assert tenant.get("/Users").status_code == 503
    assert show(client, created["id"])["state"] == "exhausted"
    assert tenant.get("/Users").status_code == 200


def test_patch_can_widen_the_scope_with_null(client: FlaskClient) -> None:
    created = create(client, tenant="generic/acme", method="POST", action={"type": "drop"})
    rule = client.patch(
        f"/_emulator/faults/{created['id']}", json={"tenant": None, "method": None}
    ).get_json()
    assert (rule["tenant"], rule["method"]) == (None, None)


def test_patch_ttl_seconds_restarts_the_window(client: FlaskClient) -> None:
    created = create(client, action={"type": "drop"}, ttl_seconds=0)
    assert created["state"] == "expired"
    rule = client.patch(f"/_emulator/faults/{created['id']}", json={"ttl_seconds": 60}).get_json()
    assert rule["state"] == "active"
    rule = client.patch(f"/_emulator/faults/{created['id']}", json={"ttl_seconds": None}).get_json()
    assert rule["expires_at"] is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"times": 0}, "times"),
        ({"action": {"status": 503}}, "{'action': {'type': ['Missing data"),  # an action is replaced whole
        ({"action": {"type": "status"}}, "a status action needs 'status'"),
        ({"action": None}, "action"),
        ({"vendor": "jive"}, "tenant britive/acme is not a jive tenant"),
        ({"probability": 2}, "probability"),
        ({"enabled": "sometimes"}, "enabled"),
        ([1], "must be a JSON object"),
    ],
)
def test_bad_patches_are_400_and_change_nothing(client: FlaskClient, body: Any, fragment: str) -> None:
    created = create(client, tenant="britive/acme", action=RATE_LIMIT, times=3)
    error = assert_scim_error(client.patch(f"/_emulator/faults/{created['id']}", json=body), 400)
    assert fragment in error["detail"], error["detail"]
    assert show(client, created["id"]) == created


# -- delete -------------------------------------------------------------------------------------


def test_delete_one(client: FlaskClient) -> None:
    created = create(client, action={"type": "drop"})
    kept = create(client, action={"type": "drop"})
    response = client.delete(f"/_emulator/faults/{created['id']}")
    assert response.status_code == 204 and response.get_data() == b""
    assert_scim_error(client.get(f"/_emulator/faults/{created['id']}"), 404)
    assert [rule["id"] for rule in listing(client)] == [kept["id"]]


def test_delete_all_or_one_tenants(client: FlaskClient) -> None:
    create(client, tenant="britive/acme", action={"type": "drop"})
    create(client, tenant="britive/acme", action={"type": "malformed"})
    other = create(client, tenant="britive/other", action={"type": "drop"})
    vendor = create(client, vendor="britive", action={"type": "drop"})
    response = client.delete("/_emulator/faults", query_string={"tenant": "britive/acme"})
    assert response.status_code == 200 and response.get_json() == {"removed": 2}
    assert [rule["id"] for rule in listing(client)] == [other["id"], vendor["id"]]
    assert client.delete("/_emulator/faults").get_json() == {"removed": 2}
    assert listing(client) == []


# -- states -------------------------------------------------------------------------------------


def test_states_active_exhausted_expired_disabled(client: FlaskClient, tenant: ScimTenant) -> None:
    once = create(client, tenant="generic/acme", action=RATE_LIMIT, times=1)
    assert once["state"] == "active"
    assert tenant.get("/Users").status_code == 429
    assert show(client, once["id"])["state"] == "exhausted"
    assert tenant.get("/Users").status_code == 200

    brief = create(client, tenant="generic/acme", action=RATE_LIMIT, ttl_seconds=0.2)
    assert brief["state"] == "active"
    time.sleep(0.3)
    assert show(client, brief["id"])["state"] == "expired"
    assert tenant.get("/Users").status_code == 200

    held = create(client, tenant="generic/acme", action=RATE_LIMIT, enabled=False)
    assert held["state"] == "disabled"
    assert tenant.get("/Users").status_code == 200
    assert show(client, held["id"])["matched"] == 0  # a disabled rule does not count
    enabled = client.patch(f"/_emulator/faults/{held['id']}", json={"enabled": True}).get_json()
    assert enabled["state"] == "active"
    assert tenant.get("/Users").status_code == 429


def test_later_scenario_steps_are_pending(client: FlaskClient) -> None:
    response = client.post(
        "/_emulator/scenarios/rate-then-flaky-then-revoked/start", json={"tenant": "generic/acme"}
    )
    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert [rule["state"] for rule in run["rules"]] == ["active", "pending", "pending"]
    assert [rule["state"] for rule in listing(client, "generic/acme")] == ["active", "pending", "pending"]


# -- scenarios ----------------------------------------------------------------------------------


def test_every_shipped_scenario_is_named_versioned_and_valid() -> None:
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert {path.stem for path in files} == SHIPPED
    for path in files:
        spec = yaml.safe_load(path.read_text())
        assert spec["name"] == path.stem
        assert isinstance(spec["version"], int)
        assert spec["description"]
        for step in spec["steps"]:
            for rule in step.get("rules", []):
                rules.FaultRuleSchema().load({"tenant": "generic/acme", **rule})


def test_scenarios_are_listed(client: FlaskClient) -> None:
    response = client.get("/_emulator/scenarios")
    assert response.status_code == 200
    listed = {spec["name"]: spec for spec in response.get_json()["scenarios"]}
    assert set(listed) == SHIPPED
    assert listed["flaky-5xx"]["version"] == 1
    assert listed["quarantine"]["steps"][0]["rules"] == [{"action": {"type": "auth"}}]


@pytest.mark.parametrize(
    ("name", "body", "status", "fragment"),
    [
        ("no-such-scenario", {"tenant": "generic/acme"}, 404, "no scenario 'no-such-scenario'"),
        ("quarantine", {"tenant": "generic/acme", "time_scale": 0}, 400, "time_scale"),
        ("quarantine", {"tenant": "generic/acme", "time_scale": True}, 400, "time_scale"),
        ("quarantine", {"tenant": "generic/acme", "time_scale": "fast"}, 400, "time_scale"),
        ("quarantine", {"tenant": "generic/acme", "method": "GET"}, 400, "not method"),
        ("quarantine", {"tenant": "ACME"}, 400, "tenant"),
    ],
)
def test_bad_scenario_starts(refusing: FlaskClient, name: str, body: Any, status: int, fragment: str) -> None:
    error = assert_scim_error(refusing.post(f"/_emulator/scenarios/{name}/start", json=body), status)
    assert fragment in error["detail"], error["detail"]
    assert listing(refusing) == []
    assert refusing.get("/_emulator/scenarios/runs").get_json()["runs"] == []


def test_scenario_run_status_and_stop(client: FlaskClient, tenant: ScimTenant) -> None:
    started = client.post(
        "/_emulator/scenarios/rate-limited-initial-sync/start",
        json={"tenant": "generic/acme", "time_scale": 10},
    )
    assert started.status_code == 201
    run = started.get_json()
    assert (run["scenario"], run["version"], run["tenant"]) == (
        "rate-limited-initial-sync",
        1,
        "generic/acme",
    )
    assert (run["state"], run["step"]) == ("running", 1)
    assert run["steps"][0] == {"seconds": 300, "description": "creates are rate limited"}  # scaled 30 s
    assert client.get(f"/_emulator/scenarios/runs/{run['id']}").get_json()["step"] == 1
    assert tenant.post("/Users", {"schemas": [USER], "userName": "ada"}).status_code == 429

    stopped = client.post(f"/_emulator/scenarios/runs/{run['id']}/stop").get_json()
    assert (stopped["state"], stopped["step"]) == ("stopped", None)
    assert [rule["state"] for rule in stopped["rules"]] == ["disabled"]
    assert stopped["rules"][0]["fired"] == 1  # counters stay readable
    assert tenant.post("/Users", {"schemas": [USER], "userName": "ada"}).status_code == 201
    assert [r["id"] for r in client.get("/_emulator/scenarios/runs").get_json()["runs"]] == [run["id"]]
    assert_scim_error(client.get("/_emulator/scenarios/runs/999"), 404)
    assert_scim_error(client.post("/_emulator/scenarios/runs/999/stop"), 404)


# -- the request side through the test client ---------------------------------------------------


def test_a_fault_is_noted_in_the_journal(client: FlaskClient, tenant: ScimTenant) -> None:
    rule = create(client, tenant="generic/acme", action={"type": "status", "status": 503}, times=1)
    assert tenant.get("/Users").status_code == 503
    assert tenant.get("/Users").status_code == 200
    entries = client.get("/_emulator/tenants/generic/acme/journal").get_json()["entries"]
    assert [(e["status"], e["fault"]) for e in entries] == [
        (200, None),
        (503, {"rule": rule["id"], "action": "status"}),
    ]


def test_latency_with_jitter_wider_than_ms_still_answers(client: FlaskClient, tenant: ScimTenant) -> None:
    create(client, tenant="generic/acme", action={"type": "latency", "ms": 1, "jitter_ms": 50}, times=5)
    assert [tenant.get("/Users").status_code for _ in range(5)] == [200] * 5


def test_operation_scoping_reads_patch_paths(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    tenant = make_tenant()
    user = tenant.create_user("ada")
    create(
        client, tenant="generic/acme", operation="replace:manager", action={"type": "status", "status": 500}
    )
    manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
    replace_manager = [{"op": "replace", "path": manager, "value": {"value": user["id"]}}]
    assert tenant.patch(f"/Users/{user['id']}", replace_manager).status_code == 500
    assert (
        tenant.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "title", "value": "x"}]).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("operation", "body", "touched"),
    [
        ("remove:members", [{"op": "remove", "path": 'members[value eq "1"]'}], True),
        ("remove:members", [{"op": "Remove", "path": "members"}], True),
        ("remove:members", [{"op": "add", "path": "members", "value": []}], False),
        ("remove", [{"op": "remove", "path": "title"}], True),
        ("replace:name", [{"op": "replace", "path": "name.givenName", "value": "A"}], True),
        ("replace:name.givenName", [{"op": "replace", "path": "name.familyName", "value": "A"}], False),
        ("replace:active", [{"op": "replace", "value": {"active": False}}], True),
        ("replace:displayName", [{"op": "replace", "value": {"active": False}}], False),
    ],
)
def test_operation_matching(operation: str, body: list[dict[str, Any]], touched: bool) -> None:
    ops = engine.operations_of({"schemas": [PATCH_OP], "Operations": body})
    rule = FaultRule(operation=operation, action={"type": "drop"})
    assert engine.in_scope(rule, "PATCH", "/Groups/1", ops) is touched


def test_a_rule_deleted_while_a_request_reads_it_neither_fires_nor_fails(
    client: FlaskClient, tenant: ScimTenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule goes between the lookup and the taking of its counters (another worker deleted it)."""
    create(client, tenant="generic/acme", action={"type": "status", "status": 503})
    found = engine.in_force

    def then_deleted(*args: Any, **kwargs: Any) -> list[Any]:
        rules_now = found(*args, **kwargs)
        with db.engine.begin() as connection:
            connection.execute(delete(FaultRule))
        return rules_now

    monkeypatch.setattr(engine, "in_force", then_deleted)
    response = tenant.get("/Users")
    assert response.status_code == 200, response.get_json()
    assert listing(client) == []


@pytest.mark.parametrize(
    ("method", "path", "touched"),
    [
        ("POST", "/Users", True),
        ("POST", "/Groups", True),
        ("POST", "/Users/.search", False),
        ("POST", "/.search", False),
        ("POST", "/Bulk", False),
        ("POST", "/oauth/token", False),
        ("GET", "/Users", False),
        ("PUT", "/Users/1", False),
    ],
)
def test_a_conflict_only_answers_creates(method: str, path: str, touched: bool) -> None:
    rule = FaultRule(action={"type": "conflict"})
    assert engine.in_scope(rule, method, path, []) is touched

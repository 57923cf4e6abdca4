"""Each shipped scenario played against gunicorn with 4 workers, sped up with ``time_scale``.

``time_scale`` scales step durations, not the seconds an action takes: slow-vendor's 65 s
hold is therefore checked as a rule (its presence, settings and counters), not waited for;
the timeout action itself is exercised in test_actions_live.py.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .conftest import USER, Live, LiveTenant


def start(live: Live, name: str, time_scale: float | None = None, **scope: str) -> dict[str, Any]:
    body: dict[str, Any] = dict(scope)
    if time_scale is not None:
        body["time_scale"] = time_scale
    status, run = live.control("POST", f"/_emulator/scenarios/{name}/start", body)
    assert status == 201, run
    assert (run["scenario"], run["state"], run["step"]) == (name, "running", 1)
    return run  # type: ignore[no-any-return]


def run_status(live: Live, run: dict[str, Any]) -> dict[str, Any]:
    status, body = live.control("GET", f"/_emulator/scenarios/runs/{run['id']}")
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def stop(live: Live, run: dict[str, Any]) -> dict[str, Any]:
    status, body = live.control("POST", f"/_emulator/scenarios/runs/{run['id']}/stop")
    assert status == 200, body
    assert (body["state"], body["step"]) == ("stopped", None)
    assert {rule["state"] for rule in body["rules"]} <= {"disabled"}
    return body  # type: ignore[no-any-return]


def wait_for(live: Live, run: dict[str, Any], **wanted: Any) -> dict[str, Any]:
    """Poll the run's status until it shows ``wanted`` (e.g. step=2 or state="finished")."""
    deadline = time.monotonic() + 60
    while True:
        body = run_status(live, run)
        if all(body[key] == value for key, value in wanted.items()):
            return body
        assert time.monotonic() < deadline, (wanted, body)
        time.sleep(0.05)


def new_user(tenant: LiveTenant, user_name: str) -> int:
    return tenant.post("/Users", {"schemas": [USER], "userName": user_name}).status_code


def test_rate_limited_initial_sync(live: Live) -> None:
    tenant, bystander = live.tenant(), live.tenant()
    run = start(live, "rate-limited-initial-sync", time_scale=0.05, tenant=tenant.key)
    assert [step["seconds"] for step in run["steps"]] == [1.5, 0.00005]

    refused = tenant.post("/Users", {"schemas": [USER], "userName": "ada"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "5"
    assert tenant.get("/Users").status_code == 200  # only creates are throttled
    assert new_user(bystander, "ada") == 201  # only this tenant

    finished = wait_for(live, run, state="finished")
    assert finished["step"] is None
    assert [rule["state"] for rule in finished["rules"]] == ["expired"]
    assert new_user(tenant, "ada") == 201  # recovered
    posts = tenant.journal(method="POST")
    assert [(e["status"], (e["fault"] or {}).get("action")) for e in posts] == [(429, "status"), (201, None)]


def test_flaky_5xx_is_reproducible(live: Live) -> None:
    """Two runs of the seeded scenario on two tenants answer the same sequence of statuses."""

    def play(tenant: LiveTenant) -> tuple[list[int], list[int], dict[str, Any]]:
        user = tenant.create_user("ada")
        run = start(live, "flaky-5xx", time_scale=0.05, tenant=tenant.key)  # 15 s of flakiness
        replace = [{"op": "replace", "path": "displayName", "value": "Ada"}]
        patches = []
        for _ in range(10):
            response = tenant.patch(f"/Users/{user['id']}", replace)
            if response.status_code == 503:
                assert response.headers["Retry-After"] == "1"
            patches.append(response.status_code)
        posts = [new_user(tenant, f"user{n}") for n in range(20)]
        status = run_status(live, run)
        assert (status["state"], status["step"]) == ("running", 1)
        stop(live, run)
        assert tenant.patch(f"/Users/{user['id']}", replace).status_code == 200  # stopped: no more 5xx
        return patches, posts, status

    first_patches, first_posts, first = play(live.tenant())
    second_patches, second_posts, second = play(live.tenant())
    assert (first_patches, first_posts) == (second_patches, second_posts)
    assert set(first_patches) == {200, 503}, first_patches  # 1 in 10 PATCHes fails
    assert set(first_posts) == {201, 500}, first_posts  # 1 in 20 POSTs fails
    counters = [(r["matched"], r["fired"]) for r in first["rules"]]
    assert counters == [(r["matched"], r["fired"]) for r in second["rules"]]
    assert counters == [(10, first_patches.count(503)), (20, first_posts.count(500))]


def test_slow_vendor(live: Live) -> None:
    """Every request is delayed; the rare 65 s stall is checked as a rule, not waited for."""
    tenant = live.tenant()
    run = start(live, "slow-vendor", time_scale=0.05, tenant=tenant.key)
    for _ in range(3):
        started = time.monotonic()
        assert tenant.get("/Users", timeout=60).status_code == 200
        assert time.monotonic() - started >= 0.6  # 800 +/- 200 ms
    status = run_status(live, run)
    assert (status["state"], status["step"]) == ("running", 1)
    stall, slow = status["rules"]
    assert stall["action"] == {"type": "timeout", "seconds": 65}
    assert (stall["probability"], stall["seed"], stall["state"]) == (0.02, 3, "active")
    assert (stall["matched"], stall["fired"]) == (3, 0)  # seed 3 first stalls at the 61st request
    assert slow["action"] == {"type": "latency", "ms": 800, "jitter_ms": 200}
    assert (slow["matched"], slow["fired"]) == (3, 3)
    assert all(e["fault"]["action"] == "latency" for e in tenant.journal())
    stop(live, run)
    assert tenant.get("/Users").status_code == 200


def test_token_expiry_mid_sync(live: Live) -> None:
    """The first 50 requests work, then every one is 401, however they spread over workers."""
    tenant = live.tenant()
    run = start(live, "token-expiry-mid-sync", tenant=tenant.key)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: tenant.get("/Users"), range(60)))
    assert Counter(r.status_code for r in answers) == {200: 50, 401: 10}
    assert {r.json()["detail"] for r in answers if r.status_code == 401} == {"the token has expired"}
    assert tenant.get("/Users").status_code == 401
    status = run_status(live, run)
    assert (status["state"], status["step"], status["steps"][0]["seconds"]) == ("running", 1, None)
    assert (status["rules"][0]["matched"], status["rules"][0]["fired"]) == (61, 11)
    stop(live, run)
    assert tenant.get("/Users").status_code == 200


def test_quarantine(live: Live) -> None:
    tenant, bystander = live.tenant("britive"), live.tenant("britive")
    run = start(live, "quarantine", tenant=tenant.key)
    assert (run["tenant"], run["vendor"]) == (tenant.key, None)
    for response in (
        tenant.get("/Users"),
        tenant.post("/Users", {"schemas": [USER], "userName": "ada"}),
        tenant.get("/ServiceProviderConfig"),
    ):
        assert response.status_code == 401
        assert response.json()["detail"] == "the token has been revoked"
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert bystander.get("/Users").status_code == 200
    assert [e["fault"]["action"] for e in tenant.journal()] == ["auth"] * 3
    assert run_status(live, run)["state"] == "running"  # until it is stopped
    stop(live, run)
    assert tenant.get("/Users").status_code == 200


def test_quarantine_of_a_whole_vendor(live: Live) -> None:
    first, second, other = live.tenant("britive"), live.tenant("britive"), live.tenant("generic")
    run = start(live, "quarantine", vendor="britive")
    assert (run["tenant"], run["vendor"]) == (None, "britive")
    assert [first.get("/Users").status_code, second.get("/Users").status_code] == [401, 401]
    assert other.get("/Users").status_code == 200
    stop(live, run)
    assert [first.get("/Users").status_code, second.get("/Users").status_code] == [200, 200]


def test_rate_then_flaky_then_revoked(live: Live) -> None:
    """The combined story: its three steps observed one after the other."""
    tenant = live.tenant()
    run = start(live, "rate-then-flaky-then-revoked", time_scale=0.05, tenant=tenant.key)  # 1.5 s, 3 s, ...
    assert [rule["state"] for rule in run["rules"]] == ["active", "pending", "pending"]
    assert new_user(tenant, "ada") == 429

    second = wait_for(live, run, step=2)
    assert [rule["state"] for rule in second["rules"]] == ["expired", "active", "pending"]
    assert new_user(tenant, "ada") == 201  # creates are no longer throttled

    third = wait_for(live, run, step=3)
    assert [rule["state"] for rule in third["rules"]] == ["expired", "expired", "active"]
    revoked = tenant.get("/Users")
    assert revoked.status_code == 401 and revoked.json()["detail"] == "the token has been revoked"

    stop(live, run)
    assert tenant.get("/Users").json()["totalResults"] == 1

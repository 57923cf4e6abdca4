"""When rules fire (times, after, ttl_seconds, seeded probability) and whom they touch, over real HTTP.

Counters live in the database and are taken atomically, so they are exact however requests
spread over gunicorn's workers: the parallel tests run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .conftest import USER, Live, LiveTenant

UNAVAILABLE = {"type": "status", "status": 503}
PARALLEL = 64


def statuses(tenant: LiveTenant, count: int, method: str = "GET", path: str = "/Users") -> list[int]:
    """The statuses of ``count`` sequential requests."""
    return [tenant.request(method, path).status_code for _ in range(count)]


def in_parallel(count: int, send: Callable[[int], int]) -> list[int]:
    """``count`` requests from as many threads, released together."""
    barrier = threading.Barrier(count)

    def one(number: int) -> int:
        barrier.wait(timeout=60)
        return send(number)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def faulted(tenant: LiveTenant, rule_id: int) -> int:
    """How many journal entries name this rule."""
    return sum(1 for e in tenant.journal() if e["fault"] and e["fault"]["rule"] == rule_id)


# -- times, after, ttl --------------------------------------------------------------------------


def test_times_fires_n_times_then_retires(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action=UNAVAILABLE, times=3)
    assert statuses(tenant, 5) == [503, 503, 503, 200, 200]
    state = live.fault(rule["id"])
    assert (state["matched"], state["fired"], state["state"]) == (5, 3, "exhausted")


def test_after_skips_the_first_matches(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action=UNAVAILABLE, after=2, times=2)
    assert statuses(tenant, 6) == [200, 200, 503, 503, 200, 200]
    state = live.fault(rule["id"])
    assert (state["matched"], state["fired"]) == (6, 2)


def test_ttl_seconds_ends_the_rule(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action=UNAVAILABLE, ttl_seconds=1)
    assert tenant.get("/Users").status_code == 503
    deadline = time.monotonic() + 30
    while live.fault(rule["id"])["state"] != "expired":
        assert time.monotonic() < deadline, live.fault(rule["id"])
        time.sleep(0.1)
    assert statuses(tenant, 3) == [200, 200, 200]
    state = live.fault(rule["id"])
    assert state["fired"] == 1 and state["matched"] == 1  # an expired rule no longer matches


# -- seeded probability -------------------------------------------------------------------------


def seeded_sequence(live: Live, tenant: LiveTenant, seed: int, count: int = 24) -> list[int]:
    """The statuses of ``count`` sequential requests under a fresh 50 % rule with this seed."""
    rule = live.rule(tenant=tenant.key, action=UNAVAILABLE, probability=0.5, seed=seed)
    sequence = statuses(tenant, count)
    state = live.fault(rule["id"])
    assert (state["matched"], state["fired"]) == (count, sequence.count(503))
    status, _ = live.control("DELETE", f"/_emulator/faults/{rule['id']}")
    assert status == 204
    return sequence


def test_a_seed_repeats_its_sequence(live: Live) -> None:
    tenant = live.tenant()
    first = seeded_sequence(live, tenant, seed=1234)
    second = seeded_sequence(live, tenant, seed=1234)
    assert first == second
    assert set(first) == {200, 503}  # a real mix, not all or nothing
    other_tenant = seeded_sequence(live, live.tenant(), seed=1234)
    assert other_tenant == first
    assert seeded_sequence(live, tenant, seed=4321) != first


def test_probability_zero_and_one(live: Live) -> None:
    tenant = live.tenant()
    live.rule(tenant=tenant.key, action=UNAVAILABLE, probability=0, times=5)
    assert statuses(tenant, 5) == [200] * 5
    live.clear()
    live.rule(tenant=tenant.key, action=UNAVAILABLE, probability=1)
    assert statuses(tenant, 5) == [503] * 5


def test_unseeded_probability_fires_some(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action=UNAVAILABLE, probability=0.5)
    sequence = statuses(tenant, 40)
    # P(no 503 or no 200 in 40 draws) = 2 * 0.5**40: never in practice
    assert set(sequence) == {200, 503}
    assert live.fault(rule["id"])["fired"] == sequence.count(503)


# -- exact counts across workers ----------------------------------------------------------------


def test_times_is_exact_under_parallel_clients(any_live: Live) -> None:
    """64 clients at once over 4 workers against times=10: exactly 10 faults."""
    tenant = any_live.tenant()
    rule = any_live.rule(
        tenant=tenant.key, action={"type": "status", "status": 429, "retry_after": 1}, times=10
    )
    answers = Counter(in_parallel(PARALLEL, lambda _: tenant.get("/Users").status_code))
    assert answers == {429: 10, 200: PARALLEL - 10}, answers
    state = any_live.fault(rule["id"])
    assert (state["fired"], state["matched"], state["state"]) == (10, PARALLEL, "exhausted")
    assert faulted(tenant, rule["id"]) == 10


def test_after_is_exact_under_parallel_clients(any_live: Live) -> None:
    """after=5 under 40 parallel creates: exactly 5 answered normally, every other one faulted."""
    tenant = any_live.tenant()
    rule = any_live.rule(tenant=tenant.key, method="POST", action=UNAVAILABLE, after=5)

    def create(number: int) -> int:
        return tenant.post("/Users", {"schemas": [USER], "userName": f"u{number}"}).status_code

    answers = Counter(in_parallel(40, create))
    assert answers == {201: 5, 503: 35}, answers
    assert tenant.get("/Users").json()["totalResults"] == 5
    state = any_live.fault(rule["id"])
    assert (state["matched"], state["fired"]) == (40, 35)


def test_a_seeded_sequence_is_the_same_across_workers(any_live: Live) -> None:
    """A seed draws from the match number: 32 parallel requests fire as often as 32 sequential ones."""
    tenant = any_live.tenant()
    any_live.rule(tenant=tenant.key, action=UNAVAILABLE, probability=0.3, seed=99)
    expected = statuses(tenant, 32).count(503)
    any_live.clear()  # a fresh rule with the same seed, its counters at zero
    rule = any_live.rule(tenant=tenant.key, action=UNAVAILABLE, probability=0.3, seed=99)
    answers = Counter(in_parallel(32, lambda _: tenant.get("/Users").status_code))
    assert answers[503] == expected and answers[200] == 32 - expected, (answers, expected)
    assert 0 < expected < 32
    assert any_live.fault(rule["id"])["fired"] == expected


# -- scope --------------------------------------------------------------------------------------


def test_a_tenant_rule_leaves_other_tenants_alone(live: Live) -> None:
    acme, other = live.tenant("britive"), live.tenant("britive")
    rule = live.rule(tenant=acme.key, action=UNAVAILABLE)
    assert statuses(acme, 3) == [503] * 3
    assert statuses(other, 3) == [200] * 3
    assert live.fault(rule["id"])["matched"] == 3
    assert all(e["fault"] is None for e in other.journal())


def test_a_vendor_rule_hits_that_vendors_tenants_only(live: Live) -> None:
    first, second, generic = live.tenant("britive"), live.tenant("britive"), live.tenant("generic")
    rule = live.rule(vendor="britive", action=UNAVAILABLE)
    assert statuses(first, 2) == [503, 503]
    assert statuses(second, 2) == [503, 503]
    assert statuses(generic, 2) == [200, 200]
    assert live.fault(rule["id"])["matched"] == 4


def test_a_rule_without_scope_hits_every_tenant(live: Live) -> None:
    tenants = [live.tenant("britive"), live.tenant("generic"), live.tenant("thrive")]
    rule = live.rule(action=UNAVAILABLE, path="/Users")
    assert [t.get("/Users").status_code for t in tenants] == [503, 503, 503]
    assert live.fault(rule["id"])["fired"] == 3
    status, _ = live.control("GET", "/_emulator/health")
    assert status == 200  # the control plane is never faulted


def test_method_scope(live: Live) -> None:
    tenant = live.tenant()
    live.rule(tenant=tenant.key, method="POST", action=UNAVAILABLE)
    assert tenant.get("/Users").status_code == 200
    assert tenant.post("/Users", {"schemas": [USER], "userName": "ada"}).status_code == 503
    assert tenant.get("/Users").json()["totalResults"] == 0


def test_path_scope(live: Live) -> None:
    tenant = live.tenant()
    user = tenant.create_user("ada")
    group = tenant.create_group("staff")
    user_path, group_path = f"/Users/{user['id']}", f"/Groups/{group['id']}"
    paths = ["/Users", user_path, "/Groups", group_path, "/ServiceProviderConfig"]

    def hit(pattern: str) -> list[str]:
        rule = live.rule(tenant=tenant.key, path=pattern, action=UNAVAILABLE)
        touched = [p for p in paths if tenant.get(p).status_code == 503]
        assert live.fault(rule["id"])["fired"] == len(touched)
        live.clear()
        return touched

    assert hit("/Users") == ["/Users"]
    assert hit("/Users/*") == [user_path]
    assert hit("/Users*") == ["/Users", user_path]
    assert hit("/Groups*") == ["/Groups", group_path]
    assert hit("/ServiceProviderConfig") == ["/ServiceProviderConfig"]


def test_operation_scope(live: Live) -> None:
    tenant = live.tenant()
    ada, bob = tenant.create_user("ada"), tenant.create_user("bob")
    group = tenant.create_group("staff", [ada["id"], bob["id"]])
    rule = live.rule(tenant=tenant.key, operation="remove:members", action=UNAVAILABLE)
    where = f"/Groups/{group['id']}"

    def patch(operations: list[dict[str, Any]]) -> int:
        return tenant.patch(where, operations).status_code

    assert patch([{"op": "add", "path": "members", "value": [{"value": ada["id"]}]}]) in (200, 204)
    assert patch([{"op": "replace", "path": "displayName", "value": "everyone"}]) in (200, 204)
    assert patch([{"op": "remove", "path": f'members[value eq "{bob["id"]}"]'}]) == 503
    assert tenant.get(where).status_code == 200  # not a PATCH at all
    state = live.fault(rule["id"])
    assert (state["matched"], state["fired"]) == (1, 1)
    members = tenant.get(where).json().get("members", [])
    assert bob["id"] in [m["value"] for m in members]  # the faulted remove did not happen

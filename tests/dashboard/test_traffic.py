"""The journal's live-view queries the dashboard polls, and the chart drawn from them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask

from emulator import journal, tenants
from emulator.dashboard import access, chart
from emulator.models import utcnow
from tests.conftest import ScimTenant


def test_traffic_counts_requests_per_second_by_status_class(app: Flask, tenant: ScimTenant) -> None:
    tenant.create_user("ada@example.org")
    tenant.get("/Users/missing")
    tenant.get("/Users")
    with app.app_context():
        acme = tenants.get("generic", "acme")
        traffic = journal.read().traffic(acme, seconds=60)
        assert traffic["seconds"] == 60 and len(traffic["buckets"]) == 60
        totals = {c: sum(b[c] for b in traffic["buckets"]) for c in traffic["classes"]}
        assert totals == {"2xx": 2, "3xx": 0, "4xx": 1, "5xx": 0}
        assert sum(traffic["buckets"][-1].values()) + sum(traffic["buckets"][-2].values()) == 3

        later = journal.read().traffic(acme, seconds=60, now=utcnow() + timedelta(minutes=2))
        assert all(not any(b.values()) for b in later["buckets"])


def test_recent_counts_and_newest_entries(app: Flask, make_tenant: Callable[..., ScimTenant]) -> None:
    acme = make_tenant("generic", "acme")
    beta = make_tenant("generic", "beta")
    for _ in range(3):
        acme.get("/Users")
    beta.get("/Users")
    with app.app_context():
        acme_row, beta_row = tenants.get("generic", "acme"), tenants.get("generic", "beta")
        assert journal.read().recent_counts(60) == {acme_row.id: 3, beta_row.id: 1}
        assert journal.read().recent_counts(60, now=utcnow() + timedelta(minutes=5)) == {}
        newest = journal.read().newest(acme_row, limit=2)
        assert len(newest) == 2 and newest[0].id > newest[1].id
        assert [e.id for e in journal.read().newest(acme_row, after_id=newest[1].id)] == [newest[0].id]
        assert journal.read().entry(acme_row, newest[0].id) is newest[0]


def test_status_classes() -> None:
    assert [journal.status_class(s) for s in (101, 204, 304, 429, 499, 503)] == [
        "2xx",
        "2xx",
        "3xx",
        "4xx",
        "4xx",
        "5xx",
    ]


def test_the_chart_stacks_classes_and_scales_to_the_peak() -> None:
    buckets = [dict.fromkeys(("2xx", "3xx", "4xx", "5xx"), 0) for _ in range(4)]
    buckets[1].update({"2xx": 2, "5xx": 2})
    buckets[3].update({"4xx": 1})
    drawn = chart.stacked(
        {"seconds": 4, "classes": ["2xx", "3xx", "4xx", "5xx"], "buckets": buckets}, width=40, height=80
    )
    assert drawn.peak == 4
    assert drawn.totals == {"2xx": 2, "3xx": 0, "4xx": 1, "5xx": 2}
    ok, failed, throttled = drawn.bars
    assert (ok.x, ok.y, ok.height, ok.status_class) == (10, 40, 40, "2xx")
    assert (failed.y, failed.height, failed.status_class) == (0, 40, "5xx")  # stacked on top
    assert (throttled.x, throttled.height, throttled.second) == (30, 20, 0)


def test_the_session_key_is_the_configured_secret_when_one_is_set(
    build_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    derived = access.signing_key(build_app(EMULATOR_ADMIN_TOKEN="token"))
    assert derived == access.signing_key(build_app(EMULATOR_ADMIN_TOKEN="token"))
    assert derived != access.signing_key(build_app(EMULATOR_ADMIN_TOKEN="other"))
    monkeypatch.setenv("EMULATOR_SECRET_KEY", "configured")
    assert access.signing_key(build_app(EMULATOR_ADMIN_TOKEN="token")) == "configured"

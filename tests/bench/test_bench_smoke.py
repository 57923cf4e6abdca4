"""The benchmark harness runs end to end (tiny tenants, 1 s runs); only with BENCH_SMOKE=1.

It starts real gunicorn servers and wrk for about two minutes, which CI's time budget does
not cover: ``BENCH_SMOKE=1 pytest tests/bench`` runs it on purpose.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("BENCH_SMOKE") != "1",
        reason="runs real servers under wrk for ~2 minutes: set BENCH_SMOKE=1 to run it",
    ),
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"),
]


def test_the_harness_measures_every_workload_and_writes_its_report(tmp_path: Path) -> None:
    from bench import run

    data = run.main(["--smoke", "--out", str(tmp_path)])

    assert {p.name for p in tmp_path.iterdir()} >= {"latest.json", "latest.md", "latency_vs_size.png"}
    assert json.loads((tmp_path / "latest.json").read_text())["date"] == data["date"]
    emulator = [r for r in data["results"] if r["system"] == run.EMULATOR]
    workloads = {r["workload"] for r in emulator}
    assert workloads >= {"filter", "create", "patch", "member_small", "member_big", "compound_email", "sync"}
    for result in emulator:
        assert result["requests"] > 0, result
        assert sum(result["errors"].values()) == 0, result
    assert all(g["met"] is not None for g in data["goals"] if "scim2-server" not in g["goal"])
    assert "| tenant size | workload | system |" in (tmp_path / "latest.md").read_text()

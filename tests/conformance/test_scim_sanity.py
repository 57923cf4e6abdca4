"""scim-sanity's live probe against a gunicorn-served emulator (real HTTP, real processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# Phases the generic vendor legitimately skips: it does not advertise the Agent draft resources.
SKIPPABLE_PHASES = ("Phase 4 ", "Phase 5 ", "Phase 5a ")


@pytest.fixture(scope="module")
def generic_tenant(create_live_tenant: Callable[[str, str], dict[str, Any]]) -> dict[str, Any]:
    return create_live_tenant("generic", "acme")


def test_scim_sanity_probe_passes(generic_tenant: dict[str, Any]) -> None:
    executable = Path(sys.executable).parent / "scim-sanity"
    assert executable.exists(), f"{executable} missing: pip install scim-sanity"
    token = generic_tenant["credentials"]["authorization"].removeprefix("Bearer ")
    command = [
        str(executable),
        "probe",
        generic_tenant["alias_url"],
        "--token",
        token,
        "--i-accept-side-effects",
        "--json-output",
        "--timeout",
        "15",
    ]

    completed = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300)

    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"scim-sanity exit {completed.returncode}, no JSON:\n{completed.stdout}\n{completed.stderr}"
        )
    not_passed = [
        result
        for result in report["results"]
        if result["status"] != "pass"
        and not (result["status"] == "skip" and result.get("phase", "").startswith(SKIPPABLE_PHASES))
    ]
    listing = "\n".join(
        f"{r['status'].upper()} [{r.get('phase', '')}] {r['name']}: {r.get('message', '')}"
        for r in not_passed
    )
    assert completed.returncode == 0 and not not_passed, (
        f"scim-sanity exit {completed.returncode}, summary {report['summary']}:\n{listing}\n{completed.stderr}"
    )
    assert report["summary"]["passed"] > 0

"""scim2-tester (python-scim) run in-process against a fresh generic tenant."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from scim2_tester import CheckResult, Status


@pytest.mark.parametrize("via", ["host", "alias"])
def test_generic_tenant_passes_every_scim2_tester_check(
    app: Flask,
    via: str,
    run_scim2_tester: Callable[..., list[CheckResult]],
    describe_results: Callable[[list[CheckResult]], str],
) -> None:
    results = run_scim2_tester(app, "generic", "acme", via=via)

    assert results, "scim2-tester produced no result"
    failed = [result for result in results if result.status is not Status.SUCCESS]
    assert not failed, (
        f"{len(failed)}/{len(results)} scim2-tester checks did not succeed:\n" + describe_results(results)
    )


def test_scim2_tester_exercised_both_resource_types(
    app: Flask, run_scim2_tester: Callable[..., list[CheckResult]]
) -> None:
    """Guard against a vacuous pass: discovery must expose User and Group, and CRUD must run on both."""
    results = run_scim2_tester(app, "generic", "acme", options={"include_tags": {"crud"}})

    tested = {result.resource_type for result in results if result.status is Status.SUCCESS}
    assert {"User", "Group"} <= tested, f"CRUD checks succeeded only for {tested}"

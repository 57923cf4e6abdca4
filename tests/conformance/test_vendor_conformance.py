"""scim2-tester against every vendor: each non-SUCCESS check is a documented restriction of that vendor.

``EXPECTED_FAILURES[vendor]`` maps (resource type, check title) to the restriction that explains
it and a pattern every such result's reason must match. A vendor passes when every
non-SUCCESS result is listed there and every listed entry actually occurs (so the set cannot
go stale). Add a vendor by adding its dict; an empty dict means every check must succeed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import CheckResult, Status, check_server

Key = tuple[str | None, str]  # (resource type, or None for server-wide checks; check title)


@dataclass(frozen=True)
class Expected:
    """A non-SUCCESS check a vendor restriction explains."""

    restriction: str  # the restriction and where it is documented
    reason: str  # a regular expression every such result's reason must match


def external_id_not_kept(source: str) -> dict[Key, Expected]:
    """scim2-tester writes and reads externalId (RFC 7643 §3.1); vendors whose table lacks it drop it."""
    restriction = (
        f"externalId is not a row of the vendor's attribute table ({source}): like every attribute "
        "outside the table it is neither stored nor returned (VENDORS.md, 'attribute restrictions')"
    )
    missing = Expected(restriction, r"requested attribute 'externalId' missing")
    unexpected = Expected(restriction, r"unexpected value for 'externalId'")
    return {
        ("User", "object_query_with_attributes"): missing,
        ("User", "object_list_with_attributes"): missing,
        ("User", "search_with_attributes"): missing,
        ("User", "check_add_attribute"): unexpected,
        ("User", "check_replace_attribute"): unexpected,
    }


EXPECTED_FAILURES: dict[str, dict[Key, Expected]] = {
    "jive": {
        **external_id_not_kept("emulator-defined core set, docs/vendors/jive.md"),
        # seed 000: the provisioning service "creates, updates, and disables" users; DELETE keeps
        # the user with active=false (quirk delete=deactivate, the Jive default)
        ("User", "object_deletion"): Expected(
            "Jive disables on DELETE (quirk delete=deactivate, seed 000): the user is still readable",
            r"still exists after deletion",
        ),
    },
    "jostle": external_id_not_kept("seed 001 'Attribute Mapping' table, docs/vendors/jostle.md"),
    "jellyfish": external_id_not_kept("seed 003 'Attribute-Mapping' table, docs/vendors/jellyfish.md"),
    # seed 002 lists externalId for users and groups, and every other attribute scim2-tester writes
    # is a row of its table or outside it and not asked back: nothing to explain
    "britive": {},
    # seed 004: the user table has no externalId row (the group table has one)
    "thrive": external_id_not_kept("seed 004 'Attribute-Mapping' table, docs/vendors/thrive.md"),
    # the whole of RFC 7643/7644 (docs/vendors/generic.md)
    "generic": {},
}


def unexplained(vendor: str, results: list[CheckResult]) -> tuple[list[str], set[Key]]:
    """(non-SUCCESS results not explained by the vendor's expected set, expected keys that never occurred)."""
    expected = EXPECTED_FAILURES[vendor]
    problems: list[str] = []
    seen: set[Key] = set()
    for result in results:
        if result.status is Status.SUCCESS:
            continue
        key: Key = (result.resource_type, result.title or "")
        entry = expected.get(key)
        if entry is None:
            problems.append(f"unexpected {result.status.name} {key}: {result.reason}")
        elif not re.search(entry.reason, result.reason or ""):
            problems.append(
                f"{result.status.name} {key} for another reason than {entry.reason!r}: {result.reason}"
            )
        else:
            seen.add(key)
    return problems, set(expected) - seen


@pytest.mark.parametrize("vendor", sorted(EXPECTED_FAILURES))
def test_scim2_tester_non_success_is_only_the_vendors_documented_restrictions(
    app: Flask,
    vendor: str,
    run_scim2_tester: Callable[..., list[CheckResult]],
    describe_results: Callable[[list[CheckResult]], str],
) -> None:
    results = run_scim2_tester(app, vendor, "acme")

    problems, stale = unexplained(vendor, results)
    assert not problems, "\n".join(problems) + "\n\nall non-SUCCESS:\n" + describe_results(results)
    assert not stale, f"expected failures that no longer occur (remove them): {sorted(stale, key=str)}"
    # guard against a vacuous pass: the User CRUD checks ran and the core ones succeeded
    succeeded = {(r.resource_type, r.title) for r in results if r.status is Status.SUCCESS}
    for title in ("object_creation", "object_query", "object_replacement"):
        assert ("User", title) in succeeded, f"{title} did not succeed:\n{describe_results(results)}"


def test_jive_deletion_check_passes_when_delete_removes(app: Flask) -> None:
    """The Jive object_deletion entry is the delete quirk: with delete=remove the check succeeds."""
    created = app.test_client().post(
        "/_emulator/tenants", json={"vendor": "jive", "name": "acme", "options": {"delete": "remove"}}
    )
    assert created.status_code == 201
    tenant = created.get_json()
    client = WSGISCIMClient(
        app, base_url=tenant["scim_url"], headers={"Authorization": tenant["credentials"]["authorization"]}
    )
    results = check_server(client, include_tags={"crud:delete"})
    deletion = [r for r in results if r.title == "object_deletion"]
    assert deletion and all(r.status is Status.SUCCESS for r in deletion), [r.reason for r in deletion]


@pytest.mark.parametrize("vendor", ["britive", "thrive", "generic"])
def test_scim2_tester_group_checks_ran_and_succeeded(
    app: Flask,
    vendor: str,
    run_scim2_tester: Callable[..., list[CheckResult]],
    describe_results: Callable[[list[CheckResult]], str],
) -> None:
    """Vendors with groups: the Group CRUD checks ran, and none of them is an expected failure."""
    results = run_scim2_tester(app, vendor, "acme")
    groups = [r for r in results if r.resource_type == "Group"]
    assert all(r.status is Status.SUCCESS for r in groups), describe_results(groups)
    succeeded = {r.title for r in groups}
    for title in ("object_creation", "object_query", "object_replacement", "object_deletion"):
        assert title in succeeded, f"Group {title} did not run for {vendor}"
    assert not any(key[0] == "Group" for key in EXPECTED_FAILURES[vendor])


def test_britive_generic_scim_provider_passes_scim2_tester(app: Flask) -> None:
    """scim_provider=Generic (strict PATCH) still passes: scim2-tester sends RFC-form requests only."""
    created = app.test_client().post(
        "/_emulator/tenants",
        json={"vendor": "britive", "name": "acme", "options": {"scim_provider": "Generic"}},
    )
    assert created.status_code == 201
    tenant = created.get_json()
    assert tenant["options"]["patch_dialect"] == "strict"
    client = WSGISCIMClient(
        app, base_url=tenant["scim_url"], headers={"Authorization": tenant["credentials"]["authorization"]}
    )
    results = check_server(client)
    failed = [r for r in results if r.status is not Status.SUCCESS]
    assert results and not failed, [(r.resource_type, r.title, r.reason) for r in failed]

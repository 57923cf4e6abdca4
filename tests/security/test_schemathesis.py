"""schemathesis against both OpenAPI documents: no 5xx, and every documented response conforms.

The control plane is tested under an admin token (schemathesis' WSGI client is not a loopback
client); the SCIM surface of each vendor through its tenant's own credentials, with the
document's server (the tenant's path alias) as the base URL. Path parameters are now and then
pointed at things that exist (the tenant, a user, a group), so not every case is a 404.
Examples per operation are bounded to keep the file within its share of the suite's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from emulator import create_app
from emulator.extensions import db
from emulator.vendors import VENDORS
from tests.conftest import GROUP, USER

ADMIN = "schemathesis-admin-token"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}
CHECKS = [not_a_server_error, response_schema_conformance]
SCIM_EXAMPLES = 8
CONTROL_EXAMPLES = 8
# the seed endpoint inserts up to a million generated users on request: a generated case would
# spend minutes there (tests/control/test_seeding.py covers it)
CONTROL_EXCLUDED = {("POST", "/_emulator/tenants/{vendor}/{name}/seed")}


@pytest.fixture
def secured(database_url: str) -> Iterator[Flask]:
    """An emulator whose control plane wants the admin token."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "EMULATOR_TENANTS_DIR": "",
            "EMULATOR_ADMIN_TOKEN": ADMIN,
        }
    )
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


def exercise(
    schema: Any,
    headers: dict[str, str],
    examples: int,
    prepare: Callable[[], dict[str, list[str]]],
    skip: set[tuple[str, str]],
) -> list[str]:
    """Run every operation of ``schema`` with bounded examples; the failures, one line each.

    ``prepare`` runs before each operation (an earlier DELETE may have removed what the
    path parameters should sometimes name) and answers the values to try for them.
    """
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in skip:
            continue
        overrides = prepare()
        names = [p.name for p in operation.path_parameters]
        choices = {name: st.sampled_from([None, *overrides[name]]) for name in names if name in overrides}

        @bounded(examples)
        @given(case=operation.as_strategy(), chosen=st.fixed_dictionaries(choices))
        def run(case: Any, chosen: dict[str, str | None]) -> None:
            for name, value in chosen.items():
                if value is not None:
                    case.path_parameters[name] = value
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # noqa: BLE001  (collected: one report for every operation)
            failures.append(f"{operation.label}: {str(error).strip()[:2000]}")
    return failures


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_scim_surface_of_each_vendor(secured: Flask, vendor: str) -> None:
    client = secured.test_client()
    created = client.post(
        "/_emulator/tenants", json={"vendor": vendor, "name": "acme"}, headers=ADMIN_HEADERS
    )
    assert created.status_code == 201, created.get_json()
    auth = {"Authorization": created.get_json()["credentials"]["authorization"]}
    base = f"/t/{vendor}/acme/scim/v2"

    def existing(endpoint: str, body: dict[str, Any]) -> str:
        """The id of the resource ``body`` describes, created again if a DELETE removed it."""
        unique = "userName" if endpoint == "Users" else "displayName"
        found = client.get(f'{base}/{endpoint}?filter={unique} eq "{body[unique]}"', headers=auth).get_json()
        if found["Resources"]:
            return str(found["Resources"][0]["id"])
        response = client.post(f"{base}/{endpoint}", json=body, headers=auth)
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["id"])

    def prepare() -> dict[str, list[str]]:
        ids = [existing("Users", {"schemas": [USER], "userName": "alice", "active": True})]
        if VENDORS[vendor].group_schema is not None:
            ids.append(
                existing(
                    "Groups", {"schemas": [GROUP], "displayName": "Team", "members": [{"value": ids[0]}]}
                )
            )
        return {"id": ids, "name": ["User", "Group"], "schemaId": [USER, GROUP]}

    schema = schemathesis.openapi.from_wsgi(
        f"/_emulator/openapi-scim.json?vendor={vendor}&tenant=acme", secured, headers=ADMIN_HEADERS
    )
    assert schema.raw_schema["servers"][0]["url"].endswith(base)
    failures = exercise(schema, auth, SCIM_EXAMPLES, prepare, set())
    assert not failures, "\n\n".join(failures)


def test_control_plane(secured: Flask) -> None:
    client = secured.test_client()

    def prepare() -> dict[str, list[str]]:
        tenant = client.get("/_emulator/tenants/generic/acme/credentials", headers=ADMIN_HEADERS)
        if tenant.status_code == 404:
            made = client.post(
                "/_emulator/tenants", json={"vendor": "generic", "name": "acme"}, headers=ADMIN_HEADERS
            )
            assert made.status_code == 201, made.get_json()
            tenant = client.get("/_emulator/tenants/generic/acme/credentials", headers=ADMIN_HEADERS)
        fault = client.post(
            "/_emulator/faults",
            json={"tenant": "generic/acme", "action": {"type": "status", "status": 503}},
            headers=ADMIN_HEADERS,
        )
        assert fault.status_code == 201, fault.get_json()
        credentials = [str(c["id"]) for c in tenant.get_json()["credentials"]]
        return {
            "vendor": ["generic"],
            "name": ["acme"],
            "credential_id": credentials,
            "rule_id": [str(fault.get_json()["id"])],
        }

    schema = schemathesis.openapi.from_wsgi("/_emulator/openapi.json", secured, headers=ADMIN_HEADERS)
    failures = exercise(schema, ADMIN_HEADERS, CONTROL_EXAMPLES, prepare, CONTROL_EXCLUDED)
    assert not failures, "\n\n".join(failures)

"""One validation for every surface: what the control plane refuses, the CLI and the dashboard refuse in the same words.

Each operation's service loads its input schema itself, so a surface that checked its input
on its own (or skipped the schema) would answer with other words, or not refuse at all.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import assert_scim_error
from tests.dashboard.conftest import submit, text


class Surfaces:
    """One operation asked of the control plane, the CLI and the dashboard, as each one's user asks it."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.client = client
        self.runner = app.test_cli_runner()

    def control(self, path: str, body: Any) -> str:
        """The detail of the control plane's 400."""
        return assert_scim_error(self.client.post(f"/_emulator{path}", json=body), 400)["detail"]

    def cli(self, *args: str) -> str:
        """The CLI's one error line, without its ``Error:``."""
        result = self.runner.invoke(args=["emulator", *args])
        assert result.exit_code == 1, (args, result.output)
        (line,) = result.output.strip().splitlines()
        return line.removeprefix("Error: ")

    def dashboard(self, path: str, form: dict[str, str], page: str) -> str:
        """The text of the page that shows the form's flashed outcome."""
        submit(self.client, path, form)
        return text(self.client.get(page))


@pytest.fixture
def surfaces(app: Flask, client: FlaskClient) -> Surfaces:
    return Surfaces(app, client)


@pytest.mark.parametrize(
    ("rule", "form"),
    [
        ({"action": {"type": "explode"}}, {"action": "explode"}),
        ({"action": {"type": "drop"}, "probability": 1.5}, {"action": "drop", "probability": "1.5"}),
        ({"action": {"type": "drop"}, "method": "fetch"}, {"action": "drop", "method": "fetch"}),
        ({"action": {"type": "latency"}, "tenant": "Acme"}, {"action": "latency", "tenant": "Acme"}),
    ],
)
def test_a_fault_rule_is_refused_alike(
    surfaces: Surfaces, client: FlaskClient, rule: dict[str, Any], form: dict[str, str]
) -> None:
    detail = surfaces.control("/faults", rule)
    assert detail.startswith("invalid fault rule: {")  # FaultRuleSchema's refusal, loaded by rules.add
    assert surfaces.cli("faults", "add", json.dumps(rule)) == detail
    assert detail in surfaces.dashboard("/faults", form, "/faults")
    assert client.get("/_emulator/faults").get_json() == {"faults": []}


@pytest.mark.parametrize(
    ("body", "args", "form"),
    [
        (
            {"vendor": "generic", "name": "Not_A_Label"},
            ["generic/Not_A_Label"],
            {"vendor": "generic", "name": "Not_A_Label"},
        ),
        ({"vendor": "nosuch", "name": "acme"}, ["nosuch/acme"], {"vendor": "nosuch", "name": "acme"}),
        (
            {"vendor": "generic", "name": "acme", "options": {"delete": "explode"}},
            ["generic/acme", "-o", "delete=explode"],
            {"vendor": "generic", "name": "acme", "options": '{"delete": "explode"}'},
        ),
    ],
)
def test_a_tenant_is_refused_alike(
    surfaces: Surfaces, client: FlaskClient, body: dict[str, Any], args: list[str], form: dict[str, str]
) -> None:
    detail = surfaces.control("/tenants", body)
    assert surfaces.cli("tenants", "create", *args) == detail
    assert detail in surfaces.dashboard("/tenants", form, "/")
    assert client.get("/_emulator/tenants").get_json() == {"tenants": []}


def test_options_that_are_not_an_object_are_the_schemas_to_refuse(
    surfaces: Surfaces, client: FlaskClient
) -> None:
    detail = surfaces.control("/tenants", {"vendor": "generic", "name": "acme", "options": [1]})
    assert detail == "invalid request: {'options': ['Not a valid mapping type.']}"
    form = {"vendor": "generic", "name": "acme", "options": "[1]"}
    assert detail in surfaces.dashboard("/tenants", form, "/")
    assert client.get("/_emulator/tenants").get_json() == {"tenants": []}


@pytest.mark.parametrize(
    ("given", "setting"),
    [
        ({"validity_days": "thirty"}, "validity_days=thirty"),  # CredentialIssueSchema's refusal
        ({"validity_days": 1.5}, "validity_days=1.5"),
        ({"validity_days": 400}, "validity_days=400"),  # Britive's range, the service's
    ],
)
def test_a_credential_is_refused_alike(
    surfaces: Surfaces, client: FlaskClient, given: dict[str, Any], setting: str
) -> None:
    client.post("/_emulator/tenants", json={"vendor": "britive", "name": "acme"})
    detail = surfaces.control("/tenants/britive/acme/credentials", given)
    assert surfaces.cli("credentials", "issue", "britive/acme", "-s", setting) == detail
    listing = client.get("/_emulator/tenants/britive/acme/credentials").get_json()
    assert len(listing["credentials"]) == 1  # the tenant's first, nothing more


@pytest.mark.parametrize(
    ("body", "args"),
    [
        ({"users": 1_000_001}, ["--users", "1000001"]),  # SeedRequestSchema's bound
        ({"users": 2, "groups": 1_000_001}, ["--users", "2", "--groups", "1000001"]),
        ({"fixture": "no-such"}, ["--fixture", "no-such"]),
    ],
)
def test_a_seed_is_refused_alike(
    surfaces: Surfaces, client: FlaskClient, body: dict[str, Any], args: list[str]
) -> None:
    client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"})
    detail = surfaces.control("/tenants/generic/acme/seed", body)
    assert surfaces.cli("tenants", "seed", "generic/acme", *args) == detail
    assert client.get("/_emulator/tenants/generic/acme").get_json()["counts"] == {"users": 0, "groups": 0}

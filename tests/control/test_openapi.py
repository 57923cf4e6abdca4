"""The control plane's OpenAPI document: valid, complete, and true to what the server answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from werkzeug.test import TestResponse

from emulator.control.schemas import COMPONENTS
from tests.conftest import USER, assert_scim_error

IGNORED_METHODS = {"HEAD", "OPTIONS"}
ADMIN = "admin-s3cret"


def openapi_path(rule: str) -> str:
    """``/_emulator/tenants/<vendor>/<int:id>`` -> ``/_emulator/tenants/{vendor}/{id}``."""
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


def control_rules(app: Flask) -> list[tuple[str, str]]:
    return sorted(
        (openapi_path(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/_emulator/")
        for method in rule.methods - IGNORED_METHODS
    )


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/_emulator/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


class Checked:
    """A test client whose control-plane responses are validated against the document."""

    def __init__(self, app: Flask, client: FlaskClient, document: dict[str, Any]) -> None:
        self.app = app
        self.client = client
        self.document = document
        self.adapter = app.url_map.bind("localhost")
        self.covered: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, status: int, **kwargs: Any) -> TestResponse:
        response = self.client.open(path, method=method, **kwargs)
        assert response.status_code == status, (method, path, response.get_data(as_text=True))
        rule, _ = self.adapter.match(path.split("?")[0], method=method, return_rule=True)
        template = openapi_path(rule.rule)
        operation = self.document["paths"][template][method.lower()]
        documented = operation["responses"].get(str(status))
        assert documented is not None, f"{method} {template} answered {status}, which is not documented"
        documented = self.resolve(documented)
        content = documented.get("content")
        if content is None:
            assert response.get_data() == b"", f"{method} {template} {status} documents no body"
        else:
            assert response.mimetype in content, (method, template, status, response.mimetype)
            schema = content[response.mimetype]["schema"]
            validator = Draft202012Validator({"allOf": [schema], "components": self.document["components"]})
            errors = sorted(validator.iter_errors(response.get_json()), key=str)
            assert not errors, f"{method} {template} {status}: " + "; ".join(
                f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
            )
        if status < 300:
            self.covered.add((template, method.upper()))
        return response

    def resolve(self, item: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in item:
            name = item["$ref"].rsplit("/", 1)[1]
            return self.document["components"]["responses"][name]
        return item


@pytest.fixture
def checked(app: Flask, client: FlaskClient, document: dict[str, Any]) -> Checked:
    return Checked(app, client, document)


# -- the document ------------------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]


def test_the_document_is_generated_from_the_marshmallow_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for schema in COMPONENTS:
        assert schema.__name__.removesuffix("Schema") in schemas, schema.__name__
    create = schemas["TenantCreate"]
    assert set(create["required"]) == {"vendor", "name"}
    assert create["properties"]["name"]["pattern"].startswith("^[a-z0-9]")
    assert schemas["Tenant"]["additionalProperties"] is False
    assert schemas["CredentialState"]["properties"]["state"]["enum"] == ["active", "expired", "revoked"]


def test_every_control_plane_route_is_documented(app: Flask, document: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for path, method in control_rules(app)
        if method.lower() not in document["paths"].get(path, {})
    ]
    assert not missing, (
        "undocumented control-plane routes (give each view a YAML docstring, "
        f"see emulator/control/openapi.py): {missing}"
    )
    for item in document["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert any(code.startswith("2") for code in operation["responses"]), operation


def test_the_document_names_no_route_that_does_not_exist(app: Flask, document: dict[str, Any]) -> None:
    routes = set(control_rules(app))
    for path, item in document["paths"].items():
        for method in item:
            if method != "parameters":
                assert (path, method.upper()) in routes, (path, method)


def test_path_parameters_are_declared(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        assert {p["name"] for p in item.get("parameters", [])} == names, path
    credential = document["paths"]["/_emulator/tenants/{vendor}/{name}/credentials/{credential_id}"]
    assert {p["name"]: p["schema"]["type"] for p in credential["parameters"]}["credential_id"] == "integer"


def test_health_is_documented_as_public(document: dict[str, Any]) -> None:
    assert document["paths"]["/_emulator/health"]["get"]["security"] == []
    assert document["security"] == [{"adminToken": []}]
    assert "401" in document["paths"]["/_emulator/tenants"]["get"]["responses"]


# -- the server answers what the document says ------------------------------------------------------------


def test_responses_match_the_document(checked: Checked, document: dict[str, Any]) -> None:
    call = checked
    call("GET", "/_emulator/health", 200)
    call("GET", "/_emulator/openapi.json", 200)
    call("GET", "/_emulator/vendors", 200)
    call("GET", "/_emulator/vendors/britive", 200)
    call("GET", "/_emulator/vendors/nosuch", 404)
    call("GET", "/_emulator/fixtures", 200)

    # tenants
    created = call("POST", "/_emulator/tenants", 201, json={"vendor": "generic", "name": "acme"}).get_json()
    for vendor in ("jostle", "jive", "britive", "jellyfish"):
        call("POST", "/_emulator/tenants", 201, json={"vendor": vendor, "name": "acme"})
    call("POST", "/_emulator/tenants", 409, json={"vendor": "generic", "name": "acme"})
    call("POST", "/_emulator/tenants", 400, json={"vendor": "generic"})
    call("GET", "/_emulator/tenants", 200)
    call("GET", "/_emulator/tenants/generic/acme", 200)
    call("GET", "/_emulator/tenants/generic/nobody", 404)

    # seeding
    call("POST", "/_emulator/tenants/generic/acme/seed", 201, json={"fixture": "small-org"})
    call("POST", "/_emulator/tenants/jive/acme/seed", 201, json={"users": 3, "groups": 1})
    call("POST", "/_emulator/tenants/generic/acme/seed", 409, json={"fixture": "small-org"})
    call("POST", "/_emulator/tenants/generic/acme/seed", 400, json={})

    # the journal, after some SCIM traffic
    auth = {"Authorization": created["credentials"]["authorization"]}
    client = checked.client
    client.post(
        "/t/generic/acme/scim/v2/Users",
        json={"schemas": [USER], "userName": "al", "password": "x"},
        headers=auth,
    )
    client.post("/t/generic/acme/scim/v2/Users", json={"schemas": [USER]}, headers=auth)
    client.get("/t/generic/acme/scim/v2/Users?filter=userName%20eq%20%22al%22", headers=auth)
    call("GET", "/_emulator/tenants/generic/acme/journal", 200)
    call("GET", "/_emulator/tenants/generic/acme/journal?method=POST&status=4xx&limit=1", 200)
    call("GET", "/_emulator/tenants/generic/acme/journal?status=nonsense", 400)
    call(
        "POST",
        "/_emulator/tenants/generic/acme/journal/verify",
        200,
        json={"method": "POST", "path": "/Users"},
    )
    mismatch = call(
        "POST",
        "/_emulator/tenants/generic/acme/journal/verify",
        200,
        json={"method": "POST", "path": "/Users", "body": {"userName": "bob"}, "count": 1},
    ).get_json()
    assert mismatch["nearest"]
    call("POST", "/_emulator/tenants/generic/acme/journal/verify", 400, json={"count": -1})

    # credentials and accounts
    call("GET", "/_emulator/tenants/generic/acme/credentials", 200)
    call("GET", "/_emulator/tenants/jostle/acme/credentials", 200)
    call("POST", "/_emulator/tenants/generic/acme/credentials", 201, json={})
    for vendor in ("jive", "jostle", "britive", "jellyfish"):
        call("POST", f"/_emulator/tenants/{vendor}/acme/credentials", 201, json={"rotate": True})
    issued = call(
        "POST", "/_emulator/tenants/britive/acme/credentials", 201, json={"validity_days": 30}
    ).get_json()
    britive = "/_emulator/tenants/britive/acme/credentials"
    call("PATCH", f"{britive}/{issued['id']}", 200, json={"validity_days": 10})
    call("PATCH", f"{britive}/{issued['id']}", 400, json={"colour": "red"})
    call("POST", f"{britive}/{issued['id']}/expire", 200)
    call("POST", f"{britive}/{issued['id']}/revoke", 200)
    call("POST", f"{britive}/9999/revoke", 404)
    call("POST", "/_emulator/tenants/jostle/acme/accounts/automation/deactivate", 200)
    call("POST", "/_emulator/tenants/jostle/acme/accounts/automation/activate", 200)
    call("POST", "/_emulator/tenants/jostle/acme/accounts/nobody/activate", 404)

    # faults and scenarios
    rule = call(
        "POST",
        "/_emulator/faults",
        201,
        json={
            "tenant": "generic/acme",
            "times": 1,
            "action": {"type": "status", "status": 429, "retry_after": 1},
        },
    ).get_json()
    call("POST", "/_emulator/faults", 400, json={"action": {"type": "status"}})
    call("GET", "/_emulator/faults", 200)
    call("GET", "/_emulator/faults?tenant=generic/acme", 200)
    call("GET", f"/_emulator/faults/{rule['id']}", 200)
    call("GET", "/_emulator/faults/9999", 404)
    call("PATCH", f"/_emulator/faults/{rule['id']}", 200, json={"times": 2, "ttl_seconds": 60})
    call("PATCH", f"/_emulator/faults/{rule['id']}", 400, json={"times": 0})
    call("GET", "/_emulator/scenarios", 200)
    run = call(
        "POST",
        "/_emulator/scenarios/flaky-5xx/start",
        201,
        json={"tenant": "generic/acme", "time_scale": 0.5},
    ).get_json()
    call("POST", "/_emulator/scenarios/nosuch/start", 404, json={})
    call("POST", "/_emulator/scenarios/quarantine/start", 400, json={"time_scale": 0})
    call("GET", "/_emulator/scenarios/runs", 200)
    call("GET", f"/_emulator/scenarios/runs/{run['id']}", 200)
    call("POST", f"/_emulator/scenarios/runs/{run['id']}/stop", 200)
    call("GET", "/_emulator/scenarios/runs/9999", 404)
    call("DELETE", f"/_emulator/faults/{rule['id']}", 204)
    call("DELETE", f"/_emulator/faults/{rule['id']}", 404)
    call("DELETE", "/_emulator/faults?tenant=generic/acme", 200)
    call("DELETE", "/_emulator/faults", 200)

    # the SCIM surface's OpenAPI document (emulator/control/openapi_scim.py)
    call("GET", "/_emulator/openapi-scim.json?vendor=britive", 200)
    call("GET", "/_emulator/openapi-scim.json?vendor=nope", 404)
    call("GET", "/_emulator/openapi-scim.json?tenant=Not_A_Label", 400)

    # reset, clear, delete
    call("POST", "/_emulator/tenants/generic/acme/reset", 200)
    call("DELETE", "/_emulator/tenants/generic/acme/journal", 204)
    call("DELETE", "/_emulator/tenants/generic/acme", 204)
    call("DELETE", "/_emulator/tenants/generic/acme", 404)

    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    missing = sorted(documented - checked.covered)
    assert not missing, f"add a representative call for {missing} to this test"


def test_auth_failures_match_the_document(build_app: Callable[..., Flask], document: dict[str, Any]) -> None:
    guarded = build_app(EMULATOR_ADMIN_TOKEN=ADMIN)
    checked = Checked(guarded, guarded.test_client(), document)
    response = checked("GET", "/_emulator/openapi.json", 401)
    assert_scim_error(response, 401)
    good = {"Authorization": f"Bearer {ADMIN}"}
    assert checked("GET", "/_emulator/openapi.json", 200, headers=good).get_json() == document
    checked("GET", "/_emulator/health", 200)
    open_app = build_app()
    remote = Checked(open_app, open_app.test_client(), document)
    assert_scim_error(
        remote("GET", "/_emulator/openapi.json", 403, environ_base={"REMOTE_ADDR": "10.0.0.5"}), 403
    )
    assert_scim_error(remote("GET", "/_emulator/tenants", 403, environ_base={"REMOTE_ADDR": "10.0.0.5"}), 403)

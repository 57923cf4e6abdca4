"""PATCH message keys in any case: every spelling Entra or Okta sends works the same on every attribute.

RFC 7643 §2.1 makes attribute names case-insensitive, and the PatchOp message's own keys with them:
Entra sends ``Operations`` and capitalised ops, Okta lower case. The key spelling never decides what
a PATCH does; the tenant's dialect still decides which op names it takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import PATCH_OP, ScimTenant, assert_scim_error

# the keys of a PatchOp message: schemas, Operations, op, path, value
SPELLINGS = {
    "rfc": ("schemas", "Operations", "op", "path", "value"),
    "capitalised": ("schemas", "Operations", "Op", "Path", "Value"),
    "upper": ("SCHEMAS", "OPERATIONS", "OP", "PATH", "VALUE"),
    "Schemas": ("Schemas", "Operations", "op", "path", "value"),
    "lower": ("schemas", "operations", "op", "path", "value"),
}
OTHER_SPELLINGS = [name for name in SPELLINGS if name != "rfc"]


def spelled(spelling: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
    """A PatchOp body of ``operations`` (written with RFC keys) with its keys spelled as ``spelling``."""
    schemas, operations_key, op, path, value = SPELLINGS[spelling]
    keys = {"op": op, "path": path, "value": value}
    return {schemas: [PATCH_OP], operations_key: [{keys[k]: v for k, v in o.items()} for o in operations]}


@pytest.fixture(params=["lenient", "strict"])
def target(request: pytest.FixtureRequest, make_tenant: Callable[..., ScimTenant]) -> ScimTenant:
    """A generic tenant in the default (Entra-lenient) PATCH dialect, or in the strict one."""
    if request.param == "strict":
        return make_tenant("generic", "acme", options={"patch_dialect": "strict"})
    return make_tenant("generic", "acme")


@pytest.fixture(params=list(SPELLINGS))
def spelling(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def alice(target: ScimTenant) -> dict[str, Any]:
    """A user with a name and a work and a home email."""
    return target.create_user(
        "alice",
        active=True,
        name={"givenName": "Alice", "familyName": "Smith"},
        emails=[
            {"value": "alice@work.example", "type": "work", "primary": True},
            {"value": "alice@home.example", "type": "home"},
        ],
    )


@pytest.fixture
def crew(target: ScimTenant) -> list[str]:
    """The ids of two users to put in groups."""
    return [target.create_user(name)["id"] for name in ("ann", "ben")]


def patched(target: ScimTenant, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH ``path`` with ``body``, expect 200, and check that a GET agrees."""
    response = target.patch(path, body)
    assert response.status_code == 200, response.get_json()
    answered: dict[str, Any] = response.get_json()
    assert answered == target.get(path).get_json()
    return answered


def member_ids(body: dict[str, Any]) -> list[str]:
    return sorted(m["value"] for m in body.get("members", []))


# -- each attribute, each spelling, both dialects ------------------------------------------------


def test_group_display_name(target: ScimTenant, spelling: str) -> None:
    group = target.create_group("Team")
    operation = {"op": "add", "path": "displayName", "value": "Platform"}
    body = patched(target, f"/Groups/{group['id']}", spelled(spelling, [operation]))
    assert body["displayName"] == "Platform"


def test_user_title(target: ScimTenant, alice: dict[str, Any], spelling: str) -> None:
    operation = {"op": "add", "path": "title", "value": "Engineer"}
    body = patched(target, f"/Users/{alice['id']}", spelled(spelling, [operation]))
    assert body["title"] == "Engineer"


def test_user_given_name(target: ScimTenant, alice: dict[str, Any], spelling: str) -> None:
    operation = {"op": "replace", "path": "name.givenName", "value": "Alicia"}
    body = patched(target, f"/Users/{alice['id']}", spelled(spelling, [operation]))
    assert body["name"] == {"givenName": "Alicia", "familyName": "Smith"}


def test_user_work_email_through_a_value_filter(
    target: ScimTenant, alice: dict[str, Any], spelling: str
) -> None:
    operation = {"op": "replace", "path": 'emails[type eq "work"].value', "value": "alice@new.example"}
    body = patched(target, f"/Users/{alice['id']}", spelled(spelling, [operation]))
    assert [(e["type"], e["value"]) for e in body["emails"]] == [
        ("work", "alice@new.example"),
        ("home", "alice@home.example"),
    ]


def test_user_path_less_replace(target: ScimTenant, alice: dict[str, Any], spelling: str) -> None:
    operation = {"op": "replace", "value": {"active": False, "title": "Gone"}}
    body = patched(target, f"/Users/{alice['id']}", spelled(spelling, [operation]))
    assert body["active"] is False
    assert body["title"] == "Gone"


def test_group_member_add(target: ScimTenant, crew: list[str], spelling: str) -> None:
    group = target.create_group("Team", crew[:1])
    operation = {"op": "add", "path": "members", "value": [{"value": crew[1]}]}
    body = patched(target, f"/Groups/{group['id']}", spelled(spelling, [operation]))
    assert member_ids(body) == sorted(crew)


def test_group_member_remove_by_value_and_by_filter(
    target: ScimTenant, crew: list[str], spelling: str
) -> None:
    group = target.create_group("Team", crew)
    operations = [
        {"op": "remove", "path": "members", "value": [{"value": crew[0]}]},
        {"op": "remove", "path": f'members[value eq "{crew[1]}"]'},
    ]
    body = patched(target, f"/Groups/{group['id']}?attributes=members", spelled(spelling, operations))
    assert member_ids(body) == []


def test_group_rename_and_member_add_in_one_path_less_op(
    target: ScimTenant, crew: list[str], spelling: str
) -> None:
    group = target.create_group("Team")
    operation = {"op": "add", "value": {"displayName": "Platform", "members": [{"value": crew[0]}]}}
    body = patched(target, f"/Groups/{group['id']}", spelled(spelling, [operation]))
    assert body["displayName"] == "Platform"
    assert member_ids(body) == crew[:1]


# -- refusals are the same too -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "replace", "path": "nope", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "emails[type eq", "value": "x"}, "invalidPath"),
        ({"op": "move", "path": "title", "value": "x"}, "invalidSyntax"),
        ({"op": "add", "path": "title"}, "invalidSyntax"),
        ({"op": "replace", "path": "title", "value": {"a": 1}}, "invalidValue"),
        ({"op": "remove"}, "noTarget"),
    ],
)
@pytest.mark.parametrize("spelling", OTHER_SPELLINGS)
def test_refusals_do_not_depend_on_the_spelling(
    target: ScimTenant, alice: dict[str, Any], spelling: str, operation: dict[str, Any], scim_type: str
) -> None:
    path = f"/Users/{alice['id']}"
    expected = assert_scim_error(target.patch(path, spelled("rfc", [operation])), 400, scim_type)
    assert assert_scim_error(target.patch(path, spelled(spelling, [operation])), 400) == expected
    assert target.get(path).get_json() == alice


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_the_dialect_not_the_spelling_decides_the_case_of_op_names(
    make_tenant: Callable[..., ScimTenant], spelling: str
) -> None:
    lenient = make_tenant("generic", "acme")
    strict = make_tenant("generic", "strict", options={"patch_dialect": "strict"})
    for tenant in (lenient, strict):
        user = tenant.create_user("alice")
        group = tenant.create_group("Team")
        title = spelled(spelling, [{"op": "Replace", "path": "title", "value": "Lead"}])
        members = spelled(spelling, [{"op": "Add", "path": "members", "value": [{"value": user["id"]}]}])
        if tenant is lenient:
            assert patched(tenant, f"/Users/{user['id']}", title)["title"] == "Lead"
            assert member_ids(patched(tenant, f"/Groups/{group['id']}", members)) == [user["id"]]
        else:
            refused = assert_scim_error(tenant.patch(f"/Users/{user['id']}", title), 400, "invalidSyntax")
            assert "strict" in refused["detail"]
            assert_scim_error(tenant.patch(f"/Groups/{group['id']}", members), 400, "invalidSyntax")
            assert tenant.get(f"/Users/{user['id']}").get_json() == user
            assert tenant.get(f"/Groups/{group['id']}").get_json() == group


# -- the fault matcher reads the same operations ---------------------------------------------------


@pytest.mark.parametrize("spelling", ["capitalised", "upper", "lower"])
def test_a_fault_scoped_to_replace_title_fires_for_any_spelling(
    client: FlaskClient, tenant: ScimTenant, spelling: str
) -> None:
    user = tenant.create_user("ada")
    rule = {
        "tenant": "generic/acme",
        "operation": "replace:title",
        "action": {"type": "status", "status": 503},
    }
    assert client.post("/_emulator/faults", json=rule).status_code == 201
    path = f"/Users/{user['id']}"
    title = spelled(spelling, [{"op": "Replace", "path": "title", "value": "Lead"}])
    assert_scim_error(tenant.patch(path, title), 503)
    display_name = spelled(spelling, [{"op": "Replace", "path": "displayName", "value": "Ada"}])
    assert tenant.patch(path, display_name).status_code == 200
    path_less = spelled(spelling, [{"op": "Replace", "value": {"Title": "Lead"}}])
    assert_scim_error(tenant.patch(path, path_less), 503)


@pytest.mark.parametrize(
    "body",
    [
        [{"op": "replace", "path": "title", "value": "x"}],
        {"schemas": [PATCH_OP], "Operations": {"op": "replace", "path": "title", "value": "x"}},
        {"schemas": [PATCH_OP], "Operations": [1, None, {"OP": 3, "PATH": 7, "VALUE": "x"}]},
        {"schemas": [PATCH_OP], "Operations": [{"Op": "Replace", "Path": "emails[type eq", "Value": "x"}]},
    ],
)
def test_a_malformed_body_passes_the_fault_matcher_to_the_view(
    client: FlaskClient, tenant: ScimTenant, body: Any
) -> None:
    user = tenant.create_user("ada")
    rule = {
        "tenant": "generic/acme",
        "operation": "replace:title",
        "action": {"type": "status", "status": 503},
    }
    assert client.post("/_emulator/faults", json=rule).status_code == 201
    assert_scim_error(tenant.request("PATCH", f"/Users/{user['id']}", json=body), 400)


# -- a missing value ---------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["add", "replace"])
@pytest.mark.parametrize("path", ["displayName", "members", 'members[value eq "x"]'])
def test_add_or_replace_without_a_value_is_refused_on_members_as_on_any_attribute(
    target: ScimTenant, crew: list[str], op: str, path: str
) -> None:
    group = target.create_group("Team", crew)
    body = assert_scim_error(target.patch(f"/Groups/{group['id']}", [{"op": op, "path": path}]), 400)
    assert body["scimType"] == "invalidSyntax"
    assert body["detail"] == f"operation 0: '{op}' needs a value"
    assert target.get(f"/Groups/{group['id']}").get_json() == group

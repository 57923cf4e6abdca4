"""Bad input of every kind answers an RFC 7644 §3.12 error body: never a 500, never an HTML page."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ENTERPRISE, GROUP, PATCH_OP, USER, ScimTenant, assert_scim_error

MIB = 1024 * 1024


@pytest.fixture
def alice(tenant: ScimTenant) -> dict[str, Any]:
    return tenant.create_user("alice")


def raw(
    tenant: ScimTenant, method: str, path: str, data: bytes | str, content_type: str = "application/scim+json"
) -> Any:
    return tenant.request(method, path, data=data, headers={"Content-Type": content_type})


# -- malformed bodies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"{",
        b'{"schemas": ["x"],}',
        b"not json at all",
        b"{'single': 'quotes'}",
        b'{"userName": "a"} trailing',
        b"NaN-ish {",
        b"",
        b"   ",
    ],
)
def test_malformed_json_is_invalid_syntax(tenant: ScimTenant, alice: dict[str, Any], data: bytes) -> None:
    assert_scim_error(raw(tenant, "POST", "/Users", data), 400, "invalidSyntax")
    assert_scim_error(raw(tenant, "PUT", f"/Users/{alice['id']}", data), 400, "invalidSyntax")
    assert_scim_error(raw(tenant, "PATCH", f"/Users/{alice['id']}", data), 400, "invalidSyntax")
    assert_scim_error(raw(tenant, "POST", "/Users/.search", data), 400, "invalidSyntax")
    assert_scim_error(raw(tenant, "POST", "/Groups", data), 400, "invalidSyntax")


@pytest.mark.parametrize("body", [[], [{"userName": "a"}], "a string", 42, None, True])
def test_a_body_that_is_not_an_object_is_invalid_syntax(tenant: ScimTenant, body: Any) -> None:
    data = json.dumps(body)
    assert_scim_error(raw(tenant, "POST", "/Users", data), 400, "invalidSyntax")
    assert_scim_error(raw(tenant, "POST", "/Users/.search", data), 400, "invalidSyntax")
    assert_scim_error(raw(tenant, "POST", "/.search", data), 400, "invalidSyntax")


def test_non_utf8_body_is_invalid_syntax(tenant: ScimTenant) -> None:
    data = b'{"schemas": ["' + USER.encode() + b'"], "userName": "caf\xe9"}'
    assert_scim_error(raw(tenant, "POST", "/Users", data), 400, "invalidSyntax")
    assert_scim_error(raw(tenant, "POST", "/Users", b"\xff\xfe{\x00}\x00"), 400, "invalidSyntax")


def test_utf8_with_bom_and_non_ascii_is_accepted(tenant: ScimTenant) -> None:
    body = json.dumps(
        {"schemas": [USER], "userName": "zoë", "displayName": "Zoë Ångström 日本"}, ensure_ascii=False
    )
    response = raw(tenant, "POST", "/Users", b"\xef\xbb\xbf" + body.encode())
    assert response.status_code == 201
    assert response.get_json()["displayName"] == "Zoë Ångström 日本"


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_deep_nesting_is_a_400_not_a_crash(tenant: ScimTenant, alice: dict[str, Any], depth: int) -> None:
    nested = "[" * depth + "]" * depth
    data = '{"schemas": ["' + USER + '"], "userName": "deep", "title": ' + nested + "}"
    assert_scim_error(raw(tenant, "POST", "/Users", data), 400, "invalidSyntax")
    objects = '{"a":' * depth + "1" + "}" * depth
    assert_scim_error(raw(tenant, "PATCH", f"/Users/{alice['id']}", objects), 400)
    assert tenant.get('/Users?filter=userName eq "deep"').get_json()["totalResults"] == 0


def test_moderate_nesting_of_valid_shape_still_works(tenant: ScimTenant) -> None:
    response = tenant.post("/Users", {"schemas": [USER], "userName": "a", "name": {"givenName": "A"}})
    assert response.status_code == 201


def test_brackets_inside_strings_are_not_nesting(tenant: ScimTenant) -> None:
    title = "[" * 100 + '\\"{' * 100 + "]"
    response = tenant.post("/Users", {"schemas": [USER], "userName": "brackets", "title": title})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == title


def test_an_unterminated_string_full_of_escapes_is_answered_quickly(tenant: ScimTenant) -> None:
    data = '{"schemas": ["' + USER + '"], "userName": "' + '\\"' * 200_000
    started = time.monotonic()
    assert_scim_error(raw(tenant, "POST", "/Users", data), 400, "invalidSyntax")
    assert time.monotonic() - started < 5


# -- size limits ------------------------------------------------------------------------------


def test_body_over_one_mebibyte_is_413(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    big = json.dumps({"schemas": [USER], "userName": "big", "title": "x" * (MIB + 10)})
    body = assert_scim_error(raw(tenant, "POST", "/Users", big), 413)
    assert body["detail"]
    patch = json.dumps(
        {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "x" * MIB}]}
    )
    assert_scim_error(raw(tenant, "PATCH", f"/Users/{alice['id']}", patch), 413)
    assert tenant.get('/Users?filter=userName eq "big"').get_json()["totalResults"] == 0


def test_body_just_under_the_limit_is_read(tenant: ScimTenant) -> None:
    padding = "y" * (MIB - 2000)
    data = json.dumps({"schemas": [USER], "userName": "fits", "ignored": {"pad": padding}})
    assert len(data) < MIB
    response = raw(tenant, "POST", "/Users", data)
    assert response.status_code == 201, response.get_json()


def test_the_body_limit_is_configurable(tmp_path: Any) -> None:
    from emulator import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'limit.db'}",
            "EMULATOR_TENANTS_DIR": "",
            "MAX_CONTENT_LENGTH": 2048,
        }
    )
    client = app.test_client()
    tenant = ScimTenant(
        client, client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    )
    assert_scim_error(tenant.post("/Users", {"schemas": [USER], "userName": "x", "title": "t" * 3000}), 413)
    assert tenant.post("/Users", {"schemas": [USER], "userName": "x", "title": "t" * 100}).status_code == 201


def test_string_over_the_maximum_length_is_invalid_value(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    long = "x" * 5000
    assert_scim_error(tenant.post("/Users", {"schemas": [USER], "userName": long}), 400, "invalidValue")
    assert_scim_error(
        tenant.post("/Users", {"schemas": [USER], "userName": "a2", "name": {"givenName": long}}),
        400,
        "invalidValue",
    )
    assert_scim_error(tenant.post("/Groups", {"schemas": [GROUP], "displayName": long}), 400, "invalidValue")
    assert_scim_error(
        tenant.patch(f"/Users/{alice['id']}", [{"op": "replace", "path": "title", "value": long}]),
        400,
        "invalidValue",
    )
    assert_scim_error(
        tenant.put(
            f"/Users/{alice['id']}", {"schemas": [USER], "userName": "alice", "emails": [{"value": long}]}
        ),
        400,
        "invalidValue",
    )
    assert tenant.get(f"/Users/{alice['id']}").get_json() == alice


def test_string_at_the_maximum_length_is_accepted(tenant: ScimTenant) -> None:
    response = tenant.post("/Users", {"schemas": [USER], "userName": "a", "title": "x" * 4096})
    assert response.status_code == 201


@pytest.mark.parametrize("bad", ["nul\u0000byte", "bell\u0007", "esc\u001b[31m", "del\u007f", "\u0000"])
def test_control_characters_are_invalid_value(tenant: ScimTenant, alice: dict[str, Any], bad: str) -> None:
    assert_scim_error(tenant.post("/Users", {"schemas": [USER], "userName": bad}), 400, "invalidValue")
    assert_scim_error(
        tenant.post("/Users", {"schemas": [USER], "userName": "b", "displayName": bad}), 400, "invalidValue"
    )
    assert_scim_error(tenant.post("/Groups", {"schemas": [GROUP], "displayName": bad}), 400, "invalidValue")
    assert_scim_error(
        tenant.patch(f"/Users/{alice['id']}", [{"op": "add", "value": {"nickName": bad}}]),
        400,
        "invalidValue",
    )
    ext = {"schemas": [USER, ENTERPRISE], "userName": "c", ENTERPRISE: {"department": bad}}
    assert_scim_error(tenant.post("/Users", ext), 400, "invalidValue")
    assert tenant.get("/Users").get_json()["totalResults"] == 1


def test_nul_in_query_parameters_is_not_a_crash(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    response = tenant.get('/Users?filter=userName eq "a%00b"')
    assert response.status_code in (200, 400)
    assert response.mimetype == "application/scim+json"
    response = tenant.get("/Users/a%00b")
    assert_scim_error(response, 404)


def test_tabs_and_newlines_are_allowed(tenant: ScimTenant) -> None:
    response = tenant.post("/Users", {"schemas": [USER], "userName": "a", "title": "line1\nline2\tend\r"})
    assert response.status_code == 201


# -- wrong types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [
        {"userName": 123},
        {"userName": ["alice"]},
        {"userName": {"value": "alice"}},
        {"userName": True},
        {"userName": "ok", "active": "yes"},
        {"userName": "ok", "active": 1},
        {"userName": "ok", "name": "Alice Smith"},
        {"userName": "ok", "name": ["Alice"]},
        {"userName": "ok", "name": {"givenName": 5}},
        {"userName": "ok", "emails": "alice@example.com"},
        {"userName": "ok", "emails": {"value": "alice@example.com"}},
        {"userName": "ok", "emails": ["alice@example.com"]},
        {"userName": "ok", "emails": [{"value": "a@example.com", "primary": "sometimes"}]},
        {"userName": "ok", "externalId": 7},
        {"userName": "ok", ENTERPRISE: "Engineering"},
        {"userName": "ok", ENTERPRISE: {"department": ["a"]}},
    ],
)
def test_wrong_types_are_invalid_value(tenant: ScimTenant, attributes: dict[str, Any]) -> None:
    body = assert_scim_error(tenant.post("/Users", {"schemas": [USER, ENTERPRISE], **attributes}), 400)
    assert body.get("scimType") in ("invalidValue", "invalidSyntax")
    assert tenant.get("/Users").get_json()["totalResults"] == 0


def test_wrong_schemas_types(tenant: ScimTenant) -> None:
    for schemas in (USER, None, [1], {"a": USER}):
        assert_scim_error(tenant.post("/Users", {"schemas": schemas, "userName": "a"}), 400)


def test_group_member_wrong_shapes(tenant: ScimTenant) -> None:
    for members in ("x", [1], ["id"], [{"value": 5}], {"value": "x"}):
        response = tenant.post("/Groups", {"schemas": [GROUP], "displayName": "G", "members": members})
        assert_scim_error(response, 400)
    group = tenant.create_group("G")
    for value in ("x", 5, [1], ["id"]):
        response = tenant.patch(f"/Groups/{group['id']}", [{"op": "add", "path": "members", "value": value}])
        assert_scim_error(response, 400)
    assert tenant.get(f"/Groups/{group['id']}").get_json() == group


# -- PATCH errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "replace", "path": "favouriteColour", "value": "x"}, "invalidPath"),
        ({"op": "remove", "path": "name.middle"}, "invalidPath"),
        ({"op": "add", "path": 'emails[colour eq "x"]', "value": {"value": "v"}}, "invalidPath"),
        ({"op": "add", "path": 'userName[value eq "x"]', "value": "v"}, "invalidPath"),
        ({"op": "add", "path": '[type eq "x"]', "value": "v"}, "invalidPath"),
        ({"op": "remove", "path": 'emails[type eq "fax"]'}, "noTarget"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
        ({"op": "replace", "path": "meta.lastModified", "value": "2020-01-01T00:00:00Z"}, "mutability"),
        ({"op": "replace", "path": "groups", "value": []}, "mutability"),
        ({"op": "replace", "path": "active", "value": "nope"}, "invalidValue"),
        ({"op": "replace", "path": "userName", "value": 5}, "invalidValue"),
        ({"op": "replace", "path": "emails", "value": "x@example.com"}, "invalidValue"),
    ],
)
def test_patch_errors(
    tenant: ScimTenant, alice: dict[str, Any], operation: dict[str, Any], scim_type: str
) -> None:
    assert_scim_error(tenant.patch(f"/Users/{alice['id']}", [operation]), 400, scim_type)
    assert tenant.get(f"/Users/{alice['id']}").get_json() == alice


def test_patch_path_that_is_not_a_string(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    for path in (5, ["title"], {"a": 1}):
        response = tenant.patch(f"/Users/{alice['id']}", [{"op": "replace", "path": path, "value": "x"}])
        assert_scim_error(response, 400)


# -- uniqueness, filters, unknown routes -----------------------------------------------------------


def test_uniqueness_is_409(tenant: ScimTenant, alice: dict[str, Any]) -> None:
    assert_scim_error(tenant.post("/Users", {"schemas": [USER], "userName": "ALICE"}), 409, "uniqueness")


def test_unparseable_filter_is_invalid_filter(tenant: ScimTenant) -> None:
    assert_scim_error(tenant.get('/Users?filter=userName eq "unterminated'), 400, "invalidFilter")
    assert_scim_error(tenant.get("/Groups?filter=displayName"), 400, "invalidFilter")
    assert_scim_error(tenant.get("/Users?filter=" + "x" * 20_000), 400, "invalidFilter")


def test_unknown_resource_endpoint_is_404(tenant: ScimTenant) -> None:
    for path in ("/Widgets", "/Users/a/b", "/Bulk", "/Me"):
        assert_scim_error(tenant.get(path), 404)


def test_missing_or_wrong_credentials_are_401(tenant: ScimTenant, client: FlaskClient) -> None:
    response = client.get(f"{tenant.base}/Users")
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer wrong", "Basic YWRtaW46YWRtaW4=", "Bearer", "garbage", tenant.authorization + "x"):
        assert_scim_error(client.get(f"{tenant.base}/Users", headers={"Authorization": header}), 401)


@pytest.mark.parametrize(
    "path",
    ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas", f"/Schemas/{USER}"],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_discovery_endpoints_only_take_get(tenant: ScimTenant, path: str, method: str) -> None:
    response = tenant.request(method, path, {"schemas": [USER]})
    assert_scim_error(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_collection_endpoints_refuse_item_methods(tenant: ScimTenant, method: str) -> None:
    response = tenant.request(method, "/Users", {"schemas": [USER]})
    assert_scim_error(response, 405)
    assert "POST" in response.headers["Allow"]


def test_get_on_search_is_not_a_listing(tenant: ScimTenant) -> None:
    response = tenant.get("/Users/.search")
    assert response.status_code in (404, 405)
    assert_scim_error(response, response.status_code)


# -- never HTML, never 500 ----------------------------------------------------------------------

ODD_PATHS = [
    "/scim/v2",
    "/scim/v2/",
    "/scim/v2/Users",
    "/scim/v2/ServiceProviderConfig",
    "/t/generic/acme",
    "/t/generic/acme/",
    "/t/generic/acme/scim",
    "/t/generic/acme/scim/v2",
    "/t/generic/acme/scim/v2/",
    "/t/generic/acme/scim/v2/Users",
    "/t/generic/acme/scim/v2/Users/",
    "/t/generic/acme/scim/v2/users",
    "/t/generic/acme/scim/v2/Users/nope",
    "/t/generic/acme/scim/v2/Users/nope/extra",
    "/t/generic/acme/scim/v2/Users/.search",
    "/t/generic/acme/scim/v2/Groups/.search",
    "/t/generic/acme/scim/v2/.search",
    "/t/generic/acme/scim/v2/Bulk",
    "/t/generic/acme/scim/v2/Me",
    "/t/generic/acme/scim/v2/Schemas/nope",
    "/t/generic/acme/scim/v2/ResourceTypes/nope",
    "/t/generic/acme/scim/v2/Users?filter=%28%28%28",
    "/t/generic/acme/scim/v2/Users?startIndex=x&count=y",
    "/t/generic/acme/scim/v2/Users?sortBy=%00",
    "/t/generic/acme/scim/v2/Users?attributes=%5B%5D&excludedAttributes=..",
    "/t/generic/acme/scim/v2/Users/%00",
    "/t/generic/acme/scim/v2/Users/" + "a" * 5000,
    "/t/generic/acme/scim/v2/%2e%2e/%2e%2e/etc/passwd",
    "/t/generic/nope/scim/v2/Users",
    "/t/nope/acme/scim/v2/Users",
    "/t/GENERIC/ACME/scim/v2/Users",
    "/t/generic/acme/scim/v1/Users",
    "/t/generic",
    "/t/",
    "/_emulator",
    "/_emulator/",
    "/_emulator/nope",
    "/_emulator/tenants/generic/nope",
    "/_emulator/tenants/generic/acme/nope",
    "/_emulator/tenants/nope",
    "/favicon.ico",
    "/index.html",
    "/Users",
    "/v2/Users",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
ODD_BODIES: list[tuple[bytes, str]] = [
    (b"", "application/scim+json"),
    (b"{", "application/json"),
    (b"<html></html>", "text/html"),
    (b"\xff\xfe", "application/octet-stream"),
    (
        b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add"}]}',
        "application/scim+json",
    ),
]


def check_answer(response: Any, where: str) -> None:
    """A JSON body (SCIM error body for failures), never HTML, never a 500."""
    assert response.status_code < 500, where
    data = response.get_data()
    assert b"<html" not in data.lower() and b"<!doctype" not in data.lower(), where
    if not data:
        return
    assert response.mimetype in ("application/scim+json", "application/json"), (where, response.mimetype)
    body = json.loads(data)
    if response.status_code >= 400:
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"], where
        assert body["status"] == str(response.status_code), where
        assert isinstance(body["detail"], str), where


@pytest.mark.parametrize("method", METHODS)
def test_odd_paths_and_methods_answer_scim_json(tenant: ScimTenant, client: FlaskClient, method: str) -> None:
    for path in ODD_PATHS:
        for data, content_type in ODD_BODIES:
            for headers in ({"Authorization": tenant.authorization}, {}):
                response = client.open(
                    path, method=method, data=data, headers={**headers, "Content-Type": content_type}
                )
                check_answer(response, f"{method} {path} {data[:20]!r} auth={bool(headers)}")


@pytest.mark.parametrize(
    "host",
    [
        "acme.generic.localhost",
        "nope.generic.localhost",
        "a.b.c.localhost",
        "localhost",
        "[::1]:8000",
        "..localhost",
        "acme.generic.localhost.",
    ],
)
def test_odd_hosts_answer_scim_json(tenant: ScimTenant, client: FlaskClient, host: str) -> None:
    for path in ("/scim/v2/Users", "/scim/v2/Schemas", "/scim/v2/nope"):
        for method in METHODS:
            response = client.open(
                path,
                method=method,
                data=b"{",
                headers={
                    "Host": host,
                    "Authorization": tenant.authorization,
                    "Content-Type": "application/scim+json",
                },
            )
            check_answer(response, f"{method} {host}{path}")


def test_head_and_options_have_no_html(tenant: ScimTenant, client: FlaskClient) -> None:
    for path in (
        f"{tenant.base}/Users",
        f"{tenant.base}/ServiceProviderConfig",
        f"{tenant.base}/nope",
        "/_emulator/nope",
    ):
        for method in ("HEAD", "OPTIONS"):
            response = client.open(path, method=method, headers={"Authorization": tenant.authorization})
            check_answer(response, f"{method} {path}")


def test_an_unexpected_failure_is_a_scim_500(
    tenant: ScimTenant, alice: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulator.scim import store

    def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(store.Store, "render", explode)
    response = tenant.get(f"/Users/{alice['id']}")
    body = assert_scim_error(response, 500)
    assert "boom" not in body["detail"]

"""The /_emulator control plane: health, tenants, reset, delete, admin auth, start-up files, hashed secrets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from emulator.extensions import db
from tests.conftest import USER, ScimTenant, assert_scim_error

ADMIN = "admin-s3cret"


def tenant_of(client: FlaskClient, created: dict[str, Any]) -> ScimTenant:
    return ScimTenant(client, created)


# -- health ----------------------------------------------------------------------------------


def test_health_needs_no_auth(client: FlaskClient) -> None:
    response = client.get("/_emulator/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_is_open_even_with_an_admin_token_and_from_afar(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=ADMIN).test_client()
    response = client.get("/_emulator/health", environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


# -- create, list, show --------------------------------------------------------------------------


def test_create_tenant(client: FlaskClient) -> None:
    response = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"})
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["vendor"] == "generic"
    assert body["name"] == "acme"
    assert body["scim_url"] == "http://acme.generic.localhost/scim/v2"
    assert body["alias_url"] == "http://localhost/t/generic/acme/scim/v2"
    authorization = body["credentials"]["authorization"]
    assert authorization.startswith("Bearer ") and len(authorization) > len("Bearer ") + 16
    users = client.get("/t/generic/acme/scim/v2/Users", headers={"Authorization": authorization})
    assert users.status_code == 200


def test_urls_follow_the_request_host_and_port(client: FlaskClient) -> None:
    body = client.post(
        "/_emulator/tenants", json={"vendor": "generic", "name": "acme"}, headers={"Host": "localhost:8000"}
    ).get_json()
    assert body["scim_url"] == "http://acme.generic.localhost:8000/scim/v2"
    assert body["alias_url"] == "http://localhost:8000/t/generic/acme/scim/v2"


def test_the_scim_url_reaches_the_tenant(client: FlaskClient) -> None:
    body = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}).get_json()
    response = client.get(
        "/scim/v2/Users",
        headers={"Host": "acme.generic.localhost", "Authorization": body["credentials"]["authorization"]},
    )
    assert response.status_code == 200


def test_fixed_credentials_can_be_given(client: FlaskClient) -> None:
    body = client.post(
        "/_emulator/tenants",
        json={"vendor": "generic", "name": "acme", "credentials": {"token": "known-token"}},
    ).get_json()
    assert body["credentials"]["authorization"] == "Bearer known-token"
    users = client.get("/t/generic/acme/scim/v2/Users", headers={"Authorization": "Bearer known-token"})
    assert users.status_code == 200


def test_duplicate_tenant_is_409(client: FlaskClient) -> None:
    client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"})
    assert_scim_error(client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"}), 409)


@pytest.mark.parametrize(
    "body",
    [
        {"vendor": "nosuchvendor", "name": "acme"},
        {"vendor": "generic", "name": "Not A Label"},
        {"vendor": "generic", "name": "-acme"},
        {"vendor": "generic", "name": "a" * 64},
        {"vendor": "generic", "name": ""},
        {"vendor": "generic"},
        {"name": "acme"},
        {"vendor": 5, "name": "acme"},
        {"vendor": "generic", "name": "acme", "options": {"no_such_quirk": 1}},
        {"vendor": "generic", "name": "acme", "options": {"delete": "explode"}},
        {"vendor": "generic", "name": "acme", "options": "lenient"},
    ],
)
def test_bad_tenant_bodies_are_400(client: FlaskClient, body: dict[str, Any]) -> None:
    assert_scim_error(client.post("/_emulator/tenants", json=body), 400)
    assert client.get("/_emulator/tenants").get_json()["tenants"] == []


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'"acme"', b"\xff"])
def test_non_object_bodies_are_400(client: FlaskClient, data: bytes) -> None:
    response = client.post("/_emulator/tenants", data=data, headers={"Content-Type": "application/json"})
    assert_scim_error(response, 400)


def test_list_and_show_tenants(client: FlaskClient, make_tenant: Callable[..., ScimTenant]) -> None:
    acme = make_tenant("generic", "acme")
    make_tenant("generic", "globex")
    acme.create_user("alice")
    acme.create_group("Team")
    listed = client.get("/_emulator/tenants")
    assert listed.status_code == 200
    tenants = listed.get_json()["tenants"]
    assert [(t["vendor"], t["name"]) for t in tenants] == [("generic", "acme"), ("generic", "globex")]
    shown = client.get("/_emulator/tenants/generic/acme").get_json()
    assert shown == tenants[0]
    assert shown["scim_url"] == "http://acme.generic.localhost/scim/v2"
    assert shown["counts"] == {"users": 1, "groups": 1}
    assert len(shown["credentials"]) == 1
    assert shown["credentials"][0]["state"] == "active"


def test_tenant_listings_never_show_secrets(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    acme = make_tenant("generic", "acme")
    secret = acme.authorization.removeprefix("Bearer ")
    for path in ("/_emulator/tenants", "/_emulator/tenants/generic/acme"):
        assert secret not in client.get(path).get_data(as_text=True)
    assert secret not in client.post("/_emulator/tenants/generic/acme/reset").get_data(as_text=True)


def test_unknown_tenant_is_404(client: FlaskClient) -> None:
    assert_scim_error(client.get("/_emulator/tenants/generic/nobody"), 404)
    assert_scim_error(client.delete("/_emulator/tenants/generic/nobody"), 404)
    assert_scim_error(client.post("/_emulator/tenants/generic/nobody/reset"), 404)


# -- reset and delete ------------------------------------------------------------------------------


def test_reset_wipes_users_and_groups_and_keeps_credentials(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    acme = make_tenant("generic", "acme")
    globex = make_tenant("generic", "globex")
    alice = acme.create_user("alice")
    acme.create_group("Team", [alice["id"]])
    kept = globex.create_user("kept")
    before = client.get("/_emulator/tenants/generic/acme").get_json()
    response = client.post("/_emulator/tenants/generic/acme/reset")
    assert response.status_code == 200
    after = response.get_json()
    assert after["counts"] == {"users": 0, "groups": 0}
    assert after["credentials"] == before["credentials"]
    assert acme.get("/Users").get_json()["totalResults"] == 0
    assert acme.get("/Groups").get_json()["totalResults"] == 0
    assert_scim_error(acme.get(f"/Users/{alice['id']}"), 404)
    acme.create_user("alice")  # the same credential still works, and the userName is free
    assert globex.get(f"/Users/{kept['id']}").status_code == 200


def test_delete_tenant(client: FlaskClient, make_tenant: Callable[..., ScimTenant]) -> None:
    acme = make_tenant("generic", "acme")
    globex = make_tenant("generic", "globex")
    acme.create_user("alice")
    kept = globex.create_user("kept")
    response = client.delete("/_emulator/tenants/generic/acme")
    assert response.status_code == 204
    assert_scim_error(client.get("/_emulator/tenants/generic/acme"), 404)
    assert_scim_error(acme.get("/Users"), 404)
    assert [t["name"] for t in client.get("/_emulator/tenants").get_json()["tenants"]] == ["globex"]
    assert globex.get(f"/Users/{kept['id']}").status_code == 200


def test_a_recreated_tenant_starts_empty_with_new_credentials(
    client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    old = make_tenant("generic", "acme")
    old.create_user("alice")
    client.delete("/_emulator/tenants/generic/acme")
    new = make_tenant("generic", "acme")
    assert new.authorization != old.authorization
    assert_scim_error(old.get("/Users"), 401)
    assert new.get("/Users").get_json()["totalResults"] == 0


# -- who may use the control plane ---------------------------------------------------------------------


def test_admin_token_is_required_when_set(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=ADMIN).test_client()
    body = {"vendor": "generic", "name": "acme"}
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": ADMIN},
        {"Authorization": f"Basic {ADMIN}"},
    ):
        response = client.post("/_emulator/tenants", json=body, headers=headers)
        assert_scim_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for method, path in (
        ("GET", "/_emulator/tenants"),
        ("GET", "/_emulator/tenants/generic/acme"),
        ("DELETE", "/_emulator/tenants/generic/acme"),
        ("POST", "/_emulator/tenants/generic/acme/reset"),
    ):
        assert_scim_error(client.open(path, method=method), 401)
    good = {"Authorization": f"Bearer {ADMIN}"}
    assert client.post("/_emulator/tenants", json=body, headers=good).status_code == 201
    assert client.get("/_emulator/tenants", headers=good).status_code == 200


def test_admin_token_works_from_any_address(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=ADMIN).test_client()
    remote = {"REMOTE_ADDR": "10.0.0.5"}
    response = client.get(
        "/_emulator/tenants", headers={"Authorization": f"Bearer {ADMIN}"}, environ_base=remote
    )
    assert response.status_code == 200
    assert_scim_error(client.get("/_emulator/tenants", environ_base=remote), 401)


def test_admin_token_does_not_guard_the_scim_surface(build_app: Callable[..., Flask]) -> None:
    client = build_app(EMULATOR_ADMIN_TOKEN=ADMIN).test_client()
    created = client.post(
        "/_emulator/tenants",
        json={"vendor": "generic", "name": "acme"},
        headers={"Authorization": f"Bearer {ADMIN}"},
    ).get_json()
    tenant = tenant_of(client, created)
    assert tenant.get("/Users", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200
    assert_scim_error(client.get(f"{tenant.base}/Users", headers={"Authorization": f"Bearer {ADMIN}"}), 401)


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "8.8.8.8", "2001:db8::1"])
def test_without_a_token_only_loopback_clients_are_served(client: FlaskClient, address: str) -> None:
    remote = {"REMOTE_ADDR": address}
    assert_scim_error(client.get("/_emulator/tenants", environ_base=remote), 403)
    response = client.post(
        "/_emulator/tenants", json={"vendor": "generic", "name": "acme"}, environ_base=remote
    )
    assert_scim_error(response, 403)
    assert client.get("/_emulator/tenants").get_json()["tenants"] == []


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_loopback_clients_are_served_without_a_token(client: FlaskClient, address: str) -> None:
    response = client.post(
        "/_emulator/tenants",
        json={"vendor": "generic", "name": "acme"},
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 201


def test_a_forwarded_header_does_not_make_a_client_local(client: FlaskClient) -> None:
    response = client.get(
        "/_emulator/tenants",
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
    assert_scim_error(response, 403)


# -- start-up files ------------------------------------------------------------------------------


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text)


def test_start_up_files_create_tenants_with_their_credentials(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    write(folder, "acme.yaml", "vendor: generic\nname: acme\ncredentials:\n  token: acme-token\n")
    write(
        folder,
        "more.yml",
        "- vendor: generic\n  name: globex\n  credentials:\n    token: globex-token\n"
        "- vendor: generic\n  name: initech\n  options:\n    delete: deactivate\n",
    )
    write(folder, "notes.txt", "vendor: generic\nname: ignored\n")
    client = build_app(EMULATOR_TENANTS_DIR=str(folder)).test_client()
    names = [t["name"] for t in client.get("/_emulator/tenants").get_json()["tenants"]]
    assert names == ["acme", "globex", "initech"]
    for name, token in (("acme", "acme-token"), ("globex", "globex-token")):
        response = client.get(
            f"/t/generic/{name}/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, name
    assert_scim_error(
        client.get("/t/generic/acme/scim/v2/Users", headers={"Authorization": "Bearer globex-token"}), 401
    )
    initech = client.get("/_emulator/tenants/generic/initech").get_json()
    assert initech["options"]["delete"] == "deactivate"


def test_start_up_files_are_idempotent_across_restarts(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    write(folder, "acme.yaml", "vendor: generic\nname: acme\ncredentials:\n  token: acme-token\n")
    first = build_app(EMULATOR_TENANTS_DIR=str(folder)).test_client()
    auth = {"Authorization": "Bearer acme-token"}
    created = first.post(
        "/t/generic/acme/scim/v2/Users", json={"schemas": [USER], "userName": "alice"}, headers=auth
    )
    assert created.status_code == 201
    second = build_app(EMULATOR_TENANTS_DIR=str(folder)).test_client()
    assert [t["name"] for t in second.get("/_emulator/tenants").get_json()["tenants"]] == ["acme"]
    users = second.get("/t/generic/acme/scim/v2/Users", headers=auth).get_json()
    assert [u["userName"] for u in users["Resources"]] == ["alice"]
    assert len(second.get("/_emulator/tenants/generic/acme").get_json()["credentials"]) == 1


def test_a_bad_start_up_file_stops_start_up_naming_the_file(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    write(folder, "broken.yaml", "vendor: nosuchvendor\nname: acme\n")
    with pytest.raises(ValueError, match="broken.yaml"):
        build_app(EMULATOR_TENANTS_DIR=str(folder))


def test_the_shipped_tenants_directory_loads(build_app: Callable[..., Flask]) -> None:
    shipped = Path(__file__).resolve().parents[2] / "tenants"
    client = build_app(EMULATOR_TENANTS_DIR=str(shipped)).test_client()
    tenants = client.get("/_emulator/tenants").get_json()["tenants"]
    assert ("generic", "acme") in [(t["vendor"], t["name"]) for t in tenants]
    response = client.get(
        "/t/generic/acme/scim/v2/Users", headers={"Authorization": "Bearer generic-acme-token"}
    )
    assert response.status_code == 200


# -- secrets at rest -------------------------------------------------------------------------------


def stored_text(app: Flask) -> str:
    """Every value of every row of every table, as one text."""
    parts: list[str] = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                parts += [str(value) for value in row]
    return "\n".join(parts)


def test_secrets_are_stored_hashed(
    app: Flask, client: FlaskClient, make_tenant: Callable[..., ScimTenant]
) -> None:
    generated = make_tenant("generic", "acme").authorization.removeprefix("Bearer ")
    client.post(
        "/_emulator/tenants",
        json={"vendor": "generic", "name": "fixed", "credentials": {"token": "fixed-token-value"}},
    )
    text = stored_text(app)
    assert generated not in text
    assert "fixed-token-value" not in text


def test_secrets_from_start_up_files_are_stored_hashed(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    write(folder, "acme.yaml", "vendor: generic\nname: acme\ncredentials:\n  token: yaml-token-value\n")
    app = build_app(EMULATOR_TENANTS_DIR=str(folder))
    assert "yaml-token-value" not in stored_text(app)

"""Start-up files are the truth when the emulator starts: the credentials they name work again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask

from emulator import tenants

SHIPPED = Path(__file__).resolve().parents[2] / "tenants"


def rotate(app: Flask, key: str, **given: object) -> dict[str, object]:
    response = app.test_client().post(f"/_emulator/tenants/{key}/credentials", json={"rotate": True, **given})
    assert response.status_code == 201, response.get_json()
    body: dict[str, object] = response.get_json()
    return body


def status(app: Flask, key: str, authorization: str) -> int:
    return (
        app.test_client().get(f"/t/{key}/scim/v2/Users", headers={"Authorization": authorization}).status_code
    )


def test_a_start_restores_each_named_credential_and_says_what_it_undid(
    build_app: Callable[..., Flask],
) -> None:
    app = build_app(EMULATOR_TENANTS_DIR=str(SHIPPED))
    rotated = rotate(app, "thrive/acme")
    assert status(app, "thrive/acme", "Bearer thrive-acme-token") == 401

    with app.app_context():
        loaded = {s.tenant.key: s for s in tenants.load_files(SHIPPED, restore_credentials=True)}
        again = {s.tenant.key: s for s in tenants.load_files(SHIPPED, restore_credentials=True)}
    assert loaded["thrive/acme"].notes == ["the SCIM token had been revoked at runtime: it works again"]
    assert all(not s.notes for s in again.values())  # restoring is done once; a second start says nothing
    for key, startup in loaded.items():
        assert startup.credentials is not None
        assert status(app, key, str(startup.credentials["authorization"])) == 200, key
    assert status(app, "thrive/acme", str(rotated["authorization"])) == 200  # a client given it keeps it


def test_an_app_built_without_restoring_leaves_a_rotation_alone(build_app: Callable[..., Flask]) -> None:
    """A gunicorn worker that respawns, or a CLI command, builds an app: neither undoes a rotation."""
    app = build_app(EMULATOR_TENANTS_DIR=str(SHIPPED))
    rotate(app, "generic/acme")
    build_app(EMULATOR_TENANTS_DIR=str(SHIPPED))
    assert status(app, "generic/acme", "Bearer generic-acme-token") == 401


def test_an_expired_credential_is_renewed_from_now(build_app: Callable[..., Flask]) -> None:
    app = build_app(EMULATOR_TENANTS_DIR=str(SHIPPED))
    client = app.test_client()
    (credential,) = client.get("/_emulator/tenants/britive/acme/credentials").get_json()["credentials"]
    assert (
        client.post(f"/_emulator/tenants/britive/acme/credentials/{credential['id']}/expire").status_code
        == 200
    )
    assert status(app, "britive/acme", "Bearer britive-acme-token") == 401
    with app.app_context():
        (britive,) = [
            s for s in tenants.load_files(SHIPPED, restore_credentials=True) if s.tenant.vendor == "britive"
        ]
    assert britive.notes == ["the token had expired at runtime: it works again"]
    assert status(app, "britive/acme", "Bearer britive-acme-token") == 200
    (renewed,) = client.get("/_emulator/tenants/britive/acme/credentials").get_json()["credentials"]
    assert (
        renewed["id"] == credential["id"] and renewed["validity_days"] == 90 and renewed["state"] == "active"
    )


def test_a_file_whose_credential_is_missing_issues_it_again(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / "acme.yaml").write_text("vendor: generic\nname: acme\ncredentials:\n  token: first-token\n")
    app = build_app(EMULATOR_TENANTS_DIR=str(folder))
    (folder / "acme.yaml").write_text("vendor: generic\nname: acme\ncredentials:\n  token: second-token\n")
    with app.app_context():
        (acme,) = tenants.load_files(folder, restore_credentials=True)
    assert acme.notes == ["the token the file names was missing: issued again"]
    assert status(app, "generic/acme", "Bearer second-token") == 200
    assert status(app, "generic/acme", "Bearer first-token") == 200  # other credentials are left as they are


def test_an_automation_user_the_file_leaves_inactive_is_said_so(
    build_app: Callable[..., Flask], tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / "jostle.yaml").write_text(
        "vendor: jostle\nname: acme\noptions:\n  automation_user_active: false\n"
        "credentials:\n  automation_user: sync\n  key: jostle-key\n"
    )
    app = build_app(EMULATOR_TENANTS_DIR=str(folder))
    with app.app_context():
        (jostle,) = tenants.load_files(folder, restore_credentials=True)
    (note,) = jostle.notes
    assert note.startswith("the Automation user sync is not activated: its API key answers 401 until")
    assert status(app, "jostle/acme", "Bearer jostle-key") == 401

"""``scim-emulator`` (``python -m emulator``): ``serve`` as a real process on a loopback port, the CLI groups through Flask's runner."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from emulator import console
from tests.service.live import USER, Server, free_port, http_json, server_env

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "tenants"


# -- the banner -----------------------------------------------------------------------------------


def banner_of(log: str) -> dict[str, dict[str, list[str]]]:
    """``{"britive/acme": {"authorization": ["Bearer ..."], "note": [...]}, ...}`` from a server's output."""
    tenants: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in log.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and "/" in line:
            current = tenants.setdefault(line.strip(), {})
        elif line.startswith("    ") and current is not None:
            name, _, value = line.strip().partition(" ")
            current.setdefault(name, []).append(value.strip())
        elif not line.startswith(" "):
            current = None
    return tenants


def shown(banner: dict[str, dict[str, list[str]]], key: str, field: str) -> str:
    (value,) = banner[key][field]
    return value


@pytest.fixture
def serve_console(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``serve_console(*options)``: ``python -m emulator serve`` on a free port, one worker, a SQLite file of this test."""
    servers: list[Server] = []

    def start(*options: str, database_url: str | None = None, env: dict[str, str] | None = None) -> Server:
        port = free_port()
        url = database_url or f"sqlite:///{tmp_path / 'emulator.db'}"
        command = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--workers", "1"]
        extra = {"PYTHONPATH": str(ROOT), "EMULATOR_TENANTS_DIR": str(SHIPPED), **(env or {})}
        server = Server(
            [*command, *options], server_env(url, extra), port, tmp_path / f"console-{len(servers)}.log"
        )
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


def answers(server: Server, alias_url: str, authorization: str) -> int:
    status, _ = http_json(
        "GET",
        f"{alias_url}/Users".replace("localhost", "127.0.0.1"),
        headers={"Authorization": authorization},
    )
    return status


def test_serve_prints_every_shipped_tenant_with_a_credential_that_works(
    serve_console: Callable[..., Server],
) -> None:
    server = serve_console()
    banner = banner_of(server.log())
    assert f"SCIM target emulator on http://localhost:{server.port}/" in server.log()
    keys = {f"{path.stem.replace('-', '/', 1)}" for path in SHIPPED.glob("*.yaml")}
    assert set(banner) == keys
    for key in banner:
        assert shown(banner, key, "alias_url") == f"http://localhost:{server.port}/t/{key}/scim/v2"
        assert answers(server, shown(banner, key, "alias_url"), shown(banner, key, "authorization")) == 200, (
            key
        )


def test_a_restart_undoes_a_runtime_rotation_and_says_so(serve_console: Callable[..., Server]) -> None:
    server = serve_console()
    alias = f"{server.base_url}/t/britive/acme/scim/v2"
    status, rotated = http_json(
        "POST", server.url("/_emulator/tenants/britive/acme/credentials"), {"rotate": True}
    )
    assert status == 201, rotated
    assert answers(server, alias, "Bearer britive-acme-token") == 401  # "the token has been revoked"
    status, jostle = http_json(
        "POST",
        server.url("/_emulator/tenants/jostle/acme/credentials"),
        {"rotate": True, "automation_user": "azure-sync"},
    )
    assert status == 201, jostle
    server.stop()

    again = serve_console()
    banner = banner_of(again.log())
    britive = banner["britive/acme"]
    assert shown(banner, "britive/acme", "authorization") == "Bearer britive-acme-token"
    assert any("had been revoked at runtime: it works again" in note for note in britive["note"]), britive
    assert answers(again, shown(banner, "britive/acme", "alias_url"), "Bearer britive-acme-token") == 200
    # Britive keeps one token at a time: the file's is the one again
    assert answers(again, shown(banner, "britive/acme", "alias_url"), rotated["authorization"]) == 401
    # elsewhere the rotation's replacement keeps working beside the file's key
    jostle_alias = shown(banner, "jostle/acme", "alias_url")
    assert answers(again, jostle_alias, shown(banner, "jostle/acme", "authorization")) == 200
    assert answers(again, jostle_alias, jostle["authorization"]) == 200
    assert "note" not in banner["generic/acme"]  # nothing changed, nothing said


def test_a_restart_sets_a_changed_password_back(serve_console: Callable[..., Server]) -> None:
    server = serve_console()
    status, issued = http_json(
        "POST",
        server.url("/_emulator/tenants/jive/acme/credentials"),
        {"style": "basic", "username": "admin"},
    )
    assert status == 201, issued
    status, _ = http_json("POST", server.url("/_emulator/tenants/jellyfish/acme/accounts/admin/deactivate"))
    assert status == 200
    server.stop()

    again = serve_console()
    banner = banner_of(again.log())
    assert any("password of admin had been changed" in note for note in banner["jive/acme"]["note"])
    assert any("deactivated at runtime: active again" in note for note in banner["jellyfish/acme"]["note"])
    for key in ("jive/acme", "jellyfish/acme"):
        assert answers(again, shown(banner, key, "alias_url"), shown(banner, key, "authorization")) == 200
    expected = "Basic " + base64.b64encode(b"admin:jive-acme-password").decode()
    assert shown(banner, "jive/acme", "authorization") == expected


def test_fresh_starts_from_an_empty_database(serve_console: Callable[..., Server], tmp_path: Path) -> None:
    server = serve_console()
    token = {"Authorization": "Bearer generic-acme-token"}
    user = {"schemas": [USER], "userName": "before-fresh"}
    status, _ = http_json("POST", server.url("/t/generic/acme/scim/v2/Users"), user, headers=token)
    assert status == 201
    status, _ = http_json("POST", server.url("/_emulator/tenants"), {"vendor": "generic", "name": "extra"})
    assert status == 201
    server.stop()

    again = serve_console("--fresh")
    assert "fresh start: removed emulator.db" in again.log()
    status, listing = http_json("GET", again.url("/_emulator/tenants"))
    assert ("generic", "extra") not in {(t["vendor"], t["name"]) for t in listing["tenants"]}
    status, found = http_json("GET", again.url("/t/generic/acme/scim/v2/Users"), headers=token)
    assert status == 200 and found["totalResults"] == 0


def test_fresh_on_postgres_drops_the_emulators_tables(
    serve_console: Callable[..., Server], postgres_url: str
) -> None:
    server = serve_console(database_url=postgres_url)
    status, _ = http_json("POST", server.url("/_emulator/tenants"), {"vendor": "generic", "name": "extra"})
    assert status == 201
    server.stop()

    again = serve_console("--fresh", database_url=postgres_url)
    assert "fresh start: dropped the emulator's tables" in again.log()
    status, listing = http_json("GET", again.url("/_emulator/tenants"))
    names = {(t["vendor"], t["name"]) for t in listing["tenants"]}
    assert ("generic", "extra") not in names and ("generic", "acme") in names


def test_serve_takes_its_settings_as_options(serve_console: Callable[..., Server], tmp_path: Path) -> None:
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / "one.yaml").write_text("vendor: generic\nname: solo\ncredentials:\n  token: solo-token\n")
    database = tmp_path / "elsewhere.db"
    server = serve_console(
        "--tenants", str(folder), "--database-url", f"sqlite:///{database}", "--admin-token", "sesame",
        "--base-domain", "emulator.test",
    )  # fmt: skip
    banner = banner_of(server.log())
    assert list(banner) == ["generic/solo"]
    assert (
        shown(banner, "generic/solo", "scim_url")
        == f"http://solo.generic.emulator.test:{server.port}/scim/v2"
    )
    assert database.is_file()
    assert http_json("GET", server.url("/_emulator/tenants"))[0] == 401
    assert (
        http_json("GET", server.url("/_emulator/tenants"), headers={"Authorization": "Bearer sesame"})[0]
        == 200
    )


# -- where it listens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "environment", "bind", "root"),
    [
        (None, None, {}, "127.0.0.1:8000", "http://localhost:8000/"),
        (None, None, {"PORT": "9000", "EMULATOR_HOST": "0.0.0.0"}, "0.0.0.0:9000", "http://localhost:9000/"),
        (
            None,
            None,
            {"GUNICORN_BIND": "127.0.0.1:9100", "PORT": "9000"},
            "127.0.0.1:9100",
            "http://localhost:9100/",
        ),
        (None, 9200, {"GUNICORN_BIND": "127.0.0.1:9100"}, "127.0.0.1:9200", "http://localhost:9200/"),
        ("10.1.2.3", 8080, {}, "10.1.2.3:8080", "http://10.1.2.3:8080/"),
        ("::1", 8080, {}, "[::1]:8080", "http://localhost:8080/"),
    ],
)
def test_listening_options_then_gunicorn_bind_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    host: str | None,
    port: int | None,
    environment: dict[str, str],
    bind: str,
    root: str,
) -> None:
    for name in ("PORT", "EMULATOR_HOST", "GUNICORN_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert console.listening(host, port) == (bind, root)


# -- the CLI groups -------------------------------------------------------------------------------


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def test_the_emulator_groups_are_commands_of_the_console(runner: FlaskCliRunner) -> None:
    created = runner.invoke(console.main, ["tenants", "create", "generic/acme"])
    assert created.exit_code == 0, created.output
    assert "http://localhost:8000/t/generic/acme/scim/v2" in created.output
    listed = runner.invoke(console.main, ["--base-url", "http://emulator:9000", "tenants", "list"])
    assert listed.exit_code == 0, listed.output
    assert "http://emulator:9000/t/generic/acme/scim/v2" in listed.output
    missing = runner.invoke(console.main, ["tenants", "show", "generic/nobody"])
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines() == ["Error: no tenant generic/nobody"]
    for group in ("tenants", "credentials", "journal", "faults", "scenarios", "vendors", "fixtures", "serve"):
        assert group in runner.invoke(console.main, ["--help"]).output


def test_the_cli_needs_no_checkout_or_flask_app(tmp_path: Path) -> None:
    """From a directory without app.py, the console builds its app with create_app()."""
    import subprocess

    env = server_env(
        f"sqlite:///{tmp_path / 'e.db'}", {"PYTHONPATH": str(ROOT), "EMULATOR_TENANTS_DIR": str(SHIPPED)}
    )
    env.pop("FLASK_APP", None)
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "tenants", "list", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"britive"' in result.stdout and not (tmp_path / "instance").exists()
    assert os.path.exists(tmp_path / "e.db")

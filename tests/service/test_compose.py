"""The container files hold what the emulator needs, and the compose command really serves it.

There is no Docker engine in CI: the image is not built and ``docker compose up`` is never run.
Instead the compose file is parsed and checked, and its emulator command is run directly
against a real PostgreSQL on loopback with the service's environment.
"""

from __future__ import annotations

import os
import re
import runpy
import shlex
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from .live import ROOT, Server, free_port, http_json

COMPOSE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "docker-compose.override.example.yml"
VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def interpolate(value: str) -> str:
    """Compose's ``${VAR}`` / ``${VAR:-default}`` against this process's environment."""
    return VARIABLE.sub(lambda m: os.environ.get(m.group(1)) or (m.group(2) or ""), value)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: interpolate(str(value)) for key, value in env.items()}


def shipped_tenants() -> list[dict[str, Any]]:
    found = []
    for path in sorted((ROOT / "tenants").glob("*.y*ml")):
        spec = yaml.safe_load(path.read_text()) or {}
        found.extend(spec if isinstance(spec, list) else [spec])
    return found


def test_compose_runs_the_emulator_beside_a_healthy_postgres() -> None:
    services = compose()["services"]
    assert {"emulator", "postgres"} <= set(services)
    postgres, emulator = services["postgres"], services["emulator"]

    assert str(postgres["image"]).startswith("postgres:15")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert emulator["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/_emulator/health" in " ".join(emulator["healthcheck"]["test"])
    assert emulator.get("build") == "." and emulator.get("command")


def test_compose_keeps_postgres_data_in_a_named_volume() -> None:
    document = compose()
    mounts = [str(m).split(":") for m in document["services"]["postgres"]["volumes"]]
    named = [source for source, *_ in mounts if not source.startswith((".", "/"))]
    assert named and all(name in document["volumes"] for name in named)
    assert any(target == "/var/lib/postgresql/data" for _, target, *_ in mounts)


def test_compose_mounts_the_shipped_tenants_and_sets_the_environment() -> None:
    emulator = compose()["services"]["emulator"]
    env = environment(emulator)
    assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["EMULATOR_ADMIN_TOKEN"], "other containers cannot reach a loopback-only control plane"
    assert env["EMULATOR_BASE_DOMAIN"]
    mounts = {target: source for source, target, *_ in (str(m).split(":") for m in emulator["volumes"])}
    assert mounts[env["EMULATOR_TENANTS_DIR"]] == "./tenants"
    assert any(str(port).endswith(":8000") for port in emulator["ports"])


def test_compose_aliases_every_shipped_tenant_host() -> None:
    """Docker DNS has no wildcard: each shipped tenant needs its <name>.<vendor>.<base> alias."""
    emulator = compose()["services"]["emulator"]
    base = environment(emulator)["EMULATOR_BASE_DOMAIN"]
    aliases = set(emulator["networks"]["default"]["aliases"])
    tenants = shipped_tenants()
    assert tenants, "tenants/ ships no tenant"
    missing = {f"{t['name']}.{t['vendor']}.{base}" for t in tenants} - aliases
    assert not missing, f"add these to services.emulator.networks.default.aliases: {sorted(missing)}"


def test_compose_override_example_runs_a_client_against_a_healthy_emulator() -> None:
    override = yaml.safe_load(OVERRIDE.read_text())
    (client,) = override["services"].values()
    assert client["depends_on"]["emulator"]["condition"] == "service_healthy"
    base = environment(compose()["services"]["emulator"])["EMULATOR_BASE_DOMAIN"]
    assert any(f".{base}:8000/" in str(value) for value in client["environment"].values())


def test_dockerfile_is_slim_non_root_and_health_checked() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]
    bases = [arg for op, arg in instructions if op == "FROM"]
    assert bases and re.match(r"python:3\.\d+-slim", bases[-1]), bases
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    (healthcheck,) = [arg for op, arg in instructions if op == "HEALTHCHECK"]
    assert "/_emulator/health" in healthcheck
    for op, arg in instructions:
        if op == "COPY":
            sources = [s for s in shlex.split(arg) if not s.startswith("--")][:-1]
            assert all((ROOT / s).exists() for s in sources), arg
    assert os.access(ROOT / "boot.sh", os.X_OK)


def test_gunicorn_settings_hold_slow_requests_without_starving_others() -> None:
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gthread" and settings["threads"] > 1
    assert settings["workers"] >= 1 and settings["accesslog"] == "-"
    assert settings["bind"] == "0.0.0.0:8000" or "PORT" in os.environ or "GUNICORN_BIND" in os.environ


def test_docker_compose_config_accepts_the_files() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode:
        pytest.skip("the docker compose plugin is not installed (the files are checked by the tests above)")
    for files in (["-f", str(COMPOSE)], ["-f", str(COMPOSE), "-f", str(OVERRIDE)]):
        result = subprocess.run([docker, "compose", *files, "config", "-q"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_compose_command_serves_the_shipped_tenants_from_postgres(
    postgres_url: str, serve: Callable[..., Server]
) -> None:
    """The emulator service's command and environment, with DATABASE_URL on loopback PostgreSQL."""
    emulator = compose()["services"]["emulator"]
    env = environment(emulator)
    mounts = {target: source for source, target, *_ in (str(m).split(":") for m in emulator["volumes"])}
    port = free_port()
    env.update(
        DATABASE_URL=postgres_url,  # the compose URL's form: plain postgresql://user@host/db
        EMULATOR_TENANTS_DIR=str((ROOT / mounts[env["EMULATOR_TENANTS_DIR"]]).resolve()),
        PORT=str(port),
        GUNICORN_BIND=f"127.0.0.1:{port}",  # loopback here; 0.0.0.0:$PORT in the container
    )
    command = emulator["command"]
    command = shlex.split(command) if isinstance(command, str) else list(command)
    server = serve(postgres_url, env=env, command=command, port=port)

    health = server.wait_healthy(10)
    assert health["database"] == "postgresql"
    assert health["tenants"] == len(shipped_tenants())

    admin = {"Authorization": f"Bearer {env['EMULATOR_ADMIN_TOKEN']}"}
    assert http_json("GET", server.url("/_emulator/tenants"))[0] == 401
    status, listing = http_json("GET", server.url("/_emulator/tenants"), headers=admin)
    assert status == 200
    keys = {(t["vendor"], t["name"]) for t in listing["tenants"]}
    assert keys == {(t["vendor"], t["name"]) for t in shipped_tenants()}

    # the shipped generic tenant, addressed as another container would: by its aliased host name
    (generic,) = [t for t in shipped_tenants() if (t["vendor"], t["name"]) == ("generic", "acme")]
    host = f"acme.generic.{env['EMULATOR_BASE_DOMAIN']}:8000"
    token = {"Authorization": f"Bearer {generic['credentials']['token']}"}
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "compose-check"}
    status, created = http_json("POST", server.url("/scim/v2/Users"), user, headers={"Host": host, **token})
    assert status == 201, created
    assert created["meta"]["location"].startswith(f"http://{host}/scim/v2/Users/")
    status, found = http_json(
        "GET",
        server.url("/t/generic/acme/scim/v2/Users?filter=userName%20eq%20%22compose-check%22"),
        headers=token,
    )
    assert status == 200 and found["totalResults"] == 1

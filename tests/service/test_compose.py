"""The container files hold what the emulator needs, and the compose stack really serves it.

Two ways, both always tried:

- the compose file is parsed and checked, and its emulator command is run directly against a
  real PostgreSQL on loopback with the service's environment (no Docker needed);
- ``test_compose_up_runs_the_example_sync_client`` runs the stack for real: a Docker engine
  (the one ``docker info`` reaches, else a ``dockerd`` it starts as root and stops by its PID),
  base images made locally (compose_engine.py: debootstrap, ``docker import``; no registry is
  needed), ``up --build --exit-code-from sync-client`` with the example client, the health-check
  gate, the named volume across a restart, then ``down -v``. It skips, saying why, where no
  engine can be had. EMULATOR_TEST_COMPOSE=0 skips it on purpose.
"""

from __future__ import annotations

import os
import re
import runpy
import shlex
import shutil
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from . import compose_engine
from .compose_engine import Engine
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


def build_args(service: dict[str, Any]) -> dict[str, str]:
    build = service.get("build") or {}
    args = build.get("args", {}) if isinstance(build, dict) else {}
    if isinstance(args, list):
        args = dict(item.split("=", 1) for item in args)
    return {key: interpolate(str(value)) for key, value in args.items()}


def dockerfile_bases(path: Path, build_args: dict[str, str] | None = None) -> list[str]:
    """The FROM images of a Dockerfile, its ARG defaults (or the given build args) substituted."""
    lines = [
        line.strip()
        for line in path.read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    values: dict[str, str] = {}
    bases = []
    for line in lines:
        op, _, arg = line.partition(" ")
        if op.upper() == "ARG":
            name, _, default = arg.strip().partition("=")
            values[name] = (build_args or {}).get(name, default)
        elif op.upper() == "FROM":
            bases.append(re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), ""), arg.split()[0]))
    return bases


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

    assert interpolate(str(postgres["image"])).startswith("postgres:15")  # POSTGRES_IMAGE unset
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert emulator["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/_emulator/health" in " ".join(emulator["healthcheck"]["test"])
    assert emulator["build"]["context"] == "." and emulator.get("command")
    # the official base unless PYTHON_IMAGE says otherwise, in the Dockerfile and the compose file alike
    assert dockerfile_bases(ROOT / "Dockerfile") == ["python:3.11-slim"]
    if not os.environ.get("PYTHON_IMAGE"):
        assert build_args(emulator) == {"BASE_IMAGE": "python:3.11-slim"}


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
    # the example client ships here and is built with the override file: nothing to pull
    context = ROOT / client["build"]["context"]
    assert (context / "Dockerfile").is_file() and (context / "sync_client.py").is_file()
    assert dockerfile_bases(context / "Dockerfile") == ["python:3.11-slim"]
    env = environment(client)
    assert (
        env["EMULATOR_ADMIN_TOKEN"] == environment(compose()["services"]["emulator"])["EMULATOR_ADMIN_TOKEN"]
    )


def test_dockerfile_is_slim_non_root_and_health_checked() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]
    bases = dockerfile_bases(ROOT / "Dockerfile")
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
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        command = [docker, "compose"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose"]  # v1 (Debian's): parses the files without an engine
    else:
        pytest.skip(
            "neither `docker compose` nor `docker-compose` is installed (the files are checked above)"
        )
    for files in (["-f", str(COMPOSE)], ["-f", str(COMPOSE), "-f", str(OVERRIDE)]):
        result = subprocess.run([*command, *files, "config", "-q"], capture_output=True, text=True)
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


# --- the stack for real: a Docker engine, local base images, `up` with the example sync client ----

PROJECT = "scimcomposeci"  # containers, network and volume names start with it; removed at the end
UP_TIMEOUT = 420  # seconds for `up --build` (cached: ~40 s; the first pip install: ~1-2 min)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    log = tmp_path_factory.mktemp("docker") / "dockerd.log"
    started = Engine.find_or_start(log)
    try:
        yield started
    finally:
        started.stop()  # only a daemon this test started, by its PID


class Stack:
    """`docker compose` (or `docker-compose`) on both files, as project PROJECT, on loopback only."""

    def __init__(self, engine: Engine, env: dict[str, str]) -> None:
        self.engine, self.env = engine, env
        self.command = [
            *compose_engine.compose_command(engine),
            "-p",
            PROJECT,
            "-f",
            str(COMPOSE),
            "-f",
            str(OVERRIDE),
        ]
        self.port = int(env["EMULATOR_PORT"])
        self.admin = {"Authorization": f"Bearer {env['EMULATOR_ADMIN_TOKEN']}"}

    def __call__(
        self, *args: str, timeout: float = 180, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = self.engine.run([*self.command, *args], timeout, env=self.env, cwd=ROOT)
        if check:
            output = compose_engine.tail(result.stdout + result.stderr, 40)
            assert result.returncode == 0, f"compose {' '.join(args)}: exit {result.returncode}\n{output}"
        return result

    def container(self, service: str) -> str:
        found = self("ps", "-q", service).stdout.split()
        assert found, f"no {service} container"
        return found[0]

    def wait_healthy(self, service: str, timeout: float = 120) -> None:
        """What `up --wait` does (docker-compose v1 has no --wait): poll the container's health."""
        container = self.container(service)
        deadline = time.monotonic() + timeout
        while True:
            state = self.engine.docker("inspect", "-f", "{{json .State}}", container, timeout=30)
            status = (yaml.safe_load(state.stdout) or {}).get("Health", {}).get("Status")
            if status == "healthy":
                return
            if time.monotonic() > deadline:
                logs = self.engine.docker("logs", "--tail", "30", container, timeout=30)
                pytest.fail(f"{service} not healthy in {timeout:g} s ({status}):\n{logs.stdout}{logs.stderr}")
            time.sleep(1)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def test_compose_up_runs_the_example_sync_client(engine: Engine, tmp_path: Path) -> None:
    started = time.monotonic()
    images = compose_engine.local_images(engine, tmp_path / "images.log")
    print(f"[{time.monotonic() - started:.0f} s] local base images ready")
    env = {
        **images,
        "EMULATOR_PORT": str(free_port()),
        "EMULATOR_HOST_IP": "127.0.0.1",  # the published port on loopback only
        "EMULATOR_ADMIN_TOKEN": f"compose-ci-{uuid.uuid4().hex[:8]}",
    }
    stack = Stack(engine, env)
    stack("down", "-v", "--remove-orphans")  # whatever an interrupted run left
    watcher = subprocess.Popen(
        [
            "docker",
            "events",
            "--format",
            "{{json .}}",
            "--filter",
            "type=container",
            "--filter",
            "event=start",
            "--filter",
            "event=health_status",
            "--filter",
            f"label=com.docker.compose.project={PROJECT}",
        ],
        env=engine.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # the README's command, as a user runs it: build both images, run until the client exits
        up = stack("up", "--build", "--exit-code-from", "sync-client", timeout=UP_TIMEOUT, check=False)
        output = up.stdout + up.stderr
        assert up.returncode == 0, (
            f"the sync client failed (exit {up.returncode}):\n{compose_engine.tail(output, 60)}"
        )
        assert "sync-client: all checks passed" in output, compose_engine.tail(output, 60)
        print(f"[{time.monotonic() - started:.0f} s] up --build --exit-code-from sync-client: exit 0")
        plain = re.sub(r"\x1b\[[0-9;]*m", "", output)  # compose colours the service names
        print("\n".join(line for line in plain.splitlines() if "sync-client" in line))

        # the health-check gate: each service started only once what it depends on was healthy
        watcher.terminate()
        seen = compose_engine.events(watcher.communicate(timeout=30)[0])

        def first(service: str, status: str) -> int:
            times = [
                int(e["timeNano"])
                for e in seen
                if e.get("Actor", {}).get("Attributes", {}).get("com.docker.compose.service") == service
                and e.get("status", e.get("Action")) == status
            ]
            assert times, (
                f"no {status!r} event for {service}: {[(e.get('status'), e.get('id', '')[:12]) for e in seen]}"
            )
            return min(times)

        assert first("postgres", "health_status: healthy") < first("emulator", "start")
        assert first("emulator", "health_status: healthy") < first("sync-client", "start")

        # from the host, on loopback: the control plane needs the admin token, as the README says
        stack("up", "-d", "emulator")
        stack.wait_healthy("emulator")
        assert http_json("GET", stack.url("/_emulator/tenants"))[0] == 401
        status, listing = http_json("GET", stack.url("/_emulator/tenants"), headers=stack.admin)
        assert status == 200 and {"generic", "britive"} <= {t["vendor"] for t in listing["tenants"]}
        token = {"Authorization": "Bearer generic-acme-token"}
        marker = f"volume-check-{uuid.uuid4().hex[:8]}"
        user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": marker}
        status, created = http_json("POST", stack.url("/t/generic/acme/scim/v2/Users"), user, headers=token)
        assert status == 201, created

        # the named volume outlives the containers: `down` without -v, then up again
        stack("down")
        volume = f"{PROJECT}_emulator-data"
        assert engine.docker("volume", "inspect", volume, timeout=30).returncode == 0
        stack("up", "-d", "emulator")
        stack.wait_healthy("emulator")
        query = urllib.parse.quote(f'userName eq "{marker}"')
        status, found = http_json(
            "GET", stack.url(f"/t/generic/acme/scim/v2/Users?filter={query}"), headers=token
        )
        assert status == 200 and found["totalResults"] == 1, found
        verify = stack.url("/_emulator/tenants/generic/acme/journal/verify")
        spec = {"method": "POST", "path": "/Users", "body": {"userName": marker}, "count": 1}
        status, verdict = http_json("POST", verify, spec, headers=stack.admin)
        assert status == 200 and verdict["ok"], verdict
        # and so does the journal of the sync client's run before the restarts
        status, verdict = http_json(
            "POST", verify, {"method": "PATCH", "path": "/Users/*"}, headers=stack.admin
        )
        assert status == 200 and verdict["matched"] >= 3, verdict
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate(timeout=30)
        stack("down", "-v", "--remove-orphans", check=False)
    # `down -v` wipes the data
    assert engine.docker("volume", "inspect", f"{PROJECT}_emulator-data", timeout=30).returncode != 0
    print(f"[{time.monotonic() - started:.0f} s] restarts, volume and down -v checked")

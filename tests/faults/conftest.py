"""Live gunicorn servers (4 gthread workers) for fault tests, and clients for them.

- ``live``: the emulator on a SQLite file, one server for all of tests/faults; every rule is
  deleted after each test, and each test makes tenants of its own (``live.tenant(vendor)``).
- ``any_live``: parametrised over SQLite and PostgreSQL (a fresh database; skipped with the
  reason when no PostgreSQL answers), for the cross-worker exactness tests.

Servers are built with the helpers of ``tests/service/live.py`` and stopped (KILL) once the
tests of this folder are done.
"""

from __future__ import annotations

import contextlib
import secrets
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from gunicorn.config import KNOWN_SETTINGS

from tests.service.live import BIN_DIR, Server, free_port, http_json, server_env

WORKERS = 4
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
# a held request (timeout fault) must not keep a server's shutdown waiting for long
SERVER_ENV = {"GUNICORN_GRACEFUL_TIMEOUT": "3"}


class LiveTenant:
    """A tenant of a live server as a SCIM client sees it (alias URL, its credential)."""

    def __init__(self, live: Live, created: dict[str, Any]) -> None:
        self.live = live
        self.vendor: str = created["vendor"]
        self.name: str = created["name"]
        self.key = f"{self.vendor}/{self.name}"
        self.credentials: dict[str, Any] = created["credentials"]
        self.authorization: str = created["credentials"]["authorization"]
        self.base = live.url(f"/t/{self.vendor}/{self.name}/scim/v2")
        self.path = f"/t/{self.vendor}/{self.name}/scim/v2"

    def request(
        self, method: str, path: str, body: Any = None, timeout: float = 30, **kwargs: Any
    ) -> requests.Response:
        """One request on a fresh connection (no pooling: a dropped connection stays with its request)."""
        headers = {"Authorization": self.authorization, **kwargs.pop("headers", {})}
        if body is not None:
            headers.setdefault("Content-Type", "application/scim+json")
            kwargs["json"] = body
        return requests.request(method, self.base + path, headers=headers, timeout=timeout, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, operations: list[dict[str, Any]], **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, {"schemas": [PATCH_OP], "Operations": operations}, **kwargs)

    def create_user(self, user_name: str) -> dict[str, Any]:
        response = self.post("/Users", {"schemas": [USER], "userName": user_name})
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def create_group(self, display_name: str, members: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        body: dict[str, Any] = {"schemas": [GROUP], "displayName": display_name}
        if members:
            body["members"] = [{"value": m} for m in members]
        response = self.post("/Groups", body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """Journal entries, oldest first."""
        status, body = self.live.control("GET", f"/_emulator/tenants/{self.key}/journal", params=filters)
        assert status == 200, body
        return list(reversed(body["entries"]))


class Live:
    """A running emulator: its URL and control-plane helpers."""

    def __init__(self, server: Server, database: str) -> None:
        self.server = server
        self.database = database
        self.port = server.port
        self.base_url = server.base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def control(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        if params:
            path += "?" + urllib.parse.urlencode(params)
        return http_json(method, self.url(path), body)

    def tenant(self, vendor: str = "generic", name: str | None = None) -> LiveTenant:
        """A new tenant with a name of its own."""
        name = name or f"t{secrets.token_hex(4)}"
        status, created = self.control("POST", "/_emulator/tenants", {"vendor": vendor, "name": name})
        assert status == 201, (status, created)
        return LiveTenant(self, created)

    def rule(self, **body: Any) -> dict[str, Any]:
        """Create a fault rule; returns it."""
        status, created = self.control("POST", "/_emulator/faults", body)
        assert status == 201, (status, created)
        return created  # type: ignore[no-any-return]

    def fault(self, rule_id: int) -> dict[str, Any]:
        """A rule as it is now (counters, state)."""
        status, rule = self.control("GET", f"/_emulator/faults/{rule_id}")
        assert status == 200, (status, rule)
        return rule  # type: ignore[no-any-return]

    def clear(self) -> None:
        status, body = self.control("DELETE", "/_emulator/faults")
        assert status == 200, body


def gunicorn_command(port: int) -> list[str]:
    """gunicorn as shipped (gunicorn.conf.py: gthread) with 4 workers on a loopback port."""
    command = [str(BIN_DIR / "gunicorn"), "-c", "gunicorn.conf.py", "--workers", str(WORKERS)]
    command += ["--bind", f"127.0.0.1:{port}"]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        command.append("--no-control-socket")  # gunicorn 27 shares ~/.gunicorn/gunicorn.ctl otherwise
    return command + ["app:app"]


def halt(server: Server) -> None:
    """Stop a test server at once: nothing it holds needs a graceful end (KILL, then the usual stop)."""
    if server.process is not None and server.process.poll() is None:
        server.kill9()
    server.stop()


@pytest.fixture(scope="package")
def live_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres: Any
) -> Iterator[Callable[[str], Live]]:
    """``start(database)``: the live server on "sqlite" or "postgres", started once for tests/faults.

    When the session has tests on both databases, both servers boot together (booting four
    workers takes seconds on a busy machine); the PostgreSQL one only when such tests exist.
    """
    workdir: Path = tmp_path_factory.mktemp("faults-live")
    wanted = ["sqlite"]
    if any("any_live" in getattr(item, "fixturenames", ()) for item in request.session.items):
        wanted.append("postgres")
    booting: dict[str, Future[Live]] = {}
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(2) as pool:

        def boot(database: str) -> Live:
            if database == "postgres":
                postgres.skip_unless_available()
                url = stack.enter_context(postgres.database())
            else:
                url = f"sqlite:///{workdir / 'emulator.db'}"
            port = free_port()
            server = Server(
                gunicorn_command(port), server_env(url, SERVER_ENV), port, workdir / f"{database}.log"
            )
            stack.callback(halt, server)
            return Live(server.start(), database)

        def start(database: str) -> Live:
            for name in dict.fromkeys([database, *wanted]):
                if name not in booting:
                    booting[name] = pool.submit(boot, name)
            return booting[database].result()

        yield start
        pool.shutdown(wait=True)  # every server that booted has registered its halt


@pytest.fixture
def live(live_servers: Callable[[str], Live]) -> Iterator[Live]:
    """The SQLite-backed live server; the test's rules are deleted afterwards."""
    server = live_servers("sqlite")
    yield server
    server.clear()


@pytest.fixture(params=["sqlite", "postgres"])
def any_live(request: pytest.FixtureRequest, live_servers: Callable[[str], Live]) -> Iterator[Live]:
    """A live server on SQLite, then on PostgreSQL; the test's rules are deleted afterwards."""
    server = live_servers(request.param)
    yield server
    server.clear()

"""A pytest plugin: the emulator on a free loopback port, for testing a SCIM client from pytest.

Registered through the ``pytest11`` entry point, so installing the project is enough:

    def test_sync(scim_emulator):
        tenant = scim_emulator.tenant("britive", "acme")
        my_sync(tenant.alias_url, tenant.authorization)
        tenant.assert_requested("POST", "/Users", count=3)

One server per test session (a werkzeug server in a daemon thread, its own SQLite file);
the plugin talks to it over HTTP through the control plane, as any client would.

Isolation: a tenant obtained in a test (or a function-scoped fixture) is emptied when the
test ends: users, groups, journal and the fault rules scoped to it. A tenant obtained in a
fixture of wider scope (session, package, module, class) is left as it is, so it can be
seeded once; fault rules added through any handle during a test are removed when it ends.
"""

from __future__ import annotations

import json
import secrets
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import control_http

SCIM = "/scim/v2"
TIMEOUT = 30.0  # seconds for one control-plane call
Key = tuple[str, str]


class EmulatorError(Exception):
    """A control-plane call that did not succeed: its status and the emulator's detail."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"{method} {path} -> {status}: {detail}")
        self.status = status
        self.body = body


class ControlPlane:
    """A small JSON client of ``/_emulator`` (urllib only: the plugin adds no dependency)."""

    def __init__(self, base_url: str, admin_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        """Send one request; the decoded JSON answer (None when empty), or EmulatorError."""
        try:
            return decode(
                control_http.send(self.base_url, method, path, body, query, self.admin_token, TIMEOUT)
            )
        except urllib.error.HTTPError as error:
            raise EmulatorError(method, path, error.code, decode(error.read())) from None


def decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


class TenantHandle:
    """One tenant as a test uses it: its URLs and credentials, its journal, faults and data."""

    def __init__(self, emulator: ScimEmulator, created: dict[str, Any], options: dict[str, Any]) -> None:
        self.emulator = emulator
        self.vendor: str = created["vendor"]
        self.name: str = created["name"]
        self.scim_url: str = created["scim_url"]  # subdomain form: needs *.localhost to resolve
        self.alias_url: str = created["alias_url"]  # /t/<vendor>/<name>/scim/v2 on 127.0.0.1: no DNS
        self.credentials: dict[str, Any] = created["credentials"]
        self.authorization: str = created["credentials"]["authorization"]
        self.options: dict[str, Any] = created["options"]
        self.requested_options = options

    def __repr__(self) -> str:
        return f"<TenantHandle {self.key_text} {self.alias_url}>"

    @property
    def key(self) -> Key:
        return self.vendor, self.name

    @property
    def key_text(self) -> str:
        return f"{self.vendor}/{self.name}"

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header a client sends."""
        return {"Authorization": self.authorization}

    def _call(self, method: str, suffix: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        return self.emulator.control.call(method, f"/tenants/{self.key_text}{suffix}", body, query)

    def describe(self) -> dict[str, Any]:
        """The tenant as the control plane shows it (counts, options, credential states)."""
        result: dict[str, Any] = self._call("GET", "")
        return result

    def journal(
        self,
        method: str | None = None,
        path: str | None = None,
        status: str | int | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The requests this tenant received, oldest first; ``path`` is a pattern over the SCIM path."""
        query = {"method": method, "path": path, "status": status, "since": since, "limit": limit}
        found: list[dict[str, Any]] = self._call("GET", "/journal", query=query)["entries"]
        return found[::-1]

    def clear_journal(self) -> None:
        self._call("DELETE", "/journal")

    def verify(
        self, method: str | None = None, path: str | None = None, body: Any = None, count: int | None = None
    ) -> dict[str, Any]:
        """The control plane's verdict on a request pattern (``ok``, ``matched``, ``nearest``)."""
        spec = {"method": method, "path": path, "body": body, "count": count}
        result: dict[str, Any] = self._call(
            "POST", "/journal/verify", {k: v for k, v in spec.items() if v is not None}
        )
        return result

    def assert_requested(
        self, method: str | None = None, path: str | None = None, body: Any = None, count: int | None = None
    ) -> dict[str, Any]:
        """Fail unless the journal holds such requests (exactly ``count`` when given).

        ``path`` is a pattern over the SCIM path (``/Users*``); ``body`` a JSON subset of the
        request body. The failure names the closest requests that were made instead.
        """
        __tracebackhide__ = True
        result = self.verify(method, path, body, count)
        if not result["ok"]:
            raise AssertionError(mismatch_message(self.key_text, method, path, body, count, result))
        return result

    def fault(self, **rule: Any) -> int:
        """Add a fault rule scoped to this tenant; returns its id.

        Takes the control plane's rule fields: ``action`` (``{"type": "status", "status": 429}``),
        ``method``, ``path``, ``operation``, ``times``, ``after``, ``probability``, ``seed``,
        ``ttl_seconds``. Removed when the test that added it ends.
        """
        if "tenant" in rule or "vendor" in rule:
            raise TypeError("a handle's fault is scoped to its tenant: pass no tenant or vendor")
        created = self.emulator.control.call("POST", "/faults", {**rule, "tenant": self.key_text})
        self.emulator._added_fault(created["id"])
        rule_id: int = created["id"]
        return rule_id

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules scoped to this tenant, with their counters (``matched``, ``fired``)."""
        found: list[dict[str, Any]] = self.emulator.control.call(
            "GET", "/faults", query={"tenant": self.key_text}
        )["faults"]
        return found

    def clear_faults(self) -> int:
        """Remove every fault rule scoped to this tenant; how many there were."""
        removed: int = self.emulator.control.call("DELETE", "/faults", query={"tenant": self.key_text})[
            "removed"
        ]
        return removed

    def scenario(self, name: str, time_scale: float | None = None) -> dict[str, Any]:
        """Start a shipped fault scenario for this tenant (its rules go like the handle's faults)."""
        body: dict[str, Any] = {"tenant": self.key_text}
        if time_scale is not None:
            body["time_scale"] = time_scale
        run: dict[str, Any] = self.emulator.control.call("POST", f"/scenarios/{name}/start", body)
        for rule in run.get("rules", []):
            self.emulator._added_fault(rule["id"])
        return run

    def seed(
        self, fixture: str | None = None, *, users: int | None = None, groups: int | None = None, **spec: Any
    ) -> dict[str, Any]:
        """Load a shipped fixture (``seed("small-org")``) or generate ``users`` and ``groups``; the counts."""
        body = {"fixture": fixture, "users": users, "groups": groups, **spec}
        result = self._call("POST", "/seed", {k: v for k, v in body.items() if v is not None})
        seeded: dict[str, Any] = result["seeded"]
        return seeded

    def reset(self) -> None:
        """Empty users, groups and the journal, and remove the fault rules scoped to this tenant."""
        self._call("POST", "/reset")
        self.clear_faults()


class ScimEmulator:
    """The session's emulator: its base URL, its control plane, and tenants by (vendor, name)."""

    def __init__(self, url: str, control: ControlPlane) -> None:
        self.url = url
        self.control = control
        self.handles: dict[Key, TenantHandle] = {}
        self.fixture_scopes: list[str] = []  # scopes of the fixtures being set up, innermost last
        self.wider_held: set[Key] = set()  # tenants a fixture of wider scope than a test obtained
        self.test_tenants: set[Key] = set()  # tenants obtained during the current test
        self.test_faults: list[int] = []  # fault rules added through handles during the current test
        self.forced: set[Key] = set()  # tenants scim_tenant handed out: emptied even if held wider
        self.closed = False

    def in_test_scope(self) -> bool:
        """Whether we are in a test or a function-scoped fixture (not a wider fixture's setup)."""
        return not self.fixture_scopes or self.fixture_scopes[-1] == "function"

    def tenant(
        self, vendor: str, name: str = "acme", *, credentials: dict[str, Any] | None = None, **options: Any
    ) -> TenantHandle:
        """The tenant (vendor, name), created on first use with these quirk options (and credentials).

        The same (vendor, name) again returns the same tenant; asking for other options fails.
        """
        key = (vendor, name)
        handle = self.handles.get(key)
        if handle is None:
            body = {"vendor": vendor, "name": name, "options": options}
            if credentials is not None:
                body["credentials"] = credentials
            handle = self.handles[key] = TenantHandle(
                self, self.control.call("POST", "/tenants", body), options
            )
        elif options and options != handle.requested_options:
            raise ValueError(
                f"tenant {vendor}/{name} already exists in this session with options "
                f"{handle.requested_options}; use another name for options {options}"
            )
        if self.in_test_scope():
            self.test_tenants.add(key)
        else:
            self.wider_held.add(key)
        return handle

    def _added_fault(self, rule_id: int) -> None:
        """Note a rule added through a handle: removed when the test ends, unless a wider fixture added it."""
        if self.in_test_scope():
            self.test_faults.append(rule_id)

    def end_test(self) -> None:
        """Undo what the test did: empty the tenants it obtained, remove the faults it added."""
        tenants = (self.test_tenants - self.wider_held) | self.forced
        faults = self.test_faults
        self.test_tenants, self.test_faults, self.forced = set(), [], set()
        if self.closed:
            return
        for key in sorted(tenants):
            self.handles[key].reset()
        for rule_id in faults:
            try:
                self.control.call("DELETE", f"/faults/{rule_id}")
            except EmulatorError as error:
                if error.status != 404:  # already gone with its tenant's reset
                    raise

    def reset_all(self) -> None:
        """Empty every tenant of the session and remove every fault rule."""
        for handle in self.handles.values():
            handle.reset()
        self.control.call("DELETE", "/faults")


def mismatch_message(
    tenant: str, method: str | None, path: str | None, body: Any, count: int | None, result: dict[str, Any]
) -> str:
    """What was expected, what was found, and the nearest requests, one per line."""
    wanted = " ".join(part for part in (method and method.upper(), path) if part) or "any request"
    if body is not None:
        wanted += f" with body containing {short(body)}"
    times = f"exactly {count} time(s)" if count is not None else "at least once"
    lines = [f"expected {wanted} {times} in the journal of {tenant}; {result['matched']} matched"]
    matching = sorted(result.get("matching") or [], key=lambda e: e["id"])
    if matching:
        lines += ["matched requests:", *(f"  {entry_line(e)}" for e in matching)]
    if result.get("nearest"):
        lines += ["nearest requests:", *(f"  {entry_line(e)}" for e in result["nearest"])]
    if not result.get("matching") and not result.get("nearest"):
        lines.append("the journal is empty")
    return "\n".join(lines)


def entry_line(entry: dict[str, Any]) -> str:
    path = entry.get("scim_path") or entry["path"]
    query = f"?{entry['query']}" if entry.get("query") else ""
    body = entry.get("request", {}).get("body")
    line = f"{entry['method']} {path}{query} -> {entry['status']}"
    return line + (f"  body: {short(body)}" if body is not None else "")


def short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, separators=(",", ":")) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."


class EmulatorServer:
    """The emulator app served by werkzeug in a daemon thread on a free loopback port."""

    def __init__(self, directory: Path, config: dict[str, Any] | None = None) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        from emulator import create_app

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # the journal records requests; a line per request would fill captured output

        self.admin_token = secrets.token_hex(16)
        settings = {
            "DATABASE_URL": f"sqlite:///{directory / 'emulator.db'}",
            "EMULATOR_TENANTS_DIR": "",
            "EMULATOR_ADMIN_TOKEN": self.admin_token,
            "EMULATOR_JOURNAL": True,
            **(config or {}),
        }
        self.app = create_app(settings)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="scim-emulator", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Stop serving, then close the database's connections."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        from emulator.extensions import db

        with self.app.app_context():
            for engine in db.engines.values():
                engine.dispose()


EMULATOR = pytest.StashKey["ScimEmulator"]()
SCOPES = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SCOPES] = []


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    """Note which scope is being set up: tenants got in wider fixtures are not emptied per test."""
    scopes = request.config.stash.get(SCOPES, None)
    if scopes is None:
        return (yield)
    scopes.append(fixturedef.scope)
    try:
        return (yield)
    finally:
        scopes.pop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """After the test's fixtures are torn down: empty its tenants, remove its faults."""
    try:
        yield
    finally:
        emulator = item.config.stash.get(EMULATOR, None)
        if emulator is not None:
            emulator.end_test()


@pytest.fixture(scope="session")
def scim_emulator_config() -> dict[str, Any]:
    """Extra emulator settings (``emulator/config.py`` keys); override this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def scim_emulator(
    pytestconfig: pytest.Config, scim_emulator_config: dict[str, Any]
) -> Iterator[ScimEmulator]:
    """The emulator for the test session: ``scim_emulator.tenant("britive", "acme")`` -> a handle."""
    with tempfile.TemporaryDirectory(prefix="scim-emulator-") as directory:
        server = EmulatorServer(Path(directory), scim_emulator_config)
        server.start()
        emulator = ScimEmulator(server.url, ControlPlane(server.url, server.admin_token))
        emulator.fixture_scopes = pytestconfig.stash.setdefault(SCOPES, [])
        pytestconfig.stash[EMULATOR] = emulator
        try:
            yield emulator
        finally:
            emulator.closed = True
            del pytestconfig.stash[EMULATOR]
            server.stop()


@pytest.fixture
def scim_tenant(scim_emulator: ScimEmulator) -> Callable[..., TenantHandle]:
    """``scim_tenant("britive", "acme", **options)``: a tenant emptied when this test ends, always.

    Unlike ``scim_emulator.tenant``, it empties even a tenant a wider-scoped fixture also uses.
    """

    def get(vendor: str, name: str = "acme", **options: Any) -> TenantHandle:
        handle = scim_emulator.tenant(vendor, name, **options)
        scim_emulator.forced.add(handle.key)
        return handle

    return get

"""Fixtures every test area shares: an app on a fresh database, and SCIM clients for tenants."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from emulator import create_app
from emulator.extensions import db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


# where throwaway PostgreSQL databases are created (a maintenance database of a server)
POSTGRES_ADMIN_URL = os.environ.get(
    "EMULATOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgres"),
        default=os.environ.get("EMULATOR_TEST_DB", "sqlite"),
        help="database behind the `app` fixture: a SQLite file per test (default) or a PostgreSQL "
        f"database per session, emptied per test, on EMULATOR_TEST_POSTGRES_URL ({POSTGRES_ADMIN_URL}). "
        "tests/service runs both whatever this says.",
    )


class PostgresServer:
    """Creates and drops throwaway databases (``emulator_test_<random>``) on a PostgreSQL server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []
        self.made = 0  # databases created this session (the summary's "PostgreSQL: ran")
        self._problem: str | None = None
        self._checked = False

    def problem(self) -> str | None:
        """Why the server cannot be used, or None; asked once."""
        if not self._checked:
            self._checked = True
            try:
                with psycopg.connect(self.admin_url, connect_timeout=3) as connection:
                    connection.execute("SELECT 1")
            except psycopg.Error as error:
                where = self.admin_url.rsplit("@", 1)[-1].split("/", 1)[0]
                reason = " ".join(str(error).split()) or type(error).__name__
                self._problem = f"PostgreSQL not reachable at {where}: {reason}"
        return self._problem

    def skip_unless_available(self) -> None:
        problem = self.problem()
        if problem:
            pytest.skip(f"{problem} (start it, or set EMULATOR_TEST_POSTGRES_URL)")

    def url(self, name: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def create(self) -> str:
        """A new empty database; returns its URL (plain postgresql://, as users write it)."""
        name = f"emulator_test_{secrets.token_hex(6)}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        self.made += 1
        return self.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def empty(self, url: str) -> None:
        """Drop every table of a database this server created."""
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        url = self.create()
        try:
            yield url
        finally:
            self.drop(url)


@pytest.fixture(scope="session")
def postgres(pytestconfig: pytest.Config) -> Iterator[PostgresServer]:
    """The PostgreSQL server tests may create databases on; leaves none behind."""
    server = PostgresServer(POSTGRES_ADMIN_URL)
    halves(pytestconfig).postgres = server
    yield server
    for name in list(server.created):
        with contextlib.suppress(psycopg.Error):
            server.drop(server.url(name))


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database for this test (skipped with the reason when there is no server)."""
    postgres.skip_unless_available()
    with postgres.database() as url:
        yield url


@pytest.fixture(scope="session")
def suite_postgres_url(postgres: PostgresServer, pytestconfig: pytest.Config) -> str:
    """One PostgreSQL database for a ``--db postgres`` run (emptied before each test)."""
    problem = postgres.problem()
    if problem:
        pytest.exit(f"--db postgres: {problem}", returncode=pytest.ExitCode.USAGE_ERROR)
    return postgres.create()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database behind ``app``: a SQLite file of this test, or (``--db postgres``) an empty PostgreSQL database."""
    if request.config.getoption("--db") == "postgres":
        url: str = request.getfixturevalue("suite_postgres_url")
        request.getfixturevalue("postgres").empty(url)
        return url
    return f"sqlite:///{tmp_path / 'emulator.db'}"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """An emulator on its own empty database, without the shipped tenants."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "EMULATOR_TENANTS_DIR": ""})
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class ScimTenant:
    """A tenant as a SCIM client sees it: requests go to its alias URL with its credential."""

    def __init__(self, client: FlaskClient, created: dict[str, Any]) -> None:
        self.client = client
        self.created = created
        self.vendor = created["vendor"]
        self.name = created["name"]
        self.credentials = created["credentials"]
        self.authorization = created["credentials"]["authorization"]
        self.base = f"/t/{self.vendor}/{self.name}/scim/v2"

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": self.authorization, **kwargs.pop("headers", {})}
        if body is not None and "data" not in kwargs:
            kwargs["json"] = body
        return self.client.open(self.base + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, body, **kwargs)

    def patch(self, path: str, operations: list[dict[str, Any]] | Any, **kwargs: Any) -> TestResponse:
        body = (
            {"schemas": [PATCH_OP], "Operations": operations} if isinstance(operations, list) else operations
        )
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)

    def create_user(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        response = self.post("/Users", {"schemas": [USER], "userName": user_name, **attributes})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def create_group(self, display_name: str, members: list[str] = (), **attributes: Any) -> dict[str, Any]:
        body = {"schemas": [GROUP], "displayName": display_name, **attributes}
        if members:
            body["members"] = [{"value": m} for m in members]
        response = self.post("/Groups", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def make_tenant(client: FlaskClient) -> Callable[..., ScimTenant]:
    """Create tenants through the control plane, as a user would."""

    def make(vendor: str = "generic", name: str = "acme", **body: Any) -> ScimTenant:
        response = client.post("/_emulator/tenants", json={"vendor": vendor, "name": name, **body})
        assert response.status_code == 201, response.get_json()
        return ScimTenant(client, response.get_json())

    return make


@pytest.fixture
def tenant(make_tenant: Callable[..., ScimTenant]) -> ScimTenant:
    """A generic tenant called acme."""
    return make_tenant()


def assert_scim_error(response: TestResponse, status: int, scim_type: str | None = None) -> dict[str, Any]:
    """The response is an RFC 7644 error body with this status (and scimType)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/scim+json"
    body = response.get_json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


class Halves:
    """What each environment-dependent half of the run did, as its own tests found it: no probe here.

    A half ran when its tests got what they need (a PostgreSQL database made, Chromium's
    ``browser``, the compose test's Docker ``engine``); it was skipped when those tests were
    skipped, for the reason they gave.
    """

    NAMES = ("PostgreSQL", "Chromium", "Docker engine")
    FIXTURES = {"Chromium": "browser", "Docker engine": "engine"}  # the fixture that gets each one
    MODULES = {"Chromium": "tests/dashboard/test_e2e.py", "Docker engine": "tests/service/test_compose.py"}

    def __init__(self) -> None:
        self.postgres: PostgresServer | None = None
        self.ran: dict[str, int] = dict.fromkeys(self.NAMES, 0)
        self.skipped: dict[str, dict[str, int]] = {name: {} for name in self.NAMES}

    def half_of(self, nodeid: str, fixturenames: Any, reason: str | None) -> str | None:
        if reason and "PostgreSQL not reachable" in reason:
            return "PostgreSQL"
        for name, module in self.MODULES.items():
            if nodeid.startswith(module) and (fixturenames is None or self.FIXTURES[name] in fixturenames):
                return name
        return None

    def record(
        self, report: pytest.TestReport | pytest.CollectReport, item: pytest.Item | None = None
    ) -> None:
        reason = skip_reason(report) if report.skipped else None
        if item is not None and any(
            mark.kwargs.get("reason") == reason for mark in item.iter_markers("skipif")
        ):
            return  # skipped on purpose by its own mark, not for want of the environment
        half = self.half_of(report.nodeid, getattr(item, "fixturenames", None), reason)
        if half is None:
            return
        if reason is not None:
            self.skipped[half][reason] = self.skipped[half].get(reason, 0) + 1
        elif getattr(report, "when", None) == "call" and half != "PostgreSQL":
            self.ran[half] += 1

    def lines(self) -> list[str]:
        if self.postgres is not None:
            self.ran["PostgreSQL"] = self.postgres.made
        shown = []
        for name in self.NAMES:
            ran, skipped = self.ran[name], self.skipped[name]
            unit = "database" if name == "PostgreSQL" else "test"
            parts = [f"ran ({counted(ran, unit)})"] if ran else []
            parts += [f"skipped ({counted(count, 'test')}): {reason}" for reason, count in skipped.items()]
            shown.append(f"{name + ':':15}" + ("; ".join(parts) or "not run: no selected test needs it"))
        return shown


HALVES = pytest.StashKey[Halves]()


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def halves(config: pytest.Config) -> Halves:
    if HALVES not in config.stash:
        config.stash[HALVES] = Halves()
    return config.stash[HALVES]


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    return reason.splitlines()[0] if reason else "no reason given"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    halves(item.config).record(report, item)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    report = yield
    if report.skipped:  # a module skipped whole (Playwright not installed)
        halves(collector.config).record(report)
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line per environment-dependent half: ran, or skipped and why."""
    terminalreporter.write_sep("-", "environment-dependent halves")
    for line in halves(config).lines():
        terminalreporter.write_line(line)

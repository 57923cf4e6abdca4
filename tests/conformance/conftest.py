"""Fixtures shared by the conformance suites (scim2-tester in-process, scim-sanity over HTTP).

Helpers are exposed as fixtures so vendor-specific tests in this folder can reuse them
without importing this module:

- ``run_scim2_tester(app, vendor, name, options=None, via="host") -> list[CheckResult]``
- ``describe_results(results) -> str`` (every non-SUCCESS check with its reason)
- ``live_server`` (a gunicorn-served emulator on a free loopback port, base URL)
- ``create_live_tenant(vendor, name) -> tenant JSON`` on that live server

``CONFORMANCE_APP_DIR`` may point at another directory holding ``emulator/`` and ``app.py``
(defaults to the repository root).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from flask import Flask
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import CheckResult, Status, check_server

APP_DIR = Path(os.environ.get("CONFORMANCE_APP_DIR", Path(__file__).resolve().parents[2]))
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

BIN_DIR = Path(sys.executable).parent  # the venv's bin/, not resolved: console scripts live there
Via = Literal["host", "alias"]


def create_tenant(app: Flask, vendor: str, name: str) -> dict[str, Any]:
    """Create a tenant through the control plane of an in-process app; return its JSON."""
    response = app.test_client().post("/_emulator/tenants", json={"vendor": vendor, "name": name})
    assert response.status_code == 201, f"tenant creation: {response.status_code} {response.get_data(True)}"
    tenant: dict[str, Any] = response.get_json()
    return tenant


def scim_client_for(app: Flask, tenant: dict[str, Any], via: Via = "host") -> WSGISCIMClient:
    """A scim2-client bound to a tenant; ``via="host"`` sends Host: <name>.<vendor>.localhost."""
    base_url = tenant["scim_url"] if via == "host" else tenant["alias_url"]
    headers = {"Authorization": tenant["credentials"]["authorization"]}
    return WSGISCIMClient(app, base_url=base_url, headers=headers)


def run_scim2_tester(
    app: Flask, vendor: str, name: str, options: dict[str, Any] | None = None, via: Via = "host"
) -> list[CheckResult]:
    """Create a fresh tenant and run every scim2-tester check against it.

    ``options`` are passed to ``check_server``: ``include_tags``, ``exclude_tags`` (sets of tags,
    e.g. {"patch"}, {"crud:delete"}), ``resource_types`` (e.g. ["User"]), ``raise_exceptions``.
    check_server does the discovery itself, so no ``client.discover()`` is needed.
    """
    client = scim_client_for(app, create_tenant(app, vendor, name), via)
    return check_server(client, **(options or {}))


def non_success(results: list[CheckResult]) -> list[CheckResult]:
    return [result for result in results if result.status is not Status.SUCCESS]


def describe_results(results: list[CheckResult]) -> str:
    """One block per non-SUCCESS check: status, resource type, check name, reason, data."""
    lines = []
    for result in non_success(results):
        where = f"[{result.resource_type}] " if result.resource_type else ""
        lines.append(f"{result.status.name} {where}{result.title}: {result.reason}")
        if result.data is not None:
            lines.append(f"    data: {str(result.data)[:600]}")
    return "\n".join(lines)


@pytest.fixture(name="run_scim2_tester")
def run_scim2_tester_fixture() -> Callable[..., list[CheckResult]]:
    return run_scim2_tester


@pytest.fixture(name="describe_results")
def describe_results_fixture() -> Callable[[list[CheckResult]], str]:
    return describe_results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_json(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """A small urllib JSON request; returns (status, decoded body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, raw.decode(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the emulator with gunicorn (2 workers) on a free loopback port; yield its base URL."""
    workdir = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "EMULATOR_ADMIN_TOKEN"}
    env["DATABASE_URL"] = f"sqlite:///{workdir / 'emulator.db'}"
    env["EMULATOR_TENANTS_DIR"] = ""
    log_path = workdir / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(BIN_DIR / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:app"],
            cwd=APP_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if http_json("GET", f"{base_url}/_emulator/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/_emulator/health never answered 200:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def create_live_tenant(live_server: str) -> Callable[[str, str], dict[str, Any]]:
    """Returns ``create(vendor, name) -> tenant JSON`` against the live server's control plane."""

    def create(vendor: str, name: str) -> dict[str, Any]:
        status, tenant = http_json(
            "POST", f"{live_server}/_emulator/tenants", {"vendor": vendor, "name": name}
        )
        assert status == 201 and isinstance(tenant, dict), f"tenant creation: {status} {tenant}"
        return tenant

    return create

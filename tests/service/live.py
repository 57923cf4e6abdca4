"""Helpers for tests against a real server: free ports, urllib JSON requests, a gunicorn process group."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent  # the venv's bin/, where gunicorn is installed
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_json(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, Any]:
    """One JSON request with urllib; (status, decoded body or text). Connection errors raise OSError."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/scim+json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


class Server:
    """A gunicorn process group serving the emulator; its own session so a kill takes every worker."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log_path: Path) -> None:
        self.command = command
        self.env = env
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Server:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_healthy(timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_healthy(self, timeout: float) -> dict[str, Any]:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"{self.command[0]} exited with {self.process.returncode}:\n{self.log()}")
            try:
                status, body = http_json("GET", f"{self.base_url}/_emulator/health", timeout=5)
                if status == 200:
                    return body  # type: ignore[no-any-return]
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/_emulator/health never answered 200 within {timeout}s:\n{self.log()}")
            time.sleep(0.1)

    def signal_group(self, signum: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass

    def kill9(self) -> None:
        """SIGKILL the master and every worker at once, as a crash or an OOM kill would."""
        self.signal_group(signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.signal_group(signal.SIGKILL)  # stray workers of a master that already died
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.signal_group(signal.SIGKILL)

    def url(self, path: str) -> str:
        return self.base_url + path


def server_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a test server: no admin token (loopback only), no shipped tenants."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMULATOR_", "GUNICORN_"))}
    env.pop("WEB_CONCURRENCY", None)
    env["DATABASE_URL"] = database_url
    env["EMULATOR_TENANTS_DIR"] = ""
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra or {})
    return env


def create_tenant(server: Server, vendor: str = "generic", name: str = "acme") -> dict[str, Any]:
    status, tenant = http_json("POST", server.url("/_emulator/tenants"), {"vendor": vendor, "name": name})
    assert status == 201, (status, tenant)
    assert isinstance(tenant, dict)
    return tenant

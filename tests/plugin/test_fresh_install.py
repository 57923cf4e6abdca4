"""``pip install`` of the wheel into a new venv, with only the dependencies it declares.

pip resolves the wheel's own metadata against a wheelhouse of requirements.txt (and pytest, the
user's own dependency), so nothing else is there: no development requirements, no checkout on
sys.path, every command run from a temporary directory. In that venv the pytest plugin serves a
user's suite, an unrelated suite passes untouched, ``scim-emulator serve`` serves the shipped
tenants over HTTP, and the CLI groups work.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.service.live import free_port

from .conftest import ROOT

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
import emulator
assert "site-packages" in emulator.__file__, emulator.__file__
for module in pkgutil.walk_packages(emulator.__path__, "emulator."):
    if module.name not in ("emulator.pytest_plugin", "emulator.__main__"):  # pytest's, and a program
        importlib.import_module(module.name)
print("imported", len([m for m in sys.modules if m.startswith("emulator")]))
"""

USER_SUITE = """
import json
import urllib.error
import urllib.request

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def post_user(tenant, user_name):
    body = json.dumps({"schemas": [USER], "userName": user_name}).encode()
    headers = {**tenant.headers, "Content-Type": "application/scim+json"}
    request = urllib.request.Request(tenant.alias_url + "/Users", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_create_is_journaled(scim_emulator):
    tenant = scim_emulator.tenant("britive", "acme", scim_provider="Azure")
    assert post_user(tenant, "ada@example.com") == 201
    tenant.assert_requested("POST", "/Users", body={"userName": "ada@example.com"}, count=1)


def test_a_fault_answers_first(scim_emulator):
    tenant = scim_emulator.tenant("jostle", "acme")
    tenant.fault(method="POST", path="/Users", times=1, action={"type": "status", "status": 429, "retry_after": 1})
    assert post_user(tenant, "grace@example.com") == 429
    assert post_user(tenant, "grace@example.com") == 201
    assert [entry["status"] for entry in tenant.journal(method="POST")] == [429, 201]


def test_seeded_data(scim_emulator):
    tenant = scim_emulator.tenant("generic", "acme")
    assert tenant.seed("small-org")["users"] == 12
    assert tenant.seed(users=5, groups=1)["users"] == 5
"""

UNRELATED_SUITE = """
def test_arithmetic():
    assert 1 + 1 == 2
"""


@dataclass
class FreshVenv:
    """A venv holding the wheel and what it declares (and, once the user adds it, pytest)."""

    root: Path
    wheelhouse: Path
    alone: subprocess.CompletedProcess[str]  # every module imported before pytest was installed

    @property
    def bin(self) -> Path:
        return self.root / "venv" / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a user's shell would give: this venv first on PATH, no checkout, no emulator settings."""
        kept = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("EMULATOR_", "GUNICORN_", "PYTEST_", "PYTHON", "VIRTUAL_ENV", "FLASK_"))
            and k not in ("DATABASE_URL", "PORT", "WEB_CONCURRENCY")
        }
        return {**kept, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}", **extra}

    def run(
        self, *command: str, cwd: Path, timeout: float = 180, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=cwd, env=self.env(**env), capture_output=True, text=True, timeout=timeout
        )

    def pip_install(self, *requirements: str) -> None:
        """pip of the venv, from the wheelhouse only: what it installs is what the requirements declare."""
        result = self.run(
            str(self.bin / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
            str(self.wheelhouse), *requirements, cwd=self.root,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def wheelhouse() -> Path:
    """Wheels of requirements.txt and this pytest, downloaded once per requirements.txt into the user's cache."""
    pins = (ROOT / "requirements.txt").read_bytes() + pytest.__version__.encode()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    house = cache / "scim-target-emulator" / f"wheelhouse-{hashlib.sha256(pins).hexdigest()[:16]}"
    if not (house / ".complete").is_file():
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "-d", str(house), "-r", str(ROOT / "requirements.txt"),
             f"pytest=={pytest.__version__}"],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if download.returncode != 0:
            pytest.skip(f"no wheelhouse (pip download failed: offline?): {download.stderr[-500:]}")
        (house / ".complete").touch()
    return house


@pytest.fixture(scope="module")
def fresh(wheel: Path, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    """A new venv with the wheel installed by pip with its declared dependencies, then pytest."""
    root = tmp_path_factory.mktemp("fresh")
    created = subprocess.run(
        [sys.executable, "-m", "venv", str(root / "venv")], capture_output=True, text=True
    )
    assert created.returncode == 0, created.stderr
    venv = FreshVenv(root, wheelhouse, subprocess.CompletedProcess([], 0))
    venv.pip_install(str(wheel))
    venv.alone = venv.run(str(venv.bin / "python"), "-c", IMPORT_EVERY_MODULE, cwd=root)
    venv.pip_install(f"pytest=={pytest.__version__}")  # the user's own dependency, not the emulator's
    return venv


def test_the_wheel_with_its_declared_dependencies_imports_every_module(fresh: FreshVenv) -> None:
    assert fresh.alone.returncode == 0, fresh.alone.stderr
    assert fresh.alone.stdout.startswith("imported")


def test_a_user_suite_uses_the_fixture(fresh: FreshVenv, tmp_path: Path) -> None:
    (tmp_path / "test_sync.py").write_text(textwrap.dedent(USER_SUITE))
    result = fresh.run(str(fresh.bin / "pytest"), "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_an_unrelated_suite_passes_untouched(fresh: FreshVenv, tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(textwrap.dedent(UNRELATED_SUITE))
    result = fresh.run(str(fresh.bin / "pytest"), "-q", "-p", "no:cacheprovider", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "error" not in result.stdout.lower()


def get(url: str, authorization: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, headers={"Authorization": authorization} if authorization else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_the_console_script_serves_the_shipped_tenants(fresh: FreshVenv, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [str(fresh.bin / "scim-emulator"), "serve", "--port", str(port), "--workers", "1"],
            cwd=tmp_path, env=fresh.env(), stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                status, health = get(f"http://127.0.0.1:{port}/_emulator/health")
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        banner = log.read_text()
        assert f"SCIM target emulator on http://localhost:{port}/" in banner
        assert str(fresh.root / "venv") in banner  # the database in the venv's instance folder, not here
        assert isinstance(health, dict) and health["tenants"] == len(list((ROOT / "tenants").glob("*.yaml")))
        status, users = get(
            f"http://127.0.0.1:{port}/t/generic/acme/scim/v2/Users", "Bearer generic-acme-token"
        )
        assert status == 200 and isinstance(users, dict) and users["totalResults"] == 0
        assert "authorization    Bearer generic-acme-token" in banner
        # the CLI of the installed copy lists them from the running server, over HTTP: with one
        # made there (a local database would have the shipped tenants too, not this one)
        made = urllib.request.Request(
            f"http://127.0.0.1:{port}/_emulator/tenants",
            data=json.dumps({"vendor": "generic", "name": "served-only"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(made, timeout=10) as response:
            assert response.status == 201
        listed = fresh.run(
            str(fresh.bin / "scim-emulator"), "tenants", "list", "--json",
            cwd=tmp_path, EMULATOR_URL=f"http://127.0.0.1:{port}", DATABASE_URL=f"sqlite:///{tmp_path / 'no.db'}",
        )  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        served = {(t["vendor"], t["name"]) for t in json.loads(listed.stdout)["tenants"]}
        assert ("generic", "served-only") in served and ("generic", "acme") in served
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    assert not list(tmp_path.glob("instance")), "nothing is written where it was started"


def test_the_cli_groups_work(fresh: FreshVenv, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    listed = fresh.run(
        str(fresh.bin / "scim-emulator"), "tenants", "list", "--json", cwd=tmp_path, DATABASE_URL=database
    )
    assert listed.returncode == 0, listed.stderr
    keys = {(t["vendor"], t["name"]) for t in json.loads(listed.stdout)["tenants"]}
    assert ("britive", "acme") in keys and len(keys) == len(list((ROOT / "tenants").glob("*.yaml")))
    help_text = fresh.run(str(fresh.bin / "python"), "-m", "emulator", "--help", cwd=tmp_path).stdout
    assert "serve" in help_text and "credentials" in help_text

"""What `pip install` of the project gives: every package, its data files, and the pytest plugin."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import ROOT


def pyproject() -> dict[str, Any]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


def test_every_package_of_emulator_is_listed() -> None:
    listed = set(pyproject()["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "emulator").rglob("__init__.py")
        if "__pycache__" not in path.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_the_shipped_data_directories_exist() -> None:
    setuptools = pyproject()["tool"]["setuptools"]
    for package, directory in setuptools["package-dir"].items():
        assert (ROOT / directory).is_dir(), package
        assert list((ROOT / directory).glob("*.yaml")), package


def test_the_entry_point_has_the_modules_name() -> None:
    # so `-p emulator.pytest_plugin` or pytest_plugins next to an installed copy does not register it twice
    assert pyproject()["project"]["entry-points"]["pytest11"] == {
        "emulator.pytest_plugin": "emulator.pytest_plugin"
    }


def imported_distributions() -> dict[str, set[str]]:
    """Distribution -> the modules of emulator/ importing it (third-party imports only)."""
    owners = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in (ROOT / "emulator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "emulator":
                    continue
                assert top in owners, f"{path}: {top} is imported but not installed"
                for distribution in owners[top]:
                    found.setdefault(canonicalize_name(distribution), set()).add(str(path.relative_to(ROOT)))
    return found


def declared() -> dict[str, Requirement]:
    requirements = [Requirement(line) for line in pyproject()["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in requirements}


def pinned() -> dict[str, Requirement]:
    """requirements.txt, each line an exact pin."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            assert [s.operator for s in requirement.specifier] == ["=="], line
            pins[canonicalize_name(requirement.name)] = requirement
    return pins


def test_every_third_party_import_is_a_declared_dependency() -> None:
    # pytest is the host of emulator/pytest_plugin.py, which only pytest loads
    imports = {name: modules for name, modules in imported_distributions().items() if name != "pytest"}
    missing = {name: sorted(modules) for name, modules in imports.items() if name not in declared()}
    assert missing == {}, (
        "add these to [project].dependencies in pyproject.toml (and pin them in requirements.txt)"
    )


def test_requirements_txt_pins_exactly_the_declared_dependencies() -> None:
    pins, wanted = pinned(), declared()
    assert set(pins) == set(wanted)
    for name, requirement in wanted.items():
        (pin,) = pins[name].specifier
        assert requirement.specifier.contains(pin.version), (name, pin.version, str(requirement.specifier))
        assert pins[name].extras == requirement.extras, name


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel (built from a copy of the sources), unpacked as site-packages would hold it."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_wheel_holds_the_data_files_and_the_entry_point(installed: Path) -> None:
    package = installed / "emulator"
    assert (package / "pytest_plugin.py").is_file()
    assert (package / "templates" / "authorize.html").is_file()
    assert (package / "_data" / "fixtures" / "small-org.yaml").is_file()
    assert len(list((package / "_data" / "fixtures" / "scenarios").glob("*.yaml"))) >= 6
    for template in (ROOT / "emulator").rglob("templates/**/*.html"):
        assert (package / template.relative_to(ROOT / "emulator")).is_file(), template
    (entry_points,) = installed.glob("*.dist-info/entry_points.txt")
    assert "[pytest11]\nemulator.pytest_plugin = emulator.pytest_plugin" in entry_points.read_text()


def run_installed(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Python with the unpacked wheel on its path instead of this checkout."""
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_an_installed_copy_finds_its_fixtures_and_scenarios(installed: Path, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import emulator
        from emulator import create_app
        assert emulator.__file__.startswith({str(installed)!r}), emulator.__file__
        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/e.db", "EMULATOR_TENANTS_DIR": ""}})
        client = app.test_client()
        assert [f["name"] for f in client.get("/_emulator/fixtures").get_json()["fixtures"]] == ["small-org"]
        assert len(client.get("/_emulator/scenarios").get_json()["scenarios"]) >= 6
        client.post("/_emulator/tenants", json={{"vendor": "generic", "name": "acme"}})
        seeded = client.post("/_emulator/tenants/generic/acme/seed", json={{"fixture": "small-org"}})
        assert seeded.status_code == 201, seeded.get_json()
        print("ok")
        """
    )
    result = run_installed(installed, tmp_path, "-c", script)
    assert result.stdout.strip() == "ok", result.stderr


def test_installing_is_enough_for_the_fixture_to_appear(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import emulator


            def test_it(scim_emulator, pytestconfig):
                assert pytestconfig.pluginmanager.has_plugin("emulator.pytest_plugin")
                tenant = scim_emulator.tenant("jostle", "acme")
                assert tenant.seed("small-org")["users"] == 12
                assert tenant.scenario("flaky-5xx", time_scale=0.01)["rules"]
            """
        )
    )
    result = run_installed(
        installed, tmp_path, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_user.py"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_wheel_ships_the_start_up_tenants_and_the_console_script(installed: Path) -> None:
    shipped = {path.name for path in (installed / "emulator" / "_data" / "tenants").glob("*.yaml")}
    assert shipped == {path.name for path in (ROOT / "tenants").glob("*.yaml")}
    assert (installed / "emulator" / "gunicorn_conf.py").is_file()
    (entry_points,) = installed.glob("*.dist-info/entry_points.txt")
    assert "[console_scripts]\nscim-emulator = emulator.console:main" in entry_points.read_text()

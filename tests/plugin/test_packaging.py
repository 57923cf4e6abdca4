"""What `pip install` of the project gives: every package, its data files, and the pytest plugin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the sources and unpacked as site-packages would hold it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("emulator", "fixtures"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = work.glob("*.whl")
    site = work / "site"
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

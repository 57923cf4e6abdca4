"""Run small pytest suites that use the plugin, in a subprocess, as a user's project would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Callable[..., pytest.RunResult]:
    """``run_suite(*args, load=True)``: pytest in a subprocess over pytester's directory, with this checkout's plugin.

    ``-p emulator.pytest_plugin`` is harmless where the project is installed: the entry point
    has the module's name, so the plugin is found already registered.
    """
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))

    def run(*args: str, load: bool = True) -> pytest.RunResult:
        plugin = ("-p", "emulator.pytest_plugin") if load else ()
        return pytester.runpytest_subprocess(*plugin, "-p", "no:cacheprovider", *args, timeout=300)

    return run


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built without a download from a copy of the sources pyproject.toml names."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    with open(ROOT / "pyproject.toml", "rb") as handle:
        data_directories = tomllib.load(handle)["tool"]["setuptools"]["package-dir"].values()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("emulator", *data_directories):
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
    (built,) = work.glob("*.whl")
    return built

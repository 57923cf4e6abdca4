"""Run small pytest suites that use the plugin, in a subprocess, as a user's project would."""

from __future__ import annotations

import os
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

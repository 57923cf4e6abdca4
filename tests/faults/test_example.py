"""The README's worked example (examples/retry_429.py) runs against a live server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import Live

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "retry_429.py"


def test_retry_429_example(live: Live) -> None:
    finished = subprocess.run(
        [sys.executable, str(EXAMPLE), live.base_url], capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    lines = finished.stdout.splitlines()
    assert [line.split(":", 1)[0] for line in lines[:2]] == ["attempt 1", "attempt 2"]
    assert "429" in lines[0] and "retrying in 1 s" in lines[0]
    assert lines[2].startswith("created ada@example.com with id ")
    assert "matched 3, fired 2, exhausted" in lines[3]
    assert lines[4] == "journal: 3 POST /Users (expected 3): ok"

"""The README runs as written: its shell and Python examples, in order, against one live emulator.

The emulator is started the way the README starts it (``python -m emulator serve``, as a real
process), with the shipped tenants, on a fresh SQLite database in a temporary directory and a
free port of 127.0.0.1. The examples say ``localhost:8000`` / ``127.0.0.1:8000``; that address is
rewritten to the chosen port before each block runs, so nothing needs port 8000 to be free.

Every ```sh block runs in bash (``set -euo pipefail``, traced with README line numbers) and every ```python block in this venv's
python, from the repository root (where the README's commands are written to run), with this
venv's bin first on PATH and a ``scim-emulator`` shim (``python -m emulator``) after it. Each must
exit 0. Blocks of other kinds are text: untagged fences (output samples, the layout picture) and
```yaml. Comments on the lines right before a fence say more about it:

    <!-- readme-test: skip (why) -->       not run here (it installs, or starts a second server, ...)
    <!-- readme-test: expect TEXT -->      its output contains TEXT (spacing ignored; several
                                           expects are found in their order)
    <!-- readme-test: twice (why) -->      run a second time right after: a rerun must work too

A fence of any other language, a skip without a reason or a comment that precedes no fence fails.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RUN = {"sh", "python"}
TEXT = {"", "yaml"}
FENCE = re.compile(r"^```(\S*)\s*$")
MARK = re.compile(r"^<!-- readme-test: (.*) -->$")
ADDRESS = re.compile(r"\b(localhost|127\.0\.0\.1):8000\b")
BLOCK_TIMEOUT = 90


@dataclass
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skip: str | None = None
    expect: list[str] = field(default_factory=list)
    twice: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def runs(self) -> bool:
        return self.language in RUN and self.skip is None

    def __str__(self) -> str:
        first = self.code.strip().splitlines()[0] if self.code.strip() else ""
        return f"README.md:{self.line} ({self.language} block: {first[:60]})"


def read_blocks(text: str) -> list[Block]:
    """Every fenced block of the README with its marks; a block's problems say what is wrong with them."""
    lines = text.splitlines()
    blocks: list[Block] = []
    marks: list[tuple[int, str]] = []
    number = 0
    while number < len(lines):
        line = lines[number]
        mark, fence = MARK.match(line), FENCE.match(line)
        if mark:
            marks.append((number + 1, mark.group(1).strip()))
        elif fence:
            end = next((i for i in range(number + 1, len(lines)) if lines[i].startswith("```")), len(lines))
            block = Block(number + 1, fence.group(1), "\n".join(lines[number + 1 : end]) + "\n")
            for at, directive in marks:
                apply_mark(block, at, directive)
            if block.language not in RUN | TEXT:
                block.problems.append(
                    f"a ```{block.language} block is neither run nor text: use sh or python"
                )
            if block.language in TEXT and (block.skip or block.expect or block.twice):
                block.problems.append("marks on a text block: only sh and python blocks run")
            blocks.append(block)
            marks, number = [], end
        elif marks:
            raise AssertionError(
                f"README.md:{marks[0][0]}: a readme-test comment must come right before a fence"
            )
        number += 1
    return blocks


def apply_mark(block: Block, at: int, directive: str) -> None:
    verb, _, rest = directive.partition(" ")
    reason = re.fullmatch(r"\((.+)\)", rest.strip())
    if verb == "skip" and reason:
        block.skip = reason.group(1)
    elif verb == "twice" and reason:
        block.twice = True
    elif verb == "expect" and rest.strip():
        block.expect.append(rest.strip())
    else:
        block.problems.append(
            f"README.md:{at}: unknown or incomplete mark {directive!r} (skip and twice need a (reason))"
        )


BLOCKS = read_blocks(README.read_text(encoding="utf-8"))


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveEmulator:
    port: int
    env: dict[str, str]
    workdir: Path


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveEmulator]:
    """One emulator for the whole README, started as the README says, on a fresh database."""
    assert "python -m emulator serve" in README.read_text(encoding="utf-8")
    home = tmp_path_factory.mktemp("readme")
    shims = home / "bin"
    shims.mkdir()
    shim = shims / "scim-emulator"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m emulator "$@"\n')
    shim.chmod(0o755)
    port, database = free_port(), f"sqlite:///{home / 'emulator.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMULATOR_", "GUNICORN_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), str(shims), env.get("PATH", "")]),
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database,  # what `flask emulator ...` and `scim-emulator ...` read
        EMULATOR_PUBLIC_URL=f"http://localhost:{port}/",
        TMPDIR=str(home),
    )
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--database-url", database, "--tenants", str(ROOT / "tenants")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"the emulator exited:\n{(home / 'serve.log').read_text()}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"no answer in 60 s:\n{(home / 'serve.log').read_text()}"
            time.sleep(0.2)
        yield LiveEmulator(port, env, home)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def run(block: Block, emulator: LiveEmulator) -> str:
    """Run one block once; its stdout. Fails naming the block when it exits non-zero."""
    code = ADDRESS.sub(lambda m: f"{m.group(1)}:{emulator.port}", block.code)
    if block.language == "sh":
        trace = f"PS4='+ README.md:$((LINENO + {block.line - 1})): '; set -x -euo pipefail\n"  # names the failing line
        command = ["bash", "-c", trace + code]
    else:
        command = [sys.executable, "-c", code]
    try:
        result = subprocess.run(
            command, cwd=ROOT, env=emulator.env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT
        )
    except subprocess.TimeoutExpired as timeout:
        partial = timeout.stdout or b""  # bytes, even with text=True
        shown = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
        pytest.fail(f"{block} did not finish within {BLOCK_TIMEOUT} s:\n{shown}", pytrace=False)
    if result.returncode != 0:
        pytest.fail(
            f"{block} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}",
            pytrace=False,
        )
    return result.stdout


def check_output(block: Block, output: str) -> None:
    """Each expected text in the output, in order, spacing ignored."""
    seen, position = squeezed(output), 0
    for expected in block.expect:
        found = seen.find(squeezed(expected), position)
        if found < 0:
            pytest.fail(
                f"{block}: expected {expected!r} (after the earlier ones) in its output:\n{output}",
                pytrace=False,
            )
        position = found + len(squeezed(expected))


def test_every_block_is_run_or_skipped_with_a_reason() -> None:
    problems = [f"{block}: {problem}" for block in BLOCKS for problem in block.problems]
    assert not problems, "\n".join(problems)
    assert any(block.runs for block in BLOCKS)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.language in RUN], ids=lambda b: f"line-{b.line}")
def test_block_runs_as_written(block: Block, request: pytest.FixtureRequest) -> None:
    if block.problems:
        pytest.fail(f"{block}: " + "; ".join(block.problems), pytrace=False)
    if block.skip:
        pytest.skip(f"README.md:{block.line}: {block.skip}")
    emulator: LiveEmulator = request.getfixturevalue("emulator")
    for _ in range(2 if block.twice else 1):
        check_output(block, run(block, emulator))

"""Real gunicorn servers on loopback, over SQLite and PostgreSQL, for the "many workers act as one" tests.

- ``database_url``: parametrised over ``sqlite`` and ``postgres`` (a fresh database per test; the
  PostgreSQL half is skipped with the reason when no server answers at 127.0.0.1:5432).
- ``serve(database_url, workers=4, env=None, command=None) -> Server``: start gunicorn from the
  repository root; every server a test starts is stopped (TERM, then KILL) when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .live import BIN_DIR, Server, free_port, server_env


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each service test runs on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'emulator.db'}"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start gunicorn servers (``gunicorn -c gunicorn.conf.py``) that are stopped when the test ends."""
    servers: list[Server] = []

    def start(
        database_url: str,
        workers: int = 4,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
        port: int | None = None,
    ) -> Server:
        port = port or free_port()
        command = command or [
            str(BIN_DIR / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "app:app",
        ]
        server = Server(command, server_env(database_url, env), port, tmp_path / f"server-{len(servers)}.log")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()

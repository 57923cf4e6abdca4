"""Fixtures for the SCIM HTTP tests: a second tenant, and SQL statement capture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from emulator.extensions import db
from tests.conftest import ScimTenant


@pytest.fixture
def other(make_tenant: Callable[..., ScimTenant]) -> ScimTenant:
    """A second generic tenant, globex, beside ``tenant`` (acme)."""
    return make_tenant("generic", "globex")


@pytest.fixture
def statements(app: Flask) -> Callable[[], Any]:
    """``with statements() as seen:`` collects the SQL every request inside the block runs.

    Every statement goes through SQLAlchemy's connection, the ORM's, Core's and the prepared
    driver SQL (emulator/prepared.py) alike, so ``before_cursor_execute`` sees each one;
    executemany is one statement. A transaction's BEGIN, sent by the database module's own
    listener, is not SQL a request chose and is not collected."""

    @contextmanager
    def capture() -> Iterator[list[str]]:
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement.lower())

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return capture

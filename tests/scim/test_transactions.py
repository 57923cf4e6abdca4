"""What SQLite itself runs for a SCIM request: one deferred BEGIN for its reads, BEGIN IMMEDIATE for its write.

Every statement, the prepared ones included (emulator/prepared.py), goes through SQLAlchemy's
connection, whose ``before_cursor_execute`` the database module sends BEGIN from. These pin
that SQLAlchemy adds no transaction of its own: SQLite's trace shows each BEGIN, COMMIT and
ROLLBACK it was sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from emulator.extensions import db
from tests.conftest import USER, ScimTenant

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@pytest.fixture
def traced(app: Flask) -> Callable[[], Any]:
    """``with traced() as ran:`` collects every statement SQLite runs for the requests in the block."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's trace of its transactions")

    @contextmanager
    def capture() -> Iterator[list[str]]:
        ran: list[str] = []

        def trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            dbapi_connection.set_trace_callback(lambda statement: ran.append(" ".join(statement.split())))

        event.listen(engine, "checkout", trace)
        try:
            yield ran
        finally:
            event.remove(engine, "checkout", trace)

    return capture


def transactions(ran: list[str]) -> list[str]:
    """The statements that begin and end transactions as they ran; the others by their first word."""
    return [statement if statement.startswith(CONTROL) else statement.split()[0] for statement in ran]


def test_a_read_runs_in_one_deferred_transaction(tenant: ScimTenant, traced: Callable[[], Any]) -> None:
    alice = tenant.create_user("alice")  # and the credential's last use written (once a minute)
    with traced() as ran:
        assert tenant.get(f"/Users/{alice['id']}").status_code == 200
    # the tenant (with whether a fault rule names it), the credential, the user, its groups
    assert transactions(ran) == ["BEGIN"] + ["SELECT"] * 4 + ["ROLLBACK"]


def test_a_write_reads_then_writes_in_a_writer_transaction(
    tenant: ScimTenant, traced: Callable[[], Any]
) -> None:
    tenant.get("/Users")  # the credential's last use written, in a transaction of its own
    with traced() as ran:
        assert tenant.post("/Users", {"schemas": [USER], "userName": "alice"}).status_code == 201
    # the tenant (with whether a fault rule names it) and the credential; then the insert
    reads, write = ["BEGIN"] + ["SELECT"] * 2 + ["ROLLBACK"], ["BEGIN IMMEDIATE", "INSERT", "COMMIT"]
    assert transactions(ran) == reads + write

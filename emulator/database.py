"""Engine set-up: SQLite tuned for several workers on one file, schema created without a race."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from .extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
PENDING_BEGIN = "emulator.pending_begin"  # connection.info: BEGIN not sent yet
FLUSHING = "emulator.flushing"  # connection.info: a session flush opens this transaction


def _writes() -> bool:
    """Whether the current transaction belongs to a request that may write."""
    if not has_request_context():
        return True
    return request.method not in READ_METHODS or g.get("writes", False)


def tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writers.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another worker committed meanwhile (its snapshot is stale, so SQLite
    cannot wait); taking the write lock at BEGIN makes writers queue on the busy timeout
    instead. BEGIN is sent just before a transaction's first statement, and is IMMEDIATE
    when the request may write (not GET/HEAD/OPTIONS, or ``g.writes`` set), when the
    transaction is opened by a session flush, or when its first statement writes. So a
    read request that must write (a credential's last use, a journal entry) does it in a
    transaction of its own: ``db.session.commit()`` first, then change and commit, or
    ``side_transaction()``. Writing after reading in the same transaction of a GET is what
    fails.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # pysqlite must not BEGIN on its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        # a commit is in the WAL file before it is acknowledged, so it survives the process being
        # killed (tests/service kill -9); only an OS crash may lose the last commits, which an
        # emulator can afford for one fsync less per write
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.info[PENDING_BEGIN] = True

    @event.listens_for(engine, "before_cursor_execute")
    def before_execute(connection, cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        if not connection.info.pop(PENDING_BEGIN, False):
            return
        writes = (
            _writes()
            or connection.info.pop(FLUSHING, False)
            or statement.lstrip().upper().startswith(WRITE_STATEMENTS)
        )
        cursor.execute("BEGIN IMMEDIATE" if writes else "BEGIN")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(connection) -> None:  # type: ignore[no-untyped-def]
        connection.info.pop(PENDING_BEGIN, None)  # a transaction that ran no statement
        connection.info.pop(FLUSHING, None)


def mark_flush(session: Session, _context: Any, _instances: Any) -> None:
    """A flush writes: if it opens the session's transaction, that transaction is a writer."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if connection.info.get(PENDING_BEGIN):
        connection.info[FLUSHING] = True


@contextlib.contextmanager
def side_transaction() -> Iterator[Connection]:
    """A small write beside the request's own transaction (e.g. a credential's last use), committed at once.

    On SQLite a request that may write holds the database's one write lock from its first
    statement (BEGIN IMMEDIATE), so a second connection of the same request would wait for it
    until the busy timeout: there the write joins the request's transaction instead (and is
    committed with it). Elsewhere it gets a connection and transaction of its own.
    """
    if has_request_context() and _writes() and db.engine.dialect.name == "sqlite":
        yield db.session.connection()
        return
    with db.engine.begin() as connection:
        yield connection


@contextlib.contextmanager
def schema_lock(app: Flask) -> Iterator[None]:
    """Serialise schema creation between workers starting at once."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(7643)"))
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(7643)"))
                connection.commit()
        return
    # beside the database file, so every process sharing that file shares the lock
    database = engine.url.database
    file_based = database and database != ":memory:" and not database.startswith("file:")
    lock_path = Path(f"{database}.schema-lock") if file_based else Path(app.instance_path) / "schema.lock"
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def init_app(app: Flask) -> None:
    """Bind the database to the app and create the schema."""
    from . import models  # noqa: F401  (the tables create_all must know)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    if not event.contains(db.session, "before_flush", mark_flush):
        event.listen(db.session, "before_flush", mark_flush)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine)
            db.engine.dispose()
        with schema_lock(app):
            db.create_all()

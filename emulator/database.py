"""Engine set-up: SQLite tuned for several workers on one file, schema created without a race."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, g, has_request_context, request
from sqlalchemy import Engine, event, text

from .extensions import db

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _writes() -> bool:
    """Whether the current transaction belongs to a request that may write."""
    if not has_request_context():
        return True
    return request.method not in READ_METHODS or g.get("writes", False)


def tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writers.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another worker writes meanwhile; taking the write lock at BEGIN makes
    writers queue on the busy timeout instead.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes() else "BEGIN")


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
    lock_path = Path(app.instance_path) / "schema.lock"
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
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine)
            db.engine.dispose()
        with schema_lock(app):
            db.create_all()

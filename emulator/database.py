"""Engine set-up: SQLite tuned for several workers on one file, schema created without a race."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, has_request_context, request
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from .extensions import db
from .request_state import RequestState, current

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
PENDING_BEGIN = "emulator.pending_begin"  # connection.info: BEGIN not sent yet
FLUSHING = "emulator.flushing"  # connection.info: a session flush opens this transaction
HOLDS_WRITER_LOCK = "emulator.writer_lock"  # connection.info: this connection holds the WriterLock
# each tuned SQLite engine's transactions: what commit_request, write_alone and write_phase end and begin
TUNED: weakref.WeakKeyDictionary[Engine, SQLiteTransactions] = weakref.WeakKeyDictionary()
# as long as SQLite's own busy timeout: a writer that cannot get the lock by then goes on without it
WRITER_LOCK_TIMEOUT = 30.0


def finish_request(state: RequestState, response: Response) -> None:
    """Commit a request's write when it succeeded (with its journal entry, written just before);
    roll back a failed one. A read's snapshot is left to the session's teardown."""
    if not request_writes(state):
        return
    if response.status_code < 400:
        commit_request()
    else:
        db.session.rollback()


def commit_request() -> None:
    """Commit the request's write on the DBAPI connection, then let SQLite's next writer in.

    The session's commit would also end its transaction and expire what it loaded, about
    100 µs of bookkeeping for a session that the request's teardown closes next anyway; its
    rollback there finds nothing left to end.
    """
    session = db.session()
    session.flush()
    connection = session.connection()
    fairy = connection.connection
    fairy.commit()
    transactions = TUNED.get(connection.engine)
    if transactions is not None:
        transactions.release(fairy.info)


def request_writes(state: RequestState | None = None) -> bool:
    """Whether the current transaction belongs to a request that may write.

    The request state's ``writes``, when set, decides (SCIM requests read first, then declare
    their write phase with ``write_phase()``); otherwise any method but GET/HEAD/OPTIONS may
    write. Outside a request (the CLI, start-up) everything may.
    """
    if state is None:
        if not has_request_context():
            return True
        state = current()
    if state is not None and state.writes is not None:
        return state.writes
    return request.method not in READ_METHODS


class WriterLock:
    """One SQLite writer at a time across every worker process and thread sharing a database file.

    SQLite lets one connection write at a time; a second writer's BEGIN IMMEDIATE fails with
    SQLITE_BUSY and Python's sqlite3 retries on a busy handler that sleeps in steps of up to
    100 ms, so under load writers wait whole sleeps for a lock held for a fraction of a
    millisecond (p99s of hundreds of ms). Writers queue here instead, on a lock file beside
    the database: ``flock`` between processes, a ``threading.Lock`` between one process's
    threads (a flock is held per open file, which all threads share). A waiter wakes the
    moment the lock is released, and SQLite never sees two writers. The lock is taken just
    before BEGIN IMMEDIATE and released when the connection goes back to the pool, after its
    COMMIT or ROLLBACK.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.pid = -1
        self.threads = threading.Lock()
        self.owner: int | None = None  # the thread holding it
        self.handle: Any = None
        self.setting_up = threading.Lock()

    def _for_this_process(self) -> None:
        """A fork shares the parent's open file, which would hold one flock for both: reopen.

        A new worker's first writers may come on several threads at once: one sets up while
        the others wait, and ``pid`` is set last, so none sees a half-made lock (one that did
        took the thread lock, failed on the missing file and never gave it back: every later
        writer of that worker then waited out ``WRITER_LOCK_TIMEOUT``).
        """
        pid = os.getpid()
        if self.pid == pid:
            return
        with self.setting_up:
            if self.pid != pid:
                self.threads = threading.Lock()
                self.owner = None
                self.handle = open(self.path, "a+b")  # noqa: SIM115  (kept open for the process's life)
                self.pid = pid

    def acquire(self) -> bool:
        self._for_this_process()
        if self.owner == threading.get_ident():
            # a second connection of a thread that already writes would wait for itself
            raise RuntimeError("this thread already holds the SQLite write lock on another connection")
        if not self.threads.acquire(timeout=WRITER_LOCK_TIMEOUT):
            return False  # let SQLite's busy timeout decide
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        self.owner = threading.get_ident()
        return True

    def release(self) -> None:
        self.owner = None
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.threads.release()


def database_file(engine: Engine) -> str | None:
    """The SQLite database's file, or None for an in-memory or URI database."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def sqlite_file(engine: Engine) -> str | None:
    """The file of a SQLite database tuned here, or None (PostgreSQL, an in-memory database)."""
    return database_file(engine) if engine in TUNED else None


def tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writers.

    Writers of every worker queue on a ``WriterLock`` beside the database file rather than
    on SQLite's sleeping busy handler.

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another worker committed meanwhile (its snapshot is stale, so SQLite
    cannot wait); taking the write lock at BEGIN makes writers queue instead. BEGIN is sent
    just before a transaction's first statement, and is IMMEDIATE when the request may write
    (the request state's ``writes`` when set, else any method but GET/HEAD/OPTIONS), when the transaction is
    opened by a session flush, or when its first statement writes. So a
    read request that must write (a credential's last use, a journal entry) does it in a
    transaction of its own (``write_alone``: the read transaction ends first). Writing
    after reading in the same transaction of a GET is what fails; so a SCIM request declares
    its write phase with ``write_phase()``, which ends its reads first.
    """

    path = database_file(engine)

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
        # checkpoints (each with two fsyncs) are CHECKPOINTER's, in the background; a commit takes
        # one only if the WAL has grown past 20,000 pages regardless (the checkpointer stopped)
        cursor.execute("PRAGMA wal_autocheckpoint = 20000")
        cursor.close()
        if path:
            CHECKPOINTER.watch(path)

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.info[PENDING_BEGIN] = True

    transactions = SQLiteTransactions(WriterLock(f"{path}.writer-lock") if path else None)
    TUNED[engine] = transactions

    @event.listens_for(engine, "before_cursor_execute")
    def before_execute(connection, cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        transactions.begin_pending(connection.info, cursor, statement)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(connection) -> None:  # type: ignore[no-untyped-def]
        connection.info.pop(PENDING_BEGIN, None)  # a transaction that ran no statement
        connection.info.pop(FLUSHING, None)

    # back in the pool means committed or rolled back (the pool's reset rolls back what is left)
    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "invalidate")
    @event.listens_for(engine, "close")
    def release_writer_lock(_dbapi_connection, record, *_args) -> None:  # type: ignore[no-untyped-def]
        if record is not None:
            transactions.release(record.info)


class SQLiteTransactions:
    """A tuned SQLite engine's deferred BEGIN and its writer lock. Every statement, ORM, Core or
    driver SQL (emulator/prepared.py), goes through SQLAlchemy's connection, so its
    ``before_cursor_execute`` event is where a transaction's BEGIN is sent. ``held`` is the
    pooled DBAPI connection's info, which the pool's record shows again at checkin."""

    def __init__(self, writer_lock: WriterLock | None) -> None:
        self.writer_lock = writer_lock

    def begin_pending(self, held: dict[str, Any], cursor: Any, statement: str) -> None:
        """Send the transaction's deferred BEGIN before its first statement."""
        if not held.pop(PENDING_BEGIN, False):
            return
        if (
            request_writes()
            or held.pop(FLUSHING, False)
            or statement.lstrip().upper().startswith(WRITE_STATEMENTS)
        ):
            self.begin_writer(held, cursor)
        else:
            cursor.execute("BEGIN")

    def begin_writer(self, held: dict[str, Any], cursor: Any) -> None:
        """Queue on the writer lock, then BEGIN IMMEDIATE."""
        held.pop(PENDING_BEGIN, None)
        lock = self.writer_lock
        if lock is not None and not held.get(HOLDS_WRITER_LOCK) and lock.acquire():
            held[HOLDS_WRITER_LOCK] = True
        cursor.execute("BEGIN IMMEDIATE")

    def release(self, held: dict[str, Any]) -> None:
        if held.pop(HOLDS_WRITER_LOCK, False):
            self.writer_lock.release()  # type: ignore[union-attr]


class Checkpointer:
    """Takes SQLite's WAL checkpoints in a background thread of each process, so no request pays.

    By default the commit that grows the WAL past 1,000 pages checkpoints it, and with
    ``synchronous = NORMAL`` a checkpoint syncs the WAL and the database file: two fsyncs
    inside a commit, holding the write lock every worker's writers queue on. With the journal
    writing every request that cost a quarter of the emulator's throughput. Here a daemon
    thread runs a PASSIVE checkpoint (which waits for no reader or writer) of each database
    file the process uses whose WAL changed, every ``INTERVAL`` seconds; of several processes
    sharing a file, the one that holds its checkpoint lock at that moment does it.
    """

    INTERVAL = 0.5

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}  # database file -> its WAL's mtime when last checkpointed
        self.pid = -1
        self.guard = threading.Lock()

    def watch(self, path: str) -> None:
        with self.guard:
            self.seen.setdefault(path, 0.0)
            if self.pid != os.getpid():  # the first database of this process (or a forked child)
                self.pid = os.getpid()
                threading.Thread(target=self.run, name="sqlite-checkpointer", daemon=True).start()

    def run(self) -> None:
        while True:
            time.sleep(self.INTERVAL)
            with self.guard:  # watch() adds files from other threads (a bare copy raised here once)
                files = list(self.seen.items())
            for path, checkpointed in files:
                try:
                    changed = os.stat(f"{path}-wal").st_mtime
                except OSError:  # no WAL (yet), or the database is gone (a test's temporary one)
                    if not os.path.exists(path):
                        with self.guard:
                            self.seen.pop(path, None)
                    continue
                if changed != checkpointed:
                    with contextlib.suppress(OSError, sqlite3.Error):
                        self.checkpoint(path)
                    with self.guard:
                        self.seen[path] = changed

    @staticmethod
    def checkpoint(path: str) -> None:
        with open(f"{path}.checkpoint-lock", "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another process is checkpointing this file now
            connection = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                connection.execute("PRAGMA synchronous = NORMAL")
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                connection.close()


CHECKPOINTER = Checkpointer()


def write_alone(connection: Connection, write: Callable[[Connection], None]) -> None:
    """Run ``write`` in a short transaction of its own on the DBAPI connection the session holds.

    What the request did there is rolled back first: a read wrote nothing, and a failed
    request's half-work must not ride along (nor its read snapshot, which would keep SQLite
    from checkpointing the WAL past it). Done on the DBAPI connection, this costs a fraction
    of the session's rollback and a new session transaction; the session's own rollback at
    teardown then finds nothing left to end.
    """
    fairy = connection.connection  # the pool's proxy of the DBAPI connection
    fairy.rollback()
    transactions = TUNED.get(connection.engine)
    if transactions is not None:
        transactions.begin_writer(fairy.info, fairy.cursor())
    try:
        write(connection)
        fairy.commit()
    except BaseException:
        fairy.rollback()
        raise
    finally:
        if transactions is not None:
            transactions.release(fairy.info)


def begin_again(connection: Connection) -> None:
    """After ``write_alone``: the connection's next statement begins a transaction again."""
    if connection.engine in TUNED:
        connection.connection.info[PENDING_BEGIN] = True


def mark_flush(session: Session, _context: Any, _instances: Any) -> None:
    """A flush writes: if it opens the session's transaction, that transaction is a writer."""
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if connection.info.get(PENDING_BEGIN):
        connection.info[FLUSHING] = True


@contextlib.contextmanager
def write_phase() -> Iterator[None]:
    """A SCIM request's writes: one writer transaction (BEGIN IMMEDIATE on SQLite), committed as
    the block ends and rolled back if it raises. Reads a write depends on (the row a PATCH
    changes) belong inside the block; rendering the answer and journaling it come after.

    So SQLite's write lock, which every worker's writers queue on, is held for the statements
    and not for the Python around them (the answer's JSON, the journal entry's masking): held
    that long, it made two workers take turns. The request's journal entry is written after
    the commit, in a short transaction of its own; a failed write is journaled as failed.

    On SQLite the read transaction ends first, on the DBAPI connection (the session keeps what
    it loaded): a snapshot taken before another worker's commit cannot become a writer.
    PostgreSQL's read-committed transaction simply goes on to write.
    """
    state = current()
    assert state is not None, "a write phase belongs to a request"
    state.writes = True
    connection = db.session.connection()
    if connection.engine in TUNED:
        fairy = connection.connection
        fairy.rollback()
        fairy.info[PENDING_BEGIN] = True
    yield  # an error propagates with writes set: the request is a failed write, rolled back
    commit_request()
    state.writes = False  # committed: what the request does next (render, journal) only reads


@contextlib.contextmanager
def write_apart(state: RequestState) -> Iterator[None]:
    """A short write in the middle of a request that reads (a fault rule's counters): what the
    request read so far ends, the block runs in a writer transaction of its own and commits as
    it ends, and the request goes on as it was declared."""
    declared = state.writes
    state.writes = None
    db.session.commit()  # the reads' transaction ends without ever taking the write lock
    state.writes = True
    try:
        yield
        db.session.commit()
    finally:
        state.writes = declared


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
    database = database_file(engine)
    lock_path = Path(f"{database}.schema-lock") if database else Path(app.instance_path) / "schema.lock"
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

"""The journal's writer: a process writes its entries in batches, and a reader of the journal first
waits until every process has written the entries of the requests it answered.

A transaction per request was most of the journal's cost: a writer lock, BEGIN IMMEDIATE, a
commit with its WAL frames and shared-memory locks, and every other worker's page cache thrown
away (bench/README.md measures it). So on a SQLite file (the default) a process keeps the
entries of the requests it answered in memory, and a background thread writes them every
``EMULATOR_JOURNAL_FLUSH_MS`` milliseconds in one transaction.

A reader sees what it saw before: the control plane, the dashboard and the CLI call
``settle()`` before they read, and it returns once every entry appended before the call is
committed, by this process and by every other process on the database file. Two lock files
beside the database do it, as the writer lock does (``database.WriterLock``):

- ``<db>.journal-pending``: a process holds it shared from its first unwritten entry until its
  batch is committed. ``settle`` takes it exclusively for a moment, so it waits for every batch.
- ``<db>.journal-gate``: an entry is appended under it shared; ``settle`` holds it exclusively
  while it waits, so appends pause and a steady load cannot keep some batch pending forever.

Every process that writes a SQLite file in WAL mode runs on one host (WAL needs shared memory),
so file locks reach them all. PostgreSQL, which containers behind a load balancer may share,
and a SQLite database in memory get each entry written with its request, as before.

An entry whose process is killed (SIGKILL, an OOM kill) before its batch is written is lost:
at most that process's last ``EMULATOR_JOURNAL_FLUSH_MS``. A process that exits normally writes
what it holds first.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import Connection, Engine

from . import database

log = logging.getLogger(__name__)

Entry = tuple[dict[str, Any], int]  # a journal row and its tenant's bound (EMULATOR_JOURNAL_MAX)
WriteBatch = Callable[[Connection, list[Entry]], None]
SETUP = threading.Lock()  # a process's first use of a writer or its barrier, by one thread


class Barrier:
    """The two lock files, each opened twice per process.

    A flock conflicts between open files, not between processes, so a reader's exclusive
    lock waits for this process's appenders as it waits for any other process's.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.pid = -1

    def for_this_process(self) -> Barrier:
        """A fork shares its parent's open files, and with them their locks: reopen."""
        if self.pid == os.getpid():
            return self
        with SETUP:
            if self.pid == os.getpid():
                return self
            self.gate_shared, self.gate_exclusive = self.open("gate"), self.open("gate")
            self.pending_shared, self.pending_exclusive = self.open("pending"), self.open("pending")
            self.readers = threading.Lock()
            self.pid = os.getpid()
        return self

    def open(self, name: str) -> IO[bytes]:
        return open(f"{self.path}.journal-{name}", "a+b")  # noqa: SIM115  (kept open for the process's life)


class Writer:
    """One database's journal entries in this process, on their way to the database."""

    def __init__(self, engine: Engine, path: str, interval: float, write: WriteBatch) -> None:
        self.engine = engine
        self.barrier = Barrier(path)
        self.interval = interval
        self.write = write
        self.pid = -1

    def for_this_process(self) -> Writer:
        """A forked child starts with nothing pending."""
        if self.pid == os.getpid():
            return self
        with SETUP:
            if self.pid == os.getpid():
                return self
            self.entries: list[Entry] = []
            self.due = 0.0  # when the flusher writes what is pending (monotonic seconds)
            self.holding = False  # this process holds the pending lock shared
            self.guard = threading.Lock()  # entries and holding
            self.flushing = threading.Lock()  # one batch at a time
            FLUSHER.watch(self)
            self.pid = os.getpid()
        return self

    def append(self, row: dict[str, Any], bound: int) -> None:
        """Keep an answered request's entry for the next batch."""
        self.for_this_process()
        barrier = self.barrier.for_this_process()
        fcntl.flock(barrier.gate_shared, fcntl.LOCK_SH)
        try:
            with self.guard:
                if not self.holding:
                    fcntl.flock(barrier.pending_shared, fcntl.LOCK_SH)
                    self.holding = True
                first = not self.entries
                if first:
                    self.due = time.monotonic() + self.interval
                self.entries.append((row, bound))
        finally:
            fcntl.flock(barrier.gate_shared, fcntl.LOCK_UN)
        if first:
            FLUSHER.wake.set()

    def flush(self) -> None:
        """Write what is pending in one transaction; then let readers by, unless more came meanwhile."""
        self.for_this_process()
        with self.flushing:
            with self.guard:
                batch, self.entries = self.entries, []
            if batch:
                try:
                    with self.engine.connect() as connection, connection.begin():
                        database.begin_writer(connection)
                        self.write(connection, batch)
                except Exception:  # a reader must not wait forever for entries that cannot be written
                    log.exception("%d journal entries could not be written", len(batch))
            with self.guard:
                if self.holding and not self.entries:
                    fcntl.flock(self.barrier.for_this_process().pending_shared, fcntl.LOCK_UN)
                    self.holding = False

    def settle(self) -> None:
        """Return once every entry appended anywhere before this call is in the database.

        Call it before the request reads anything: a SQLite read transaction begun earlier would
        keep its older snapshot.
        """
        self.for_this_process()
        barrier = self.barrier.for_this_process()
        with barrier.readers:
            fcntl.flock(barrier.gate_exclusive, fcntl.LOCK_EX)
            try:
                self.flush()  # this process's own
                fcntl.flock(barrier.pending_exclusive, fcntl.LOCK_EX)  # every other process's
                fcntl.flock(barrier.pending_exclusive, fcntl.LOCK_UN)
            finally:
                fcntl.flock(barrier.gate_exclusive, fcntl.LOCK_UN)


class Flusher:
    """The thread of each process that writes its writers' batches, each when it is due."""

    def __init__(self) -> None:
        self.writers: weakref.WeakSet[Writer] = weakref.WeakSet()
        self.wake = threading.Event()
        self.pid = -1
        self.guard = threading.Lock()

    def watch(self, writer: Writer) -> None:
        with self.guard:
            self.writers.add(writer)
            if self.pid != os.getpid():  # the first writer of this process (or of a forked child)
                self.pid = os.getpid()
                self.wake = threading.Event()
                threading.Thread(target=self.run, name="journal-flusher", daemon=True).start()

    def run(self) -> None:
        while True:
            try:
                self.write_due()
            except Exception:  # the thread must live on: readers wait for what it holds
                log.exception("the journal flusher failed; it goes on")
                time.sleep(0.1)

    def write_due(self) -> None:
        """Write the batches that are due; then sleep until the next is, or a first entry arrives."""
        now = time.monotonic()
        pending = [w for w in self.writers_here() if w.entries]
        due = [w for w in pending if w.due <= now]
        for writer in due:
            writer.flush()
        if not due:
            self.wake.wait(min(w.due for w in pending) - now if pending else None)
            self.wake.clear()

    def writers_here(self) -> list[Writer]:
        with self.guard:
            return [w for w in self.writers if w.pid == os.getpid()]

    def flush_all(self) -> None:
        """At exit: write what this process still holds."""
        for writer in self.writers_here():
            writer.flush()


FLUSHER = Flusher()
atexit.register(FLUSHER.flush_all)

"""Journal entries waiting in files beside a SQLite database, written into it in batches.

On SQLite a journal entry in a transaction of its own cost a request about a fifth of its
CPU: the writer lock, BEGIN IMMEDIATE, the INSERT and the COMMIT, and the other workers'
page caches, which SQLite empties whenever another connection commits. So each worker
process appends its entries, one JSON line each, to a spool file of its own, and every
few dozen entries one transaction writes what all the spools hold (``journal.drain``).
Every reader of the journal drains first, so it sees every request answered so far.

The protocol, for any number of processes sharing the database file:

- A process owns one spool file at a time (``<database>.spool.<token>``, a new random token
  for each), and holds an exclusive ``flock`` on it for as long as it owns it; the lock is
  taken before the file gets its name, so no file is ever seen without its owner's lock.
- An append is one ``write`` of a whole line to the owner's file: no lock, no ``stat``.
- A drain runs in a writer transaction, so one at a time. It reads each file from where the
  ``journal_spool`` table says the last drain stopped, up to the last whole line, and writes
  the entries and the new offsets in that transaction.
- After the commit, a file read to its end is removed by its owner, when the drain is its
  owner's (it then starts a new file at its next append), or by any drain when its lock is
  free: its owner is gone (exited, or killed), and nothing can be appended to it any more.

A drain that dies between its commit and the removal leaves a file whose offset the table
already has: nothing is written twice, and nothing is lost. A killed worker's spool is
drained by the next drain of any process. PostgreSQL needs none of this (a database server,
not a file, and possibly other hosts): there every entry is written as its request ends.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson

BATCH_BYTES = 1 << 20  # a spool this big is written whatever its count of lines


def encoded(row: list[Any]) -> bytes:
    """An entry's line, by orjson: it writes and reads one in a sixth of json's time, and this is
    paid on every request. Every value is a number or text without lone surrogates (bodies are
    decoded with replacement, headers and faults are JSON text already), which orjson takes."""
    return orjson.dumps(row) + b"\n"


@dataclass
class Spooled:
    """One spool file as a drain read it: its lines, and the offset after the last one."""

    name: str
    fd: int
    offset: int  # where this drain stopped reading (the end of the last whole line)
    rows: list[list[Any]] = field(default_factory=list)


class Spool:
    """The spool files of one SQLite database file, and this process's own."""

    def __init__(self, database: str, batch: int, batch_bytes: int = BATCH_BYTES) -> None:
        self.prefix = f"{database}.spool."
        self.directory, self.stem = os.path.split(self.prefix)
        self.batch = batch
        self.batch_bytes = batch_bytes
        self.guard = threading.Lock()  # this process's threads append one at a time
        self.pid = -1
        self.fd = -1  # this process's file, locked while it is this process's
        self.name = ""
        self.lines = 0  # lines this process appended since it last drained (or started its file)
        self.size = 0  # and their bytes

    def append(self, row: list[Any]) -> bool:
        """Add an entry (the journal INSERT's parameters); whether this process's file is due to
        be written: ``batch`` lines, or ``batch_bytes`` (a drain reads whole files into memory)."""
        line = encoded(row)
        with self.guard:
            if self.fd < 0 or self.pid != os.getpid():  # none yet, or a forked child's parent's
                self.open()
            written = os.write(self.fd, line)
            if written != len(line):  # a full disk: take the part back, so only whole lines are kept
                os.ftruncate(self.fd, os.fstat(self.fd).st_size - written)
                raise OSError(errno.ENOSPC, f"the journal's spool {self.prefix}* is out of space")
            self.lines += 1
            self.size += len(line)
            return self.lines >= self.batch or self.size >= self.batch_bytes

    def open(self) -> None:
        """Start a new file of this process's, locked before it is named (a drain takes a file
        without its lock for one whose owner is gone)."""
        if self.fd >= 0:  # a forked child's copy of its parent's file: the parent keeps its lock
            os.close(self.fd)
            self.fd = -1
        token = secrets.token_hex(8)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC
        unnamed = os.path.join(self.directory, f".{self.stem}{token}")  # not listed by names()
        fd = os.open(unnamed, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(unnamed, self.prefix + token)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(unnamed)
            raise
        self.fd, self.name, self.pid = fd, self.stem + token, os.getpid()
        self.lines = self.size = 0

    def names(self) -> list[str]:
        """The spool files there are now, of every process."""
        return [name for name in os.listdir(self.directory or ".") if name.startswith(self.stem)]

    def read(self, drained: dict[str, int]) -> list[Spooled]:
        """Every spool's whole lines past its drained offset; the files stay open for ``release``
        (closed here if reading one fails)."""
        found: list[Spooled] = []
        try:
            for name in self.names():
                try:
                    fd = os.open(os.path.join(self.directory, name), os.O_RDONLY | os.O_CLOEXEC)
                except FileNotFoundError:  # removed by a drain that committed since the listing
                    continue
                file = Spooled(name, fd, drained.get(name, 0))
                found.append(file)
                data = os.pread(fd, max(os.fstat(fd).st_size - file.offset, 0), file.offset)
                whole = data[: data.rfind(b"\n") + 1]  # a line being appended is read next time
                file.rows = [orjson.loads(line) for line in whole.splitlines()]
                file.offset += len(whole)
        except BaseException:
            self.release(found, remove_drained=False)
            raise
        return found

    def release(self, spooled: list[Spooled], remove_drained: bool) -> None:
        """Close the files a drain read; after its commit, first remove those read to their end
        that this process owns, or that no process does any more."""
        for file in spooled:
            try:
                if remove_drained:
                    if file.name == self.name and self.pid == os.getpid():
                        self.drained_own(file.offset)
                    else:
                        self.remove_if_abandoned(file)
            finally:
                os.close(file.fd)

    def drained_own(self, offset: int) -> None:
        """This process's file was written up to ``offset``: if that is all of it, it goes, and
        the next append starts a new one."""
        with self.guard:  # no append of this process's threads in between
            if self.fd >= 0 and os.fstat(self.fd).st_size == offset:
                self.remove(self.name)
                os.close(self.fd)
                self.fd = -1
            self.lines = self.size = 0

    def remove_if_abandoned(self, file: Spooled) -> None:
        """Remove another process's file read to its end, when that process holds it no more."""
        try:
            fcntl.flock(file.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # its owner is alive, and removes it itself
        if os.fstat(file.fd).st_size == file.offset:
            self.remove(file.name)

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):  # another drain removed it first
            os.unlink(os.path.join(self.directory, name))

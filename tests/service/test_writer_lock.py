"""SQLite's writer lock between threads and processes (emulator/database.py)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from emulator.database import WriterLock


def first_writes(lock: WriterLock, threads: int) -> tuple[list[bool], list[BaseException]]:
    """``threads`` writers taking and releasing the lock at once; whether each got it, and errors."""
    start = threading.Barrier(threads)
    took: list[bool] = []
    failures: list[BaseException] = []

    def write() -> None:
        start.wait()
        try:
            took.append(lock.acquire())
            lock.release()
        except BaseException as error:  # reported by the caller
            failures.append(error)

    writers = [threading.Thread(target=write) for _ in range(threads)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    return took, failures


def test_a_new_workers_first_writers_on_many_threads_at_once_all_get_the_lock(tmp_path: Path) -> None:
    """A forked worker sets its lock up again at its first write; writers arriving on several
    threads at that moment must each get the lock in turn, none failing on a half-made one."""
    lock = WriterLock(str(tmp_path / "emulator.db.writer-lock"))
    for _ in range(20):
        lock.pid = -1  # as in a worker just forked from the process that made the lock
        took, failures = first_writes(lock, 16)
        assert failures == [], failures
        assert took == [True] * 16
        assert lock.pid == os.getpid()

"""The journal's spool on a SQLite file: entries written in batches, and every reader sees them all.

(Across gunicorn workers, and through a kill -9, see tests/service/test_workers.py.)
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator import journal, spool
from tests.conftest import ScimTenant

JOURNAL = "/_emulator/tenants/generic/acme/journal"


@pytest.fixture
def sqlite_file(database_url: str) -> Path:
    if not database_url.startswith("sqlite:///"):
        pytest.skip("the spool is a SQLite file's: on PostgreSQL each entry is written as its request ends")
    return Path(database_url.removeprefix("sqlite:///"))


@pytest.fixture
def batched(build_app: Callable[..., Flask], sqlite_file: Path) -> Iterator[FlaskClient]:
    """A client of an emulator that writes its spool every 4 entries."""
    yield build_app(EMULATOR_JOURNAL_BATCH=4).test_client()


def acme(client: FlaskClient) -> ScimTenant:
    created = client.post("/_emulator/tenants", json={"vendor": "generic", "name": "acme"})
    assert created.status_code == 201, created.get_json()
    return ScimTenant(client, created.get_json())


def stored(sqlite_file: Path) -> list[str]:
    """The queries of the entries in the database itself, oldest first (no drain: a plain reader)."""
    with sqlite3.connect(sqlite_file) as connection:
        return [query for (query,) in connection.execute("SELECT query FROM journal_entry ORDER BY id")]


def tenant_ids(sqlite_file: Path) -> list[int]:
    with sqlite3.connect(sqlite_file) as connection:
        return [tenant_id for (tenant_id,) in connection.execute("SELECT id FROM tenant")]


def spool_of(client: FlaskClient) -> spool.Spool:
    return client.application.extensions[journal.WRITER].spool


def spool_files(sqlite_file: Path) -> list[Path]:
    return sorted(sqlite_file.parent.glob(sqlite_file.name + ".spool.*"))


def test_the_request_that_fills_a_batch_writes_it(batched: FlaskClient, sqlite_file: Path) -> None:
    tenant = acme(batched)
    for number in range(3):
        tenant.get("/Users", query_string={"n": number})
    assert stored(sqlite_file) == []
    assert len(spool_files(sqlite_file)) == 1

    tenant.get("/Users", query_string={"n": 3})

    assert stored(sqlite_file) == [f"n={n}" for n in range(4)]
    assert spool_files(sqlite_file) == []


def test_a_spool_is_written_once_it_holds_a_mebibyte_whatever_its_count(
    build_app: Callable[..., Flask], sqlite_file: Path
) -> None:
    """A drain reads whole files into memory: big entries are written before they pile up."""
    tenant = acme(build_app(EMULATOR_JOURNAL_BATCH=1000).test_client())
    for number in range(20):  # about 60 KB each: past a mebibyte at the 18th
        tenant.post("/Users", {"userName": f"u{number}", "padding": "x" * 60_000})
    assert 17 <= len(stored(sqlite_file)) < 20


def test_a_journal_read_writes_what_is_spooled_first(batched: FlaskClient, sqlite_file: Path) -> None:
    tenant = acme(batched)
    tenant.get("/Users", query_string={"n": 0})
    tenant.create_user("alice")

    page = batched.get(JOURNAL).get_json()

    assert [(e["method"], e["query"]) for e in page["entries"]] == [("POST", ""), ("GET", "n=0")]
    assert page["bound"]["kept"] == 2
    assert stored(sqlite_file) == ["n=0", ""]


def test_with_a_batch_of_one_each_entry_is_written_as_its_request_ends(
    build_app: Callable[..., Flask], sqlite_file: Path
) -> None:
    tenant = acme(build_app(EMULATOR_JOURNAL_BATCH=1).test_client())
    tenant.get("/Users", query_string={"n": 0})
    assert stored(sqlite_file) == ["n=0"]
    assert spool_files(sqlite_file) == []


def test_a_reset_empties_what_was_spooled_before_it(batched: FlaskClient) -> None:
    tenant = acme(batched)
    tenant.get("/Users", query_string={"before": 1})

    assert batched.post("/_emulator/tenants/generic/acme/reset").status_code == 200
    tenant.get("/Users", query_string={"after": 1})

    page = batched.get(JOURNAL).get_json()
    assert [e["query"] for e in page["entries"]] == ["after=1"]
    assert page["bound"] == {"max_entries": 1000, "kept": 1, "dropped": 0, "complete": True}


def test_a_deleted_tenants_spooled_entries_go_with_it(batched: FlaskClient, sqlite_file: Path) -> None:
    """A tenant re-created under a deleted one's name inherits none of its spooled entries (nor its
    id: SQLite would give the newest deleted id again without sqlite_autoincrement)."""
    old = acme(batched)
    old.get("/Users", query_string={"old": 1})
    deleted = tenant_ids(sqlite_file)
    assert batched.delete("/_emulator/tenants/generic/acme").status_code == 204

    acme(batched)

    assert tenant_ids(sqlite_file) != deleted  # ids are never given again (sqlite_autoincrement)
    page = batched.get(JOURNAL).get_json()
    assert page["entries"] == []
    assert page["bound"]["kept"] == 0


def test_an_entry_of_a_tenant_deleted_while_it_waited_is_left_out(batched: FlaskClient) -> None:
    """A request answered as its tenant was being deleted: its entry reaches the spool after the
    delete's drain. The next drain leaves it out, and writes the others."""
    tenant = acme(batched)
    tenant.get("/Users", query_string={"kept": 1})
    spooling = batched.application.extensions[journal.WRITER]
    row = spooling.insert.parameters(
        {
            "tenant_id": 10_000,  # no such tenant
            "at": journal.utcnow(),
            "method": "GET",
            "path": "/scim/v2/Users",
            "query": "orphan=1",
            "request_headers": {},
            "request_body": None,
            "status": 200,
            "response_body": None,
            "duration_ms": 1.0,
            "fault": None,
        }
    )
    spooling.spool.append(row)

    response = batched.get(JOURNAL)

    assert response.status_code == 200, response.get_json()
    assert [e["query"] for e in response.get_json()["entries"]] == ["kept=1"]


def test_a_drain_that_dies_after_its_commit_writes_nothing_twice(
    batched: FlaskClient, sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between its commit and removing the files it drained, a drain leaves files whose
    offsets the database already has: the next drain skips what was written and writes the rest."""
    tenant = acme(batched)
    tenant.get("/Users", query_string={"n": 0})
    tenant.get("/Users", query_string={"n": 1})

    def killed(*_args: Any) -> None:
        raise KeyboardInterrupt  # where a SIGKILL would have stopped the process

    with monkeypatch.context() as patched:
        patched.setattr(spool.os, "unlink", killed)
        with pytest.raises(KeyboardInterrupt):
            batched.get(JOURNAL)
    assert stored(sqlite_file) == ["n=0", "n=1"]
    assert len(spool_files(sqlite_file)) == 1

    tenant.get("/Users", query_string={"n": 2})
    page = batched.get(JOURNAL).get_json()

    assert [e["query"] for e in reversed(page["entries"])] == ["n=0", "n=1", "n=2"]
    assert page["bound"]["kept"] == 3
    assert spool_files(sqlite_file) == []


def test_a_line_cut_short_by_a_full_disk_is_taken_back(
    batched: FlaskClient, sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spool holds whole lines only: an entry half written is removed, and the next one,
    and every read after it, is whole."""
    tenant = acme(batched)
    tenant.get("/Users", query_string={"n": 0})
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:
        return real_write(fd, data[: len(data) // 2])

    with monkeypatch.context() as patched:
        patched.setattr(spool.os, "write", disk_full)
        with pytest.raises(OSError, match="out of space"):
            spool_of(batched).append(["half"])
    tenant.get("/Users", query_string={"n": 1})

    assert [e["query"] for e in reversed(batched.get(JOURNAL).get_json()["entries"])] == ["n=0", "n=1"]


def test_a_file_goes_when_its_owner_drained_it_or_when_its_owner_is_gone(
    build_app: Callable[..., Flask], sqlite_file: Path
) -> None:
    """Two emulators on one file, as two workers: a drain by one writes the other's entries but
    leaves its file, which its owner still appends to; once the owner is gone (its lock free),
    the next drain that reads the file to its end removes it."""
    worker = build_app(EMULATOR_JOURNAL_BATCH=4).test_client()
    reader = build_app(EMULATOR_JOURNAL_BATCH=4).test_client()
    tenant = acme(worker)
    tenant.get("/Users", query_string={"n": 0})
    (file,) = spool_files(sqlite_file)

    assert [e["query"] for e in reader.get(JOURNAL).get_json()["entries"]] == ["n=0"]
    assert spool_files(sqlite_file) == [file]  # its owner is alive: it appends to it still

    tenant.get("/Users", query_string={"n": 1})
    assert [e["query"] for e in reader.get(JOURNAL).get_json()["entries"]] == ["n=1", "n=0"]
    assert spool_files(sqlite_file) == [file]

    tenant.get("/Users", query_string={"n": 2})
    owner = spool_of(worker)
    os.close(owner.fd)  # the owner dies: the kernel closes its file, and its lock goes
    owner.fd = -1

    assert [e["query"] for e in reader.get(JOURNAL).get_json()["entries"]] == ["n=2", "n=1", "n=0"]
    assert spool_files(sqlite_file) == []


def test_the_owner_removes_its_own_file_once_it_is_written_and_starts_another(
    batched: FlaskClient, sqlite_file: Path
) -> None:
    tenant = acme(batched)
    tenant.get("/Users", query_string={"n": 0})
    (first,) = spool_files(sqlite_file)
    batched.get(JOURNAL)
    assert spool_files(sqlite_file) == []

    tenant.get("/Users", query_string={"n": 1})

    (second,) = spool_files(sqlite_file)
    assert second != first
    assert [e["query"] for e in batched.get(JOURNAL).get_json()["entries"]] == ["n=1", "n=0"]


def test_any_text_comes_through_the_spool_as_it_was_sent(batched: FlaskClient) -> None:
    """One line per entry whatever the entry holds: line breaks, non-ASCII, escapes."""
    tenant = acme(batched)
    display = 'Zoë "Z" O\'Brien\nline two\u2028☃ \\u0041 \U0001f600'
    tenant.create_user("zoe", displayName=display)

    (entry,) = batched.get(JOURNAL).get_json()["entries"]

    assert entry["request"]["body"]["displayName"] == display
    assert entry["response"]["body"]["displayName"] == display

"""Several gunicorn workers act as one emulator: uniqueness, durability, schema creation."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy

from emulator.config import sqlalchemy_url

from .live import USER, Server, create_tenant, http_json

PARALLEL = 64


def scim(server: Server, tenant: dict[str, Any]) -> tuple[str, dict[str, str]]:
    base = server.url(f"/t/{tenant['vendor']}/{tenant['name']}/scim/v2")
    return base, {"Authorization": tenant["credentials"]["authorization"]}


def users_named(base: str, headers: dict[str, str], user_name: str) -> list[dict[str, Any]]:
    query = urllib.parse.quote(f'userName eq "{user_name}"')
    status, body = http_json("GET", f"{base}/Users?filter={query}", headers=headers)
    assert status == 200, body
    return body["Resources"]  # type: ignore[no-any-return]


def test_parallel_creates_of_one_user_name_give_one_201(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """64 clients create the same userName at once across 4 workers: one 201, 63 409, one user."""
    server = serve(database_url, workers=4)
    base, headers = scim(server, create_tenant(server))
    barrier = threading.Barrier(PARALLEL)

    def create(_: int) -> tuple[int, Any]:
        barrier.wait()
        return http_json("POST", f"{base}/Users", {"schemas": [USER], "userName": "race"}, headers)

    with ThreadPoolExecutor(PARALLEL) as pool:
        answers = list(pool.map(create, range(PARALLEL)))

    statuses = Counter(status for status, _ in answers)
    print(f"{PARALLEL} parallel creates of one userName, 4 workers: {dict(statuses)}")
    assert statuses == {201: 1, 409: PARALLEL - 1}, (statuses, [b for s, b in answers if s not in (201, 409)])
    for status, body in answers:
        if status == 409:
            assert body["scimType"] == "uniqueness", body
    assert len(users_named(base, headers, "race")) == 1
    status, listing = http_json("GET", f"{base}/Users", headers=headers)
    assert listing["totalResults"] == 1


def test_parallel_creates_of_distinct_users_all_succeed(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """Writers on different workers queue on the database instead of failing ("database is locked")."""
    server = serve(database_url, workers=4)
    base, headers = scim(server, create_tenant(server))

    def create(number: int) -> int:
        status, body = http_json(
            "POST", f"{base}/Users", {"schemas": [USER], "userName": f"u{number}"}, headers
        )
        assert status == 201, body
        return status

    with ThreadPoolExecutor(32) as pool:
        assert list(pool.map(create, range(120))) == [201] * 120
    status, listing = http_json("GET", f"{base}/Users?count=1", headers=headers)
    assert listing["totalResults"] == 120


def test_kill_9_loses_no_acknowledged_write(database_url: str, serve: Callable[..., Server]) -> None:
    """SIGKILL the master and every worker amid a stream of creates; every 201 survives a restart."""
    server = serve(database_url, workers=4)
    tenant = create_tenant(server)
    base, headers = scim(server, tenant)
    acknowledged: list[str] = []
    failures: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(number: int) -> None:
        sequence = 0
        while not stop.is_set():
            user_name = f"w{number}-{sequence}"
            sequence += 1
            try:
                status, _ = http_json(
                    "POST", f"{base}/Users", {"schemas": [USER], "userName": user_name}, headers, timeout=10
                )
            except (OSError, http.client.HTTPException) as error:  # the server died under this request
                with lock:
                    failures[type(error).__name__] += 1
                time.sleep(0.05)
                continue
            with lock:
                if status == 201:
                    acknowledged.append(user_name)
                else:
                    failures[str(status)] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(acknowledged) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.kill9()
        time.sleep(0.3)  # let the writers see the dead server
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(acknowledged) >= 150, (len(acknowledged), failures, server.log())
    assert not {k for k in failures if k.isdigit()}, failures  # only connection errors, no 4xx/5xx

    restarted = serve(database_url, workers=2, port=server.port)
    base, headers = scim(restarted, tenant)
    print(f"kill -9 after {len(acknowledged)} acknowledged creates; failed in flight: {dict(failures)}")
    missing = [name for name in acknowledged if len(users_named(base, headers, name)) != 1]
    assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged users lost"
    status, listing = http_json("GET", f"{base}/Users?count=1", headers=headers)
    print(f"after restart: {listing['totalResults']} users stored, 0 acknowledged lost")
    # writes in flight at the kill may have committed without their 201 reaching the client
    assert len(acknowledged) <= listing["totalResults"] <= len(acknowledged) + len(threads)


def test_workers_starting_at_once_create_the_schema_and_tenants_once(
    database_url: str, serve: Callable[..., Server], tmp_path: Any
) -> None:
    """8 workers booting together on an empty database: no error, one copy of each start-up tenant."""
    tenants_dir = tmp_path / "tenants"
    tenants_dir.mkdir()
    (tenants_dir / "acme.yaml").write_text("vendor: generic\nname: acme\ncredentials:\n  token: t-acme\n")
    (tenants_dir / "beta.yaml").write_text("vendor: generic\nname: beta\n")
    server = serve(database_url, workers=8, env={"EMULATOR_TENANTS_DIR": str(tenants_dir)})
    time.sleep(1.0)  # the workers that were not first to answer finish booting
    assert "Traceback" not in server.log(), server.log()
    assert "Worker failed to boot" not in server.log(), server.log()
    status, listing = http_json("GET", server.url("/_emulator/tenants"))
    assert status == 200, listing
    tenants = listing["tenants"] if isinstance(listing, dict) else listing
    assert sorted(t["name"] for t in tenants) == ["acme", "beta"]
    for _ in range(16):  # whichever worker answers knows the shipped token
        status, _ = http_json(
            "GET", server.url("/t/generic/acme/scim/v2/Users"), headers={"Authorization": "Bearer t-acme"}
        )
        assert status == 200


def test_reads_and_writes_mix_while_credentials_record_their_use(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """GETs and POSTs at once, with the credential's last use going stale all the time: no 5xx.

    Recording a credential's use is a write inside a read (GET) or beside the request's own
    write (POST); on SQLite either can fail with "database is locked" or wait for the lock its
    own request holds, unless it ends the request's reads first (``auth.mark_used``).
    """
    server = serve(database_url, workers=4)
    base, headers = scim(server, create_tenant(server))
    engine = sqlalchemy.create_engine(sqlalchemy_url(database_url))
    stop = threading.Event()

    def make_stale() -> None:
        while not stop.is_set():
            with engine.begin() as connection:
                connection.execute(sqlalchemy.text("UPDATE credential SET last_used_at = NULL"))
            time.sleep(0.02)

    def request(number: int) -> int:
        if number % 2:
            body = {"schemas": [USER], "userName": f"mix{number}"}
            return http_json("POST", f"{base}/Users", body, headers, timeout=20)[0]
        return http_json(
            "GET", f"{base}/Users?filter=userName%20eq%20%22mix1%22", headers=headers, timeout=20
        )[0]

    staler = threading.Thread(target=make_stale)
    staler.start()
    try:
        with ThreadPoolExecutor(16) as pool:
            statuses = Counter(pool.map(request, range(240)))
    finally:
        stop.set()
        staler.join()
        engine.dispose()
    assert statuses == {200: 120, 201: 120}, statuses


def test_fault_counters_are_exact_across_workers(database_url: str, serve: Callable[..., Server]) -> None:
    """A rule with ``after: 5, times: 10`` fires on exactly 10 of 64 parallel creates over 4 workers."""
    server = serve(database_url, workers=4)
    base, headers = scim(server, create_tenant(server))
    rule = {
        "tenant": "generic/acme",
        "method": "POST",
        "path": "/Users",
        "action": {"type": "status", "status": 503},
        "after": 5,
        "times": 10,
    }
    status, created = http_json("POST", server.url("/_emulator/faults"), rule)
    assert status == 201, created
    barrier = threading.Barrier(PARALLEL)

    def create(number: int) -> int:
        barrier.wait()
        body = {"schemas": [USER], "userName": f"f{number}"}
        return http_json("POST", f"{base}/Users", body, headers)[0]

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = Counter(pool.map(create, range(PARALLEL)))
    print(f"fault after=5 times=10 over {PARALLEL} parallel creates, 4 workers: {dict(statuses)}")
    assert statuses == {201: PARALLEL - 10, 503: 10}, statuses
    status, shown = http_json("GET", server.url(f"/_emulator/faults/{created['id']}"))
    assert status == 200, shown
    assert (shown["fired"], shown["state"]) == (10, "exhausted"), shown
    assert shown["matched"] >= 15, shown  # the 5 let through by `after`, then the 10 it fired on
    status, listing = http_json("GET", f"{base}/Users?count=1", headers=headers)
    assert listing["totalResults"] == PARALLEL - 10


def test_sqlite_checkpoints_happen_in_the_background(tmp_path: Any, serve: Callable[..., Server]) -> None:
    """Commits leave the WAL to the workers' checkpointer thread, which copies it into the
    database file by itself: the file read without its WAL soon holds what was written."""
    import sqlite3

    database = tmp_path / "emulator.db"
    server = serve(f"sqlite:///{database}", workers=2)
    tenant = create_tenant(server)
    base, headers = scim(server, tenant)
    for number in range(20):
        status, _ = http_json("POST", f"{base}/Users", {"schemas": [USER], "userName": f"c{number}"}, headers)
        assert status == 201

    def in_file_alone() -> int:
        # immutable=1 reads the database file as it is on disk: no WAL, no locks
        with contextlib.closing(sqlite3.connect(f"file:{database}?immutable=1", uri=True)) as file_only:
            try:
                return int(file_only.execute("SELECT count(*) FROM resource").fetchone()[0])
            except sqlite3.DatabaseError:
                return 0  # the schema itself is still only in the WAL

    deadline = time.monotonic() + 10
    while in_file_alone() < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    # 20 creates are far below SQLite's own 1,000-page checkpoint: only the checkpointer moved them
    assert in_file_alone() == 20, server.log()


def journal_of(server: Server, tenant: dict[str, Any]) -> dict[str, Any]:
    status, page = http_json(
        "GET", server.url(f"/_emulator/tenants/{tenant['vendor']}/{tenant['name']}/journal")
    )
    assert status == 200, page
    return page  # type: ignore[no-any-return]


def test_every_parallel_request_is_journaled_once(database_url: str, serve: Callable[..., Server]) -> None:
    """64 clients at once over 4 workers of 8 threads, reads and writes mixed: every request is
    answered and journaled exactly once."""
    server = serve(database_url, workers=4)
    tenant = create_tenant(server)
    base, headers = scim(server, tenant)
    barrier = threading.Barrier(PARALLEL)

    def request(number: int) -> int:
        barrier.wait()
        if number % 2:
            return http_json("POST", f"{base}/Users", {"schemas": [USER], "userName": f"j{number}"}, headers)[
                0
            ]
        return http_json("GET", f"{base}/Users?filter=userName%20eq%20%22j{number + 1}%22", headers=headers)[
            0
        ]

    with ThreadPoolExecutor(PARALLEL) as pool:
        statuses = Counter(pool.map(request, range(PARALLEL)))
    assert statuses == {201: PARALLEL // 2, 200: PARALLEL // 2}, statuses

    journal = journal_of(server, tenant)
    seen = Counter((e["method"], e["status"]) for e in journal["entries"])
    assert seen == {("POST", 201): PARALLEL // 2, ("GET", 200): PARALLEL // 2}, seen
    created = sorted(e["request"]["body"]["userName"] for e in journal["entries"] if e["method"] == "POST")
    assert created == sorted(f"j{n}" for n in range(1, PARALLEL, 2))


def test_sequential_requests_over_many_workers_are_listed_in_the_order_answered(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """One client, one request after another, each on a new connection to any of 4 workers: the
    journal, read at once, holds every request, listed in the order they were answered."""
    server = serve(database_url, workers=4)
    tenant = create_tenant(server)
    base, headers = scim(server, tenant)
    names = [f"seq{n}" for n in range(40)]
    for name in names:
        status, body = http_json("POST", f"{base}/Users", {"schemas": [USER], "userName": name}, headers)
        assert status == 201, body

    entries = list(reversed(journal_of(server, tenant)["entries"]))  # oldest first
    assert [e["request"]["body"]["userName"] for e in entries] == names
    assert len({e["id"] for e in entries}) == len(names)


def test_entries_still_spooled_when_every_process_is_killed_are_all_journaled(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """Fewer requests than a batch: on SQLite each entry is still in its worker's spool file when
    kill -9 stops the master and every worker. The restarted emulator's journal has them all,
    in the order they were answered."""
    server = serve(database_url, workers=2)
    tenant = create_tenant(server)
    base, headers = scim(server, tenant)
    for number in range(10):
        status, body = http_json("GET", f"{base}/Users?n={number}", headers=headers)
        assert status == 200, body
    server.kill9()

    restarted = serve(database_url, workers=2, port=server.port)

    entries = journal_of(restarted, tenant)["entries"]
    assert [e["query"] for e in reversed(entries)] == [f"n={n}" for n in range(10)]
    if database_url.startswith("sqlite:///"):  # the dead workers' files, read to their end, are gone
        database = Path(database_url.removeprefix("sqlite:///"))
        assert list(database.parent.glob(database.name + ".spool.*")) == []


def test_a_journal_read_during_steady_load_sees_every_request_answered_before_it(
    database_url: str, serve: Callable[..., Server]
) -> None:
    """Eight clients keep 4 workers busy while the control plane reads the journal again and again:
    each read counts at least every request answered before it began."""
    server = serve(database_url, workers=4)
    tenant = create_tenant(server)
    base, headers = scim(server, tenant)
    answered = 0
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        nonlocal answered
        while not stop.is_set():
            status, _ = http_json("GET", f"{base}/Users?count=1", headers=headers)
            assert status == 200
            with lock:
                answered += 1

    waits = []
    with ThreadPoolExecutor(8) as pool:
        loaders = [pool.submit(load) for _ in range(8)]
        try:
            time.sleep(0.5)
            for _ in range(15):
                with lock:
                    before = answered
                started = time.monotonic()
                bound = journal_of(server, tenant)["bound"]
                waits.append(time.monotonic() - started)
                assert bound["kept"] + bound["dropped"] >= before, (bound, before)
                time.sleep(0.1)
        finally:
            stop.set()
            for loader in loaders:
                loader.result()
    print(f"{len(waits)} journal reads under load: slowest {max(waits) * 1000:.0f} ms, {answered} requests")

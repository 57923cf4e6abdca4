"""Worker CPU per request of emulator variants, side by side: ``python -m bench.cpu``.

Throughput on this machine drifts by 10-30% between runs, so a change of a few per cent
cannot be seen in req/s. This measures what a request costs instead: each variant is a
gunicorn server (2 sync workers by default, as ``bench.run``) with its own settings, each on its
own copy of one SQLite file seeded by a separate server (a worker that seeded 10,000 users
carries a bigger heap, and made whichever variant did the seeding look slower; and variants of
different code must not share a journal spool). wrk drives each in turn,
rounds alternating the order, and the workers' user and system time from ``/proc`` is divided
by the requests they answered. The medians are printed.

    python -m bench.cpu --variant on:EMULATOR_JOURNAL=on --variant off:EMULATOR_JOURNAL=off
    python -m bench.cpu --variant a:X=1 --variant b:X=2 --workloads filter --rounds 5
    git worktree add /tmp/old HEAD~1
    python -m bench.cpu --variant new: --variant old@/tmp/old: --workloads filter,create,patch
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
from pathlib import Path

from .run import (
    ENTRA_CREATE,
    ENTRA_PATCH,
    ROOT,
    TOKEN,
    Server,
    emulator_prefix,
    fetch_ids,
    seed_emulator_tenant,
    user_name,
    write_lines,
    wrk,
)

SIZE = 10_000


def cpu_seconds(server: Server) -> tuple[float, float]:
    """User and system seconds of the server's workers so far."""
    user = system = 0
    for pid in server.workers_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]), system + int(fields[12])
    ticks = os.sysconf("SC_CLK_TCK")
    return user / ticks, system / ticks


def database(path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{path}", "EMULATOR_TENANTS_DIR": ""}


def copy_database(source: Path, target: Path) -> None:
    """A copy of a SQLite database with what its write-ahead log holds (a file copy misses it)."""
    with (
        contextlib.closing(sqlite3.connect(source)) as reader,
        contextlib.closing(sqlite3.connect(target)) as writer,
    ):
        reader.backup(writer)


def variant(text: str) -> tuple[str, str, dict[str, str]]:
    """``name:KEY=VALUE,KEY=VALUE``; ``name@/a/checkout:...`` serves another checkout's code."""
    name, _, settings = text.partition(":")
    name, _, root = name.partition("@")
    return name, root or str(ROOT), dict(pair.split("=", 1) for pair in settings.split(",") if pair)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--variant", action="append", type=variant, required=True, help="name[@checkout]:KEY=VALUE,..."
    )
    parser.add_argument("--workloads", default="filter,create", help="of filter, create, patch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="per measured run")
    parser.add_argument("--workers", type=int, default=2, help="per variant's server")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-cpu-"))
    seeded = work / "seeded.db"
    seeder = Server("seeder", "app:app", 1, {**database(seeded), "EMULATOR_JOURNAL": "off"}, work)
    servers = {
        name: Server(
            name, "app:app", args.workers, {**database(work / f"{name}.db"), **env}, work, root=Path(root)
        )
        for name, root, env in args.variant
    }
    try:
        seeder.start("/_emulator/health")
        seed_emulator_tenant(seeder.url, "s", SIZE, f"s{SIZE}-user")
        sample = random.Random(1).sample(range(1, SIZE + 1), 2000)
        names = write_lines(work / "names.txt", [user_name(SIZE, i) for i in sample])
        body = work / "create.json"
        body.write_text(json.dumps(ENTRA_CREATE))
        patch = work / "patch.json"
        patch.write_text(json.dumps(ENTRA_PATCH))
        prefix = emulator_prefix("s")
        ids = write_lines(work / "ids.txt", fetch_ids(seeder.url + prefix, TOKEN, 2000))
        seeder.stop()
        for server in servers.values():
            copy_database(seeded, Path(server.env["DATABASE_URL"].removeprefix("sqlite:///")))
            server.start("/_emulator/health")
        scripts = {
            "filter": ("get.lua", {"BENCH_PATH": prefix + "/Users?filter=userName%20eq%20%22{name}%22", "BENCH_NAMES": str(names)}),
            "create": ("create.lua", {"BENCH_PATH": prefix + "/Users", "BENCH_BODY": str(body)}),
            "patch": ("patch.lua", {"BENCH_PATH": prefix + "/Users/{id}", "BENCH_IDS": str(ids), "BENCH_BODY": str(patch)}),
        }  # fmt: skip
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for number in range(args.rounds):
            order = list(servers) if number % 2 == 0 else list(reversed(servers))
            for workload in args.workloads.split(","):
                script, env = scripts[workload]
                env = {**env, "BENCH_TOKEN": TOKEN}
                for name in order:
                    server = servers[name]
                    wrk(script, server.url, env, 1, 4)  # warm-up
                    before = cpu_seconds(server)
                    run = wrk(script, server.url, env, args.seconds, 4)
                    after = cpu_seconds(server)
                    if run.failed:  # a variant that answers errors measures nothing
                        raise RuntimeError(f"{name} answered {workload} with errors: {run.errors}")
                    answered = max(run.requests, 1)
                    user, system = ((a - b) * 1e6 / answered for a, b in zip(after, before, strict=True))
                    results.setdefault((workload, name), []).append((run.rps, user, system))
                    print(f"round {number} {workload:<7} {name:<12} {run.rps:7.1f} req/s  "
                          f"cpu {user + system:6.0f} µs/request (user {user:5.0f}, system {system:4.0f})", flush=True)  # fmt: skip
        print("\nmedians")
        for (workload, name), runs in sorted(results.items()):
            rps, user, system = (statistics.median(r[i] for r in runs) for i in range(3))
            print(f"{workload:<7} {name:<12} {rps:7.1f} req/s  cpu {user + system:6.0f} µs/request "
                  f"(user {user:5.0f}, system {system:4.0f})")  # fmt: skip
    finally:
        for server in (seeder, *servers.values()):
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

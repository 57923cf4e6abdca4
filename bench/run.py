"""Benchmark the emulator beside its floor and its peer, over real HTTP, and report ratios.

``python -m bench.run [--quick | --smoke] [--db sqlite|postgres] [--publish]``

Starts, on 127.0.0.1 only, gunicorn (sync workers, one per core) serving: the emulator
with its journal on, the same emulator with its journal off (same database), the floor
(``bench/floor_app.py``), and the peer (scim2-server, one worker). Seeds tenants of each
size through the bulk seeding paths, drives one workload at a time with wrk
(``bench/lua/*.lua``), and writes ``bench/results/latest.{json,md}`` and a latency plot.
Every server and temporary database is removed when it ends (or is interrupted).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
RESULTS = BENCH / "results"
PUBLISHED = ROOT / "docs" / "bench"
HOST = "127.0.0.1"
TOKEN = "bench-token"
PEER_TOKEN = "peer-token"
POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CORES = os.cpu_count() or 2

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# what Entra sends (docs: /work/shared/docs/CLIENTS.md); {name} is filled in by the Lua scripts
ENTRA_CREATE = {
    "schemas": [USER, ENTERPRISE],
    "externalId": "{name}",
    "userName": "{name}",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "{name}"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "Bench User", "familyName": "User", "givenName": "Bench"},
    "roles": [],
    ENTERPRISE: {"department": "Engineering"},
}
ENTRA_PATCH = {
    "schemas": [PATCH_OP],
    "Operations": [
        {"op": "Replace", "path": "displayName", "value": "Renamed User"},
        {"op": "Replace", "path": "name.familyName", "value": "Renamed"},
        {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        {"op": "Replace", "path": "active", "value": "True"},
    ],
}
FLOOR_PATCH = {"displayName": "Renamed User", "active": True}
MEMBER_ADD = {
    "schemas": [PATCH_OP],
    "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "{member}"}]}],
}
MEMBER_REMOVE = {
    "schemas": [PATCH_OP],
    "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "{member}"}]}],
}
# scim2-server refuses a remove with a value (Entra's default dialect): it gets the RFC 7644 form
PEER_MEMBER_REMOVE = {
    "schemas": [PATCH_OP],
    "Operations": [{"op": "remove", "path": 'members[value eq "{member}"]'}],
}

FILTERS = {
    "filter": 'userName eq "{name}"',
    "compound_active": 'userName eq "{name}" and active eq true',
    "compound_email": 'emails[type eq "work"].value eq "{name}"',
}


@dataclass(frozen=True)
class Mode:
    """How long and how big a run is."""

    name: str
    sizes: tuple[int, ...]
    duration: int
    warmup: int
    sync_tenants: int
    sync_seed: int
    big_group: int
    sample: int


MODES = {
    "full": Mode("full", (1_000, 100_000), 15, 3, 20, 1_000, 10_000, 2_000),
    "quick": Mode("quick", (1_000, 10_000), 5, 1, 8, 200, 1_000, 1_000),
    "smoke": Mode("smoke", (60, 300), 1, 0, 2, 20, 40, 40),
}


# -- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def status_kb(pid: int, key: str) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


@dataclass
class Server:
    """One system under test: a gunicorn master on its own port, its log in the work directory."""

    name: str
    app: str
    workers: int
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    root: Path = ROOT  # the checkout served (bench.cpu compares code versions side by side)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, probe: str) -> None:
        """Start gunicorn and wait until ``probe`` answers (any status)."""
        argv = [
            sys.executable, "-m", "gunicorn", "-c", str(self.root / "gunicorn.conf.py"),
            "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
            "--worker-class", "sync", "--threads", "1", "--timeout", "900", "--chdir", str(self.root), self.app,
        ]  # fmt: skip
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("EMULATOR_", "GUNICORN_", "DATABASE_URL"))
        }
        env.update({"GUNICORN_ACCESSLOG": "", "GUNICORN_LOGLEVEL": "warning", "PYTHONPATH": str(self.root)})
        env.update(self.env)
        log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115  (closed with the process)
        # started in the checkout: `python -m` puts the working directory first on sys.path, ahead
        # of PYTHONPATH and of --chdir (which gunicorn does not move forward when it is already
        # there), so a server started from another checkout would import that one's app
        self.process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=log, start_new_session=True, cwd=self.root
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.workdir / (self.name + '.log')}")
            try:
                urllib.request.urlopen(self.url + probe, timeout=5).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within 120 s")

    def workers_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def reset_peak(self) -> None:
        """Reset each worker's peak RSS (VmHWM), so the peak read later is the workloads' own."""
        for pid in self.workers_pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_rss_mb(self) -> list[float]:
        """Each worker's peak RSS (VmHWM) in MB."""
        return [round((status_kb(pid, "VmHWM") or 0) / 1024, 1) for pid in self.workers_pids()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# -- HTTP ---------------------------------------------------------------------------------------


def call(method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 900) -> Any:
    """One JSON request; the parsed answer (None when empty); raises on a status >= 400."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/scim+json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {url} -> {error.code}: {error.read()[:300]!r}") from None
    return json.loads(raw) if raw else None


# -- the systems' addresses ---------------------------------------------------------------------


def user_name(size: int, i: int) -> str:
    """The i-th seeded user of a tenant of ``size`` users (the emulator's seeding names, prefixed)."""
    return f"s{size}-user{i:06d}@example.com"


def emulator_prefix(tenant: str) -> str:
    return f"/t/generic/{tenant}/scim/v2"


def peer_prefix(tenant: str) -> str:
    return f"/{tenant}/v2"


def fetch_ids(base: str, token: str, wanted: int) -> list[str]:
    """The ids of the first ``wanted`` users, in pages of 1000."""
    ids: list[str] = []
    start = 1
    while len(ids) < wanted:
        page = call("GET", f"{base}/Users?startIndex={start}&count=1000&attributes=id", token=token)
        found = [r["id"] for r in page.get("Resources", [])]
        if not found:
            break
        ids += found
        start += len(found)
    return ids[:wanted]


@dataclass
class Prepared:
    """What the workloads of one tenant size read: files of names and ids per system."""

    size: int
    names: Path
    user_ids: dict[str, Path] = field(default_factory=dict)
    small_group: dict[str, Path] = field(default_factory=dict)
    big_group: dict[str, Path] = field(default_factory=dict)
    members: dict[str, Path] = field(default_factory=dict)
    big_group_size: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def seed_emulator_tenant(
    url: str, tenant: str, users: int, prefix: str, options: dict[str, Any] | None = None
) -> float:
    """Create a generic tenant on the emulator at ``url`` and seed it through the control plane's
    bulk path; the seconds the seeding took."""
    call(
        "POST",
        f"{url}/_emulator/tenants",
        {"vendor": "generic", "name": tenant, "credentials": {"token": TOKEN}, "options": options or {}},
    )
    started = time.monotonic()
    if users:
        call("POST", f"{url}/_emulator/tenants/generic/{tenant}/seed", {"users": users, "prefix": prefix})
    return time.monotonic() - started


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def prepare_scim(
    system: str, base: str, token: str, size: int, mode: Mode, work: Path, prepared: Prepared
) -> None:
    """Ids for PATCH, and a 10-member and a big group for the member workloads, over SCIM."""
    big = min(mode.big_group, size // 2)
    ids = fetch_ids(base, token, min(size, 10 + big + mode.sample))
    random.Random(size).shuffle(ids)
    small_members, big_members, pool = ids[:10], ids[10 : 10 + big], ids[10 + big :] or ids[:10]
    groups = []
    for label, members in (("small", small_members), ("big", big_members)):
        body = {
            "schemas": [GROUP],
            "displayName": f"bench-{label}-{size}",
            "members": [{"value": m} for m in members],
        }
        groups.append(call("POST", f"{base}/Groups", body, token=token)["id"])
    prepared.user_ids[system] = write_lines(work / f"ids-{system}-{size}.txt", ids[: mode.sample])
    prepared.small_group[system] = write_lines(work / f"group-small-{system}-{size}.txt", [groups[0]])
    prepared.big_group[system] = write_lines(work / f"group-big-{system}-{size}.txt", [groups[1]])
    prepared.members[system] = write_lines(work / f"members-{system}-{size}.txt", pool)
    prepared.big_group_size = big


# -- wrk ----------------------------------------------------------------------------------------


@dataclass
class Run:
    """One wrk run's numbers."""

    requests: int
    seconds: float
    errors: dict[str, int]
    latency_us: dict[str, float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "rps": round(self.rps, 1),
            "errors": self.errors,
            "latency_ms": {k: round(v / 1000, 3) for k, v in self.latency_us.items()},
        }


def wrk(script: str, url: str, env: dict[str, str], seconds: int, connections: int, threads: int = 1) -> Run:
    """Run wrk with a Lua script and parse the JSON line its done() prints."""
    argv = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s",
        "-s", str(LUA / script), url,
    ]  # fmt: skip
    # every invocation (a warm-up, a repeat) creates names of its own: no 409 from a name taken earlier
    env = {**env, "BENCH_NONCE": f"{env.get('BENCH_NONCE', 'n')}r{random.randrange(1 << 40):x}"}
    result = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk {script} printed no result: {result.stdout[-500:]} {result.stderr[-500:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return Run(data["requests"], data["duration_us"] / 1e6, data["errors"], data["latency_us"])


def combined(runs: list[Run]) -> Run:
    """Interleaved repeats of one system (A/B/.../B/A): throughput and percentiles averaged."""
    if len(runs) == 1:
        return runs[0]
    errors = {k: sum(r.errors[k] for r in runs) for k in runs[0].errors}
    latency = {k: sum(r.latency_us[k] for r in runs) / len(runs) for k in runs[0].latency_us}
    rps = sum(r.rps for r in runs) / len(runs)
    seconds = sum(r.seconds for r in runs)
    return Run(round(rps * seconds), seconds, errors, latency)


# -- workloads ----------------------------------------------------------------------------------

EMULATOR, NOJOURNAL, FLOOR, PEER = "emulator", "emulator-nojournal", "floor", "scim2-server"
# the emulator's second tenant per size, with `patch_response: no_content` (its files' key, not a server)
NO_CONTENT = "emulator-no-content"
# scim2-server walks every user for these (its equality index serves a lone `attr eq "x"` only)
PEER_SCANS = frozenset({"compound_active", "compound_email"})
SYSTEM_TITLES = {
    EMULATOR: "emulator",
    NOJOURNAL: "emulator, journal off",
    FLOOR: "floor (Flask+SQLAlchemy)",
    PEER: "scim2-server (peer)",
}


@dataclass(frozen=True)
class Workload:
    """A workload: a wrk script and, per system, its environment (None: not applicable)."""

    key: str
    title: str
    script: str
    env: Callable[[str, int], dict[str, str] | None]


def filter_path(prefix: str, kind: str) -> str:
    from urllib.parse import quote

    text = FILTERS[kind]
    return f"{prefix}/Users?filter=" + quote(text, safe="{}")


class Plan:
    """Builds every workload's per-system environment from the prepared files."""

    def __init__(self, work: Path, prepared: dict[int, Prepared], nonce: str) -> None:
        self.work = work
        self.prepared = prepared
        self.nonce = nonce
        self.bodies = {
            "create": self.body("create", ENTRA_CREATE),
            "patch": self.body("patch", ENTRA_PATCH),
            "floor_patch": self.body("floor-patch", FLOOR_PATCH),
            "add": self.body("member-add", MEMBER_ADD),
            "remove": self.body("member-remove", MEMBER_REMOVE),
            "peer_remove": self.body("peer-member-remove", PEER_MEMBER_REMOVE),
        }

    def body(self, name: str, payload: Any) -> str:
        path = self.work / f"{name}.json"
        path.write_text(json.dumps(payload))
        return str(path)

    def prefix(self, system: str, size: int) -> str | None:
        if system in (EMULATOR, NOJOURNAL):
            return emulator_prefix(f"s{size}")
        if system == PEER:
            return peer_prefix(f"s{size}")
        return None

    def token(self, system: str) -> str:
        return PEER_TOKEN if system == PEER else TOKEN

    def scim_key(self, system: str) -> str:
        return EMULATOR if system == NOJOURNAL else system

    def filter_env(self, kind: str) -> Callable[[str, int], dict[str, str] | None]:
        def env(system: str, size: int) -> dict[str, str] | None:
            names = str(self.prepared[size].names)
            if system == FLOOR:
                return (
                    {"BENCH_PATH": "/users?username={name}", "BENCH_NAMES": names}
                    if kind == "filter"
                    else None
                )
            prefix = self.prefix(system, size)
            return {
                "BENCH_PATH": filter_path(prefix or "", kind),
                "BENCH_NAMES": names,
                "BENCH_TOKEN": self.token(system),
            }

        return env

    def create_env(self, system: str, size: int) -> dict[str, str] | None:
        path = "/users" if system == FLOOR else f"{self.prefix(system, size)}/Users"
        return {
            "BENCH_PATH": path,
            "BENCH_BODY": self.bodies["create"],
            "BENCH_TOKEN": self.token(system),
            "BENCH_NONCE": f"{self.nonce}{system[:3]}{size}x{random.randrange(1 << 30)}",
        }

    def patch_env(self, system: str, size: int) -> dict[str, str] | None:
        prepared = self.prepared[size]
        if system == FLOOR:
            return {
                "BENCH_PATH": "/users/{id}",
                "BENCH_IDS": str(prepared.user_ids[FLOOR]),
                "BENCH_BODY": self.bodies["floor_patch"],
            }
        return {
            "BENCH_PATH": f"{self.prefix(system, size)}/Users/{{id}}",
            "BENCH_IDS": str(prepared.user_ids[self.scim_key(system)]),
            "BENCH_BODY": self.bodies["patch"],
            "BENCH_TOKEN": self.token(system),
        }

    def member_env(self, which: str) -> Callable[[str, int], dict[str, str] | None]:
        def env(system: str, size: int) -> dict[str, str] | None:
            if system == FLOOR:
                return None
            prepared = self.prepared[size]
            groups = prepared.small_group if which == "small" else prepared.big_group
            query = "?excludedAttributes=members" if which == "big_excluded" else ""
            prefix, key = self.prefix(system, size), self.scim_key(system)
            if which == "big_no_content":
                if system == PEER:
                    return None  # scim2-server has no such switch
                prefix, key = emulator_prefix(f"s{size}q"), NO_CONTENT
            return {
                "BENCH_PATH": f"{prefix}/Groups/{{id}}{query}",
                "BENCH_IDS": str(groups[key]),
                "BENCH_MEMBERS": str(prepared.members[key]),
                "BENCH_BODY": self.bodies["add"],
                "BENCH_BODY_2": self.bodies["peer_remove" if system == PEER else "remove"],
                "BENCH_TOKEN": self.token(system),
            }

        return env

    def workloads(self, big: int) -> list[Workload]:
        return [
            Workload(
                "filter", '1. GET /Users?filter=userName eq "x" (match)', "get.lua", self.filter_env("filter")
            ),
            Workload("create", "2. POST /Users (Entra body)", "create.lua", self.create_env),
            Workload("patch", "3. PATCH /Users/{id} (Entra Replace ops)", "patch.lua", self.patch_env),
            Workload(
                "member_small",
                "4a. group member Add/Remove, 10-member group",
                "patch.lua",
                self.member_env("small"),
            ),
            Workload(
                "member_big",
                f"4b. group member Add/Remove, {big:,}-member group",
                "patch.lua",
                self.member_env("big"),
            ),
            Workload(
                "member_big_excluded",
                "4c. as 4b, with ?excludedAttributes=members (response without the members)",
                "patch.lua",
                self.member_env("big_excluded"),
            ),
            Workload(
                "member_big_no_content",
                "4d. as 4b, on a tenant with `patch_response: no_content` (204, RFC 7644 3.5.2)",
                "patch.lua",
                self.member_env("big_no_content"),
            ),
            Workload(
                "compound_active",
                '5a. userName eq "x" and active eq true',
                "get.lua",
                self.filter_env("compound_active"),
            ),
            Workload(
                "compound_email",
                '5b. emails[type eq "work"].value eq "x"',
                "get.lua",
                self.filter_env("compound_email"),
            ),
        ]


WORKLOAD_KEYS = (
    "filter", "create", "patch", "member_small", "member_big", "member_big_excluded",
    "member_big_no_content", "compound_active", "compound_email", "sync",
)  # fmt: skip


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Bench:
    """One benchmark run: its servers, work directory and results."""

    mode: Mode
    db: str
    connections: int
    sync_connections: int
    skip_peer: bool
    work: Path
    only: frozenset[str] | None = None  # workload keys to run (None: all)
    log: Callable[[str], None] = print
    servers: dict[str, Server] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    setup: dict[str, Any] = field(default_factory=dict)

    # -- databases -----------------------------------------------------------------------------

    def database_url(self, name: str) -> str:
        if self.db == "sqlite":
            return f"sqlite:///{self.work / (name + '.db')}"
        import psycopg

        database = f"bench_{name}_{os.getpid()}_{random.randrange(1 << 20)}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        self.databases.append(database)
        return POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + database

    def drop_databases(self) -> None:
        if not self.databases:
            return
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            for database in self.databases:
                with contextlib.suppress(psycopg.Error):
                    connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    # -- servers -------------------------------------------------------------------------------

    def start(self) -> None:
        emulator_db, floor_db = self.database_url("emulator"), self.database_url("floor")
        common = {"DATABASE_URL": emulator_db, "EMULATOR_TENANTS_DIR": ""}
        specs = [
            Server("seeder", "app:app", 1, {**common, "EMULATOR_JOURNAL": "on"}, self.work),
            Server(EMULATOR, "app:app", CORES, {**common, "EMULATOR_JOURNAL": "on"}, self.work),
            Server(NOJOURNAL, "app:app", CORES, {**common, "EMULATOR_JOURNAL": "off"}, self.work),
            Server(FLOOR, "bench.floor_app:app", CORES, {"BENCH_FLOOR_DATABASE_URL": floor_db}, self.work),
        ]
        if not self.skip_peer:
            specs.append(Server(PEER, "bench.peer_app:app", 1, {}, self.work))
        probes = {FLOOR: "/users?username=probe", PEER: "/probe/v2/ServiceProviderConfig"}
        # the floor's table is created once here: its two workers would race to create it
        subprocess.run(
            [sys.executable, "-c", "import bench.floor_app"],
            env={**os.environ, "BENCH_FLOOR_DATABASE_URL": floor_db, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            check=True,
        )
        for server in specs:
            self.servers[server.name] = server
            server.start(probes.get(server.name, "/_emulator/health"))
            self.log(f"  started {server.name} on :{server.port} ({server.workers} worker(s))")

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.drop_databases()

    def systems(self) -> list[str]:
        return [EMULATOR, NOJOURNAL, FLOOR] + ([] if self.skip_peer else [PEER])

    # -- seeding -------------------------------------------------------------------------------

    def emulator_tenant(
        self, tenant: str, users: int, prefix: str, options: dict[str, Any] | None = None
    ) -> float:
        """Create a generic tenant and seed it through the control plane's bulk path; seconds taken."""
        return seed_emulator_tenant(self.servers["seeder"].url, tenant, users, prefix, options)

    def peer_tenant(self, tenant: str, users: int, prefix: str) -> float:
        started = time.monotonic()
        call(
            "POST",
            f"{self.servers[PEER].url}/_bench/seed",
            {"tenant": tenant, "users": users, "prefix": prefix},
        )
        return time.monotonic() - started

    def prepare(self, size: int) -> Prepared:
        """Seed a tenant of ``size`` users in every system; write the files the workloads read."""
        prefix = f"s{size}-user"
        names = [user_name(size, i) for i in random.Random(size).sample(range(1, size + 1), min(size, 5000))]
        prepared = Prepared(size, write_lines(self.work / f"names-{size}.txt", names))
        prepared.seconds[EMULATOR] = self.emulator_tenant(f"s{size}", size, prefix)
        seeder = self.servers["seeder"].url
        prepare_scim(
            EMULATOR, seeder + emulator_prefix(f"s{size}"), TOKEN, size, self.mode, self.work, prepared
        )
        # workload 4d: the same groups in a tenant whose PATCH answers 204 (just the users they need)
        big = min(self.mode.big_group, size // 2)
        quiet = f"s{size}q"
        self.emulator_tenant(
            quiet, min(size, 10 + big + self.mode.sample), f"{quiet}-user", {"patch_response": "no_content"}
        )
        prepare_scim(NO_CONTENT, seeder + emulator_prefix(quiet), TOKEN, size, self.mode, self.work, prepared)
        started = time.monotonic()
        floor = self.servers[FLOOR].url
        call("POST", f"{floor}/_bench/seed", {"users": size, "prefix": prefix})
        prepared.seconds[FLOOR] = time.monotonic() - started
        offset = sum(s for s in self.mode.sizes if s < size)  # the floor's table holds every size
        floor_ids = call("GET", f"{floor}/_bench/ids?start={offset}&count={min(size, self.mode.sample)}")[
            "ids"
        ]
        prepared.user_ids[FLOOR] = write_lines(self.work / f"ids-floor-{size}.txt", floor_ids)
        if not self.skip_peer:
            prepared.seconds[PEER] = self.peer_tenant(f"s{size}", size, prefix)
            peer = self.servers[PEER].url + peer_prefix(f"s{size}")
            prepare_scim(PEER, peer, PEER_TOKEN, size, self.mode, self.work, prepared)
        self.log(
            f"  seeded {size:,} users: " + ", ".join(f"{k} {v:.1f} s" for k, v in prepared.seconds.items())
        )
        return prepared

    def prepare_sync(self) -> dict[str, Path]:
        """Tenants for the initial-sync workload (a few seeded users and one empty group each)."""
        files: dict[str, Path] = {}
        seeder = self.servers["seeder"].url
        lines: dict[str, list[str]] = {EMULATOR: [], PEER: []}
        group = {"schemas": [GROUP], "displayName": "all-synced-users"}
        for t in range(self.mode.sync_tenants):
            tenant = f"sync{t}"
            self.emulator_tenant(tenant, self.mode.sync_seed, f"{tenant}-user")
            gid = call("POST", f"{seeder}{emulator_prefix(tenant)}/Groups", group, token=TOKEN)["id"]
            lines[EMULATOR].append(f"{emulator_prefix(tenant)}\t{TOKEN}\t{gid}")
            if not self.skip_peer:
                self.peer_tenant(tenant, self.mode.sync_seed, f"{tenant}-user")
                peer = self.servers[PEER].url + peer_prefix(tenant)
                gid = call("POST", f"{peer}/Groups", group, token=PEER_TOKEN)["id"]
                lines[PEER].append(f"{peer_prefix(tenant)}\t{PEER_TOKEN}\t{gid}")
        for system, found in lines.items():
            if found:
                files[system] = write_lines(self.work / f"sync-{system}.txt", found)
        return files

    # -- measuring -----------------------------------------------------------------------------

    def settle(self, system: str) -> None:
        """Wait until a server has worked off requests wrk gave up on (a slow scan keeps a sync worker)."""
        probe = {FLOOR: "/users?username=settle", PEER: "/settle/v2/ServiceProviderConfig"}
        with contextlib.suppress(OSError):
            urllib.request.urlopen(
                self.servers[system].url + probe.get(system, "/_emulator/health"), timeout=600
            )

    def measure(self, system: str, script: str, env: dict[str, str], connections: int) -> Run:
        url = self.servers[system].url
        self.settle(system)
        if self.mode.warmup:
            wrk(script, url, env, self.mode.warmup, connections)
        return wrk(script, url, env, self.mode.duration, connections)

    def record(self, size: int | None, workload: str, title: str, system: str, runs: list[Run]) -> None:
        run = combined(runs)
        entry = {
            "size": size,
            "workload": workload,
            "title": title,
            "system": system,
            **run.as_json(),
            "runs": [r.as_json() for r in runs],
        }
        self.results.append(entry)
        bad = f"  ({run.failed} errors)" if run.failed else ""
        self.log(
            f"    {system:<20} {run.rps:8.1f} req/s  p50 {run.latency_us['p50'] / 1000:7.2f} ms"
            f"  p99 {run.latency_us['p99'] / 1000:8.2f} ms{bad}"
        )

    def interleaved(self, order: list[str], measure: Callable[[str], Run | None]) -> dict[str, list[Run]]:
        """Run systems in ``order`` (the emulator first and last, the emulator without its journal
        second and second to last: A/B/.../B/A, so a drift of the machine cancels out of both
        the ratios to the others and the journal's share)."""
        runs: dict[str, list[Run]] = {}
        for system in order:
            run = measure(system)
            if run is not None:
                runs.setdefault(system, []).append(run)
        return runs

    def run_size(self, plan: Plan, size: int) -> list[tuple[int, Workload]]:
        """Every workload at one size; returns the peer's scans, measured at the very end."""
        prepared = plan.prepared[size]
        deferred = []
        for workload in plan.workloads(prepared.big_group_size):
            if not self.runs(workload.key):
                continue
            self.log(f"  [{size:,} users] {workload.title}")
            order = [EMULATOR, NOJOURNAL, FLOOR, PEER, NOJOURNAL, EMULATOR]
            if workload.key in PEER_SCANS and PEER in self.servers:
                order.remove(PEER)
                deferred.append((size, workload))
            order = [s for s in order if s in self.servers]

            def measure(system: str, workload: Workload = workload) -> Run | None:
                env = workload.env(system, size)
                return None if env is None else self.measure(system, workload.script, env, self.connections)

            for system, runs in self.interleaved(order, measure).items():
                self.record(size, workload.key, workload.title, system, runs)
        return deferred

    def run_peer_scans(self, deferred: list[tuple[int, Workload]]) -> None:
        """The peer's filter scans, last: at 100,000 users one takes minutes and a sync worker
        works off every request wrk gave up on, which would hold up whatever ran next."""
        for size, workload in deferred:
            self.log(f"  [{size:,} users] {workload.title} — scim2-server (scans every user)")
            env = workload.env(PEER, size)
            if env is not None:
                self.settle(PEER)
                run = wrk(workload.script, self.servers[PEER].url, env, self.mode.duration, 1)
                self.record(size, workload.key, workload.title, PEER, [run])

    def run_sync(self, files: dict[str, Path], plan: Plan) -> None:
        title = f"6. initial sync, {self.mode.sync_tenants} tenants at once (match + create + member add)"
        self.log(f"  {title}")
        order = [s for s in (EMULATOR, NOJOURNAL, PEER, NOJOURNAL, EMULATOR) if s in self.servers]

        def measure(system: str) -> Run:
            env = {
                "BENCH_TENANTS": str(files[plan.scim_key(system)]),
                "BENCH_BODY": plan.bodies["create"],
                "BENCH_ADD_BODY": plan.bodies["add"],
                "BENCH_NONCE": f"{plan.nonce}{system[:3]}{random.randrange(1 << 30)}",
            }
            return self.measure(system, "sync.lua", env, self.sync_connections)

        for system, runs in self.interleaved(order, measure).items():
            self.record(None, "sync", title, system, runs)

    def runs(self, workload: str) -> bool:
        return self.only is None or workload in self.only

    def execute(self) -> dict[str, Any]:
        started = time.time()
        self.log(
            f"bench: {self.mode.name} mode, {self.db}, sizes {', '.join(f'{s:,}' for s in self.mode.sizes)}"
        )
        self.start()
        prepared = {size: self.prepare(size) for size in self.mode.sizes}
        sync_files = self.prepare_sync() if self.runs("sync") else {}
        self.servers["seeder"].stop()  # seeding's memory must not count as a serving worker's
        for server in self.servers.values():
            server.reset_peak()
        plan = Plan(self.work, prepared, f"{int(started)}")
        deferred = [scan for size in self.mode.sizes for scan in self.run_size(plan, size)]
        if self.runs("sync"):
            self.run_sync(sync_files, plan)
        self.run_peer_scans(deferred)
        rss = {name: s.peak_rss_mb() for name, s in self.servers.items() if name != "seeder"}
        self.setup = {
            "seed_seconds": {
                str(k): {s: round(v, 2) for s, v in p.seconds.items()} for k, p in prepared.items()
            },
            "big_group": {str(k): p.big_group_size for k, p in prepared.items()},
        }
        return report_data(self, rss, time.time() - started)


# -- reporting ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": CORES,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("flask", "flask-sqlalchemy", "sqlalchemy", "gunicorn", "scim2-server", "scim2-models"):
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    found["wrk"] = (wrk_version.stdout or wrk_version.stderr).split("[", 1)[0].strip().removeprefix("wrk ")
    return found


def find(
    results: list[dict[str, Any]], size: int | None, workload: str, system: str
) -> dict[str, Any] | None:
    return next(
        (r for r in results if r["size"] == size and r["workload"] == workload and r["system"] == system),
        None,
    )


def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    if a is None or b is None or not b["rps"]:
        return None
    return round(a["rps"] / b["rps"], 2)


def goals(
    results: list[dict[str, Any]], sizes: tuple[int, ...], rss: dict[str, list[float]]
) -> list[dict[str, Any]]:
    """Each goal of the issue, with the measured value and whether it is met."""
    small, large = sizes[0], sizes[-1]
    out: list[dict[str, Any]] = []

    def goal(name: str, value: float | None, target: str, met: bool | None) -> None:
        out.append({"goal": name, "value": value, "target": target, "met": met})

    def at_least(name: str, value: float | None, bound: float) -> None:
        goal(name, value, f">= {bound}", None if value is None else value >= bound)

    def at_most(name: str, value: float | None, bound: float) -> None:
        goal(name, value, f"<= {bound}", None if value is None else value <= bound)

    def get(size: int | None, workload: str, system: str = EMULATOR) -> dict[str, Any] | None:
        return find(results, size, workload, system)

    emu = get(large, "filter")
    at_least(f"filter match at {large:,}: x floor SELECT", ratio(emu, get(large, "filter", FLOOR)), 0.6)
    at_least(f"filter match at {large:,}: x scim2-server", ratio(emu, get(large, "filter", PEER)), 2.0)
    small_run = get(small, "filter")
    p50 = round(emu["latency_ms"]["p50"] / small_run["latency_ms"]["p50"], 2) if emu and small_run else None
    at_most(f"filter match p50 at {large:,} / at {small:,}", p50, 1.25)
    create = get(large, "create")
    at_least(f"create at {large:,}: x floor INSERT", ratio(create, get(large, "create", FLOOR)), 0.6)
    at_least(f"create at {large:,}: x scim2-server", ratio(create, get(large, "create", PEER)), 1.5)
    for kind in ("compound_active", "compound_email"):
        at_least(f"{kind} at {large:,}: x workload 1", ratio(get(large, kind), emu), 0.5)
    cost = ratio(get(large, "member_small"), get(large, "member_big"))
    at_most(f"member add at {large:,}: cost big group / 10-member group", cost, 2.0)
    cost = ratio(get(large, "member_small"), get(large, "member_big_excluded"))
    at_most(
        f"(diagnostic) member add at {large:,}, response without members: cost big / 10-member", cost, 2.0
    )
    cost = ratio(get(large, "member_small"), get(large, "member_big_no_content"))
    at_most(f"(diagnostic) member add at {large:,}, tenant answering 204: cost big / 10-member", cost, 2.0)
    for size, workload in [(large, w) for w in ("filter", "create", "patch", "member_small")] + [
        (None, "sync")
    ]:
        on, off = get(size, workload), get(size, workload, NOJOURNAL)
        share = round(1 - on["rps"] / off["rps"], 3) if on and off and off["rps"] else None
        at_most(
            f"journal cost, {workload}{f' at {size:,}' if size else ''} (share of throughput)", share, 0.15
        )
    peak = max(rss.get(EMULATOR, []) + rss.get(NOJOURNAL, []) or [0.0])
    at_most(f"peak RSS per emulator worker, MB (tenants up to {large:,})", peak, 150)
    return out


def report_data(bench: Bench, rss: dict[str, list[float]], seconds: float) -> dict[str, Any]:
    results = bench.results
    for entry in results:
        entry["x_floor"] = ratio(entry, find(results, entry["size"], entry["workload"], FLOOR))
        entry["x_peer"] = ratio(entry, find(results, entry["size"], entry["workload"], PEER))
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "mode": bench.mode.__dict__,
        "database": bench.db,
        "connections": bench.connections,
        "sync_connections": bench.sync_connections,
        "workers": {EMULATOR: CORES, NOJOURNAL: CORES, FLOOR: CORES, PEER: 1},
        "seconds": round(seconds, 1),
        "setup": bench.setup,
        "peak_rss_mb": rss,
        "results": results,
        "goals": goals(results, bench.mode.sizes, rss),
    }


def ordered(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by tenant size, then workload (as first measured), then system."""
    workloads = list(dict.fromkeys(r["workload"] for r in results))
    systems = [EMULATOR, FLOOR, PEER, NOJOURNAL]
    return sorted(
        results,
        key=lambda r: (
            r["size"] if r["size"] is not None else math.inf,
            workloads.index(r["workload"]),
            systems.index(r["system"]),
        ),
    )


def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def markdown(data: dict[str, Any]) -> str:
    """The report: the machine, the table, the goals, peak RSS."""
    m = data["machine"]
    mode = data["mode"]
    lines = [
        f"# Benchmark: {mode['name']} mode, {data['date'][:10]}",
        "",
        f"- Date: {data['date']} — machine `{m['host']}`: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}, "
        f"Python {m['python']}; load average at the end {m['load_average']} (shared machine: compare ratios, "
        "not absolute numbers).",
        f"- Database: {data['database']}. gunicorn sync workers: emulator and floor {CORES} (= cores), "
        "scim2-server 1 (its storage is per process). Load: wrk, 1 thread, "
        f"{data['connections']} connections ({data['sync_connections']} for the sync), "
        f"{mode['warmup']} s warm-up + {mode['duration']} s per run; the emulator ran first and last of "
        "each workload, the emulator with its journal off second and second to last (A/B/…/B/A), and "
        "each one's two runs are averaged.",
        "- `x floor` / `x peer`: that row's req/s divided by the floor's / scim2-server's on the same workload "
        "and size. Latencies are wrk's, per request, in ms.",
        "",
        "| tenant size | workload | system | req/s | p50 ms | p99 ms | x floor | x peer | errors |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ordered(data["results"]):
        size = f"{r['size']:,}" if r["size"] else f"{mode['sync_tenants']} tenants"
        errors = sum(r["errors"].values())
        lines.append(
            f"| {size} | {r['title']} | {SYSTEM_TITLES[r['system']]} | {fmt(r['rps'], 0)} | "
            f"{fmt(r['latency_ms']['p50'] if r['requests'] else None)} | "
            f"{fmt(r['latency_ms']['p99'] if r['requests'] else None)} | {fmt(r['x_floor'])} | "
            f"{fmt(r['x_peer'])} | {errors or ''} |"
        )
    lines += ["", "## Goals", "", "| goal | measured | target | met |", "|---|---:|---|---|"]
    for g in data["goals"]:
        met = "n/a" if g["met"] is None else ("yes" if g["met"] else "**NO**")
        lines.append(f"| {g['goal']} | {fmt(g['value'], 3)} | {g['target']} | {met} |")
    lines += ["", "## Peak RSS per worker (VmHWM, MB, while serving the workloads)", ""]
    for name, values in data["peak_rss_mb"].items():
        lines.append(f"- {SYSTEM_TITLES.get(name, name)}: {', '.join(fmt(v, 1) for v in values)}")
    seeds = data["setup"].get("seed_seconds", {})
    if seeds:
        lines += ["", "## Seeding (seconds)", ""]
        for size, by_system in seeds.items():
            lines.append(
                f"- {int(size):,} users: "
                + ", ".join(f"{SYSTEM_TITLES.get(k, k)} {v}" for k, v in by_system.items())
            )
    lines += ["", f"Run took {data['seconds']} s.", ""]
    return "\n".join(lines)


def plot(data: dict[str, Any], path: Path) -> None:
    """p50 and p99 against tenant size, per workload, emulator solid and peer dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = data["mode"]["sizes"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    workloads = [w for w in dict.fromkeys(r["workload"] for r in data["results"]) if w != "sync"]
    for axis, percentile in zip(axes, ("p50", "p99"), strict=True):
        for index, workload in enumerate(workloads):
            color = f"C{index}"
            for system, style in ((EMULATOR, "-o"), (PEER, "--x"), (FLOOR, ":s")):
                points = [find(data["results"], size, workload, system) for size in sizes]
                if any(p is None for p in points):
                    continue
                label = f"{workload} ({SYSTEM_TITLES[system].split(' ')[0]})"
                # a run that completed no request (the peer's scans at 100,000 users) has no latency
                values = [p["latency_ms"][percentile] if p["requests"] else math.nan for p in points]
                axis.plot(sizes, values, style, color=color, label=label)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(sizes, [f"{s:,}" for s in sizes])
        axis.set_xlabel("users in the tenant")
        axis.set_title(f"{percentile} latency (ms)")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms (log)")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle(
        f"Latency against tenant size — {data['date'][:10]}, {data['machine']['cores']} cores, {data['database']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


README_START = "<!-- latest results: written by python -m bench.run --publish -->"
README_END = "<!-- end of latest results -->"


def write(data: dict[str, Any], out: Path, publish: bool) -> list[Path]:
    """The report's three files in ``out``; with ``publish`` also in docs/bench/ and bench/README.md."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "latest.json", out / "latest.md", out / "latency_vs_size.png"]
    written[0].write_text(json.dumps(data, indent=2) + "\n")
    written[1].write_text(markdown(data))
    plot(data, written[2])
    if publish:
        PUBLISHED.mkdir(parents=True, exist_ok=True)
        for path in list(written):
            shutil.copy(path, PUBLISHED / path.name)
            written.append(PUBLISHED / path.name)
        readme = BENCH / "README.md"
        text = readme.read_text()
        if README_START in text and README_END in text:
            head, rest = text.split(README_START, 1)
            body = markdown(data).replace("\n## ", "\n#### ").replace("# Benchmark:", "### Benchmark:", 1)
            plot_link = "![p50 and p99 against tenant size](../docs/bench/latency_vs_size.png)"
            readme.write_text(
                f"{head}{README_START}\n\n{body}\n{plot_link}\n\n{README_END}{rest.split(README_END, 1)[1]}"
            )
            written.append(readme)
    return written


# -- entry --------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--quick", action="store_true", help="small tenants (1,000 and 10,000), 5 s runs: minutes"
    )
    group.add_argument(
        "--smoke", action="store_true", help="tiny tenants, 1 s runs: checks the harness works"
    )
    parser.add_argument(
        "--db", choices=("sqlite", "postgres"), default="sqlite", help="database for emulator and floor"
    )
    parser.add_argument("--sizes", help="tenant sizes, comma-separated (overrides the mode's)")
    parser.add_argument("--duration", type=int, help="seconds per measured run (overrides the mode's)")
    parser.add_argument(
        "--connections", type=int, default=4, help="wrk connections, workloads 1-5 (default 4)"
    )
    parser.add_argument(
        "--sync-connections", type=int, default=16, help="wrk connections for the sync (default 16)"
    )
    parser.add_argument("--skip-peer", action="store_true", help="leave scim2-server out")
    parser.add_argument(
        "--workloads",
        help=f"run only these, comma-separated (of {', '.join(WORKLOAD_KEYS)}); the goals of the rest read n/a",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.{json,md} and the plot go")
    parser.add_argument(
        "--publish", action="store_true", help="also copy the report to docs/bench/ and bench/README.md"
    )
    parser.add_argument(
        "--from-json", type=Path, help="measure nothing: write the report again from a latest.json"
    )
    return parser.parse_args(argv)


def chosen_mode(args: argparse.Namespace) -> Mode:
    mode = MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
    changes: dict[str, Any] = {}
    if args.sizes:
        changes["sizes"] = tuple(sorted(int(s) for s in args.sizes.split(",")))
    if args.duration:
        changes["duration"] = args.duration
    return Mode(**{**mode.__dict__, **changes})


def peer_available() -> bool:
    try:
        import scim2_server  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def stopped_on_signal(bench: Bench) -> Iterator[None]:
    """Stop every server on SIGTERM/SIGINT as on a normal end."""

    def handler(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        bench.stop()
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the report's data."""
    args = parse(argv)
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        data["goals"] = goals(data["results"], tuple(data["mode"]["sizes"]), data["peak_rss_mb"])
        for path in write(data, args.out, args.publish):
            print(f"wrote {path}")
        return data
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    skip_peer = args.skip_peer or not peer_available()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    only = None
    if args.workloads:
        only = frozenset(w.strip() for w in args.workloads.split(",") if w.strip())
        unknown = only - set(WORKLOAD_KEYS)
        if unknown:
            raise SystemExit(
                f"unknown workloads: {', '.join(sorted(unknown))}; known: {', '.join(WORKLOAD_KEYS)}"
            )
    bench = Bench(chosen_mode(args), args.db, args.connections, args.sync_connections, skip_peer, work, only)
    try:
        with stopped_on_signal(bench):
            data = bench.execute()
    except BaseException:
        logs = args.out / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for log in work.glob("*.log"):
            shutil.copy(log, logs / log.name)
        print(f"the servers' logs are in {logs}", file=sys.stderr)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for path in write(data, args.out, args.publish):
        print(f"wrote {path}")
    missed = [g for g in data["goals"] if g["met"] is False]
    print(f"goals: {sum(1 for g in data['goals'] if g['met'])} met, {len(missed)} missed")
    for g in missed:
        print(f"  MISSED {g['goal']}: {g['value']} (target {g['target']})")
    return data


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

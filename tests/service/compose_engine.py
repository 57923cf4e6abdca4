"""A Docker engine and local base images for running docker-compose.yml for real, with no registry.

- ``Engine.find_or_start(log)``: the engine that ``docker info`` already reaches (used, never
  stopped), else a ``dockerd`` this process starts as root with its own socket, pid file and
  exec root under /run/scim-emulator-ci and its data root under STATE (images cached between
  runs); ``Engine.stop()`` stops only that one, by its PID, and puts back the host's iptables and
  the docker0 bridge as they were before it. ``pytest.skip`` with the reason when none can be had.
- ``local_images(engine, log)``: the images docker-compose.yml names, made here: a minimal
  Debian bookworm (debootstrap from the host's apt mirror, ``docker import``; cached by tag),
  then a python:3.11-slim stand-in with the host's locally added CA certificates (pip in an image
  build passes the TLS-inspecting proxy as the host does) and a postgres:15 stand-in.

Nothing is pulled: the machines this runs on reach package registries only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent / "compose"
STATE = Path(os.environ.get("EMULATOR_TEST_DOCKER_STATE", "/var/lib/scim-emulator-ci"))
RUN = Path("/run/scim-emulator-ci")
SUITE = "bookworm"  # python3.11 and postgresql-15, as the official images the compose file names
PACKAGES = "ca-certificates,python3,python3-venv,postgresql-15"
DEBIAN_IMAGE = (
    f"scim-emulator-ci/{SUITE}:" + hashlib.sha256(f"{SUITE} {PACKAGES} 1".encode()).hexdigest()[:12]
)
PYTHON_IMAGE = "scim-emulator-ci/python:3.11"
POSTGRES_IMAGE = "scim-emulator-ci/postgres:15"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")


def tail(text: str | bytes | None, lines: int = 25) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").strip().splitlines()[-lines:])


class Engine:
    def __init__(
        self,
        env: dict[str, str],
        process: subprocess.Popen[bytes] | None = None,
        host_network: HostNetwork | None = None,
    ) -> None:
        self.env = env  # DOCKER_HOST for every client, when the engine is ours
        self.process = process  # set only when this process started the daemon
        self.host_network = host_network
        self.pid = process.pid if process else None

    def run(
        self, args: Sequence[str], timeout: float, env: dict[str, str] | None = None, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )

    def docker(self, *args: str, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.run(["docker", *args], timeout, **kwargs)

    def has_image(self, tag: str) -> bool:
        return self.docker("image", "inspect", tag, timeout=30).returncode == 0

    @classmethod
    def find_or_start(cls, log: Path) -> Engine:
        if os.environ.get("EMULATOR_TEST_COMPOSE", "1") == "0":
            pytest.skip("EMULATOR_TEST_COMPOSE=0: the compose stack is not run for real")
        if shutil.which("docker") is None:
            pytest.skip(
                "no docker client: apt-get install docker.io docker-compose debootstrap (.ci/run does)"
            )
        env = dict(os.environ)
        probe = subprocess.run(["docker", "info"], env=env, capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return cls(env)  # somebody's engine: used as it is, never stopped
        reason = tail(probe.stderr, 2) or "no answer"
        if os.geteuid() != 0:
            pytest.skip(f"`docker info` failed ({reason}) and starting dockerd needs root")
        dockerd = shutil.which("dockerd")
        if dockerd is None:
            pytest.skip(
                f"`docker info` failed ({reason}) and dockerd is not installed (apt-get install docker.io)"
            )

        RUN.mkdir(parents=True, exist_ok=True)
        pidfile, socket = RUN / "dockerd.pid", RUN / "docker.sock"
        if pidfile.exists():
            with contextlib.suppress(ValueError):
                stop_orphan(int(pidfile.read_text().strip()), pidfile)
            pidfile.unlink(missing_ok=True)  # stale: its daemon is gone
        env["DOCKER_HOST"] = f"unix://{socket}"
        env.pop("DOCKER_CONTEXT", None)
        host_network = HostNetwork.snapshot()
        command = [
            dockerd,
            f"--data-root={STATE / 'docker'}",
            f"--exec-root={RUN / 'exec'}",
            f"--pidfile={pidfile}",
            f"--host={env['DOCKER_HOST']}",
        ]
        driver = os.environ.get("EMULATOR_TEST_DOCKER_STORAGE_DRIVER")
        if driver:
            command.append(f"--storage-driver={driver}")
        STATE.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        engine = cls(env, process, host_network)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                engine.process = engine.pid = None
                host_network.restore()
                pytest.skip(f"dockerd exited with {process.returncode}:\n{tail(log.read_bytes())}")
            if engine.docker("info", timeout=10).returncode == 0:
                return engine
            if time.monotonic() > deadline:
                engine.stop()
                pytest.skip(f"dockerd did not answer within 30 s:\n{tail(log.read_bytes())}")
            time.sleep(0.3)

    def stop(self) -> None:
        """Stop the daemon this process started (TERM, then KILL), by its PID; others are left alone."""
        if self.process is None or self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.process = self.pid = None
        if self.host_network is not None:
            self.host_network.restore()


def stop_orphan(pid: int, pidfile: Path) -> None:
    """A dockerd on our pid file whose test run is gone (killed before its teardown) is stopped;
    one whose pytest still runs is another run's: skip rather than touch it."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except OSError:
        return  # gone
    if not command or not command[0].endswith(b"dockerd") or f"--pidfile={pidfile}".encode() not in command:
        return  # the pid was reused by something else
    try:
        parent_command = Path(f"/proc/{parent}/cmdline").read_bytes()
    except OSError:
        parent_command = b""
    if b"pytest" in parent_command:
        pytest.skip(f"dockerd {pid} of another test run (pid {parent}) holds {RUN}; not touching it")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    saved = HostNetwork.load()  # as the killed run found the host
    if saved is not None:
        saved.restore()


class HostNetwork:
    """What dockerd changes on the host (iptables filter/nat, ip_forward, docker0), put back after."""

    TABLES = ("filter", "nat")

    FILE = RUN / "host-network.json"  # so a later run can put it back after a killed one

    def __init__(self, saved: dict[str, str] | None, ip_forward: str | None, bridge: bool) -> None:
        self.saved, self.ip_forward, self.bridge = saved, ip_forward, bridge

    @classmethod
    def load(cls) -> HostNetwork | None:
        try:
            state = json.loads(cls.FILE.read_text())
            return cls(state["saved"], state["ip_forward"], state["bridge"])
        except (OSError, ValueError, KeyError):
            return None

    @classmethod
    def snapshot(cls) -> HostNetwork:
        saved: dict[str, str] | None = None
        if shutil.which("iptables-save") and shutil.which("iptables-restore"):
            saved = {}
            for table in cls.TABLES:
                dump = subprocess.run(["iptables-save", "-t", table], capture_output=True, text=True)
                if dump.returncode == 0:
                    saved[table] = dump.stdout
        forward = Path("/proc/sys/net/ipv4/ip_forward")
        ip_forward = forward.read_text().strip() if forward.exists() else None
        taken = cls(saved, ip_forward, Path("/sys/class/net/docker0").exists())
        with contextlib.suppress(OSError):
            cls.FILE.write_text(
                json.dumps({"saved": saved, "ip_forward": ip_forward, "bridge": taken.bridge})
            )
        return taken

    def restore(self) -> None:
        for table, dump in (self.saved or {}).items():
            if "*" + table in dump:
                subprocess.run(["iptables-restore", "-T", table], input=dump, text=True, capture_output=True)
            else:  # the table had no rules at all before
                subprocess.run(["iptables", "-t", table, "-F"], capture_output=True)
                subprocess.run(["iptables", "-t", table, "-X"], capture_output=True)
                if table == "filter":
                    subprocess.run(["iptables", "-P", "FORWARD", "ACCEPT"], capture_output=True)
        if self.ip_forward is not None:
            with contextlib.suppress(OSError):
                Path("/proc/sys/net/ipv4/ip_forward").write_text(self.ip_forward + "\n")
        if not self.bridge and Path("/sys/class/net/docker0").exists():
            subprocess.run(["ip", "link", "delete", "docker0"], capture_output=True)
        self.FILE.unlink(missing_ok=True)


def apt_mirror() -> str:
    """The Debian mirror the host's apt already uses (deb822 or one-line sources), else deb.debian.org."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        if path.suffix not in ("", ".list", ".sources") or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and SUITE in suites.group(1).split() and "security" not in uris.group(1):
                return uris.group(1)
        for line in text.splitlines():
            match = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
            if match and match.group(2) == SUITE and "security" not in match.group(1):
                return match.group(1)
    return "http://deb.debian.org/debian"


def host_pip_conf() -> str:
    """pip.conf for the image: the system CA bundle (with the host's CAs added), the host's index if set."""
    lines = ["[global]", "cert = /etc/ssl/certs/ca-certificates.crt"]
    index = os.environ.get("PIP_INDEX_URL")
    if not index:
        found = subprocess.run(
            ["python3", "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
        )
        index = found.stdout.strip() if found.returncode == 0 else ""
    if index.startswith(("http://", "https://")):  # a file:// index is not in the image
        lines.append(f"index-url = {index}")
    return "\n".join(lines) + "\n"


def make_debian_image(engine: Engine, log: Path) -> None:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        pytest.skip(f"no {DEBIAN_IMAGE} and no debootstrap to make it (apt-get install debootstrap)")
    rootfs = STATE / "rootfs.tmp"
    shutil.rmtree(rootfs, ignore_errors=True)
    mirror = apt_mirror()
    try:
        with open(log, "ab") as out:
            made = subprocess.run(
                [debootstrap, "--variant=minbase", f"--include={PACKAGES}", SUITE, str(rootfs), mirror],
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=600,
            )
        assert made.returncode == 0, f"debootstrap {SUITE} from {mirror} failed:\n{tail(log.read_bytes())}"
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
            for path in (rootfs / junk).glob("*"):
                if path.is_file() or path.is_symlink():
                    path.unlink()
                elif path.is_dir() and path.name != "partial":
                    shutil.rmtree(path)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = engine.run(["docker", "import", "-", DEBIAN_IMAGE], timeout=300, stdin=tar.stdout)
        tar.wait()
        assert imported.returncode == 0, f"docker import failed: {imported.stderr}"
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def build(engine: Engine, tag: str, dockerfile: Path, context: Path, **args: str) -> None:
    command = ["build", "-q", "-t", tag, "-f", str(dockerfile)]
    for key, value in args.items():
        command += ["--build-arg", f"{key}={value}"]
    built = engine.docker(*command, str(context), timeout=600)
    assert built.returncode == 0, f"docker build {tag} failed:\n{tail(built.stdout + built.stderr)}"


def local_images(engine: Engine, log: Path) -> dict[str, str]:
    """The variables that point docker-compose.yml at images made here (each build cached by layer)."""
    if not engine.has_image(DEBIAN_IMAGE):
        make_debian_image(engine, log)
    with tempfile.TemporaryDirectory(prefix="scim-python-base-") as tmp:
        context = Path(tmp)
        certificates = context / "ca-certificates"
        certificates.mkdir()
        for crt in sorted(HOST_CA_DIR.rglob("*.crt")) if HOST_CA_DIR.is_dir() else []:
            shutil.copyfile(crt, certificates / crt.name)
        (context / "pip.conf").write_text(host_pip_conf())
        shutil.copyfile(HERE / "python.Dockerfile", context / "Dockerfile")
        build(engine, PYTHON_IMAGE, context / "Dockerfile", context, DEBIAN_IMAGE=DEBIAN_IMAGE)
    build(engine, POSTGRES_IMAGE, HERE / "postgres.Dockerfile", HERE, DEBIAN_IMAGE=DEBIAN_IMAGE)
    return {"PYTHON_IMAGE": PYTHON_IMAGE, "POSTGRES_IMAGE": POSTGRES_IMAGE}


def compose_command(engine: Engine) -> list[str]:
    """`docker compose` (v2 plugin) where it exists, else `docker-compose` (v1, Debian's)."""
    if engine.docker("compose", "version", timeout=30).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)")


def events(lines: str) -> list[dict[str, Any]]:
    found = []
    for line in lines.splitlines():
        with contextlib.suppress(ValueError):
            found.append(json.loads(line))
    return found

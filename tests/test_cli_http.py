"""``flask emulator --url ...``: the CLI driving a running emulator over HTTP, as it drives the local database."""

from __future__ import annotations

import functools
import http.server
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner

from emulator import cli
from emulator.pytest_plugin import EmulatorServer
from tests.conftest import USER
from tests.service.live import ROOT, free_port, http_json
from tests.test_cli import one_error_line, run

ADMIN = "admin-s3cret"


@pytest.fixture(autouse=True)
def no_emulator_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests choose where the CLI goes: nothing inherited from the shell."""
    for name in ("EMULATOR_URL", "EMULATOR_ADMIN_TOKEN", "EMULATOR_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Callable[..., EmulatorServer]]:
    """``serve(**settings)``: a real emulator on a free loopback port, on this test's database by default."""
    started: list[EmulatorServer] = []

    def start(**settings: Any) -> EmulatorServer:
        config = {"DATABASE_URL": database_url, "EMULATOR_ADMIN_TOKEN": "", **settings}
        server = EmulatorServer(tmp_path, config)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(serve: Callable[..., EmulatorServer]) -> EmulatorServer:
    return serve()


@pytest.fixture
def runner(app: Any) -> FlaskCliRunner:
    return app.test_cli_runner()


def remote(
    runner: FlaskCliRunner, server: EmulatorServer, *args: str, code: int = 0, **kwargs: Any
) -> Result:
    return run(runner, "--url", server.url, *args, code=code, **kwargs)


def remote_json(runner: FlaskCliRunner, server: EmulatorServer, *args: str) -> Any:
    return json.loads(remote(runner, server, *args, "--json").stdout)


def local(runner: FlaskCliRunner, server: EmulatorServer, *args: str) -> Result:
    """The same command on the local database, showing URLs where the server is reached."""
    return run(runner, "--base-url", server.url, *args)


def scim(server: EmulatorServer, created: dict[str, Any], method: str, path: str, body: Any = None) -> int:
    """One SCIM request to a tenant's alias URL, as a provisioning client sends it; its status."""
    headers = {"Authorization": created["credentials"]["authorization"]}
    status, _ = http_json(method, created["alias_url"] + path, body, headers)
    return status


def create_user(server: EmulatorServer, created: dict[str, Any], user_name: str) -> None:
    assert scim(server, created, "POST", "/Users", {"schemas": [USER], "userName": user_name}) == 201


# -- the same answers as on the local database ---------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["tenants", "list"],
        ["tenants"],
        ["tenants", "list", "--json"],
        ["tenants", "show", "generic/acme"],
        ["tenants", "show", "jive/globex", "--json"],
        ["credentials", "list", "jive/globex"],
        ["credentials", "list", "generic/acme", "--json"],
        ["faults", "list"],
        ["faults", "list", "--tenant", "generic/acme", "--json"],
        ["faults", "show", "1"],
        ["vendors"],
        ["vendors", "britive"],
        ["vendors", "jellyfish", "--json"],
        ["fixtures"],
        ["fixtures", "--json"],
        ["scenarios", "list"],
        ["scenarios", "list", "--json"],
    ],
)
def test_reads_over_http_print_what_the_local_database_prints(
    runner: FlaskCliRunner, server: EmulatorServer, args: list[str]
) -> None:
    acme = remote_json(runner, server, "tenants", "create", "generic/acme")
    remote(runner, server, "tenants", "create", "jive/globex", "-o", "delete=deactivate")
    create_user(server, acme, "alice")
    remote(runner, server, "faults", "add", '{"tenant": "generic/acme", "action": {"type": "drop"}}')
    over_http = remote(runner, server, *args).stdout
    assert over_http == local(runner, server, *args).stdout
    assert over_http.strip()


def test_the_cli_over_http_reaches_that_emulator_not_the_local_database(
    runner: FlaskCliRunner, serve: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    elsewhere = serve(DATABASE_URL=f"sqlite:///{tmp_path / 'elsewhere.db'}")
    created = remote_json(runner, elsewhere, "tenants", "create", "generic/acme")
    assert created["alias_url"] == f"{elsewhere.url}/t/generic/acme/scim/v2"  # the server's own URLs
    assert created["scim_url"] == f"http://acme.generic.localhost:{elsewhere.server.server_port}/scim/v2"
    assert run(runner, "tenants", "list").stdout.strip() == "no tenants"
    assert remote(runner, elsewhere, "tenants", "list").stdout.splitlines()[1].startswith("generic/acme")
    status, shown = http_json("GET", f"{elsewhere.url}/_emulator/tenants/generic/acme")
    assert status == 200 and shown["created_at"] == created["created_at"]


def test_emulator_url_from_the_environment(runner: FlaskCliRunner, server: EmulatorServer) -> None:
    remote(runner, server, "tenants", "create", "generic/acme")
    listed = run(runner, "tenants", "list", "--json", env={"EMULATOR_URL": server.url})
    assert json.loads(listed.stdout)["tenants"][0]["alias_url"].startswith(server.url + "/t/")


def test_a_group_mounted_elsewhere_follows_emulator_url(
    runner: FlaskCliRunner, server: EmulatorServer
) -> None:
    remote(runner, server, "tenants", "create", "generic/acme")
    result = runner.invoke(cli.tenants_group, ["list", "--json"], env={"EMULATOR_URL": server.url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tenants"][0]["alias_url"].startswith(server.url + "/t/")


def test_base_url_is_for_the_local_database(runner: FlaskCliRunner, server: EmulatorServer) -> None:
    result = run(runner, "--url", server.url, "--base-url", "http://x:1", "tenants", "list", code=2)
    assert "--base-url is for the local database" in result.output


# -- operations over HTTP ------------------------------------------------------------------------------


def test_tenant_lifecycle_over_http(runner: FlaskCliRunner, server: EmulatorServer) -> None:
    output = remote(runner, server, "tenants", "create", "britive/acme", "-c", "token=http-token").stdout
    assert f"{server.url}/t/britive/acme/scim/v2" in output and "Bearer http-token" in output
    created = remote_json(runner, server, "tenants", "show", "britive/acme")
    assert created["credentials"][0]["state"] == "active"
    seeded = remote(runner, server, "tenants", "seed", "britive/acme", "--fixture", "small-org")
    assert "seeded britive/acme: 12 users, " in seeded.stdout
    assert "seeding" not in seeded.stderr  # one request: no bar to draw
    again = remote(runner, server, "tenants", "seed", "britive/acme", "-f", "small-org", code=1)
    assert one_error_line(again) == "Error: seeding would duplicate an existing User"
    assert "give --fixture NAME" in remote(runner, server, "tenants", "seed", "britive/acme", code=2).output
    generated = remote_json(runner, server, "tenants", "seed", "britive/acme", "-u", "5", "-p", "gen")
    assert generated["seeded"]["users"] == 5 and generated["tenant"]["counts"]["users"] == 17
    reset = remote_json(runner, server, "tenants", "reset", "britive/acme")
    assert reset["counts"] == {"users": 0, "groups": 0} and reset["credentials"]
    assert "reset britive/acme" in remote(runner, server, "tenants", "reset", "britive/acme").stdout
    remote(runner, server, "tenants", "delete", "britive/acme", input="n\n", code=1)
    assert (
        "deleted britive/acme" in remote(runner, server, "tenants", "delete", "britive/acme", "--yes").stdout
    )
    missing = remote(runner, server, "tenants", "show", "britive/acme", code=1)
    assert one_error_line(missing) == "Error: no tenant britive/acme"


def test_credentials_over_http(runner: FlaskCliRunner, server: EmulatorServer) -> None:
    acme = remote_json(runner, server, "tenants", "create", "generic/acme")
    issued = remote_json(runner, server, "credentials", "issue", "generic/acme")
    second = {**acme, "credentials": issued}
    assert scim(server, acme, "GET", "/Users") == 200 and scim(server, second, "GET", "/Users") == 200
    assert (
        "(secrets are shown this once)"
        in remote(runner, server, "credentials", "rotate", "generic/acme").stdout
    )
    assert scim(server, acme, "GET", "/Users") == 401 and scim(server, second, "GET", "/Users") == 401
    listing = remote_json(runner, server, "credentials", "list", "generic/acme")
    assert [c["state"] for c in listing["credentials"]] == ["revoked", "revoked", "active"]
    newest = str(listing["credentials"][-1]["id"])
    expired = remote(runner, server, "credentials", "expire", "generic/acme", newest).stdout
    assert expired.strip() == f"credential {newest} of generic/acme: expired"
    assert remote_json(runner, server, "credentials", "revoke", "generic/acme", newest)["state"] == "revoked"
    britive = remote(runner, server, "tenants", "create", "britive/acme")
    assert britive.exit_code == 0
    wrong = remote(runner, server, "credentials", "issue", "britive/acme", "--style", "basic", code=1)
    assert one_error_line(wrong).startswith("Error: britive tenants take credentials of style")


def test_faults_and_scenarios_over_http(runner: FlaskCliRunner, server: EmulatorServer) -> None:
    acme = remote_json(runner, server, "tenants", "create", "jive/acme")
    rule = {"tenant": "jive/acme", "method": "GET", "path": "/Users", "times": 1, "action": {"type": "auth"}}
    added = remote_json(runner, server, "faults", "add", json.dumps(rule))
    assert scim(server, acme, "GET", "/Users") == 401 and scim(server, acme, "GET", "/Users") == 200
    shown = remote_json(runner, server, "faults", "show", str(added["id"]))
    assert (shown["matched"], shown["fired"], shown["state"]) == (2, 1, "exhausted")
    assert "jive/acme GET /Users" in remote(runner, server, "faults", "list").stdout
    removed = remote(runner, server, "faults", "delete", str(added["id"])).stdout
    assert removed.strip() == f"removed fault rule {added['id']}"
    remote(runner, server, "faults", "add", '{"action": {"type": "drop"}, "tenant": "nobody/else"}')
    assert remote(runner, server, "faults", "clear").stdout.strip() == "removed 1 fault rule(s)"
    started = remote_json(runner, server, "scenarios", "start", "quarantine", "--tenant", "jive/acme")
    assert scim(server, acme, "GET", "/Users") == 401
    status = remote(runner, server, "scenarios", "status", str(started["id"])).stdout
    assert "running, step 1 of 1" in status
    stopped = remote_json(runner, server, "scenarios", "stop", str(started["id"]))
    assert stopped["state"] == "stopped" and scim(server, acme, "GET", "/Users") == 200


def test_journal_over_http(runner: FlaskCliRunner, server: EmulatorServer) -> None:
    acme = remote_json(runner, server, "tenants", "create", "generic/acme")
    create_user(server, acme, "alice")
    assert scim(server, acme, "POST", "/Users", {"schemas": [USER], "userName": "alice"}) == 409
    lines = remote(runner, server, "journal", "tail", "generic/acme").stdout.splitlines()
    assert lines[0].split() == ["ID", "AT", "METHOD", "PATH", "STATUS", "MS", "FAULT"]
    assert [line.split()[2:5:2] for line in lines[1:]] == [["POST", "201"], ["POST", "409"]]
    page = remote_json(runner, server, "journal", "tail", "generic/acme", "--status", "4xx")
    assert [e["status"] for e in page["entries"]] == [409] and page["bound"]["complete"] is True
    assert "cleared the journal" in remote(runner, server, "journal", "clear", "generic/acme").stdout
    assert remote(runner, server, "journal", "tail", "generic/acme").stdout.strip() == "(no entries)"


def test_the_journal_route_reads_after_an_entry(runner: FlaskCliRunner, server: EmulatorServer) -> None:
    acme = remote_json(runner, server, "tenants", "create", "generic/acme")
    for _ in range(3):
        scim(server, acme, "GET", "/Users")
    journal = f"{server.url}/_emulator/tenants/generic/acme/journal"
    ids = [e["id"] for e in http_json("GET", journal)[1]["entries"]]
    status, page = http_json("GET", f"{journal}?after={ids[-1]}")
    assert status == 200 and [e["id"] for e in page["entries"]] == ids[:-1]
    assert http_json("GET", f"{journal}?after=first")[0] == 400


def test_follow_over_http_prints_new_entries(
    runner: FlaskCliRunner, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = remote_json(runner, server, "tenants", "create", "generic/acme")
    scim(server, acme, "GET", "/Users")
    polls: list[float] = []
    follower = threading.get_ident()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if threading.get_ident() != follower:  # the server's threads sleep as they would
            return real_sleep(seconds)
        polls.append(seconds)
        if len(polls) == 1:
            create_user(server, acme, "bob")  # arrives while following
        elif len(polls) >= 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", sleep)
    args = ["journal", "tail", "generic/acme", "--follow", "--interval", "0.1"]
    lines = remote(runner, server, *args).stdout.splitlines()
    assert [line.split()[2] for line in lines[1:]] == ["GET", "POST"]
    assert polls == [0.1, 0.1, 0.1]
    polls[:] = [0, 0]  # the next follow stops at its first poll
    entries = [json.loads(line) for line in remote(runner, server, *args, "--json").stdout.splitlines()]
    assert [e["method"] for e in entries] == ["GET", "POST"]  # one JSON object a line


def test_follow_in_a_real_process_sees_a_later_request(
    runner: FlaskCliRunner, server: EmulatorServer, tmp_path: Path
) -> None:
    acme = remote_json(runner, server, "tenants", "create", "generic/acme")
    scim(server, acme, "GET", "/Users")
    env = {
        **os.environ,
        "EMULATOR_URL": server.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'follower.db'}",  # never the server's: it goes over HTTP
        "EMULATOR_TENANTS_DIR": "",
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "emulator", "journal", "tail", "generic/acme"]
    follower = subprocess.Popen(
        [*command, "--follow", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert follower.stdout is not None
    stdout = follower.stdout

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        seen = [next_line(lines, follower) for _ in range(2)]
        assert seen[0].split()[0] == "ID" and seen[1].split()[2] == "GET"
        create_user(server, acme, "bob")
        later = next_line(lines, follower)
        assert later.split()[2:5:2] == ["POST", "201"]
        follower.send_signal(signal.SIGINT)  # Ctrl-C: stops quietly
        assert follower.wait(timeout=20) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()


def next_line(lines: queue.Queue[str], process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The process's next line of output, or a failure naming what it said on stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                assert process.stderr is not None
                pytest.fail(f"the follower exited {process.returncode}: {process.stderr.read()}")
    pytest.fail("the follower printed nothing new")


# -- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tenants", "show", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["tenants", "reset", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["tenants", "delete", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["tenants", "delete", "generic/nobody", "--yes"], "Error: no tenant generic/nobody"),
        (["tenants", "seed", "generic/nobody", "-f", "small-org"], "Error: no tenant generic/nobody"),
        (["credentials", "list", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["credentials", "rotate", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["credentials", "revoke", "generic/nobody", "1"], "Error: no tenant generic/nobody"),
        (["journal", "tail", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["journal", "tail", "generic/nobody", "--follow"], "Error: no tenant generic/nobody"),
        (["journal", "clear", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["tenants", "create", "nosuch/acme"], "Error: unknown vendor 'nosuch'; known: "),
        (["vendors", "nosuch"], "Error: unknown vendor 'nosuch'; known: "),
        (["tenants", "create", "generic/Not_A_Label"], "Error: tenant name must be a DNS label"),
        (
            ["tenants", "create", "generic/acme", "-o", "nope=1"],
            "Error: unknown option 'nope' for vendor generic",
        ),
        (["faults", "show", "999"], "Error: no fault rule 999"),
        (["faults", "add", '{"action": {"type": "nope"}}'], "Error: invalid fault rule"),
        (["scenarios", "start", "nope"], "Error: no scenario 'nope'"),
        (["scenarios", "status", "999"], "Error: no scenario run 999"),
    ],
)
def test_errors_over_http_are_the_local_lines(
    runner: FlaskCliRunner, server: EmulatorServer, args: list[str], message: str
) -> None:
    over_http = one_error_line(remote(runner, server, *args, code=1))
    assert over_http.startswith(message), over_http
    assert over_http == one_error_line(run(runner, *args, code=1))


def test_an_unreachable_emulator_is_one_line(runner: FlaskCliRunner) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(runner, "--url", url, "tenants", "list", code=1)
    assert one_error_line(result).startswith(f"Error: cannot reach the emulator at {url}: ")


def test_a_url_that_is_no_emulator_is_one_line(runner: FlaskCliRunner, tmp_path: Path) -> None:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{other.server_port}"
        result = run(runner, "--url", url, "tenants", "list", code=1)
        assert one_error_line(result) == f"Error: {url} answered 404, not as an emulator: is the URL right?"
    finally:
        other.shutdown()
        other.server_close()


def test_the_admin_token(runner: FlaskCliRunner, serve: Callable[..., EmulatorServer]) -> None:
    server = serve(EMULATOR_ADMIN_TOKEN=ADMIN)
    refused = remote(runner, server, "tenants", "list", code=1)
    assert one_error_line(refused) == (
        f"Error: the emulator at {server.url} needs its admin token: set EMULATOR_ADMIN_TOKEN"
    )
    wrong = remote(runner, server, "tenants", "list", code=1, env={"EMULATOR_ADMIN_TOKEN": "guess"})
    assert "refused EMULATOR_ADMIN_TOKEN" in one_error_line(wrong)
    created = remote(runner, server, "tenants", "create", "generic/acme", env={"EMULATOR_ADMIN_TOKEN": ADMIN})
    assert "Bearer " in created.stdout
    listed = remote(runner, server, "tenants", "list", env={"EMULATOR_ADMIN_TOKEN": ADMIN})
    assert listed.stdout.splitlines()[1].startswith("generic/acme")

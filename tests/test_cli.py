"""``flask emulator ...`` through Flask's CLI runner, as a user types it."""

from __future__ import annotations

import fcntl
import json
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from emulator import cli
from tests.conftest import USER, ScimTenant


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def run(runner: FlaskCliRunner, *args: str, code: int = 0, **kwargs: Any) -> Result:
    result = runner.invoke(args=["emulator", *args], **kwargs)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


def run_json(runner: FlaskCliRunner, *args: str) -> Any:
    return json.loads(run(runner, *args, "--json").stdout)


def created(runner: FlaskCliRunner, client: FlaskClient, key: str = "generic/acme") -> ScimTenant:
    body = run_json(runner, "tenants", "create", key)
    return ScimTenant(client, body)


def one_error_line(result: Result) -> str:
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


# -- tenants ------------------------------------------------------------------------------------


def test_create_prints_urls_and_the_credential_once(runner: FlaskCliRunner, client: FlaskClient) -> None:
    output = run(runner, "tenants", "create", "generic/acme").output
    assert "http://acme.generic.localhost:8000/scim/v2" in output
    assert "http://localhost:8000/t/generic/acme/scim/v2" in output
    authorization = next(line for line in output.splitlines() if line.startswith("authorization"))
    token = authorization.split("Bearer ", 1)[1]
    users = client.get("/t/generic/acme/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200
    assert token not in run(runner, "tenants", "show", "generic/acme").output


def test_create_json_is_the_control_plane_shape(runner: FlaskCliRunner, client: FlaskClient) -> None:
    body = run_json(
        runner, "tenants", "create", "britive/acme", "-o", "delete=deactivate", "-c", "token=cli-token"
    )
    assert body["vendor"] == "britive" and body["name"] == "acme"
    assert body["options"]["delete"] == "deactivate"
    assert body["credentials"]["authorization"] == "Bearer cli-token"
    shown = client.get("/_emulator/tenants/britive/acme").get_json()
    assert list(body) == list(shown)
    for key in ("vendor", "name", "options", "created_at", "counts"):
        assert body[key] == shown[key], key


def test_base_url_option_and_setting(app: Flask, runner: FlaskCliRunner) -> None:
    run(runner, "tenants", "create", "generic/acme")
    listed = run_json(runner, "--base-url", "https://emulator.example:9443", "tenants", "list")
    assert listed["tenants"][0]["alias_url"] == "https://emulator.example:9443/t/generic/acme/scim/v2"
    assert listed["tenants"][0]["scim_url"] == "https://acme.generic.localhost:9443/scim/v2"
    app.config["EMULATOR_PUBLIC_URL"] = "http://emulator:8000/"
    shown = run_json(runner, "tenants", "show", "generic/acme")
    assert shown["alias_url"] == "http://emulator:8000/t/generic/acme/scim/v2"


def test_list_is_a_table(runner: FlaskCliRunner, client: FlaskClient) -> None:
    assert run(runner, "tenants", "list").output.strip() == "no tenants"
    acme = created(runner, client)
    acme.create_user("alice")
    created(runner, client, "jive/globex")
    lines = run(runner, "tenants", "list").output.splitlines()
    assert lines[0].split() == ["TENANT", "USERS", "GROUPS", "ALIAS", "URL", "SCIM", "URL"]
    assert lines[1].split()[:3] == ["generic/acme", "1", "0"]
    assert lines[2].split()[:3] == ["jive/globex", "0", "0"]
    assert lines[1].index("http://localhost") == lines[0].index("ALIAS URL")  # aligned columns
    assert run(runner, "tenants").output == run(runner, "tenants", "list").output  # alone: list


def test_list_json(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client)
    body = run_json(runner, "tenants", "list")
    assert [(t["vendor"], t["name"]) for t in body["tenants"]] == [("generic", "acme")]


def test_show(runner: FlaskCliRunner, client: FlaskClient) -> None:
    acme = created(runner, client)
    acme.create_user("alice")
    output = run(runner, "tenants", "show", "generic/acme").output
    assert "scim_url" in output and "http://acme.generic.localhost:8000/scim/v2" in output
    assert "options     vendor defaults" in output
    assert any(line.split()[:5] == ["1", "bearer", "token", "-", "active"] for line in output.splitlines())
    body = run_json(runner, "tenants", "show", "generic/acme")
    assert body["counts"] == {"users": 1, "groups": 0}
    assert body["credentials"][0]["state"] == "active"


def test_delete_asks_unless_told_not_to(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client)
    run(runner, "tenants", "delete", "generic/acme", input="n\n", code=1)
    assert client.get("/_emulator/tenants/generic/acme").status_code == 200
    assert "deleted generic/acme" in run(runner, "tenants", "delete", "generic/acme", input="y\n").output
    assert client.get("/_emulator/tenants/generic/acme").status_code == 404
    created(runner, client)
    run(runner, "tenants", "delete", "generic/acme", "--yes")
    assert client.get("/_emulator/tenants/generic/acme").status_code == 404


def test_reset_keeps_credentials(runner: FlaskCliRunner, client: FlaskClient) -> None:
    acme = created(runner, client)
    acme.create_user("alice")
    assert "reset generic/acme" in run(runner, "tenants", "reset", "generic/acme").output
    assert acme.get("/Users").get_json()["totalResults"] == 0
    acme.create_user("alice")
    body = run_json(runner, "tenants", "reset", "generic/acme")
    assert body["counts"] == {"users": 0, "groups": 0}
    assert client.get("/_emulator/tenants/generic/acme/journal").get_json()["entries"] == []


# -- seeding ------------------------------------------------------------------------------------------


def test_seed_a_fixture(runner: FlaskCliRunner, client: FlaskClient) -> None:
    acme = created(runner, client)
    result = run(runner, "tenants", "seed", "generic/acme", "--fixture", "small-org")
    assert "seeded generic/acme: 12 users, 4 groups" in result.stdout
    assert acme.get("/Groups").get_json()["totalResults"] == 4


def test_seed_generated_shows_progress_and_keeps_stdout_for_json(
    runner: FlaskCliRunner, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.fixtures, "BATCH", 50)
    acme = created(runner, client)
    result = run(runner, "tenants", "seed", "generic/acme", "--users", "120", "--groups", "3", "--json")
    assert "seeding generic/acme" in result.stderr  # the progress bar (its label, off a terminal)
    body = json.loads(result.stdout)
    assert body["seeded"] == {"users": 120, "groups": 3, "skipped_groups": 0}
    assert body["tenant"]["counts"] == {"users": 120, "groups": 3}
    assert acme.get("/Users", query_string={"count": 0}).get_json()["totalResults"] == 120


def test_the_progress_bar_advances_to_the_total(
    runner: FlaskCliRunner, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli.fixtures, "BATCH", 10)
    seen: list[tuple[int, int]] = []
    real = cli.progress_bar

    def spying(label: str) -> Any:
        manager = real(label)

        class Spy:
            def __enter__(self) -> Any:
                progress = manager.__enter__()

                def record(done: int, total: int) -> None:
                    seen.append((done, total))
                    progress(done, total)

                return record

            def __exit__(self, *exc: Any) -> Any:
                return manager.__exit__(*exc)

        return Spy()

    monkeypatch.setattr(cli, "progress_bar", spying)
    created(runner, client)
    run(runner, "tenants", "seed", "generic/acme", "-u", "25", "-g", "2")
    assert seen[-1] == (27, 27)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_seed_into_a_users_only_vendor_says_groups_were_skipped(
    runner: FlaskCliRunner, client: FlaskClient
) -> None:
    created(runner, client, "jive/acme")
    output = run(runner, "tenants", "seed", "jive/acme", "-f", "small-org").stdout
    assert "12 users, 0 groups (4 groups skipped: jive tenants have no groups)" in output


def test_an_unknown_fixture_is_one_line(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client)
    result = run(runner, "tenants", "seed", "generic/acme", "--fixture", "no-such", code=1)
    assert one_error_line(result) == "Error: no fixture 'no-such'; shipped fixtures: small-org"


def test_seeding_twice_is_one_line(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client)
    run(runner, "tenants", "seed", "generic/acme", "--users", "3", "--prefix", "p")
    again = run(runner, "tenants", "seed", "generic/acme", "--users", "3", "--prefix", "p", code=1)
    assert one_error_line(again) == "Error: seeding would duplicate an existing User"


def test_seed_usage_errors(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client)
    assert "give --fixture NAME" in run(runner, "tenants", "seed", "generic/acme", code=2).output
    both = run(runner, "tenants", "seed", "generic/acme", "-f", "small-org", "-u", "3", code=2)
    assert "either --fixture or --users" in both.output
    assert "-1" in run(runner, "tenants", "seed", "generic/acme", "-u", "-1", code=2).output


# -- credentials ----------------------------------------------------------------------------------------


def test_credentials_lifecycle(runner: FlaskCliRunner, client: FlaskClient) -> None:
    acme = created(runner, client)
    first_id = acme.credentials["id"]
    issued = run_json(runner, "credentials", "issue", "generic/acme")
    second = ScimTenant(client, {**acme.created, "credentials": issued})
    assert second.get("/Users").status_code == 200 and acme.get("/Users").status_code == 200
    rotated = run(runner, "credentials", "rotate", "generic/acme").output
    assert "(secrets are shown this once)" in rotated
    assert acme.get("/Users").status_code == 401 and second.get("/Users").status_code == 401
    table = run(runner, "credentials", "list", "generic/acme").output.splitlines()
    assert table[0].split()[:5] == ["ID", "TYPE", "LABEL", "ACCOUNT", "STATE"]
    assert [line.split()[4] for line in table[1:]] == ["revoked", "revoked", "active"]
    listing = run_json(runner, "credentials", "list", "generic/acme")
    newest = listing["credentials"][-1]["id"]
    assert (
        run(runner, "credentials", "expire", "generic/acme", str(newest)).output.strip().endswith("expired")
    )
    assert run_json(runner, "credentials", "revoke", "generic/acme", str(first_id))["state"] == "revoked"
    assert run_json(runner, "credentials", "expire", "generic/acme", str(newest))["state"] == "expired"


def test_issue_with_vendor_settings(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client, "britive/acme")
    issued = run_json(
        runner, "credentials", "issue", "britive/acme", "-s", "validity_days=7", "-s", "token=seven"
    )
    assert issued["validity_days"] == 7
    assert issued["authorization"] == "Bearer seven"
    error = run(runner, "credentials", "issue", "britive/acme", "--style", "basic", code=1)
    assert one_error_line(error).startswith("Error: britive tenants take credentials of style")
    assert "not key=value" in run(runner, "credentials", "issue", "britive/acme", "-s", "oops", code=2).output


def test_jive_accounts_are_listed(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client, "jive/acme")
    output = run(runner, "credentials", "list", "jive/acme").output
    assert "no stored tokens or keys" in output
    assert any(line.split()[:2] == ["admin", "System"] for line in output.splitlines())


def test_unknown_credential_is_one_line(runner: FlaskCliRunner, client: FlaskClient) -> None:
    created(runner, client)
    result = run(runner, "credentials", "revoke", "generic/acme", "999", code=1)
    assert one_error_line(result) == "Error: no credential 999 in tenant generic/acme"


# -- journal ------------------------------------------------------------------------------------------


def test_journal_tail_and_clear(runner: FlaskCliRunner, client: FlaskClient) -> None:
    acme = created(runner, client)
    acme.create_user("alice")
    acme.post("/Users", {"schemas": [USER], "userName": "alice"})
    acme.get("/Users", query_string={"filter": 'userName eq "alice"'})
    lines = run(runner, "journal", "tail", "generic/acme").output.splitlines()
    assert lines[0].split() == ["ID", "AT", "METHOD", "PATH", "STATUS", "MS", "FAULT"]
    assert [line.split()[2:5:2] for line in lines[1:]] == [["POST", "201"], ["POST", "409"], ["GET", "200"]]
    assert "/scim/v2/Users?filter=userName" in lines[3]
    two = run(runner, "journal", "tail", "generic/acme", "-n", "2").output.splitlines()
    assert len(two) == 3 and "409" in two[1]
    failed = run(runner, "journal", "tail", "generic/acme", "--status", "4xx").output.splitlines()
    assert len(failed) == 2 and "409" in failed[1]
    page = run_json(runner, "journal", "tail", "generic/acme", "--method", "POST")
    assert [e["status"] for e in page["entries"]] == [409, 201]
    assert page["bound"]["complete"] is True
    assert "cleared" in run(runner, "journal", "clear", "generic/acme").output
    assert run(runner, "journal", "tail", "generic/acme").output.strip() == "(no entries)"


def test_journal_tail_says_when_trimmed(app: Flask, runner: FlaskCliRunner, client: FlaskClient) -> None:
    app.config["EMULATOR_JOURNAL_MAX"] = 2
    acme = created(runner, client)
    for _ in range(5):
        acme.get("/Users")
    output = run(runner, "journal", "tail", "generic/acme").output
    assert "journal trimmed:" in output and "it keeps 2" in output


def writer_lock_state(database_url: str) -> str:
    """Whether another process could take a SQLite database's writer lock now."""
    with open(database_url.removeprefix("sqlite:///") + ".writer-lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return "held"
        fcntl.flock(handle, fcntl.LOCK_UN)
        return "free"


def test_journal_follow_prints_new_entries(
    runner: FlaskCliRunner, client: FlaskClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = created(runner, client)
    acme.get("/Users")
    polls: list[float] = []
    # outside a request a transaction is a writer's: held over a wait, every worker's writes
    # would queue behind the CLI for the whole interval, poll after poll
    locks: list[str] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if database_url.startswith("sqlite:///"):
            locks.append(writer_lock_state(database_url))
        if len(polls) == 1:
            acme.create_user("bob")  # arrives while following
        elif len(polls) >= 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", sleep)
    lines = run(
        runner, "journal", "tail", "generic/acme", "--follow", "--interval", "0.1"
    ).output.splitlines()
    assert [line.split()[2] for line in lines[1:]] == ["GET", "POST"]
    assert polls == [0.1, 0.1, 0.1]
    assert locks == (["free"] * 3 if database_url.startswith("sqlite:///") else [])
    polls[:] = [0, 0]  # the next follow stops at its first poll
    entries = [
        json.loads(line)
        for line in run(runner, "journal", "tail", "generic/acme", "-f", "--json").output.splitlines()
    ]
    assert [e["method"] for e in entries] == ["GET", "POST"]  # one JSON object a line


# -- vendors and fixtures -------------------------------------------------------------------------------


def test_vendors_and_fixtures(runner: FlaskCliRunner) -> None:
    lines = run(runner, "vendors").output.splitlines()
    assert lines[0].split() == ["VENDOR", "AUTH", "RESOURCES", "TITLE"]
    assert {line.split()[0] for line in lines[1:]} == {
        "generic",
        "jive",
        "jostle",
        "britive",
        "jellyfish",
        "thrive",
    }
    jellyfish = run(runner, "vendors", "jellyfish").output
    assert "userName, name, title, active, emails" in jellyfish and "unknown_attributes" in jellyfish
    assert run_json(runner, "vendors", "britive")["vendor"] == "britive"
    assert len(run_json(runner, "vendors")["vendors"]) == 6
    assert run(runner, "fixtures").output.splitlines()[1].split() == ["small-org", "1", "12", "4"]
    assert run_json(runner, "fixtures") == {
        "fixtures": [{"name": "small-org", "version": 1, "users": 12, "groups": 4}]
    }


# -- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tenants", "show", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["tenants", "reset", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["tenants", "delete", "generic/nobody", "--yes"], "Error: no tenant generic/nobody"),
        (["tenants", "seed", "generic/nobody", "-f", "small-org"], "Error: no tenant generic/nobody"),
        (["credentials", "list", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["credentials", "rotate", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["journal", "tail", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["journal", "clear", "generic/nobody"], "Error: no tenant generic/nobody"),
        (["tenants", "create", "nosuch/acme"], "Error: unknown vendor 'nosuch'; known: "),
        (["vendors", "nosuch"], "Error: unknown vendor 'nosuch'; known: "),
        (["tenants", "create", "generic/Not_A_Label"], "Error: tenant name must be a DNS label"),
        (
            ["tenants", "create", "generic/acme", "-o", "nope=1"],
            "Error: unknown option 'nope' for vendor generic",
        ),
    ],
)
def test_errors_are_one_line_and_exit_1(runner: FlaskCliRunner, args: list[str], message: str) -> None:
    line = one_error_line(run(runner, *args, code=1))
    assert line.startswith(message), line


def test_a_duplicate_tenant_is_one_line(runner: FlaskCliRunner) -> None:
    run(runner, "tenants", "create", "generic/acme")
    result = run(runner, "tenants", "create", "generic/acme", code=1)
    assert one_error_line(result) == "Error: tenant generic/acme already exists"


def test_a_malformed_tenant_is_a_usage_error(runner: FlaskCliRunner) -> None:
    result = run(runner, "tenants", "show", "acme", code=2)
    assert "write it as vendor/name" in result.output


# -- faults and scenarios -------------------------------------------------------------------------


def test_a_fault_added_from_the_cli_fires_and_is_counted(runner: FlaskCliRunner, client: FlaskClient) -> None:
    tenant = created(runner, client, "britive/acme")
    rule = {
        "tenant": "britive/acme",
        "method": "POST",
        "path": "/Users",
        "times": 1,
        "action": {"type": "status", "status": 429, "retry_after": 5},
    }
    added = run_json(runner, "faults", "add", json.dumps(rule))
    body = {"schemas": [USER], "userName": "ada@example.com"}
    first = tenant.post("/Users", body)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "5")
    assert tenant.post("/Users", body).status_code == 201
    shown = run_json(runner, "faults", "show", str(added["id"]))
    assert (shown["matched"], shown["fired"], shown["state"]) == (2, 1, "exhausted")
    table = run(runner, "faults", "list", "--tenant", "britive/acme").output
    assert "britive/acme POST /Users" in table and "1/1" in table and "exhausted" in table


def test_faults_delete_and_clear(runner: FlaskCliRunner) -> None:
    first = run_json(runner, "faults", "add", '{"action": {"type": "drop"}}')
    run_json(runner, "faults", "add", '{"tenant": "generic/acme", "action": {"type": "auth"}}')
    assert (
        run(runner, "faults", "delete", str(first["id"])).output.strip()
        == f"removed fault rule {first['id']}"
    )
    assert (
        run(runner, "faults", "clear", "--tenant", "generic/acme").output.strip() == "removed 1 fault rule(s)"
    )
    assert run_json(runner, "faults", "list") == {"faults": []}
    assert run(runner, "faults", "list").output.strip() == "(no fault rules)"


def test_bad_fault_rules_are_one_error_line(runner: FlaskCliRunner) -> None:
    assert "invalid fault rule" in one_error_line(
        run(runner, "faults", "add", '{"action": {"type": "nope"}}', code=1)
    )
    assert "no fault rule 999" in one_error_line(run(runner, "faults", "show", "999", code=1))
    assert "not JSON" in run(runner, "faults", "add", "{oops", code=2).output


def test_scenarios_start_status_and_stop(runner: FlaskCliRunner, client: FlaskClient) -> None:
    tenant = created(runner, client, "jive/acme")
    assert "quarantine" in run(runner, "scenarios", "list").output
    started = run_json(runner, "scenarios", "start", "quarantine", "--tenant", "jive/acme")
    assert (started["state"], started["tenant"]) == ("running", "jive/acme")
    assert tenant.get("/Users").status_code == 401
    status = run(runner, "scenarios", "status", str(started["id"])).output
    assert "quarantine" in status and "running, step 1 of 1" in status
    stopped = run_json(runner, "scenarios", "stop", str(started["id"]))
    assert stopped["state"] == "stopped" and stopped["rules"][0]["fired"] == 1
    assert tenant.get("/Users").status_code == 200
    assert "no scenario 'nope'" in one_error_line(run(runner, "scenarios", "start", "nope", code=1))

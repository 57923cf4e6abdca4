"""The pytest plugin, exercised the way users use it: a suite using the fixtures, run in a subprocess."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from .conftest import ROOT

pytest_plugins = ["pytester"]

Run = Callable[..., pytest.RunResult]

PREAMBLE = """
import pytest

USER = "urn:ietf:params:scim:schemas:core:2.0:User"


def new_user(user_name):
    return {"schemas": [USER], "userName": user_name}
"""


def test_the_fixture_serves_requests_httpx_and_scim2_client(
    pytester: pytest.Pytester, run_suite: Run
) -> None:
    pytester.makepyfile(
        PREAMBLE
        + """
import httpx
import httpx2
import requests
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Email, Name, User


def test_requests(scim_emulator):
    tenant = scim_emulator.tenant("britive", "acme")
    assert tenant.scim_url.endswith("/scim/v2") and tenant.alias_url.endswith("/t/britive/acme/scim/v2")
    assert tenant.authorization.startswith("Bearer ") and tenant.credentials["type"] == "token"
    response = requests.post(tenant.alias_url + "/Users", json=new_user("ada"), headers=tenant.headers)
    assert response.status_code == 201, response.text
    assert requests.get(tenant.alias_url + "/Users", headers=tenant.headers).json()["totalResults"] == 1
    tenant.assert_requested("POST", "/Users", body={"userName": "ada"}, count=1)


def test_httpx(scim_emulator):
    tenant = scim_emulator.tenant("jostle", "acme")
    with httpx.Client(base_url=tenant.alias_url, headers={"Authorization": tenant.authorization}) as client:
        assert client.post("/Users", json=new_user("grace")).status_code == 201
        assert client.get("/Users", params={"filter": 'userName eq "grace"'}).json()["totalResults"] == 1
        assert client.get("/Users", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert [(e["method"], e["status"]) for e in tenant.journal()] == [("POST", 201), ("GET", 200), ("GET", 401)]


def test_scim2_client(scim_emulator):
    tenant = scim_emulator.tenant("britive", "strict", scim_provider="Generic")
    http = httpx2.Client(base_url=tenant.alias_url, headers=tenant.headers)
    scim = SyncSCIMClient(http)
    scim.discover()
    created = scim.create(
        User(user_name="alan", name=Name(given_name="Alan", family_name="Turing"), emails=[Email(value="alan@example.com", type="work")])
    )
    assert created.id and created.user_name == "alan"
    assert scim.query(User, created.id).name.family_name == "Turing"
    assert scim.query(User).total_results == 1
    tenant.assert_requested("POST", "/Users", body={"userName": "alan", "name": {"familyName": "Turing"}})
"""
    )
    result = run_suite("-v")
    result.assert_outcomes(passed=3)


def test_tenants_in_parallel_do_not_see_each_other(pytester: pytest.Pytester, run_suite: Run) -> None:
    pytester.makepyfile(
        PREAMBLE
        + """
import threading

import requests


@pytest.fixture(scope="module")
def pair(scim_emulator):
    # held by a module fixture: not emptied between the two tests
    return scim_emulator.tenant("britive", "acme"), scim_emulator.tenant("britive", "globex")


def names(tenant):
    body = requests.get(tenant.alias_url + "/Users", headers=tenant.headers).json()
    return sorted(user["userName"] for user in body.get("Resources", []))


def test_acme(pair):
    acme, globex = pair
    assert acme.alias_url != globex.alias_url and acme.authorization != globex.authorization
    assert requests.post(acme.alias_url + "/Users", json=new_user("ada"), headers=acme.headers).status_code == 201
    assert names(acme) == ["ada"] and names(globex) == []
    # one tenant's credential does not open the other
    assert requests.get(globex.alias_url + "/Users", headers=acme.headers).status_code == 401


def test_globex_same_user_name_concurrently(pair):
    acme, globex = pair
    statuses = []

    def create(tenant, user_name):
        response = requests.post(tenant.alias_url + "/Users", json=new_user(user_name), headers=tenant.headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=create, args=(globex, f"g{i}")) for i in range(5)]
    threads.append(threading.Thread(target=create, args=(globex, "ada")))  # taken in acme only
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 6
    assert names(acme) == ["ada"]
    assert names(globex) == ["ada", "g0", "g1", "g2", "g3", "g4"]
    assert {e["path"] for e in acme.journal(method="POST")} == {"/scim/v2/Users"}
    assert len(acme.journal(method="POST")) == 1 and len(globex.journal(method="POST")) == 6
"""
    )
    run_suite("-v").assert_outcomes(passed=2)


def test_a_fault_fires_inside_a_users_test_and_is_gone_after(
    pytester: pytest.Pytester, run_suite: Run
) -> None:
    pytester.makepyfile(
        PREAMBLE
        + """
import time

import requests


def create_with_retry(tenant, user_name):
    for _ in range(3):
        response = requests.post(tenant.alias_url + "/Users", json=new_user(user_name), headers=tenant.headers)
        if response.status_code != 429:
            return response
        time.sleep(int(response.headers["Retry-After"]))
    return response


def test_rate_limited_once(scim_emulator):
    tenant = scim_emulator.tenant("britive", "acme")
    rule = tenant.fault(
        method="POST", path="/Users", times=1, action={"type": "status", "status": 429, "retry_after": 0}
    )
    assert isinstance(rule, int)
    assert create_with_retry(tenant, "ada").status_code == 201
    assert [e["status"] for e in tenant.journal()] == [429, 201]
    assert tenant.journal()[0]["fault"]["rule"] == rule
    (listed,) = tenant.faults()
    assert listed["id"] == rule and listed["fired"] == 1


def test_next_test_has_no_fault(scim_emulator):
    tenant = scim_emulator.tenant("britive", "acme")
    assert tenant.faults() == [] and tenant.journal() == []
    response = requests.post(tenant.alias_url + "/Users", json=new_user("ada"), headers=tenant.headers)
    assert response.status_code == 201  # ada was emptied with the tenant, and nothing is injected


def test_dropped_connection(scim_emulator):
    tenant = scim_emulator.tenant("jostle", "acme")
    tenant.fault(method="GET", times=1, action={"type": "drop"})
    with pytest.raises(requests.ConnectionError):
        requests.get(tenant.alias_url + "/Users", headers=tenant.headers)
    assert requests.get(tenant.alias_url + "/Users", headers=tenant.headers).status_code == 200


def test_a_stalled_tenant_does_not_block_another(scim_emulator):
    slow, fast = scim_emulator.tenant("britive", "slow"), scim_emulator.tenant("britive", "fast")
    slow.fault(action={"type": "timeout", "seconds": 3})
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(slow.alias_url + "/Users", headers=slow.headers, timeout=0.5)
    assert requests.get(fast.alias_url + "/Users", headers=fast.headers, timeout=5).status_code == 200
    assert time.monotonic() - started < 2.5


def test_a_fault_rule_that_is_refused(scim_emulator):
    from emulator.pytest_plugin import EmulatorError

    with pytest.raises(EmulatorError, match="400"):
        scim_emulator.tenant("britive", "acme").fault(action={"type": "status"})
    with pytest.raises(TypeError):
        scim_emulator.tenant("britive", "acme").fault(tenant="jostle/acme", action={"type": "drop"})
"""
    )
    run_suite("-v").assert_outcomes(passed=5)


def test_assert_requested_fails_with_the_nearest_requests(pytester: pytest.Pytester, run_suite: Run) -> None:
    pytester.makepyfile(
        PREAMBLE
        + """
import requests


def test_wrong_expectation(scim_emulator):
    tenant = scim_emulator.tenant("britive", "acme")
    requests.post(tenant.alias_url + "/Users", json=new_user("ada"), headers=tenant.headers)
    requests.get(tenant.alias_url + "/Users", params={"filter": 'userName eq "ada"'}, headers=tenant.headers)
    tenant.assert_requested("POST", "/Users", body={"userName": "grace"}, count=1)


def test_too_many(scim_emulator):
    tenant = scim_emulator.tenant("britive", "acme")
    for name in ("ada", "bob"):
        requests.post(tenant.alias_url + "/Users", json=new_user(name), headers=tenant.headers)
    tenant.assert_requested("POST", "/Users", count=1)


def test_empty_journal(scim_emulator):
    scim_emulator.tenant("jostle", "acme").assert_requested("DELETE", "/Users/*")
"""
    )
    result = run_suite()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            'E*AssertionError: expected POST /Users with body containing {"userName":"grace"} exactly 1 time(s)'
            " in the journal of britive/acme; 0 matched",
            "E*nearest requests:",
            'E*POST /Users -> 201  body: {"schemas":*"userName":"ada"}',
            "E*GET /Users?filter=userName+eq+%22ada%22 -> 200",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E*expected POST /Users exactly 1 time(s) in the journal of britive/acme; 2 matched",
            "E*matched requests:",
            'E*POST /Users -> 201  body: {*"userName":"ada"}',
            'E*POST /Users -> 201  body: {*"userName":"bob"}',
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "E*expected DELETE /Users/* at least once in the journal of jostle/acme; 0 matched",
            "E*the journal is empty",
        ]
    )
    assert "pytest_plugin.py" not in result.stdout.str()  # the failure points at the user's line


def test_what_a_test_touched_is_reset_and_wider_fixtures_keep_theirs(
    pytester: pytest.Pytester, run_suite: Run
) -> None:
    pytester.makepyfile(
        PREAMBLE
        + """
import requests


@pytest.fixture(scope="session")
def directory(scim_emulator):
    tenant = scim_emulator.tenant("jostle", "directory")
    tenant.seed("small-org")
    tenant.fault(method="DELETE", action={"type": "status", "status": 403})  # for the whole session
    return tenant


def count(tenant):
    return requests.get(tenant.alias_url + "/Users", headers=tenant.headers).json()["totalResults"]


def test_first(scim_emulator, directory):
    tenant = scim_emulator.tenant("britive", "acme")
    assert tenant.seed(users=5, groups=2) == {"users": 5, "groups": 2, "skipped_groups": 0}
    requests.post(tenant.alias_url + "/Users", json=new_user("extra"), headers=tenant.headers)
    tenant.fault(method="GET", action={"type": "latency", "ms": 1})
    assert count(directory) == 12
    requests.post(directory.alias_url + "/Users", json=new_user("visitor"), headers=directory.headers)
    directory.fault(method="PUT", action={"type": "status", "status": 500})  # this test only


def test_second(scim_emulator, directory):
    tenant = scim_emulator.tenant("britive", "acme")
    assert tenant.describe()["counts"] == {"users": 0, "groups": 0}
    assert tenant.journal() == [] and tenant.faults() == []
    # the session fixture's tenant keeps its data and its own fault, loses the test's fault
    assert count(directory) == 13
    assert [(f["method"], f["action"]["status"]) for f in directory.faults()] == [("DELETE", 403)]


def test_scim_tenant_empties_even_a_shared_tenant(scim_tenant, directory):
    shared = scim_tenant("jostle", "directory")
    assert shared is directory
    requests.post(shared.alias_url + "/Users", json=new_user("temp"), headers=shared.headers)


def test_after_scim_tenant(directory):
    assert count(directory) == 0 and directory.faults() == []


def test_same_tenant_twice(scim_emulator):
    first = scim_emulator.tenant("britive", "opts", scim_provider="Generic")
    assert scim_emulator.tenant("britive", "opts") is first
    assert scim_emulator.tenant("britive", "opts", scim_provider="Generic") is first
    assert first.options["patch_dialect"] == "strict"
    with pytest.raises(ValueError, match="already exists"):
        scim_emulator.tenant("britive", "opts", scim_provider="Azure")


def test_reset_by_hand(scim_emulator):
    tenant = scim_emulator.tenant("generic", "acme")
    tenant.seed(users=3, groups=0)
    tenant.fault(action={"type": "status", "status": 503})
    tenant.reset()
    assert tenant.describe()["counts"]["users"] == 0 and tenant.faults() == []
    assert count(tenant) == 0
"""
    )
    run_suite("-v").assert_outcomes(passed=6)


def test_credentials_and_vendor_shapes(pytester: pytest.Pytester, run_suite: Run) -> None:
    pytester.makepyfile(
        """
import base64

import requests


def test_basic_and_fixed_credentials(scim_emulator):
    jive = scim_emulator.tenant("jive", "acme")
    assert jive.authorization.startswith("Basic ")
    user, _, password = base64.b64decode(jive.authorization[6:]).decode().partition(":")
    assert requests.get(jive.alias_url + "/Users", auth=(user, password)).status_code == 200
    fixed = scim_emulator.tenant("britive", "fixed", credentials={"token": "my-token"})
    assert fixed.authorization == "Bearer my-token"
    assert requests.get(fixed.alias_url + "/Users", headers=fixed.headers).status_code == 200
"""
    )
    run_suite().assert_outcomes(passed=1)


def test_the_server_stops_with_the_session(pytester: pytest.Pytester, run_suite: Run) -> None:
    pytester.makeconftest(
        """
import urllib.request

SEEN = {}


def pytest_unconfigure(config):
    try:
        urllib.request.urlopen(SEEN["url"] + "/_emulator/health", timeout=2)
        state = "still serving"
    except OSError:
        state = "stopped"
    with open("server-state.txt", "w") as handle:
        handle.write(state)
"""
    )
    pytester.makepyfile(
        """
import conftest


def test_uses_it(scim_emulator):
    conftest.SEEN["url"] = scim_emulator.url
    assert scim_emulator.url.startswith("http://127.0.0.1:")
"""
    )
    run_suite().assert_outcomes(passed=1)
    assert (pytester.path / "server-state.txt").read_text() == "stopped"


def test_registered_once_however_it_is_named(pytester: pytest.Pytester, run_suite: Run) -> None:
    pytester.makeconftest('pytest_plugins = ["emulator.pytest_plugin"]')
    pytester.makepyfile(
        "def test_it(scim_emulator, scim_tenant):\n    assert scim_tenant('generic').name == 'acme'\n"
    )
    run_suite("-p", "emulator.pytest_plugin").assert_outcomes(passed=1)


def test_can_be_disabled(pytester: pytest.Pytester, run_suite: Run) -> None:
    pytester.makepyfile("def test_it(scim_emulator):\n    pass\n")
    result = run_suite("-p", "no:emulator.pytest_plugin", load=False)  # blocks the installed entry point
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'scim_emulator' not found*"])


def test_the_example_file_passes(pytester: pytest.Pytester, run_suite: Run) -> None:
    shutil.copy(ROOT / "examples" / "test_sync_client.py", pytester.path / "test_sync_client.py")
    result = run_suite("-v")
    result.assert_outcomes(passed=11)

"""Every fault action over a real socket, against gunicorn with 4 gthread workers.

Drop, timeout and truncate only mean something on a socket, so these tests use real HTTP
clients (requests, and raw http.client where the failure's exact shape matters). Timings are
only ever bounded from below: the machine may be slow, never too fast.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from typing import Any

import pytest
import requests

from .conftest import ERROR, GROUP, USER, Live, LiveTenant


def raw_get(tenant: LiveTenant, path: str, timeout: float) -> http.client.HTTPResponse:
    """A GET with http.client on a connection of its own; the response is not yet read."""
    connection = http.client.HTTPConnection("127.0.0.1", tenant.live.port, timeout=timeout)
    connection.request("GET", tenant.path + path, headers={"Authorization": tenant.authorization})
    return connection.getresponse()


def fault_of(entry: dict[str, Any]) -> tuple[int, Any]:
    return entry["status"], entry["fault"]


def test_drop_closes_the_connection_with_no_response(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action={"type": "drop"}, times=2)

    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected is a ConnectionResetError
        raw_get(tenant, "/Users", timeout=10)
    with pytest.raises(requests.ConnectionError):
        tenant.get("/Users", timeout=10)
    assert tenant.get("/Users").status_code == 200

    assert live.fault(rule["id"])["fired"] == 2
    dropped = {"rule": rule["id"], "action": "drop"}
    assert [fault_of(e) for e in tenant.journal()] == [(499, dropped), (499, dropped), (200, None)]


def test_timeout_holds_the_request_while_others_are_served(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action={"type": "timeout", "seconds": 2}, times=1)
    outcome: dict[str, Any] = {}

    def held() -> None:
        started = time.monotonic()
        try:
            tenant.get("/Users", timeout=0.5)
        except requests.ReadTimeout as error:
            outcome["error"] = error
        outcome["waited"] = time.monotonic() - started

    client = threading.Thread(target=held)
    client.start()
    while not live.fault(rule["id"])["fired"]:  # the held request has reached the server
        time.sleep(0.02)
    served = [tenant.get("/Users").status_code for _ in range(8)]
    client.join(timeout=30)
    assert served == [200] * 8
    assert isinstance(outcome.get("error"), requests.ReadTimeout), outcome
    assert outcome["waited"] >= 0.5

    deadline = time.monotonic() + 30
    while len(tenant.journal()) < 9 and time.monotonic() < deadline:
        time.sleep(0.1)
    entries = tenant.journal()
    held_entry = {"rule": rule["id"], "action": "timeout"}
    assert sorted(fault_of(e) for e in entries) == [(200, None)] * 8 + [(499, held_entry)]
    # an entry is written when its request finishes: others were answered while that one was held
    assert fault_of(entries[0]) == (200, None)
    assert [e for e in entries if e["fault"]][0]["duration_ms"] >= 2000


def test_timeout_then_closes_the_connection(live: Live) -> None:
    tenant = live.tenant()
    live.rule(tenant=tenant.key, action={"type": "timeout", "seconds": 1}, times=1)
    started = time.monotonic()
    with pytest.raises(ConnectionError):
        raw_get(tenant, "/Users", timeout=30)
    assert time.monotonic() - started >= 1


def test_truncate_sends_fewer_bytes_than_content_length(live: Live) -> None:
    tenant = live.tenant()
    tenant.create_user("ada")
    rule = live.rule(tenant=tenant.key, method="GET", action={"type": "truncate"}, times=2)

    # the connection is closed after the cut body: the client sees it at once, not at its timeout
    response = raw_get(tenant, "/Users", timeout=3)
    assert response.status == 200
    length = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    assert 0 < len(cut.value.partial) < length

    with pytest.raises(requests.exceptions.ChunkedEncodingError):  # requests' name for an incomplete body
        tenant.get("/Users", timeout=3)

    whole = tenant.get("/Users")
    assert whole.json()["totalResults"] == 1
    assert len(whole.content) == length
    assert whole.content.startswith(cut.value.partial)  # the cut body is the start of the real answer

    truncated = {"rule": rule["id"], "action": "truncate"}
    entries = tenant.journal(method="GET")
    assert [fault_of(e) for e in entries] == [(200, truncated), (200, truncated), (200, None)]
    assert entries[0]["response"]["body"] == cut.value.partial.decode()  # the journal keeps what was sent


def test_malformed_is_a_200_that_is_not_json(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action={"type": "malformed"}, times=1)
    response = tenant.get("/Users")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/scim+json")
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(ValueError):
        json.loads(response.content)
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert tenant.get("/Users").json()["totalResults"] == 0
    assert fault_of(tenant.journal()[0]) == (200, {"rule": rule["id"], "action": "malformed"})


def test_latency_delays_a_normal_answer(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action={"type": "latency", "ms": 400}, times=1)
    started = time.monotonic()
    response = tenant.get("/Users")
    waited = time.monotonic() - started
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    assert waited >= 0.4
    entry = tenant.journal()[0]
    assert fault_of(entry) == (200, {"rule": rule["id"], "action": "latency"})
    assert entry["duration_ms"] >= 400


def test_latency_with_jitter(live: Live) -> None:
    tenant = live.tenant()
    live.rule(tenant=tenant.key, action={"type": "latency", "ms": 300, "jitter_ms": 100}, times=3)
    for _ in range(3):
        started = time.monotonic()
        assert tenant.get("/Users").status_code == 200
        assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504, 400, 418])
def test_status_answers_with_a_scim_error(live: Live, status: int) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action={"type": "status", "status": status}, times=1)
    response = tenant.get("/Users")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status) and body["detail"]
    assert "Retry-After" not in response.headers
    assert fault_of(tenant.journal()[0]) == (status, {"rule": rule["id"], "action": "status"})


def test_status_with_retry_after_and_detail(live: Live) -> None:
    tenant = live.tenant()
    action = {"type": "status", "status": 429, "retry_after": 7, "detail": "slow down"}
    live.rule(tenant=tenant.key, action=action, times=1)
    response = tenant.post("/Users", {"schemas": [USER], "userName": "ada"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {"schemas": [ERROR], "status": "429", "detail": "slow down"}
    assert tenant.get("/Users").json()["totalResults"] == 0  # the create did not happen


def test_auth_answers_as_britive_answers_a_revoked_token(live: Live) -> None:
    tenant = live.tenant("britive")
    old = tenant.authorization
    # issuing a new Britive token revokes the old one: the vendor's real answer to a revoked token
    status, issued = live.control("POST", f"/_emulator/tenants/{tenant.key}/credentials", {})
    assert status == 201, issued
    real = tenant.get("/Users", headers={"Authorization": old})
    assert real.status_code == 401

    tenant.authorization = issued["authorization"]
    rule = live.rule(tenant=tenant.key, action={"type": "auth"}, times=1)
    injected = tenant.get("/Users")
    assert injected.status_code == 401
    assert injected.json() == real.json()
    assert injected.json()["detail"] == "the token has been revoked"
    assert injected.headers["WWW-Authenticate"] == real.headers["WWW-Authenticate"]
    assert injected.headers["WWW-Authenticate"].startswith("Bearer ")
    assert tenant.get("/Users").status_code == 200  # the credential itself still works
    assert fault_of(tenant.journal()[-2]) == (401, {"rule": rule["id"], "action": "auth"})


def test_auth_answers_as_jive_answers_a_basic_credential_that_stopped_working(live: Live) -> None:
    tenant = live.tenant("jive")
    assert tenant.authorization.startswith("Basic ")
    username = base64.b64decode(tenant.authorization.split(" ", 1)[1]).decode().split(":", 1)[0]
    wrong = "Basic " + base64.b64encode(f"{username}:not-the-password".encode()).decode()
    real = tenant.get("/Users", headers={"Authorization": wrong})
    assert real.status_code == 401

    live.rule(tenant=tenant.key, action={"type": "auth"}, times=1)
    injected = tenant.get("/Users")
    assert injected.status_code == 401
    assert injected.json() == real.json()
    assert injected.headers["WWW-Authenticate"] == real.headers["WWW-Authenticate"]
    assert "Basic " in injected.headers["WWW-Authenticate"]
    assert tenant.get("/Users").status_code == 200


def test_auth_for_jives_token_speaks_of_its_token(live: Live) -> None:
    tenant = live.tenant("jive")
    status, issued = live.control("POST", f"/_emulator/tenants/{tenant.key}/credentials", {"style": "bearer"})
    assert status == 201, issued
    live.rule(tenant=tenant.key, action={"type": "auth"})
    injected = tenant.get("/Users", headers={"Authorization": issued["authorization"]})
    assert injected.status_code == 401
    assert injected.json()["detail"] == "the user security token has been revoked"
    assert injected.headers["WWW-Authenticate"].startswith("Bearer ")


def test_auth_with_a_detail_of_its_own(live: Live) -> None:
    tenant = live.tenant("generic")
    live.rule(tenant=tenant.key, action={"type": "auth", "detail": "the token has expired"})
    response = tenant.get("/Users")
    assert response.status_code == 401 and response.json()["detail"] == "the token has expired"


def test_conflict_refuses_a_create_that_would_have_succeeded(live: Live) -> None:
    tenant = live.tenant()
    rule = live.rule(tenant=tenant.key, action={"type": "conflict"}, times=1)
    assert tenant.get("/Users").status_code == 200  # a conflict only answers creates
    response = tenant.post("/Users", {"schemas": [USER], "userName": "ada"})
    assert response.status_code == 409
    body = response.json()
    assert body["schemas"] == [ERROR] and body["status"] == "409" and body["scimType"] == "uniqueness"
    assert tenant.get("/Users").json()["totalResults"] == 0  # no user was created
    assert tenant.post("/Users", {"schemas": [USER], "userName": "ada"}).status_code == 201
    assert [fault_of(e) for e in tenant.journal()] == [
        (200, None),
        (409, {"rule": rule["id"], "action": "conflict"}),
        (200, None),
        (201, None),
    ]
    assert (live.fault(rule["id"])["matched"], live.fault(rule["id"])["fired"]) == (2, 1)


def test_conflict_answers_as_a_real_duplicate_does(live: Live) -> None:
    tenant = live.tenant()
    tenant.create_user("ada")
    tenant.create_group("staff")
    real_user = tenant.post("/Users", {"schemas": [USER], "userName": "ada"})
    real_group = tenant.post("/Groups", {"schemas": [GROUP], "displayName": "staff"})
    assert (real_user.status_code, real_group.status_code) == (409, 409)
    live.rule(tenant=tenant.key, action={"type": "conflict"}, times=2)
    injected_user = tenant.post("/Users", {"schemas": [USER], "userName": "bob"})
    injected_group = tenant.post("/Groups", {"schemas": [GROUP], "displayName": "admins"})
    assert (injected_user.status_code, injected_user.json()) == (409, real_user.json())
    assert (injected_group.status_code, injected_group.json()) == (409, real_group.json())


def test_conflict_speaks_the_vendors_words(live: Live) -> None:
    tenant = live.tenant("thrive")
    live.rule(tenant=tenant.key, action={"type": "conflict"}, times=1)
    response = tenant.post("/Users", {"schemas": [USER], "userName": "ada"})
    assert response.status_code == 409
    assert response.json()["detail"] == "user has already been provisioned"
